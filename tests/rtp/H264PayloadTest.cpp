#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "rtp/codecs/H264Payload.hpp"
#include "tests/support/Fixtures.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;
using Kind = H264Payload::Kind;

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A STAP-A aggregation unit (RFC 6184 5.7.1): 16-bit size, then the NAL unit.
Bytes unit(const Bytes& nalu) {
  return concat(
      {{static_cast<uint8_t>(nalu.size() >> 8), static_cast<uint8_t>(nalu.size())}, nalu});
}

// NAL units: header byte F|NRI|Type, then opaque bytes.
const Bytes kSps = {0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01};
const Bytes kPps = {0x68, 0xCE, 0x3C, 0x80};
const Bytes kSei = {0x06, 0x05, 0x01, 0x80};
const Bytes kIdr = {0x65, 0x88, 0x84, 0x00, 0x33};
const Bytes kSlice = {0x41, 0x9A, 0x02, 0x11};
const uint8_t kStapAHeader = 0x78;   // NRI 3, type 24
const uint8_t kFuAIndicator = 0x7C;  // NRI 3, type 28

struct Case {
  const char* name;
  Bytes bytes;
  Kind kind;
  uint8_t type, naluType, nri;
  std::vector<Bytes> nalus;  // complete NAL units carried
  bool fuStart, fuEnd;
  bool sps, pps, idr, keyframe;
};

std::vector<Case> cases() {
  return {
      {"single non-IDR slice",
       kSlice,
       Kind::kSingleNalu,
       1,
       1,
       2,
       {kSlice},
       false,
       false,
       false,
       false,
       false,
       false},
      {"single IDR slice",
       kIdr,
       Kind::kSingleNalu,
       5,
       5,
       3,
       {kIdr},
       false,
       false,
       false,
       false,
       true,
       true},
      {"single SPS alone is not a keyframe",
       kSps,
       Kind::kSingleNalu,
       7,
       7,
       3,
       {kSps},
       false,
       false,
       true,
       false,
       false,
       false},
      {"single SEI, forbidden bit set",
       {0x86, 0x05},
       Kind::kSingleNalu,
       6,
       6,
       0,
       {{0x86, 0x05}},
       false,
       false,
       false,
       false,
       false,
       false},
      {"STAP-A SPS + PPS",
       concat({{kStapAHeader}, unit(kSps), unit(kPps)}),
       Kind::kStapA,
       24,
       7,
       3,
       {kSps, kPps},
       false,
       false,
       true,
       true,
       false,
       true},
      {"STAP-A SPS + PPS + SEI + IDR",
       concat({{kStapAHeader}, unit(kSps), unit(kPps), unit(kSei), unit(kIdr)}),
       Kind::kStapA,
       24,
       7,
       3,
       {kSps, kPps, kSei, kIdr},
       false,
       false,
       true,
       true,
       true,
       true},
      {"STAP-A two slices",
       concat({{0x58}, unit(kSlice), unit(kSlice)}),
       Kind::kStapA,
       24,
       1,
       2,
       {kSlice, kSlice},
       false,
       false,
       false,
       false,
       false,
       false},
      {"STAP-A of one 1-byte NAL unit",
       concat({{kStapAHeader}, unit({0x09})}),
       Kind::kStapA,
       24,
       9,
       3,
       {{0x09}},
       false,
       false,
       false,
       false,
       false,
       false},
      {"FU-A start of an IDR slice",
       {kFuAIndicator, 0x85, 0x88, 0x84},
       Kind::kFuA,
       28,
       5,
       3,
       {},
       true,
       false,
       false,
       false,
       true,
       true},
      {"FU-A middle of an IDR slice",
       {kFuAIndicator, 0x05, 0x11, 0x22},
       Kind::kFuA,
       28,
       5,
       3,
       {},
       false,
       false,
       false,
       false,
       false,
       false},
      {"FU-A end of an IDR slice",
       {kFuAIndicator, 0x45, 0x33},
       Kind::kFuA,
       28,
       5,
       3,
       {},
       false,
       true,
       false,
       false,
       false,
       false},
      {"FU-A start of a slice, empty FU payload",
       {0x5C, 0x81},
       Kind::kFuA,
       28,
       1,
       2,
       {},
       true,
       false,
       false,
       false,
       false,
       false},
      {"FU-A start of an SPS",
       {kFuAIndicator, 0x87, 0x42},
       Kind::kFuA,
       28,
       7,
       3,
       {},
       true,
       false,
       true,
       false,
       false,
       false},
  };
}

