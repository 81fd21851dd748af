#include "rtp/extensions/AudioLevel.hpp"

namespace switchyard::rtp {

Parsed<AudioLevel> AudioLevel::parse(std::span<const uint8_t> data) {
  if (data.size() != kSize) return ParseError::kBadLength;
  return AudioLevel{(data[0] & kVoiceActivityBit) != 0, static_cast<uint8_t>(data[0] & kLevelMask)};
}

bool AudioLevel::write(std::span<uint8_t> out) const {
  if (out.size() != kSize || level > kMaxLevel) return false;
  out[0] = static_cast<uint8_t>((voiceActivity ? kVoiceActivityBit : 0) | level);
  return true;
}

}  // namespace switchyard::rtp
