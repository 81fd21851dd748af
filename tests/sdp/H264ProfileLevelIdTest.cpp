// H264 profile-level-id: parsing and writing against libwebrtc's published unit-test vectors
// (api/video_codecs/test/h264_profile_level_id_unittest.cc), and the answer's level per
// RFC 6184 section 8.2.2, table-driven.

#include <gtest/gtest.h>

#include "control/sdp/H264ProfileLevelId.hpp"

namespace switchyard::control::sdp {
namespace {

using P = H264Profile;
using L = H264Level;

TEST(H264ProfileLevelIdTest, RejectsInvalidValues) {
  for (const char* s : {"", " 42e01f", "4242e01f", "e01f", "gggggg",
                        // levels that do not exist
                        "42e000", "42e00f", "42e0ff",
                        // profile-iop that matches no profile
                        "42e11f", "58601f", "64e01f"}) {
    SCOPED_TRACE(s);
    EXPECT_FALSE(H264ProfileLevelId::parse(s).has_value());
  }
}

TEST(H264ProfileLevelIdTest, ParsesProfilesAndLevels) {
  const struct {
    const char* hex;
    P profile;
    L level;
  } cases[] = {
      {"42e01f", P::kConstrainedBaseline, L::k3_1},
      {"42e00b", P::kConstrainedBaseline, L::k1_1},
      {"42f00b", P::kConstrainedBaseline, L::k1b},  // constraint_set3 + level_idc 11
      {"42C02A", P::kConstrainedBaseline, L::k4_2},
      {"640c34", P::kConstrainedHigh, L::k5_2},
      {"4de01f", P::kConstrainedBaseline, L::k3_1},
      {"58f01f", P::kConstrainedBaseline, L::k3_1},
      {"42c01e", P::kConstrainedBaseline, L::k3},  // GStreamer (openh264) writes this
      {"42a01f", P::kBaseline, L::k3_1},
      {"42001f", P::kBaseline, L::k3_1},
      {"58A01F", P::kBaseline, L::k3_1},
      {"4D401f", P::kMain, L::k3_1},
      {"4d001f", P::kMain, L::k3_1},
      {"64001f", P::kHigh, L::k3_1},
      {"640c1f", P::kConstrainedHigh, L::k3_1},
      {"f4001f", P::kPredictiveHigh444, L::k3_1},  // in Chromium's recvonly offer
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.hex);
    auto p = H264ProfileLevelId::parse(c.hex);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->profile, c.profile);
    EXPECT_EQ(p->level, c.level);
  }
}

TEST(H264ProfileLevelIdTest, WritesCanonicalValues) {
  const struct {
    H264ProfileLevelId id;
    std::optional<std::string> hex;
  } cases[] = {
      {{P::kConstrainedBaseline, L::k3_1}, "42e01f"},
      {{P::kBaseline, L::k1}, "42000a"},
      {{P::kMain, L::k3_1}, "4d001f"},
      {{P::kConstrainedHigh, L::k4_2}, "640c2a"},
      {{P::kHigh, L::k4_2}, "64002a"},
      {{P::kConstrainedBaseline, L::k1b}, "42f00b"},
      {{P::kBaseline, L::k1b}, "42100b"},
      {{P::kMain, L::k1b}, "4d100b"},
      {{P::kHigh, L::k1b}, std::nullopt},
      {{P::kConstrainedHigh, L::k1b}, std::nullopt},
  };
  for (const auto& c : cases)
    EXPECT_EQ(c.id.toString(), c.hex);
  for (const char* s : {"42e01f", "42E01F", "4d100b", "4D100B", "640c2a", "640C2A"}) {
    auto p = H264ProfileLevelId::parse(s);
    ASSERT_TRUE(p.has_value());
    std::string lower(s);
    for (char& ch : lower)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(p->toString(), lower);
  }
}

TEST(H264ProfileLevelIdTest, OrdersLevelsWith1bBetween1And1_1) {
  EXPECT_TRUE(h264LevelLess(L::k1, L::k1b));
  EXPECT_TRUE(h264LevelLess(L::k1b, L::k1_1));
  EXPECT_FALSE(h264LevelLess(L::k1b, L::k1));
  EXPECT_FALSE(h264LevelLess(L::k1b, L::k1b));
  EXPECT_TRUE(h264LevelLess(L::k3, L::k3_1));
  EXPECT_EQ(h264LevelMin(L::k5_2, L::k3_1), L::k3_1);
  EXPECT_EQ(h264LevelMin(L::k1_1, L::k1b), L::k1b);
}

