#pragma once
// Coordination of video orientation header extension (3GPP TS 26.114 section 7.4.5,
// urn:3gpp:video-orientation): one byte 0 0 0 0 C F R1 R0 with C the camera (0 front,
// 1 back), F a horizontal flip, and R1R0 the rotation in quarter turns.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

struct VideoOrientation {
  static constexpr size_t kSize = 1;
  static constexpr uint8_t kCameraBit = 0x08;
  static constexpr uint8_t kFlipBit = 0x04;
  static constexpr uint8_t kRotationMask = 0x03;
  static constexpr uint16_t kDegreesPerStep = 90;

  bool backCamera = false;
  bool horizontalFlip = false;
  uint16_t rotation = 0;  // degrees: 0, 90, 180 or 270

  static Parsed<VideoOrientation> parse(std::span<const uint8_t> data);
  bool write(std::span<uint8_t> out) const;  // out.size() == kSize, rotation a quarter turn
  static constexpr size_t size() { return kSize; }
};

}  // namespace switchyard::rtp
