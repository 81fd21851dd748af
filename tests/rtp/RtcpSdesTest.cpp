// Source description (RFC 3550 6.5): chunks, items, the end octet and the 32-bit padding.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpSdes.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

struct ExpectedChunk {
  uint32_t ssrc;
  std::vector<RtcpSdesItem> items;
};

struct Case {
  const char* name;
  const char* bytes;
  std::vector<ExpectedChunk> chunks;
  bool canonical;  // parse -> build gives the same bytes
};

std::vector<Case> validCases() {
  return {
      {"CNAME padded by three",
       "81ca0003 11223344 0105 6162636465 00",
       {{0x11223344, {{kRtcpSdesCname, "abcde"}}}},
       true},
      {"items end on a word: a whole word of nulls",
       "81ca0003 11223344 01026162 00000000",
       {{0x11223344, {{kRtcpSdesCname, "ab"}}}},
       true},
      {"two chunks, several items, one empty chunk",
       "82ca0005 00000001 010178 0202797a 00 00000002 00000000",
       {{1, {{kRtcpSdesCname, "x"}, {kRtcpSdesName, "yz"}}}, {2, {}}},
       true},
      {"empty text", "81ca0002 00000009 06000000", {{9, {{kRtcpSdesTool, ""}}}}, true},
      {"no chunks", "80ca0000", {}, true},
      {"packet padding after the chunk",
       "a1ca0004 11223344 01026162 00000000 00000004",
       {{0x11223344, {{kRtcpSdesCname, "ab"}}}},
       false},
  };
}

TEST(RtcpSdesTest, ParsesValidPackets) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto sdes = RtcpSdes::parse(bytes);
    ASSERT_TRUE(sdes.ok()) << parseErrorName(sdes.error());
    ASSERT_EQ(sdes->chunkCount(), c.chunks.size());
    size_t i = 0;
    for (auto chunk : *sdes) {
      ASSERT_LT(i, c.chunks.size());
      EXPECT_EQ(chunk.ssrc(), c.chunks[i].ssrc);
      std::vector<RtcpSdesItem> items(chunk.begin(), chunk.end());
      EXPECT_EQ(items, c.chunks[i].items);
      ++i;
    }
    EXPECT_EQ(i, c.chunks.size());
  }
}

TEST(RtcpSdesTest, FindsTheCname) {
  auto bytes = hex("82ca0005 00000001 020178 0102797a 00 00000002 00000000");
  auto sdes = RtcpSdes::parse(bytes);
  ASSERT_TRUE(sdes.ok());
  auto it = sdes->begin();
  EXPECT_EQ((*it).cname(), "yz");
  EXPECT_EQ((*it).find(kRtcpSdesName), "x");
  EXPECT_EQ((*it).find(kRtcpSdesEmail), std::nullopt);
  ++it;
  EXPECT_EQ((*it).cname(), std::nullopt);
}

