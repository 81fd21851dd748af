#pragma once
// A WebRTC transport: one UDP socket per listen IP carrying ICE-lite (STUN), DTLS and SRTP/SRTCP
// on one port (RFC 7983, RFC 8843 BUNDLE, RFC 5761 rtcp-mux). Received media is decrypted in
// place and handed to the listener parsed; media to send is encrypted in place in the caller's
// buffer (which has room for the SRTP trailer) and sent to the selected ICE tuple. Bad traffic
// (garbage, unauthenticated STUN, DTLS or SRTP from an address ICE did not validate, SRTP that
// fails authentication or replay checks) is dropped and counted; it never changes the state of
// an established session.

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/RtpPacket.hpp"
#include "transport/DtlsCertificate.hpp"
#include "transport/DtlsFingerprint.hpp"
#include "transport/DtlsTransport.hpp"
#include "transport/IceServer.hpp"
#include "transport/MediaTransport.hpp"
#include "transport/SocketAddress.hpp"
#include "transport/SrtpSession.hpp"
#include "transport/UdpMux.hpp"
#include "transport/UdpSocket.hpp"
#include "transport/UvTimer.hpp"

namespace switchyard::transport {

struct IceCandidate {
  std::string foundation;
  uint32_t priority = 0;
  std::string address;  // the announced address if one is configured, else the bound IP
  uint16_t port = 0;
};

class WebRtcTransport final : public MediaTransport, private UdpMux::Endpoint {
 public:
  class Listener : public MediaTransport::Listener {
   public:
    virtual void onIceStateChange(IceState state) = 0;
    virtual void onIceSelectedTupleChange(const SocketAddress& tuple) = 0;
    virtual void onDtlsStateChange(DtlsTransport::State state, std::string_view detail) = 0;
  };

  struct ListenIp {
    std::string ip;
    std::string announcedAddress;  // empty: announce ip
    // The worker's shared socket for ip, to use instead of a socket of the transport's own
    // (null: bind one from the port range). It must outlive the transport.
    UdpMux* mux = nullptr;
  };

  struct Options {
    std::vector<ListenIp> listenIps;
    uint16_t minPort = 10000;
    uint16_t maxPort = 59999;
    // The worker loop's send batcher (null: every datagram is sent at once).
    UdpSendBatcher* sendBatcher = nullptr;
    // The worker loop's shared receive arena (null: each socket reads into its own buffer).
    UdpReceiveArena* receiveArena = nullptr;
  };

  // Datagrams dropped, by cause: the per-transport counters of stats.
  struct Counters {
    uint64_t rtpReceived = 0;
    uint64_t rtcpReceived = 0;
    uint64_t rtpSent = 0;
    uint64_t rtcpSent = 0;
    uint64_t bytesReceived = 0;
    uint64_t bytesSent = 0;
    uint64_t droppedUnknownKind = 0;   // not STUN, DTLS, RTP or RTCP (RFC 7983)
    uint64_t droppedStun = 0;          // rejected by ICE (bad credentials, malformed)
    uint64_t droppedUnknownTuple = 0;  // DTLS/RTP/RTCP from an address ICE did not validate
    uint64_t droppedNotConnected = 0;  // RTP/RTCP before DTLS-SRTP keys exist
    uint64_t droppedSrtpAuth = 0;      // SRTP/SRTCP authentication failed
    uint64_t droppedSrtpReplay = 0;    // replayed or too old
    uint64_t droppedSrtpOther = 0;
    uint64_t droppedMalformedRtp = 0;  // decrypted but not a valid RTP packet
    uint64_t sendFailures = 0;         // no selected tuple, protect failed or socket refused
  };

  static std::unique_ptr<WebRtcTransport> create(uv_loop_t* loop,
                                                 std::shared_ptr<const DtlsCertificate> certificate,
                                                 const Options& options, Listener& listener,
                                                 std::string* error);
  ~WebRtcTransport() override;
  WebRtcTransport(const WebRtcTransport&) = delete;
  WebRtcTransport& operator=(const WebRtcTransport&) = delete;

  const std::string& iceUsernameFragment() const { return iceUfrag_; }
  const std::string& icePassword() const { return icePassword_; }
  const std::vector<IceCandidate>& iceCandidates() const { return candidates_; }
  IceState iceState() const;
  std::optional<SocketAddress> selectedTuple() const;
  DtlsFingerprint localFingerprint() const;
  DtlsTransport::State dtlsState() const;

  // Starts DTLS with the remote parameters from its SDP. role is our role. False (with error)
  // when already connected or the fingerprint is unusable.
  bool connect(DtlsTransport::Role role, const DtlsFingerprint& remote, std::string* error);
  // ICE restart: new local credentials; the session keeps running on the old tuple until a
  // check with the new credentials arrives.
  // remoteUfrag: the peer's new ufrag from its restart offer, when it gave one.
  void restartIce(std::optional<std::string> remoteUfrag = std::nullopt);
  // Sets the expected remote ufrag (from the offer), so only that peer's checks are accepted.
  // False when it is not a valid ufrag (RFC 8839 section 5.4).
  bool setRemoteIceUsernameFragment(const std::string& ufrag);

  // MediaTransport: SRTP to the selected tuple, once DTLS has given the keys.
  bool canSend() const override { return srtpOut_ != nullptr; }
  bool sendRtp(const rtp::RtpPacket& packet) override;
  bool sendRtcp(std::span<uint8_t> buffer, size_t length) override;
  uint64_t queuedSendFailures() const override;

  bool srtpReady() const { return srtpOut_ != nullptr; }
  const Counters& counters() const { return counters_; }
  std::optional<SrtpProfile> srtpProfile() const;

 private:
  class Callbacks;
  WebRtcTransport(uv_loop_t* loop, std::shared_ptr<const DtlsCertificate> certificate,
                  Listener& listener);
  void onDatagram(UdpSocket& socket, std::span<uint8_t> datagram, const SocketAddress& from);
  void onMuxDatagram(UdpSocket& socket, std::span<uint8_t> datagram,
                     const SocketAddress& from) override;
  void onStun(UdpSocket& socket, std::span<uint8_t> datagram, const SocketAddress& from);
  void onSrtp(std::span<uint8_t> datagram, bool rtcp);
  void onConsentTimer();
  bool sendDatagram(std::span<const uint8_t> datagram);

  uv_loop_t* loop_;
  std::shared_ptr<const DtlsCertificate> certificate_;
  Listener& listener_;
  std::unique_ptr<Callbacks> callbacks_;
  // One socket per listen IP: the transport's own, or a shared one (muxes_[i] not null).
  std::vector<UdpSocket*> sockets_;
  std::vector<UdpMux*> muxes_;
  std::vector<std::unique_ptr<UdpSocket>> ownSockets_;
  std::vector<IceCandidate> candidates_;
  std::string iceUfrag_;
  std::string icePassword_;
  std::unique_ptr<IceServer> ice_;
  std::unique_ptr<DtlsTransport> dtls_;
  std::unique_ptr<SrtpSession> srtpIn_;
  std::unique_ptr<SrtpSession> srtpOut_;
  UdpSocket* selectedSocket_ = nullptr;  // the socket the selected tuple reached us on
  // The latest tuple with a valid check, used until one is nominated.
  std::optional<SocketAddress> unnominatedTuple_;
  UdpSocket* unnominatedSocket_ = nullptr;
  std::unique_ptr<UvTimer> consentTimer_;
  std::array<uint8_t, 1500> stunResponse_{};
  Counters counters_;
};

}  // namespace switchyard::transport
