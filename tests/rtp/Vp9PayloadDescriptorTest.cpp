#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "rtp/codecs/Vp9PayloadDescriptor.hpp"
#include "tests/support/Fixtures.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const Bytes kData = {0x82, 0x49, 0x83};  // start of a VP9 frame; opaque here

struct Layer {
  uint8_t tid;
  bool u;
  uint8_t sid;
  bool d;
};

struct Case {
  const char* name;
  Bytes bytes;
  size_t size;
  std::optional<uint16_t> pictureId;
  bool pictureId15;
  std::optional<Layer> layer;
  std::optional<uint8_t> tl0PicIdx;
  std::vector<uint8_t> pDiffs;
  bool keyframe;
};

// Scalability structure with resolutions for 3 spatial layers and a 5-picture group
// (RFC 9628 4.2.1): N_S = 2, Y = 1, G = 1.
const Bytes kSs = {
    0x58,                    // N_S=2 Y=1 G=1
    0x01, 0x40, 0x00, 0xB4,  // 320x180
    0x02, 0x80, 0x01, 0x68,  // 640x360
    0x05, 0x00, 0x02, 0xD0,  // 1280x720
    0x05,                    // N_G = 5
    0x04, 0x04,              // TID 0 U 0 R 1: P_DIFF 4
    0x54, 0x01,              // TID 2 U 1 R 1: P_DIFF 1
    0x38, 0x02, 0x01,        // TID 1 U 1 R 2: P_DIFF 2, 1
    0x4C, 0x01, 0x02, 0x03,  // TID 2 U 0 R 3: P_DIFF 1, 2, 3
    0x00,                    // TID 0 U 0 R 0
};

std::vector<Case> cases() {
  return {
      {"bare B/E, single layer keyframe", concat({0x0C}, kData), 1, {}, false, {}, {}, {}, true},
      {"non-flexible keyframe: 15-bit PictureID, layers, TL0PICIDX",
       concat({0xA8, 0x92, 0x34, 0x30, 0x07}, kData),
       5,
       0x1234,
       true,
       Layer{1, true, 0, false},
       0x07,
       {},
       true},
      {"non-flexible delta: 7-bit PictureID, SID 2 with D",
       concat({0xEC, 0x7F, 0x65, 0xFE}, kData),
       4,
       0x7F,
       false,
       Layer{3, false, 2, true},
       0xFE,
       {},
       false},
      {"flexible delta: three P_DIFFs",
       concat({0xFD, 0x05, 0x43, 0x03, 0x05, 0x08}, kData),
       6,
       0x05,
       false,
       Layer{2, false, 1, true},
       {},
       {1, 2, 4},
       false},
      {"flexible delta: one P_DIFF, no layer indices",
       concat({0xD8, 0x80, 0x09, 0xFE}, kData),
       4,
       0x0009,
       true,
       {},
       {},
       {127},
       false},
      {"flexible keyframe: layer indices without TL0PICIDX",
       concat({0xB8, 0x11, 0x00}, kData),
       3,
       0x11,
       false,
       Layer{0, false, 0, false},
       {},
       {},
       true},
      {"upper spatial layer start is not a keyframe",
       concat({0xA8, 0x01, 0x03, 0x09}, kData),
       4,
       0x01,
       false,
       Layer{0, false, 1, true},
       0x09,
       {},
       false},
      {"base layer without B is not a keyframe",
       concat({0x84, 0x01}, kData),
       2,
       0x01,
       false,
       {},
       {},
       {},
       false},
      {"Z bit", concat({0x09}, kData), 1, {}, false, {}, {}, {}, true},
      {"SS with resolutions and picture group",
       concat(concat({0xAA, 0x80, 0x01, 0x00, 0x00}, kSs), kData),
       5 + kSs.size(),
       0x0001,
       true,
       Layer{0, false, 0, false},
       0x00,
       {},
       true},
      {"SS with nothing but N_S", concat({0x0A, 0xE0}, kData), 2, {}, false, {}, {}, {}, true},
      {"SS with an empty picture group",
       concat({0x0A, 0x08, 0x00}, kData),
       3,
       {},
       false,
       {},
       {},
       {},
       true},
      {"flexible delta with SS after P_DIFF",
       concat({0xD2, 0x05, 0x02, 0x10, 0x01, 0x40, 0x00, 0xB4}, kData),
       8,
       0x05,
       false,
       {},
       {},
       {1},
       false},
  };
}

