#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "rtp/codecs/OpusPayload.hpp"
#include "tests/support/Fixtures.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;
using Mode = OpusPayload::Mode;
using Bandwidth = OpusPayload::Bandwidth;

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// TOC byte (RFC 6716 3.1): config << 3 | s << 2 | c.
constexpr uint8_t toc(uint8_t config, bool stereo, uint8_t code) {
  return static_cast<uint8_t>(config << 3 | (stereo ? 4 : 0) | code);
}

struct Case {
  const char* name;
  Bytes bytes;
  uint8_t config;
  bool stereo;
  uint8_t code;
  Mode mode;
  Bandwidth bandwidth;
  uint32_t samplesPerFrame;
  uint8_t frames;
  bool vbr;
  size_t padding;
  bool dtx;
};

std::vector<Case> cases() {
  const Bytes ten(10, 0xAB);
  return {
      // Code 0, one frame; config covers RFC 6716 Table 2's rows.
      {"CELT FB 20 ms stereo", concat({toc(31, true, 0)}, ten), 31, true, 0, Mode::kCelt,
       Bandwidth::kFull, 960, 1, false, 0, false},
      {"SILK NB 10 ms", concat({toc(0, false, 0)}, ten), 0, false, 0, Mode::kSilk,
       Bandwidth::kNarrow, 480, 1, false, 0, false},
      {"SILK MB 40 ms", concat({toc(6, false, 0)}, ten), 6, false, 0, Mode::kSilk,
       Bandwidth::kMedium, 1920, 1, false, 0, false},
      {"SILK WB 60 ms", concat({toc(11, false, 0)}, ten), 11, false, 0, Mode::kSilk,
       Bandwidth::kWide, 2880, 1, false, 0, false},
      {"Hybrid SWB 10 ms", concat({toc(12, false, 0)}, ten), 12, false, 0, Mode::kHybrid,
       Bandwidth::kSuperWide, 480, 1, false, 0, false},
      {"Hybrid FB 20 ms", concat({toc(15, false, 0)}, ten), 15, false, 0, Mode::kHybrid,
       Bandwidth::kFull, 960, 1, false, 0, false},
      {"CELT NB 2.5 ms", concat({toc(16, false, 0)}, ten), 16, false, 0, Mode::kCelt,
       Bandwidth::kNarrow, 120, 1, false, 0, false},
      {"CELT WB 5 ms", concat({toc(21, false, 0)}, ten), 21, false, 0, Mode::kCelt,
       Bandwidth::kWide, 240, 1, false, 0, false},
      {"CELT SWB 10 ms", concat({toc(26, false, 0)}, ten), 26, false, 0, Mode::kCelt,
       Bandwidth::kSuperWide, 480, 1, false, 0, false},
      {"code 0 of 1275 bytes", concat({toc(31, false, 0)}, Bytes(1275, 1)), 31, false, 0,
       Mode::kCelt, Bandwidth::kFull, 960, 1, false, 0, false},
      // DTX: at most 2 bytes.
      {"DTX: TOC alone",
       {toc(31, true, 0)},
       31,
       true,
       0,
       Mode::kCelt,
       Bandwidth::kFull,
       960,
       1,
       false,
       0,
       true},
      {"DTX: TOC and one byte",
       {toc(15, false, 0), 0x00},
       15,
       false,
       0,
       Mode::kHybrid,
       Bandwidth::kFull,
       960,
       1,
       false,
       0,
       true},
      {"3 bytes is not DTX",
       {toc(15, false, 0), 0x00, 0x00},
       15,
       false,
       0,
       Mode::kHybrid,
       Bandwidth::kFull,
       960,
       1,
       false,
       0,
       false},
      {"code 1 with two empty frames is DTX-sized",
       {toc(31, false, 1)},
       31,
       false,
       1,
       Mode::kCelt,
       Bandwidth::kFull,
       960,
       2,
       false,
       0,
       true},
      // Code 1: two equal frames.
      {"code 1",
       {toc(31, false, 1), 1, 2, 3, 4},
       31,
       false,
       1,
       Mode::kCelt,
       Bandwidth::kFull,
       960,
       2,
       false,
       0,
       false},
      // Code 2: the first frame's length coded.
      {"code 2, 1-byte length",
       {toc(31, false, 2), 0x02, 1, 2, 3},
       31,
       false,
       2,
       Mode::kCelt,
       Bandwidth::kFull,
       960,
       2,
       false,
       0,
       false},
      {"code 2, 2-byte length", concat({toc(31, false, 2), 0xFC, 0x01}, Bytes(256 + 10, 7)), 31,
       false, 2, Mode::kCelt, Bandwidth::kFull, 960, 2, false, 0, false},
      {"code 2, both frames empty",
       {toc(31, false, 2), 0x00},
       31,
       false,
       2,
       Mode::kCelt,
       Bandwidth::kFull,
       960,
       2,
       false,
       0,
       true},
      // Code 3: frame count byte |v|p|M|.
      {"code 3 CBR, 3 frames",
       {toc(31, false, 3), 0x03, 1, 1, 2, 2, 3, 3},
       31,
       false,
       3,
       Mode::kCelt,
       Bandwidth::kFull,
       960,
       3,
       false,
       0,
       false},
      {"code 3 CBR, 6 empty 20 ms frames = 120 ms",
       {toc(31, false, 3), 0x06},
       31,
       false,
       3,
       Mode::kCelt,
       Bandwidth::kFull,
       960,
       6,
       false,
       0,
       true},
      {"code 3 CBR, 48 frames of 2.5 ms = 120 ms", concat({toc(16, false, 3), 0x30}, Bytes(48, 0)),
       16, false, 3, Mode::kCelt, Bandwidth::kNarrow, 120, 48, false, 0, false},
      {"code 3 VBR with padding",
       {toc(31, true, 3), 0xC2, 0x02, 0x03, 1, 1, 1, 2, 2, 0, 0},
       31,
       true,
       3,
       Mode::kCelt,
       Bandwidth::kFull,
       960,
       2,
       true,
       2,
       false},
      {"code 3 padding of 254 through a 255 length byte",
       concat({toc(31, false, 3), 0x41, 0xFF, 0x00}, Bytes(254 + 5, 0)), 31, false, 3, Mode::kCelt,
       Bandwidth::kFull, 960, 1, false, 254, false},
      {"code 3 VBR, 2-byte first length",
       concat({toc(31, false, 3), 0x82, 0xFD, 0x00}, Bytes(253 + 4, 9)), 31, false, 3, Mode::kCelt,
       Bandwidth::kFull, 960, 2, true, 0, false},
  };
}

