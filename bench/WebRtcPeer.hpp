#pragma once
// One WebRTC endpoint of the load generator against Switchyard's WHIP/WHEP server: a publisher
// (sendonly) or a viewer (recvonly) with one BUNDLE transport. It writes the SDP offer, reads
// the server's answer (control/sdp), then on a libuv loop acts as the controlling full ICE agent
// towards the ICE-lite server (RFC 8445 section 7.2: Binding requests with USERNAME, PRIORITY,
// ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT, retransmitted until answered)
// and runs the DTLS handshake (transport::DtlsTransport, client for setup:passive) whose
// exported keys become the SRTP sessions of the media phase. After that the socket belongs to
// the media loop; sendConsentCheck() keeps ICE consent (RFC 7675) alive from there.

#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/UniqueFd.hpp"
#include "transport/DtlsCertificate.hpp"
#include "transport/DtlsTransport.hpp"
#include "transport/IceServer.hpp"
#include "transport/SrtpSession.hpp"
#include "transport/StunMessage.hpp"
#include "transport/UvTimer.hpp"

namespace switchyard::bench {

class WebRtcPeer : public transport::DtlsTransport::Listener {
 public:
  enum class Role : uint8_t { kPublisher, kViewer };
  enum class State : uint8_t { kNew, kChecking, kDtls, kConnected, kFailed };

  // RFC 8445 section 14: a check is retransmitted on a timer; the server answers at once.
  static constexpr uint64_t kCheckIntervalMs = 50;
  static constexpr uint64_t kIceTimeoutMs = 10'000;
  // RFC 8445 section 5.1.2.1 with the peer-reflexive type preference (what a check carries),
  // local preference 65535, component 1.
  static constexpr uint32_t kCheckPriority = (110u << 24) | (65535u << 8) | (256u - 1);
  static constexpr uint32_t kHostPriority = (126u << 24) | (65535u << 8) | (256u - 1);
  static constexpr size_t kStunBufferSize = 512;
  static constexpr size_t kReceiveBufferSize = 2048;

  struct Config {
    Role role = Role::kViewer;
    std::string listenIp = "127.0.0.1";
    bool video = true;
    bool audio = false;
    uint8_t videoPayloadType = 96;
    uint8_t audioPayloadType = 111;
    uint32_t videoSsrc = 0;  // publisher: the SSRCs it sends (a=ssrc)
    uint32_t audioSsrc = 0;
    std::vector<transport::SrtpProfile> srtpProfiles;  // offered in DTLS, preferred first
    std::shared_ptr<const transport::DtlsCertificate> certificate;
    int receiveBufferBytes = 0;  // SO_RCVBUF; 0 = the kernel's default
  };

  struct Timings {
    double postMs = 0;  // set by the caller: POST to 201
    double iceMs = 0;   // first check to its success response
    double dtlsMs = 0;  // DTLS start to connected
  };

  // Binds a UDP socket on config.listenIp. nullptr with *error on failure.
  static std::unique_ptr<WebRtcPeer> create(uv_loop_t* loop, Config config, std::string* error);
  ~WebRtcPeer() override;
  WebRtcPeer(const WebRtcPeer&) = delete;
  WebRtcPeer& operator=(const WebRtcPeer&) = delete;

  std::string offer() const;
  // Reads the answer: ICE credentials, the first UDP candidate, fingerprint, setup, and checks
  // that every offered section was accepted with our payload types. Connects the socket to the
  // candidate.
  bool applyAnswer(std::string_view answer, std::string* error);
  // Sends the first check and starts polling the socket on the loop.
  void start();
  // Stops polling: the media loop takes the socket.
  void stopPolling();
  // One Binding request on the selected pair, from the media loop (RFC 7675 consent).
  void sendConsentCheck();

  State state() const { return state_; }
  const std::string& failure() const { return failure_; }
  int fd() const { return fd_.get(); }
  uint16_t localPort() const { return localPort_; }
  Role role() const { return config_.role; }
  Timings& timings() { return timings_; }
  const Timings& timings() const { return timings_; }
  std::string location;  // the session URL from the 201, for DELETE

  // After kConnected: the negotiated profile and SRTP sessions from the exported keys.
  transport::SrtpProfile srtpProfile() const { return profile_; }
  std::unique_ptr<transport::SrtpSession> makeSrtpSession(
      transport::SrtpSession::Direction direction, std::string* error) const;

  static const char* stateName(State state);

  // transport::DtlsTransport::Listener
  void onDtlsSend(std::span<const uint8_t> datagram) override;
  void onDtlsStateChange(transport::DtlsTransport::State state) override;
  void onDtlsConnected(transport::SrtpProfile profile, std::span<const uint8_t> local,
                       std::span<const uint8_t> remote) override;
  void onDtlsApplicationData(std::span<const uint8_t>) override {}
  void onDtlsClosed() override {}

 private:
  WebRtcPeer(uv_loop_t* loop, Config config, UniqueFd fd, uint16_t localPort,
             transport::IceCredentials credentials);
  static void onPollCallback(uv_poll_t* handle, int status, int events);
  void onReadable();
  void onStun(std::span<const uint8_t> datagram);
  void sendCheck(bool retransmission);
  void onCheckTimer();
  void fail(std::string reason);

  uv_loop_t* loop_;
  Config config_;
  UniqueFd fd_;
  uint16_t localPort_;
  transport::IceCredentials local_;
  std::string remoteUfrag_;
  std::string remotePassword_;
  std::optional<transport::StunKey> remoteKey_;
  std::string checkUsername_;
  uint64_t tieBreaker_ = 0;
  transport::StunTransactionId transactionId_{};
  std::optional<transport::DtlsFingerprint> remoteFingerprint_;
  transport::DtlsTransport::Role dtlsRole_ = transport::DtlsTransport::Role::kClient;
  std::unique_ptr<transport::DtlsTransport> dtls_;
  transport::UvTimer checkTimer_;
  uv_poll_t* poll_ = nullptr;  // heap: libuv needs it until its close callback
  State state_ = State::kNew;
  std::string failure_;
  Timings timings_;
  int64_t checkStartNs_ = 0;
  int64_t dtlsStartNs_ = 0;
  transport::SrtpProfile profile_ = transport::SrtpProfile::kAeadAes128Gcm;
  std::vector<uint8_t> localKeySalt_;
  std::vector<uint8_t> remoteKeySalt_;
  std::array<uint8_t, kStunBufferSize> stunBuffer_{};
  std::array<uint8_t, kReceiveBufferSize> receiveBuffer_{};
};

}  // namespace switchyard::bench
