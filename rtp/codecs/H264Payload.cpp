#include "rtp/codecs/H264Payload.hpp"

namespace switchyard::rtp {

namespace {
constexpr uint8_t kTypeMask = 0x1F;
constexpr uint8_t kFuStartBit = 0x80;
constexpr uint8_t kFuEndBit = 0x40;

bool isSingleNaluType(uint8_t type) {
  return type >= H264Payload::kFirstSingleNalu && type <= H264Payload::kLastSingleNalu;
}
}  // namespace

std::span<const uint8_t> H264Payload::NaluIterator::operator*() const {
  if (!aggregated_) return {p_, static_cast<size_t>(end_ - p_)};
  return {p_ + kStapANaluSizeBytes, readU16(p_)};
}

H264Payload::NaluIterator& H264Payload::NaluIterator::operator++() {
  p_ = aggregated_ ? p_ + kStapANaluSizeBytes + readU16(p_) : end_;
  return *this;
}

H264Payload::Nalus H264Payload::nalus() const {
  const uint8_t* end = bytes_.data() + bytes_.size();
  switch (kind_) {
    case Kind::kSingleNalu:
      return {NaluIterator(bytes_.data(), end, false), NaluIterator(end, end, false)};
    case Kind::kStapA:
      return {NaluIterator(bytes_.data() + 1, end, true), NaluIterator(end, end, true)};
    case Kind::kFuA:
      break;
  }
  return {NaluIterator(end, end, false), NaluIterator(end, end, false)};
}

void H264Payload::note(uint8_t type) {
  hasIdr_ |= type == kSliceIdr;
  hasSps_ |= type == kSps;
  hasPps_ |= type == kPps;
}

Parsed<H264Payload> H264Payload::parse(std::span<const uint8_t> payload) {
  const size_t n = payload.size();
  if (n == 0) return ParseError::kTooShort;
  H264Payload h;
  h.bytes_ = payload;
  const uint8_t type = payload[0] & kTypeMask;
  if (isSingleNaluType(type)) {
    // Section 5.6: the payload is the NAL unit itself.
    h.kind_ = Kind::kSingleNalu;
    h.naluType_ = type;
    h.naluCount_ = 1;
    h.note(type);
    return h;
  }
  switch (type) {
    case kStapA: {
      // Section 5.7.1: one or more (16-bit size, NAL unit) aggregation units.
      h.kind_ = Kind::kStapA;
      size_t pos = 1;
      if (pos == n) return ParseError::kTooShort;
      while (pos < n) {
        if (n - pos < kStapANaluSizeBytes) return ParseError::kBadLength;
        const size_t size = readU16(payload.data() + pos);
        pos += kStapANaluSizeBytes;
        if (size == 0 || size > n - pos) return ParseError::kBadLength;
        const uint8_t inner = payload[pos] & kTypeMask;
        // Section 5.7: aggregation packets hold neither aggregation packets nor fragments.
        if (!isSingleNaluType(inner)) return ParseError::kMalformed;
        if (h.naluCount_ == 0) h.naluType_ = inner;
        h.note(inner);
        ++h.naluCount_;
        pos += size;
      }
      return h;
    }
    case kFuA: {
      // Section 5.8: FU indicator, FU header |S|E|R|Type|, fragment.
      if (n < kFuAHeaderSize) return ParseError::kTooShort;
      h.kind_ = Kind::kFuA;
      const uint8_t fuHeader = payload[1];
      const uint8_t original = fuHeader & kTypeMask;
      if (!isSingleNaluType(original)) return ParseError::kMalformed;
      if ((fuHeader & kFuStartBit) && (fuHeader & kFuEndBit)) return ParseError::kMalformed;
      h.naluType_ = original;
      if (fuHeader & kFuStartBit) h.note(original);
      return h;
    }
    case kStapB:
    case kMtap16:
    case kMtap24:
    case kFuB:
      return ParseError::kUnsupported;
    default:  // 0, 30, 31: reserved (Table 3)
      return ParseError::kMalformed;
  }
}

}  // namespace switchyard::rtp
