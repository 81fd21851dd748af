// Dependency descriptor (AV1 RTP spec appendix A): Chrome captures, descriptors encoded here
// from the spec's syntax by an independent bit writer, and every truncation.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/DependencyDescriptor.hpp"
#include "rtp/RtpPacket.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

// --- An encoder written from the A.4.1 syntax, for building test descriptors --------------

class BitWriter {
 public:
  void put(uint64_t value, size_t bits) {
    for (size_t i = bits; i-- > 0;) {
      if (bitCount_ % 8 == 0) bytes_.push_back(0);
      if ((value >> i) & 1) bytes_.back() |= static_cast<uint8_t>(0x80 >> (bitCount_ % 8));
      ++bitCount_;
    }
  }
  // A.4.1 write_ns(n, v).
  void putNs(uint32_t n, uint32_t v) {
    if (n == 1) return;
    size_t w = 0;
    for (uint32_t x = n; x != 0; x >>= 1)
      ++w;
    const uint32_t m = (1u << w) - n;
    if (v < m) {
      put(v, w - 1);
    } else {
      put(v + m, w);
    }
  }
  const Bytes& bytes() const { return bytes_; }
  size_t bits() const { return bitCount_; }

 private:
  Bytes bytes_;
  size_t bitCount_ = 0;
};

struct Frame {
  bool sof = true;
  bool eof = true;
  uint8_t templateId = 0;
  uint16_t frameNumber = 0;
  bool extended = false;
  const FrameDependencyStructure* structure = nullptr;  // attached when set
  bool activePresent = false;
  uint32_t active = 0;
  std::vector<uint8_t> customDtis;     // per decode target, when non-empty
  std::vector<uint16_t> customFdiffs;  // when customFdiffsFlag
  bool customFdiffsFlag = false;
  std::vector<uint8_t> customChains;  // when non-empty
};

void encodeStructure(BitWriter& w, const FrameDependencyStructure& s) {
  w.put(s.templateIdOffset, 6);
  w.put(s.decodeTargetCount - 1u, 5);
  for (size_t i = 0; i < s.templateCount; ++i) {
    uint32_t idc = 3;
    if (i + 1 < s.templateCount) {
      const auto& a = s.templates[i];
      const auto& b = s.templates[i + 1];
      idc = b.spatialId != a.spatialId ? 2 : b.temporalId != a.temporalId ? 1 : 0;
    }
    w.put(idc, 2);
  }
  for (size_t i = 0; i < s.templateCount; ++i) {
    for (size_t dt = 0; dt < s.decodeTargetCount; ++dt) {
      w.put(static_cast<uint32_t>(s.templates[i].dtis[dt]), 2);
    }
  }
  for (size_t i = 0; i < s.templateCount; ++i) {
    for (size_t k = 0; k < s.templates[i].fdiffCount; ++k) {
      w.put(1, 1);
      w.put(s.templates[i].fdiffs[k] - 1u, 4);
    }
    w.put(0, 1);
  }
  w.putNs(s.decodeTargetCount + 1u, s.chainCount);
  if (s.chainCount > 0) {
    for (size_t dt = 0; dt < s.decodeTargetCount; ++dt) {
      w.putNs(s.chainCount, s.decodeTargetProtectedBy[dt]);
    }
    for (size_t i = 0; i < s.templateCount; ++i) {
      for (size_t c = 0; c < s.chainCount; ++c)
        w.put(s.templates[i].chainFdiffs[c], 4);
    }
  }
  w.put(s.hasResolutions, 1);
  if (s.hasResolutions) {
    for (size_t sid = 0; sid < s.spatialLayerCount(); ++sid) {
      w.put(s.resolutions[sid].width - 1u, 16);
      w.put(s.resolutions[sid].height - 1u, 16);
    }
  }
}

