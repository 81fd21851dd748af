#pragma once
// The RTP parameters of a producer or consumer as plain values: what the orchestrator fills in
// and writes (buildRtpParameters), and what the worker reads back, validated once
// (parseRtpParameters), and indexes on the media path. Shared by both ends of the channel.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchyard/fbs/common_generated.h"

namespace switchyard::control {

struct RtpCodec {
  std::string mimeType;  // "video/VP8"; compared case-insensitively
  uint8_t payloadType = 0;
  uint32_t clockRate = 0;
  uint8_t channels = 1;
  std::vector<std::pair<std::string, std::string>> parameters;
  std::vector<std::pair<std::string, std::string>> rtcpFeedback;  // type, parameter

  bool isRtx() const;
  // For RTX: the payload type it repairs (fmtp apt, RFC 4588 section 8.6); nullopt otherwise.
  std::optional<uint8_t> associatedPayloadType() const;
  std::optional<std::string> parameter(std::string_view key) const;
  bool hasFeedback(std::string_view type, std::string_view parameter = {}) const;
};

struct RtpHeaderExtension {
  std::string uri;
  uint8_t id = 0;
};

struct RtpEncoding {
  std::optional<uint32_t> ssrc;
  std::string rid;
  std::optional<uint32_t> rtxSsrc;
};

struct RtpParameters {
  std::string mid;
  std::vector<RtpCodec> codecs;
  std::vector<RtpHeaderExtension> headerExtensions;
  std::vector<RtpEncoding> encodings;
  std::string cname;

  const RtpCodec* codecByPayloadType(uint8_t payloadType) const;
  // The first media (non-RTX) codec: what a single-codec consumer sends.
  const RtpCodec* firstMediaCodec() const;
  // The RTX codec repairing payloadType, if any.
  const RtpCodec* rtxFor(uint8_t payloadType) const;
  uint8_t extensionId(std::string_view uri) const;  // 0 when absent
};

struct RtpParametersResult {
  RtpParameters parameters;
  std::optional<std::string> error;
};

// Validates: at least one media codec, payload types 0-127 and unique, clock rates set, RTX
// codecs pointing at a listed codec, extension ids 1-255 and unique, SSRCs unique.
RtpParametersResult parseRtpParameters(const fbs::common::RtpParameters* parameters);

flatbuffers::Offset<fbs::common::RtpParameters> buildRtpParameters(
    flatbuffers::FlatBufferBuilder& b, const RtpParameters& parameters);

}  // namespace switchyard::control
