#include "rtp/extensions/AbsCaptureTime.hpp"

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

Parsed<AbsCaptureTime> AbsCaptureTime::parse(std::span<const uint8_t> data) {
  if (data.size() != kSizeWithoutOffset && data.size() != kSizeWithOffset) {
    return ParseError::kBadLength;
  }
  AbsCaptureTime t;
  t.captureTimestamp = readU64(data.data());
  if (data.size() == kSizeWithOffset) {
    t.estimatedClockOffset = static_cast<int64_t>(readU64(data.data() + kSizeWithoutOffset));
  }
  return t;
}

bool AbsCaptureTime::write(std::span<uint8_t> out) const {
  if (out.size() != size()) return false;
  writeU64(out.data(), captureTimestamp);
  if (estimatedClockOffset) {
    writeU64(out.data() + kSizeWithoutOffset, static_cast<uint64_t>(*estimatedClockOffset));
  }
  return true;
}

}  // namespace switchyard::rtp