Bytes encode(const Frame& f, const FrameDependencyStructure* known) {
  BitWriter w;
  w.put(f.sof, 1);
  w.put(f.eof, 1);
  w.put(f.templateId, 6);
  w.put(f.frameNumber, 16);
  if (f.extended) {
    w.put(f.structure != nullptr, 1);
    w.put(f.activePresent, 1);
    w.put(!f.customDtis.empty(), 1);
    w.put(f.customFdiffsFlag, 1);
    w.put(!f.customChains.empty(), 1);
    const FrameDependencyStructure* s = f.structure ? f.structure : known;
    if (f.structure) encodeStructure(w, *f.structure);
    if (f.activePresent) w.put(f.active, s->decodeTargetCount);
    for (uint8_t dti : f.customDtis)
      w.put(dti, 2);
    if (f.customFdiffsFlag) {
      for (uint16_t fdiff : f.customFdiffs) {
        const uint32_t v = fdiff - 1u;
        const size_t size = v < 16 ? 1 : v < 256 ? 2 : 3;
        w.put(size, 2);
        w.put(v, 4 * size);
      }
      w.put(0, 2);
    }
    for (uint8_t c : f.customChains)
      w.put(c, 8);
  }
  Bytes out = w.bytes();
  // A.4.1: a descriptor longer than 3 bytes has the extended fields, so a 3-byte result
  // with extended fields (all flags zero) needs a padding byte.
  if (f.extended && out.size() == 3) out.push_back(0);
  return out;
}

FrameDependencyTemplate makeTemplate(uint8_t sid, uint8_t tid, std::string_view dtis,
                                     std::vector<uint8_t> fdiffs, std::vector<uint8_t> chains) {
  FrameDependencyTemplate t;
  t.spatialId = sid;
  t.temporalId = tid;
  for (size_t dt = 0; dt < dtis.size(); ++dt) {
    const uint64_t v = dtis[dt] == '-' ? 0 : dtis[dt] == 'D' ? 1 : dtis[dt] == 'S' ? 2 : 3;
    t.dtis.bits |= v << (2 * dt);
  }
  t.fdiffCount = static_cast<uint8_t>(fdiffs.size());
  std::copy(fdiffs.begin(), fdiffs.end(), t.fdiffs.begin());
  std::copy(chains.begin(), chains.end(), t.chainFdiffs.begin());
  return t;
}

// L1T3 with one chain and a 640x360 resolution; template ids 60..63, 0 (wrapping).
FrameDependencyStructure makeL1T3() {
  FrameDependencyStructure s;
  s.templateIdOffset = 60;
  s.decodeTargetCount = 3;
  s.chainCount = 1;
  s.templateCount = 5;
  s.templates[0] = makeTemplate(0, 0, "SSS", {}, {0});
  s.templates[1] = makeTemplate(0, 0, "SSS", {4}, {4});
  s.templates[2] = makeTemplate(0, 1, "-DS", {2}, {2});
  s.templates[3] = makeTemplate(0, 2, "--D", {1}, {1});
  s.templates[4] = makeTemplate(0, 2, "--D", {1}, {3});
  s.hasResolutions = true;
  s.resolutions[0] = {640, 360};
  return s;
}

void expectSameStructure(const FrameDependencyStructure& a, const FrameDependencyStructure& b) {
  EXPECT_EQ(a.templateIdOffset, b.templateIdOffset);
  EXPECT_EQ(a.decodeTargetCount, b.decodeTargetCount);
  EXPECT_EQ(a.chainCount, b.chainCount);
  ASSERT_EQ(a.templateCount, b.templateCount);
  for (size_t dt = 0; dt < a.decodeTargetCount && a.chainCount > 0; ++dt) {
    EXPECT_EQ(a.decodeTargetProtectedBy[dt], b.decodeTargetProtectedBy[dt]) << dt;
  }
  for (size_t i = 0; i < a.templateCount; ++i) {
    SCOPED_TRACE(i);
    const auto& x = a.templates[i];
    const auto& y = b.templates[i];
    EXPECT_EQ(x.spatialId, y.spatialId);
    EXPECT_EQ(x.temporalId, y.temporalId);
    EXPECT_EQ(x.dtis.bits, y.dtis.bits);
    ASSERT_EQ(x.fdiffCount, y.fdiffCount);
    for (size_t k = 0; k < x.fdiffCount; ++k)
      EXPECT_EQ(x.fdiffs[k], y.fdiffs[k]);
    for (size_t c = 0; c < a.chainCount; ++c)
      EXPECT_EQ(x.chainFdiffs[c], y.chainFdiffs[c]);
  }
  EXPECT_EQ(a.hasResolutions, b.hasResolutions);
  for (size_t sid = 0; a.hasResolutions && sid < a.spatialLayerCount(); ++sid) {
    EXPECT_EQ(a.resolutions[sid].width, b.resolutions[sid].width);
    EXPECT_EQ(a.resolutions[sid].height, b.resolutions[sid].height);
  }
}

