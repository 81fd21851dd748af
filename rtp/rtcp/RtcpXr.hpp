#pragma once
// Extended reports, XR (RFC 3611): the sender's SSRC, then report blocks each with a
// (type, type-specific, length) header. RRTR (4.4) and DLRR (4.5) are decoded; other blocks are
// walked over by their length.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

constexpr uint8_t kRtcpXrBlockRrtr = 4;
constexpr uint8_t kRtcpXrBlockDlrr = 5;
constexpr size_t kRtcpXrBlockHeaderSize = 4;
// RFC 3611 4.4: block length 2, a 64-bit NTP timestamp.
constexpr size_t kRtcpXrRrtrBodySize = 8;
// RFC 3611 4.5: SSRC, last RR, delay since last RR.
constexpr size_t kRtcpXrDlrrItemSize = 12;

struct RtcpXrDlrrItem {
  uint32_t ssrc = 0;
  uint32_t lastRr = 0;            // middle 32 bits of the RRTR's NTP timestamp
  uint32_t delaySinceLastRr = 0;  // units of 1/65536 s
  bool operator==(const RtcpXrDlrrItem&) const = default;
};

class RtcpXr {
 public:
  // One validated report block.
  class Block {
   public:
    explicit Block(const uint8_t* p) : p_(p) {}
    uint8_t type() const { return p_[0]; }
    uint8_t typeSpecific() const { return p_[1]; }
    std::span<const uint8_t> body() const;  // after the block header
    // RRTR only: the NTP timestamp.
    uint64_t ntpTimestamp() const;
    // DLRR only: the sub-blocks.
    size_t dlrrCount() const { return body().size() / kRtcpXrDlrrItemSize; }
    RtcpXrDlrrItem dlrr(size_t i) const;

   private:
    const uint8_t* p_;
  };

  class BlockIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Block;
    using difference_type = std::ptrdiff_t;
    BlockIterator() = default;
    explicit BlockIterator(const uint8_t* p) : p_(p) {}
    Block operator*() const { return Block(p_); }
    BlockIterator& operator++();
    BlockIterator operator++(int) {
      BlockIterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const BlockIterator&) const = default;

   private:
    const uint8_t* p_ = nullptr;
  };

  // `packet` is exactly one XR packet. Every block length is checked here.
  static Parsed<RtcpXr> parse(std::span<const uint8_t> packet);
  // Writes an XR with an RRTR block when `rrtrNtp` is set and a DLRR block when `dlrr` is not
  // empty. Returns the bytes written, or 0 when it does not fit or cannot be encoded.
  static size_t build(uint32_t senderSsrc, std::optional<uint64_t> rrtrNtp,
                      std::span<const RtcpXrDlrrItem> dlrr, std::span<uint8_t> out);

  uint32_t senderSsrc() const;
  BlockIterator begin() const { return BlockIterator(payload_.data() + 4); }
  BlockIterator end() const { return BlockIterator(payload_.data() + payload_.size()); }
  // The first block of `type`, if any.
  std::optional<Block> find(uint8_t type) const;

 private:
  std::span<const uint8_t> payload_;
};

}  // namespace switchyard::rtp
