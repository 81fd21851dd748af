#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "rtp/codecs/Av1Payload.hpp"
#include "rtp/codecs/Leb128.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes fromHex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Leb128, DecodesAv1Encodings) {
  struct Case {
    Bytes bytes;
    uint32_t value;
    uint8_t size;
  };
  const std::vector<Case> cases = {
      {{0x00}, 0, 1},
      {{0x7F}, 127, 1},
      {{0x80, 0x01}, 128, 2},
      {{0xE5, 0x8E, 0x26}, 624485, 3},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 0xFFFFFFFF, 5},
      // Padded encodings are allowed (AV1 spec 4.10.5), up to 8 bytes.
      {{0x81, 0x80, 0x00}, 1, 3},
      {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, 8},
      {{0x05, 0xFF}, 5, 1},  // trailing bytes are not part of it
  };
  for (const auto& c : cases) {
    auto v = Leb128::read(c.bytes);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->value, c.value);
    EXPECT_EQ(v->size, c.size);
  }
}

TEST(Leb128, RejectsTruncationAndOverflow) {
  EXPECT_EQ(Leb128::read(Bytes{}).error(), ParseError::kTooShort);
  EXPECT_EQ(Leb128::read(Bytes{0x80}).error(), ParseError::kTooShort);
  EXPECT_EQ(Leb128::read(Bytes{0xFF, 0xFF, 0xFF}).error(), ParseError::kTooShort);
  // 8 bytes with the continuation bit still set on the last.
  EXPECT_EQ(Leb128::read(Bytes(9, 0x80)).error(), ParseError::kMalformed);
  // 2^32 and 2^35 - 1: beyond 32 bits.
  EXPECT_EQ(Leb128::read(Bytes{0x80, 0x80, 0x80, 0x80, 0x10}).error(), ParseError::kMalformed);
  EXPECT_EQ(Leb128::read(Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x7F}).error(), ParseError::kMalformed);
}

TEST(Leb128, WriteRoundTrip) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 16383u, 16384u, 0x0FFFFFFFu, 0xFFFFFFFFu}) {
    uint8_t buf[8] = {};
    const size_t n = Leb128::write(v, buf);
    EXPECT_EQ(n, Leb128::encodedSize(v));
    auto back = Leb128::read(std::span<const uint8_t>(buf, n));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->value, v);
    EXPECT_EQ(back->size, n);
  }
}

// What one element should look like.
struct Want {
  Bytes bytes;
  bool continuation = false;
  bool continued = false;
  bool hasHeader = true;
  uint8_t type = 0;
  bool ext = false, hasSize = false;
  uint8_t tid = 0, sid = 0;
};

struct Case {
  const char* name;
  Bytes bytes;
  bool z, y;
  uint8_t w;
  bool n;
  std::vector<Want> elements;
  bool sequenceHeader, keyframe;
};

// OBU headers (AV1 spec 5.3.2): type << 3 | X << 2 | S << 1.
constexpr uint8_t kSeq = 0x08, kTd = 0x10, kFrameHeader = 0x18, kTileGroup = 0x20, kMetadata = 0x28,
                  kFrame = 0x30;

// Real OBUs from libaom (ffmpeg -c:v libaom-av1, 64x64 test pattern, two frames, written with
// -f obu), packetized by hand per the AV1 RTP spec section 5 at a 120-byte budget (no RTP
// packetizer for AV1 ships in Debian 12's FFmpeg or GStreamer, and Chromium's fixtures are SRTP).
const std::string kLibaomKeyStart =  // TU 0, packet 1/20: N=1 W=2 Y=1, sequence header + frame
    "680b0800000002afff9b5f20083010008000dd6d7834afa7786ac87350dedcdde4d2eca46e36"
    "236144757c3199bd7bdb19d199bd93e3ffe1838bfffe8a4e48bc647c2285ccc4a79d2c587d64"
    "e82e36611f4e7ef1a3d18efe85a0e0448ac8ef8f9b4989017d757c420f39484e92e20ac799df"
    "aac105";
const std::string kLibaomKeyMiddle =  // TU 0, packet 2/20: Z=1 Y=1 W=1
    "d02d64d440167dea8c07316716a02020fb79d7043e3362bb6db6b2d959f584bd92a58ac56f4c"
    "81c0b6504a087bdd011d20ade946cae211332b822cac62cde0173ebc11c7a642238e436a4a64"
    "28dee75e4c55fa5fe7feb3118404143ff40d52ede3dd086fff0a05057b7e38834db3134306df"
    "55167490";