TEST(H264ProfileLevelIdTest, DefaultsWhenAbsent) {
  auto p = H264ProfileLevelId::fromFmtp(FmtpParameters::parse("packetization-mode=1"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->profile, P::kConstrainedBaseline);
  EXPECT_EQ(p->level, L::k3_1);
  EXPECT_FALSE(H264ProfileLevelId::fromFmtp(FmtpParameters::parse("profile-level-id=xyz")));
  EXPECT_EQ(h264PacketizationMode(FmtpParameters::parse("")), 0);
  EXPECT_EQ(h264PacketizationMode(FmtpParameters::parse("packetization-mode=1")), 1);
  EXPECT_EQ(h264PacketizationMode(FmtpParameters::parse("packetization-mode=x")), -1);
  EXPECT_TRUE(h264LevelAsymmetryAllowed(FmtpParameters::parse("level-asymmetry-allowed=1")));
  EXPECT_FALSE(h264LevelAsymmetryAllowed(FmtpParameters::parse("level-asymmetry-allowed=0")));
}

// RFC 6184 section 8.2.2: with level asymmetry on both sides the answer carries the offer's
// level; otherwise the lower of the two. The offer's own spelling is kept when its level is.
TEST(H264ProfileLevelIdTest, AnswerLevel) {
  const struct {
    const char* offered;
    const char* local;
    std::optional<std::string> answer;
  } cases[] = {
      {"profile-level-id=42e01f;level-asymmetry-allowed=1",
       "profile-level-id=42e01f;level-asymmetry-allowed=1", "42e01f"},
      {"profile-level-id=42e034;level-asymmetry-allowed=1",
       "profile-level-id=42e01f;level-asymmetry-allowed=1", "42e034"},
      {"profile-level-id=42e00b;level-asymmetry-allowed=1",
       "profile-level-id=42e01f;level-asymmetry-allowed=1", "42e00b"},
      // Asymmetry on one side only: the lower level.
      {"profile-level-id=42e034;level-asymmetry-allowed=1", "profile-level-id=42e01f", "42e01f"},
      {"profile-level-id=42e034", "profile-level-id=42e01f;level-asymmetry-allowed=1", "42e01f"},
      {"profile-level-id=42e015", "profile-level-id=42e01f", "42e015"},
      // GStreamer's constrained baseline spelling, echoed.
      {"profile-level-id=42c01e;level-asymmetry-allowed=1",
       "profile-level-id=42e01f;level-asymmetry-allowed=1", "42c01e"},
      {"profile-level-id=42c02a", "profile-level-id=42e01f", "42e01f"},
      {"profile-level-id=4d0032;level-asymmetry-allowed=1",
       "profile-level-id=4d001f;level-asymmetry-allowed=1", "4d0032"},
      {"profile-level-id=640c34", "profile-level-id=640c1f", "640c1f"},
      // Level 1b sorts below 1.1.
      {"profile-level-id=42f00b", "profile-level-id=42e00b", "42f00b"},
      {"profile-level-id=42e00b", "profile-level-id=42f00b", "42f00b"},
      // No local limit: the offer's level.
      {"profile-level-id=42e034", "packetization-mode=1", "42e034"},
      // Offer without profile-level-id: the default (3.1) against the local value.
      {"packetization-mode=1", "profile-level-id=42e01f", "42e01f"},
      {"packetization-mode=1", "profile-level-id=42e015", "42e015"},
      // Neither side names one: none in the answer.
      {"packetization-mode=1", "packetization-mode=1", std::nullopt},
      // Malformed.
      {"profile-level-id=42e0zz", "profile-level-id=42e01f", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.offered) + " / " + c.local);
    EXPECT_EQ(
        h264AnswerProfileLevelId(FmtpParameters::parse(c.offered), FmtpParameters::parse(c.local)),
        c.answer);
  }
}

}  // namespace
}  // namespace switchyard::control::sdp
