#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "rtp/codecs/Vp8PayloadDescriptor.hpp"
#include "tests/support/Fixtures.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// VP8 payload headers (RFC 7741 4.3): bit 0 of the first byte is P (0 = key frame).
const Bytes kDeltaData = {0x01, 0xAA, 0xBB};
// RFC 6386 9.1 key frame start: frame tag (P = 0), start code 9d 01 2a, then 14-bit width and
// height, little-endian: 640 x 480 with scaling bits set in the width (must be dropped).
const Bytes kKeyData = {0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x42, 0xE0, 0x01, 0xCC};

struct Case {
  const char* name;
  Bytes bytes;
  size_t size;
  bool nonReference, startOfPartition;
  uint8_t partitionId;
  std::optional<uint16_t> pictureId;
  bool pictureId15;
  std::optional<uint8_t> tl0PicIdx;
  std::optional<uint8_t> temporalId;
  bool layerSync;
  std::optional<uint8_t> keyIdx;
  bool keyframe;
};

// Descriptors built from RFC 7741 section 4.2's figure, one optional field at a time.
std::vector<Case> cases() {
  return {
      {"minimal start of frame",
       concat({0x10}, kDeltaData),
       1,
       false,
       true,
       0,
       {},
       false,
       {},
       {},
       false,
       {},
       false},
      {"continuation packet, P bit 0 is not a keyframe",
       concat({0x00}, {0x00, 0x11}),
       1,
       false,
       false,
       0,
       {},
       false,
       {},
       {},
       false,
       {},
       false},
      {"reserved bits ignored",
       concat({0x58}, kDeltaData),
       1,
       false,
       true,
       0,
       {},
       false,
       {},
       {},
       false,
       {},
       false},
      {"X with no optional fields",
       concat({0x90, 0x00}, kDeltaData),
       2,
       false,
       true,
       0,
       {},
       false,
       {},
       {},
       false,
       {},
       false},
      {"7-bit PictureID",
       concat({0x90, 0x80, 0x12}, kDeltaData),
       3,
       false,
       true,
       0,
       0x12,
       false,
       {},
       {},
       false,
       {},
       false},
      {"15-bit PictureID",
       concat({0x90, 0x80, 0xC9, 0x7A}, kDeltaData),
       4,
       false,
       true,
       0,
       0x497A,
       true,
       {},
       {},
       false,
       {},
       false},
      {"all fields, 15-bit", concat({0x90, 0xF0, 0x81, 0x23, 0x45, 0xA5}, kDeltaData), 6, false,
       true, 0, 0x123, true, 0x45, 2, true, 5, false},
      {"all fields, 7-bit", concat({0x90, 0xF0, 0x7F, 0x00, 0x1F}, kDeltaData), 5, false, true, 0,
       0x7F, false, 0x00, 0, false, 31, false},
      {"TL0PICIDX only",
       concat({0x80, 0x40, 0x99}, kDeltaData),
       3,
       false,
       false,
       0,
       {},
       false,
       0x99,
       {},
       false,
       {},
       false},
      {"T without K",
       concat({0x90, 0x20, 0x60}, kDeltaData),
       3,
       false,
       true,
       0,
       {},
       false,
       {},
       1,
       true,
       {},
       false},
      {"K without T",
       concat({0x80, 0x10, 0xDF}, kDeltaData),
       3,
       false,
       false,
       0,
       {},
       false,
       {},
       {},
       false,
       31,
       false},
      {"non-reference, partition 3",
       concat({0xA3, 0x00}, kDeltaData),
       2,
       true,
       false,
       3,
       {},
       false,
       {},
       {},
       false,
       {},
       false},
      {"partition 7 start is not a frame start",
       concat({0x17}, {0x00}),
       1,
       false,
       true,
       7,
       {},
       false,
       {},
       {},
       false,
       {},
       false},
      {"keyframe with 15-bit PictureID",
       concat({0x90, 0x80, 0x80, 0x05}, kKeyData),
       4,
       false,
       true,
       0,
       5,
       true,
       {},
       {},
       false,
       {},
       true},
      {"keyframe, bare descriptor",
       concat({0x10}, kKeyData),
       1,
       false,
       true,
       0,
       {},
       false,
       {},
       {},
       false,
       {},
       true},
  };
}