const std::string kLibaomKeyEnd =  // TU 0, packet 20/20: Z=1 W=1
    "90443b4e04ebb84f37efa45ea5245248ea63249aa880d5193f156cbff412f9920aa1d7b5e674"
    "007bf5669cbc3c1626c67baa553a580e5708977d170b3bacc4efc0529c82da371616b2dd3de6"
    "f2a897be2ac68a897c494e680eb14e5256154546f1c0948eee0c51a28582ae98c0";
const std::string kLibaomDeltaStart =  // TU 1, packet 1/2: W=1 Y=1, frame OBU
    "503030038080fdf83b460228a288a0812800cdda7f3597c6c7b826c4e3f5657f1e07738e80e8"
    "96982ac29be963895ce91d97b21e2b4e03fd109502a67510148da0e5471bbd0766c27f66ea43"
    "43119ff4489e8adfef4e5ca7d1abfb55c98b9a14a6d25b5e3184f993369bf50b623a6e309f12"
    "02950c88";
const std::string kLibaomDeltaEnd =  // TU 1, packet 2/2: Z=1 W=1
    "902beff1c67dd7040cbf1da06d09624907cfd018ea17f442d5edbeff96e48d8ede4deed8c296"
    "58b70531fd48b5c0dae0bc0c54c1f2116765402c38ecb7149714b57233a8111980";

