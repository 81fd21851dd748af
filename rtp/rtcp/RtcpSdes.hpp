#pragma once
// Source description, SDES (RFC 3550 6.5): chunks of an SSRC/CSRC followed by (type, length,
// text) items, each chunk ended by a null octet and zero-padded to a 32-bit boundary.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

// Item types, RFC 3550 6.5.
constexpr uint8_t kRtcpSdesEnd = 0;
constexpr uint8_t kRtcpSdesCname = 1;
constexpr uint8_t kRtcpSdesName = 2;
constexpr uint8_t kRtcpSdesEmail = 3;
constexpr uint8_t kRtcpSdesPhone = 4;
constexpr uint8_t kRtcpSdesLoc = 5;
constexpr uint8_t kRtcpSdesTool = 6;
constexpr uint8_t kRtcpSdesNote = 7;
constexpr uint8_t kRtcpSdesPriv = 8;
// The item length is one octet.
constexpr size_t kRtcpSdesMaxTextSize = 255;

struct RtcpSdesItem {
  uint8_t type = 0;
  std::string_view text;  // raw octets (UTF-8 by RFC 3550, not checked)
  bool operator==(const RtcpSdesItem&) const = default;
};

// Builder input: one chunk's SSRC/CSRC and its items.
struct RtcpSdesChunk {
  uint32_t ssrc = 0;
  std::span<const RtcpSdesItem> items;
};

class RtcpSdes {
 public:
  class ItemIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = RtcpSdesItem;
    using difference_type = std::ptrdiff_t;
    ItemIterator() = default;
    explicit ItemIterator(const uint8_t* p) : p_(p) {}
    RtcpSdesItem operator*() const;
    ItemIterator& operator++();
    ItemIterator operator++(int) {
      ItemIterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const ItemIterator&) const = default;

   private:
    const uint8_t* p_ = nullptr;  // at an item's type octet, or at the end octet
  };

  // One validated chunk.
  class Chunk {
   public:
    explicit Chunk(const uint8_t* p) : p_(p) {}
    uint32_t ssrc() const;
    ItemIterator begin() const { return ItemIterator(p_ + 4); }
    ItemIterator end() const;
    // The first item of `type`, if any.
    std::optional<std::string_view> find(uint8_t type) const;
    std::optional<std::string_view> cname() const { return find(kRtcpSdesCname); }

   private:
    const uint8_t* p_;
  };

  class ChunkIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Chunk;
    using difference_type = std::ptrdiff_t;
    ChunkIterator() = default;
    explicit ChunkIterator(const uint8_t* p) : p_(p) {}
    Chunk operator*() const { return Chunk(p_); }
    ChunkIterator& operator++();
    ChunkIterator operator++(int) {
      ChunkIterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const ChunkIterator&) const = default;

   private:
    const uint8_t* p_ = nullptr;
  };

  // `packet` is exactly one SDES packet. Every chunk and item length is checked here, so
  // iterating the view afterwards stays inside the packet.
  static Parsed<RtcpSdes> parse(std::span<const uint8_t> packet);

  // Writes an SDES packet of up to kRtcpMaxCount chunks. Item types must be non-zero and texts
  // at most kRtcpSdesMaxTextSize. Returns the bytes written, or 0 when it does not fit or
  // cannot be encoded.
  static size_t build(std::span<const RtcpSdesChunk> chunks, std::span<uint8_t> out);
  // The usual case: a single chunk holding a CNAME (RFC 3550 6.5.1).
  static size_t buildCname(uint32_t ssrc, std::string_view cname, std::span<uint8_t> out);

  size_t chunkCount() const { return chunkCount_; }
  ChunkIterator begin() const { return ChunkIterator(payload_.data()); }
  ChunkIterator end() const { return ChunkIterator(payload_.data() + payload_.size()); }

 private:
  std::span<const uint8_t> payload_;
  size_t chunkCount_ = 0;
};

}  // namespace switchyard::rtp