std::string dtiString(DecodeTargetIndications dtis, size_t count) {
  std::string s;
  for (size_t dt = 0; dt < count; ++dt)
    s += "-DSR"[static_cast<int>(dtis[dt])];
  return s;
}

// --- Chrome (VP9 L3T3 at 480x270) as captured by LiveKit's tests --------------------------

const char* kChromeKeyFrame =
    "c1017280081485214eafffaaaa863cf0430c10c302afc0aaa0063c00430010c002a000a80006000040001d95"
    "4926e082b04a0941b820ac1282503157f974000ca864330e222222eca8655304224230eca877530077004200"
    "ef008601df010d";

TEST(DependencyDescriptorTest, ChromeKeyFrameCarriesAnL3T3Structure) {
  const Bytes data = hex(kChromeKeyFrame);
  FrameDependencyStructure s;
  auto dd = DependencyDescriptor::parse(data, &s);
  ASSERT_TRUE(dd.ok()) << parseErrorName(dd.error());
  EXPECT_TRUE(dd->startOfFrame);
  EXPECT_TRUE(dd->endOfFrame);
  EXPECT_EQ(dd->templateId, 1);
  EXPECT_EQ(dd->frameNumber, 370);
  EXPECT_TRUE(dd->hasExtendedFields);
  EXPECT_TRUE(dd->structurePresent);
  EXPECT_FALSE(dd->activeDecodeTargetsPresent);
  EXPECT_EQ(dd->activeDecodeTargetsBitmask, 0x1FFu);  // all nine decode targets
  ASSERT_TRUE(dd->resolved);
  EXPECT_EQ(dd->spatialId, 0);
  EXPECT_EQ(dd->temporalId, 0);
  EXPECT_EQ(dtiString(dd->dtis, 9), "SSSSSSSSS");
  EXPECT_EQ(dd->fdiffCount, 0);
  EXPECT_EQ(dd->chainCount, 3);
  EXPECT_EQ(dd->chainFdiffs[0], 0);
  ASSERT_TRUE(dd->hasResolution);
  EXPECT_EQ(dd->resolution.width, 120u);
  EXPECT_EQ(dd->resolution.height, 67u);

  ASSERT_TRUE(s.valid());
  EXPECT_EQ(s.templateIdOffset, 0);
  EXPECT_EQ(s.decodeTargetCount, 9);
  EXPECT_EQ(s.templateCount, 15);
  EXPECT_EQ(s.spatialLayerCount(), 3);
  EXPECT_EQ(s.chainCount, 3);
  const uint8_t protectedBy[] = {0, 0, 0, 1, 1, 1, 2, 2, 2};
  for (size_t dt = 0; dt < 9; ++dt)
    EXPECT_EQ(s.decodeTargetProtectedBy[dt], protectedBy[dt]);
  struct Expected {
    uint8_t sid, tid;
    const char* dtis;
    std::vector<uint8_t> fdiffs;
    std::vector<uint8_t> chains;
  };
  const Expected templates[] = {
      {0, 0, "SSSRRRRRR", {12}, {12, 11, 10}},  {0, 0, "SSSSSSSSS", {}, {0, 0, 0}},
      {0, 1, "-DS-RR-RR", {6}, {6, 5, 4}},      {0, 2, "--D--R--R", {3}, {3, 2, 1}},
      {0, 2, "--D--R--R", {3}, {9, 8, 7}},      {1, 0, "---SSSRRR", {12, 1}, {1, 1, 1}},
      {1, 0, "---SSSSSS", {1}, {1, 1, 1}},      {1, 1, "----DS-RR", {6, 1}, {7, 6, 5}},
      {1, 2, "-----D--R", {3, 1}, {4, 3, 2}},   {1, 2, "-----D--R", {3, 1}, {10, 9, 8}},
      {2, 0, "------SSS", {12, 1}, {2, 1, 1}},  {2, 0, "------SSS", {1}, {2, 1, 1}},
      {2, 1, "-------DS", {6, 1}, {8, 7, 6}},   {2, 2, "--------D", {3, 1}, {5, 4, 3}},
      {2, 2, "--------D", {3, 1}, {11, 10, 9}},
  };
  for (size_t i = 0; i < std::size(templates); ++i) {
    SCOPED_TRACE(i);
    const auto& t = s.templates[i];
    EXPECT_EQ(t.spatialId, templates[i].sid);
    EXPECT_EQ(t.temporalId, templates[i].tid);
    EXPECT_EQ(dtiString(t.dtis, 9), templates[i].dtis);
    ASSERT_EQ(t.fdiffCount, templates[i].fdiffs.size());
    for (size_t k = 0; k < t.fdiffCount; ++k)
      EXPECT_EQ(t.fdiffs[k], templates[i].fdiffs[k]);
    for (size_t c = 0; c < 3; ++c)
      EXPECT_EQ(t.chainFdiffs[c], templates[i].chains[c]);
  }
  ASSERT_TRUE(s.hasResolutions);
  EXPECT_EQ(s.resolutions[0].width, 120u);
  EXPECT_EQ(s.resolutions[0].height, 67u);
  EXPECT_EQ(s.resolutions[1].width, 240u);
  EXPECT_EQ(s.resolutions[1].height, 135u);
  EXPECT_EQ(s.resolutions[2].width, 480u);
  EXPECT_EQ(s.resolutions[2].height, 270u);

  // Re-encoding the parsed structure gives back the captured bits.
  BitWriter w;
  w.put(0xC10172, 24);
  w.put(0x10, 5);  // structure present, no other flags
  encodeStructure(w, s);
  EXPECT_EQ(w.bytes(), data);
}

