// REMB (draft-alvestrand-rmcat-remb-03 2.2): identifier, exponent/mantissa bitrate, SSRC list.

#include <gtest/gtest.h>

#include <cctype>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpRemb.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

struct Case {
  const char* name;
  const char* bytes;
  uint64_t bitrate;
  std::vector<uint32_t> ssrcs;
};

const std::vector<Case>& validCases() {
  static const std::vector<Case> cases = {
      // 1 Mbps = 250000 * 2^2: num 1, exp 2, mantissa 0x3d090.
      {"1 Mbps, one SSRC",
       "8fce0005 11223344 00000000 52454d42 010bd090 55667788",
       1'000'000,
       {0x55667788}},
      {"no SSRCs, exponent 0", "8fce0004 11223344 00000000 52454d42 00000064", 100, {}},
      {"two SSRCs",
       "8fce0006 11223344 00000000 52454d42 0203ffff 00000001 00000002",
       0x3ffff,
       {1, 2}},
      {"largest exponent that fits 64 bits",
       "8fce0004 11223344 00000000 52454d42 00bbffff",
       0x3ffffull << 46,
       {}},
      {"zero", "8fce0004 11223344 00000000 52454d42 00000000", 0, {}},
  };
  return cases;
}

TEST(RtcpRembTest, ParsesAndRoundTrips) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto remb = RtcpRemb::parse(bytes);
    ASSERT_TRUE(remb.ok()) << parseErrorName(remb.error());
    EXPECT_EQ(remb->senderSsrc(), 0x11223344u);
    EXPECT_EQ(remb->mediaSsrc(), 0u);
    EXPECT_EQ(remb->bitrateBps(), c.bitrate);
    ASSERT_EQ(remb->ssrcCount(), c.ssrcs.size());
    for (size_t i = 0; i < c.ssrcs.size(); ++i)
      EXPECT_EQ(remb->ssrc(i), c.ssrcs[i]);
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpRemb::build(0x11223344, c.bitrate, c.ssrcs, out), bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpRembTest, BuildRoundsTheBitrateDown) {
  struct Rounding {
    uint64_t in;
    uint64_t out;
  };
  const Rounding cases[] = {
      {0x3ffff, 0x3ffff},
      {0x40000, 0x40000},  // 0x20000 << 1
      {0x40001, 0x40000},
      {1'000'001, 1'000'000},
      {2'500'000'003, 2'499'985'408},  // 0x2540b << 14
      {std::numeric_limits<uint64_t>::max(), 0x3ffffull << 46},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    std::vector<uint8_t> out(64);
    size_t n = RtcpRemb::build(1, c.in, {}, out);
    ASSERT_EQ(n, kRtcpRembFixedSize);
    auto remb = RtcpRemb::parse(std::span(out).first(n));
    ASSERT_TRUE(remb.ok());
    EXPECT_EQ(remb->bitrateBps(), c.out);
    EXPECT_LE(remb->bitrateBps(), c.in);
  }
}

TEST(RtcpRembTest, BuildRefusesWhatCannotBeEncoded) {
  std::vector<uint8_t> out(2000);
  std::vector<uint32_t> many(kRtcpRembMaxSsrcs + 1);
  EXPECT_EQ(RtcpRemb::build(1, 1000, many, out), 0u);
  EXPECT_EQ(RtcpRemb::build(1, 1000, std::span(many).first(kRtcpRembMaxSsrcs), out),
            kRtcpRembFixedSize + 4 * kRtcpRembMaxSsrcs);
  EXPECT_EQ(RtcpRemb::build(1, 1000, {}, std::span(out).first(19)), 0u);
}

TEST(RtcpRembTest, RejectsMalformedPackets) {
  struct Bad {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"another application feedback", "8fce0005 11223344 00000000 52454d58 010bd090 55667788",
       ParseError::kUnsupported},
      {"num SSRC 2, one present", "8fce0005 11223344 00000000 52454d42 020bd090 55667788",
       ParseError::kBadLength},
      {"num SSRC 0, one present", "8fce0005 11223344 00000000 52454d42 000bd090 55667788",
       ParseError::kBadLength},
      {"no bitrate word", "8fce0003 11223344 00000000 52454d42", ParseError::kBadLength},
      {"no identifier", "8fce0002 11223344 00000000", ParseError::kBadLength},
      {"bitrate beyond 64 bits", "8fce0004 11223344 00000000 52454d42 00ffffff",
       ParseError::kMalformed},
      {"FMT 1", "81ce0005 11223344 00000000 52454d42 010bd090 55667788",
       ParseError::kBadPayloadType},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto remb = RtcpRemb::parse(hex(c.bytes));
    ASSERT_FALSE(remb.ok());
    EXPECT_EQ(remb.error(), c.error) << parseErrorName(remb.error());
  }
}

TEST(RtcpRembTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto remb = RtcpRemb::parse(std::span(bytes).first(n));
      ASSERT_FALSE(remb.ok());
      EXPECT_EQ(remb.error(), ParseError::kTooShort) << n;
    }
  }
}

using test::aiortcPackets;

TEST(RtcpRembTest, ParsesAiortcRembs) {
  size_t rembs = 0;
  for (const auto& [name, bytes] : aiortcPackets(kRtcpTypePsfb)) {
    if (name.find("REMB") == std::string::npos) continue;
    SCOPED_TRACE(name);
    auto remb = RtcpRemb::parse(bytes);
    ASSERT_TRUE(remb.ok()) << parseErrorName(remb.error());
    // "REMB 2266928 bps, 2 ssrc"
    auto at = name.find("REMB ") + 5;
    EXPECT_EQ(remb->bitrateBps(), std::stoull(name.substr(at)));
    EXPECT_EQ(remb->ssrcCount(), std::stoul(name.substr(name.find(", ", at) + 2)));
    EXPECT_EQ(remb->senderSsrc(), 1270192498u);
    ASSERT_EQ(remb->ssrcCount(), 2u);
    EXPECT_EQ(remb->ssrc(0), 3562832810u);  // video
    EXPECT_EQ(remb->ssrc(1), 174696435u);   // video RTX
    std::vector<uint32_t> ssrcs{remb->ssrc(0), remb->ssrc(1)};
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpRemb::build(remb->senderSsrc(), remb->bitrateBps(), ssrcs, out), bytes.size());
    EXPECT_EQ(out, bytes);
    ++rembs;
  }
  EXPECT_EQ(rembs, 3u);
}

}  // namespace
}  // namespace switchyard::rtp
