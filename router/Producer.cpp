#include "router/Producer.hpp"

namespace switchyard::router {

namespace {

// How long to wait for the keyframe a request asked for before asking again. libwebrtc senders
// ignore requests that come within 300 ms of the previous one (EncoderRtcpFeedback), so a
// request that raced another is repeated soon after that window rather than after a second.
constexpr int64_t kKeyframeRequestIntervalMs = 500;

// RFC 5104 section 4.3.1: FIR only when the sender accepts it and PLI is not negotiated;
// browsers negotiate both, and PLI is what they answer fastest.
rtp::KeyframeRequestKind keyframeKindFor(const control::RtpParameters& parameters) {
  const auto* codec = parameters.firstMediaCodec();
  if (codec != nullptr && !codec->hasFeedback("nack", "pli") && codec->hasFeedback("ccm", "fir")) {
    return rtp::KeyframeRequestKind::kFir;
  }
  return rtp::KeyframeRequestKind::kPli;
}

}  // namespace

Producer::Producer(std::string id, MediaKind kind, control::RtpParameters parameters, bool paused)
    : id_(std::move(id)),
      kind_(kind),
      parameters_(std::move(parameters)),
      paused_(paused),
      keyframes_(rtp::KeyframeRequestConfig{keyframeKindFor(parameters_),
                                            kKeyframeRequestIntervalMs,
                                            rtp::kDefaultKeyframeMaxRetries}) {
  if (!parameters_.encodings.empty()) {
    ssrc_ = parameters_.encodings[0].ssrc;
    rtxSsrc_ = parameters_.encodings[0].rtxSsrc;
  }
  for (const auto& codec : parameters_.codecs) {
    if (codec.isRtx()) continue;
    payloadKinds_[codec.payloadType] = PayloadKind::kMedia;
    videoCodecs_[codec.payloadType] = videoCodecFromMimeType(codec.mimeType);
  }
  clockRate_ = parameters_.firstMediaCodec()->clockRate;
  if (ssrc_) stats_.emplace(*ssrc_, clockRate_);
}

bool Producer::hasMediaPayloadType(uint8_t payloadType) const {
  return payloadKinds_[payloadType & 0x7F] == PayloadKind::kMedia;
}

void Producer::learnSsrc(uint32_t ssrc) {
  ssrc_ = ssrc;
  stats_.emplace(ssrc, clockRate_);
}

Producer::Received Producer::onRtp(const rtp::RtpPacket& packet, int64_t nowUs) {
  const uint8_t pt = packet.payloadType();
  if (payloadKinds_[pt] != PayloadKind::kMedia) {
    ++counters_.packetsDiscarded;
    return {};
  }
  ++counters_.packetsReceived;
  counters_.bytesReceived += packet.size();
  if (stats_) stats_->onPacket(packet.sequenceNumber(), packet.timestamp(), nowUs);
  Received r;
  r.forward = !paused_;
  if (kind_ == MediaKind::kVideo && isKeyframeStart(videoCodecs_[pt], packet.payload())) {
    r.keyframe = true;
    ++counters_.keyframesReceived;
    keyframes_.onKeyframe(nowUs / 1000);
  }
  return r;
}

void Producer::onSenderReport(uint32_t ntpMiddle32, int64_t arrivalUs) {
  if (stats_) stats_->onSenderReport(ntpMiddle32, arrivalUs);
}

void Producer::requestKeyFrame(int64_t nowMs) {
  if (kind_ == MediaKind::kVideo) keyframes_.request(nowMs);
}

std::optional<rtp::KeyframeRequest> Producer::pollKeyFrameRequest(int64_t nowMs) {
  if (!ssrc_) return std::nullopt;  // nothing to address the request to yet
  auto request = keyframes_.poll(nowMs);
  if (request) {
    if (request->kind == rtp::KeyframeRequestKind::kFir) {
      ++counters_.firSent;
    } else {
      ++counters_.pliSent;
    }
  }
  return request;
}

std::optional<rtp::ReportBlockFields> Producer::makeReportBlock(int64_t nowUs) {
  if (!stats_ || !stats_->valid()) return std::nullopt;
  return stats_->makeReportBlock(nowUs);
}

const rtp::ReceiveStatistics* Producer::statistics() const {
  return stats_ ? &*stats_ : nullptr;
}

std::optional<std::string> Producer::mediaMimeType(uint8_t payloadType) const {
  const auto* codec = parameters_.codecByPayloadType(payloadType);
  if (codec == nullptr) return std::nullopt;
  return codec->mimeType;
}

}  // namespace switchyard::router