TEST(DependencyDescriptorTest, ChromeDeltaFramesResolveAgainstTheStructure) {
  FrameDependencyStructure s;
  ASSERT_TRUE(DependencyDescriptor::parse(hex(kChromeKeyFrame), &s).ok());
  struct Case {
    const char* hex;
    bool sof, eof;
    uint16_t frameNumber;
    bool activePresent;
    uint8_t sid, tid;
    const char* dtis;
    std::vector<uint16_t> fdiffs;
    std::vector<uint8_t> chains;
    uint32_t width;
  };
  const Case cases[] = {
      // Active decode targets 0-5: the sender stopped the third spatial layer.
      {"86017340fc", true, false, 371, true, 1, 0, "---SSSSSS", {1}, {1, 1, 1}, 240},
      {"46017340fc", false, true, 371, true, 1, 0, "---SSSSSS", {1}, {1, 1, 1}, 240},
      {"c3017540fc", true, true, 373, true, 0, 2, "--D--R--R", {3}, {3, 2, 1}, 120},
      {"88017640fc", true, false, 374, true, 1, 2, "-----D--R", {3, 1}, {4, 3, 2}, 240},
      {"c2017840fc", true, true, 376, true, 0, 1, "-DS-RR-RR", {6}, {6, 5, 4}, 120},
      {"860173", true, false, 371, false, 1, 0, "---SSSSSS", {1}, {1, 1, 1}, 240},
      {"8b0174", true, false, 372, false, 2, 0, "------SSS", {1}, {2, 1, 1}, 480},
      {"0b0174", false, false, 372, false, 2, 0, "------SSS", {1}, {2, 1, 1}, 480},
      {"c30175", true, true, 373, false, 0, 2, "--D--R--R", {3}, {3, 2, 1}, 120},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hex);
    const FrameDependencyStructure before = s;
    auto dd = DependencyDescriptor::parse(hex(c.hex), &s);
    ASSERT_TRUE(dd.ok()) << parseErrorName(dd.error());
    EXPECT_EQ(dd->startOfFrame, c.sof);
    EXPECT_EQ(dd->endOfFrame, c.eof);
    EXPECT_EQ(dd->frameNumber, c.frameNumber);
    EXPECT_EQ(dd->structurePresent, false);
    EXPECT_EQ(dd->activeDecodeTargetsPresent, c.activePresent);
    if (c.activePresent) {
      EXPECT_EQ(dd->activeDecodeTargetsBitmask, 0x3Fu);
    }
    ASSERT_TRUE(dd->resolved);
    EXPECT_EQ(dd->spatialId, c.sid);
    EXPECT_EQ(dd->temporalId, c.tid);
    EXPECT_EQ(dtiString(dd->dtis, 9), c.dtis);
    ASSERT_EQ(dd->fdiffCount, c.fdiffs.size());
    for (size_t k = 0; k < c.fdiffs.size(); ++k)
      EXPECT_EQ(dd->fdiffs[k], c.fdiffs[k]);
    for (size_t k = 0; k < 3; ++k)
      EXPECT_EQ(dd->chainFdiffs[k], c.chains[k]);
    EXPECT_EQ(dd->resolution.width, c.width);
    expectSameStructure(s, before);  // untouched without an attached structure
  }
}

