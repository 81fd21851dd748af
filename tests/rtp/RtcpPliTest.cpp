// Picture Loss Indication (RFC 4585 6.3.1).

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpPli.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

constexpr const char* kPli = "81ce0002 11223344 55667788";

TEST(RtcpPliTest, ParsesAndRoundTrips) {
  auto bytes = hex(kPli);
  auto pli = RtcpPli::parse(bytes);
  ASSERT_TRUE(pli.ok());
  EXPECT_EQ(pli->senderSsrc(), 0x11223344u);
  EXPECT_EQ(pli->mediaSsrc(), 0x55667788u);
  std::vector<uint8_t> out(kRtcpPliSize);
  ASSERT_EQ(RtcpPli::build(pli->senderSsrc(), pli->mediaSsrc(), out), kRtcpPliSize);
  EXPECT_EQ(out, bytes);
  EXPECT_EQ(RtcpPli::build(1, 2, std::span(out).first(11)), 0u);
}

TEST(RtcpPliTest, RejectsMalformedPackets) {
  struct Bad {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"FCI present (length 3)", "81ce0003 11223344 55667788 00000000", ParseError::kBadLength},
      {"no media SSRC", "81ce0001 11223344", ParseError::kBadLength},
      {"padding eats the media SSRC", "a1ce0002 11223344 55667704", ParseError::kBadLength},
      {"FMT 4 (FIR)", "84ce0002 11223344 55667788", ParseError::kBadPayloadType},
      {"an RTPFB", "81cd0002 11223344 55667788", ParseError::kBadPayloadType},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto pli = RtcpPli::parse(hex(c.bytes));
    ASSERT_FALSE(pli.ok());
    EXPECT_EQ(pli.error(), c.error) << parseErrorName(pli.error());
  }
}

TEST(RtcpPliTest, TruncationAtEveryOffsetIsRejected) {
  auto bytes = hex(kPli);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto pli = RtcpPli::parse(std::span(bytes).first(n));
    ASSERT_FALSE(pli.ok());
    EXPECT_EQ(pli.error(), ParseError::kTooShort) << n;
  }
}

using test::aiortcPackets;

TEST(RtcpPliTest, ParsesAiortcPlis) {
  size_t plis = 0;
  for (const auto& [name, bytes] : aiortcPackets(kRtcpTypePsfb)) {
    if (name.find("PLI") == std::string::npos) continue;
    SCOPED_TRACE(name);
    auto pli = RtcpPli::parse(bytes);
    ASSERT_TRUE(pli.ok()) << parseErrorName(pli.error());
    EXPECT_EQ(pli->senderSsrc(), 1270192498u);
    EXPECT_EQ(pli->mediaSsrc(), 3562832810u);
    std::vector<uint8_t> out(kRtcpPliSize);
    RtcpPli::build(pli->senderSsrc(), pli->mediaSsrc(), out);
    EXPECT_EQ(out, bytes);
    ++plis;
  }
  EXPECT_EQ(plis, 3u);
}

}  // namespace
}  // namespace switchyard::rtp
