// Reception report blocks (RFC 3550 6.4.1): fields, the signed 24-bit loss count, the list view.

#include <gtest/gtest.h>

#include <cctype>
#include <string_view>
#include <vector>

#include "rtp/rtcp/RtcpReportBlock.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

TEST(RtcpReportBlockTest, ParsesFieldsAndRoundTrips) {
  struct Case {
    const char* name;
    const char* bytes;
    RtcpReportBlock expected;
  };
  const Case cases[] = {
      {"typical",
       "01020304 40 000005 00011234 00000020 11223344 00010000",
       {0x01020304, 0x40, 5, 0x11234, 0x20, 0x11223344, 0x10000}},
      {"loss count -1 from duplicates",
       "aabbccdd 00 ffffff 0000ffff 00000000 00000000 00000000",
       {0xaabbccdd, 0, -1, 0xffff, 0, 0, 0}},
      {"most negative loss count",
       "00000001 ff 800000 ffffffff ffffffff ffffffff ffffffff",
       {1, 0xff, kRtcpMinCumulativeLost, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
      {"largest loss count",
       "00000001 01 7fffff 00000000 00000000 00000000 00000000",
       {1, 1, kRtcpMaxCumulativeLost, 0, 0, 0, 0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto block = RtcpReportBlock::parse(bytes);
    ASSERT_TRUE(block.ok());
    EXPECT_EQ(*block, c.expected);
    std::vector<uint8_t> out(kRtcpReportBlockSize);
    ASSERT_EQ(c.expected.write(out), kRtcpReportBlockSize);
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpReportBlockTest, WriteClampsTheLossCountTo24Bits) {
  std::vector<uint8_t> out(kRtcpReportBlockSize);
  RtcpReportBlock b;
  b.cumulativeLost = 10'000'000;
  b.write(out);
  EXPECT_EQ(RtcpReportBlock::parse(out)->cumulativeLost, kRtcpMaxCumulativeLost);
  b.cumulativeLost = -10'000'000;
  b.write(out);
  EXPECT_EQ(RtcpReportBlock::parse(out)->cumulativeLost, kRtcpMinCumulativeLost);
}

TEST(RtcpReportBlockTest, TruncationAtEveryOffsetIsRejected) {
  auto bytes = hex("01020304 40 000005 00011234 00000020 11223344 00010000");
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto block = RtcpReportBlock::parse(std::span(bytes).first(n));
    ASSERT_FALSE(block.ok());
    EXPECT_EQ(block.error(), ParseError::kTooShort);
  }
}

TEST(RtcpReportBlockTest, WriteNeedsRoom) {
  std::vector<uint8_t> out(kRtcpReportBlockSize - 1);
  EXPECT_EQ(RtcpReportBlock{}.write(out), 0u);
}

TEST(RtcpReportBlockTest, ListIndexesAndIterates) {
  auto bytes =
      hex("00000001 01 000001 00000001 00000001 00000001 00000001"
          "00000002 02 000002 00000002 00000002 00000002 00000002"
          "00000003 03 000003 00000003 00000003 00000003 00000003");
  RtcpReportBlockList list(bytes);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_FALSE(list.empty());
  uint32_t expected = 1;
  for (auto block : list) {
    EXPECT_EQ(block.ssrc, expected);
    EXPECT_EQ(block.fractionLost, expected);
    EXPECT_EQ(block.cumulativeLost, static_cast<int32_t>(expected));
    EXPECT_EQ(block.delaySinceLastSenderReport, expected);
    ++expected;
  }
  EXPECT_EQ(expected, 4u);
  EXPECT_EQ(list[2].ssrc, 3u);
  EXPECT_TRUE(RtcpReportBlockList().empty());
}

}  // namespace
}  // namespace switchyard::rtp
