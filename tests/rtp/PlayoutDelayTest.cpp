// Playout delay: two 12-bit fields in units of 10 ms.

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "rtp/extensions/PlayoutDelay.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

TEST(PlayoutDelayTest, ParsesAndWrites) {
  struct Case {
    const char* hex;
    uint16_t min;
    uint16_t max;
    uint32_t minMs;
    uint32_t maxMs;
  };
  const Case cases[] = {
      {"000000", 0, 0, 0, 0},
      {"001002", 1, 2, 10, 20},
      {"0640c8", 100, 200, 1000, 2000},
      {"000fff", 0, 4095, 0, 40950},
      {"ffffff", 4095, 4095, 40950, 40950},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hex);
    auto parsed = PlayoutDelay::parse(hex(c.hex));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->min, c.min);
    EXPECT_EQ(parsed->max, c.max);
    EXPECT_EQ(parsed->minMs(), c.minMs);
    EXPECT_EQ(parsed->maxMs(), c.maxMs);
    Bytes out(PlayoutDelay::kSize);
    ASSERT_TRUE(parsed->write(out));
    EXPECT_EQ(out, hex(c.hex));
  }
}

TEST(PlayoutDelayTest, RejectsBadLengthsAndOrder) {
  for (const char* text : {"", "00", "0000", "00000000"}) {
    auto parsed = PlayoutDelay::parse(hex(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error(), ParseError::kBadLength);
  }
  auto inverted = PlayoutDelay::parse(hex("002001"));  // min 2 > max 1
  ASSERT_FALSE(inverted.ok());
  EXPECT_EQ(inverted.error(), ParseError::kMalformed);

  Bytes three(3), four(4);
  EXPECT_FALSE((PlayoutDelay{2, 1}).write(three));
  EXPECT_FALSE((PlayoutDelay{0, 4096}).write(three));
  EXPECT_FALSE((PlayoutDelay{0, 1}).write(four));
}

}  // namespace
}  // namespace switchyard::rtp