void expectFields(const H264Payload& h, const Case& c) {
  EXPECT_EQ(h.kind(), c.kind);
  EXPECT_EQ(h.type(), c.type);
  EXPECT_EQ(h.naluType(), c.naluType);
  EXPECT_EQ(h.nri(), c.nri);
  EXPECT_EQ(h.forbiddenBit(), (c.bytes[0] & 0x80) != 0);
  EXPECT_EQ(h.fuStart(), c.fuStart);
  EXPECT_EQ(h.fuEnd(), c.fuEnd);
  EXPECT_EQ(h.hasSps(), c.sps);
  EXPECT_EQ(h.hasPps(), c.pps);
  EXPECT_EQ(h.hasIdr(), c.idr);
  EXPECT_EQ(h.isKeyframe(), c.keyframe);
  ASSERT_EQ(h.naluCount(), c.nalus.size());
  size_t i = 0;
  for (auto nalu : h.nalus()) {
    ASSERT_LT(i, c.nalus.size());
    EXPECT_EQ(Bytes(nalu.begin(), nalu.end()), c.nalus[i]) << "NAL unit " << i;
    ++i;
  }
  EXPECT_EQ(i, c.nalus.size());
  if (c.kind == Kind::kFuA) {
    EXPECT_EQ(Bytes(h.fuPayload().begin(), h.fuPayload().end()),
              Bytes(c.bytes.begin() + 2, c.bytes.end()));
  } else {
    EXPECT_TRUE(h.fuPayload().empty());
  }
}

TEST(H264Payload, ParsesRfcLayouts) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto h = H264Payload::parse(c.bytes);
    ASSERT_TRUE(h.ok()) << parseErrorName(h.error());
    expectFields(*h, c);
  }
}

TEST(H264Payload, MalformedRejected) {
  struct Bad {
    const char* name;
    Bytes bytes;
    ParseError error;
  };
  const std::vector<Bad> bad = {
      {"empty", {}, ParseError::kTooShort},
      {"STAP-A without aggregation units", {kStapAHeader}, ParseError::kTooShort},
      {"STAP-A NAL unit of size 0", {kStapAHeader, 0x00, 0x00}, ParseError::kBadLength},
      {"STAP-A size past the end", {kStapAHeader, 0x00, 0x05, 0x67, 0x42}, ParseError::kBadLength},
      {"STAP-A stray byte after the last unit",
       {kStapAHeader, 0x00, 0x01, 0x09, 0x00},
       ParseError::kBadLength},
      {"STAP-A holding an STAP-A", {kStapAHeader, 0x00, 0x01, 0x78}, ParseError::kMalformed},
      {"STAP-A holding an FU-A", {kStapAHeader, 0x00, 0x02, 0x7C, 0x85}, ParseError::kMalformed},
      {"STAP-A holding type 0", {kStapAHeader, 0x00, 0x01, 0x00}, ParseError::kMalformed},
      {"FU-A without FU header", {kFuAIndicator}, ParseError::kTooShort},
      {"FU-A with S and E", {kFuAIndicator, 0xC5, 0x00}, ParseError::kMalformed},
      {"FU-A of an STAP-A", {kFuAIndicator, 0x98, 0x00}, ParseError::kMalformed},
      {"FU-A of type 0", {kFuAIndicator, 0x80, 0x00}, ParseError::kMalformed},
      {"FU-A of type 31", {kFuAIndicator, 0x9F, 0x00}, ParseError::kMalformed},
      {"STAP-B", {0x79, 0x00, 0x01, 0x00, 0x01, 0x09}, ParseError::kUnsupported},
      {"MTAP16", {0x7A, 0x00, 0x01}, ParseError::kUnsupported},
      {"MTAP24", {0x7B, 0x00, 0x01}, ParseError::kUnsupported},
      {"FU-B", {0x7D, 0x85, 0x00, 0x01}, ParseError::kUnsupported},
      {"reserved type 0", {0x00, 0x01}, ParseError::kMalformed},
      {"reserved type 30", {0x7E, 0x01}, ParseError::kMalformed},
      {"reserved type 31", {0x7F, 0x01}, ParseError::kMalformed},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.name);
    auto h = H264Payload::parse(b.bytes);
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), b.error);
  }
}

