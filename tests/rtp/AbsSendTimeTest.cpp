// abs-send-time: 24-bit 6.18 fixed-point seconds.

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "rtp/RtpPacket.hpp"
#include "rtp/extensions/AbsSendTime.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

TEST(AbsSendTimeTest, ParsesAndConverts) {
  struct Case {
    const char* hex;
    uint32_t value;
    uint64_t micros;
  };
  const Case cases[] = {
      {"000000", 0, 0},
      {"040000", 0x040000, 1'000'000},   // 1 s: 1 << 18
      {"060000", 0x060000, 1'500'000},   // 1.5 s
      {"400000", 0x400000, 16'000'000},  // 16 s
      {"000001", 1, 4},                  // 2^-18 s = 3.81 us, rounded
      {"ffffff", 0xFFFFFF, 63'999'996},  // just under the 64 s wrap
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hex);
    auto parsed = AbsSendTime::parse(hex(c.hex));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->value, c.value);
    EXPECT_EQ(parsed->toMicros(), c.micros);
    Bytes out(AbsSendTime::kSize);
    ASSERT_TRUE(parsed->write(out));
    EXPECT_EQ(out, hex(c.hex));
  }
}

TEST(AbsSendTimeTest, RejectsOtherLengths) {
  for (const char* text : {"", "00", "0000", "00000000"}) {
    auto parsed = AbsSendTime::parse(hex(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error(), ParseError::kBadLength);
  }
}

TEST(AbsSendTimeTest, WriteNeedsThreeBytesAndTwentyFourBits) {
  Bytes two(2), four(4), three(3);
  EXPECT_FALSE((AbsSendTime{1}).write(two));
  EXPECT_FALSE((AbsSendTime{1}).write(four));
  EXPECT_FALSE((AbsSendTime{0x1000000}).write(three));
}

TEST(AbsSendTimeTest, FromMicrosRoundsAndWraps) {
  EXPECT_EQ(AbsSendTime::fromMicros(0).value, 0u);
  EXPECT_EQ(AbsSendTime::fromMicros(1'000'000).value, 0x040000u);
  EXPECT_EQ(AbsSendTime::fromMicros(1'500'000).value, 0x060000u);
  EXPECT_EQ(AbsSendTime::fromMicros(2).value, 1u);  // 0.52 units rounds up
  EXPECT_EQ(AbsSendTime::fromMicros(1).value, 0u);  // 0.26 units rounds down
  EXPECT_EQ(AbsSendTime::fromMicros(64'000'000).value, 0u);
  EXPECT_EQ(AbsSendTime::fromMicros(65'000'000).value, 0x040000u);
  EXPECT_EQ(AbsSendTime::fromMicros(63'999'999).value, 0u);  // rounds up onto the wrap
  // A wall-clock time in microseconds since 1970 must not overflow the shift.
  const uint64_t now = 1'717'171'717'123'456;
  EXPECT_EQ(AbsSendTime::fromMicros(now).value, AbsSendTime::fromMicros(now % 64'000'000).value);
  for (uint64_t us : {0ull, 123'456ull, 9'999'999ull, 33'333'333ull}) {
    const uint64_t back = AbsSendTime::fromMicros(us).toMicros();
    EXPECT_LE(back > us ? back - us : us - back, 2u) << us;
  }
}

TEST(AbsSendTimeTest, ReadAndWriteThroughAPacket) {
  std::vector<uint8_t> buffer(64);
  auto packet = RtpPacket::build(buffer, 96, 1, 2, 3, {});
  ASSERT_TRUE(packet.has_value());
  auto room = packet->reserveExtension(2, AbsSendTime::kSize);
  ASSERT_TRUE(room.has_value());
  ASSERT_TRUE((AbsSendTime{0x123456}).write(*room));
  auto again = RtpPacket::parse(packet->bytes(), packet->capacity());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(AbsSendTime::parse(*again->extension(2))->value, 0x123456u);
  EXPECT_EQ(std::vector<uint8_t>(again->bytes().begin() + 12, again->bytes().end()),
            hex("bede 0001 22123456"));
}

}  // namespace
}  // namespace switchyard::rtp