TEST(OpusPayload, ParsesTocAndFraming) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto o = OpusPayload::parse(c.bytes);
    ASSERT_TRUE(o.ok()) << parseErrorName(o.error());
    EXPECT_EQ(o->config(), c.config);
    EXPECT_EQ(o->stereo(), c.stereo);
    EXPECT_EQ(o->frameCountCode(), c.code);
    EXPECT_EQ(o->mode(), c.mode);
    EXPECT_EQ(o->bandwidth(), c.bandwidth);
    EXPECT_EQ(o->samplesPerFrame48k(), c.samplesPerFrame);
    EXPECT_EQ(o->frameCount(), c.frames);
    EXPECT_EQ(o->durationSamples48k(), c.samplesPerFrame * c.frames);
    EXPECT_EQ(o->vbr(), c.vbr);
    EXPECT_EQ(o->paddingSize(), c.padding);
    EXPECT_EQ(o->isDtx(), c.dtx);
    EXPECT_EQ(o->size(), c.bytes.size());
  }
}

// RFC 6716 3.4's requirements [R1]-[R7], each broken.
TEST(OpusPayload, MalformedRejected) {
  struct Bad {
    const char* name;
    Bytes bytes;
    ParseError error;
  };
  const uint8_t c0 = toc(31, false, 0), c1 = toc(31, false, 1), c2 = toc(31, false, 2),
                c3 = toc(31, false, 3);
  const std::vector<Bad> bad = {
      {"[R1] empty", {}, ParseError::kTooShort},
      {"[R2] code 0 frame of 1276 bytes", concat({c0}, Bytes(1276, 0)), ParseError::kBadLength},
      {"[R3] code 1 with an odd split", {c1, 0x00}, ParseError::kBadLength},
      {"[R2] code 1 frames of 1276 bytes", concat({c1}, Bytes(2 * 1276, 0)),
       ParseError::kBadLength},
      {"[R4] code 2 without its length", {c2}, ParseError::kTooShort},
      {"[R4] code 2 with half a 2-byte length", {c2, 0xFC}, ParseError::kTooShort},
      {"[R4] code 2 first frame past the end", {c2, 0x05, 1, 2, 3, 4}, ParseError::kBadLength},
      {"[R2] code 2 second frame of 1276 bytes", concat({c2, 0x00}, Bytes(1276, 0)),
       ParseError::kBadLength},
      {"[R6] code 3 without frame count byte", {c3}, ParseError::kTooShort},
      {"[R5] code 3 with no frames", {c3, 0x00}, ParseError::kMalformed},
      {"[R5] code 3 of 140 ms", {c3, 0x07}, ParseError::kMalformed},
      {"[R5] code 3 of 49 x 2.5 ms", {toc(16, false, 3), 0x31}, ParseError::kMalformed},
      {"[R5] code 3 of 3 x 60 ms", {toc(3, false, 3), 0x03}, ParseError::kMalformed},
      {"[R6] padding past the end", {c3, 0x41, 0x05, 0x00}, ParseError::kBadLength},
      {"[R6] padding lengths run out", {c3, 0x41, 0xFF}, ParseError::kTooShort},
      {"[R6] CBR data not a multiple of M", {c3, 0x02, 1, 2, 3}, ParseError::kBadLength},
      {"[R6] CBR frames of 1276 bytes", concat({c3, 0x01}, Bytes(1276, 0)), ParseError::kBadLength},
      {"[R7] VBR without its lengths", {c3, 0x82}, ParseError::kTooShort},
      {"[R7] VBR length past the end", {c3, 0x82, 0x05, 1, 2}, ParseError::kBadLength},
      {"[R7] VBR half a 2-byte length", {c3, 0x82, 0xFD}, ParseError::kTooShort},
      {"[R7] VBR last frame of 1276 bytes", concat({c3, 0x82, 0x00}, Bytes(1276, 0)),
       ParseError::kBadLength},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.name);
    auto o = OpusPayload::parse(b.bytes);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error(), b.error);
  }
}

