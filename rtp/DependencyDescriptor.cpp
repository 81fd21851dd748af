#include "rtp/DependencyDescriptor.hpp"

#include <optional>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {

constexpr size_t kTemplateIdBits = 6;
constexpr size_t kFrameNumberBits = 16;
constexpr size_t kDecodeTargetCountBits = 5;
constexpr size_t kDtiBits = 2;
constexpr size_t kTemplateFdiffBits = 4;
constexpr size_t kTemplateChainFdiffBits = 4;
constexpr size_t kFrameChainFdiffBits = 8;
constexpr size_t kFdiffSizeUnitBits = 4;
constexpr size_t kResolutionBits = 16;
constexpr uint8_t kStartOfFrameBit = 0x80;
constexpr uint8_t kEndOfFrameBit = 0x40;
constexpr uint8_t kTemplateIdMask = 0x3F;

// A.3 table "next_layer_idc".
enum NextLayerIdc : uint32_t {
  kSameLayer = 0,
  kNextTemporalLayer = 1,
  kNextSpatialLayer = 2,
  kNoMoreTemplates = 3,
};

// MSB-first bit reader. Reading past the end yields zeros and sets a sticky failure, so loops
// driven by read bits end and the caller checks once.
class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> data) : data_(data) {}

  // f(n) for n <= 32.
  uint32_t read(size_t bits) {
    if (bits > remaining()) {
      failed_ = true;
      position_ = data_.size() * 8;
      return 0;
    }
    uint32_t value = 0;
    while (bits > 0) {
      const size_t available = 8 - (position_ & 7);
      const size_t take = bits < available ? bits : available;
      const uint32_t chunk =
          (data_[position_ >> 3] >> (available - take)) & ((uint32_t{1} << take) - 1);
      value = value << take | chunk;
      position_ += take;
      bits -= take;
    }
    return value;
  }
  bool readBit() { return read(1) != 0; }

  // A.4.1 ns(n): a value in 0..n-1 in w-1 or w bits.
  uint32_t readNonSymmetric(uint32_t n) {
    size_t w = 0;
    for (uint32_t x = n; x != 0; x >>= 1)
      ++w;
    const uint32_t m = (uint32_t{1} << w) - n;
    const uint32_t v = read(w - 1);
    if (v < m) return v;
    return (v << 1) - m + read(1);
  }

  bool failed() const { return failed_; }

 private:
  size_t remaining() const { return data_.size() * 8 - position_; }

  std::span<const uint8_t> data_;
  size_t position_ = 0;
  bool failed_ = false;
};

uint64_t readDtis(BitReader& r, size_t count) {
  uint64_t bits = 0;
  for (size_t dt = 0; dt < count; ++dt)
    bits |= uint64_t{r.read(kDtiBits)} << (kDtiBits * dt);
  return bits;
}

// A.4.1 template_dependency_structure().
std::optional<ParseError> readStructure(BitReader& r, FrameDependencyStructure& s) {
  s.templateIdOffset = static_cast<uint8_t>(r.read(kTemplateIdBits));
  s.decodeTargetCount = static_cast<uint8_t>(r.read(kDecodeTargetCountBits) + 1);

  // template_layers(): templates come ordered by spatial id, then temporal id.
  uint8_t spatialId = 0;
  uint8_t temporalId = 0;
  uint32_t next = kSameLayer;
  s.templateCount = 0;
  do {
    if (s.templateCount == kDdMaxTemplates) return ParseError::kMalformed;
    FrameDependencyTemplate& t = s.templates[s.templateCount++];
    t.spatialId = spatialId;
    t.temporalId = temporalId;
    next = r.read(2);
    if (next == kNextTemporalLayer) {
      if (++temporalId > kDdMaxTemporalId) return ParseError::kMalformed;
    } else if (next == kNextSpatialLayer) {
      temporalId = 0;
      if (++spatialId > kDdMaxSpatialId) return ParseError::kMalformed;
    }
  } while (next != kNoMoreTemplates && !r.failed());
  if (r.failed()) return ParseError::kTooShort;

  // template_dtis()
  for (size_t i = 0; i < s.templateCount; ++i) {
    s.templates[i].dtis.bits = readDtis(r, s.decodeTargetCount);
  }
  // template_fdiffs()
  for (size_t i = 0; i < s.templateCount; ++i) {
    FrameDependencyTemplate& t = s.templates[i];
    t.fdiffCount = 0;
    while (r.readBit()) {
      if (t.fdiffCount == kDdMaxFdiffs) return ParseError::kUnsupported;
      t.fdiffs[t.fdiffCount++] = static_cast<uint8_t>(r.read(kTemplateFdiffBits) + 1);
    }
  }
  // template_chains(): with chains, every decode target names the one protecting it, as
  // ns(chains_cnt) in the current spec and in what Chrome sends (drafts before v1.0 read
  // ns(chains_cnt + 1), reserving chains_cnt for "unprotected").
  s.chainCount = static_cast<uint8_t>(r.readNonSymmetric(s.decodeTargetCount + 1u));
  if (s.chainCount > 0) {
    for (size_t dt = 0; dt < s.decodeTargetCount; ++dt) {
      s.decodeTargetProtectedBy[dt] = static_cast<uint8_t>(r.readNonSymmetric(s.chainCount));
    }
    for (size_t i = 0; i < s.templateCount; ++i) {
      for (size_t c = 0; c < s.chainCount; ++c) {
        s.templates[i].chainFdiffs[c] = static_cast<uint8_t>(r.read(kTemplateChainFdiffBits));
      }
    }
  }
  // render_resolutions(), one per spatial layer.
  s.hasResolutions = r.readBit();
  if (s.hasResolutions) {
    for (size_t sid = 0; sid < s.spatialLayerCount(); ++sid) {
      s.resolutions[sid].width = r.read(kResolutionBits) + 1;
      s.resolutions[sid].height = r.read(kResolutionBits) + 1;
    }
  }
  if (r.failed()) return ParseError::kTooShort;
  return std::nullopt;
}

}  // namespace