void expectFields(const Vp9PayloadDescriptor& d, const Case& c) {
  const uint8_t b0 = c.bytes[0];
  EXPECT_EQ(d.size(), c.size);
  EXPECT_EQ(d.hasPictureId(), (b0 & 0x80) != 0);
  EXPECT_EQ(d.interPicturePredicted(), (b0 & 0x40) != 0);
  EXPECT_EQ(d.hasLayerIndices(), (b0 & 0x20) != 0);
  EXPECT_EQ(d.flexibleMode(), (b0 & 0x10) != 0);
  EXPECT_EQ(d.startOfFrame(), (b0 & 0x08) != 0);
  EXPECT_EQ(d.endOfFrame(), (b0 & 0x04) != 0);
  EXPECT_EQ(d.hasScalabilityStructure(), (b0 & 0x02) != 0);
  EXPECT_EQ(d.notUpperLayerReference(), (b0 & 0x01) != 0);
  EXPECT_EQ(d.hasPictureId(), c.pictureId.has_value());
  if (c.pictureId) {
    EXPECT_EQ(d.pictureId(), *c.pictureId);
    EXPECT_EQ(d.pictureIdIs15Bit(), c.pictureId15);
  }
  const Layer layer = c.layer.value_or(Layer{0, false, 0, false});
  EXPECT_EQ(d.temporalId(), layer.tid);
  EXPECT_EQ(d.switchingUp(), layer.u);
  EXPECT_EQ(d.spatialId(), layer.sid);
  EXPECT_EQ(d.interLayerDependency(), layer.d);
  EXPECT_EQ(d.hasTl0PicIdx(), c.tl0PicIdx.has_value());
  if (c.tl0PicIdx) {
    EXPECT_EQ(d.tl0PicIdx(), *c.tl0PicIdx);
  }
  ASSERT_EQ(d.pDiffCount(), c.pDiffs.size());
  for (size_t i = 0; i < c.pDiffs.size(); ++i)
    EXPECT_EQ(d.pDiff(i), c.pDiffs[i]);
  EXPECT_EQ(d.isKeyframe(), c.keyframe);
}

TEST(Vp9PayloadDescriptor, ParsesRfcLayouts) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto d = Vp9PayloadDescriptor::parse(c.bytes);
    ASSERT_TRUE(d.ok()) << parseErrorName(d.error());
    expectFields(*d, c);
  }
}

TEST(Vp9PayloadDescriptor, ScalabilityStructureFields) {
  // The descriptor is a view: the bytes must outlive it.
  const Bytes bytes = concat(concat({0xAA, 0x80, 0x01, 0x00, 0x00}, kSs), kData);
  auto d = Vp9PayloadDescriptor::parse(bytes);
  ASSERT_TRUE(d.ok());
  auto ss = d->ss();
  EXPECT_EQ(ss.size(), kSs.size());
  EXPECT_EQ(ss.spatialLayerCount(), 3);
  ASSERT_TRUE(ss.hasResolutions());
  EXPECT_EQ(ss.width(0), 320);
  EXPECT_EQ(ss.height(0), 180);
  EXPECT_EQ(ss.width(1), 640);
  EXPECT_EQ(ss.height(1), 360);
  EXPECT_EQ(ss.width(2), 1280);
  EXPECT_EQ(ss.height(2), 720);
  ASSERT_TRUE(ss.hasPictureGroup());
  ASSERT_EQ(ss.pictureCount(), 5);
  struct Want {
    uint8_t tid;
    bool u;
    std::vector<uint8_t> pDiffs;
  };
  const std::vector<Want> want = {
      {0, false, {4}}, {2, true, {1}}, {1, true, {2, 1}}, {2, false, {1, 2, 3}}, {0, false, {}}};
  size_t i = 0;
  for (auto pic : ss.pictures()) {
    ASSERT_LT(i, want.size());
    EXPECT_EQ(pic.temporalId, want[i].tid) << i;
    EXPECT_EQ(pic.switchingUp, want[i].u) << i;
    ASSERT_EQ(pic.pDiffCount, want[i].pDiffs.size()) << i;
    for (size_t k = 0; k < pic.pDiffCount; ++k)
      EXPECT_EQ(pic.pDiffs[k], want[i].pDiffs[k]) << i << "/" << k;
    ++i;
  }
  EXPECT_EQ(i, want.size());
}