void expectFields(const Vp8PayloadDescriptor& d, const Case& c) {
  EXPECT_EQ(d.size(), c.size);
  EXPECT_EQ(d.nonReference(), c.nonReference);
  EXPECT_EQ(d.startOfPartition(), c.startOfPartition);
  EXPECT_EQ(d.partitionId(), c.partitionId);
  EXPECT_EQ(d.hasPictureId(), c.pictureId.has_value());
  if (c.pictureId) {
    EXPECT_EQ(d.pictureId(), *c.pictureId);
    EXPECT_EQ(d.pictureIdIs15Bit(), c.pictureId15);
  }
  EXPECT_EQ(d.hasTl0PicIdx(), c.tl0PicIdx.has_value());
  if (c.tl0PicIdx) {
    EXPECT_EQ(d.tl0PicIdx(), *c.tl0PicIdx);
  }
  EXPECT_EQ(d.hasTemporalId(), c.temporalId.has_value());
  if (c.temporalId) {
    EXPECT_EQ(d.temporalId(), *c.temporalId);
    EXPECT_EQ(d.layerSync(), c.layerSync);
  }
  EXPECT_EQ(d.hasKeyIdx(), c.keyIdx.has_value());
  if (c.keyIdx) {
    EXPECT_EQ(d.keyIdx(), *c.keyIdx);
  }
  EXPECT_EQ(d.isKeyframe(), c.keyframe);
}

TEST(Vp8PayloadDescriptor, ParsesRfcLayouts) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto d = Vp8PayloadDescriptor::parse(c.bytes);
    ASSERT_TRUE(d.ok()) << parseErrorName(d.error());
    expectFields(*d, c);
    EXPECT_EQ(d->startsFrame(), c.startOfPartition && c.partitionId == 0);
    EXPECT_EQ(d->extended(), (c.bytes[0] & 0x80) != 0);
  }
}

TEST(Vp8PayloadDescriptor, KeyframeDimensions) {
  auto d = Vp8PayloadDescriptor::parse(concat({0x10}, kKeyData));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->width(), 640);  // the scaling bits (0x4000) are not part of the width
  EXPECT_EQ(d->height(), 480);
}

// Every prefix that ends inside the descriptor, leaves no VP8 data, or cuts a keyframe's
// uncompressed header short is rejected as too short.
TEST(Vp8PayloadDescriptor, EveryTruncationRejected) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    size_t minimum = c.size + (c.keyframe ? Vp8PayloadDescriptor::kKeyframeHeaderSize : 1);
    for (size_t len = 0; len < minimum; ++len) {
      auto d = Vp8PayloadDescriptor::parse(std::span(c.bytes).first(len));
      ASSERT_FALSE(d.ok()) << "length " << len;
      EXPECT_EQ(d.error(), ParseError::kTooShort) << "length " << len;
    }
    EXPECT_TRUE(Vp8PayloadDescriptor::parse(std::span(c.bytes).first(minimum)).ok());
  }
}

// Rewrite, then parse again: the new value (wrapped to the field's width), the same layout,
// and every other byte untouched.
TEST(Vp8PayloadDescriptor, PictureIdRewriteRoundTrip) {
  for (const auto& c : cases()) {
    if (!c.pictureId) continue;
    SCOPED_TRACE(c.name);
    for (uint16_t v : {0, 1, 0x7F, 0x80, 0x1234, 0x7FFF, 0x8000, 0xFFFF}) {
      Bytes bytes = c.bytes;
      auto d = Vp8PayloadDescriptor::parse(bytes);
      ASSERT_TRUE(d.ok());
      ASSERT_TRUE(d->rewritePictureId(bytes, v));
      uint16_t expected = c.pictureId15 ? v % 32768 : v % 128;
      EXPECT_EQ(d->pictureId(), expected);
      auto again = Vp8PayloadDescriptor::parse(bytes);
      ASSERT_TRUE(again.ok());
      Case want = c;
      want.pictureId = expected;
      expectFields(*again, want);
      size_t offset = 2, width = c.pictureId15 ? 2 : 1;
      for (size_t i = 0; i < bytes.size(); ++i) {
        if (i >= offset && i < offset + width) continue;
        EXPECT_EQ(bytes[i], c.bytes[i]) << "byte " << i << " value " << v;
      }
    }
  }
}

TEST(Vp8PayloadDescriptor, Tl0PicIdxRewriteRoundTrip) {
  for (const auto& c : cases()) {
    if (!c.tl0PicIdx) continue;
    SCOPED_TRACE(c.name);
    Bytes bytes = c.bytes;
    auto d = Vp8PayloadDescriptor::parse(bytes);
    ASSERT_TRUE(d.ok());
    const size_t offset = 2 + (c.pictureId ? (c.pictureId15 ? 2 : 1) : 0);
    ASSERT_TRUE(d->rewriteTl0PicIdx(bytes, 0xE7));
    EXPECT_EQ(d->tl0PicIdx(), 0xE7);
    auto again = Vp8PayloadDescriptor::parse(bytes);
    ASSERT_TRUE(again.ok());
    Case want = c;
    want.tl0PicIdx = 0xE7;
    expectFields(*again, want);
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (i != offset) {
        EXPECT_EQ(bytes[i], c.bytes[i]) << "byte " << i;
      }
    }
  }
}

