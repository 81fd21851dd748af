#include "rtp/extensions/PlayoutDelay.hpp"

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {
constexpr int kFieldBits = 12;
}  // namespace

Parsed<PlayoutDelay> PlayoutDelay::parse(std::span<const uint8_t> data) {
  if (data.size() != kSize) return ParseError::kBadLength;
  const uint32_t raw = readU24(data.data());
  PlayoutDelay delay{static_cast<uint16_t>(raw >> kFieldBits),
                     static_cast<uint16_t>(raw & kMaxValue)};
  if (delay.min > delay.max) return ParseError::kMalformed;
  return delay;
}

bool PlayoutDelay::write(std::span<uint8_t> out) const {
  if (out.size() != kSize || min > max || max > kMaxValue) return false;
  writeU24(out.data(), uint32_t{min} << kFieldBits | max);
  return true;
}

}  // namespace switchyard::rtp
