#pragma once
// Dependency descriptor RTP header extension (AV1 RTP payload format, appendix A; used with
// AV1, VP8, VP9 and H.264 by WebRTC). A packet carries the mandatory fields (3 bytes) and,
// when longer, extended flags, possibly a template dependency structure (on a key frame), and
// per-frame overrides of the template it names. Reading the overrides needs the structure,
// which arrives in an earlier packet: the caller keeps the latest FrameDependencyStructure
// per stream and hands it to parse(), which replaces it when a packet carries a new one.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

// Appendix A.4.1 table A.1 limits, and bounds this parser chooses for its fixed arrays.
inline constexpr size_t kDdMandatorySize = 3;
inline constexpr size_t kDdMaxTemplates = 64;      // MAX_TEMPLATE_ID + 1
inline constexpr uint8_t kDdMaxSpatialId = 3;      // MAX_SPATIAL_ID
inline constexpr uint8_t kDdMaxTemporalId = 7;     // MAX_TEMPORAL_ID
inline constexpr size_t kDdMaxDecodeTargets = 32;  // dtis_cnt_minus_one is 5 bits
inline constexpr size_t kDdMaxChains = kDdMaxDecodeTargets;
// Not bounded by the spec; AV1 frames reference at most 7 frames. More is kUnsupported.
inline constexpr size_t kDdMaxFdiffs = 16;

// Table A.2.
enum class DecodeTargetIndication : uint8_t {
  kNotPresent = 0,
  kDiscardable = 1,
  kSwitch = 2,
  kRequired = 3,
};

// Decode target indications, 2 bits per decode target, target 0 in the low bits.
struct DecodeTargetIndications {
  uint64_t bits = 0;
  DecodeTargetIndication operator[](size_t dt) const {
    return static_cast<DecodeTargetIndication>((bits >> (2 * dt)) & 3);
  }
};

struct RenderResolution {
  uint32_t width = 0;  // 1..65536
  uint32_t height = 0;
};

struct FrameDependencyTemplate {
  uint8_t spatialId = 0;
  uint8_t temporalId = 0;
  uint8_t fdiffCount = 0;
  std::array<uint8_t, kDdMaxFdiffs> fdiffs{};  // 1..16: frame number differences
  DecodeTargetIndications dtis;
  std::array<uint8_t, kDdMaxChains> chainFdiffs{};  // 0..15, chainCount of them
};

struct FrameDependencyStructure {
  uint8_t templateIdOffset = 0;   // template_id_offset
  uint8_t decodeTargetCount = 0;  // DtisCnt, 1..32; 0 = no structure known yet
  uint8_t chainCount = 0;         // chains_cnt, 0..decodeTargetCount
  uint8_t templateCount = 0;      // TemplatesCnt, 1..64
  std::array<uint8_t, kDdMaxDecodeTargets> decodeTargetProtectedBy{};  // chain index per target
  bool hasResolutions = false;
  std::array<RenderResolution, kDdMaxSpatialId + 1> resolutions{};  // per spatial id
  std::array<FrameDependencyTemplate, kDdMaxTemplates> templates{};

  bool valid() const { return decodeTargetCount != 0; }
  uint8_t spatialLayerCount() const {
    return templateCount == 0 ? 0 : templates[templateCount - 1].spatialId + 1;
  }
};

struct DependencyDescriptor {
  // Mandatory fields (A.4.1 mandatory_descriptor_fields).
  bool startOfFrame = false;
  bool endOfFrame = false;
  uint8_t templateId = 0;  // frame_dependency_template_id, 6 bits
  uint16_t frameNumber = 0;

  // Extended fields, present when the extension is longer than 3 bytes.
  bool hasExtendedFields = false;
  bool structurePresent = false;  // this packet carries a template dependency structure
  bool activeDecodeTargetsPresent = false;
  bool customDtis = false;
  bool customFdiffs = false;
  bool customChains = false;
  // Set from the packet, or to all targets when a structure arrives; meaningful when
  // structurePresent or activeDecodeTargetsPresent.
  uint32_t activeDecodeTargetsBitmask = 0;

  // The frame's dependencies (A.4.1 frame_dependency_definition): the named template with the
  // packet's overrides applied. Only filled when a structure was known (resolved == true).
  bool resolved = false;
  uint8_t spatialId = 0;
  uint8_t temporalId = 0;
  DecodeTargetIndications dtis;
  uint8_t fdiffCount = 0;
  std::array<uint16_t, kDdMaxFdiffs> fdiffs{};  // 1..4096
  uint8_t chainCount = 0;
  std::array<uint8_t, kDdMaxChains> chainFdiffs{};
  bool hasResolution = false;
  RenderResolution resolution;

  // Parses one extension value. structure is in/out and may be null: a structure in the packet
  // replaces *structure (only when the whole descriptor parses); otherwise *structure, when
  // valid, resolves the frame's dependencies. Without any structure, only the mandatory fields
  // and the flags are read and resolved stays false. Errors: kTooShort for fewer than 3 bytes
  // or bits running out, kMalformed for a template id outside the structure or layer ids
  // beyond the limits, kUnsupported for more fdiffs than kDdMaxFdiffs.
  static Parsed<DependencyDescriptor> parse(std::span<const uint8_t> data,
                                            FrameDependencyStructure* structure);

  // Rewrites the mandatory fields in the first 3 bytes of out, leaving the rest as is (an SFU
  // renumbering frames keeps the extended part). False when out is shorter than 3 bytes or
  // templateId does not fit 6 bits.
  bool writeMandatoryFields(std::span<uint8_t> out) const;
};

}  // namespace switchyard::rtp
