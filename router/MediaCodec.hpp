#pragma once
// A codec a router routes, as the orchestrator configured it.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchyard/fbs/common_generated.h"

namespace switchyard::router {

enum class MediaKind : uint8_t { kAudio, kVideo };

struct MediaCodec {
  MediaKind kind = MediaKind::kAudio;
  std::string mimeType;  // "audio/opus"
  uint8_t payloadType = 0;
  uint32_t clockRate = 0;
  uint8_t channels = 1;
  std::vector<std::pair<std::string, std::string>> parameters;
};

// Validates and converts the request's codecs; on failure returns a readable reason.
struct MediaCodecsResult {
  std::vector<MediaCodec> codecs;
  std::optional<std::string> error;
};
MediaCodecsResult parseMediaCodecs(
    const flatbuffers::Vector<flatbuffers::Offset<fbs::common::RtpCodecCapability>>* codecs);

}  // namespace switchyard::router
