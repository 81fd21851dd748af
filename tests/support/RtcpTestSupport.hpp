#pragma once
// Helpers shared by the RTCP tests: the packets of one type in aiortc's
// captured RTCP (tests/fixtures/rtp/aiortc-rtcp.hex).

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtp/rtcp/RtcpCompound.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::test {

// The packets of type `type` in the aiortc capture, each with the name of its datagram.
inline std::vector<std::pair<std::string, std::vector<uint8_t>>> aiortcPackets(uint8_t type) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
  for (const auto& f : loadFixture("rtp/aiortc-rtcp.hex")) {
    auto compound = rtp::RtcpCompound::parse(f.bytes);
    EXPECT_TRUE(compound.ok()) << f.name;
    if (!compound) continue;
    for (const auto& p : *compound) {
      if (p.header.packetType() == type) out.push_back({f.name, {p.bytes.begin(), p.bytes.end()}});
    }
  }
  return out;
}

}  // namespace switchyard::test
