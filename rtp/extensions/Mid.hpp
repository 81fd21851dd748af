#pragma once
// MID header extension (RFC 8843 section 15.2, RFC 7941 framing,
// urn:ietf:params:rtp-hdrext:sdes:mid): the media identification tag of the packet's
// m= section, as SDP token characters without a terminator.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

struct Mid {
  static constexpr size_t kMaxSize = 255;  // two-byte form limit; the one-byte form allows 16

  std::string_view value;  // views the parsed bytes

  // kBadLength when empty or longer than kMaxSize; kMalformed for characters outside the SDP
  // token set (RFC 4566 section 9). Trailing zero bytes are taken as padding and dropped.
  static Parsed<Mid> parse(std::span<const uint8_t> data);
  bool write(std::span<uint8_t> out) const;  // out.size() == size(), value valid
  size_t size() const { return value.size(); }
  static bool isValid(std::string_view value);
};

}  // namespace switchyard::rtp