TEST(OpusPayload, DtxThresholdIsTwoBytes) {
  // libwebrtc's IsDtxPacket(): payload size <= 2.
  EXPECT_EQ(OpusPayload::kMaxDtxPayloadSize, 2u);
  for (size_t n = 1; n <= 6; ++n) {
    Bytes b(n, 0);
    b[0] = toc(31, false, 0);
    auto o = OpusPayload::parse(b);
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->isDtx(), n <= 2) << n;
  }
}

std::span<const uint8_t> rtpPayload(const Bytes& p) {
  size_t off = 12 + 4 * (p[0] & 0x0F);
  if (p[0] & 0x10) off += 4 + 4 * static_cast<size_t>(p[off + 2] << 8 | p[off + 3]);
  size_t padding = (p[0] & 0x20) ? p.back() : 0;
  return std::span(p).subspan(off, p.size() - off - padding);
}

// Real Opus from aiortc (libopus 1.3): names carry size and TOC fields.
TEST(OpusPayload, AiortcFixture) {
  const std::string file = std::string(SWITCHYARD_FIXTURES_DIR) + "/rtp/aiortc-opus.hex";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no " << file;
  auto packets = test::loadFixture("rtp/aiortc-opus.hex");
  ASSERT_FALSE(packets.empty());
  const std::regex re(R"(payload=(\d+)B TOC config (\d+) \((\w+)\) (mono|stereo) code (\d))");
  for (const auto& p : packets) {
    SCOPED_TRACE(p.name);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(p.name, m, re));
    auto payload = rtpPayload(p.bytes);
    ASSERT_EQ(payload.size(), std::stoul(m[1]));
    auto o = OpusPayload::parse(payload);
    ASSERT_TRUE(o.ok()) << parseErrorName(o.error());
    EXPECT_EQ(o->config(), std::stoi(m[2]));
    const Mode mode = m[3] == "SILK" ? Mode::kSilk : m[3] == "Hybrid" ? Mode::kHybrid : Mode::kCelt;
    EXPECT_EQ(o->mode(), mode);
    EXPECT_EQ(o->stereo(), m[4] == "stereo");
    EXPECT_EQ(o->frameCountCode(), std::stoi(m[5]));
    EXPECT_EQ(o->isDtx(), payload.size() <= 2);
    // aiortc sends 20 ms packets.
    EXPECT_EQ(o->durationSamples48k(), 960u);
  }
}

}  // namespace
}  // namespace switchyard::rtp
