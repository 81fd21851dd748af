#include "transport/WebRtcTransport.hpp"

#include <openssl/rand.h>

#include "transport/PacketKind.hpp"

namespace switchyard::transport {

namespace {

// How often consent freshness (RFC 7675) is evaluated; expiry is 30 s, so a second of slack is
// fine.
constexpr uint64_t kConsentCheckIntervalMs = 1000;
// RFC 8445 section 5.1.2.1: host candidate priority with type preference 126, local
// preference 65535 for the first IP and one less per further IP, component 1.
constexpr uint32_t kHostTypePreference = 126;
constexpr uint32_t kMaxLocalPreference = 65535;
constexpr uint32_t kComponentId = 1;

uint32_t hostPriority(size_t index) {
  const uint32_t local = kMaxLocalPreference - static_cast<uint32_t>(index);
  return (kHostTypePreference << 24) | (local << 8) | (256 - kComponentId);
}

}  // namespace

// Forwards the ICE and DTLS callbacks to the transport, keeping them off its public interface.
class WebRtcTransport::Callbacks final : public IceServerListener, public DtlsTransport::Listener {
 public:
  explicit Callbacks(WebRtcTransport& t) : t_(t) {}

  void onIceStateChange(IceState state) override { t_.listener_.onIceStateChange(state); }
  void onSelectedTupleChange(const SocketAddress& tuple) override {
    t_.listener_.onIceSelectedTupleChange(tuple);
  }

  void onDtlsSend(std::span<const uint8_t> datagram) override { t_.sendDatagram(datagram); }
  void onDtlsStateChange(DtlsTransport::State state) override {
    const std::string detail =
        state == DtlsTransport::State::kFailed && t_.dtls_ ? t_.dtls_->failureReason() : "";
    t_.listener_.onDtlsStateChange(state, detail);
  }
  void onDtlsConnected(SrtpProfile profile, std::span<const uint8_t> local,
                       std::span<const uint8_t> remote) override {
    auto out = SrtpSession::create(SrtpSession::Direction::kOutbound, profile, local);
    auto in = SrtpSession::create(SrtpSession::Direction::kInbound, profile, remote);
    if (out && in) {
      t_.srtpOut_ = std::move(*out);
      t_.srtpIn_ = std::move(*in);
    }
  }
  void onDtlsApplicationData(std::span<const uint8_t>) override {}  // SCTP comes later
  void onDtlsClosed() override {}

