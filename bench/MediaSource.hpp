#pragma once
// The load generator's publisher stream: what to send and when, with no sockets. Two shapes:
//
// - realistic (ratePps == 0): a VP8-like video stream at videoKbps and fps, each frame split
//   into equal packets of at most packetSize bytes with the marker bit on the last, a keyframe
//   kKeyframeSizeFactor times the size of a delta frame every keyframeIntervalS (delta frames
//   are sized so that the average stays at videoKbps), 90 kHz timestamps; optionally an
//   Opus-like audio stream, 50 packets/s of 100-160 bytes on a 48 kHz clock;
// - rate (ratePps > 0): packets of exactly packetSize bytes at ratePps, each a one-packet VP8
//   frame (keyframes on the same interval), due in bursts no closer than burstIntervalNs.
//
// produce() writes every packet due by `now` (up to the buffers given) in send order, each
// stamped with `now` and its stream's counter (LoadPacketLayout.hpp has the layout). Nothing
// allocates after construction.

#include <cstddef>
#include <cstdint>
#include <span>

namespace switchyard::bench {

struct MediaSourceConfig {
  bool video = true;
  bool audio = false;
  uint32_t videoKbps = 2500;
  double fps = 30;
  size_t packetSize = 1200;  // RTP header + payload, before any SRTP trailer
  double keyframeIntervalS = 2;
  double ratePps = 0;  // > 0: rate mode
  // Rate mode sends what is due in bursts no closer than this (kMinBurstIntervalNs by default).
  int64_t burstIntervalNs = 1'000'000;  // MediaSource::kMinBurstIntervalNs
  uint8_t videoPayloadType = 96;
  uint8_t audioPayloadType = 111;
  uint32_t videoSsrc = 0x11111111;
  uint32_t audioSsrc = 0x22222222;
  uint16_t width = 1280;
  uint16_t height = 720;
  uint64_t seed = 1;  // first sequence numbers, timestamps and the audio sizes
};

class MediaSource {
 public:
  static constexpr size_t kKeyframeSizeFactor = 8;
  static constexpr int64_t kAudioIntervalNs = 20'000'000;  // 50 packets/s
  static constexpr uint32_t kAudioClockRate = 48'000;
  static constexpr uint32_t kVideoClockRate = 90'000;
  static constexpr size_t kAudioMinPayload = 100;
  static constexpr size_t kAudioMaxPayload = 160;
  static constexpr int64_t kMinBurstIntervalNs = 1'000'000;  // the default burstIntervalNs
  // A keyframe request (PLI/FIR) within this long of the last keyframe is ignored, as libwebrtc
  // senders do; the SFU repeats an unanswered request.
  static constexpr int64_t kMinKeyframeRequestGapNs = 300'000'000;
  // Smallest packetSize that holds every prefix of the layout plus a byte of data.
  static constexpr size_t kMinPacketSize = 64;
  static constexpr size_t kMaxPacketSize = 1400;

  enum class Stream : uint8_t { kVideo, kAudio };

  struct Counters {
    uint64_t videoPackets = 0;
    uint64_t audioPackets = 0;
    uint64_t videoFrames = 0;
    uint64_t keyframes = 0;
    uint64_t keyframeRequests = 0;  // honoured ones
    uint64_t bytes = 0;             // RTP bytes produced
  };

  MediaSource(const MediaSourceConfig& config, int64_t startNs);

  // When the next packet is due (CLOCK_MONOTONIC ns).
  int64_t nextDueNs() const;
  // Writes packets due at nowNs into `buffers` (each at least packetSize, or kAudioMaxPayload +
  // header, bytes long), their lengths into `lengths`. Returns how many; fewer than
  // buffers.size() means nothing more is due now.
  size_t produce(int64_t nowNs, std::span<const std::span<uint8_t>> buffers,
                 std::span<size_t> lengths);
  // The next video frame (or packet, in rate mode) will be a keyframe, unless one went out less
  // than kMinKeyframeRequestGapNs ago.
  void requestKeyframe(int64_t nowNs);

  const Counters& counters() const { return counters_; }
  const MediaSourceConfig& config() const { return config_; }
  // Bytes of a delta and of a key frame (VP8 data: frame header and filler, without the RTP
  // header, descriptor and LoadPayloadHeader); 0 in rate mode.
  size_t deltaFrameBytes() const { return deltaFrameBytes_; }
  size_t keyframeBytes() const { return keyframeBytes_; }

 private:
  size_t writeVideoPacket(int64_t nowNs, std::span<uint8_t> out);
  size_t writeAudioPacket(int64_t nowNs, std::span<uint8_t> out);
  void startFrame(int64_t dueNs);
  int64_t nextFrameDueNs() const;
  bool rateMode() const { return config_.ratePps > 0; }

  MediaSourceConfig config_;
  int64_t startNs_;
  Counters counters_;

  size_t deltaFrameBytes_ = 0;
  size_t keyframeBytes_ = 0;
  uint64_t framesPerKeyframe_ = 1;
  int64_t keyframeIntervalNs_ = 0;

  // Video state. In realistic mode a frame in progress has packetsLeft > 0.
  uint64_t frameIndex_ = 0;  // frames started
  uint32_t videoTimestamp_ = 0;
  uint32_t videoTimestampBase_ = 0;
  uint16_t videoSequence_ = 0;
  uint16_t pictureId_ = 0;
  uint32_t videoCounter_ = 0;
  bool frameIsKey_ = false;
  size_t framePackets_ = 0;
  size_t packetsLeft_ = 0;
  size_t frameBytesLeft_ = 0;
  bool keyframeRequested_ = false;
  int64_t lastKeyframeNs_ = INT64_MIN / 2;
  int64_t nextKeyframeNs_ = 0;  // rate mode: time-based keyframes
  uint64_t rateProduced_ = 0;   // rate mode: packets produced so far
  int64_t lastBurstNs_ = INT64_MIN / 2;

  // Audio state.
  uint64_t audioIndex_ = 0;  // packets produced
  uint32_t audioTimestampBase_ = 0;
  uint16_t audioSequence_ = 0;
  uint32_t audioCounter_ = 0;
  uint64_t random_;  // xorshift state for audio sizes
};

}  // namespace switchyard::bench