TEST(DependencyDescriptorTest, WithoutAStructureOnlyTheMandatoryFieldsAndFlagsAreRead) {
  for (FrameDependencyStructure* s :
       {static_cast<FrameDependencyStructure*>(nullptr), new FrameDependencyStructure()}) {
    auto dd = DependencyDescriptor::parse(hex("86017340fc"), s);
    ASSERT_TRUE(dd.ok());
    EXPECT_TRUE(dd->startOfFrame);
    EXPECT_EQ(dd->templateId, 6);
    EXPECT_EQ(dd->frameNumber, 371);
    EXPECT_TRUE(dd->activeDecodeTargetsPresent);
    EXPECT_FALSE(dd->resolved);
    auto mandatory = DependencyDescriptor::parse(hex("0b0174"), s);
    ASSERT_TRUE(mandatory.ok());
    EXPECT_FALSE(mandatory->startOfFrame);
    EXPECT_FALSE(mandatory->hasExtendedFields);
    EXPECT_EQ(mandatory->templateId, 11);
    EXPECT_EQ(mandatory->frameNumber, 372);
    EXPECT_FALSE(mandatory->resolved);
    delete s;
  }
}

TEST(DependencyDescriptorTest, EveryTruncationIsRejected) {
  for (const char* text : {kChromeKeyFrame, "86017340fc"}) {
    SCOPED_TRACE(text);
    const Bytes data = hex(text);
    for (size_t n = 0; n < data.size(); ++n) {
      FrameDependencyStructure s;
      ASSERT_TRUE(DependencyDescriptor::parse(hex(kChromeKeyFrame), &s).ok());
      const FrameDependencyStructure before = s;
      auto dd = DependencyDescriptor::parse(std::span(data).first(n), &s);
      if (n == 3) {
        // Three bytes are a complete descriptor: the mandatory fields alone.
        ASSERT_TRUE(dd.ok());
        EXPECT_FALSE(dd->hasExtendedFields);
        continue;
      }
      ASSERT_FALSE(dd.ok()) << n;
      EXPECT_EQ(dd.error(), ParseError::kTooShort) << n;
      expectSameStructure(s, before);
    }
  }
}

// --- Descriptors built from the syntax -------------------------------------------------------

TEST(DependencyDescriptorTest, StructureRoundTripsThroughTheParser) {
  FrameDependencyStructure big;
  big.templateIdOffset = 63;
  big.decodeTargetCount = 32;
  big.chainCount = 32;
  big.templateCount = 64;
  for (size_t dt = 0; dt < 32; ++dt)
    big.decodeTargetProtectedBy[dt] = static_cast<uint8_t>(31 - dt);
  for (size_t i = 0; i < 64; ++i) {
    auto& t = big.templates[i];
    t.spatialId = static_cast<uint8_t>(i / 16);
    t.temporalId = static_cast<uint8_t>((i % 16) / 2);
    t.dtis.bits = 0x9E3779B97F4A7C15ull * (i + 1);
    t.fdiffCount = static_cast<uint8_t>(i % (kDdMaxFdiffs + 1));
    for (size_t k = 0; k < t.fdiffCount; ++k)
      t.fdiffs[k] = static_cast<uint8_t>(1 + (i + k) % 16);
    for (size_t c = 0; c < 32; ++c)
      t.chainFdiffs[c] = static_cast<uint8_t>((i * c) % 16);
  }
  big.hasResolutions = true;
  big.resolutions = {{{1, 1}, {65536, 65536}, {1280, 720}, {4096, 2160}}};

  FrameDependencyStructure noChains = makeL1T3();
  noChains.chainCount = 0;
  noChains.hasResolutions = false;

  for (const FrameDependencyStructure* structure : {&big, &noChains}) {
    Frame f;
    f.extended = true;
    f.structure = structure;
    f.templateId = structure->templateIdOffset;
    const Bytes data = encode(f, nullptr);
    // Two-byte form header extensions carry at most 255 bytes; the parser takes any span.
    FrameDependencyStructure parsed;
    auto dd = DependencyDescriptor::parse(data, &parsed);
    ASSERT_TRUE(dd.ok()) << parseErrorName(dd.error());
    EXPECT_TRUE(dd->resolved);
    expectSameStructure(parsed, *structure);
    EXPECT_EQ(dd->activeDecodeTargetsBitmask,
              static_cast<uint32_t>((uint64_t{1} << structure->decodeTargetCount) - 1));
  }
}

