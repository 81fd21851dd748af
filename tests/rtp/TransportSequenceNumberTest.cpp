// Transport-wide sequence number: 16 bits, big-endian.

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "rtp/extensions/TransportSequenceNumber.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

TEST(TransportSequenceNumberTest, ParsesAndWrites) {
  struct Case {
    const char* hex;
    uint16_t value;
  };
  for (const Case& c :
       {Case{"0000", 0}, Case{"0001", 1}, Case{"1234", 0x1234}, Case{"ffff", 0xFFFF}}) {
    SCOPED_TRACE(c.hex);
    auto parsed = TransportSequenceNumber::parse(hex(c.hex));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->value, c.value);
    Bytes out(TransportSequenceNumber::kSize);
    ASSERT_TRUE(parsed->write(out));
    EXPECT_EQ(out, hex(c.hex));
  }
}

TEST(TransportSequenceNumberTest, RejectsOtherLengths) {
  for (const char* text : {"", "01", "010203", "01020304"}) {
    auto parsed = TransportSequenceNumber::parse(hex(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error(), ParseError::kBadLength);
  }
  Bytes one(1), three(3);
  EXPECT_FALSE((TransportSequenceNumber{1}).write(one));
  EXPECT_FALSE((TransportSequenceNumber{1}).write(three));
}

}  // namespace
}  // namespace switchyard::rtp
