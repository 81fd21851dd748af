#include "bench/WebRtcPeer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "bench/MediaLoop.hpp"
#include "control/sdp/WebRtcSessionDescription.hpp"
#include "transport/PacketKind.hpp"
#include "transport/SocketAddress.hpp"

namespace switchyard::bench {

namespace {

constexpr double kNsPerMs = 1e6;
constexpr const char* kCname = "switchyard-bench-load";
constexpr const char* kMsidStream = "switchyard-bench-load";

std::string randomToken() {
  uint64_t v = 0;
  RAND_bytes(reinterpret_cast<uint8_t*>(&v), sizeof v);
  return std::to_string(v >> 1);  // SDP's sess-id fits a signed 64-bit integer
}

}  // namespace

std::unique_ptr<WebRtcPeer> WebRtcPeer::create(uv_loop_t* loop, Config config, std::string* error) {
  auto credentials = transport::IceServer::generateCredentials();
  if (!credentials) {
    *error = "could not generate ICE credentials";
    return nullptr;
  }
  auto local = transport::SocketAddress::fromIp(config.listenIp, 0);
  if (!local) {
    *error = "bad --listen address " + config.listenIp;
    return nullptr;
  }
  UniqueFd fd(
      socket(local->isV4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid() || bind(fd.get(), local->sockaddrPtr(), local->sockaddrLength()) != 0) {
    *error = "bind " + config.listenIp + ": " + std::strerror(errno);
    return nullptr;
  }
  if (config.receiveBufferBytes > 0) {
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &config.receiveBufferBytes,
               sizeof config.receiveBufferBytes);
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length);
  auto address =
      transport::SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&bound), length);
  const uint16_t port = address ? address->port() : 0;
  return std::unique_ptr<WebRtcPeer>(
      new WebRtcPeer(loop, std::move(config), std::move(fd), port, std::move(*credentials)));
}

WebRtcPeer::WebRtcPeer(uv_loop_t* loop, Config config, UniqueFd fd, uint16_t localPort,
                       transport::IceCredentials credentials)
    : loop_(loop),
      config_(std::move(config)),
      fd_(std::move(fd)),
      localPort_(localPort),
      local_(std::move(credentials)),
      checkTimer_(loop, [this] { onCheckTimer(); }) {
  RAND_bytes(reinterpret_cast<uint8_t*>(&tieBreaker_), sizeof tieBreaker_);
  transport::DtlsTransport::Options options;
  if (!config_.srtpProfiles.empty()) options.srtpProfiles = config_.srtpProfiles;
  dtls_ = std::make_unique<transport::DtlsTransport>(loop_, config_.certificate, *this, options);
}

WebRtcPeer::~WebRtcPeer() {
  dtls_.reset();
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }
}

const char* WebRtcPeer::stateName(State state) {
  switch (state) {
    case State::kNew:
      return "new";
    case State::kChecking:
      return "checking";
    case State::kDtls:
      return "dtls";
    case State::kConnected:
      return "connected";
    case State::kFailed:
      return "failed";
  }
  return "?";
}

std::string WebRtcPeer::offer() const {
  const bool publisher = config_.role == Role::kPublisher;
  std::string mids;
  std::vector<bool> sections;  // true: video
  if (config_.video) sections.push_back(true);
  if (config_.audio) sections.push_back(false);
  for (size_t i = 0; i < sections.size(); ++i) {
    mids.append(" ").append(std::to_string(i));
  }

  std::string sdp;
  sdp += "v=0\r\n";
  sdp += "o=- " + randomToken() + " 2 IN IP4 127.0.0.1\r\n";
  sdp += "s=-\r\nt=0 0\r\n";
  sdp += "a=group:BUNDLE" + mids + "\r\n";
  sdp += "a=msid-semantic: WMS " + std::string(kMsidStream) + "\r\n";
  for (size_t i = 0; i < sections.size(); ++i) {
    const bool video = sections[i];
    const unsigned pt = video ? config_.videoPayloadType : config_.audioPayloadType;
    sdp += std::string("m=") + (video ? "video" : "audio") + " " + std::to_string(localPort_) +
           " UDP/TLS/RTP/SAVPF " + std::to_string(pt) + "\r\n";
    sdp += "c=IN IP4 " + config_.listenIp + "\r\n";
    sdp += "a=mid:" + std::to_string(i) + "\r\n";
    sdp += publisher ? "a=sendonly\r\n" : "a=recvonly\r\n";
    sdp += "a=ice-ufrag:" + local_.ufrag + "\r\n";
    sdp += "a=ice-pwd:" + local_.password + "\r\n";
    sdp += "a=fingerprint:" + config_.certificate->fingerprint().format() + "\r\n";
    sdp += "a=setup:actpass\r\n";
    sdp += "a=rtcp-mux\r\na=rtcp-rsize\r\n";
    if (video) {
      sdp += "a=rtpmap:" + std::to_string(pt) + " VP8/90000\r\n";
      sdp += "a=rtcp-fb:" + std::to_string(pt) + " nack pli\r\n";
      sdp += "a=rtcp-fb:" + std::to_string(pt) + " ccm fir\r\n";
    } else {
      sdp += "a=rtpmap:" + std::to_string(pt) + " opus/48000/2\r\n";
      sdp += "a=fmtp:" + std::to_string(pt) + " minptime=10;useinbandfec=1\r\n";
    }
    if (publisher) {
      const uint32_t ssrc = video ? config_.videoSsrc : config_.audioSsrc;
      const std::string track = video ? "video" : "audio";
      sdp += "a=msid:" + std::string(kMsidStream) + " " + track + "\r\n";
      sdp += "a=ssrc:" + std::to_string(ssrc) + " cname:" + kCname + "\r\n";
    }
    if (i == 0) {
      sdp += "a=candidate:1 1 udp " + std::to_string(kHostPriority) + " " + config_.listenIp + " " +
             std::to_string(localPort_) + " typ host\r\n";
      sdp += "a=end-of-candidates\r\n";
    }
  }
  return sdp;
}