TEST(Vp9PayloadDescriptor, ScalabilityStructureWithoutOptionalParts) {
  const Bytes bareBytes = concat({0x0A, 0xE0}, kData);
  auto bare = Vp9PayloadDescriptor::parse(bareBytes);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->ss().spatialLayerCount(), 8);
  EXPECT_FALSE(bare->ss().hasResolutions());
  EXPECT_FALSE(bare->ss().hasPictureGroup());
  EXPECT_EQ(bare->ss().pictureCount(), 0);
  EXPECT_TRUE(bare->ss().pictures().begin() == bare->ss().pictures().end());

  const Bytes emptyBytes = concat({0x0A, 0x08, 0x00}, kData);
  auto empty = Vp9PayloadDescriptor::parse(emptyBytes);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->ss().hasPictureGroup());
  EXPECT_EQ(empty->ss().pictureCount(), 0);
  EXPECT_TRUE(empty->ss().pictures().begin() == empty->ss().pictures().end());

  // Without V the view is empty.
  const Bytes noneBytes = concat({0x0C}, kData);
  auto none = Vp9PayloadDescriptor::parse(noneBytes);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->ss().spatialLayerCount(), 0);
  EXPECT_EQ(none->ss().size(), 0u);
}

TEST(Vp9PayloadDescriptor, EveryTruncationRejected) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    for (size_t len = 0; len <= c.size; ++len) {
      auto d = Vp9PayloadDescriptor::parse(std::span(c.bytes).first(len));
      ASSERT_FALSE(d.ok()) << "length " << len;
      EXPECT_EQ(d.error(), ParseError::kTooShort) << "length " << len;
    }
  }
}

TEST(Vp9PayloadDescriptor, MalformedRejected) {
  struct Bad {
    const char* name;
    Bytes bytes;
    ParseError error;
  };
  const std::vector<Bad> bad = {
      {"P_DIFF without PictureID", concat({0x58, 0x02}, kData), ParseError::kMalformed},
      {"four P_DIFFs", concat({0xD0, 0x01, 0x03, 0x03, 0x03, 0x02}, kData), ParseError::kMalformed},
      // SS counts that run past the payload.
      {"SS resolutions for 8 layers in 31 bytes", concat({0x0A, 0xF0}, Bytes(30, 0x01)),
       ParseError::kTooShort},
      {"SS N_G larger than the pictures present", concat({0x0A, 0x08, 0x03, 0x00, 0x00}, {}),
       ParseError::kTooShort},
      {"SS picture R larger than the P_DIFFs present", concat({0x0A, 0x08, 0x01, 0x0C, 0x01}, {}),
       ParseError::kTooShort},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.name);
    auto d = Vp9PayloadDescriptor::parse(b.bytes);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error(), b.error);
  }
}

size_t pictureIdOffset() {
  return 1;
}
size_t tl0Offset(const Case& c) {
  return 1 + (c.pictureId15 ? 2 : 1) + 1;
}

