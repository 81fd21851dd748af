#pragma once
// Loads packet fixtures: text files under tests/fixtures/ with one packet per line in hex.
// Lines starting with '#' are comments; a comment line of the form "# name: text" names the
// packet on the next hex line. Blank lines are ignored; spaces inside hex are allowed.

#include <cctype>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard::test {

struct FixturePacket {
  std::string name;  // from "# name: ..." (may be empty)
  std::vector<uint8_t> bytes;
};

inline std::vector<FixturePacket> loadFixture(const std::string& relativePath) {
  std::string path = std::string(SWITCHYARD_FIXTURES_DIR) + "/" + relativePath;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  std::vector<FixturePacket> out;
  std::string pendingName;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      auto colon = line.find("name:");
      if (colon != std::string::npos) {
        pendingName = line.substr(colon + 5);
        while (!pendingName.empty() && pendingName.front() == ' ')
          pendingName.erase(0, 1);
      }
      continue;
    }
    FixturePacket p;
    p.name = std::move(pendingName);
    pendingName.clear();
    int high = -1;
    for (char ch : line) {
      if (std::isspace(static_cast<unsigned char>(ch))) continue;
      if (!std::isxdigit(static_cast<unsigned char>(ch))) {
        throw std::runtime_error("bad hex in fixture " + path + ": " + line);
      }
      int v =
          std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0' : (std::tolower(ch) - 'a' + 10);
      if (high < 0) {
        high = v;
      } else {
        p.bytes.push_back(static_cast<uint8_t>(high << 4 | v));
        high = -1;
      }
    }
    if (high >= 0) throw std::runtime_error("odd hex length in fixture " + path);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace switchyard::test