bool WebRtcPeer::applyAnswer(std::string_view answer, std::string* error) {
  auto parsed = control::sdp::WebRtcSessionDescription::parse(answer);
  if (!parsed) {
    *error = "unreadable SDP answer: " + parsed.error().toString();
    return false;
  }
  const size_t offered = (config_.video ? 1 : 0) + (config_.audio ? 1 : 0);
  if (parsed->media.size() != offered) {
    *error = "the answer has " + std::to_string(parsed->media.size()) + " sections, we offered " +
             std::to_string(offered);
    return false;
  }
  std::optional<control::sdp::IceCandidate> candidate;
  std::optional<control::sdp::DtlsSetup> setup;
  for (const auto& m : parsed->media) {
    const bool video = m.kind == control::sdp::MediaKind::kVideo;
    const uint8_t pt = video ? config_.videoPayloadType : config_.audioPayloadType;
    if (m.rejected()) {
      *error = "the server rejected the " + m.media + " section";
      return false;
    }
    if (m.codecs.empty() || m.codecs[0].payloadType != pt) {
      *error = "the server answered the " + m.media + " section without payload type " +
               std::to_string(pt);
      return false;
    }
    if (remoteUfrag_.empty() && !m.ice.ufrag.empty()) {
      remoteUfrag_ = m.ice.ufrag;
      remotePassword_ = m.ice.pwd;
    }
    if (!remoteFingerprint_ && !m.fingerprints.empty()) {
      auto f = transport::DtlsFingerprint::parse(m.fingerprints[0].algorithm + " " +
                                                 m.fingerprints[0].value);
      if (f) remoteFingerprint_ = *f;
    }
    if (!setup) setup = m.setup;
    for (const auto& c : m.candidates) {
      if (!candidate && c.isUdp() && c.component == 1) candidate = c;
    }
  }
  if (remoteUfrag_.empty() || remotePassword_.empty()) {
    *error = "the answer has no ICE credentials";
    return false;
  }
  if (!remoteFingerprint_) {
    *error = "the answer has no usable fingerprint";
    return false;
  }
  if (!candidate) {
    *error = "the answer has no UDP candidate";
    return false;
  }
  dtlsRole_ = setup == control::sdp::DtlsSetup::kActive ? transport::DtlsTransport::Role::kServer
                                                        : transport::DtlsTransport::Role::kClient;
  remoteKey_ = transport::StunKey::fromPassword(remotePassword_);
  if (!remoteKey_) {
    *error = "could not set up HMAC-SHA1 for the ICE password";
    return false;
  }
  checkUsername_ = remoteUfrag_ + ":" + local_.ufrag;  // RFC 8445 section 7.2.2
  auto remote = transport::SocketAddress::fromIp(candidate->address, candidate->port);
  if (!remote) {
    *error = "the answer's candidate is not an IP address: " + candidate->address;
    return false;
  }
  if (connect(fd_.get(), remote->sockaddrPtr(), remote->sockaddrLength()) != 0) {
    *error = "connect to " + remote->toString() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void WebRtcPeer::start() {
  poll_ = new uv_poll_t;
  uv_poll_init(loop_, poll_, fd_.get());
  poll_->data = this;
  uv_poll_start(poll_, UV_READABLE, &WebRtcPeer::onPollCallback);
  RAND_bytes(transactionId_.data(), static_cast<int>(transactionId_.size()));
  state_ = State::kChecking;
  checkStartNs_ = monotonicNs();
  sendCheck(false);
  checkTimer_.start(kCheckIntervalMs, kCheckIntervalMs);
}

void WebRtcPeer::stopPolling() {
  checkTimer_.stop();
  if (poll_ != nullptr) uv_poll_stop(poll_);
}

void WebRtcPeer::sendCheck(bool /*retransmission: same transaction, RFC 5389 section 7.2.1*/) {
  transport::StunBindingRequestParams params;
  params.transactionId = transactionId_;
  params.username = checkUsername_;
  params.priority = kCheckPriority;
  params.role = transport::IceRole::kControlling;
  params.tieBreaker = tieBreaker_;
  params.useCandidate = true;  // aggressive nomination: the server has one candidate
  const size_t n = transport::buildStunBindingRequest(stunBuffer_, params, *remoteKey_);
  if (n == 0 || send(fd_.get(), stunBuffer_.data(), n, 0) < 0) {
    // A refused send (ICMP unreachable on a connected socket) is retried by the timer.
  }
}

void WebRtcPeer::sendConsentCheck() {
  if (state_ != State::kConnected) return;
  RAND_bytes(transactionId_.data(), static_cast<int>(transactionId_.size()));
  sendCheck(false);
}

void WebRtcPeer::onCheckTimer() {
  if (state_ != State::kChecking) {
    checkTimer_.stop();
    return;
  }
  if (static_cast<double>(monotonicNs() - checkStartNs_) / kNsPerMs > kIceTimeoutMs) {
    fail("ICE: no answer to " + std::to_string(kIceTimeoutMs / kCheckIntervalMs) +
         " connectivity checks");
    return;
  }
  sendCheck(true);
}

void WebRtcPeer::onPollCallback(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<WebRtcPeer*>(handle->data);
  if (status < 0) {
    self->fail(std::string("poll: ") + uv_strerror(status));
    return;
  }
  self->onReadable();
}

void WebRtcPeer::onReadable() {
  for (;;) {
    const ssize_t n = recv(fd_.get(), receiveBuffer_.data(), receiveBuffer_.size(), 0);
    if (n < 0) return;  // EAGAIN; an ICMP error is retried by the check timer
    std::span<const uint8_t> datagram(receiveBuffer_.data(), static_cast<size_t>(n));
    switch (transport::classifyPacket(datagram)) {
      case transport::PacketKind::kStun:
        onStun(datagram);
        break;
      case transport::PacketKind::kDtls:
        dtls_->onPacket(datagram);
        break;
      default:
        break;  // RTCP before our media starts: nothing to do with it yet
    }
    if (state_ == State::kFailed) return;
  }
}

void WebRtcPeer::onStun(std::span<const uint8_t> datagram) {
  if (state_ != State::kChecking) return;  // a late answer to a retransmission
  auto m = transport::StunMessage::parse(datagram);
  if (!m || m->transactionId() != transactionId_ || !m->verifyFingerprint()) return;
  if (m->messageClass() == transport::StunClass::kError) {
    auto code = m->errorCode();
    fail("ICE: the server answered the check with " +
         (code ? std::to_string(code->code) + " " + std::string(code->reason) : "an error"));
    return;
  }
  if (m->messageClass() != transport::StunClass::kSuccess ||
      !m->verifyMessageIntegrity(*remoteKey_)) {
    return;
  }
  checkTimer_.stop();
  const int64_t now = monotonicNs();
  timings_.iceMs = static_cast<double>(now - checkStartNs_) / kNsPerMs;
  state_ = State::kDtls;
  dtlsStartNs_ = now;
  if (!dtls_->start(dtlsRole_, *remoteFingerprint_)) {
    fail("DTLS: " + dtls_->failureReason());
  }
}

void WebRtcPeer::onDtlsSend(std::span<const uint8_t> datagram) {
  send(fd_.get(), datagram.data(), datagram.size(), 0);  // a lost flight is retransmitted
}

void WebRtcPeer::onDtlsStateChange(transport::DtlsTransport::State state) {
  if (state == transport::DtlsTransport::State::kConnected) {
    timings_.dtlsMs = static_cast<double>(monotonicNs() - dtlsStartNs_) / kNsPerMs;
    state_ = State::kConnected;
  } else if (state == transport::DtlsTransport::State::kFailed ||
             (state == transport::DtlsTransport::State::kClosed && state_ != State::kConnected)) {
    fail("DTLS: " + dtls_->failureReason());
  }
}

void WebRtcPeer::onDtlsConnected(transport::SrtpProfile profile, std::span<const uint8_t> local,
                                 std::span<const uint8_t> remote) {
  profile_ = profile;
  localKeySalt_.assign(local.begin(), local.end());
  remoteKeySalt_.assign(remote.begin(), remote.end());
}

std::unique_ptr<transport::SrtpSession> WebRtcPeer::makeSrtpSession(
    transport::SrtpSession::Direction direction, std::string* error) const {
  const auto& keys =
      direction == transport::SrtpSession::Direction::kOutbound ? localKeySalt_ : remoteKeySalt_;
  auto created = transport::SrtpSession::create(direction, profile_, keys);
  if (!created) {
    *error = std::string("SRTP session: ") + transport::srtpErrorName(created.error());
    return nullptr;
  }
  return std::move(*created);
}

void WebRtcPeer::fail(std::string reason) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  failure_ = std::move(reason);
  checkTimer_.stop();
}

}  // namespace switchyard::bench
