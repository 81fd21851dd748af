#include "bench/LoadReceiver.hpp"

#include "bench/LoadPacketLayout.hpp"
#include "transport/PacketKind.hpp"

namespace switchyard::bench {

LoadReceiver::LoadReceiver(int fd, uint16_t localPort, std::unique_ptr<transport::SrtpSession> srtp,
                           const LoadReceiverOptions& options)
    : fd_(fd),
      localPort_(localPort),
      srtp_(std::move(srtp)),
      options_(options),
      latency_(std::make_unique<LatencyHistogram>()),
      kernelLatency_(std::make_unique<LatencyHistogram>()) {
  if (options_.decryptEvery == 0) options_.decryptEvery = 1;
}

LoadReceiver::~LoadReceiver() = default;

void LoadReceiver::onDatagram(std::span<uint8_t> datagram, int64_t nowNs, int64_t kernelNs) {
  ++counters_.datagrams;
  switch (transport::classifyPacket(datagram)) {
    case transport::PacketKind::kRtp:
      break;
    case transport::PacketKind::kRtcp:
      ++counters_.rtcpPackets;
      return;
    case transport::PacketKind::kStun:
      ++counters_.stunPackets;
      return;
    case transport::PacketKind::kDtls:
      ++counters_.dtlsPackets;
      return;
    case transport::PacketKind::kUnknown:
      ++counters_.otherDatagrams;
      return;
  }
  if (datagram.size() < LoadPacketLayout::kRtpHeaderSize) {
    ++counters_.otherDatagrams;
    return;
  }
  const uint8_t payloadType = datagram[1] & 0x7f;
  const bool video = payloadType == options_.videoPayloadType;
  if (!video && payloadType != options_.audioPayloadType) {
    ++counters_.otherDatagrams;
    return;
  }
  SequenceTracker& tracker = video ? video_ : audio_;
  ++counters_.rtpPackets;
  counters_.rtpBytes += datagram.size();
  if (nowNs >= steadyFromNs_ && nowNs < steadyToNs_) ++counters_.steadyPackets;

  const uint64_t seenBefore = tracker.received();
  if (!options_.lossFromCounter) {
    tracker.onSequence16(static_cast<uint16_t>((datagram[2] << 8) | datagram[3]));
  }
  if (!options_.readPayload) return;
  bool timed = true;
  if (srtp_ != nullptr) {
    // Only the regular sample is timed: the first packets, unprotected to check the keys at
    // once, carry the run's start-up and would weigh decryptEvery times as much as the rest.
    timed = counters_.rtpPackets % options_.decryptEvery == 0;
    if (!timed && seenBefore >= kAlwaysDecryptFirst) return;
    ++counters_.decryptAttempts;
    auto length = srtp_->unprotectRtp(datagram);
    if (!length) {
      ++counters_.decryptFailures;
      return;
    }
    datagram = datagram.first(*length);
  }
  readPayload(datagram, video, tracker, timed ? nowNs : -1, timed ? kernelNs : -1);
}

void LoadReceiver::readPayload(std::span<uint8_t> packet, bool video, SequenceTracker& tracker,
                               int64_t nowNs, int64_t kernelNs) {
  auto offset = LoadPacketLayout::rtpPayloadOffset(packet);
  std::optional<LoadPayloadHeader> header;
  if (offset) header = LoadPacketLayout::readHeader(packet.subspan(*offset), video);
  if (!header) {
    ++counters_.unreadable;
    return;
  }
  if (options_.lossFromCounter) tracker.onCounter32(header->counter);
  const auto record = [&](LatencyHistogram& h, int64_t atNs) {
    const int64_t latencyNs = atNs - static_cast<int64_t>(header->sendNs);
    h.record(latencyNs > 0 ? static_cast<uint64_t>(latencyNs / kNsPerUs) : 0);
  };
  if (nowNs >= 0) record(*latency_, nowNs);
  if (kernelNs >= 0) record(*kernelLatency_, kernelNs);
}

}  // namespace switchyard::bench