TEST(Vp9PayloadDescriptor, PictureIdRewriteRoundTrip) {
  for (const auto& c : cases()) {
    if (!c.pictureId) continue;
    SCOPED_TRACE(c.name);
    for (uint16_t v : {0, 1, 0x7F, 0x80, 0x1234, 0x7FFF, 0x8000, 0xFFFF}) {
      Bytes bytes = c.bytes;
      auto d = Vp9PayloadDescriptor::parse(bytes);
      ASSERT_TRUE(d.ok());
      ASSERT_TRUE(d->rewritePictureId(bytes, v));
      const uint16_t expected = c.pictureId15 ? v % 32768 : v % 128;
      EXPECT_EQ(d->pictureId(), expected);
      auto again = Vp9PayloadDescriptor::parse(bytes);
      ASSERT_TRUE(again.ok());
      Case want = c;
      want.pictureId = expected;
      expectFields(*again, want);
      const size_t width = c.pictureId15 ? 2 : 1;
      for (size_t i = 0; i < bytes.size(); ++i) {
        if (i >= pictureIdOffset() && i < pictureIdOffset() + width) continue;
        EXPECT_EQ(bytes[i], c.bytes[i]) << "byte " << i << " value " << v;
      }
    }
  }
}

TEST(Vp9PayloadDescriptor, Tl0PicIdxRewriteRoundTrip) {
  size_t tested = 0;
  for (const auto& c : cases()) {
    Bytes bytes = c.bytes;
    auto d = Vp9PayloadDescriptor::parse(bytes);
    ASSERT_TRUE(d.ok());
    if (!c.tl0PicIdx) {
      EXPECT_FALSE(d->rewriteTl0PicIdx(bytes, 1));
      EXPECT_EQ(bytes, c.bytes);
      continue;
    }
    SCOPED_TRACE(c.name);
    ++tested;
    ASSERT_TRUE(d->rewriteTl0PicIdx(bytes, 0x5A));
    EXPECT_EQ(d->tl0PicIdx(), 0x5A);
    auto again = Vp9PayloadDescriptor::parse(bytes);
    ASSERT_TRUE(again.ok());
    Case want = c;
    want.tl0PicIdx = 0x5A;
    expectFields(*again, want);
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (i != tl0Offset(c)) {
        EXPECT_EQ(bytes[i], c.bytes[i]) << "byte " << i;
      }
    }
  }
  EXPECT_GE(tested, 3u);
}

TEST(Vp9PayloadDescriptor, PictureIdRewriteOfAbsentFieldWritesNothing) {
  Bytes bytes = concat({0x0C}, kData);
  auto d = Vp9PayloadDescriptor::parse(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->rewritePictureId(bytes, 3));
  EXPECT_EQ(bytes, concat({0x0C}, kData));
}

std::span<const uint8_t> rtpPayload(const Bytes& p) {
  size_t off = 12 + 4 * (p[0] & 0x0F);
  if (p[0] & 0x10) off += 4 + 4 * static_cast<size_t>(p[off + 2] << 8 | p[off + 3]);
  size_t padding = (p[0] & 0x20) ? p.back() : 0;
  return std::span(p).subspan(off, p.size() - off - padding);
}

