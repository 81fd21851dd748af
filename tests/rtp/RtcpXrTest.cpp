// Extended reports (RFC 3611): RRTR (4.4), DLRR (4.5), unknown blocks skipped by length.

#include <gtest/gtest.h>

#include <cctype>
#include <string_view>
#include <vector>

#include "rtp/rtcp/RtcpXr.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

struct Case {
  const char* name;
  const char* bytes;
  std::vector<uint8_t> blockTypes;
  std::optional<uint64_t> rrtr;
  std::vector<RtcpXrDlrrItem> dlrr;
  bool canonical;  // what build() writes for rrtr and dlrr
};

const std::vector<Case>& validCases() {
  static const std::vector<Case> cases = {
      {"RRTR", "80cf0004 11223344 04000002 0102030405060708", {4}, 0x0102030405060708, {}, true},
      {"DLRR with two sub-blocks",
       "80cf0008 11223344 05000006 aaaaaaaa 00000001 00000002 bbbbbbbb 00000003 00000004",
       {5},
       std::nullopt,
       {{0xaaaaaaaa, 1, 2}, {0xbbbbbbbb, 3, 4}},
       true},
      {"RRTR then DLRR",
       "80cf0008 11223344 04000002 0102030405060708 05000003 aaaaaaaa 00000001 00000002",
       {4, 5},
       0x0102030405060708,
       {{0xaaaaaaaa, 1, 2}},
       true},
      {"unknown blocks skipped",
       "80cf0007 11223344 07ab0001 cafebabe 04000002 0102030405060708 08000000",
       {7, 4, 8},
       0x0102030405060708,
       {},
       false},
      {"no blocks", "80cf0001 11223344", {}, std::nullopt, {}, true},
      {"empty DLRR", "80cf0002 11223344 05000000", {5}, std::nullopt, {}, false},
      {"packet padding", "a0cf0002 11223344 00000004", {}, std::nullopt, {}, false},
  };
  return cases;
}

TEST(RtcpXrTest, ParsesBlocks) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto xr = RtcpXr::parse(bytes);
    ASSERT_TRUE(xr.ok()) << parseErrorName(xr.error());
    EXPECT_EQ(xr->senderSsrc(), 0x11223344u);
    std::vector<uint8_t> types;
    for (auto block : *xr)
      types.push_back(block.type());
    EXPECT_EQ(types, c.blockTypes);
    auto rrtr = xr->find(kRtcpXrBlockRrtr);
    ASSERT_EQ(rrtr.has_value(), c.rrtr.has_value());
    if (rrtr) {
      EXPECT_EQ(rrtr->ntpTimestamp(), *c.rrtr);
    }
    std::vector<RtcpXrDlrrItem> dlrr;
    if (auto block = xr->find(kRtcpXrBlockDlrr)) {
      for (size_t i = 0; i < block->dlrrCount(); ++i)
        dlrr.push_back(block->dlrr(i));
    }
    EXPECT_EQ(dlrr, c.dlrr);
    if (!c.canonical) continue;
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpXr::build(0x11223344, c.rrtr, c.dlrr, out), bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpXrTest, UnknownBlockKeepsItsBody) {
  auto bytes = hex("80cf0003 11223344 07ab0001 cafebabe");
  auto xr = RtcpXr::parse(bytes);
  ASSERT_TRUE(xr.ok());
  auto block = *xr->begin();
  EXPECT_EQ(block.type(), 7);
  EXPECT_EQ(block.typeSpecific(), 0xab);
  EXPECT_EQ(std::vector<uint8_t>(block.body().begin(), block.body().end()), hex("cafebabe"));
}

TEST(RtcpXrTest, BuildRefusesWhatDoesNotFit) {
  std::vector<uint8_t> out(64);
  RtcpXrDlrrItem item{1, 2, 3};
  EXPECT_EQ(RtcpXr::build(1, 5, {&item, 1}, std::span(out).first(35)), 0u);
  EXPECT_EQ(RtcpXr::build(1, 5, {&item, 1}, out), 36u);
  EXPECT_EQ(RtcpXr::build(1, std::nullopt, {}, std::span(out).first(7)), 0u);
  std::vector<RtcpXrDlrrItem> tooMany(0xffff / 3 + 1);
  std::vector<uint8_t> big(kRtcpMaxPacketSize);
  EXPECT_EQ(RtcpXr::build(1, std::nullopt, tooMany, big), 0u);
}

TEST(RtcpXrTest, RejectsMalformedBlocks) {
  struct Bad {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"no SSRC", "80cf0000", ParseError::kBadLength},
      {"block past the packet", "80cf0002 11223344 07000005", ParseError::kBadLength},
      {"second block past the packet", "80cf0004 11223344 07000001 00000000 07000001",
       ParseError::kBadLength},
      {"RRTR of one word", "80cf0003 11223344 04000001 01020304", ParseError::kBadLength},
      {"RRTR of three words", "80cf0005 11223344 04000003 01020304 01020304 01020304",
       ParseError::kBadLength},
      {"DLRR of two words", "80cf0004 11223344 05000002 00000001 00000002", ParseError::kBadLength},
      {"half a block header after padding", "a0cf0002 11223344 04000002", ParseError::kBadLength},
      {"an APP", "80cc0001 11223344", ParseError::kBadPayloadType},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto xr = RtcpXr::parse(hex(c.bytes));
    ASSERT_FALSE(xr.ok());
    EXPECT_EQ(xr.error(), c.error) << parseErrorName(xr.error());
  }
}

TEST(RtcpXrTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto xr = RtcpXr::parse(std::span(bytes).first(n));
      ASSERT_FALSE(xr.ok());
      EXPECT_EQ(xr.error(), ParseError::kTooShort) << n;
    }
  }
}

}  // namespace
}  // namespace switchyard::rtp