TEST(DependencyDescriptorTest, CustomFieldsOverrideTheTemplate) {
  const FrameDependencyStructure l1t3 = makeL1T3();
  FrameDependencyStructure s;
  Frame key;
  key.extended = true;
  key.structure = &l1t3;
  key.templateId = 60;
  key.frameNumber = 100;
  auto first = DependencyDescriptor::parse(encode(key, nullptr), &s);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(dtiString(first->dtis, 3), "SSS");
  EXPECT_EQ(first->resolution.width, 640u);
  expectSameStructure(s, l1t3);

  Frame delta;
  delta.extended = true;
  delta.templateId = 62;  // index 2: S0T1 "-DS", fdiff 2, chain 2
  delta.frameNumber = 0xFFFF;
  delta.activePresent = true;
  delta.active = 0b011;
  delta.customDtis = {3, 1, 0};
  delta.customFdiffsFlag = true;
  delta.customFdiffs = {5, 17, 4000, 4096};
  delta.customChains = {200};
  auto dd = DependencyDescriptor::parse(encode(delta, &s), &s);
  ASSERT_TRUE(dd.ok()) << parseErrorName(dd.error());
  EXPECT_EQ(dd->frameNumber, 0xFFFF);
  EXPECT_EQ(dd->activeDecodeTargetsBitmask, 0b011u);
  EXPECT_TRUE(dd->customDtis);
  EXPECT_TRUE(dd->customFdiffs);
  EXPECT_TRUE(dd->customChains);
  EXPECT_EQ(dd->spatialId, 0);
  EXPECT_EQ(dd->temporalId, 1);
  EXPECT_EQ(dtiString(dd->dtis, 3), "RD-");
  ASSERT_EQ(dd->fdiffCount, 4);
  EXPECT_EQ(dd->fdiffs[0], 5);
  EXPECT_EQ(dd->fdiffs[1], 17);
  EXPECT_EQ(dd->fdiffs[2], 4000);
  EXPECT_EQ(dd->fdiffs[3], 4096);
  EXPECT_EQ(dd->chainCount, 1);
  EXPECT_EQ(dd->chainFdiffs[0], 200);

  // Without the overrides the template's values stand; template id 0 wraps to index 4.
  Frame plain;
  plain.templateId = 0;
  auto wrapped = DependencyDescriptor::parse(encode(plain, &s), &s);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->temporalId, 2);
  EXPECT_EQ(wrapped->chainFdiffs[0], 3);
  EXPECT_EQ(dtiString(wrapped->dtis, 3), "--D");

  // Cut inside the custom fields.
  const Bytes full = encode(delta, &s);
  for (size_t n = 4; n < full.size(); ++n) {
    auto cut = DependencyDescriptor::parse(std::span(full).first(n), &s);
    ASSERT_FALSE(cut.ok()) << n;
    EXPECT_EQ(cut.error(), ParseError::kTooShort) << n;
  }
}

