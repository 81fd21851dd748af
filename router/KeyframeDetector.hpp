#pragma once
// Whether an RTP packet starts a keyframe, by codec. The SFU needs this to start a consumer
// (a decoder can only begin at a keyframe) and to know a keyframe request was answered.

#include <cstdint>
#include <span>
#include <string_view>

namespace switchyard::router {

enum class VideoCodec : uint8_t { kVp8, kVp9, kH264, kAv1, kOther };

VideoCodec videoCodecFromMimeType(std::string_view mimeType);

// payload: the RTP payload (after the header, without padding).
bool isKeyframeStart(VideoCodec codec, std::span<const uint8_t> payload);

}  // namespace switchyard::router
