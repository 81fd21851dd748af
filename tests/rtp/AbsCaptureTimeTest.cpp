// abs-capture-time: NTP capture timestamp, optional signed clock offset.

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "rtp/extensions/AbsCaptureTime.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

TEST(AbsCaptureTimeTest, ParsesAndWrites) {
  struct Case {
    const char* hex;
    uint64_t timestamp;
    std::optional<int64_t> offset;
  };
  const Case cases[] = {
      {"0102030405060708", 0x0102030405060708, std::nullopt},
      {"e9f0a0b180000000", 0xE9F0A0B180000000, std::nullopt},
      {"e9f0a0b180000000 0000000100000000", 0xE9F0A0B180000000, int64_t{1} << 32},  // +1 s
      {"0000000000000001 ffffffff00000000", 1, -(int64_t{1} << 32)},                // -1 s
      {"ffffffffffffffff 8000000000000000", 0xFFFFFFFFFFFFFFFF, INT64_MIN},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hex);
    auto parsed = AbsCaptureTime::parse(hex(c.hex));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->captureTimestamp, c.timestamp);
    EXPECT_EQ(parsed->estimatedClockOffset, c.offset);
    Bytes out(parsed->size());
    ASSERT_TRUE(parsed->write(out));
    EXPECT_EQ(out, hex(c.hex));
  }
}

TEST(AbsCaptureTimeTest, RejectsOtherLengths) {
  for (size_t n : {0, 1, 7, 9, 15, 17, 24}) {
    const Bytes data(n, 0x11);
    auto parsed = AbsCaptureTime::parse(data);
    ASSERT_FALSE(parsed.ok()) << n;
    EXPECT_EQ(parsed.error(), ParseError::kBadLength);
  }
  Bytes eight(8), sixteen(16);
  EXPECT_FALSE((AbsCaptureTime{1, 5}).write(eight));
  EXPECT_FALSE((AbsCaptureTime{1, std::nullopt}).write(sixteen));
}

}  // namespace
}  // namespace switchyard::rtp
