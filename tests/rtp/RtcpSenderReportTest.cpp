// Sender reports (RFC 3550 6.4.1): sender info, report blocks, extensions, length checks.

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpSenderReport.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

constexpr const char* kInfo = "e1a2b3c4d5e6f708 00112233 00000064 00002710";
constexpr const char* kBlock = "01020304 40 000005 00011234 00000020 11223344 00010000";
const RtcpSenderInfo kExpectedInfo{0xe1a2b3c4d5e6f708, 0x00112233, 100, 10000};
const RtcpReportBlock kExpectedBlock{0x01020304, 0x40, 5, 0x11234, 0x20, 0x11223344, 0x10000};

struct Case {
  const char* name;
  std::string bytes;
  size_t blocks;
  std::string extension;
  bool canonical;  // parse -> build gives the same bytes
};

std::vector<Case> validCases() {
  return {
      {"no blocks", std::string("80c80006 aabbccdd ") + kInfo, 0, "", true},
      {"one block", std::string("81c8000c aabbccdd ") + kInfo + kBlock, 1, "", true},
      {"two blocks", std::string("82c80012 aabbccdd ") + kInfo + kBlock + kBlock, 2, "", true},
      {"extension", std::string("81c8000d aabbccdd ") + kInfo + kBlock + "cafebabe", 1, "cafebabe",
       true},
      {"padding", std::string("a0c80007 aabbccdd ") + kInfo + "00000004", 0, "", false},
  };
}

TEST(RtcpSenderReportTest, ParsesValidPackets) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto sr = RtcpSenderReport::parse(bytes);
    ASSERT_TRUE(sr.ok()) << parseErrorName(sr.error());
    EXPECT_EQ(sr->ssrc(), 0xaabbccddu);
    EXPECT_EQ(sr->senderInfo(), kExpectedInfo);
    ASSERT_EQ(sr->reportBlocks().size(), c.blocks);
    for (auto block : sr->reportBlocks())
      EXPECT_EQ(block, kExpectedBlock);
    auto ext = hex(c.extension);
    EXPECT_EQ(std::vector<uint8_t>(sr->extension().begin(), sr->extension().end()), ext);
  }
}

TEST(RtcpSenderReportTest, ParseThenBuildGivesTheSameBytes) {
  for (const auto& c : validCases()) {
    if (!c.canonical) continue;
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto sr = RtcpSenderReport::parse(bytes);
    ASSERT_TRUE(sr.ok());
    std::vector<RtcpReportBlock> blocks(sr->reportBlocks().begin(), sr->reportBlocks().end());
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpSenderReport::build(sr->ssrc(), sr->senderInfo(), blocks, out, sr->extension()),
              bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpSenderReportTest, BuildThenParseGivesTheSameValues) {
  std::vector<RtcpReportBlock> blocks;
  for (uint32_t i = 0; i < kRtcpMaxCount; ++i) {
    blocks.push_back({i, static_cast<uint8_t>(i), -static_cast<int32_t>(i), i * 7, i * 3, i, i});
  }
  std::vector<uint8_t> out(RtcpSenderReport::sizeFor(blocks.size()));
  ASSERT_EQ(RtcpSenderReport::build(42, kExpectedInfo, blocks, out), out.size());
  auto sr = RtcpSenderReport::parse(out);
  ASSERT_TRUE(sr.ok());
  EXPECT_EQ(sr->ssrc(), 42u);
  EXPECT_EQ(sr->senderInfo(), kExpectedInfo);
  ASSERT_EQ(sr->reportBlocks().size(), blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i)
    EXPECT_EQ(sr->reportBlocks()[i], blocks[i]);
  EXPECT_TRUE(sr->extension().empty());
}

TEST(RtcpSenderReportTest, BuildRefusesWhatCannotBeEncoded) {
  std::vector<RtcpReportBlock> blocks(kRtcpMaxCount + 1);
  std::vector<uint8_t> out(2000);
  EXPECT_EQ(RtcpSenderReport::build(1, {}, blocks, out), 0u);
  EXPECT_EQ(RtcpSenderReport::build(1, {}, {}, std::span(out).first(27)), 0u);
  uint8_t ext[3] = {};
  EXPECT_EQ(RtcpSenderReport::build(1, {}, {}, out, ext), 0u);
}

TEST(RtcpSenderReportTest, RejectsMalformedLengths) {
  struct Bad {
    const char* name;
    std::string bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"RC 1 without its block", std::string("81c80006 aabbccdd ") + kInfo, ParseError::kBadLength},
      {"RC 2 with one block", std::string("82c8000c aabbccdd ") + kInfo + kBlock,
       ParseError::kBadLength},
      {"no room for sender info", "80c80001 aabbccdd", ParseError::kBadLength},
      {"header only", "80c80000", ParseError::kBadLength},
      {"padding eats the sender info",
       "a0c80006 aabbccdd e1a2b3c4d5e6f708 00112233 00000064 00000008", ParseError::kBadLength},
      {"bytes after the packet", std::string("80c80006 aabbccdd ") + kInfo + "00000000",
       ParseError::kBadLength},
      {"an RR", std::string("80c90006 aabbccdd ") + kInfo, ParseError::kBadPayloadType},
      {"version 1", std::string("40c80006 aabbccdd ") + kInfo, ParseError::kBadVersion},
      // Found by RtcpSenderReportFuzz: a padding count of 1 left a 3-byte extension.
      {"odd padding leaves part of an extension word",
       "a0c80007 aabbccdd e1a2b3c4d5e6f708 00112232 00000064 00392710 01000001",
       ParseError::kBadLength},
      {"padding count zero", "a0c80006 aabbccdd e1a2b3c4d5e6f708 00112233 00000064 00002700",
       ParseError::kBadPadding},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto sr = RtcpSenderReport::parse(hex(c.bytes));
    ASSERT_FALSE(sr.ok());
    EXPECT_EQ(sr.error(), c.error) << parseErrorName(sr.error());
  }
}

TEST(RtcpSenderReportTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto sr = RtcpSenderReport::parse(std::span(bytes).first(n));
      ASSERT_FALSE(sr.ok());
      EXPECT_EQ(sr.error(), ParseError::kTooShort) << n;
    }
  }
}

using test::aiortcPackets;

TEST(RtcpSenderReportTest, ParsesAiortcReports) {
  auto packets = aiortcPackets(kRtcpTypeSr);
  ASSERT_EQ(packets.size(), 3u);
  uint64_t lastNtp = 0;
  for (const auto& [name, bytes] : packets) {
    SCOPED_TRACE(name);
    auto sr = RtcpSenderReport::parse(bytes);
    ASSERT_TRUE(sr.ok()) << parseErrorName(sr.error());
    EXPECT_TRUE(sr->ssrc() == 3562832810u || sr->ssrc() == 2132651819u);
    EXPECT_EQ(sr->reportBlocks().size(), 0u);  // "SR(0 blocks)"
    auto info = sr->senderInfo();
    EXPECT_GT(info.ntpTimestamp, lastNtp);  // captured in send order
    lastNtp = info.ntpTimestamp;
    EXPECT_GT(info.packetCount, 0u);
    EXPECT_GT(info.octetCount, info.packetCount);
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpSenderReport::build(sr->ssrc(), info, {}, out), bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

}  // namespace
}  // namespace switchyard::rtp
