#include "rtp/codecs/Vp8PayloadDescriptor.hpp"

namespace switchyard::rtp {

namespace {
// RFC 7741 4.2 bit positions.
constexpr uint8_t kXBit = 0x80;
constexpr uint8_t kIBit = 0x80;
constexpr uint8_t kLBit = 0x40;
constexpr uint8_t kTBit = 0x20;
constexpr uint8_t kKBit = 0x10;
constexpr uint8_t kMBit = 0x80;
// RFC 7741 4.3: P, the inverse key frame flag, is the low bit of the payload header.
constexpr uint8_t kPayloadHeaderPBit = 0x01;
// RFC 6386 9.1: width and height are 14 bits, little-endian, after the start code.
constexpr size_t kWidthOffset = 6;
constexpr size_t kHeightOffset = 8;
constexpr uint16_t kDimensionMask = 0x3FFF;
}  // namespace

Parsed<Vp8PayloadDescriptor> Vp8PayloadDescriptor::parse(std::span<const uint8_t> payload) {
  const size_t n = payload.size();
  if (n == 0) return ParseError::kTooShort;
  Vp8PayloadDescriptor d;
  d.b0_ = payload[0];
  size_t pos = 1;
  if (d.b0_ & kXBit) {
    if (pos >= n) return ParseError::kTooShort;
    d.x_ = payload[pos++];
    if (d.x_ & kIBit) {
      if (pos >= n) return ParseError::kTooShort;
      d.pictureIdOffset_ = static_cast<uint8_t>(pos);
      if (payload[pos] & kMBit) {
        if (pos + 1 >= n) return ParseError::kTooShort;
        d.longPictureId_ = true;
        d.pictureId_ = static_cast<uint16_t>((payload[pos] & 0x7F) << 8 | payload[pos + 1]);
        pos += 2;
      } else {
        d.pictureId_ = payload[pos];
        pos += 1;
      }
    }
    if (d.x_ & kLBit) {
      if (pos >= n) return ParseError::kTooShort;
      d.tl0PicIdxOffset_ = static_cast<uint8_t>(pos);
      d.tl0PicIdx_ = payload[pos++];
    }
    if (d.x_ & (kTBit | kKBit)) {
      if (pos >= n) return ParseError::kTooShort;
      d.tk_ = payload[pos++];
    }
  }
  // A descriptor must be followed by VP8 data (as libwebrtc's depacketizer also requires).
  if (pos >= n) return ParseError::kTooShort;
  d.size_ = static_cast<uint8_t>(pos);
  if (d.startsFrame() && (payload[pos] & kPayloadHeaderPBit) == 0) {
    if (n - pos < kKeyframeHeaderSize) return ParseError::kTooShort;
    const uint8_t* h = payload.data() + pos;
    d.keyframe_ = true;
    d.width_ = static_cast<uint16_t>((h[kWidthOffset] | h[kWidthOffset + 1] << 8) & kDimensionMask);
    d.height_ =
        static_cast<uint16_t>((h[kHeightOffset] | h[kHeightOffset + 1] << 8) & kDimensionMask);
  }
  return d;
}

bool Vp8PayloadDescriptor::rewritePictureId(std::span<uint8_t> payload, uint16_t pictureId) {
  if (pictureIdOffset_ == 0 || payload.size() < size_) return false;
  uint8_t* p = payload.data() + pictureIdOffset_;
  if (longPictureId_) {
    pictureId_ = pictureId % kPictureId15Modulus;
    p[0] = static_cast<uint8_t>(kMBit | pictureId_ >> 8);
    p[1] = static_cast<uint8_t>(pictureId_);
  } else {
    pictureId_ = pictureId % kPictureId7Modulus;
    p[0] = static_cast<uint8_t>(pictureId_);
  }
  return true;
}

bool Vp8PayloadDescriptor::rewriteTl0PicIdx(std::span<uint8_t> payload, uint8_t tl0PicIdx) {
  if (tl0PicIdxOffset_ == 0 || payload.size() < size_) return false;
  payload[tl0PicIdxOffset_] = tl0PicIdx;
  tl0PicIdx_ = tl0PicIdx;
  return true;
}

}  // namespace switchyard::rtp
