// BYE (RFC 3550 6.6): the SSRC list and the optional, padded reason.

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtp/rtcp/RtcpBye.hpp"
#include "rtp/rtcp/RtcpCompound.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

struct Case {
  const char* name;
  const char* bytes;
  std::vector<uint32_t> ssrcs;
  bool hasReason;
  std::string reason;
  bool canonical;
};

std::vector<Case> validCases() {
  return {
      {"one SSRC", "81cb0001 11223344", {0x11223344}, false, "", true},
      {"two SSRCs", "82cb0002 11223344 55667788", {0x11223344, 0x55667788}, false, "", true},
      {"reason filling a word", "81cb0002 11223344 03627965", {0x11223344}, true, "bye", true},
      {"reason padded", "81cb0003 11223344 04676f6e65 000000", {0x11223344}, true, "gone", true},
      {"no SSRC", "80cb0000", {}, false, "", true},
      {"empty reason", "81cb0002 11223344 00000000", {0x11223344}, true, "", false},
      {"packet padding", "a1cb0002 11223344 00000004", {0x11223344}, false, "", false},
  };
}

TEST(RtcpByeTest, ParsesValidPackets) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto bye = RtcpBye::parse(bytes);
    ASSERT_TRUE(bye.ok()) << parseErrorName(bye.error());
    ASSERT_EQ(bye->ssrcCount(), c.ssrcs.size());
    for (size_t i = 0; i < c.ssrcs.size(); ++i)
      EXPECT_EQ(bye->ssrc(i), c.ssrcs[i]);
    EXPECT_EQ(bye->hasReason(), c.hasReason);
    EXPECT_EQ(bye->reason(), c.reason);
  }
}

TEST(RtcpByeTest, RoundTrips) {
  for (const auto& c : validCases()) {
    if (!c.canonical) continue;
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpBye::build(c.ssrcs, c.reason, out), bytes.size());
    EXPECT_EQ(out, bytes);
  }
  for (size_t len = 0; len <= 8; ++len) {
    std::string reason(len, 'r');
    uint32_t ssrcs[] = {1, 2, 3};
    std::vector<uint8_t> out(64);
    size_t n = RtcpBye::build(ssrcs, reason, out);
    ASSERT_GT(n, 0u);
    auto bye = RtcpBye::parse(std::span(out).first(n));
    ASSERT_TRUE(bye.ok());
    EXPECT_EQ(bye->ssrcCount(), 3u);
    EXPECT_EQ(bye->ssrc(2), 3u);
    EXPECT_EQ(bye->hasReason(), len > 0);
    EXPECT_EQ(bye->reason(), reason);
  }
}

TEST(RtcpByeTest, BuildRefusesWhatCannotBeEncoded) {
  std::vector<uint8_t> out(2000);
  std::vector<uint32_t> many(kRtcpMaxCount + 1);
  EXPECT_EQ(RtcpBye::build(many, "", out), 0u);
  EXPECT_EQ(RtcpBye::build({}, std::string(kRtcpByeMaxReasonSize + 1, 'x'), out), 0u);
  EXPECT_EQ(RtcpBye::build({}, std::string(kRtcpByeMaxReasonSize, 'x'), out), 4u + 256);
  uint32_t one = 1;
  EXPECT_EQ(RtcpBye::build({&one, 1}, "bye", std::span(out).first(11)), 0u);
}

TEST(RtcpByeTest, RejectsMalformedPackets) {
  struct Bad {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"SC 2 with one SSRC", "82cb0001 11223344", ParseError::kBadLength},
      {"SC 31 with none", "9fcb0000", ParseError::kBadLength},
      {"reason past the packet", "81cb0002 11223344 05627965", ParseError::kBadLength},
      {"a word after the reason", "81cb0003 11223344 03627965 00000000", ParseError::kBadLength},
      {"non-zero reason padding", "81cb0003 11223344 04676f6e65 000001", ParseError::kMalformed},
      {"an APP", "81cc0001 11223344", ParseError::kBadPayloadType},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bye = RtcpBye::parse(hex(c.bytes));
    ASSERT_FALSE(bye.ok());
    EXPECT_EQ(bye.error(), c.error) << parseErrorName(bye.error());
  }
}

TEST(RtcpByeTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto bye = RtcpBye::parse(std::span(bytes).first(n));
      ASSERT_FALSE(bye.ok());
      EXPECT_EQ(bye.error(), ParseError::kTooShort) << n;
    }
  }
}

using test::aiortcPackets;

TEST(RtcpByeTest, ParsesAiortcByes) {
  auto packets = aiortcPackets(kRtcpTypeBye);
  ASSERT_EQ(packets.size(), 2u);
  std::vector<uint32_t> ssrcs;
  for (const auto& [name, bytes] : packets) {
    SCOPED_TRACE(name);
    auto bye = RtcpBye::parse(bytes);
    ASSERT_TRUE(bye.ok()) << parseErrorName(bye.error());
    ASSERT_EQ(bye->ssrcCount(), 1u);  // "BYE(1 ssrc)"
    EXPECT_FALSE(bye->hasReason());
    ssrcs.push_back(bye->ssrc(0));
    std::vector<uint8_t> out(bytes.size());
    uint32_t ssrc = bye->ssrc(0);
    ASSERT_EQ(RtcpBye::build({&ssrc, 1}, "", out), bytes.size());
    EXPECT_EQ(out, bytes);
  }
  // The offerer says goodbye for its video and its audio source.
  EXPECT_EQ(ssrcs, (std::vector<uint32_t>{3562832810u, 2132651819u}));
}

}  // namespace
}  // namespace switchyard::rtp
