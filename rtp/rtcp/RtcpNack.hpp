#pragma once
// Generic NACK (RFC 4585 6.2.1): RTPFB with FMT 1 whose FCI is a list of (PID, BLP) items; each
// reports packet PID lost and, per set bit i of BLP, packet PID + i + 1 lost as well.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

constexpr uint8_t kRtcpNackFmt = 1;
constexpr size_t kRtcpNackItemSize = 4;
// BLP covers the 16 packets after PID.
constexpr uint16_t kRtcpNackBitmaskSpan = 16;

struct RtcpNackItem {
  uint16_t packetId = 0;
  uint16_t lostBitmask = 0;
  bool operator==(const RtcpNackItem&) const = default;
};

class RtcpNack {
 public:
  // Walks every lost sequence number of every item, in item order.
  class LostIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = uint16_t;
    using difference_type = std::ptrdiff_t;
    LostIterator() = default;
    LostIterator(const uint8_t* p, const uint8_t* end);
    uint16_t operator*() const { return static_cast<uint16_t>(readPid() + bit_); }
    LostIterator& operator++();
    LostIterator operator++(int) {
      LostIterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const LostIterator& o) const { return p_ == o.p_ && bit_ == o.bit_; }

   private:
    uint16_t readPid() const;
    void settle();  // moves to the next reported packet at or after the current position
    const uint8_t* p_ = nullptr;
    const uint8_t* end_ = nullptr;
    uint8_t bit_ = 0;  // 0: PID itself, i + 1: BLP bit i
  };
  struct LostRange {
    LostIterator first, last;
    LostIterator begin() const { return first; }
    LostIterator end() const { return last; }
  };

  // `packet` is exactly one generic NACK. The view refers into it.
  static Parsed<RtcpNack> parse(std::span<const uint8_t> packet);

  // Writes a NACK of the given items (at least one). Returns the bytes written, or 0 when it
  // does not fit or cannot be encoded.
  static size_t build(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<const RtcpNackItem> items,
                      std::span<uint8_t> out);
  // Writes a NACK for `lost`, sequence numbers in increasing RTP order (wrapping at 2^16): each
  // goes into the current item's BLP when within 16 of its PID, else starts a new item.
  // Duplicates are reported once. Returns the bytes written, or 0 when `lost` is empty or the
  // NACK does not fit.
  static size_t buildFromSequenceNumbers(uint32_t senderSsrc, uint32_t mediaSsrc,
                                         std::span<const uint16_t> lost, std::span<uint8_t> out);
  // The number of items buildFromSequenceNumbers() would write for `lost`.
  static size_t itemCountFor(std::span<const uint16_t> lost);

  uint32_t senderSsrc() const;
  uint32_t mediaSsrc() const;
  size_t itemCount() const { return (payload_.size() - 8) / kRtcpNackItemSize; }
  RtcpNackItem item(size_t i) const;
  LostRange lost() const;
  // Writes the lost sequence numbers to `out`, as many as fit; returns how many were written.
  size_t lostSequenceNumbers(std::span<uint16_t> out) const;

 private:
  std::span<const uint8_t> payload_;
};

}  // namespace switchyard::rtp
