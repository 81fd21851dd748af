#include "rtp/codecs/Vp9PayloadDescriptor.hpp"

namespace switchyard::rtp {

namespace {
constexpr uint8_t kMBit = 0x80;
constexpr uint8_t kPDiffNBit = 0x01;   // another P_DIFF follows
constexpr size_t kResolutionSize = 4;  // WIDTH and HEIGHT, 16 bits each

// Validates the SS at the start of bytes; returns its size or the error.
Parsed<size_t> parseScalabilityStructure(std::span<const uint8_t> bytes) {
  const size_t n = bytes.size();
  if (n == 0) return ParseError::kTooShort;
  const uint8_t v = bytes[0];
  const size_t spatialLayers = (v >> 5) + 1;
  size_t pos = 1;
  if (v & 0x10) {  // Y
    if (n - pos < spatialLayers * kResolutionSize) return ParseError::kTooShort;
    pos += spatialLayers * kResolutionSize;
  }
  if (v & 0x08) {  // G
    if (pos >= n) return ParseError::kTooShort;
    const size_t pictures = bytes[pos++];
    for (size_t i = 0; i < pictures; ++i) {
      if (pos >= n) return ParseError::kTooShort;
      const size_t refs = (bytes[pos++] >> 2) & 0x03;  // R
      if (n - pos < refs) return ParseError::kTooShort;
      pos += refs;
    }
  }
  return pos;
}
}  // namespace

Vp9PayloadDescriptor::GroupPicture
Vp9PayloadDescriptor::ScalabilityStructure::PictureIterator::operator*() const {
  GroupPicture g{};
  g.temporalId = static_cast<uint8_t>(p_[0] >> 5);
  g.switchingUp = (p_[0] & 0x10) != 0;
  g.pDiffCount = static_cast<uint8_t>((p_[0] >> 2) & 0x03);
  for (size_t i = 0; i < g.pDiffCount; ++i)
    g.pDiffs[i] = p_[1 + i];
  return g;
}

Vp9PayloadDescriptor::ScalabilityStructure::PictureIterator&
Vp9PayloadDescriptor::ScalabilityStructure::PictureIterator::operator++() {
  p_ += 1 + ((p_[0] >> 2) & 0x03);
  return *this;
}

Vp9PayloadDescriptor::ScalabilityStructure::Pictures
Vp9PayloadDescriptor::ScalabilityStructure::pictures() const {
  // parse() checked that the pictures end exactly at the end of bytes_.
  const uint8_t* end = bytes_.data() + bytes_.size();
  if (!hasPictureGroup()) return {PictureIterator(end), PictureIterator(end)};
  return {PictureIterator(bytes_.data() + groupOffset() + 1), PictureIterator(end)};
}

Parsed<Vp9PayloadDescriptor> Vp9PayloadDescriptor::parse(std::span<const uint8_t> payload) {
  const size_t n = payload.size();
  if (n == 0) return ParseError::kTooShort;
  Vp9PayloadDescriptor d;
  d.b0_ = payload[0];
  size_t pos = 1;
  if (d.hasPictureId()) {
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
  if (d.hasLayerIndices()) {
    if (pos >= n) return ParseError::kTooShort;
    d.layer_ = payload[pos++];
    if (!d.flexibleMode()) {
      if (pos >= n) return ParseError::kTooShort;
      d.tl0PicIdxOffset_ = static_cast<uint8_t>(pos);
      d.tl0PicIdx_ = payload[pos++];
    }
  }
  if (d.flexibleMode() && d.interPicturePredicted()) {
    if (!d.hasPictureId()) return ParseError::kMalformed;
    bool more = true;
    while (more) {
      if (d.pDiffCount_ == kMaxPDiffs) return ParseError::kMalformed;
      if (pos >= n) return ParseError::kTooShort;
      d.pDiffs_[d.pDiffCount_++] = static_cast<uint8_t>(payload[pos] >> 1);
      more = (payload[pos] & kPDiffNBit) != 0;
      ++pos;
    }
  }
  if (d.hasScalabilityStructure()) {
    auto ssSize = parseScalabilityStructure(payload.subspan(pos));
    if (!ssSize) return ssSize.error();
    d.ss_ = ScalabilityStructure(payload.subspan(pos, *ssSize));
    pos += *ssSize;
  }
  // A descriptor must be followed by VP9 data (as libwebrtc's depacketizer also requires).
  if (pos >= n) return ParseError::kTooShort;
  d.size_ = static_cast<uint16_t>(pos);
  return d;
}

bool Vp9PayloadDescriptor::rewritePictureId(std::span<uint8_t> payload, uint16_t pictureId) {
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

bool Vp9PayloadDescriptor::rewriteTl0PicIdx(std::span<uint8_t> payload, uint8_t tl0PicIdx) {
  if (tl0PicIdxOffset_ == 0 || payload.size() < size_) return false;
  payload[tl0PicIdxOffset_] = tl0PicIdx;
  tl0PicIdx_ = tl0PicIdx;
  return true;
}

}  // namespace switchyard::rtp
