#include "rtp/codecs/Av1Payload.hpp"

#include "rtp/codecs/Leb128.hpp"

namespace switchyard::rtp {

namespace {
constexpr uint8_t kZBit = 0x80;
constexpr uint8_t kYBit = 0x40;
constexpr uint8_t kNBit = 0x08;
constexpr uint8_t kObuForbiddenBit = 0x80;
constexpr uint8_t kObuExtensionBit = 0x04;
constexpr uint8_t kObuHasSizeBit = 0x02;

// Where one element lies: its bytes start at start and take size; the next element starts at
// start + size.
struct Span {
  size_t start;
  size_t size;
};

// Locates element index (0-based) at offset pos. With W > 0 the W-th element has no size
// field and runs to the end of the payload (section 4.4).
Parsed<Span> locateElement(std::span<const uint8_t> payload, size_t pos, size_t index, uint8_t w) {
  if (w != 0 && index + 1 == w) return Span{pos, payload.size() - pos};
  auto size = Leb128::read(payload.subspan(pos));
  if (!size) return size.error();
  pos += size->size;
  if (size->value > payload.size() - pos) return ParseError::kBadLength;
  return Span{pos, size->value};
}

// Reads the OBU header at the start of an element that starts an OBU. complete: the whole
// OBU is in the element (it is not continued in the next packet).
Parsed<Av1Payload::ObuHeader> readObuHeader(std::span<const uint8_t> obu, bool complete) {
  const uint8_t b = obu[0];
  if (b & kObuForbiddenBit) return ParseError::kMalformed;
  Av1Payload::ObuHeader h{};
  h.type = static_cast<uint8_t>((b >> 3) & 0x0F);
  h.hasExtension = (b & kObuExtensionBit) != 0;
  h.hasSize = (b & kObuHasSizeBit) != 0;
  size_t pos = 1;
  if (h.hasExtension) {
    if (obu.size() < 2) {
      if (complete) return ParseError::kMalformed;
      return h;
    }
    h.temporalId = static_cast<uint8_t>(obu[1] >> 5);
    h.spatialId = static_cast<uint8_t>((obu[1] >> 3) & 0x03);
    pos = 2;
  }
  // A fragment's obu_size describes bytes not yet seen; only a complete OBU can be checked.
  if (h.hasSize && complete) {
    auto size = Leb128::read(obu.subspan(pos));
    if (!size) return size.error() == ParseError::kTooShort ? ParseError::kMalformed : size.error();
    if (size->value != obu.size() - pos - size->size) return ParseError::kBadLength;
  }
  return h;
}
}  // namespace

Av1Payload::Element Av1Payload::ElementIterator::operator*() const {
  const uint8_t agg = payload_[0];
  Element e{};
  // parse() validated every element, so locating one again cannot fail.
  auto where = locateElement(payload_, pos_, index_, (agg >> 4) & 0x03);
  if (!where) return e;
  e.bytes = payload_.subspan(where->start, where->size);
  e.continuation = index_ == 0 && (agg & kZBit);
  e.continued = index_ + 1 == count_ && (agg & kYBit);
  if (!e.continuation && !e.bytes.empty()) {
    auto header = readObuHeader(e.bytes, !e.continued);
    if (header) {
      e.hasHeader = true;
      e.header = *header;
    }
  }
  return e;
}

Av1Payload::ElementIterator& Av1Payload::ElementIterator::operator++() {
  auto where = locateElement(payload_, pos_, index_, (payload_[0] >> 4) & 0x03);
  pos_ = where ? where->start + where->size : payload_.size();
  ++index_;
  return *this;
}

Parsed<Av1Payload> Av1Payload::parse(std::span<const uint8_t> payload) {
  if (payload.size() < kAggregationHeaderSize) return ParseError::kTooShort;
  Av1Payload a;
  a.bytes_ = payload;
  const uint8_t agg = payload[0];
  // Section 4.4: a coded video sequence cannot start in the middle of an OBU.
  if ((agg & kNBit) && (agg & kZBit)) return ParseError::kMalformed;
  const uint8_t w = a.declaredElementCount();
  size_t pos = kAggregationHeaderSize;
  size_t index = 0;
  // With W = 0, elements run to the end; otherwise exactly W of them (the last may be empty).
  while (w == 0 ? pos < payload.size() : index < w) {
    auto where = locateElement(payload, pos, index, w);
    if (!where) return where.error();
    const bool last = w == 0 ? where->start + where->size == payload.size() : index + 1 == w;
    const bool continuation = index == 0 && a.startsWithContinuation();
    const bool continued = last && a.endsWithFragment();
    auto obu = payload.subspan(where->start, where->size);
    if (!continuation) {
      if (obu.empty()) {
        // Only a fragment may be empty; a complete OBU has at least its header.
        if (!continued) return ParseError::kMalformed;
      } else {
        auto header = readObuHeader(obu, !continued);
        if (!header) return header.error();
        a.hasSequenceHeader_ |= header->type == kObuSequenceHeader;
      }
    }
    pos = where->start + where->size;
    ++index;
  }
  if (index == 0) return ParseError::kTooShort;
  a.elementCount_ = index;
  return a;
}

}  // namespace switchyard::rtp
