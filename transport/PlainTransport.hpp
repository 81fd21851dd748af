#pragma once
// A plain RTP/RTCP transport: media on a UDP port with no ICE or DTLS, for tools such as
// ffmpeg and GStreamer and for benchmarks. RTP and RTCP share the port (rtcp-mux, RFC 5761) or
// RTCP has a port of its own. The peer's address is given (connect) or, with comedia, learned
// from the first packet that arrives (and authenticates, with SRTP). Optional SRTP with keys
// given over the control channel: ours are generated here and announced; the peer's come with
// connect. Datagrams from any other address, before connect, or failing SRTP are dropped and
// counted.

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "transport/MediaTransport.hpp"
#include "transport/SocketAddress.hpp"
#include "transport/SrtpParameters.hpp"
#include "transport/SrtpSession.hpp"
#include "transport/UdpMux.hpp"
#include "transport/UdpSocket.hpp"

namespace switchyard::transport {

class PlainTransport final : public MediaTransport, private UdpMux::Endpoint {
 public:
  class Listener : public MediaTransport::Listener {
   public:
    // The peer's address became known from its first packet (comedia). rtcp: on the RTCP
    // port, when RTCP has its own.
    virtual void onTupleLearned(const SocketAddress& remote, bool rtcp) = 0;
  };

  struct Listen {
    std::string ip;
    std::string announcedAddress;  // empty: announce ip
    uint16_t port = 0;             // 0: from the port range
    // The worker's shared socket for ip, to use instead of one of the transport's own (null:
    // bind one). Needs rtcp-mux and a remote address (no comedia); it must outlive the
    // transport.
    UdpMux* mux = nullptr;
  };

  struct Options {
    Listen listen;
    std::optional<Listen> rtcpListen;  // absent: rtcp-mux
    bool comedia = false;
    std::optional<SrtpProfile> srtp;  // absent: plain RTP
    uint16_t minPort = 10000;
    uint16_t maxPort = 59999;
    // The worker loop's send batcher (null: every datagram is sent at once).
    UdpSendBatcher* sendBatcher = nullptr;
    // The worker loop's shared receive arena (null: each socket reads into its own buffer).
    UdpReceiveArena* receiveArena = nullptr;
  };

  struct Counters {
    uint64_t rtpReceived = 0;
    uint64_t rtcpReceived = 0;
    uint64_t rtpSent = 0;
    uint64_t rtcpSent = 0;
    uint64_t bytesReceived = 0;
    uint64_t bytesSent = 0;
    uint64_t droppedUnknownKind = 0;   // neither RTP nor RTCP (RFC 5761 section 4)
    uint64_t droppedUnknownTuple = 0;  // from an address other than the peer's
    uint64_t droppedNotConnected = 0;  // before connect (and, with comedia, before its keys)
    uint64_t droppedSrtpAuth = 0;
    uint64_t droppedSrtpReplay = 0;
    uint64_t droppedSrtpOther = 0;
    uint64_t droppedMalformedRtp = 0;
    uint64_t sendFailures = 0;  // no peer address yet, protect failed or socket refused
  };

  static std::unique_ptr<PlainTransport> create(uv_loop_t* loop, const Options& options,
                                                Listener& listener, std::string* error);
  ~PlainTransport() override;
  PlainTransport(const PlainTransport&) = delete;
  PlainTransport& operator=(const PlainTransport&) = delete;

  // The peer's address (rtcpPort 0: RTCP goes to the RTP address, as with rtcp-mux) and, with
  // SRTP, its key for what it sends. With comedia the address is optional (learned instead).
  // False with a reason when already connected, the port is 0, no RTCP port can follow the
  // RTP one (65535 without rtcp-mux and rtcpPort), or the SRTP key is missing, not wanted or of
  // the wrong profile.
  bool connect(const std::optional<SocketAddress>& remote, uint16_t rtcpPort,
               const std::optional<SrtpParameters>& remoteSrtp, std::string* error);

  bool canSend() const override;
  bool sendRtp(const rtp::RtpPacket& packet) override;
  bool sendRtcp(std::span<uint8_t> buffer, size_t length) override;
  uint64_t queuedSendFailures() const override;

  bool connected() const { return connected_; }
  bool comedia() const { return comedia_; }
  bool rtcpMux() const { return rtcpSocket_ == nullptr; }
  const SocketAddress& localAddress() const { return socket_->localAddress(); }
  const std::string& announcedAddress() const { return announced_; }
  // The RTCP socket's address (its own port, or the RTP one with rtcp-mux).
  const SocketAddress& localRtcpAddress() const;
  const std::optional<SocketAddress>& remote() const { return remote_; }
  const std::optional<SocketAddress>& remoteRtcp() const { return remoteRtcp_; }
  // Our SRTP key (what we send with), to announce; nullopt without SRTP.
  const std::optional<SrtpParameters>& localSrtp() const { return localSrtp_; }
  const Counters& counters() const { return counters_; }

 private:
  PlainTransport(Listener& listener, bool comedia);
  void onDatagram(std::span<uint8_t> datagram, const SocketAddress& from, bool rtcpSocket);
  void onMuxDatagram(UdpSocket& socket, std::span<uint8_t> datagram,
                     const SocketAddress& from) override;
  bool sendDatagram(std::span<const uint8_t> datagram, bool rtcp);

  Listener& listener_;
  bool comedia_;
  bool connected_ = false;
  std::string announced_;
  UdpSocket* socket_ = nullptr;  // ownSocket_, or the shared one of mux_
  std::unique_ptr<UdpSocket> ownSocket_;
  UdpMux* mux_ = nullptr;
  std::unique_ptr<UdpSocket> rtcpSocket_;  // null with rtcp-mux
  std::optional<SocketAddress> remote_;
  std::optional<SocketAddress> remoteRtcp_;
  std::optional<SrtpParameters> localSrtp_;
  std::unique_ptr<SrtpSession> srtpIn_;
  std::unique_ptr<SrtpSession> srtpOut_;
  Counters counters_;
};

}  // namespace switchyard::transport
