// Generic NACK (RFC 4585 6.2.1): PID/BLP items, expansion to sequence numbers and packing from a
// sorted list, across the 2^16 wrap.

#include <gtest/gtest.h>

#include <cctype>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpNack.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

std::vector<uint16_t> lostOf(const RtcpNack& nack) {
  std::vector<uint16_t> out;
  for (uint16_t seq : nack.lost())
    out.push_back(seq);
  return out;
}

struct Case {
  const char* name;
  const char* bytes;
  std::vector<RtcpNackItem> items;
  std::vector<uint16_t> lost;
};

const std::vector<Case>& validCases() {
  static const std::vector<Case> cases = {
      {"one item", "81cd0003 11223344 55667788 04d20005", {{1234, 0x0005}}, {1234, 1235, 1237}},
      {"BLP edges and the wrap",
       "81cd0004 11223344 55667788 00018000 fffe0001",
       {{1, 0x8000}, {0xfffe, 0x0001}},
       {1, 17, 0xfffe, 0xffff}},
      {"BLP wrapping past 65535",
       "81cd0003 11223344 55667788 fff0ffff",
       {{0xfff0, 0xffff}},
       {0xfff0, 0xfff1, 0xfff2, 0xfff3, 0xfff4, 0xfff5, 0xfff6, 0xfff7, 0xfff8, 0xfff9, 0xfffa,
        0xfffb, 0xfffc, 0xfffd, 0xfffe, 0xffff, 0x0000}},
      {"empty BLP", "81cd0003 11223344 55667788 80000000", {{0x8000, 0}}, {0x8000}},
  };
  return cases;
}

TEST(RtcpNackTest, ParsesItemsAndExpandsThem) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto nack = RtcpNack::parse(bytes);
    ASSERT_TRUE(nack.ok()) << parseErrorName(nack.error());
    EXPECT_EQ(nack->senderSsrc(), 0x11223344u);
    EXPECT_EQ(nack->mediaSsrc(), 0x55667788u);
    ASSERT_EQ(nack->itemCount(), c.items.size());
    for (size_t i = 0; i < c.items.size(); ++i)
      EXPECT_EQ(nack->item(i), c.items[i]);
    EXPECT_EQ(lostOf(*nack), c.lost);
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpNack::build(0x11223344, 0x55667788, c.items, out), bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpNackTest, LostSequenceNumbersFillsWhatFits) {
  auto bytes = hex("81cd0003 11223344 55667788 04d20005");
  auto nack = RtcpNack::parse(bytes);
  ASSERT_TRUE(nack.ok());
  std::vector<uint16_t> out(2);
  EXPECT_EQ(nack->lostSequenceNumbers(out), 2u);
  EXPECT_EQ(out, (std::vector<uint16_t>{1234, 1235}));
  out.resize(10);
  EXPECT_EQ(nack->lostSequenceNumbers(out), 3u);
  EXPECT_EQ(nack->lostSequenceNumbers({}), 0u);
}

