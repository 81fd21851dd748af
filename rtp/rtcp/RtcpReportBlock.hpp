#pragma once
// One reception report block (RFC 3550 6.4.1), as carried by SR and RR packets, and a view over
// a run of them inside a packet.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

constexpr size_t kRtcpReportBlockSize = 24;
// The cumulative number of packets lost is a signed 24-bit field (RFC 3550 6.4.1 and A.3:
// duplicates can make it negative).
constexpr int32_t kRtcpMaxCumulativeLost = 0x7FFFFF;
constexpr int32_t kRtcpMinCumulativeLost = -0x800000;

struct RtcpReportBlock {
  uint32_t ssrc = 0;
  uint8_t fractionLost = 0;  // fixed point, /256
  int32_t cumulativeLost = 0;
  uint32_t extendedHighestSequence = 0;
  uint32_t jitter = 0;                      // RTP timestamp units
  uint32_t lastSenderReport = 0;            // middle 32 bits of the last SR's NTP timestamp
  uint32_t delaySinceLastSenderReport = 0;  // units of 1/65536 s

  // Reads the block at the start of `bytes` (at least kRtcpReportBlockSize bytes).
  static Parsed<RtcpReportBlock> parse(std::span<const uint8_t> bytes);
  // Writes kRtcpReportBlockSize bytes; cumulativeLost is clamped to 24 bits. Returns the size
  // written, or 0 when `out` is too small.
  size_t write(std::span<uint8_t> out) const;

  bool operator==(const RtcpReportBlock&) const = default;
};

// Report blocks laid end to end, as validated by the packet that holds them.
class RtcpReportBlockList {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = RtcpReportBlock;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Iterator(const uint8_t* p) : p_(p) {}  // NOLINT
    RtcpReportBlock operator*() const;
    Iterator& operator++() {
      p_ += kRtcpReportBlockSize;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator&) const = default;

   private:
    const uint8_t* p_ = nullptr;
  };

  RtcpReportBlockList() = default;
  // `bytes` holds exactly size() blocks.
  explicit RtcpReportBlockList(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t size() const { return bytes_.size() / kRtcpReportBlockSize; }
  bool empty() const { return bytes_.empty(); }
  RtcpReportBlock operator[](size_t i) const { return *Iterator(blockAt(i)); }
  Iterator begin() const { return Iterator(bytes_.data()); }
  Iterator end() const { return Iterator(bytes_.data() + size() * kRtcpReportBlockSize); }

 private:
  const uint8_t* blockAt(size_t i) const { return bytes_.data() + i * kRtcpReportBlockSize; }
  std::span<const uint8_t> bytes_;
};

}  // namespace switchyard::rtp