TEST(RtcpSdesTest, ParseThenBuildGivesTheSameBytes) {
  for (const auto& c : validCases()) {
    if (!c.canonical) continue;
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto sdes = RtcpSdes::parse(bytes);
    ASSERT_TRUE(sdes.ok());
    std::vector<std::vector<RtcpSdesItem>> items;
    std::vector<RtcpSdesChunk> chunks;
    for (auto chunk : *sdes)
      items.emplace_back(chunk.begin(), chunk.end());
    size_t i = 0;
    for (auto chunk : *sdes)
      chunks.push_back({chunk.ssrc(), items[i++]});
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpSdes::build(chunks, out), bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpSdesTest, BuildCnameThenParse) {
  for (size_t len = 0; len <= 9; ++len) {
    SCOPED_TRACE(len);
    std::string cname(len, 'c');
    std::vector<uint8_t> out(64);
    size_t n = RtcpSdes::buildCname(0xdeadbeef, cname, out);
    // SSRC, type, length, text, at least one null, to a whole word.
    EXPECT_EQ(n, 4 + (4 + 2 + len + 1 + 3) / 4 * 4);
    auto sdes = RtcpSdes::parse(std::span(out).first(n));
    ASSERT_TRUE(sdes.ok()) << parseErrorName(sdes.error());
    EXPECT_EQ((*sdes->begin()).ssrc(), 0xdeadbeefu);
    EXPECT_EQ((*sdes->begin()).cname(), cname);
  }
}

TEST(RtcpSdesTest, BuildRefusesWhatCannotBeEncoded) {
  std::vector<uint8_t> out(2000);
  RtcpSdesItem endType{kRtcpSdesEnd, "x"};
  RtcpSdesChunk bad{1, {&endType, 1}};
  EXPECT_EQ(RtcpSdes::build({&bad, 1}, out), 0u);
  std::string tooLong(kRtcpSdesMaxTextSize + 1, 'a');
  EXPECT_EQ(RtcpSdes::buildCname(1, tooLong, out), 0u);
  std::string longest(kRtcpSdesMaxTextSize, 'a');
  EXPECT_EQ(RtcpSdes::buildCname(1, longest, out), 4u + 4 + 260);
  std::vector<RtcpSdesChunk> many(kRtcpMaxCount + 1);
  EXPECT_EQ(RtcpSdes::build(many, out), 0u);
  EXPECT_EQ(RtcpSdes::build(std::span(many).first(kRtcpMaxCount), out), 4u + 31 * 8);
  EXPECT_EQ(RtcpSdes::buildCname(1, "abc", std::span(out).first(15)), 0u);
}

TEST(RtcpSdesTest, RejectsMalformedPackets) {
  struct Bad {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"SC 2 with one chunk", "82ca0003 11223344 01026162 00000000", ParseError::kBadLength},
      {"SC 1 and no chunk", "81ca0000", ParseError::kBadLength},
      {"item length past the packet", "81ca0002 11223344 01096162", ParseError::kBadLength},
      {"non-zero octet after the end octet", "81ca0002 11223344 00000001", ParseError::kMalformed},
      {"no end octet", "81ca0002 11223344 01026162", ParseError::kBadLength},
      {"item header at the last octet", "81ca0002 11223344 01016101", ParseError::kBadLength},
      {"non-zero padding", "81ca0003 11223344 0104 61626364 0001", ParseError::kMalformed},
      {"bytes after the chunks", "81ca0004 11223344 01026162 00000000 00000000",
       ParseError::kBadLength},
      {"chunk SSRC cut by padding", "a1ca0001 00000002", ParseError::kBadLength},
      {"padding inside the items", "a1ca0003 11223344 01056162 63646502", ParseError::kBadLength},
      {"a BYE", "81cb0001 11223344", ParseError::kBadPayloadType},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto sdes = RtcpSdes::parse(hex(c.bytes));
    ASSERT_FALSE(sdes.ok());
    EXPECT_EQ(sdes.error(), c.error) << parseErrorName(sdes.error());
  }
}

TEST(RtcpSdesTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto sdes = RtcpSdes::parse(std::span(bytes).first(n));
      ASSERT_FALSE(sdes.ok());
      EXPECT_EQ(sdes.error(), ParseError::kTooShort) << n;
    }
  }
}

using test::aiortcPackets;

TEST(RtcpSdesTest, ParsesAiortcCnames) {
  auto packets = aiortcPackets(kRtcpTypeSdes);
  ASSERT_EQ(packets.size(), 3u);
  for (const auto& [name, bytes] : packets) {
    SCOPED_TRACE(name);
    auto sdes = RtcpSdes::parse(bytes);
    ASSERT_TRUE(sdes.ok()) << parseErrorName(sdes.error());
    ASSERT_EQ(sdes->chunkCount(), 1u);  // "SDES(1 chunk)"
    auto chunk = *sdes->begin();
    auto cname = chunk.cname();
    ASSERT_TRUE(cname.has_value());
    // aiortc's CNAME is a UUID string.
    EXPECT_EQ(cname->size(), 36u);
    EXPECT_EQ(std::count(cname->begin(), cname->end(), '-'), 4);
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpSdes::buildCname(chunk.ssrc(), *cname, out), bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

}  // namespace
}  // namespace switchyard::rtp
