#pragma once
// One receiving side of the load generator (one fan-out output): a UDP socket and what arrived
// on it. Every RTP packet is counted from its clear header (payload type picks the stream, the
// sequence number feeds loss, duplicate and reordering accounting); the payload is read for the
// LoadPayloadHeader (send time -> latency, counter) when it can be: always in plain mode, and
// with SRTP only on a sample (the first kAlwaysDecryptFirst packets of each stream, then every
// decryptEvery-th packet), because unprotecting every copy would cost the load tool more than
// the forwarder under test. Latency is recorded for every decryptEvery-th packet only, so that
// the sample weighs each copy alike. Driven by MediaLoop on one thread; no allocation per
// packet.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "bench/LatencyHistogram.hpp"
#include "bench/SequenceTracker.hpp"
#include "transport/SrtpSession.hpp"

namespace switchyard::bench {

struct LoadReceiverOptions {
  uint8_t videoPayloadType = 96;
  uint8_t audioPayloadType = 111;
  // False: count from RTP headers only, never look at payloads (--no-decrypt; a forwarder
  // whose encryption we cannot undo).
  bool readPayload = true;
  // With SRTP: unprotect every decryptEvery-th RTP packet (1 = all).
  unsigned decryptEvery = 16;
  // Loss, duplicates and reordering from the LoadPayloadHeader counter instead of the RTP
  // sequence number: only meaningful when every packet's payload is read.
  bool lossFromCounter = false;
};

class LoadReceiver {
 public:
  static constexpr uint64_t kAlwaysDecryptFirst = 4;  // per stream
  static constexpr int64_t kNsPerUs = 1000;

  struct Counters {
    uint64_t datagrams = 0;
    uint64_t rtpPackets = 0;  // media packets of a known payload type
    uint64_t rtpBytes = 0;    // their UDP payload bytes
    uint64_t rtcpPackets = 0;
    uint64_t stunPackets = 0;
    uint64_t dtlsPackets = 0;
    uint64_t otherDatagrams = 0;  // not RTP/RTCP/STUN/DTLS, or an unknown payload type
    uint64_t decryptAttempts = 0;
    uint64_t decryptFailures = 0;
    uint64_t unreadable = 0;  // payload read but no LoadPayloadHeader found
    // Media packets that arrived inside the steady window (setSteadyWindow).
    uint64_t steadyPackets = 0;
  };

  // `fd` stays its owner's (the receiver only reads it). `srtp` (inbound) may be null: then
  // payloads are read in the clear.
  LoadReceiver(int fd, uint16_t localPort, std::unique_ptr<transport::SrtpSession> srtp,
               const LoadReceiverOptions& options);
  ~LoadReceiver();
  LoadReceiver(const LoadReceiver&) = delete;
  LoadReceiver& operator=(const LoadReceiver&) = delete;

  // The part of the run (CLOCK_MONOTONIC) whose arrivals count as steadyPackets: the egress
  // rate there is the forwarder's throughput, free of the start-up and of a backlog forwarded
  // after the sender stopped.
  void setSteadyWindow(int64_t fromNs, int64_t toNs) {
    steadyFromNs_ = fromNs;
    steadyToNs_ = toNs;
  }

  // One datagram as read from the socket at nowNs, which the kernel received at kernelNs
  // (CLOCK_MONOTONIC; -1: unknown); SRTP is undone in place.
  void onDatagram(std::span<uint8_t> datagram, int64_t nowNs, int64_t kernelNs = -1);

  int fd() const { return fd_; }
  uint16_t localPort() const { return localPort_; }
  const Counters& counters() const { return counters_; }
  const SequenceTracker& video() const { return video_; }
  const SequenceTracker& audio() const { return audio_; }
  // Send time to reading (what an application sees), and send time to the kernel's receive
  // stamp (the forwarder's delay without the reader's).
  const LatencyHistogram& latency() const { return *latency_; }
  const LatencyHistogram& kernelLatency() const { return *kernelLatency_; }

 private:
  // nowNs, kernelNs: -1 leaves the packet out of that latency histogram.
  void readPayload(std::span<uint8_t> packet, bool video, SequenceTracker& tracker, int64_t nowNs,
                   int64_t kernelNs);

  int fd_;
  uint16_t localPort_;
  std::unique_ptr<transport::SrtpSession> srtp_;
  LoadReceiverOptions options_;
  int64_t steadyFromNs_ = 0;
  int64_t steadyToNs_ = 0;
  Counters counters_;
  SequenceTracker video_;
  SequenceTracker audio_;
  std::unique_ptr<LatencyHistogram> latency_;  // ~8 KiB: on the heap, once
  std::unique_ptr<LatencyHistogram> kernelLatency_;
};

}  // namespace switchyard::bench