// Real VP9 (libvpx) from two packetizers. Names give the descriptor's flags, PictureID, SS
// summary and size, and whether the frame is a keyframe according to the VP9 uncompressed
// header (not the descriptor).
void checkVp9Fixture(const std::string& file, bool senderSetsP) {
  const std::string path = std::string(SWITCHYARD_FIXTURES_DIR) + "/rtp/" + file;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto packets = test::loadFixture("rtp/" + file);
  ASSERT_FALSE(packets.empty());
  const std::regex re(
      R"(VP9 (keyframe|inter) packet (\d+)/\d+ .*flags=(\S+)(?: picture_id=(\d+)\((\d+)-bit\))?)"
      R"((?: SS\[N_S=(\d+),Y=(\d),G=(\d)(?:,sizes=(\d+)x(\d+))?(?:,N_G=(\d+))?\])? )"
      R"(descriptor=(\d+)B)");
  size_t keyframes = 0;
  for (const auto& p : packets) {
    SCOPED_TRACE(p.name);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(p.name, m, re));
    auto payload = rtpPayload(p.bytes);
    auto d = Vp9PayloadDescriptor::parse(payload);
    ASSERT_TRUE(d.ok()) << parseErrorName(d.error());
    const std::string flags = m[3];
    auto has = [&](char f) { return flags.find(f) != std::string::npos; };
    EXPECT_EQ(d->hasPictureId(), has('I'));
    EXPECT_EQ(d->interPicturePredicted(), has('P'));
    EXPECT_EQ(d->hasLayerIndices(), has('L'));
    EXPECT_EQ(d->flexibleMode(), has('F'));
    EXPECT_EQ(d->startOfFrame(), has('B'));
    EXPECT_EQ(d->endOfFrame(), has('E'));
    EXPECT_EQ(d->hasScalabilityStructure(), has('V'));
    EXPECT_EQ(d->notUpperLayerReference(), has('Z'));
    EXPECT_EQ(d->size(), std::stoul(m[12]));
    if (m[4].matched) {
      EXPECT_EQ(d->pictureId(), std::stoi(m[4]));
      EXPECT_EQ(d->pictureIdIs15Bit(), m[5] == "15");
    }
    if (m[6].matched) {
      auto ss = d->ss();
      EXPECT_EQ(ss.spatialLayerCount(), std::stoi(m[6]));
      EXPECT_EQ(ss.hasResolutions(), m[7] == "1");
      EXPECT_EQ(ss.hasPictureGroup(), m[8] == "1");
      if (m[9].matched) {
        EXPECT_EQ(ss.width(0), std::stoi(m[9]));
        EXPECT_EQ(ss.height(0), std::stoi(m[10]));
      }
      if (m[11].matched) {
        EXPECT_EQ(ss.pictureCount(), std::stoi(m[11]));
        size_t n = 0;
        for (auto pic : ss.pictures()) {
          EXPECT_LE(pic.pDiffCount, 3);
          ++n;
        }
        EXPECT_EQ(n, ss.pictureCount());
      }
    }
    const bool firstOfKeyframe = m[1] == "keyframe" && m[2] == "1";
    if (senderSetsP) {
      EXPECT_EQ(d->isKeyframe(), firstOfKeyframe);
    } else {
      // This sender never sets P, so from the descriptor every frame start looks
      // independently decodable: the descriptor-level rule cannot do better.
      EXPECT_EQ(d->isKeyframe(), d->startOfFrame());
    }
    keyframes += firstOfKeyframe;
    if (d->hasPictureId()) {
      Bytes copy(payload.begin(), payload.end());
      auto w = Vp9PayloadDescriptor::parse(copy);
      ASSERT_TRUE(w->rewritePictureId(copy, 0x1357));
      auto again = Vp9PayloadDescriptor::parse(copy);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again->pictureId(), d->pictureIdIs15Bit() ? 0x1357 : 0x57);
      EXPECT_EQ(again->size(), d->size());
      const long after = d->pictureIdIs15Bit() ? 3 : 2;  // mandatory byte + PictureID
      EXPECT_TRUE(std::equal(copy.begin() + after, copy.end(), payload.begin() + after));
      EXPECT_EQ(copy[0], payload[0]);
    }
  }
  EXPECT_GT(keyframes, 0u);
}

TEST(Vp9PayloadDescriptor, GstreamerFixture) {
  checkVp9Fixture("gst-vp9.hex", true);
}

TEST(Vp9PayloadDescriptor, FfmpegFixture) {
  checkVp9Fixture("ffmpeg-vp9.hex", false);
}

}  // namespace
}  // namespace switchyard::rtp
