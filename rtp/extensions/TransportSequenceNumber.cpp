#include "rtp/extensions/TransportSequenceNumber.hpp"

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

Parsed<TransportSequenceNumber> TransportSequenceNumber::parse(std::span<const uint8_t> data) {
  if (data.size() != kSize) return ParseError::kBadLength;
  return TransportSequenceNumber{readU16(data.data())};
}

bool TransportSequenceNumber::write(std::span<uint8_t> out) const {
  if (out.size() != kSize) return false;
  writeU16(out.data(), value);
  return true;
}

}  // namespace switchyard::rtp
