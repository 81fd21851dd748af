#pragma once
// Client-to-mixer audio level header extension (RFC 6464 section 3,
// urn:ietf:params:rtp-hdrext:ssrc-audio-level): one byte, V flag then the level in -dBov.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

struct AudioLevel {
  static constexpr size_t kSize = 1;
  static constexpr uint8_t kVoiceActivityBit = 0x80;
  static constexpr uint8_t kLevelMask = 0x7F;
  static constexpr uint8_t kMaxLevel = 127;  // -127 dBov: silence

  bool voiceActivity = false;
  uint8_t level = kMaxLevel;  // 0 (loudest) .. 127 (silence), in -dBov

  static Parsed<AudioLevel> parse(std::span<const uint8_t> data);
  bool write(std::span<uint8_t> out) const;  // out.size() == kSize, level <= 127
  static constexpr size_t size() { return kSize; }
};

}  // namespace switchyard::rtp