// Cutting an STAP-A anywhere but between aggregation units is caught by the NAL unit sizes;
// cutting between units leaves a shorter, valid STAP-A. An FU-A needs its two header bytes.
TEST(H264Payload, EveryTruncationRejected) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    if (c.kind == Kind::kStapA) {
      std::vector<size_t> boundaries;
      size_t pos = 1;
      for (const auto& n : c.nalus) {
        pos += 2 + n.size();
        boundaries.push_back(pos);
      }
      size_t whole = 0;
      for (size_t len = 0; len < c.bytes.size(); ++len) {
        auto h = H264Payload::parse(std::span(c.bytes).first(len));
        if (std::find(boundaries.begin(), boundaries.end(), len) != boundaries.end()) {
          ++whole;
          ASSERT_TRUE(h.ok()) << "length " << len;
          EXPECT_EQ(h->naluCount(), whole);
          continue;
        }
        ASSERT_FALSE(h.ok()) << "length " << len;
        EXPECT_EQ(h.error(), len <= 1 ? ParseError::kTooShort : ParseError::kBadLength)
            << "length " << len;
      }
    } else {
      const size_t minimum = c.kind == Kind::kFuA ? H264Payload::kFuAHeaderSize : 1;
      for (size_t len = 0; len < minimum; ++len) {
        auto h = H264Payload::parse(std::span(c.bytes).first(len));
        ASSERT_FALSE(h.ok());
        EXPECT_EQ(h.error(), ParseError::kTooShort);
      }
    }
  }
}

std::span<const uint8_t> rtpPayload(const Bytes& p) {
  size_t off = 12 + 4 * (p[0] & 0x0F);
  if (p[0] & 0x10) off += 4 + 4 * static_cast<size_t>(p[off + 2] << 8 | p[off + 3]);
  size_t padding = (p[0] & 0x20) ? p.back() : 0;
  return std::span(p).subspan(off, p.size() - off - padding);
}

uint8_t naluTypeNamed(const std::string& name) {
  static const std::map<std::string, uint8_t> types = {
      {"non-IDR slice", 1}, {"IDR slice", 5}, {"SEI", 6}, {"SPS", 7}, {"PPS", 8}, {"AUD", 9}};
  auto it = types.find(name);
  return it != types.end() ? it->second : static_cast<uint8_t>(std::stoi(name));
}

// Real H264 (libx264 through aiortc, packetization-mode 1). Fixture names describe each
// payload: "STAP-A [SPS, PPS, SEI]", "FU-A start (IDR slice)", "single NAL (non-IDR slice)".
TEST(H264Payload, AiortcFixture) {
  const std::string file = std::string(SWITCHYARD_FIXTURES_DIR) + "/rtp/aiortc-h264.hex";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no " << file;
  auto packets = test::loadFixture("rtp/aiortc-h264.hex");
  ASSERT_FALSE(packets.empty());
  const std::regex stap(R"(H264 STAP-A \[([^\]]*)\])");
  const std::regex fua(R"(H264 FU-A (start|middle|end) \(([^)]*)\))");
  const std::regex single(R"(H264 single NAL \(([^)]*)\))");
  size_t keyframes = 0;
  for (const auto& p : packets) {
    SCOPED_TRACE(p.name);
    auto h = H264Payload::parse(rtpPayload(p.bytes));
    ASSERT_TRUE(h.ok()) << parseErrorName(h.error());
    std::smatch m;
    if (std::regex_search(p.name, m, stap)) {
      EXPECT_EQ(h->kind(), Kind::kStapA);
      std::vector<uint8_t> want;
      const std::string list = m[1];
      for (size_t start = 0; start <= list.size();) {
        size_t comma = list.find(", ", start);
        if (comma == std::string::npos) comma = list.size();
        want.push_back(naluTypeNamed(list.substr(start, comma - start)));
        start = comma + 2;
      }
      std::vector<uint8_t> got;
      for (auto nalu : h->nalus())
        got.push_back(nalu[0] & 0x1F);
      EXPECT_EQ(got, want);
    } else if (std::regex_search(p.name, m, fua)) {
      EXPECT_EQ(h->kind(), Kind::kFuA);
      EXPECT_EQ(h->fuStart(), m[1] == "start");
      EXPECT_EQ(h->fuEnd(), m[1] == "end");
      EXPECT_EQ(h->naluType(), naluTypeNamed(m[2]));
    } else {
      ASSERT_TRUE(std::regex_search(p.name, m, single));
      EXPECT_EQ(h->kind(), Kind::kSingleNalu);
      EXPECT_EQ(h->naluType(), naluTypeNamed(m[1]));
    }
    // aiortc sends SPS + PPS in one STAP-A ahead of each IDR, whose first fragment follows.
    const bool key = (h->kind() == Kind::kStapA && h->hasSps() && h->hasPps()) ||
                     (h->fuStart() && h->naluType() == H264Payload::kSliceIdr);
    EXPECT_EQ(h->isKeyframe(), key);
    keyframes += h->isKeyframe();
  }
  EXPECT_GT(keyframes, 0u);
}

}  // namespace
}  // namespace switchyard::rtp
