#pragma once
// Bytes from a hex literal in tests. Characters that are not hex digits (spaces, colons, line
// breaks) separate nothing and are skipped, so layouts can be written grouped as in the RFCs.

#include <cstdint>
#include <string_view>
#include <vector>

namespace switchyard::test {

inline std::vector<uint8_t> hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char ch : text) {
    int v;
    if (ch >= '0' && ch <= '9') {
      v = ch - '0';
    } else if (ch >= 'a' && ch <= 'f') {
      v = ch - 'a' + 10;
    } else if (ch >= 'A' && ch <= 'F') {
      v = ch - 'A' + 10;
    } else {
      continue;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

}  // namespace switchyard::test
