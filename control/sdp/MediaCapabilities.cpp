#include "control/sdp/MediaCapabilities.hpp"

namespace switchyard::control::sdp {

namespace {

constexpr uint32_t kOpusClockRate = 48000;
constexpr uint16_t kOpusChannels = 2;
constexpr uint32_t kVideoClockRate = 90000;

const std::vector<std::string> kVideoFeedback{"goog-remb", "transport-cc", "ccm fir", "nack",
                                              "nack pli"};

CodecCapability videoCodec(std::string name, std::string_view fmtp) {
  return CodecCapability{
      std::move(name), kVideoClockRate, 0, FmtpParameters::parse(fmtp), kVideoFeedback, true};
}

}  // namespace

const MediaCapabilities* EndpointCapabilities::forKind(std::string_view media) const {
  if (media == "audio") return &audio;
  if (media == "video") return &video;
  return nullptr;
}

EndpointCapabilities EndpointCapabilities::defaults() {
  namespace uri = extension_uris;
  EndpointCapabilities caps;
  caps.audio.codecs.push_back(CodecCapability{"opus",
                                              kOpusClockRate,
                                              kOpusChannels,
                                              FmtpParameters::parse("minptime=10;useinbandfec=1"),
                                              {"transport-cc"},
                                              false});
  caps.audio.headerExtensions = {std::string(uri::kMid), std::string(uri::kAudioLevel),
                                 std::string(uri::kAbsSendTime), std::string(uri::kTransportWideCc),
                                 std::string(uri::kAbsCaptureTime)};
  caps.video.codecs = {
      videoCodec("VP8", ""),
      videoCodec("VP9", "profile-id=0"),
      videoCodec("AV1", "profile=0"),
      videoCodec("H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"),
      videoCodec("H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"),
      videoCodec("H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"),
      videoCodec("H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f"),
  };
  caps.video.headerExtensions = {std::string(uri::kMid),
                                 std::string(uri::kRtpStreamId),
                                 std::string(uri::kRepairedRtpStreamId),
                                 std::string(uri::kAbsSendTime),
                                 std::string(uri::kTransportWideCc),
                                 std::string(uri::kVideoOrientation),
                                 std::string(uri::kPlayoutDelay),
                                 std::string(uri::kAbsCaptureTime),
                                 std::string(uri::kDependencyDescriptor)};
  return caps;
}

}  // namespace switchyard::control::sdp