TEST(DependencyDescriptorTest, RejectsMalformedStructuresAndTemplateIds) {
  const FrameDependencyStructure l1t3 = makeL1T3();
  FrameDependencyStructure s;
  Frame key;
  key.extended = true;
  key.structure = &l1t3;
  key.templateId = 60;
  ASSERT_TRUE(DependencyDescriptor::parse(encode(key, nullptr), &s).ok());

  struct Case {
    const char* name;
    Bytes data;
    ParseError error;
  };
  std::vector<Case> cases;
  {
    Frame f;
    f.templateId = 1;  // (1 + 64 - 60) % 64 = 5: one past the five templates
    cases.push_back({"template id past the structure", encode(f, &s), ParseError::kMalformed});
  }
  {
    Frame f;
    f.templateId = 59;
    cases.push_back({"template id before the structure", encode(f, &s), ParseError::kMalformed});
  }
  {
    // A new structure whose own frame names a template it lacks: rejected, old one kept.
    Frame f;
    f.extended = true;
    f.structure = &l1t3;
    f.templateId = 10;
    cases.push_back(
        {"attached structure, bad template", encode(f, nullptr), ParseError::kMalformed});
  }
  auto structureBits = [](auto layers) {
    BitWriter w;
    w.put(0x800001, 24);
    w.put(0x10, 5);
    w.put(0, 6);  // offset
    w.put(0, 5);  // one decode target
    layers(w);
    return w;
  };
  {
    BitWriter w = structureBits([](BitWriter& b) {
      for (int i = 0; i < 64; ++i)
        b.put(0, 2);
      b.put(3, 2);
    });
    cases.push_back({"65 templates", w.bytes(), ParseError::kMalformed});
  }
  {
    BitWriter w = structureBits([](BitWriter& b) {
      for (int i = 0; i < 4; ++i)
        b.put(2, 2);
      b.put(3, 2);
    });
    cases.push_back({"spatial id 4", w.bytes(), ParseError::kMalformed});
  }
  {
    BitWriter w = structureBits([](BitWriter& b) {
      for (int i = 0; i < 8; ++i)
        b.put(1, 2);
      b.put(3, 2);
    });
    cases.push_back({"temporal id 8", w.bytes(), ParseError::kMalformed});
  }
  {
    BitWriter w = structureBits([](BitWriter& b) { b.put(3, 2); });
    w.put(2, 2);  // dti
    for (size_t k = 0; k <= kDdMaxFdiffs; ++k)
      w.put(0b10000, 5);
    w.put(0, 1);
    w.put(0, 1);  // chains: ns(2) -> 0
    w.put(0, 1);  // no resolutions
    cases.push_back({"too many template fdiffs", w.bytes(), ParseError::kUnsupported});
  }
  {
    Frame f;
    f.extended = true;
    f.templateId = 60;
    f.customFdiffsFlag = true;
    f.customFdiffs = std::vector<uint16_t>(kDdMaxFdiffs + 1, 1);
    cases.push_back({"too many frame fdiffs", encode(f, &s), ParseError::kUnsupported});
  }
  cases.push_back({"empty", {}, ParseError::kTooShort});
  cases.push_back({"two bytes", hex("8001"), ParseError::kTooShort});

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FrameDependencyStructure copy = s;
    auto dd = DependencyDescriptor::parse(c.data, &copy);
    ASSERT_FALSE(dd.ok());
    EXPECT_EQ(dd.error(), c.error) << parseErrorName(dd.error());
    expectSameStructure(copy, s);
  }
}

TEST(DependencyDescriptorTest, WritesTheMandatoryFields) {
  Bytes data = hex("86017340fc");
  auto dd = DependencyDescriptor::parse(data, nullptr);
  ASSERT_TRUE(dd.ok());
  DependencyDescriptor renumbered = *dd;
  renumbered.frameNumber = 0xBEEF;
  renumbered.endOfFrame = true;
  ASSERT_TRUE(renumbered.writeMandatoryFields(data));
  EXPECT_EQ(data, hex("c6beef40fc"));  // extended part untouched
  auto again = DependencyDescriptor::parse(data, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->frameNumber, 0xBEEF);
  EXPECT_TRUE(again->endOfFrame);
  EXPECT_EQ(again->templateId, 6);

  Bytes two(2), three(3);
  EXPECT_FALSE(renumbered.writeMandatoryFields(two));
  renumbered.templateId = 64;
  EXPECT_FALSE(renumbered.writeMandatoryFields(three));
  renumbered.templateId = 63;
  renumbered.startOfFrame = false;
  renumbered.endOfFrame = false;
  renumbered.frameNumber = 1;
  ASSERT_TRUE(renumbered.writeMandatoryFields(three));
  EXPECT_EQ(three, hex("3f0001"));
}

// --- Chromium captures (fixtures) ------------------------------------------------------------

