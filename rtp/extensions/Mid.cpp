#include "rtp/extensions/Mid.hpp"

#include <algorithm>

namespace switchyard::rtp {

namespace {

// RFC 4566 section 9 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A /
// %x5E-7E.
bool isTokenChar(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D ||
         c == 0x2E || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) ||
         (c >= 0x5E && c <= 0x7E);
}

}  // namespace

bool Mid::isValid(std::string_view value) {
  return !value.empty() && value.size() <= kMaxSize &&
         std::all_of(value.begin(), value.end(), isTokenChar);
}

Parsed<Mid> Mid::parse(std::span<const uint8_t> data) {
  if (data.empty() || data.size() > kMaxSize) return ParseError::kBadLength;
  // RFC 7941 carries no terminator, but some senders pad with zero bytes; drop them.
  const auto text = std::find(data.begin(), data.end(), uint8_t{0});
  if (std::any_of(text, data.end(), [](uint8_t b) { return b != 0; })) {
    return ParseError::kMalformed;
  }
  std::string_view value(reinterpret_cast<const char*>(data.data()),
                         static_cast<size_t>(text - data.begin()));
  if (!isValid(value)) return ParseError::kMalformed;
  return Mid{value};
}

bool Mid::write(std::span<uint8_t> out) const {
  if (out.size() != value.size() || !isValid(value)) return false;
  std::copy(value.begin(), value.end(), out.begin());
  return true;
}

}  // namespace switchyard::rtp
