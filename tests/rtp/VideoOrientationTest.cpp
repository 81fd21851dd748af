// Video orientation (3GPP TS 26.114 CVO): C, F and R1R0 bits.

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "rtp/extensions/VideoOrientation.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

TEST(VideoOrientationTest, ParsesEveryCombination) {
  for (int b = 0; b < 16; ++b) {
    SCOPED_TRACE(b);
    const Bytes data = {static_cast<uint8_t>(b)};
    auto parsed = VideoOrientation::parse(data);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->backCamera, (b & 8) != 0);
    EXPECT_EQ(parsed->horizontalFlip, (b & 4) != 0);
    EXPECT_EQ(parsed->rotation, (b & 3) * 90);
    Bytes out(1);
    ASSERT_TRUE(parsed->write(out));
    EXPECT_EQ(out, data);
  }
}

TEST(VideoOrientationTest, KnownBytes) {
  struct Case {
    const char* hex;
    bool back;
    bool flip;
    uint16_t rotation;
  };
  const Case cases[] = {
      {"00", false, false, 0},   {"01", false, false, 90}, {"02", false, false, 180},
      {"03", false, false, 270}, {"08", true, false, 0},   {"0d", true, true, 90},
      {"f1", false, false, 90},  // reserved high bits are ignored
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hex);
    auto parsed = VideoOrientation::parse(hex(c.hex));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->backCamera, c.back);
    EXPECT_EQ(parsed->horizontalFlip, c.flip);
    EXPECT_EQ(parsed->rotation, c.rotation);
  }
}

TEST(VideoOrientationTest, RejectsOtherLengthsAndRotations) {
  for (const char* text : {"", "0000"}) {
    auto parsed = VideoOrientation::parse(hex(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error(), ParseError::kBadLength);
  }
  Bytes one(1), two(2);
  EXPECT_FALSE((VideoOrientation{false, false, 45}).write(one));
  EXPECT_FALSE((VideoOrientation{false, false, 360}).write(one));
  EXPECT_FALSE((VideoOrientation{false, false, 90}).write(two));
}

}  // namespace
}  // namespace switchyard::rtp