std::string field(const std::string& name, const std::string& key) {
  for (size_t at = name.find(key + "="); at != std::string::npos;
       at = name.find(key + "=", at + 1)) {
    if (at != 0 && name[at - 1] != ' ' && name[at - 1] != ',' && name[at - 1] != '(') continue;
    const size_t begin = at + key.size() + 1;
    const size_t end = name.find_first_of(" ,)", begin);
    return name.substr(begin, end - begin);
  }
  return "";
}

// Chromium's VP8 simulcast and AV1 L1T3 streams: the dependency descriptor of every packet
// matches the capture's dissector, and once a stream's key frame carried its structure, every
// later descriptor of that stream (RTX included) resolves against it.
TEST(DependencyDescriptorTest, ChromiumCapturesResolvePerStream) {
  namespace fs = std::filesystem;
  struct Session {
    const char* file;
    uint8_t ddId;
  };
  size_t checked = 0;
  size_t resolved = 0;
  for (const Session& session :
       {Session{"chromium-video-headers.hex", 12}, Session{"chromium-twobyte-headers.hex", 16}}) {
    if (!fs::exists(fs::path(SWITCHYARD_FIXTURES_DIR) / "rtp" / session.file)) continue;
    std::map<uint32_t, FrameDependencyStructure> structures;  // by media SSRC
    for (auto& fixture : test::loadFixture(std::string("rtp/") + session.file)) {
      const std::string& name = fixture.name;
      const std::string tag = "dd(" + std::to_string(session.ddId) + ")=";
      const size_t at = name.find(tag);
      if (at == std::string::npos) continue;
      SCOPED_TRACE(std::string(session.file) + ": " + name);
      const std::string dd = name.substr(at + tag.size(), name.find(' ', at) - at - tag.size());
      Bytes& bytes = fixture.bytes;
      bytes[0] &= 0xDF;  // SRTP: the pad count is encrypted
      auto packet = RtpPacket::parse(bytes);
      ASSERT_TRUE(packet.ok());
      auto value = packet->extension(session.ddId);
      ASSERT_TRUE(value.has_value());
      const std::string rtxOf = field(name, "rtx-of");
      const uint32_t stream =
          static_cast<uint32_t>(std::stoul(rtxOf.empty() ? field(name, "ssrc") : rtxOf));
      FrameDependencyStructure& s = structures[stream];
      const bool known = s.valid();
      auto parsed = DependencyDescriptor::parse(*value, &s);
      ASSERT_TRUE(parsed.ok()) << parseErrorName(parsed.error());
      ++checked;
      EXPECT_EQ(parsed->startOfFrame, field(dd, "S") == "1");
      EXPECT_EQ(parsed->endOfFrame, field(dd, "E") == "1");
      EXPECT_EQ(parsed->templateId, std::stoul(field(dd, "template")));
      EXPECT_EQ(parsed->frameNumber, std::stoul(field(dd, "frame")));
      const bool extended = dd.find("ext(") != std::string::npos;
      EXPECT_EQ(parsed->hasExtendedFields, extended);
      if (extended) {
        EXPECT_EQ(parsed->structurePresent, field(dd, "structure") == "1");
        EXPECT_EQ(parsed->activeDecodeTargetsPresent, field(dd, "active_dt") == "1");
        EXPECT_EQ(value->size(), std::stoul(field(dd, "len")));
      }
      EXPECT_EQ(parsed->resolved, known || parsed->structurePresent);
      if (parsed->structurePresent) {
        // L1T3 for AV1 and for each VP8 simulcast layer: three decode targets, one chain.
        EXPECT_EQ(s.decodeTargetCount, 3);
        EXPECT_EQ(s.spatialLayerCount(), 1);
        EXPECT_TRUE(s.hasResolutions);
      }
      if (parsed->resolved) {
        ++resolved;
        EXPECT_EQ(parsed->spatialId, 0);
        EXPECT_LE(parsed->temporalId, 2);
        EXPECT_NE(parsed->dtis[2], DecodeTargetIndication::kNotPresent);  // T2 sees all
      }
    }
  }
  if (checked == 0) GTEST_SKIP() << "no Chromium fixtures";
  EXPECT_GT(resolved, 10u);
}

}  // namespace
}  // namespace switchyard::rtp
