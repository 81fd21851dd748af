// RtpStreamId / RepairedRtpStreamId: rid-id text (RFC 8851 section 10), RFC 7941 framing.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "rtp/extensions/RtpStreamId.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

TEST(RtpStreamIdTest, ParsesAndWrites) {
  struct Case {
    const char* hex;
    const char* value;
  };
  const Case cases[] = {
      {"71", "q"},
      {"68", "h"},
      {"6869", "hi"},
      {"715f2d31", "q_-1"},
      {"41425a617a30393939", "ABZaz0999"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hex);
    const Bytes data = hex(c.hex);
    auto parsed = RtpStreamId::parse(data);
    ASSERT_TRUE(parsed.ok()) << parseErrorName(parsed.error());
    EXPECT_EQ(parsed->value, c.value);
    Bytes out(parsed->size());
    ASSERT_TRUE(parsed->write(out));
    EXPECT_EQ(out, data);
  }
  const Bytes paddedBytes = hex("6c00");
  auto padded = RtpStreamId::parse(paddedBytes);
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(padded->value, "l");
}

TEST(RtpStreamIdTest, RejectsBadValues) {
  struct Case {
    const char* name;
    Bytes data;
    ParseError error;
  };
  const Case cases[] = {
      {"empty", {}, ParseError::kBadLength},
      {"256 bytes", Bytes(256, 'a'), ParseError::kBadLength},
      {"only zero", hex("00"), ParseError::kMalformed},
      {"text after a zero", hex("610062"), ParseError::kMalformed},
      {"dot", hex("2e"), ParseError::kMalformed},
      {"space", hex("6120"), ParseError::kMalformed},
      {"brace (a token char, not rid-id)", hex("7b"), ParseError::kMalformed},
      {"high byte", hex("ff"), ParseError::kMalformed},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto parsed = RtpStreamId::parse(c.data);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error(), c.error);
  }
  EXPECT_TRUE(RtpStreamId::parse(Bytes(255, 'a')).ok());
}

TEST(RtpStreamIdTest, WriteChecksSizeAndText) {
  Bytes one(1);
  EXPECT_FALSE((RtpStreamId{"hi"}).write(one));
  EXPECT_FALSE((RtpStreamId{"."}).write(one));
  EXPECT_TRUE((RtpStreamId{"h"}).write(one));
  EXPECT_EQ(one, hex("68"));
}

}  // namespace
}  // namespace switchyard::rtp