TEST(Vp8PayloadDescriptor, RewriteOfAbsentFieldWritesNothing) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    Bytes bytes = c.bytes;
    auto d = Vp8PayloadDescriptor::parse(bytes);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->rewritePictureId(bytes, 77), c.pictureId.has_value());
    EXPECT_EQ(d->rewriteTl0PicIdx(bytes, 77), c.tl0PicIdx.has_value());
    if (!c.pictureId && !c.tl0PicIdx) {
      EXPECT_EQ(bytes, c.bytes);
    }
  }
}

TEST(Vp8PayloadDescriptor, RewriteRefusesShorterBuffer) {
  Bytes bytes = concat({0x90, 0xC0, 0x81, 0x23, 0x45}, kDeltaData);
  auto d = Vp8PayloadDescriptor::parse(bytes);
  ASSERT_TRUE(d.ok());
  Bytes copy = bytes;
  EXPECT_FALSE(d->rewritePictureId(std::span(bytes).first(4), 9));
  EXPECT_FALSE(d->rewriteTl0PicIdx(std::span(bytes).first(4), 9));
  EXPECT_EQ(bytes, copy);
  EXPECT_EQ(d->pictureId(), 0x123);
}

// RTP payload of a fixture packet: after the fixed header, CSRCs and extension block
// (RFC 3550 5.1, 5.3.1), before any padding.
std::span<const uint8_t> rtpPayload(const Bytes& p) {
  size_t off = 12 + 4 * (p[0] & 0x0F);
  if (p[0] & 0x10) off += 4 + 4 * static_cast<size_t>(p[off + 2] << 8 | p[off + 3]);
  size_t padding = (p[0] & 0x20) ? p.back() : 0;
  return std::span(p).subspan(off, p.size() - off - padding);
}

std::string fixtureFile() {
  return std::string(SWITCHYARD_FIXTURES_DIR) + "/rtp/aiortc-vp8.hex";
}

// Real VP8 from aiortc (libvpx): the fixture names state S, PID, PictureID and whether the
// packet belongs to a keyframe.
TEST(Vp8PayloadDescriptor, AiortcFixture) {
  if (!std::filesystem::exists(fixtureFile())) GTEST_SKIP() << "no " << fixtureFile();
  auto packets = test::loadFixture("rtp/aiortc-vp8.hex");
  ASSERT_FALSE(packets.empty());
  const std::regex re(R"(VP8 (keyframe|delta) packet (\d+)/\d+ .* S=(\d) PID=(\d) N=(\d) )"
                      R"(picture_id=(\d+)\((\d+)-bit\))");
  size_t keyframes = 0;
  for (const auto& p : packets) {
    SCOPED_TRACE(p.name);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(p.name, m, re));
    auto payload = rtpPayload(p.bytes);
    auto d = Vp8PayloadDescriptor::parse(payload);
    ASSERT_TRUE(d.ok()) << parseErrorName(d.error());
    EXPECT_EQ(d->startOfPartition(), m[3] == "1");
    EXPECT_EQ(d->partitionId(), std::stoi(m[4]));
    EXPECT_EQ(d->nonReference(), m[5] == "1");
    ASSERT_TRUE(d->hasPictureId());
    EXPECT_EQ(d->pictureId(), std::stoi(m[6]));
    EXPECT_EQ(d->pictureIdIs15Bit(), m[7] == "15");
    const bool first = m[2] == "1";
    EXPECT_EQ(d->isKeyframe(), m[1] == "keyframe" && first);
    EXPECT_EQ(d->startsFrame(), first);
    if (d->isKeyframe()) {
      ++keyframes;
      EXPECT_EQ(d->width(), 640);  // aiortc_capture.py sends 640x480
      EXPECT_EQ(d->height(), 480);
    }
    // An SFU's per-consumer rewrite: only the PictureID bytes change.
    Bytes copy(payload.begin(), payload.end());
    auto w = Vp8PayloadDescriptor::parse(copy);
    ASSERT_TRUE(w->rewritePictureId(copy, 0x7ABC));
    auto again = Vp8PayloadDescriptor::parse(copy);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->pictureId(), 0x7ABC);
    EXPECT_EQ(again->isKeyframe(), d->isKeyframe());
    EXPECT_TRUE(std::equal(copy.begin() + static_cast<long>(d->size()), copy.end(),
                           payload.begin() + static_cast<long>(d->size())));
  }
  EXPECT_GT(keyframes, 0u);
}

}  // namespace
}  // namespace switchyard::rtp
