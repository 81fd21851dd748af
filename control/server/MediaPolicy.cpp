#include "control/server/MediaPolicy.hpp"

#include <algorithm>
#include <set>

namespace switchyard::control {

namespace {

constexpr uint32_t kVideoClockRate = 90000;
constexpr uint32_t kOpusClockRate = 48000;
constexpr uint16_t kOpusChannels = 2;

// Feedback the worker acts on today: keyframe requests. NACK/RTX, transport-cc and REMB come
// with the retransmission and bandwidth-estimation work; offering them before would make
// clients wait for answers that never come.
const std::vector<std::string> kVideoFeedback = {"nack pli", "ccm fir"};

// Extensions a producer's packets may carry that the worker uses or passes on (mid binds
// unsignaled SSRCs; the rest go through to viewers).
const std::vector<std::string_view> kWhipAudioExtensions = {
    sdp::extension_uris::kMid, sdp::extension_uris::kAudioLevel, sdp::extension_uris::kAbsSendTime,
    sdp::extension_uris::kAbsCaptureTime};
const std::vector<std::string_view> kWhipVideoExtensions = {
    sdp::extension_uris::kMid,
    sdp::extension_uris::kAbsSendTime,
    sdp::extension_uris::kVideoOrientation,
    sdp::extension_uris::kPlayoutDelay,
    sdp::extension_uris::kAbsCaptureTime,
    sdp::extension_uris::kDependencyDescriptor};
// What a consumer writes: passed-through values, and abs-send-time stamped at send.
const std::vector<std::string_view> kWhepAudioExtensions = {sdp::extension_uris::kAudioLevel,
                                                            sdp::extension_uris::kAbsSendTime,
                                                            sdp::extension_uris::kAbsCaptureTime};
const std::vector<std::string_view> kWhepVideoExtensions = {
    sdp::extension_uris::kAbsSendTime, sdp::extension_uris::kVideoOrientation,
    sdp::extension_uris::kPlayoutDelay, sdp::extension_uris::kAbsCaptureTime,
    sdp::extension_uris::kDependencyDescriptor};

std::vector<std::string> strings(const std::vector<std::string_view>& v) {
  return {v.begin(), v.end()};
}

sdp::CodecCapability video(std::string name, std::string_view fmtp) {
  return {
      std::move(name), kVideoClockRate, 0, sdp::FmtpParameters::parse(fmtp), kVideoFeedback, false};
}

std::string mimeType(sdp::MediaKind kind, const std::string& name) {
  return std::string(kind == sdp::MediaKind::kVideo ? "video/" : "audio/") + name;
}

std::vector<std::pair<std::string, std::string>> fmtpPairs(const sdp::FmtpParameters& fmtp) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : fmtp.entries())
    out.emplace_back(e.key, e.value.value_or(""));
  return out;
}

std::vector<std::pair<std::string, std::string>> feedbackPairs(
    const std::vector<std::string>& feedback) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : feedback) {
    const auto space = f.find(' ');
    if (space == std::string::npos) {
      out.emplace_back(f, "");
    } else {
      out.emplace_back(f.substr(0, space), f.substr(space + 1));
    }
  }
  return out;
}

RtpParameters baseParameters(const sdp::NegotiatedSection& section) {
  RtpParameters p;
  p.mid = section.mid;
  if (section.codecs.empty()) return p;
  const auto& c = section.codecs.front();
  RtpCodec codec;
  codec.mimeType = mimeType(section.kind, c.name);
  codec.payloadType = c.payloadType;
  codec.clockRate = c.clockRate;
  codec.channels = static_cast<uint8_t>(c.channels == 0 ? 1 : c.channels);
  codec.parameters = fmtpPairs(c.fmtp);
  codec.rtcpFeedback = feedbackPairs(c.feedback);
  p.codecs.push_back(std::move(codec));
  if (c.rtxPayloadType) {
    RtpCodec rtx;
    rtx.mimeType = mimeType(section.kind, "rtx");
    rtx.payloadType = *c.rtxPayloadType;
    rtx.clockRate = c.clockRate;
    rtx.parameters = {{"apt", std::to_string(c.payloadType)}};
    p.codecs.push_back(std::move(rtx));
  }
  for (const auto& e : section.extensions) {
    p.headerExtensions.push_back({e.uri, static_cast<uint8_t>(e.id)});
  }
  return p;
}

}  // namespace

MediaKind toMediaKind(sdp::MediaKind kind) {
  return kind == sdp::MediaKind::kVideo ? MediaKind::kVideo : MediaKind::kAudio;
}

std::vector<CodecCapability> routerMediaCodecs() {
  return {
      {MediaKind::kAudio, "audio/opus", 111, kOpusClockRate, kOpusChannels, {}},
      {MediaKind::kVideo, "video/VP8", 96, kVideoClockRate, 1, {}},
      {MediaKind::kVideo, "video/VP9", 98, kVideoClockRate, 1, {{"profile-id", "0"}}},
      {MediaKind::kVideo, "video/AV1", 45, kVideoClockRate, 1, {}},
      {MediaKind::kVideo,
       "video/H264",
       102,
       kVideoClockRate,
       1,
       {{"packetization-mode", "1"}, {"profile-level-id", "42e01f"}}},
  };
}

