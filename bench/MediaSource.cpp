#include "bench/MediaSource.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "bench/LoadPacketLayout.hpp"
#include "bench/LoadPayloadHeader.hpp"

namespace switchyard::bench {

namespace {

constexpr double kNsPerSecond = 1e9;
// The first partition of a VP8 frame is a fraction of it (modes and motion vectors); the value
// only has to be plausible, nothing decodes it.
constexpr size_t kFirstPartitionDivisor = 8;
// Bytes of a packet that are not frame data: RTP header, VP8 descriptor, our header.
constexpr size_t kVideoOverhead = LoadPacketLayout::kRtpHeaderSize +
                                  LoadPacketLayout::kVp8DescriptorSize + LoadPayloadHeader::kSize;

uint64_t nextRandom(uint64_t& state) {  // xorshift64
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

}  // namespace

MediaSource::MediaSource(const MediaSourceConfig& config, int64_t startNs)
    : config_(config), startNs_(startNs), random_(config.seed == 0 ? 1 : config.seed) {
  config_.packetSize = std::clamp(config_.packetSize, kMinPacketSize, kMaxPacketSize);
  if (config_.fps <= 0) config_.fps = 1;
  keyframeIntervalNs_ =
      std::max<int64_t>(1, static_cast<int64_t>(config_.keyframeIntervalS * kNsPerSecond));
  if (!rateMode()) {
    const double averageFrame = config_.videoKbps * 1000.0 / 8.0 / config_.fps;
    framesPerKeyframe_ = std::max<uint64_t>(
        1, static_cast<uint64_t>(std::llround(config_.fps * config_.keyframeIntervalS)));
    // F frames per interval, one of them kKeyframeSizeFactor times a delta frame: the average
    // stays at videoKbps.
    const double f = static_cast<double>(framesPerKeyframe_);
    const double delta = framesPerKeyframe_ == 1 ? averageFrame / kKeyframeSizeFactor
                                                 : averageFrame * f / (f - 1 + kKeyframeSizeFactor);
    deltaFrameBytes_ =
        std::max<size_t>(LoadPacketLayout::kVp8KeyframeHeaderSize, static_cast<size_t>(delta));
    keyframeBytes_ = deltaFrameBytes_ * kKeyframeSizeFactor;
  }
  videoSequence_ = static_cast<uint16_t>(nextRandom(random_));
  audioSequence_ = static_cast<uint16_t>(nextRandom(random_));
  videoTimestampBase_ = static_cast<uint32_t>(nextRandom(random_));
  audioTimestampBase_ = static_cast<uint32_t>(nextRandom(random_));
  pictureId_ = static_cast<uint16_t>(nextRandom(random_) & 0x7fff);
  nextKeyframeNs_ = startNs_;
}

int64_t MediaSource::nextFrameDueNs() const {
  return startNs_ +
         static_cast<int64_t>(static_cast<double>(frameIndex_) * kNsPerSecond / config_.fps);
}

int64_t MediaSource::nextDueNs() const {
  int64_t due = INT64_MAX;
  if (config_.video) {
    if (rateMode()) {
      const int64_t packetDue = startNs_ + static_cast<int64_t>(static_cast<double>(rateProduced_) *
                                                                kNsPerSecond / config_.ratePps);
      due = std::max(packetDue, lastBurstNs_ + config_.burstIntervalNs);
    } else {
      due = packetsLeft_ > 0 ? INT64_MIN : nextFrameDueNs();
    }
  }
  if (config_.audio) {
    due = std::min(due, startNs_ + static_cast<int64_t>(audioIndex_) * kAudioIntervalNs);
  }
  return due;
}

void MediaSource::requestKeyframe(int64_t nowNs) {
  if (nowNs - lastKeyframeNs_ < kMinKeyframeRequestGapNs || keyframeRequested_) return;
  keyframeRequested_ = true;
  ++counters_.keyframeRequests;
}

void MediaSource::startFrame(int64_t dueNs) {
  const bool periodic =
      rateMode() ? dueNs >= nextKeyframeNs_ : frameIndex_ % framesPerKeyframe_ == 0;
  frameIsKey_ = periodic || keyframeRequested_;
  if (frameIsKey_) {
    keyframeRequested_ = false;
    lastKeyframeNs_ = dueNs;
    ++counters_.keyframes;
    if (rateMode()) {
      while (nextKeyframeNs_ <= dueNs)
        nextKeyframeNs_ += keyframeIntervalNs_;
    }
  }
  size_t bytes = 0;
  if (rateMode()) {
    bytes = config_.packetSize - kVideoOverhead;
    videoTimestamp_ =
        videoTimestampBase_ + static_cast<uint32_t>(static_cast<uint64_t>(dueNs - startNs_) *
                                                    kVideoClockRate / 1'000'000'000ull);
  } else {
    bytes = frameIsKey_ ? keyframeBytes_ : deltaFrameBytes_;
    videoTimestamp_ =
        videoTimestampBase_ + static_cast<uint32_t>(std::llround(static_cast<double>(frameIndex_) *
                                                                 kVideoClockRate / config_.fps));
  }
  const size_t capacity = config_.packetSize - kVideoOverhead;
  framePackets_ = packetsLeft_ = (bytes + capacity - 1) / capacity;
  frameBytesLeft_ = bytes;
  pictureId_ = static_cast<uint16_t>((pictureId_ + 1) & 0x7fff);
  ++frameIndex_;
  ++counters_.videoFrames;
}

size_t MediaSource::writeVideoPacket(int64_t nowNs, std::span<uint8_t> out) {
  const bool first = packetsLeft_ == framePackets_;
  // Equal shares, the remainder on the first packets (what libwebrtc's packetizer aims at).
  const size_t share = (frameBytesLeft_ + packetsLeft_ - 1) / packetsLeft_;
  const size_t length = kVideoOverhead + share;
  if (out.size() < length) return 0;
  LoadPacketLayout::writeRtpHeader(out.data(), {.payloadType = config_.videoPayloadType,
                                                .marker = packetsLeft_ == 1,
                                                .sequence = videoSequence_++,
                                                .timestamp = videoTimestamp_,
                                                .ssrc = config_.videoSsrc});
  const size_t frameBytes = frameIsKey_ ? keyframeBytes_ : deltaFrameBytes_;
  const size_t prefix = LoadPacketLayout::writeVp8Prefix(
      out.subspan(LoadPacketLayout::kRtpHeaderSize), pictureId_, first, frameIsKey_,
      static_cast<uint32_t>(frameBytes / kFirstPartitionDivisor), config_.width, config_.height);
  LoadPayloadHeader{.sendNs = static_cast<uint64_t>(nowNs), .counter = videoCounter_++}.write(
      out.subspan(LoadPacketLayout::kRtpHeaderSize + prefix));
  frameBytesLeft_ -= share;
  --packetsLeft_;
  ++counters_.videoPackets;
  counters_.bytes += length;
  return length;
}

size_t MediaSource::writeAudioPacket(int64_t nowNs, std::span<uint8_t> out) {
  const size_t payload =
      kAudioMinPayload + nextRandom(random_) % (kAudioMaxPayload - kAudioMinPayload + 1);
  const size_t length = LoadPacketLayout::kRtpHeaderSize + payload;
  if (out.size() < length) return 0;
  LoadPacketLayout::writeRtpHeader(
      out.data(), {.payloadType = config_.audioPayloadType,
                   .marker = audioIndex_ == 0,  // RFC 3551 section 4.1: first of a talkspurt
                   .sequence = audioSequence_++,
                   .timestamp = audioTimestampBase_ +
                                static_cast<uint32_t>(audioIndex_ * kAudioClockRate *
                                                      kAudioIntervalNs / 1'000'000'000ull),
                   .ssrc = config_.audioSsrc});
  out[LoadPacketLayout::kRtpHeaderSize] = LoadPacketLayout::kOpusToc;
  LoadPayloadHeader{.sendNs = static_cast<uint64_t>(nowNs), .counter = audioCounter_++}.write(
      out.subspan(LoadPacketLayout::kRtpHeaderSize + LoadPacketLayout::kOpusTocSize));
  ++audioIndex_;
  ++counters_.audioPackets;
  counters_.bytes += length;
  return length;
}

size_t MediaSource::produce(int64_t nowNs, std::span<const std::span<uint8_t>> buffers,
                            std::span<size_t> lengths) {
  size_t n = 0;
  bool produced = false;
  while (n < buffers.size() && n < lengths.size()) {
    // The earliest due of the two streams goes first; a frame in progress is due at once.
    int64_t videoDue = INT64_MAX;
    if (config_.video) {
      if (rateMode()) {
        videoDue = startNs_ + static_cast<int64_t>(static_cast<double>(rateProduced_) *
                                                   kNsPerSecond / config_.ratePps);
      } else {
        videoDue = packetsLeft_ > 0 ? INT64_MIN : nextFrameDueNs();
      }
    }
    const int64_t audioDue =
        config_.audio ? startNs_ + static_cast<int64_t>(audioIndex_) * kAudioIntervalNs : INT64_MAX;
    size_t length = 0;
    if (audioDue <= nowNs && audioDue < videoDue) {
      length = writeAudioPacket(nowNs, buffers[n]);
    } else if (videoDue <= nowNs) {
      if (packetsLeft_ == 0) startFrame(videoDue);
      length = writeVideoPacket(nowNs, buffers[n]);
      if (rateMode()) ++rateProduced_;
    } else {
      break;
    }
    if (length == 0) break;  // a buffer too small: the caller's mistake, stop rather than spin
    lengths[n++] = length;
    produced = true;
  }
  if (produced) lastBurstNs_ = nowNs;
  return n;
}

}  // namespace switchyard::bench
