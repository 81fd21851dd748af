#pragma once
// Splits SDP text into numbered <type>=<value> lines (RFC 8866 section 5): CRLF or bare LF
// line ends, limits on size and line count, no NUL or other control bytes. Shared by the
// session-description parser and the trickle-ICE fragment parser.

#include <cstddef>
#include <string_view>
#include <vector>

#include "control/sdp/SdpResult.hpp"

namespace switchyard::control::sdp {

struct SdpLine {
  size_t number;           // 1-based line number in the input
  char type;               // 'a'..'z'
  std::string_view value;  // text after "x=", without the line end
};

struct SdpLineLimits {
  size_t maxBytes;
  size_t maxLines;
  size_t maxLineLength;
};

// Views into text: text must outlive the lines. Blank lines are skipped (still counted).
SdpResult<std::vector<SdpLine>> readSdpLines(std::string_view text, const SdpLineLimits& limits);

// Small grammar helpers used by every SDP parser here.
namespace sdp_text {

// Splits on runs of single spaces (RFC 8866 uses SP; runs are tolerated).
std::vector<std::string_view> splitSpaces(std::string_view s);
// Splits on one character, keeping empty fields.
std::vector<std::string_view> split(std::string_view s, char separator);
std::string_view trim(std::string_view s);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// Decimal digits only, no sign, value <= max; rejects empty and over-long strings.
bool parseUnsigned(std::string_view s, unsigned long long max, unsigned long long& out);
// RFC 8866 token (section 9: token-char).
bool isToken(std::string_view s);

}  // namespace sdp_text

}  // namespace switchyard::control::sdp
