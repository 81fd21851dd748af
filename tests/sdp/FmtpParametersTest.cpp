// FmtpParameters: a=fmtp parameter lists as Chromium, aiortc and GStreamer write them.

#include <gtest/gtest.h>

#include "control/sdp/FmtpParameters.hpp"

namespace switchyard::control::sdp {
namespace {

TEST(FmtpParametersTest, ParsesKeyValueLists) {
  // gst-h264-opus-offer.sdp line 20
  auto f = FmtpParameters::parse(
      "packetization-mode=1;sprop-parameter-sets=Z0LAHoyNQFAe0A8IhGo=,aM48gA==;"
      "profile-level-id=42c01e;level-asymmetry-allowed=1");
  ASSERT_EQ(f.entries().size(), 4u);
  EXPECT_EQ(f.get("profile-level-id"), "42c01e");
  EXPECT_EQ(f.get("PROFILE-LEVEL-ID"), "42c01e");  // names are case-insensitive
  EXPECT_EQ(f.get("sprop-parameter-sets"), "Z0LAHoyNQFAe0A8IhGo=,aM48gA==");  // '=' in value
  EXPECT_FALSE(f.get("apt").has_value());
}

TEST(FmtpParametersTest, KeepsBareEntriesAndToleratesSpaces) {
  auto red = FmtpParameters::parse("111/111");  // Chromium's RED for Opus
  ASSERT_EQ(red.entries().size(), 1u);
  EXPECT_EQ(red.entries()[0].key, "111/111");
  EXPECT_FALSE(red.entries()[0].value.has_value());
  EXPECT_EQ(red.toString(), "111/111");

  auto spaced = FmtpParameters::parse(" minptime=10; useinbandfec = 1 ;");
  EXPECT_EQ(spaced.get("useinbandfec"), "1");
  EXPECT_EQ(spaced.toString(), "minptime=10;useinbandfec=1");
  EXPECT_TRUE(FmtpParameters::parse("").empty());
}

TEST(FmtpParametersTest, SetAndErase) {
  auto f = FmtpParameters::parse("apt=96;rtx-time=3000");
  f.set("APT", "100");
  EXPECT_EQ(f.toString(), "apt=100;rtx-time=3000");
  f.set("x", "1");
  f.erase("rtx-time");
  EXPECT_EQ(f.toString(), "apt=100;x=1");
}

}  // namespace
}  // namespace switchyard::control::sdp
