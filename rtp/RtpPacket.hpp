#pragma once
// An RTP packet (RFC 3550 section 5.1) as a view over a caller-owned, mutable buffer. Parsing
// validates the layout and indexes the RFC 8285 header extension elements once, so that field
// reads and extension lookups afterwards are a few loads. Fixed header fields are rewritten in
// place; extension elements can be added or removed while the buffer's capacity allows, moving
// the payload within the buffer. Nothing here allocates.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/ByteIo.hpp"
#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

class RtpPacket {
 public:
  static constexpr size_t kFixedHeaderSize = 12;
  static constexpr uint8_t kVersion = 2;
  static constexpr size_t kCsrcSize = 4;
  // UDP and RFC 4571 framing both cap a packet at 16 bits of length; offsets are kept in 16 bits.
  static constexpr size_t kMaxPacketSize = 65535;
  // RFC 5761 section 4: a second byte in 192..223 is an RTCP packet type, not marker + RTP PT.
  static constexpr uint8_t kRtcpTypeFirst = 192;
  static constexpr uint8_t kRtcpTypeLast = 223;
  // RFC 3550 section 5.3.1 header extension: 16-bit profile word, 16-bit length in 32-bit words.
  static constexpr size_t kExtensionHeaderSize = 4;
  // RFC 8285 section 4.2 (one-byte form) and 4.3 (two-byte form, low 4 bits are "appbits").
  static constexpr uint16_t kOneByteProfile = 0xBEDE;
  static constexpr uint16_t kTwoByteProfile = 0x1000;
  static constexpr uint16_t kTwoByteProfileMask = 0xFFF0;
  static constexpr uint8_t kOneByteMaxId = 14;
  static constexpr uint8_t kOneByteStopId = 15;
  static constexpr size_t kOneByteMaxLength = 16;
  static constexpr size_t kTwoByteMaxLength = 255;
  // Elements indexed per packet. One-byte ids allow at most 14 distinct elements; a two-byte
  // block with more is rejected as kUnsupported rather than indexed partially.
  static constexpr size_t kMaxExtensionElements = 16;

  enum class ExtensionForm : uint8_t {
    kNone,     // no header extension block (X bit clear)
    kOneByte,  // RFC 8285 one-byte elements
    kTwoByte,  // RFC 8285 two-byte elements
    kOther,    // a block of another profile: kept as opaque bytes, no elements
  };

  // One indexed element, in wire order.
  struct ExtensionElement {
    uint8_t id;
    std::span<uint8_t> value;
  };

  // The CSRC list, read in network order on access.
  class Csrcs {
   public:
    explicit Csrcs(std::span<const uint8_t> bytes) : bytes_(bytes) {}
    size_t size() const { return bytes_.size() / kCsrcSize; }
    bool empty() const { return bytes_.empty(); }
    uint32_t operator[](size_t i) const { return readU32(bytes_.data() + i * kCsrcSize); }

   private:
    std::span<const uint8_t> bytes_;
  };

  // Copies view the same buffer. Only the indexed slots are copied: this is what keeps
  // returning a parsed packet by value cheap.
  RtpPacket(const RtpPacket& other) noexcept { copyFrom(other); }
  RtpPacket& operator=(const RtpPacket& other) noexcept {
    copyFrom(other);
    return *this;
  }

  // Validates bytes as one RTP packet. capacity is how many bytes the buffer starting at
  // bytes.data() holds (>= bytes.size()); extension edits may grow the packet up to it.
  static Parsed<RtpPacket> parse(std::span<uint8_t> bytes, size_t capacity);
  static Parsed<RtpPacket> parse(std::span<uint8_t> bytes) { return parse(bytes, bytes.size()); }
  // The same validation, written into an existing packet: what a receive path that keeps one
  // RtpPacket per pooled buffer calls, since it skips copying the index out of a result. On
  // error `out` is left empty (size 0) and must not be read.
  static std::optional<ParseError> parseInto(std::span<uint8_t> bytes, size_t capacity,
                                             RtpPacket& out);

  // An empty packet (no bytes): only parseInto and assignment may be applied to it.
  RtpPacket() {}  // NOLINT: leaves elements_ unwritten on purpose

  // Writes a 12-byte header followed by payload into buffer (no CSRCs, extensions or padding).
  static std::optional<RtpPacket> build(std::span<uint8_t> buffer, uint8_t payloadType,
                                        uint16_t sequenceNumber, uint32_t timestamp, uint32_t ssrc,
                                        std::span<const uint8_t> payload);

