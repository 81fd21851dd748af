#pragma once
// RtpStreamId and RepairedRtpStreamId header extensions (RFC 8852 section 3, RFC 7941
// framing; urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id and ...:repaired-rtp-stream-id): the
// rid of a simulcast/RTX stream, restricted to the rid-id syntax of RFC 8851 section 10
// (letters, digits, '-' and '_'). Both extensions share this format.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

struct RtpStreamId {
  static constexpr size_t kMaxSize = 255;  // two-byte form limit; the one-byte form allows 16

  std::string_view value;  // views the parsed bytes

  // kBadLength when empty or longer than kMaxSize; kMalformed for characters outside rid-id.
  // Trailing zero bytes are taken as padding and dropped.
  static Parsed<RtpStreamId> parse(std::span<const uint8_t> data);
  bool write(std::span<uint8_t> out) const;  // out.size() == size(), value valid
  size_t size() const { return value.size(); }
  static bool isValid(std::string_view value);
};

}  // namespace switchyard::rtp