std::vector<Case> cases() {
  const Bytes big(130, 0x55);
  const Bytes libKey = fromHex(kLibaomKeyStart);
  const Bytes libMid = fromHex(kLibaomKeyMiddle);
  const Bytes libEnd = fromHex(kLibaomKeyEnd);
  const Bytes libDelta = fromHex(kLibaomDeltaStart);
  const Bytes libDeltaEnd = fromHex(kLibaomDeltaEnd);
  auto tail = [](const Bytes& b, size_t from) { return Bytes(b.begin() + from, b.end()); };
  return {
      {"W=1, one frame OBU",
       {0x10, kFrame, 0xAA, 0xBB},
       false,
       false,
       1,
       false,
       {{{kFrame, 0xAA, 0xBB}, false, false, true, 6}},
       false,
       false},
      {"W=0, two sized elements with a sequence header",
       {0x00, 0x03, kSeq, 0xAA, 0xBB, 0x02, kFrame, 0xCC},
       false,
       false,
       0,
       false,
       {{{kSeq, 0xAA, 0xBB}, false, false, true, 1}, {{kFrame, 0xCC}, false, false, true, 6}},
       true,
       false},
      {"W=2, N=1: new coded video sequence",
       {0x28, 0x03, kSeq, 0xAA, 0xBB, kFrame, 0xCC, 0xDD},
       false,
       false,
       2,
       true,
       {{{kSeq, 0xAA, 0xBB}, false, false, true, 1}, {{kFrame, 0xCC, 0xDD}, false, false, true, 6}},
       true,
       true},
      {"N=1 without a sequence header is not a keyframe start",
       {0x18, kFrame, 0x01},
       false,
       false,
       1,
       true,
       {{{kFrame, 0x01}, false, false, true, 6}},
       false,
       false},
      {"W=3",
       {0x30, 0x01, kFrameHeader, 0x02, kTileGroup, 0x11, kMetadata, 0x00},
       false,
       false,
       3,
       false,
       {{{kFrameHeader}, false, false, true, 3},
        {{kTileGroup, 0x11}, false, false, true, 4},
        {{kMetadata, 0x00}, false, false, true, 5}},
       false,
       false},
      {"Z=1: continuation without OBU header",
       {0x90, 0xDE, 0xAD},
       true,
       false,
       1,
       false,
       {{{0xDE, 0xAD}, true, false, false}},
       false,
       false},
      {"Y=1: fragment start",
       {0x50, kFrame, 0x01},
       false,
       true,
       1,
       false,
       {{{kFrame, 0x01}, false, true, true, 6}},
       false,
       false},
      {"Z=1 Y=1: middle fragment",
       {0xD0, 0x00, 0x01},
       true,
       true,
       1,
       false,
       {{{0x00, 0x01}, true, true, false}},
       false,
       false},
      {"extension header",
       {0x10, 0x34, 0x48, 0x00},
       false,
       false,
       1,
       false,
       {{{0x34, 0x48, 0x00}, false, false, true, 6, true, false, 2, 1}},
       false,
       false},
      {"obu_size agreeing with the element",
       {0x10, 0x32, 0x02, 0xAB, 0xCD},
       false,
       false,
       1,
       false,
       {{{0x32, 0x02, 0xAB, 0xCD}, false, false, true, 6, false, true}},
       false,
       false},
      {"extension and obu_size",
       {0x10, 0x36, 0x20, 0x01, 0xEE},
       false,
       false,
       1,
       false,
       {{{0x36, 0x20, 0x01, 0xEE}, false, false, true, 6, true, true, 1, 0}},
       false,
       false},
      {"fragment start cut before its extension byte",
       {0x50, 0x34},
       false,
       true,
       1,
       false,
       {{{0x34}, false, true, true, 6, true}},
       false,
       false},
      {"fragment start whose obu_size exceeds the fragment",
       {0x50, 0x32, 0x7F, 0x01},
       false,
       true,
       1,
       false,
       {{{0x32, 0x7F, 0x01}, false, true, true, 6, false, true}},
       false,
       false},
      {"W=2 with an empty fragment last",
       {0x60, 0x01, kFrame},
       false,
       true,
       2,
       false,
       {{{kFrame}, false, false, true, 6}, {{}, false, true, false}},
       false,
       false},
      {"W=1 empty continuation",
       {0x90},
       true,
       false,
       1,
       false,
       {{{}, true, false, false}},
       false,
       false},
      {"temporal delimiter kept",
       {0x10, kTd},
       false,
       false,
       1,
       false,
       {{{kTd}, false, false, true, 2}},
       false,
       false},
      {"2-byte element size",
       concat({0x00, 0x82, 0x01, kFrame}, Bytes(129, 0x55)),
       false,
       false,
       0,
       false,
       {{concat({kFrame}, Bytes(129, 0x55)), false, false, true, 6}},
       false,
       false},
      {"padded element size",
       {0x00, 0x81, 0x80, 0x00, kFrame},
       false,
       false,
       0,
       false,
       {{{kFrame}, false, false, true, 6}},
       false,
       false},
      {"libaom keyframe, first packet",
       libKey,
       false,
       true,
       2,
       true,
       {{Bytes(libKey.begin() + 2, libKey.begin() + 13), false, false, true, 1},
        {tail(libKey, 13), false, true, true, 6}},
       true,
       true},
      {"libaom keyframe, middle packet",
       libMid,
       true,
       true,
       1,
       false,
       {{tail(libMid, 1), true, true, false}},
       false,
       false},
      {"libaom keyframe, last packet",
       libEnd,
       true,
       false,
       1,
       false,
       {{tail(libEnd, 1), true, false, false}},
       false,
       false},
      {"libaom delta frame, first packet",
       libDelta,
       false,
       true,
       1,
       false,
       {{tail(libDelta, 1), false, true, true, 6}},
       false,
       false},
      {"libaom delta frame, last packet",
       libDeltaEnd,
       true,
       false,
       1,
       false,
       {{tail(libDeltaEnd, 1), true, false, false}},
       false,
       false},
  };
}

TEST(Av1Payload, ParsesAggregationAndObus) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto a = Av1Payload::parse(c.bytes);
    ASSERT_TRUE(a.ok()) << parseErrorName(a.error());
    EXPECT_EQ(a->startsWithContinuation(), c.z);
    EXPECT_EQ(a->endsWithFragment(), c.y);
    EXPECT_EQ(a->declaredElementCount(), c.w);
    EXPECT_EQ(a->startsCodedVideoSequence(), c.n);
    EXPECT_EQ(a->hasSequenceHeader(), c.sequenceHeader);
    EXPECT_EQ(a->isKeyframe(), c.keyframe);
    ASSERT_EQ(a->elementCount(), c.elements.size());
    size_t i = 0;
    for (const auto& e : a->elements()) {
      SCOPED_TRACE(i);
      ASSERT_LT(i, c.elements.size());
      const Want& w = c.elements[i++];
      EXPECT_EQ(Bytes(e.bytes.begin(), e.bytes.end()), w.bytes);
      EXPECT_EQ(e.continuation, w.continuation);
      EXPECT_EQ(e.continued, w.continued);
      ASSERT_EQ(e.hasHeader, w.hasHeader);
      if (!w.hasHeader) continue;
      EXPECT_EQ(e.header.type, w.type);
      EXPECT_EQ(e.header.hasExtension, w.ext);
      EXPECT_EQ(e.header.hasSize, w.hasSize);
      EXPECT_EQ(e.header.temporalId, w.tid);
      EXPECT_EQ(e.header.spatialId, w.sid);
    }
    EXPECT_EQ(i, c.elements.size());
  }
}

