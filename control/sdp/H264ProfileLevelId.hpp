#pragma once
// H264 profile-level-id (RFC 6184 section 8.1) as WebRTC stacks compare it: the 3-byte hex
// value mapped to a profile (from profile_idc and the constraint flags in profile-iop) and a
// level (level_idc, with level 1b signalled by constraint_set3). Two payload types are the same
// codec when their profiles are equal; the level is negotiated (RFC 6184 section 8.2.2).
// The profile table is libwebrtc's (api/video_codecs/h264_profile_level_id.cc), so that
// "42e01f" and "42c01e" are both constrained baseline, as Chromium sees them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "control/sdp/FmtpParameters.hpp"

namespace switchyard::control::sdp {

enum class H264Profile : uint8_t {
  kConstrainedBaseline,
  kBaseline,
  kMain,
  kConstrainedHigh,
  kHigh,
  kPredictiveHigh444,
};

// level_idc values (ITU-T H.264 Table A-1), level 1b apart.
enum class H264Level : uint8_t {
  k1b = 0,
  k1 = 10,
  k1_1 = 11,
  k1_2 = 12,
  k1_3 = 13,
  k2 = 20,
  k2_1 = 21,
  k2_2 = 22,
  k3 = 30,
  k3_1 = 31,
  k3_2 = 32,
  k4 = 40,
  k4_1 = 41,
  k4_2 = 42,
  k5 = 50,
  k5_1 = 51,
  k5_2 = 52,
  k6 = 60,
  k6_1 = 61,
  k6_2 = 62,
};

const char* h264ProfileName(H264Profile p);

// a < b in capability order (1b sits between 1 and 1.1).
bool h264LevelLess(H264Level a, H264Level b);
H264Level h264LevelMin(H264Level a, H264Level b);

struct H264ProfileLevelId {
  // RFC 6184 section 8.1: absent means baseline level 1; WebRTC stacks use constrained
  // baseline 3.1 instead (libwebrtc's kDefaultProfileLevelId), and so does this code.
  static constexpr std::string_view kDefault = "42e01f";

  H264Profile profile = H264Profile::kConstrainedBaseline;
  H264Level level = H264Level::k3_1;

  // Exactly 6 hex digits; nullopt for unknown profiles and levels.
  static std::optional<H264ProfileLevelId> parse(std::string_view hex);
  // From an fmtp: its profile-level-id, or kDefault when absent; nullopt when malformed.
  static std::optional<H264ProfileLevelId> fromFmtp(const FmtpParameters& fmtp);
  // Canonical hex ("42e01f"); nullopt for level 1b on a profile that has none.
  std::optional<std::string> toString() const;

  bool operator==(const H264ProfileLevelId&) const = default;
};

// level-asymmetry-allowed=1 (RFC 6184 section 8.1).
bool h264LevelAsymmetryAllowed(const FmtpParameters& fmtp);
// packetization-mode, 0 when absent (RFC 6184 section 8.1).
int h264PacketizationMode(const FmtpParameters& fmtp);

// The profile-level-id value to answer with, for an offered format whose profile equals the
// local one (RFC 6184 section 8.2.2): when both sides allow level asymmetry, the offer's level
// (the server forwards and does not decode, so it sets no receive limit of its own); otherwise
// the lower of the two levels. Returns nullopt when neither side gave a profile-level-id (the
// answer then leaves it out too), or when a value is malformed.
std::optional<std::string> h264AnswerProfileLevelId(const FmtpParameters& offered,
                                                    const FmtpParameters& local);

}  // namespace switchyard::control::sdp
