// ssrc-audio-level (RFC 6464 section 3): V flag and level in -dBov.

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "rtp/extensions/AudioLevel.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

TEST(AudioLevelTest, ParsesAndWrites) {
  struct Case {
    const char* hex;
    bool voice;
    uint8_t level;
  };
  const Case cases[] = {
      {"00", false, 0},  {"80", true, 0},  {"7f", false, 127},
      {"ff", true, 127}, {"aa", true, 42}, {"1e", false, 30},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hex);
    auto parsed = AudioLevel::parse(hex(c.hex));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->voiceActivity, c.voice);
    EXPECT_EQ(parsed->level, c.level);
    Bytes out(AudioLevel::kSize);
    ASSERT_TRUE(parsed->write(out));
    EXPECT_EQ(out, hex(c.hex));
  }
}

TEST(AudioLevelTest, RejectsOtherLengthsAndLevels) {
  for (const char* text : {"", "0000", "000000", "00000000"}) {
    auto parsed = AudioLevel::parse(hex(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error(), ParseError::kBadLength);
  }
  Bytes one(1), two(2);
  EXPECT_FALSE((AudioLevel{true, 128}).write(one));
  EXPECT_FALSE((AudioLevel{true, 10}).write(two));
}

}  // namespace
}  // namespace switchyard::rtp
