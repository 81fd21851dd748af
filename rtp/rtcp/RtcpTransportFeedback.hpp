#pragma once
// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
// 3.1): RTPFB with FMT 15. After the feedback header come the base sequence number, the packet
// status count, a 24-bit reference time in 64 ms units and a feedback packet count; then packet
// chunks (run length, or status vectors of 1-bit or 2-bit symbols) giving each packet's status,
// then one receive delta per received packet (1 byte unsigned or 2 bytes signed, 250 us ticks).

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

constexpr uint8_t kRtcpTransportFeedbackFmt = 15;
// Feedback header, base sequence number, status count, reference time, feedback packet count.
constexpr size_t kRtcpTransportFeedbackFixedSize = kRtcpFeedbackHeaderSize + 8;
constexpr int64_t kRtcpTccDeltaTickUs = 250;
constexpr int64_t kRtcpTccReferenceTickUs = 64000;
constexpr uint32_t kRtcpTccReferenceTimeMask = 0xFFFFFF;
// The reference time wraps after 2^24 ticks of 64 ms (about 12.4 days).
constexpr int64_t kRtcpTccReferenceWrapUs = (int64_t{1} << 24) * kRtcpTccReferenceTickUs;
constexpr size_t kRtcpTccMaxStatusCount = 0xFFFF;

// One reported transport-wide sequence number.
struct RtcpTransportFeedbackPacket {
  uint16_t sequenceNumber = 0;
  bool received = false;
  // Receive delta from the previous received packet (from the reference time for the first),
  // in 250 us ticks; 0 when not received.
  int16_t deltaTicks = 0;
  // Reference time plus the deltas so far: the arrival time on the feedback sender's clock
  // (modulo the reference time wrap). For a lost packet, the last arrival before it.
  int64_t arrivalTimeUs = 0;
  int64_t deltaUs() const { return int64_t{deltaTicks} * kRtcpTccDeltaTickUs; }
  bool operator==(const RtcpTransportFeedbackPacket&) const = default;
};

// Builder input: a received packet and when it arrived.
struct RtcpTransportFeedbackArrival {
  uint16_t sequenceNumber = 0;
  int64_t arrivalTimeUs = 0;
};

class RtcpTransportFeedback {
 public:
  // Walks every reported packet, lost ones included, in sequence order.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = RtcpTransportFeedbackPacket;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Iterator(const RtcpTransportFeedback& fb, bool atEnd);
    const RtcpTransportFeedbackPacket& operator*() const { return current_; }
    const RtcpTransportFeedbackPacket* operator->() const { return &current_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    // Iterators of the same view compare by how many packets they have left.
    bool operator==(const Iterator& o) const { return remaining_ == o.remaining_; }

   private:
    void load();  // decodes the packet at the current position
    const uint8_t* chunk_ = nullptr;
    const uint8_t* delta_ = nullptr;
    size_t remaining_ = 0;
    size_t symbol_ = 0;  // index within the current chunk
    RtcpTransportFeedbackPacket current_;
  };

  struct BuildParams {
    uint32_t senderSsrc = 0;
    uint32_t mediaSsrc = 0;
    uint8_t feedbackPacketCount = 0;
    // First sequence number reported; the ones before the first arrival are reported lost.
    // Default: the first arrival's.
    std::optional<uint16_t> baseSequenceNumber;
    // Reference time (rounded down to 64 ms) on the arrivals' clock. Default: the first
    // arrival's time.
    std::optional<int64_t> referenceTimeUs;
    // Received packets in increasing sequence order (wrapping at 2^16); gaps are reported lost.
    std::span<const RtcpTransportFeedbackArrival> arrivals;
  };
  struct BuildResult {
    size_t size = 0;          // bytes written, 0 on failure
    size_t arrivalCount = 0;  // leading arrivals reported; the rest go in the next feedback
  };

  // `packet` is exactly one transport-cc feedback. Every chunk and delta is checked to lie
  // inside the packet here, so iterating the view afterwards needs no checks.
  static Parsed<RtcpTransportFeedback> parse(std::span<const uint8_t> packet);

  // Encodes as many leading arrivals as fit in `out` (and in one RTCP packet), choosing the
  // chunk kinds greedily as libwebrtc does, and pads to 32 bits with the P bit. An arrival
  // that is not after the previous one, whose delta does not fit 16 bits or that would exceed
  // the status count ends the feedback early. Allocates nothing.
  static BuildResult build(const BuildParams& params, std::span<uint8_t> out);

  // Signed distance from reference time `from` to `to` (24-bit fields) in microseconds,
  // taking the shorter way around the wrap.
  static int64_t referenceTimeDeltaUs(uint32_t from, uint32_t to);

  uint32_t senderSsrc() const;
  uint32_t mediaSsrc() const;
  uint16_t baseSequenceNumber() const;
  uint16_t packetStatusCount() const;
  uint32_t referenceTime() const;  // 24 bits, 64 ms units
  int64_t referenceTimeUs() const { return int64_t{referenceTime()} * kRtcpTccReferenceTickUs; }
  uint8_t feedbackPacketCount() const;
  size_t receivedCount() const { return receivedCount_; }

  Iterator begin() const { return Iterator(*this, false); }
  Iterator end() const { return Iterator(*this, true); }
  // Decodes the first min(out.size(), packetStatusCount()) packets into `out`; returns how many.
  size_t decode(std::span<RtcpTransportFeedbackPacket> out) const;

 private:
  std::span<const uint8_t> payload_;
  size_t deltasOffset_ = 0;  // in the payload, after the last chunk
  size_t receivedCount_ = 0;
};

}  // namespace switchyard::rtp
