#pragma once
// What the server can do, per media kind, as input to SDP negotiation. The SDP layer does not
// depend on the worker: the server fills these from its configuration and what the worker
// reported, and negotiation (SdpNegotiation) intersects them with an offer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/sdp/FmtpParameters.hpp"

namespace switchyard::control::sdp {

// Header extension URIs (RFC 8285) the worker implements; the same strings as
// rtp/extensions/RtpHeaderExtensionMap.hpp, repeated so that control/ needs nothing from rtp/.
namespace extension_uris {
inline constexpr std::string_view kMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kRtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr std::string_view kRepairedRtpStreamId =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
inline constexpr std::string_view kAbsSendTime =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
inline constexpr std::string_view kTransportWideCc =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr std::string_view kAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr std::string_view kVideoOrientation = "urn:3gpp:video-orientation";
inline constexpr std::string_view kPlayoutDelay =
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
inline constexpr std::string_view kAbsCaptureTime =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
inline constexpr std::string_view kDependencyDescriptor =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";
}  // namespace extension_uris

// One codec the server accepts. Matching an offered payload type: same name (case-insensitive),
// clock rate and, for audio, channel count (absent = 1); then per codec: H264 packetization-mode
// 1 and the same profile (H264ProfileLevelId), VP9 the same profile-id (absent = 0), AV1 the
// same profile (absent = 0). Other fmtp parameters do not decide a match.
struct CodecCapability {
  std::string name;        // "opus", "VP8", "VP9", "AV1", "H264"
  uint32_t clockRate = 0;  // 48000, 90000
  uint16_t channels = 0;   // audio: 2 for opus; 0 = 1
  // Identity parameters to match (profile-level-id, profile-id, profile) and the parameters
  // the answer carries. When empty, the answer echoes the offer's fmtp (non-H264 codecs).
  FmtpParameters fmtp;
  std::vector<std::string> feedback;  // "nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"
  bool rtx = false;                   // keep the offer's RTX payload type for this codec
};

struct MediaCapabilities {
  std::vector<CodecCapability> codecs;        // in the server's order of preference
  std::vector<std::string> headerExtensions;  // URIs
  size_t maxCodecs = 0;                       // codecs per answer m-section; 0 = no limit
};

struct EndpointCapabilities {
  MediaCapabilities audio;
  MediaCapabilities video;

  const MediaCapabilities* forKind(std::string_view media) const;

  // Opus; VP8, VP9 profile 0, AV1 profile 0, H264 constrained baseline / baseline / main / high
  // (packetization-mode 1), each with RTX; every extension URI above that fits the kind.
  static EndpointCapabilities defaults();
};

}  // namespace switchyard::control::sdp