sdp::EndpointCapabilities whipCapabilities() {
  sdp::EndpointCapabilities caps;
  caps.audio.codecs.push_back({"opus",
                               kOpusClockRate,
                               kOpusChannels,
                               sdp::FmtpParameters::parse("minptime=10;useinbandfec=1"),
                               {},
                               false});
  caps.audio.headerExtensions = strings(kWhipAudioExtensions);
  caps.audio.maxCodecs = 1;
  const char* h264 = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=";
  caps.video.codecs = {
      video("VP8", ""),
      video("VP9", "profile-id=0"),
      video("AV1", "profile=0"),
      video("H264", std::string(h264) + "42e01f"),
      video("H264", std::string(h264) + "42001f"),
      video("H264", std::string(h264) + "4d001f"),
      video("H264", std::string(h264) + "64001f"),
  };
  caps.video.headerExtensions = strings(kWhipVideoExtensions);
  caps.video.maxCodecs = 1;
  return caps;
}

sdp::EndpointCapabilities whepCapabilities(const std::vector<sdp::NegotiatedSection>& publisher) {
  sdp::EndpointCapabilities caps;
  caps.audio.headerExtensions = strings(kWhepAudioExtensions);
  caps.video.headerExtensions = strings(kWhepVideoExtensions);
  caps.audio.maxCodecs = 1;
  caps.video.maxCodecs = 1;
  for (const auto& section : publisher) {
    if (!section.accepted || section.codecs.empty()) continue;
    const auto& c = section.codecs.front();
    sdp::CodecCapability cap{
        c.name,
        c.clockRate,
        c.channels,
        c.fmtp,
        section.kind == sdp::MediaKind::kVideo ? kVideoFeedback : std::vector<std::string>{},
        false};
    auto& target = section.kind == sdp::MediaKind::kVideo ? caps.video : caps.audio;
    target.codecs.push_back(std::move(cap));
  }
  return caps;
}

RtpParameters producerParameters(const sdp::NegotiatedSection& section) {
  RtpParameters p = baseParameters(section);
  // RFC 5576 / RFC 4588: with an FID group the first SSRC is the media, the second its RTX.
  std::set<uint32_t> rtxSsrcs;
  RtpEncoding encoding;
  for (const auto& g : section.remoteSsrcGroups) {
    if (g.semantics == "FID" && g.ssrcs.size() == 2) {
      encoding.ssrc = g.ssrcs[0];
      encoding.rtxSsrc = g.ssrcs[1];
      rtxSsrcs.insert(g.ssrcs[1]);
      break;
    }
  }
  if (!encoding.ssrc) {
    for (const auto& s : section.remoteSsrcs) {
      if (!rtxSsrcs.contains(s.ssrc)) {
        encoding.ssrc = s.ssrc;
        break;
      }
    }
  }
  if (encoding.ssrc) {
    if (!p.codecs.empty() && p.codecs.size() < 2) encoding.rtxSsrc.reset();  // no RTX negotiated
    p.encodings.push_back(encoding);
  }
  for (const auto& s : section.remoteSsrcs) {
    if (!s.cname.empty()) {
      p.cname = s.cname;
      break;
    }
  }
  return p;
}

sdp::NegotiatedSection ingestSection(const IngestTrack& track) {
  sdp::NegotiatedSection section;
  section.kind = track.kind == MediaKind::kVideo ? sdp::MediaKind::kVideo : sdp::MediaKind::kAudio;
  section.media = track.kind == MediaKind::kVideo ? "video" : "audio";
  section.proto = "RTP/AVP";
  section.accepted = true;
  section.offeredDirection = sdp::MediaDirection::kSendOnly;
  section.direction = sdp::MediaDirection::kRecvOnly;
  sdp::NegotiatedCodec codec;
  codec.payloadType = track.payloadType;
  codec.name = track.codec;
  codec.clockRate = track.clockRate;
  codec.channels = track.channels > 1 ? track.channels : 0;
  codec.fmtp = sdp::FmtpParameters::parse(track.fmtp);
  codec.offeredFmtp = codec.fmtp;
  section.codecs.push_back(std::move(codec));
  if (track.ssrc) {
    sdp::SsrcDescription ssrc;
    ssrc.ssrc = *track.ssrc;
    section.remoteSsrcs.push_back(std::move(ssrc));
  }
  return section;
}

RtpParameters consumerParameters(const sdp::NegotiatedSection& section, uint32_t ssrc,
                                 const std::string& cname) {
  RtpParameters p = baseParameters(section);
  // The consumer sends no RTX yet: keep only the media codec.
  p.codecs.resize(std::min<size_t>(p.codecs.size(), 1));
  p.encodings.push_back({ssrc, "", std::nullopt});
  p.cname = cname;
  return p;
}

}  // namespace switchyard::control