  // Copies the packet's bytes into buffer and returns a packet over the copy with the same
  // index, without parsing again (slot offsets are relative to the packet start). nullopt when
  // buffer is smaller than the packet; the copy's capacity is buffer.size().
  std::optional<RtpPacket> cloneInto(std::span<uint8_t> buffer) const;

  // Fixed header (RFC 3550 section 5.1).
  bool marker() const { return (data_[1] & 0x80) != 0; }
  uint8_t payloadType() const { return data_[1] & 0x7F; }
  uint16_t sequenceNumber() const { return readU16(data_ + 2); }
  uint32_t timestamp() const { return readU32(data_ + 4); }
  uint32_t ssrc() const { return readU32(data_ + 8); }
  size_t csrcCount() const { return data_[0] & 0x0F; }
  uint32_t csrc(size_t i) const { return readU32(data_ + kFixedHeaderSize + i * kCsrcSize); }
  Csrcs csrcs() const { return Csrcs({data_ + kFixedHeaderSize, csrcCount() * kCsrcSize}); }

  // In-place rewrites. setPayloadType keeps the low 7 bits; the caller keeps marker + type out
  // of the RTCP range if the packet must parse again as RTP.
  void setMarker(bool marker) {
    data_[1] = static_cast<uint8_t>((data_[1] & 0x7F) | (marker ? 0x80 : 0));
  }
  void setPayloadType(uint8_t payloadType) {
    data_[1] = static_cast<uint8_t>((data_[1] & 0x80) | (payloadType & 0x7F));
  }
  void setSequenceNumber(uint16_t sequenceNumber) { writeU16(data_ + 2, sequenceNumber); }
  void setTimestamp(uint32_t timestamp) { writeU32(data_ + 4, timestamp); }
  void setSsrc(uint32_t ssrc) { writeU32(data_ + 8, ssrc); }

  // Layout. headerSize covers the fixed header, CSRCs and the extension block.
  std::span<uint8_t> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t headerSize() const { return headerSize_; }
  std::span<uint8_t> payload() const {
    return {data_ + headerSize_, static_cast<size_t>(size_ - headerSize_ - paddingSize_)};
  }
  size_t paddingSize() const { return paddingSize_; }
  std::span<uint8_t> padding() const { return {data_ + size_ - paddingSize_, paddingSize_}; }

  // Header extension block (RFC 3550 section 5.3.1, RFC 8285).
  ExtensionForm extensionForm() const { return form_; }
  bool hasExtensionBlock() const { return form_ != ExtensionForm::kNone; }
  uint16_t extensionProfile() const;
  // The block's data after its 4-byte header (elements and padding); empty without a block.
  std::span<uint8_t> extensionBlock() const;

  size_t extensionCount() const { return extensionCount_; }
  ExtensionElement extensionAt(size_t i) const {
    const Slot& s = elements_[i];
    return {s.id(), {data_ + s.offset(), s.length()}};
  }
  bool hasExtension(uint8_t id) const { return findSlot(id) != nullptr; }
  // The value of element id, or nullopt when absent (a present value may be empty in the
  // two-byte form). The span is writable: same-length rewrites need no call back here.
  std::optional<std::span<uint8_t>> extension(uint8_t id) const {
    const Slot* s = findSlot(id);
    if (s == nullptr) return std::nullopt;
    return std::span<uint8_t>(data_ + s->offset(), s->length());
  }
  // Overwrites element id in place; false when absent or of another length.
  bool writeExtension(uint8_t id, std::span<const uint8_t> value);
  // Sets element id to value: in place when the length matches, otherwise by rewriting the
  // block (one-byte form when every element fits it, two-byte otherwise) and moving the
  // payload. False, with the packet untouched, when the capacity, the element limit, the id
  // (0) or the length (> 255) does not allow it, or the block has a foreign profile.
  bool setExtension(uint8_t id, std::span<const uint8_t> value);
  // Like setExtension but leaves the value for the caller to write: returns the element's
  // bytes (zeroed when newly placed, kept when the length already matched).
  std::optional<std::span<uint8_t>> reserveExtension(uint8_t id, size_t length);
  // Removes element id, shrinking the block (and dropping it when it empties). False when
  // absent.
  bool removeExtension(uint8_t id);

 private:
  // One indexed element: value offset from the packet start (16 bits; 0 never names a value),
  // id and length packed in one word, so that it is written and copied as one 32-bit move.
  class Slot {
   public:
    Slot() = default;  // unwritten: only the first extensionCount_ slots are meaningful
    constexpr Slot(size_t offset, uint8_t id, size_t length)
        : bits_(static_cast<uint32_t>(offset) | uint32_t{id} << 16 |
                static_cast<uint32_t>(length) << 24) {}
    static Slot fromBits(uint32_t bits) {
      Slot s;
      s.bits_ = bits;
      return s;
    }
    constexpr uint32_t bits() const { return bits_; }
    size_t offset() const { return bits_ & 0xFFFF; }
    uint8_t id() const { return static_cast<uint8_t>(bits_ >> 16); }
    size_t length() const { return bits_ >> 24; }

