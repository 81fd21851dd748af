#include "rtp/extensions/VideoOrientation.hpp"

namespace switchyard::rtp {

Parsed<VideoOrientation> VideoOrientation::parse(std::span<const uint8_t> data) {
  if (data.size() != kSize) return ParseError::kBadLength;
  // The four high bits are reserved (higher-granularity rotation when negotiated); ignored.
  const uint8_t b = data[0];
  return VideoOrientation{(b & kCameraBit) != 0, (b & kFlipBit) != 0,
                          static_cast<uint16_t>((b & kRotationMask) * kDegreesPerStep)};
}

bool VideoOrientation::write(std::span<uint8_t> out) const {
  if (out.size() != kSize || rotation % kDegreesPerStep != 0 ||
      rotation / kDegreesPerStep > kRotationMask) {
    return false;
  }
  out[0] = static_cast<uint8_t>((backCamera ? kCameraBit : 0) | (horizontalFlip ? kFlipBit : 0) |
                                rotation / kDegreesPerStep);
  return true;
}

}  // namespace switchyard::rtp
