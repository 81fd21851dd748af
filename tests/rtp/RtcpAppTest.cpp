// APP (RFC 3550 6.7): subtype, SSRC, name and word-aligned data.

#include <gtest/gtest.h>

#include <cctype>
#include <string_view>
#include <vector>

#include "rtp/rtcp/RtcpApp.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

struct Case {
  const char* name;
  const char* bytes;
  uint8_t subtype;
  const char* appName;
  const char* data;
  bool canonical;
};

const Case kValid[] = {
    {"with data", "85cc0003 11223344 6e616d65 deadbeef", 5, "name", "deadbeef", true},
    {"no data", "80cc0002 11223344 74657374", 0, "test", "", true},
    {"subtype 31, two words", "9fcc0004 00000001 41424344 00010203 04050607", 31, "ABCD",
     "00010203 04050607", true},
    {"padding of a word", "a0cc0003 11223344 6e616d65 00000004", 0, "name", "", false},
};

TEST(RtcpAppTest, ParsesValidPackets) {
  for (const auto& c : kValid) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto app = RtcpApp::parse(bytes);
    ASSERT_TRUE(app.ok()) << parseErrorName(app.error());
    EXPECT_EQ(app->subtype(), c.subtype);
    EXPECT_EQ(app->name(), c.appName);
    EXPECT_EQ(std::vector<uint8_t>(app->data().begin(), app->data().end()), hex(c.data));
    if (!c.canonical) continue;
    std::vector<uint8_t> out(bytes.size());
    ASSERT_EQ(RtcpApp::build(app->subtype(), app->ssrc(), app->name(), app->data(), out),
              bytes.size());
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpAppTest, BuildThenParse) {
  auto data = hex("0102030405060708");
  std::vector<uint8_t> out(64);
  size_t n = RtcpApp::build(7, 0xabcdef01, "WXYZ", data, out);
  ASSERT_EQ(n, 20u);
  auto app = RtcpApp::parse(std::span(out).first(n));
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->subtype(), 7);
  EXPECT_EQ(app->ssrc(), 0xabcdef01u);
  EXPECT_EQ(app->name(), "WXYZ");
  EXPECT_EQ(std::vector<uint8_t>(app->data().begin(), app->data().end()), data);
}

TEST(RtcpAppTest, BuildRefusesWhatCannotBeEncoded) {
  std::vector<uint8_t> out(64);
  uint8_t three[3] = {};
  EXPECT_EQ(RtcpApp::build(0, 1, "abc", {}, out), 0u);
  EXPECT_EQ(RtcpApp::build(0, 1, "abcde", {}, out), 0u);
  EXPECT_EQ(RtcpApp::build(0, 1, "abcd", three, out), 0u);
  EXPECT_EQ(RtcpApp::build(32, 1, "abcd", {}, out), 0u);
  EXPECT_EQ(RtcpApp::build(0, 1, "abcd", {}, std::span(out).first(11)), 0u);
}

TEST(RtcpAppTest, RejectsMalformedPackets) {
  struct Bad {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"no name", "80cc0001 11223344", ParseError::kBadLength},
      {"no SSRC", "80cc0000", ParseError::kBadLength},
      {"data not whole words after padding", "a0cc0003 11223344 6e616d65 dead0002",
       ParseError::kBadLength},
      {"an SDES", "80ca0002 11223344 6e616d65", ParseError::kBadPayloadType},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto app = RtcpApp::parse(hex(c.bytes));
    ASSERT_FALSE(app.ok());
    EXPECT_EQ(app.error(), c.error) << parseErrorName(app.error());
  }
}

TEST(RtcpAppTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : kValid) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto app = RtcpApp::parse(std::span(bytes).first(n));
      ASSERT_FALSE(app.ok());
      EXPECT_EQ(app.error(), ParseError::kTooShort) << n;
    }
  }
}

}  // namespace
}  // namespace switchyard::rtp
