// Full Intra Request (RFC 5104 4.3.1): FCI entries of SSRC and command sequence number.

#include <gtest/gtest.h>

#include <cctype>
#include <string_view>
#include <vector>

#include "rtp/rtcp/RtcpFir.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

struct Case {
  const char* name;
  const char* bytes;
  std::vector<RtcpFirEntry> entries;
};

const std::vector<Case>& validCases() {
  static const std::vector<Case> cases = {
      {"one entry", "84ce0004 11223344 00000000 55667788 2a000000", {{0x55667788, 42}}},
      {"two entries",
       "84ce0006 11223344 00000000 55667788 ff000000 99aabbcc 00000000",
       {{0x55667788, 255}, {0x99aabbcc, 0}}},
  };
  return cases;
}

TEST(RtcpFirTest, ParsesAndRoundTrips) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto fir = RtcpFir::parse(bytes);
    ASSERT_TRUE(fir.ok()) << parseErrorName(fir.error());
    EXPECT_EQ(fir->senderSsrc(), 0x11223344u);
    EXPECT_EQ(fir->mediaSsrc(), 0u);
    ASSERT_EQ(fir->entryCount(), c.entries.size());
    for (size_t i = 0; i < c.entries.size(); ++i)
      EXPECT_EQ(fir->entry(i), c.entries[i]);
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpFir::build(0x11223344, c.entries, out), bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpFirTest, IgnoresReservedBitsAndMediaSsrc) {
  // RFC 5104 4.3.1.2: both "SHALL be 0" on send; a receiver reads past them.
  auto bytes = hex("84ce0004 11223344 99999999 55667788 2affffff");
  auto fir = RtcpFir::parse(bytes);
  ASSERT_TRUE(fir.ok());
  EXPECT_EQ(fir->mediaSsrc(), 0x99999999u);
  EXPECT_EQ(fir->entry(0), (RtcpFirEntry{0x55667788, 42}));
}

TEST(RtcpFirTest, BuildRefusesWhatCannotBeEncoded) {
  std::vector<uint8_t> out(64);
  EXPECT_EQ(RtcpFir::build(1, {}, out), 0u);
  RtcpFirEntry e{2, 3};
  EXPECT_EQ(RtcpFir::build(1, {&e, 1}, std::span(out).first(19)), 0u);
}

TEST(RtcpFirTest, RejectsMalformedPackets) {
  struct Bad {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"no entries", "84ce0002 11223344 00000000", ParseError::kBadLength},
      {"half an entry", "84ce0003 11223344 00000000 55667788", ParseError::kBadLength},
      {"an entry and a half", "84ce0005 11223344 00000000 55667788 2a000000 99aabbcc",
       ParseError::kBadLength},
      {"FMT 1 (PLI)", "81ce0004 11223344 00000000 55667788 2a000000", ParseError::kBadPayloadType},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto fir = RtcpFir::parse(hex(c.bytes));
    ASSERT_FALSE(fir.ok());
    EXPECT_EQ(fir.error(), c.error) << parseErrorName(fir.error());
  }
}

TEST(RtcpFirTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto fir = RtcpFir::parse(std::span(bytes).first(n));
      ASSERT_FALSE(fir.ok());
      EXPECT_EQ(fir.error(), ParseError::kTooShort) << n;
    }
  }
}

}  // namespace
}  // namespace switchyard::rtp
