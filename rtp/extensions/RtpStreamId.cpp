#include "rtp/extensions/RtpStreamId.hpp"

#include <algorithm>

namespace switchyard::rtp {

namespace {

// RFC 8851 section 10: rid-id = 1*(alpha-numeric / "-" / "_").
bool isRidChar(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '-' || ch == '_';
}

}  // namespace

bool RtpStreamId::isValid(std::string_view value) {
  return !value.empty() && value.size() <= kMaxSize &&
         std::all_of(value.begin(), value.end(), isRidChar);
}

Parsed<RtpStreamId> RtpStreamId::parse(std::span<const uint8_t> data) {
  if (data.empty() || data.size() > kMaxSize) return ParseError::kBadLength;
  // RFC 7941 carries no terminator, but some senders pad with zero bytes; drop them.
  const auto text = std::find(data.begin(), data.end(), uint8_t{0});
  if (std::any_of(text, data.end(), [](uint8_t b) { return b != 0; })) {
    return ParseError::kMalformed;
  }
  std::string_view value(reinterpret_cast<const char*>(data.data()),
                         static_cast<size_t>(text - data.begin()));
  if (!isValid(value)) return ParseError::kMalformed;
  return RtpStreamId{value};
}

bool RtpStreamId::write(std::span<uint8_t> out) const {
  if (out.size() != value.size() || !isValid(value)) return false;
  std::copy(value.begin(), value.end(), out.begin());
  return true;
}

}  // namespace switchyard::rtp
