// Receiver reports (RFC 3550 6.4.2): report blocks, extensions, length checks.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpReceiverReport.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

constexpr const char* kBlockA = "01020304 40 000005 00011234 00000020 11223344 00010000";
constexpr const char* kBlockB = "05060708 00 fffffe 0001ffff 00000100 00000000 00000000";
const RtcpReportBlock kExpectedA{0x01020304, 0x40, 5, 0x11234, 0x20, 0x11223344, 0x10000};
const RtcpReportBlock kExpectedB{0x05060708, 0, -2, 0x1ffff, 0x100, 0, 0};

struct Case {
  const char* name;
  std::string bytes;
  std::vector<RtcpReportBlock> blocks;
  std::string extension;
  bool canonical;
};

std::vector<Case> validCases() {
  return {
      {"empty", "80c90001 aabbccdd", {}, "", true},
      {"one block", std::string("81c90007 aabbccdd ") + kBlockA, {kExpectedA}, "", true},
      {"two blocks",
       std::string("82c9000d aabbccdd ") + kBlockA + kBlockB,
       {kExpectedA, kExpectedB},
       "",
       true},
      {"extension",
       std::string("80c90003 aabbccdd cafebabe 01020304"),
       {},
       "cafebabe 01020304",
       true},
      {"padding",
       std::string("a1c90008 aabbccdd ") + kBlockA + "00000004",
       {kExpectedA},
       "",
       false},
  };
}

TEST(RtcpReceiverReportTest, ParsesValidPackets) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto rr = RtcpReceiverReport::parse(bytes);
    ASSERT_TRUE(rr.ok()) << parseErrorName(rr.error());
    EXPECT_EQ(rr->ssrc(), 0xaabbccddu);
    std::vector<RtcpReportBlock> blocks(rr->reportBlocks().begin(), rr->reportBlocks().end());
    EXPECT_EQ(blocks, c.blocks);
    EXPECT_EQ(std::vector<uint8_t>(rr->extension().begin(), rr->extension().end()),
              hex(c.extension));
  }
}

TEST(RtcpReceiverReportTest, ParseThenBuildGivesTheSameBytes) {
  for (const auto& c : validCases()) {
    if (!c.canonical) continue;
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto rr = RtcpReceiverReport::parse(bytes);
    ASSERT_TRUE(rr.ok());
    std::vector<RtcpReportBlock> blocks(rr->reportBlocks().begin(), rr->reportBlocks().end());
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpReceiverReport::build(rr->ssrc(), blocks, out, rr->extension()), bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpReceiverReportTest, BuildThenParseGivesTheSameValues) {
  std::vector<RtcpReportBlock> blocks{kExpectedB, kExpectedA, kExpectedB};
  std::vector<uint8_t> out(RtcpReceiverReport::sizeFor(3));
  ASSERT_EQ(RtcpReceiverReport::build(7, blocks, out), out.size());
  auto rr = RtcpReceiverReport::parse(out);
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(rr->ssrc(), 7u);
  EXPECT_EQ(std::vector<RtcpReportBlock>(rr->reportBlocks().begin(), rr->reportBlocks().end()),
            blocks);
}

TEST(RtcpReceiverReportTest, BuildRefusesWhatCannotBeEncoded) {
  std::vector<RtcpReportBlock> blocks(kRtcpMaxCount + 1);
  std::vector<uint8_t> out(2000);
  EXPECT_EQ(RtcpReceiverReport::build(1, blocks, out), 0u);
  EXPECT_EQ(RtcpReceiverReport::build(1, std::span(blocks).first(31), out),
            RtcpReceiverReport::sizeFor(31));
  EXPECT_EQ(RtcpReceiverReport::build(1, {}, std::span(out).first(7)), 0u);
  uint8_t ext[2] = {};
  EXPECT_EQ(RtcpReceiverReport::build(1, {}, out, ext), 0u);
}

TEST(RtcpReceiverReportTest, RejectsMalformedLengths) {
  struct Bad {
    const char* name;
    std::string bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"RC 1 without its block", "81c90001 aabbccdd", ParseError::kBadLength},
      {"RC 2 with one block", std::string("82c90007 aabbccdd ") + kBlockA, ParseError::kBadLength},
      {"RC 31 with none", "9fc90001 aabbccdd", ParseError::kBadLength},
      {"no SSRC", "80c90000", ParseError::kBadLength},
      {"padding eats the block",
       std::string("a1c90007 aabbccdd ") + "01020304 40 000005 00011234 "
                                           "00000020 11223344 00010008",
       ParseError::kBadLength},
      {"bytes after the packet", "80c90001 aabbccdd 00000000", ParseError::kBadLength},
      // Found by RtcpReceiverReportFuzz: a padding count of 6 left a 14-byte extension.
      {"odd padding leaves part of an extension word",
       "a0c90005 00011a34 00000020 112280a0 0001aabb ccdd0006", ParseError::kBadLength},
      {"an SR", "80c80001 aabbccdd", ParseError::kBadPayloadType},
      {"version 0", "00c90001 aabbccdd", ParseError::kBadVersion},
      {"padding beyond the payload", "a0c90001 aabbcc09", ParseError::kBadPadding},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto rr = RtcpReceiverReport::parse(hex(c.bytes));
    ASSERT_FALSE(rr.ok());
    EXPECT_EQ(rr.error(), c.error) << parseErrorName(rr.error());
  }
}

TEST(RtcpReceiverReportTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto rr = RtcpReceiverReport::parse(std::span(bytes).first(n));
      ASSERT_FALSE(rr.ok());
      EXPECT_EQ(rr.error(), ParseError::kTooShort) << n;
    }
  }
}

using test::aiortcPackets;

TEST(RtcpReceiverReportTest, ParsesAiortcReports) {
  auto packets = aiortcPackets(kRtcpTypeRr);
  ASSERT_EQ(packets.size(), 6u);
  const uint32_t offerer[] = {3562832810u, 174696435u, 2132651819u};
  const uint32_t answerer[] = {1270192498u, 4242396859u};
  for (const auto& [name, bytes] : packets) {
    SCOPED_TRACE(name);
    auto rr = RtcpReceiverReport::parse(bytes);
    ASSERT_TRUE(rr.ok()) << parseErrorName(rr.error());
    EXPECT_NE(std::find(std::begin(answerer), std::end(answerer), rr->ssrc()), std::end(answerer));
    // "RR(2 blocks)"
    EXPECT_EQ(rr->reportBlocks().size(), std::stoul(name.substr(name.find("RR(") + 3)));
    std::vector<RtcpReportBlock> blocks;
    for (auto b : rr->reportBlocks()) {
      EXPECT_NE(std::find(std::begin(offerer), std::end(offerer), b.ssrc), std::end(offerer));
      EXPECT_GE(b.cumulativeLost, 0);
      blocks.push_back(b);
    }
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpReceiverReport::build(rr->ssrc(), blocks, out, rr->extension()), bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

}  // namespace
}  // namespace switchyard::rtp
