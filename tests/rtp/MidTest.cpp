// MID header extension: SDP token text, RFC 7941 framing.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "rtp/extensions/Mid.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

TEST(MidTest, ParsesAndWrites) {
  struct Case {
    const char* hex;
    const char* value;
  };
  const Case cases[] = {
      {"30", "0"},
      {"617564696f", "audio"},
      {"7b61626364657d", "{abcde}"},  // braces are token characters
      {"7e21232425262a2b2d2e5e5f607c", "~!#$%&*+-.^_`|"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hex);
    const Bytes data = hex(c.hex);
    auto parsed = Mid::parse(data);
    ASSERT_TRUE(parsed.ok()) << parseErrorName(parsed.error());
    EXPECT_EQ(parsed->value, c.value);
    EXPECT_EQ(parsed->value.data(), reinterpret_cast<const char*>(data.data()));  // a view
    Bytes out(parsed->size());
    ASSERT_TRUE(parsed->write(out));
    EXPECT_EQ(out, data);
  }
}

TEST(MidTest, TrailingZerosArePadding) {
  const Bytes data = hex("31000000");
  auto parsed = Mid::parse(data);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->value, "1");
}

TEST(MidTest, RejectsBadValues) {
  struct Case {
    const char* name;
    Bytes data;
    ParseError error;
  };
  const Case cases[] = {
      {"empty", {}, ParseError::kBadLength},
      {"256 bytes", Bytes(256, '1'), ParseError::kBadLength},
      {"only zeros", hex("0000"), ParseError::kMalformed},
      {"text after a zero", hex("310032"), ParseError::kMalformed},
      {"space", hex("3120"), ParseError::kMalformed},
      {"double quote", hex("22"), ParseError::kMalformed},
      {"parenthesis", hex("28"), ParseError::kMalformed},
      {"control", hex("0a"), ParseError::kMalformed},
      {"high byte", hex("c3a9"), ParseError::kMalformed},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto parsed = Mid::parse(c.data);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error(), c.error);
  }
  EXPECT_TRUE(Mid::parse(Bytes(255, '1')).ok());
}

TEST(MidTest, WriteChecksSizeAndText) {
  Bytes one(1), two(2);
  EXPECT_FALSE((Mid{"ab"}).write(one));
  Bytes three(3), none;
  EXPECT_FALSE((Mid{"a b"}).write(three));
  EXPECT_FALSE((Mid{""}).write(none));
  EXPECT_TRUE((Mid{"ab"}).write(two));
  EXPECT_EQ(two, hex("6162"));
}

}  // namespace
}  // namespace switchyard::rtp