   private:
    uint32_t bits_;
  };

  // The id -> slot table packs a 4-bit slot index per id 0..15 into one word, plus a presence
  // bit per id: built in registers while parsing and stored once.
  static constexpr int kSlotIndexBits = 4;
  static constexpr uint64_t kSlotIndexMask = 0xF;
  static_assert(kMaxExtensionElements <= kSlotIndexMask + 1, "slot indexes are 4 bits");

  struct OneByteHeader;
  static constexpr std::array<OneByteHeader, 256> makeOneByteHeaders();
  static const std::array<OneByteHeader, 256> kOneByteHeaders;

  void copyFrom(const RtpPacket& other) {
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    headerSize_ = other.headerSize_;
    paddingSize_ = other.paddingSize_;
    form_ = other.form_;
    extensionCount_ = other.extensionCount_;
    slotIndex_ = other.slotIndex_;
    slotPresent_ = other.slotPresent_;
    copySlots(other);
  }
  // Copies the written slots one by one, each as the 32-bit store that wrote it: a wider copy
  // of a just-parsed packet would wait on those narrower stores (a store-forwarding stall) and
  // cost more than the rest of the parse. One jump into straight-line copies.
  void copySlots(const RtpPacket& other) {
    static_assert(kMaxExtensionElements == 16, "one case per slot");
    const Slot* from = other.elements_.data();
    Slot* to = elements_.data();
    // clang-format off
    switch (other.extensionCount_) {
      case 16: to[15] = from[15]; [[fallthrough]];
      case 15: to[14] = from[14]; [[fallthrough]];
      case 14: to[13] = from[13]; [[fallthrough]];
      case 13: to[12] = from[12]; [[fallthrough]];
      case 12: to[11] = from[11]; [[fallthrough]];
      case 11: to[10] = from[10]; [[fallthrough]];
      case 10: to[9] = from[9]; [[fallthrough]];
      case 9: to[8] = from[8]; [[fallthrough]];
      case 8: to[7] = from[7]; [[fallthrough]];
      case 7: to[6] = from[6]; [[fallthrough]];
      case 6: to[5] = from[5]; [[fallthrough]];
      case 5: to[4] = from[4]; [[fallthrough]];
      case 4: to[3] = from[3]; [[fallthrough]];
      case 3: to[2] = from[2]; [[fallthrough]];
      case 2: to[1] = from[1]; [[fallthrough]];
      case 1: to[0] = from[0]; [[fallthrough]];
      default: break;
    }
    // clang-format on
  }
  const Slot* findSlot(uint8_t id) const {
    if (id <= kOneByteMaxId) {
      if (((slotPresent_ >> id) & 1) == 0) return nullptr;
      return &elements_[(slotIndex_ >> (kSlotIndexBits * id)) & kSlotIndexMask];
    }
    for (size_t i = 0; i < extensionCount_; ++i) {
      if (elements_[i].id() == id) return &elements_[i];
    }
    return nullptr;
  }
  size_t extensionStart() const { return kFixedHeaderSize + csrcCount() * kCsrcSize; }
  // Indexes the elements of the block at start (== extensionStart()); returns the verdict.
  std::optional<ParseError> indexExtensions(size_t start, size_t blockDataSize);
  bool rewriteExtensions(uint8_t removeId, uint8_t addId, size_t addLength,
                         std::span<uint8_t>* added);

  // Only the first extensionCount_ slots are ever written or read; the rest stays unwritten
  // so that parsing does not clear 64 bytes per packet, and copies move only written chunks.
  std::array<Slot, kMaxExtensionElements> elements_;
  // Ids 1..14 (every one-byte id, and what WebRTC negotiates) map straight to a slot; larger
  // two-byte ids are found by scanning at most kMaxExtensionElements slots.
  uint64_t slotIndex_ = 0;
  uint8_t* data_ = nullptr;
  uint16_t slotPresent_ = 0;
  uint16_t size_ = 0;
  uint16_t capacity_ = 0;
  uint16_t headerSize_ = 0;
  uint8_t paddingSize_ = 0;
  ExtensionForm form_ = ExtensionForm::kNone;
  uint8_t extensionCount_ = 0;
};

}  // namespace switchyard::rtp