 private:
  WebRtcTransport& t_;
};

std::unique_ptr<WebRtcTransport> WebRtcTransport::create(
    uv_loop_t* loop, std::shared_ptr<const DtlsCertificate> certificate, const Options& options,
    Listener& listener, std::string* error) {
  std::unique_ptr<WebRtcTransport> t(new WebRtcTransport(loop, std::move(certificate), listener));
  auto credentials = IceServer::generateCredentials();
  if (!credentials) {
    if (error) *error = "cannot generate ICE credentials";
    return nullptr;
  }
  t->iceUfrag_ = credentials->ufrag;
  t->icePassword_ = credentials->password;
  auto ice = IceServer::create(t->iceUfrag_, t->icePassword_, t->callbacks_.get());
  if (!ice) {
    if (error) *error = "cannot create the ICE server";
    return nullptr;
  }
  t->ice_ = std::make_unique<IceServer>(std::move(*ice));
  for (size_t i = 0; i < options.listenIps.size(); ++i) {
    const auto& listen = options.listenIps[i];
    UdpSocket* socket = nullptr;
    if (listen.mux != nullptr) {
      // Another transport's ufrag on this port would take our checks: refuse rather than share.
      if (!listen.mux->addUsernameFragment(t->iceUfrag_, *t)) {
        if (error) *error = "ICE ufrag already in use on the shared port";
        return nullptr;
      }
      socket = &listen.mux->socket();
    } else {
      // Datagrams only arrive from the loop, after sockets_ holds this socket at index i.
      auto own = UdpSocket::bind(
          loop, listen.ip, options.minPort, options.maxPort,
          [tp = t.get(), i](std::span<uint8_t> d, const SocketAddress& from) {
            tp->onDatagram(*tp->sockets_[i], d, from);
          },
          error);
      if (!own) return nullptr;
      own->setSendBatcher(options.sendBatcher);
      own->setReceiveArena(options.receiveArena);
      socket = own.get();
      t->ownSockets_.push_back(std::move(own));
    }
    IceCandidate c;
    c.foundation = "udp" + std::to_string(i);
    c.priority = hostPriority(i);
    c.address = listen.announcedAddress.empty() ? listen.ip : listen.announcedAddress;
    c.port = socket->localAddress().port();
    t->candidates_.push_back(std::move(c));
    t->sockets_.push_back(socket);
    t->muxes_.push_back(listen.mux);
  }
  if (t->sockets_.empty()) {
    if (error) *error = "no listen IP";
    return nullptr;
  }
  t->consentTimer_ = std::make_unique<UvTimer>(loop, [tp = t.get()] { tp->onConsentTimer(); });
  t->consentTimer_->start(kConsentCheckIntervalMs, kConsentCheckIntervalMs);
  return t;
}

WebRtcTransport::WebRtcTransport(uv_loop_t* loop,
                                 std::shared_ptr<const DtlsCertificate> certificate,
                                 Listener& listener)
    : loop_(loop),
      certificate_(std::move(certificate)),
      listener_(listener),
      callbacks_(std::make_unique<Callbacks>(*this)) {}

WebRtcTransport::~WebRtcTransport() {
  // close_notify to the peer (RFC 5246 section 7.2.1) while the socket still exists.
  if (dtls_) dtls_->close();
  dtls_.reset();
  if (ice_) ice_->close();
  for (UdpMux* mux : muxes_)
    if (mux != nullptr) mux->remove(*this);
}

IceState WebRtcTransport::iceState() const {
  return ice_->state();
}

std::optional<SocketAddress> WebRtcTransport::selectedTuple() const {
  return ice_->selectedTuple();
}

DtlsFingerprint WebRtcTransport::localFingerprint() const {
  return certificate_->fingerprint();
}

DtlsTransport::State WebRtcTransport::dtlsState() const {
  return dtls_ ? dtls_->state() : DtlsTransport::State::kNew;
}

std::optional<SrtpProfile> WebRtcTransport::srtpProfile() const {
  if (!srtpOut_) return std::nullopt;
  return srtpOut_->profile();
}

bool WebRtcTransport::connect(DtlsTransport::Role role, const DtlsFingerprint& remote,
                              std::string* error) {
  if (dtls_) {
    if (error) *error = "the transport is already connected";
    return false;
  }
  dtls_ = std::make_unique<DtlsTransport>(loop_, certificate_, *callbacks_);
  if (!dtls_->start(role, remote)) {
    if (error) *error = "DTLS did not start: " + dtls_->failureReason();
    return false;
  }
  return true;
}

void WebRtcTransport::restartIce(std::optional<std::string> remoteUfrag) {
  auto credentials = IceServer::generateCredentials();
  if (!credentials) return;
  // Keep the old credentials if the new ones are refused, so the session goes on.
  std::optional<std::string_view> remote;
  if (remoteUfrag) remote = *remoteUfrag;
  // On a shared port the new ufrag must route to us before the peer's first check with it.
  for (UdpMux* mux : muxes_)
    if (mux != nullptr && !mux->addUsernameFragment(credentials->ufrag, *this)) return;
  if (!ice_->restart(credentials->ufrag, credentials->password, remote)) return;
  iceUfrag_ = credentials->ufrag;
  icePassword_ = credentials->password;
}

bool WebRtcTransport::setRemoteIceUsernameFragment(const std::string& ufrag) {
  return ice_->setRemoteUfrag(ufrag);
}

void WebRtcTransport::onDatagram(UdpSocket& socket, std::span<uint8_t> datagram,
                                 const SocketAddress& from) {
  counters_.bytesReceived += datagram.size();
  switch (classifyPacket(datagram)) {
    case PacketKind::kStun:
      return onStun(socket, datagram, from);
    case PacketKind::kDtls:
      // RFC 8842 section 4 / RFC 8445: media and DTLS only from a tuple ICE validated.
      if (!ice_->isKnownTuple(from)) {
        ++counters_.droppedUnknownTuple;
        return;
      }
      if (!dtls_) {
        ++counters_.droppedNotConnected;  // DTLS before the orchestrator connected us
        return;
      }
      dtls_->onPacket(datagram);
      return;
    case PacketKind::kRtp:
    case PacketKind::kRtcp: {
      if (!ice_->isKnownTuple(from)) {
        ++counters_.droppedUnknownTuple;
        return;
      }
      if (!srtpIn_) {
        ++counters_.droppedNotConnected;
        return;
      }
      return onSrtp(datagram, classifyPacket(datagram) == PacketKind::kRtcp);
    }
    case PacketKind::kUnknown:
      ++counters_.droppedUnknownKind;
      return;
  }
}

void WebRtcTransport::onMuxDatagram(UdpSocket& socket, std::span<uint8_t> datagram,
                                    const SocketAddress& from) {
  onDatagram(socket, datagram, from);
}

void WebRtcTransport::onStun(UdpSocket& socket, std::span<uint8_t> datagram,
                             const SocketAddress& from) {
  const uint64_t nowMs = uv_now(loop_);
  const auto result = ice_->onStun(datagram, from, nowMs, std::span(stunResponse_));
  if (!result.validCheck()) ++counters_.droppedStun;
  if (result.responseSize > 0) {
    socket.send(std::span(stunResponse_).first(result.responseSize), from);
  }
  if (!result.validCheck()) return;
  // On a shared port, DTLS and SRTP from this tuple now come to us.
  for (size_t i = 0; i < sockets_.size(); ++i)
    if (sockets_[i] == &socket && muxes_[i] != nullptr) muxes_[i]->addTuple(from, *this);
  if (ice_->selectedTuple() && *ice_->selectedTuple() == from) selectedSocket_ = &socket;
  // Before a pair is nominated, answer on the latest validated one: the controlling agent may
  // start DTLS as soon as a check succeeded (mediasoup and libwebrtc's ICE-lite peers do the
  // same), and waiting for USE-CANDIDATE would stall the handshake until a retransmission.
  unnominatedTuple_ = from;
  unnominatedSocket_ = &socket;
}

void WebRtcTransport::onSrtp(std::span<uint8_t> datagram, bool rtcp) {
  if (rtcp) {
    auto n = srtpIn_->unprotectRtcp(datagram);
    if (!n) return transport::countSrtpDrop(counters_, n.error());
    ++counters_.rtcpReceived;
    listener_.onRtcp(datagram.first(*n));
    return;
  }
  auto n = srtpIn_->unprotectRtp(datagram);
  if (!n) return transport::countSrtpDrop(counters_, n.error());
  rtp::RtpPacket packet;
  if (rtp::RtpPacket::parseInto(datagram.first(*n), datagram.size(), packet)) {
    ++counters_.droppedMalformedRtp;
    return;
  }
  ++counters_.rtpReceived;
  listener_.onRtp(packet);
}

uint64_t WebRtcTransport::queuedSendFailures() const {
  // A shared socket's failures belong to no one transport: the worker counts those.
  uint64_t n = 0;
  for (const auto& socket : ownSockets_)
    n += socket->counters().queuedSendFailures;
  return n;
}

void WebRtcTransport::onConsentTimer() {
  ice_->onTimer(uv_now(loop_));
}

bool WebRtcTransport::sendDatagram(std::span<const uint8_t> datagram) {
  const auto& selected = ice_->selectedTuple();
  const SocketAddress* tuple = selected            ? &*selected
                               : unnominatedTuple_ ? &*unnominatedTuple_
                                                   : nullptr;
  if (tuple == nullptr) {
    ++counters_.sendFailures;
    return false;
  }
  UdpSocket* socket = selected ? selectedSocket_ : unnominatedSocket_;
  if (socket == nullptr) socket = sockets_.front();
  if (!socket->send(datagram, *tuple)) {
    ++counters_.sendFailures;
    return false;
  }
  counters_.bytesSent += datagram.size();
  return true;
}

bool WebRtcTransport::sendRtp(const rtp::RtpPacket& packet) {
  if (!srtpOut_) {
    ++counters_.sendFailures;
    return false;
  }
  std::span<uint8_t> buffer(packet.bytes().data(), packet.capacity());
  auto n = srtpOut_->protectRtp(buffer, packet.size());
  if (!n) {
    ++counters_.sendFailures;
    return false;
  }
  if (!sendDatagram(buffer.first(*n))) return false;
  ++counters_.rtpSent;
  return true;
}

bool WebRtcTransport::sendRtcp(std::span<uint8_t> buffer, size_t length) {
  if (!srtpOut_) {
    ++counters_.sendFailures;
    return false;
  }
  auto n = srtpOut_->protectRtcp(buffer, length);
  if (!n) {
    ++counters_.sendFailures;
    return false;
  }
  if (!sendDatagram(buffer.first(*n))) return false;
  ++counters_.rtcpSent;
  return true;
}

}  // namespace switchyard::transport
