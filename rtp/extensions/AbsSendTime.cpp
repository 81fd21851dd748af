#include "rtp/extensions/AbsSendTime.hpp"

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

Parsed<AbsSendTime> AbsSendTime::parse(std::span<const uint8_t> data) {
  if (data.size() != kSize) return ParseError::kBadLength;
  return AbsSendTime{readU24(data.data())};
}

bool AbsSendTime::write(std::span<uint8_t> out) const {
  if (out.size() != kSize || value > kMask) return false;
  writeU24(out.data(), value);
  return true;
}

}  // namespace switchyard::rtp
