#include "control/sdp/SdpLineReader.hpp"

#include <cstdint>
#include <string>

namespace switchyard::control::sdp {

namespace {

constexpr char kHorizontalTab = '\t';
constexpr unsigned char kDelete = 0x7F;
// Longest decimal number accepted anywhere (2^64 - 1 has 20 digits).
constexpr size_t kMaxDigits = 20;

std::string hexByte(unsigned char c) {
  constexpr char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[c >> 4] + kHex[c & 0x0F];
}

}  // namespace

SdpResult<std::vector<SdpLine>> readSdpLines(std::string_view text, const SdpLineLimits& limits) {
  if (text.size() > limits.maxBytes) {
    return sdpError(0, "SDP is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                           std::to_string(limits.maxBytes));
  }
  std::vector<SdpLine> lines;
  size_t number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++number;
    const size_t end = text.find('\n', pos);
    std::string_view line =
        end == std::string_view::npos ? text.substr(pos) : text.substr(pos, end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (number > limits.maxLines) {
      return sdpError(number, "more than " + std::to_string(limits.maxLines) + " lines");
    }
    // RFC 8866 section 5: lines end in CRLF; a bare LF is accepted too.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > limits.maxLineLength) {
      return sdpError(number,
                      "line longer than " + std::to_string(limits.maxLineLength) + " bytes");
    }
    for (char ch : line) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == 0) return sdpError(number, "NUL byte");
      if ((c < 0x20 && ch != kHorizontalTab) || c == kDelete) {
        return sdpError(number, "control character " + hexByte(c));
      }
    }
    if (line.empty()) continue;
    if (line.size() < 2 || line[1] != '=') {
      return sdpError(number, "truncated line, expected <type>=<value>");
    }
    if (line[0] < 'a' || line[0] > 'z') {
      return sdpError(number, "bad line type '" + std::string(1, line[0]) + "'");
    }
    lines.push_back(SdpLine{number, line[0], line.substr(2)});
  }
  return lines;
}

namespace sdp_text {

std::vector<std::string_view> splitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ')
      ++i;
    if (i >= s.size()) break;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ')
      ++i;
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(separator, start);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool parseUnsigned(std::string_view s, unsigned long long max, unsigned long long& out) {
  if (s.empty() || s.size() > kMaxDigits) return false;
  unsigned long long v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    const auto digit = static_cast<unsigned long long>(ch - '0');
    if (v > max / 10 || (v == max / 10 && digit > max % 10)) return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    // RFC 8866 section 9: token-char = ALPHA / DIGIT / "!" "#" "$" "%" "&" "'" "*" "+" "-" "."
    // "^" "_" "`" "{" "|" "}" "~" (0x21, 0x23-0x27, 0x2A-0x2B, 0x2D-0x2E, 0x30-0x39, 0x41-0x5A,
    // 0x5E-0x7E).
    const bool ok = c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D ||
                    c == 0x2E || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) ||
                    (c >= 0x5E && c <= 0x7E);
    if (!ok) return false;
  }
  return true;
}

}  // namespace sdp_text

}  // namespace switchyard::control::sdp
