#include "transport/PlainTransport.hpp"

#include "transport/PacketKind.hpp"

namespace switchyard::transport {

namespace {

// RFC 3550 section 11: without rtcp-mux, RTCP goes to the port after the RTP one unless the
// peer says otherwise.
constexpr uint16_t kRtcpPortOffset = 1;
// The last UDP port: none follows it for RTCP.
constexpr uint16_t kMaxPort = UINT16_MAX;

// A socket of the transport's own, on the worker loop's send batcher and receive arena.
std::unique_ptr<UdpSocket> bindSocket(uv_loop_t* loop, const PlainTransport::Listen& listen,
                                      const PlainTransport::Options& options,
                                      UdpSocket::OnDatagram onDatagram, std::string* error) {
  const uint16_t min = listen.port != 0 ? listen.port : options.minPort;
  const uint16_t max = listen.port != 0 ? listen.port : options.maxPort;
  auto socket = UdpSocket::bind(loop, listen.ip, min, max, std::move(onDatagram), error);
  if (socket) {
    socket->setSendBatcher(options.sendBatcher);
    socket->setReceiveArena(options.receiveArena);
  }
  return socket;
}

}  // namespace

std::unique_ptr<PlainTransport> PlainTransport::create(uv_loop_t* loop, const Options& options,
                                                       Listener& listener, std::string* error) {
  std::unique_ptr<PlainTransport> t(new PlainTransport(listener, options.comedia));
  t->announced_ =
      options.listen.announcedAddress.empty() ? options.listen.ip : options.listen.announcedAddress;
  if (options.listen.mux != nullptr) {
    // A shared port tells its transports apart by remote address, which comedia has not got.
    if (options.comedia || options.rtcpListen) {
      if (error) *error = "a shared port needs rtcp-mux and a given remote address (no comedia)";
      return nullptr;
    }
    t->mux_ = options.listen.mux;
    t->socket_ = &t->mux_->socket();
  } else {
    // Datagrams only arrive from the loop, once create() has returned.
    t->ownSocket_ = bindSocket(
        loop, options.listen, options,
        [tp = t.get()](std::span<uint8_t> d, const SocketAddress& from) {
          tp->onDatagram(d, from, false);
        },
        error);
    if (!t->ownSocket_) return nullptr;
    t->socket_ = t->ownSocket_.get();
  }
  if (options.rtcpListen) {
    t->rtcpSocket_ = bindSocket(
        loop, *options.rtcpListen, options,
        [tp = t.get()](std::span<uint8_t> d, const SocketAddress& from) {
          tp->onDatagram(d, from, true);
        },
        error);
    if (!t->rtcpSocket_) return nullptr;
  }
  if (options.srtp) {
    t->localSrtp_ = SrtpParameters::generate(*options.srtp);
    if (!t->localSrtp_) {
      if (error) *error = "cannot generate an SRTP key";
      return nullptr;
    }
    auto out = SrtpSession::create(SrtpSession::Direction::kOutbound, *options.srtp,
                                   t->localSrtp_->keyAndSalt());
    if (!out) {
      if (error) *error = std::string("SRTP setup failed: ") + srtpErrorName(out.error());
      return nullptr;
    }
    t->srtpOut_ = std::move(*out);
  }
  return t;
}

PlainTransport::PlainTransport(Listener& listener, bool comedia)
    : listener_(listener), comedia_(comedia) {}

PlainTransport::~PlainTransport() {
  if (mux_ != nullptr) mux_->remove(*this);
}

void PlainTransport::onMuxDatagram(UdpSocket&, std::span<uint8_t> datagram,
                                   const SocketAddress& from) {
  onDatagram(datagram, from, false);
}

const SocketAddress& PlainTransport::localRtcpAddress() const {
  return rtcpSocket_ ? rtcpSocket_->localAddress() : socket_->localAddress();
}

bool PlainTransport::connect(const std::optional<SocketAddress>& remote, uint16_t rtcpPort,
                             const std::optional<SrtpParameters>& remoteSrtp, std::string* error) {
  auto fail = [&](const char* reason) {
    if (error) *error = reason;
    return false;
  };
  if (connected_) return fail("the transport is already connected");
  if (!remote && !comedia_) return fail("a plain transport without comedia needs ip and port");
  if (remote && remote->port() == 0) return fail("the remote port is 0");
  if (remote && mux_ != nullptr && mux_->tupleOwner(*remote) != nullptr) {
    return fail("another transport on the shared port has this remote address");
  }
  if (remote && rtcpSocket_ && rtcpPort == 0 && remote->port() == kMaxPort) {
    return fail("no RTCP port follows remote port 65535: give rtcp_port");
  }
  if (localSrtp_ && !remoteSrtp) return fail("this transport uses SRTP: srtp_parameters needed");
  if (!localSrtp_ && remoteSrtp) return fail("this transport was created without SRTP");
  if (remoteSrtp && remoteSrtp->profile() != localSrtp_->profile()) {
    return fail("srtp_parameters has another crypto suite than the transport");
  }
  if (remoteSrtp) {
    auto in = SrtpSession::create(SrtpSession::Direction::kInbound, remoteSrtp->profile(),
                                  remoteSrtp->keyAndSalt());
    if (!in) return fail("the remote SRTP key was refused");
    srtpIn_ = std::move(*in);
  }
  if (remote) {
    remote_ = remote;
    if (mux_ != nullptr) mux_->addTuple(*remote, *this);
    if (rtcpSocket_) {
      const uint16_t port =
          rtcpPort != 0 ? rtcpPort : static_cast<uint16_t>(remote->port() + kRtcpPortOffset);
      remoteRtcp_ = SocketAddress::fromIp(remote->ip(), port);
    }
  }
  connected_ = true;
  return true;
}

bool PlainTransport::canSend() const {
  if (!remote_) return false;
  return localSrtp_ ? srtpOut_ != nullptr && connected_ : true;
}

void PlainTransport::onDatagram(std::span<uint8_t> datagram, const SocketAddress& from,
                                bool rtcpSocket) {
  counters_.bytesReceived += datagram.size();
  const PacketKind kind = classifyPacket(datagram);
  if (kind != PacketKind::kRtcp && (rtcpSocket || kind != PacketKind::kRtp)) {
    ++counters_.droppedUnknownKind;
    return;
  }
  const bool rtcp = kind == PacketKind::kRtcp;
  // Keys are needed before anything can be accepted, and without comedia the peer's address.
  if ((!connected_ && !comedia_) || (localSrtp_ && !srtpIn_)) {
    ++counters_.droppedNotConnected;
    return;
  }
  std::optional<SocketAddress>& expected = rtcpSocket ? remoteRtcp_ : remote_;
  if (expected && !(*expected == from)) {
    ++counters_.droppedUnknownTuple;
    return;
  }
  size_t length = datagram.size();
  if (srtpIn_) {
    auto n = rtcp ? srtpIn_->unprotectRtcp(datagram) : srtpIn_->unprotectRtp(datagram);
    if (!n) return transport::countSrtpDrop(counters_, n.error());
    length = *n;
  }
  rtp::RtpPacket packet;
  if (!rtcp && rtp::RtpPacket::parseInto(datagram.first(length), datagram.size(), packet)) {
    ++counters_.droppedMalformedRtp;
    return;
  }
  if (!expected) {
    // comedia: the first packet that is whole (and authentic, with SRTP) names the peer.
    expected = from;
    listener_.onTupleLearned(from, rtcpSocket);
  }
  if (rtcp) {
    ++counters_.rtcpReceived;
    listener_.onRtcp(datagram.first(length));
    return;
  }
  ++counters_.rtpReceived;
  listener_.onRtp(packet);
}

uint64_t PlainTransport::queuedSendFailures() const {
  // A shared socket's failures belong to no one transport: the worker counts those.
  return (ownSocket_ ? ownSocket_->counters().queuedSendFailures : 0) +
         (rtcpSocket_ ? rtcpSocket_->counters().queuedSendFailures : 0);
}

bool PlainTransport::sendDatagram(std::span<const uint8_t> datagram, bool rtcp) {
  UdpSocket* socket = socket_;
  const std::optional<SocketAddress>* to = &remote_;
  if (rtcp && rtcpSocket_) {
    socket = rtcpSocket_.get();
    to = &remoteRtcp_;
  }
  if (!*to || !socket->send(datagram, **to)) {
    ++counters_.sendFailures;
    return false;
  }
  counters_.bytesSent += datagram.size();
  return true;
}

bool PlainTransport::sendRtp(const rtp::RtpPacket& packet) {
  std::span<uint8_t> buffer(packet.bytes().data(), packet.capacity());
  size_t length = packet.size();
  if (localSrtp_) {
    if (!connected_) {
      ++counters_.sendFailures;
      return false;
    }
    auto n = srtpOut_->protectRtp(buffer, length);
    if (!n) {
      ++counters_.sendFailures;
      return false;
    }
    length = *n;
  }
  if (!sendDatagram(buffer.first(length), false)) return false;
  ++counters_.rtpSent;
  return true;
}

bool PlainTransport::sendRtcp(std::span<uint8_t> buffer, size_t length) {
  if (localSrtp_) {
    if (!connected_) {
      ++counters_.sendFailures;
      return false;
    }
    auto n = srtpOut_->protectRtcp(buffer, length);
    if (!n) {
      ++counters_.sendFailures;
      return false;
    }
    length = *n;
  }
  if (!sendDatagram(buffer.first(length), true)) return false;
  ++counters_.rtcpSent;
  return true;
}

}  // namespace switchyard::transport
