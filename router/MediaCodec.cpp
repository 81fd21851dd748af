#include "router/MediaCodec.hpp"

#include <algorithm>
#include <set>
#include <string_view>

namespace switchyard::router {

namespace {

// RFC 3551 section 6: 96-127 are dynamic; lower values are static assignments we accept too.
constexpr uint8_t kMaxPayloadType = 127;

}  // namespace

MediaCodecsResult parseMediaCodecs(
    const flatbuffers::Vector<flatbuffers::Offset<fbs::common::RtpCodecCapability>>* codecs) {
  MediaCodecsResult result;
  if (!codecs) return result;
  std::set<uint8_t> payloadTypes;
  for (const auto* c : *codecs) {
    MediaCodec codec;
    codec.kind = c->kind() == fbs::common::MediaKind::VIDEO ? MediaKind::kVideo : MediaKind::kAudio;
    codec.mimeType = c->mime_type()->str();
    std::string_view prefix = codec.kind == MediaKind::kVideo ? "video/" : "audio/";
    if (!std::string_view(codec.mimeType).starts_with(prefix) ||
        codec.mimeType.size() == prefix.size()) {
      result.error = "codec mime type '" + codec.mimeType + "' does not match its kind";
      return result;
    }
    codec.payloadType = c->preferred_payload_type();
    if (codec.payloadType > kMaxPayloadType) {
      result.error = "payload type " + std::to_string(codec.payloadType) + " is above 127";
      return result;
    }
    if (!payloadTypes.insert(codec.payloadType).second) {
      result.error = "payload type " + std::to_string(codec.payloadType) + " is used twice";
      return result;
    }
    codec.clockRate = c->clock_rate();
    if (codec.clockRate == 0) {
      result.error = "codec '" + codec.mimeType + "' has no clock rate";
      return result;
    }
    codec.channels = c->channels();
    if (const auto* params = c->parameters()) {
      for (const auto* p : *params) {
        codec.parameters.emplace_back(p->key()->str(), p->value() ? p->value()->str() : "");
      }
    }
    result.codecs.push_back(std::move(codec));
  }
  return result;
}

}  // namespace switchyard::router
