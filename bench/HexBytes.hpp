#pragma once
// Bytes from hex text, as the bench tools take keys on their command lines ("0102ab...").

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace switchyard::bench {

// False for an empty or odd-length text or a character that is not a hex digit.
inline bool parseHexBytes(std::string_view text, std::vector<uint8_t>& out) {
  if (text.size() % 2 != 0 || text.empty()) return false;
  out.clear();
  for (size_t i = 0; i < text.size(); i += 2) {
    uint8_t byte = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + i + 2, byte, 16);
    if (ec != std::errc() || p != text.data() + i + 2) return false;
    out.push_back(byte);
  }
  return true;
}

}  // namespace switchyard::bench
