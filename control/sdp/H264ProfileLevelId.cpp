#include "control/sdp/H264ProfileLevelId.hpp"

#include <array>

namespace switchyard::control::sdp {

namespace {

constexpr std::string_view kProfileLevelIdKey = "profile-level-id";
constexpr std::string_view kLevelAsymmetryKey = "level-asymmetry-allowed";
constexpr std::string_view kPacketizationModeKey = "packetization-mode";
constexpr size_t kHexLength = 6;
// constraint_set3_flag in profile-iop: with level_idc 11 it means level 1b (H.264 A.3.1).
constexpr uint8_t kConstraintSet3Flag = 0x10;

// profile-iop matched against an 8-character pattern of '0', '1' and 'x' (don't care).
struct BitPattern {
  uint8_t mask;
  uint8_t value;
};

constexpr BitPattern pattern(const char (&p)[9]) {
  uint8_t mask = 0;
  uint8_t value = 0;
  for (int i = 0; i < 8; ++i) {
    const auto bit = static_cast<uint8_t>(1u << (7 - i));
    if (p[i] != 'x') mask = static_cast<uint8_t>(mask | bit);
    if (p[i] == '1') value = static_cast<uint8_t>(value | bit);
  }
  return {mask, value};
}

struct ProfilePattern {
  uint8_t profileIdc;
  BitPattern iop;
  H264Profile profile;
};

// libwebrtc's table (RFC 6184 section 8.1 and H.264 Annex A constraint flags).
constexpr std::array<ProfilePattern, 9> kProfilePatterns{{
    {0x42, pattern("x1xx0000"), H264Profile::kConstrainedBaseline},
    {0x4D, pattern("1xxx0000"), H264Profile::kConstrainedBaseline},
    {0x58, pattern("11xx0000"), H264Profile::kConstrainedBaseline},
    {0x42, pattern("x0xx0000"), H264Profile::kBaseline},
    {0x58, pattern("10xx0000"), H264Profile::kBaseline},
    {0x4D, pattern("0x0x0000"), H264Profile::kMain},
    {0x64, pattern("00000000"), H264Profile::kHigh},
    {0x64, pattern("00001100"), H264Profile::kConstrainedHigh},
    {0xF4, pattern("00000000"), H264Profile::kPredictiveHigh444},
}};

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isKnownLevel(uint8_t idc) {
  switch (idc) {
    case 10:
    case 11:
    case 12:
    case 13:
    case 20:
    case 21:
    case 22:
    case 30:
    case 31:
    case 32:
    case 40:
    case 41:
    case 42:
    case 50:
    case 51:
    case 52:
    case 60:
    case 61:
    case 62:
      return true;
    default:
      return false;
  }
}

}  // namespace

const char* h264ProfileName(H264Profile p) {
  switch (p) {
    case H264Profile::kConstrainedBaseline:
      return "constrained baseline";
    case H264Profile::kBaseline:
      return "baseline";
    case H264Profile::kMain:
      return "main";
    case H264Profile::kConstrainedHigh:
      return "constrained high";
    case H264Profile::kHigh:
      return "high";
    case H264Profile::kPredictiveHigh444:
      return "predictive high 4:4:4";
  }
  return "?";
}

bool h264LevelLess(H264Level a, H264Level b) {
  if (a == H264Level::k1b) return b != H264Level::k1 && b != H264Level::k1b;
  if (b == H264Level::k1b) return a == H264Level::k1;
  return static_cast<uint8_t>(a) < static_cast<uint8_t>(b);
}

H264Level h264LevelMin(H264Level a, H264Level b) {
  return h264LevelLess(a, b) ? a : b;
}

std::optional<H264ProfileLevelId> H264ProfileLevelId::parse(std::string_view hex) {
  if (hex.size() != kHexLength) return std::nullopt;
  std::array<uint8_t, 3> bytes{};
  for (size_t i = 0; i < 3; ++i) {
    const int hi = hexDigit(hex[2 * i]);
    const int lo = hexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  const uint8_t profileIdc = bytes[0];
  const uint8_t profileIop = bytes[1];
  const uint8_t levelIdc = bytes[2];
  if (!isKnownLevel(levelIdc)) return std::nullopt;
  H264Level level = static_cast<H264Level>(levelIdc);
  if (level == H264Level::k1_1 && (profileIop & kConstraintSet3Flag) != 0) level = H264Level::k1b;
  for (const auto& p : kProfilePatterns) {
    if (p.profileIdc == profileIdc && (profileIop & p.iop.mask) == p.iop.value) {
      return H264ProfileLevelId{p.profile, level};
    }
  }
  return std::nullopt;
}

std::optional<H264ProfileLevelId> H264ProfileLevelId::fromFmtp(const FmtpParameters& fmtp) {
  const auto value = fmtp.get(kProfileLevelIdKey);
  return parse(value ? *value : kDefault);
}

std::optional<std::string> H264ProfileLevelId::toString() const {
  if (level == H264Level::k1b) {
    switch (profile) {
      case H264Profile::kConstrainedBaseline:
        return "42f00b";
      case H264Profile::kBaseline:
        return "42100b";
      case H264Profile::kMain:
        return "4d100b";
      default:
        return std::nullopt;
    }
  }
  const char* iop = "";
  switch (profile) {
    case H264Profile::kConstrainedBaseline:
      iop = "42e0";
      break;
    case H264Profile::kBaseline:
      iop = "4200";
      break;
    case H264Profile::kMain:
      iop = "4d00";
      break;
    case H264Profile::kConstrainedHigh:
      iop = "640c";
      break;
    case H264Profile::kHigh:
      iop = "6400";
      break;
    case H264Profile::kPredictiveHigh444:
      iop = "f400";
      break;
  }
  constexpr char kHex[] = "0123456789abcdef";
  const auto l = static_cast<uint8_t>(level);
  return std::string(iop) + kHex[l >> 4] + kHex[l & 0x0F];
}

bool h264LevelAsymmetryAllowed(const FmtpParameters& fmtp) {
  const auto v = fmtp.get(kLevelAsymmetryKey);
  return v && *v == "1";
}

int h264PacketizationMode(const FmtpParameters& fmtp) {
  const auto v = fmtp.get(kPacketizationModeKey);
  if (!v) return 0;
  if (*v == "0") return 0;
  if (*v == "1") return 1;
  if (*v == "2") return 2;
  return -1;
}

std::optional<std::string> h264AnswerProfileLevelId(const FmtpParameters& offered,
                                                    const FmtpParameters& local) {
  const auto offeredValue = offered.get(kProfileLevelIdKey);
  if (!offeredValue && !local.has(kProfileLevelIdKey)) return std::nullopt;
  const auto remote = H264ProfileLevelId::fromFmtp(offered);
  const auto mine = H264ProfileLevelId::fromFmtp(local);
  if (!remote || !mine) return std::nullopt;
  const bool asymmetry = h264LevelAsymmetryAllowed(offered) && h264LevelAsymmetryAllowed(local);
  const H264Level level = asymmetry || !local.has(kProfileLevelIdKey)
                              ? remote->level
                              : h264LevelMin(remote->level, mine->level);
  // The offer's own spelling when its level stands (clients compare strings less strictly than
  // profiles, but an echo is what every stack expects), canonical otherwise.
  if (offeredValue && level == remote->level) return std::string(*offeredValue);
  return H264ProfileLevelId{remote->profile, level}.toString();
}

}  // namespace switchyard::control::sdp