TEST(Av1Payload, MalformedRejected) {
  struct Bad {
    const char* name;
    Bytes bytes;
    ParseError error;
  };
  const std::vector<Bad> bad = {
      {"empty", {}, ParseError::kTooShort},
      {"W=0 with no element", {0x00}, ParseError::kTooShort},
      {"W=2 with no element", {0x20}, ParseError::kTooShort},
      {"W=3 with only one element", {0x30, 0x01, kFrame}, ParseError::kTooShort},
      {"element size cut off", {0x00, 0x80}, ParseError::kTooShort},
      {"element size past the end", {0x00, 0x05, kFrame}, ParseError::kBadLength},
      {"element size of 9 LEB128 bytes", concat({0x00}, Bytes(9, 0x80)), ParseError::kMalformed},
      {"element size beyond 32 bits", {0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, ParseError::kMalformed},
      {"N=1 with Z=1", {0x98, 0x00}, ParseError::kMalformed},
      {"empty complete element", {0x00, 0x00}, ParseError::kMalformed},
      {"W=1 empty element that is neither continuation nor fragment",
       {0x10},
       ParseError::kMalformed},
      {"forbidden bit", {0x10, 0xB0}, ParseError::kMalformed},
      {"forbidden bit in a fragment start", {0x50, 0xB0}, ParseError::kMalformed},
      {"complete OBU cut before its extension byte", {0x10, 0x34}, ParseError::kMalformed},
      {"obu_size larger than the element", {0x10, 0x32, 0x05, 0xAB}, ParseError::kBadLength},
      {"obu_size smaller than the element", {0x10, 0x32, 0x00, 0xAB}, ParseError::kBadLength},
      {"obu_size missing", {0x10, 0x32}, ParseError::kMalformed},
      {"bad OBU in the second element", {0x00, 0x01, kFrame, 0x01, 0x80}, ParseError::kMalformed},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.name);
    auto a = Av1Payload::parse(b.bytes);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error(), b.error);
  }
}

// Cutting inside a size field or a sized element is always caught. With W=0 a cut between
// elements leaves a shorter valid packet; with W>0 the unsized last element may be cut anywhere.
TEST(Av1Payload, EveryTruncationInsideSizedElementsRejected) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto full = Av1Payload::parse(c.bytes);
    ASSERT_TRUE(full.ok());
    std::vector<size_t> ends;  // where each element ends
    size_t lastStart = 0;
    for (const auto& e : full->elements()) {
      lastStart = static_cast<size_t>(e.bytes.data() - c.bytes.data());
      ends.push_back(lastStart + e.bytes.size());
    }
    const size_t limit = c.w == 0 ? c.bytes.size() : lastStart;
    for (size_t len = 0; len < limit; ++len) {
      if (c.w == 0 && std::find(ends.begin(), ends.end(), len) != ends.end()) continue;
      auto a = Av1Payload::parse(std::span(c.bytes).first(len));
      EXPECT_FALSE(a.ok()) << "length " << len;
    }
  }
}

// The element range depends on the payload bytes only, not on the parsed object, so ranging
// over a temporary's elements is safe (ASan would flag a dangling owner pointer).
TEST(Av1Payload, ElementsOutliveTheParsedObject) {
  const Bytes bytes = {0x00, 0x03, kSeq, 0xAA, 0xBB, 0x02, kFrame, 0xCC};
  std::vector<uint8_t> types;
  for (const auto& e : Av1Payload::parse(bytes)->elements())
    types.push_back(e.header.type);
  EXPECT_EQ(types, (std::vector<uint8_t>{1, 6}));
}

}  // namespace
}  // namespace switchyard::rtp
