#include "router/KeyframeDetector.hpp"

#include <strings.h>

#include "rtp/codecs/Av1Payload.hpp"
#include "rtp/codecs/H264Payload.hpp"
#include "rtp/codecs/Vp8PayloadDescriptor.hpp"
#include "rtp/codecs/Vp9PayloadDescriptor.hpp"

namespace switchyard::router {

VideoCodec videoCodecFromMimeType(std::string_view mimeType) {
  auto is = [&](std::string_view m) {
    return mimeType.size() == m.size() && strncasecmp(mimeType.data(), m.data(), m.size()) == 0;
  };
  if (is("video/VP8")) return VideoCodec::kVp8;
  if (is("video/VP9")) return VideoCodec::kVp9;
  if (is("video/H264")) return VideoCodec::kH264;
  if (is("video/AV1")) return VideoCodec::kAv1;
  return VideoCodec::kOther;
}

bool isKeyframeStart(VideoCodec codec, std::span<const uint8_t> payload) {
  switch (codec) {
    case VideoCodec::kVp8: {
      auto d = rtp::Vp8PayloadDescriptor::parse(payload);
      return d && d->isKeyframe();
    }
    case VideoCodec::kVp9: {
      auto d = rtp::Vp9PayloadDescriptor::parse(payload);
      return d && d->isKeyframe();
    }
    case VideoCodec::kH264: {
      auto d = rtp::H264Payload::parse(payload);
      return d && d->isKeyframe();
    }
    case VideoCodec::kAv1: {
      auto d = rtp::Av1Payload::parse(payload);
      return d && d->isKeyframe();
    }
    case VideoCodec::kOther:
      return false;
  }
  return false;
}

}  // namespace switchyard::router
