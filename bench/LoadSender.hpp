#pragma once
// The load generator's sending side: takes what MediaSource says is due, protects it with SRTP
// when there is an outbound session, and hands it to the kernel with sendmmsg in batches of up to
// kBatch. A datagram the kernel refuses is counted and dropped (a real-time sender does not
// queue). It also reads what comes back on its socket: RTCP keyframe requests (PLI, FIR) make the
// next video frame a keyframe. Driven by MediaLoop on one thread; no allocation per packet.

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bench/MediaSource.hpp"
#include "transport/SrtpSession.hpp"

namespace switchyard::bench {

class LoadSender {
 public:
  static constexpr size_t kBatch = 64;  // datagrams per sendmmsg
  static constexpr size_t kBufferSize =
      MediaSource::kMaxPacketSize + transport::SrtpSession::kMaxTrailer;
  static constexpr size_t kReceiveBufferSize = 2048;

  struct Counters {
    uint64_t produced = 0;      // packets MediaSource wrote
    uint64_t sent = 0;          // accepted by the kernel
    uint64_t sentBytes = 0;     // UDP payload bytes accepted (SRTP trailers included)
    uint64_t sendFailures = 0;  // refused by the kernel (EAGAIN, ENOBUFS, ECONNREFUSED...)
    uint64_t protectFailures = 0;
    uint64_t sendCalls = 0;
    uint64_t steadySent = 0;    // sent inside the steady window (setSteadyWindow)
    uint64_t rtcpPackets = 0;   // RTCP compounds received
    uint64_t rtcpFailures = 0;  // SRTCP that did not unprotect
    uint64_t pliReceived = 0;
    uint64_t firReceived = 0;
    uint64_t otherReceived = 0;
  };

  // `destination` null: the socket is connected. `outbound` protects RTP, `inbound` unprotects
  // the SRTCP that comes back; either may be null (then RTP goes out and RTCP is read in clear).
  LoadSender(int fd, const sockaddr_storage* destination, socklen_t destinationLength,
             MediaSource& source, transport::SrtpSession* outbound,
             transport::SrtpSession* inbound);

  // Packets sent in [fromNs, toNs) count as steadySent (see LoadReceiver::setSteadyWindow).
  void setSteadyWindow(int64_t fromNs, int64_t toNs) {
    steadyFromNs_ = fromNs;
    steadyToNs_ = toNs;
  }

  int64_t nextDueNs() const { return source_.nextDueNs(); }
  // Sends everything due at nowNs.
  void sendDue(int64_t nowNs);
  // Reads and handles what is waiting on the socket.
  void onReadable(int64_t nowNs);

  int fd() const { return fd_; }
  const Counters& counters() const { return counters_; }

 private:
  void onRtcp(std::span<const uint8_t> compound, int64_t nowNs);

  int fd_;
  std::optional<sockaddr_storage> destination_;
  socklen_t destinationLength_;
  MediaSource& source_;
  transport::SrtpSession* outbound_;
  transport::SrtpSession* inbound_;
  int64_t steadyFromNs_ = 0;
  int64_t steadyToNs_ = 0;
  Counters counters_;

  std::vector<std::array<uint8_t, kBufferSize>> buffers_;
  std::array<std::span<uint8_t>, kBatch> spans_{};
  std::array<size_t, kBatch> lengths_{};
  std::array<iovec, kBatch> iov_{};
  std::array<mmsghdr, kBatch> messages_{};
  std::array<uint8_t, kReceiveBufferSize> receiveBuffer_{};
};

}  // namespace switchyard::bench
