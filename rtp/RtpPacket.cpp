#include "rtp/RtpPacket.hpp"

#include <algorithm>
#include <cstring>

namespace switchyard::rtp {

namespace {

constexpr uint8_t kVersionShift = 6;
constexpr uint8_t kPaddingBit = 0x20;
constexpr uint8_t kExtensionBit = 0x10;
constexpr uint8_t kCsrcCountMask = 0x0F;
constexpr size_t kWordSize = 4;
constexpr size_t kOneByteElementHeader = 1;
constexpr size_t kTwoByteElementHeader = 2;
// One-byte element headers (RFC 8285 section 4.2): below 0x10 is id 0 (padding), from 0xF0
// on is id 15 (stop).
constexpr uint8_t kOneByteIdUnit = 0x10;
constexpr uint8_t kOneByteStopByte = 0xF0;

size_t roundUpToWord(size_t n) {
  return (n + kWordSize - 1) / kWordSize * kWordSize;
}

}  // namespace

// What a one-byte element header byte means for the index: the slot's id and length bits (the
// offset is or-ed in), the id's presence bit, and the unit that places a slot number in the id's
// nibble of the slot index. Entries for padding and stop bytes are never read.
struct RtpPacket::OneByteHeader {
  uint64_t slotIndexUnit;
  uint32_t slotBits;
  uint32_t idBit;
};

constexpr std::array<RtpPacket::OneByteHeader, 256> RtpPacket::makeOneByteHeaders() {
  std::array<OneByteHeader, 256> table{};
  for (uint32_t b = kOneByteIdUnit; b < kOneByteStopByte; ++b) {
    const uint8_t id = static_cast<uint8_t>(b >> 4);
    const size_t length = (b & 0x0Fu) + 1;
    table[b] = {uint64_t{1} << (kSlotIndexBits * id), Slot(0, id, length).bits(), 1u << id};
  }
  return table;
}

constinit const std::array<RtpPacket::OneByteHeader, 256> RtpPacket::kOneByteHeaders =
    makeOneByteHeaders();

// Works on locals and stores the index once at the end: the loop then carries no dependency
// through memory. The one-byte walk's critical path is one load and one add per element (the
// next element's position); every check hangs off that path, so a typical Chrome block (5-10
// elements) costs a few ns.
// Inlined into parseInto, its only caller: a call would save and restore six registers.
[[gnu::always_inline]] inline std::optional<ParseError> RtpPacket::indexExtensions(
    size_t start, size_t blockDataSize) {
  const uint8_t* const p = data_;
  const uint16_t profile = readU16(p + start);
  size_t i = start + kExtensionHeaderSize;
  const size_t end = i + blockDataSize;
  size_t count = 0;
  uint64_t slotIndex = 0;
  uint32_t slotPresent = 0;

  if (profile == kOneByteProfile) {
    form_ = ExtensionForm::kOneByte;
    // A pointer walk whose critical path is one load, one mask and one add per element; the
    // rest of an element's bookkeeping comes from one table entry for its header byte.
    const uint8_t* q = p + i;
    const uint8_t* const stop = p + end;
    uint32_t repeated = 0;
    while (q < stop) {
      const uint8_t b = *q;
      // RFC 8285 section 4.2: id 0 is a padding byte; id 15 ends the block.
      if (b < kOneByteIdUnit) {
        ++q;
        continue;
      }
      if (b >= kOneByteStopByte) break;
      const uint8_t* const element = q;
      q = element + (b & 0x0Fu) + kOneByteElementHeader + 1;  // low nibble: length - 1
      if (q > stop) return ParseError::kBadExtension;
      const OneByteHeader& h = kOneByteHeaders[b];
      // Ids repeat only in a malformed block: note it and reject after the loop, so the
      // common path carries no branch for it. With ids 1..14 unique, count stays below 16,
      // and the mask keeps even a malformed block's stores inside the array.
      repeated |= slotPresent & h.idBit;
      slotPresent |= h.idBit;
      elements_[count & kSlotIndexMask] =
          Slot::fromBits(h.slotBits | static_cast<uint32_t>(element + 1 - p));
      slotIndex += count * h.slotIndexUnit;
      ++count;
    }
    if (repeated != 0) return ParseError::kBadExtension;  // one value per id
  } else if ((profile & kTwoByteProfileMask) == kTwoByteProfile) {
    form_ = ExtensionForm::kTwoByte;
    while (i < end) {
      const uint8_t id = p[i];
      // RFC 8285 section 4.3: a zero byte is padding.
      if (id == 0) {
        ++i;
        continue;
      }
      if (i + kTwoByteElementHeader > end) return ParseError::kBadExtension;
      const size_t length = p[i + 1];
      if (i + kTwoByteElementHeader + length > end) return ParseError::kBadExtension;
      bool duplicate = id <= kOneByteMaxId && ((slotPresent >> id) & 1) != 0;
      for (size_t k = 0; id > kOneByteMaxId && k < count; ++k)
        duplicate |= elements_[k].id() == id;
      if (duplicate) return ParseError::kBadExtension;
      if (count == kMaxExtensionElements) return ParseError::kUnsupported;
      elements_[count] = Slot(i + kTwoByteElementHeader, id, length);
      if (id <= kOneByteMaxId) {
        slotPresent |= 1u << id;
        slotIndex |= uint64_t{count} << (kSlotIndexBits * id);
      }
      ++count;
      i += kTwoByteElementHeader + length;
    }
  } else {
    form_ = ExtensionForm::kOther;
  }
  slotIndex_ = slotIndex;
  slotPresent_ = static_cast<uint16_t>(slotPresent);
  extensionCount_ = static_cast<uint8_t>(count);
  return std::nullopt;
}

Parsed<RtpPacket> RtpPacket::parse(std::span<uint8_t> bytes, size_t capacity) {
  RtpPacket packet;
  if (auto error = parseInto(bytes, capacity, packet)) return *error;
  return packet;
}

std::optional<ParseError> RtpPacket::parseInto(std::span<uint8_t> bytes, size_t capacity,
                                               RtpPacket& out) {
  out.size_ = 0;
  out.extensionCount_ = 0;
  out.form_ = ExtensionForm::kNone;
  const size_t size = bytes.size();
  if (size < kFixedHeaderSize) return ParseError::kTooShort;
  if (size > kMaxPacketSize) return ParseError::kUnsupported;
  uint8_t* p = bytes.data();
  if ((p[0] >> kVersionShift) != kVersion) return ParseError::kBadVersion;
  // RFC 5761 section 4: demultiplex RTCP by the second byte.
  if (p[1] >= kRtcpTypeFirst && p[1] <= kRtcpTypeLast) return ParseError::kBadPayloadType;

  size_t header = kFixedHeaderSize + (p[0] & kCsrcCountMask) * kCsrcSize;
  if (header > size) return ParseError::kTooShort;

  out.data_ = p;
  out.paddingSize_ = 0;
  if (p[0] & kExtensionBit) {
    // RFC 3550 section 5.3.1: profile word, then the length in 32-bit words past this header.
    if (header + kExtensionHeaderSize > size) return ParseError::kTooShort;
    const size_t blockData = size_t{readU16(p + header + 2)} * kWordSize;
    const size_t blockEnd = header + kExtensionHeaderSize + blockData;
    if (blockEnd > size) return ParseError::kTooShort;
    if (auto error = out.indexExtensions(header, blockData)) {
      out.extensionCount_ = 0;
      out.form_ = ExtensionForm::kNone;
      return *error;
    }
    header = blockEnd;
  } else {
    out.slotPresent_ = 0;
  }
  if (p[0] & kPaddingBit) {
    // RFC 3550 section 5.1: the last octet counts the padding, itself included.
    const uint8_t count = p[size - 1];
    if (count == 0 || count > size - header) {
      out.extensionCount_ = 0;
      out.form_ = ExtensionForm::kNone;
      return ParseError::kBadPadding;
    }
    out.paddingSize_ = count;
  }
  out.size_ = static_cast<uint16_t>(size);
  out.capacity_ = static_cast<uint16_t>(std::min(std::max(capacity, size), kMaxPacketSize));
  out.headerSize_ = static_cast<uint16_t>(header);
  return std::nullopt;
}

std::optional<RtpPacket> RtpPacket::build(std::span<uint8_t> buffer, uint8_t payloadType,
                                          uint16_t sequenceNumber, uint32_t timestamp,
                                          uint32_t ssrc, std::span<const uint8_t> payload) {
  const size_t size = kFixedHeaderSize + payload.size();
  if (size > buffer.size() || size > kMaxPacketSize) return std::nullopt;
  uint8_t* p = buffer.data();
  p[0] = kVersion << kVersionShift;
  p[1] = payloadType & 0x7F;
  writeU16(p + 2, sequenceNumber);
  writeU32(p + 4, timestamp);
  writeU32(p + 8, ssrc);
  if (!payload.empty()) std::memmove(p + kFixedHeaderSize, payload.data(), payload.size());
  auto parsed = parse(buffer.first(size), buffer.size());
  if (!parsed) return std::nullopt;
  return *parsed;
}

std::optional<RtpPacket> RtpPacket::cloneInto(std::span<uint8_t> buffer) const {
  if (buffer.size() < size_) return std::nullopt;
  std::memcpy(buffer.data(), data_, size_);
  RtpPacket copy(*this);
  copy.data_ = buffer.data();
  copy.capacity_ = static_cast<uint16_t>(std::min(buffer.size(), kMaxPacketSize));
  return copy;
}

uint16_t RtpPacket::extensionProfile() const {
  return form_ == ExtensionForm::kNone ? 0 : readU16(data_ + extensionStart());
}

std::span<uint8_t> RtpPacket::extensionBlock() const {
  if (form_ == ExtensionForm::kNone) return {};
  const size_t dataStart = extensionStart() + kExtensionHeaderSize;
  return {data_ + dataStart, headerSize_ - dataStart};
}

bool RtpPacket::writeExtension(uint8_t id, std::span<const uint8_t> value) {
  const Slot* slot = findSlot(id);
  if (slot == nullptr || slot->length() != value.size()) return false;
  if (!value.empty()) std::memmove(data_ + slot->offset(), value.data(), value.size());
  return true;
}

bool RtpPacket::setExtension(uint8_t id, std::span<const uint8_t> value) {
  if (writeExtension(id, value)) return true;
  if (id == 0 || value.size() > kTwoByteMaxLength) return false;
  // The value may point into this packet, which the rewrite moves.
  std::array<uint8_t, kTwoByteMaxLength> copy;
  std::copy(value.begin(), value.end(), copy.begin());
  auto room = reserveExtension(id, value.size());
  if (!room) return false;
  std::copy_n(copy.begin(), value.size(), room->begin());
  return true;
}

std::optional<std::span<uint8_t>> RtpPacket::reserveExtension(uint8_t id, size_t length) {
  if (id == 0 || length > kTwoByteMaxLength) return std::nullopt;
  const Slot* slot = findSlot(id);
  if (slot != nullptr && slot->length() == length) {
    return std::span<uint8_t>(data_ + slot->offset(), length);
  }
  std::span<uint8_t> added;
  if (!rewriteExtensions(slot != nullptr ? id : 0, id, length, &added)) return std::nullopt;
  return added;
}

bool RtpPacket::removeExtension(uint8_t id) {
  if (id == 0 || findSlot(id) == nullptr) return false;
  return rewriteExtensions(id, 0, 0, nullptr);
}

// Lays the block out anew: kept elements in wire order, then the added one, in the one-byte
// form when all fit it (RFC 8285 section 4.2: ids 1-14, 1-16 bytes), else the two-byte form.
// Values move within the buffer without scratch space: old and new value ranges are each
// ordered and disjoint, so values moving towards the start are copied first-to-last and those
// moving towards the end last-to-first, and no copy overwrites a value not yet moved. Headers
// and padding are written after every value sits in its place.
bool RtpPacket::rewriteExtensions(uint8_t removeId, uint8_t addId, size_t addLength,
                                  std::span<uint8_t>* added) {
  if (form_ == ExtensionForm::kOther) return false;

  struct Move {
    size_t from;  // 0 for the added element
    size_t to;
    uint8_t id;
    uint8_t length;
  };
  std::array<Move, kMaxExtensionElements> moves;
  size_t count = 0;
  bool oneByte = true;
  auto fitsOneByte = [](uint8_t id, size_t length) {
    return id <= kOneByteMaxId && length >= 1 && length <= kOneByteMaxLength;
  };
  for (size_t i = 0; i < extensionCount_; ++i) {
    const Slot& s = elements_[i];
    if (s.id() == removeId) continue;
    moves[count++] = {s.offset(), 0, s.id(), static_cast<uint8_t>(s.length())};
    oneByte = oneByte && fitsOneByte(s.id(), s.length());
  }
  if (addId != 0) {
    if (count == kMaxExtensionElements) return false;
    moves[count++] = {0, 0, addId, static_cast<uint8_t>(addLength)};
    oneByte = oneByte && fitsOneByte(addId, addLength);
  }

  const size_t start = extensionStart();
  const size_t elementHeader = oneByte ? kOneByteElementHeader : kTwoByteElementHeader;
  size_t pos = start + kExtensionHeaderSize;
  for (size_t i = 0; i < count; ++i) {
    pos += elementHeader;
    moves[i].to = pos;
    pos += moves[i].length;
  }
  const size_t valuesEnd = pos;
  const size_t newBlock =
      count == 0 ? 0 : kExtensionHeaderSize + roundUpToWord(pos - start - kExtensionHeaderSize);
  const size_t oldBlock = headerSize_ - start;
  const size_t tail = size_ - headerSize_;  // payload and padding
  const size_t newSize = start + newBlock + tail;
  if (newSize > capacity_) return false;

  uint8_t* p = data_;
  const uint16_t oldProfile = extensionProfile();
  if (newBlock > oldBlock) std::memmove(p + start + newBlock, p + headerSize_, tail);
  for (size_t i = 0; i < count; ++i) {
    const Move& m = moves[i];
    if (m.from != 0 && m.to <= m.from) std::memmove(p + m.to, p + m.from, m.length);
  }
  for (size_t i = count; i-- > 0;) {
    const Move& m = moves[i];
    if (m.from != 0 && m.to > m.from) std::memmove(p + m.to, p + m.from, m.length);
  }
  if (newBlock < oldBlock) std::memmove(p + start + newBlock, p + headerSize_, tail);

  if (count == 0) {
    p[0] &= static_cast<uint8_t>(~kExtensionBit);
    form_ = ExtensionForm::kNone;
  } else {
    p[0] |= kExtensionBit;
    // Keep the appbits of a two-byte block that stays two-byte.
    const uint16_t profile =
        oneByte ? kOneByteProfile
                : (form_ == ExtensionForm::kTwoByte ? oldProfile : kTwoByteProfile);
    writeU16(p + start, profile);
    writeU16(p + start + 2, static_cast<uint16_t>((newBlock - kExtensionHeaderSize) / kWordSize));
    for (size_t i = 0; i < count; ++i) {
      const Move& m = moves[i];
      if (oneByte) {
        p[m.to - 1] = static_cast<uint8_t>(m.id << 4 | (m.length - 1));
      } else {
        p[m.to - 2] = m.id;
        p[m.to - 1] = m.length;
      }
      if (m.from == 0) std::memset(p + m.to, 0, m.length);
    }
    std::memset(p + valuesEnd, 0, start + newBlock - valuesEnd);
    form_ = oneByte ? ExtensionForm::kOneByte : ExtensionForm::kTwoByte;
  }

  size_ = static_cast<uint16_t>(newSize);
  headerSize_ = static_cast<uint16_t>(start + newBlock);
  extensionCount_ = static_cast<uint8_t>(count);
  slotIndex_ = 0;
  slotPresent_ = 0;
  for (size_t i = 0; i < count; ++i) {
    const Move& m = moves[i];
    elements_[i] = Slot(m.to, m.id, m.length);
    if (m.id <= kOneByteMaxId) {
      slotPresent_ = static_cast<uint16_t>(slotPresent_ | 1u << m.id);
      slotIndex_ |= uint64_t{i} << (kSlotIndexBits * m.id);
    }
  }
  if (added != nullptr && addId != 0) {
    *added = std::span<uint8_t>(p + moves[count - 1].to, addLength);
  }
  return true;
}

}  // namespace switchyard::rtp