TEST(RtcpNackTest, BuildsFromSortedSequenceNumbers) {
  struct Build {
    const char* name;
    std::vector<uint16_t> lost;
    std::vector<RtcpNackItem> items;
    std::vector<uint16_t> expanded;  // what the NACK reports back
  };
  const Build cases[] = {
      {"single", {100}, {{100, 0}}, {100}},
      {"both BLP ends", {100, 101, 116}, {{100, 0x8001}}, {100, 101, 116}},
      {"just past the BLP", {100, 117}, {{100, 0}, {117, 0}}, {100, 117}},
      {"across the 2^16 wrap", {65535, 0, 15, 16}, {{65535, 0x8001}, {16, 0}}, {65535, 0, 15, 16}},
      {"across 2^15",
       {32766, 32767, 32768, 32769},
       {{32766, 0x0007}},
       {32766, 32767, 32768, 32769}},
      {"duplicates", {5, 5, 6, 6}, {{5, 0x0001}}, {5, 6}},
      {"a long run",
       {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
        14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26},
       {{1, 0xffff}, {18, 0x00ff}},
       {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
        14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(RtcpNack::itemCountFor(c.lost), c.items.size());
    std::vector<uint8_t> out(64);
    size_t n = RtcpNack::buildFromSequenceNumbers(1, 2, c.lost, out);
    ASSERT_EQ(n, 12 + 4 * c.items.size());
    auto nack = RtcpNack::parse(std::span(out).first(n));
    ASSERT_TRUE(nack.ok());
    ASSERT_EQ(nack->itemCount(), c.items.size());
    for (size_t i = 0; i < c.items.size(); ++i)
      EXPECT_EQ(nack->item(i), c.items[i]);
    EXPECT_EQ(lostOf(*nack), c.expanded);
  }
}

TEST(RtcpNackTest, BuildRefusesWhatCannotBeEncoded) {
  std::vector<uint8_t> out(64);
  EXPECT_EQ(RtcpNack::build(1, 2, {}, out), 0u);
  EXPECT_EQ(RtcpNack::buildFromSequenceNumbers(1, 2, {}, out), 0u);
  uint16_t lost[] = {1, 100};
  EXPECT_EQ(RtcpNack::buildFromSequenceNumbers(1, 2, lost, std::span(out).first(19)), 0u);
  EXPECT_EQ(RtcpNack::buildFromSequenceNumbers(1, 2, lost, std::span(out).first(20)), 20u);
}

TEST(RtcpNackTest, RejectsMalformedPackets) {
  struct Bad {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"no items", "81cd0002 11223344 55667788", ParseError::kBadLength},
      {"no media SSRC", "81cd0001 11223344", ParseError::kBadLength},
      {"half an item after padding", "a1cd0003 11223344 55667788 04d20002", ParseError::kBadLength},
      {"FMT 15 (transport-cc)", "8fcd0003 11223344 55667788 04d20005", ParseError::kBadPayloadType},
      {"a PSFB", "81ce0003 11223344 55667788 04d20005", ParseError::kBadPayloadType},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto nack = RtcpNack::parse(hex(c.bytes));
    ASSERT_FALSE(nack.ok());
    EXPECT_EQ(nack.error(), c.error) << parseErrorName(nack.error());
  }
}

TEST(RtcpNackTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto nack = RtcpNack::parse(std::span(bytes).first(n));
      ASSERT_FALSE(nack.ok());
      EXPECT_EQ(nack.error(), ParseError::kTooShort) << n;
    }
  }
}

using test::aiortcPackets;

// "... NACK 8 FCI, lost 23234,23235,23236..23361 (128 seqs)": every sequence number named.
std::vector<uint16_t> lostFromName(const std::string& name) {
  std::vector<uint16_t> out;
  std::string list = name.substr(name.find("lost ") + 5);
  list = list.substr(0, list.find(' '));
  std::stringstream ss(list);
  for (std::string tok; std::getline(ss, tok, ',');) {
    auto dots = tok.find("..");
    if (dots == std::string::npos) {
      out.push_back(static_cast<uint16_t>(std::stoi(tok)));
      continue;
    }
    for (int s = std::stoi(tok.substr(0, dots)); s <= std::stoi(tok.substr(dots + 2)); ++s) {
      out.push_back(static_cast<uint16_t>(s));
    }
  }
  return out;
}

TEST(RtcpNackTest, ParsesAiortcNacks) {
  auto packets = aiortcPackets(kRtcpTypeRtpfb);
  ASSERT_EQ(packets.size(), 4u);
  for (const auto& [name, bytes] : packets) {
    SCOPED_TRACE(name);
    auto nack = RtcpNack::parse(bytes);
    ASSERT_TRUE(nack.ok()) << parseErrorName(nack.error());
    EXPECT_EQ(nack->senderSsrc(), 1270192498u);  // the answerer's video SSRC
    EXPECT_EQ(nack->mediaSsrc(), 3562832810u);   // the offerer's video SSRC
    auto fci = std::stoul(name.substr(name.find("NACK ") + 5));
    EXPECT_EQ(nack->itemCount(), fci);
    auto expected = lostFromName(name);
    EXPECT_EQ(lostOf(*nack), expected);
    // aiortc packs like we do: rebuilding from the lost list gives its bytes back.
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(
        RtcpNack::buildFromSequenceNumbers(nack->senderSsrc(), nack->mediaSsrc(), expected, out),
        bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

}  // namespace
}  // namespace switchyard::rtp