Parsed<DependencyDescriptor> DependencyDescriptor::parse(std::span<const uint8_t> data,
                                                         FrameDependencyStructure* structure) {
  if (data.size() < kDdMandatorySize) return ParseError::kTooShort;
  BitReader r(data);
  DependencyDescriptor dd;
  // A.4.1 mandatory_descriptor_fields()
  dd.startOfFrame = r.readBit();
  dd.endOfFrame = r.readBit();
  dd.templateId = static_cast<uint8_t>(r.read(kTemplateIdBits));
  dd.frameNumber = static_cast<uint16_t>(r.read(kFrameNumberBits));

  // Only key frames carry a structure; build it on the stack only then.
  std::optional<FrameDependencyStructure> attached;
  const FrameDependencyStructure* active =
      structure != nullptr && structure->valid() ? structure : nullptr;
  // A.4.1 extended_descriptor_fields(), present when sz > 3.
  if (data.size() > kDdMandatorySize) {
    dd.hasExtendedFields = true;
    dd.structurePresent = r.readBit();
    dd.activeDecodeTargetsPresent = r.readBit();
    dd.customDtis = r.readBit();
    dd.customFdiffs = r.readBit();
    dd.customChains = r.readBit();
    if (dd.structurePresent) {
      attached.emplace();
      if (auto error = readStructure(r, *attached)) return *error;
      active = &*attached;
      dd.activeDecodeTargetsBitmask =
          static_cast<uint32_t>((uint64_t{1} << active->decodeTargetCount) - 1);
    }
    if (dd.activeDecodeTargetsPresent && active != nullptr) {
      dd.activeDecodeTargetsBitmask = r.read(active->decodeTargetCount);
    }
  }
  if (r.failed()) return ParseError::kTooShort;
  // Without a structure the rest cannot be sized; the mandatory fields still stand.
  if (active == nullptr) return dd;

  // A.4.1 frame_dependency_definition()
  const size_t templateIndex =
      (dd.templateId + kDdMaxTemplates - active->templateIdOffset) % kDdMaxTemplates;
  if (templateIndex >= active->templateCount) return ParseError::kMalformed;
  const FrameDependencyTemplate& t = active->templates[templateIndex];
  dd.spatialId = t.spatialId;
  dd.temporalId = t.temporalId;
  dd.dtis = t.dtis;
  dd.fdiffCount = t.fdiffCount;
  for (size_t i = 0; i < t.fdiffCount; ++i)
    dd.fdiffs[i] = t.fdiffs[i];
  dd.chainCount = active->chainCount;
  dd.chainFdiffs = t.chainFdiffs;

  if (dd.customDtis) dd.dtis.bits = readDtis(r, active->decodeTargetCount);
  if (dd.customFdiffs) {
    // frame_fdiffs(): each fdiff_minus_one is next_fdiff_size * 4 bits.
    dd.fdiffCount = 0;
    for (uint32_t size = r.read(2); size != 0; size = r.read(2)) {
      if (dd.fdiffCount == kDdMaxFdiffs) return ParseError::kUnsupported;
      dd.fdiffs[dd.fdiffCount++] = static_cast<uint16_t>(r.read(kFdiffSizeUnitBits * size) + 1);
    }
  }
  if (dd.customChains) {
    for (size_t c = 0; c < dd.chainCount; ++c) {
      dd.chainFdiffs[c] = static_cast<uint8_t>(r.read(kFrameChainFdiffBits));
    }
  }
  if (r.failed()) return ParseError::kTooShort;
  if (active->hasResolutions) {
    dd.hasResolution = true;
    dd.resolution = active->resolutions[dd.spatialId];
  }
  dd.resolved = true;
  if (attached && structure != nullptr) *structure = *attached;
  return dd;
}

bool DependencyDescriptor::writeMandatoryFields(std::span<uint8_t> out) const {
  if (out.size() < kDdMandatorySize || templateId > kTemplateIdMask) return false;
  out[0] = static_cast<uint8_t>((startOfFrame ? kStartOfFrameBit : 0) |
                                (endOfFrame ? kEndOfFrameBit : 0) | templateId);
  writeU16(out.data() + 1, frameNumber);
  return true;
}

}  // namespace switchyard::rtp
