// MediaSource on a simulated clock: the video-like stream's frames (packet sizes, marker bits,
// timestamps, sequence numbers, keyframes the SFU's parser recognises, the average bit rate),
// the audio stream, rate mode's count and pacing, keyframe requests, and the counters in our
// payload header.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "bench/LoadPacketLayout.hpp"
#include "bench/MediaSource.hpp"
#include "rtp/codecs/Vp8PayloadDescriptor.hpp"

namespace switchyard::bench {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kStart = 1'000 * kMs;

struct Packet {
  std::vector<uint8_t> bytes;
  int64_t at;
  uint8_t pt() const { return bytes[1] & 0x7f; }
  bool marker() const { return (bytes[1] & 0x80) != 0; }
  uint16_t seq() const { return static_cast<uint16_t>((bytes[2] << 8) | bytes[3]); }
  uint32_t ts() const {
    return (uint32_t(bytes[4]) << 24) | (uint32_t(bytes[5]) << 16) | (uint32_t(bytes[6]) << 8) |
           bytes[7];
  }
  std::span<const uint8_t> payload() const { return std::span(bytes).subspan(12); }
};

// Runs the source from kStart to kStart + durationNs, waking at every due time (but at least
// every stepNs), like the sender's loop.
std::vector<Packet> run(MediaSource& source, int64_t durationNs, int64_t stepNs = kMs) {
  std::vector<std::array<uint8_t, 1500>> storage(8);
  std::vector<std::span<uint8_t>> buffers(storage.begin(), storage.end());
  std::vector<size_t> lengths(buffers.size());
  std::vector<Packet> out;
  for (int64_t now = kStart; now < kStart + durationNs;) {
    for (;;) {
      const size_t n = source.produce(now, buffers, lengths);
      for (size_t i = 0; i < n; ++i) {
        out.push_back({std::vector<uint8_t>(storage[i].begin(),
                                            storage[i].begin() + static_cast<long>(lengths[i])),
                       now});
      }
      if (n < buffers.size()) break;
    }
    now = std::max(now + 1, std::min(source.nextDueNs(), now + stepNs));
  }
  return out;
}

TEST(MediaSource, VideoFramesArePacketisedLikeASender) {
  MediaSourceConfig config;  // 2500 kbps, 30 fps, 1200-byte packets, keyframe every 2 s
  MediaSource source(config, kStart);
  const auto packets = run(source, 4'000 * kMs);
  ASSERT_FALSE(packets.empty());
  EXPECT_EQ(source.counters().videoFrames, 120u);
  EXPECT_EQ(source.counters().keyframes, 2u);  // frames 0 and 60
  EXPECT_EQ(source.keyframeBytes(), 8 * source.deltaFrameBytes());

  size_t frameData = 0, keyframes = 0, frames = 0;
  uint16_t expectedSeq = packets.front().seq();
  uint32_t frameTs = packets.front().ts();
  bool frameStart = true;
  for (const auto& p : packets) {
    ASSERT_EQ(p.pt(), config.videoPayloadType);
    ASSERT_LE(p.bytes.size(), config.packetSize);
    ASSERT_EQ(p.seq(), expectedSeq++);
    auto d = rtp::Vp8PayloadDescriptor::parse(p.payload());
    ASSERT_TRUE(d);
    ASSERT_EQ(d->startsFrame(), frameStart);
    if (frameStart) {
      if (frames > 0) {
        EXPECT_EQ(p.ts() - frameTs, 3000u);  // 90 kHz / 30 fps
      }
      frameTs = p.ts();
      ++frames;
      if (d->isKeyframe()) ++keyframes;
    } else {
      ASSERT_EQ(p.ts(), frameTs);
    }
    auto h = LoadPacketLayout::readHeader(p.payload(), true);
    ASSERT_TRUE(h);
    EXPECT_EQ(static_cast<int64_t>(h->sendNs), p.at);
    frameData +=
        p.bytes.size() - 12 - LoadPacketLayout::kVp8DescriptorSize - LoadPayloadHeader::kSize;
    frameStart = p.marker();
  }
  EXPECT_EQ(frames, 120u);
  EXPECT_EQ(keyframes, 2u);
  EXPECT_TRUE(packets.back().marker());
  // Two whole keyframe intervals: the frame data is the configured rate within rounding.
  const double kbps = static_cast<double>(frameData) * 8 / 4.0 / 1000;
  EXPECT_NEAR(kbps, config.videoKbps, config.videoKbps * 0.005);
}

TEST(MediaSource, FrameStartsOnItsDueTimeAndPacketsShareTheFrame) {
  MediaSourceConfig config;
  config.packetSize = 500;
  MediaSource source(config, kStart);
  const auto packets = run(source, 100 * kMs);
  std::map<uint32_t, std::vector<size_t>> sizes;  // per frame timestamp
  for (const auto& p : packets) {
    sizes[p.ts()].push_back(p.bytes.size());
  }
  EXPECT_EQ(sizes.size(), 3u);  // frames due at 0, 33.3 and 66.7 ms
  for (const auto& [ts, s] : sizes) {
    // Equal shares: packet sizes of a frame differ by at most one byte.
    const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
    EXPECT_LE(*hi - *lo, 1u + LoadPacketLayout::kVp8KeyframeHeaderSize);
    EXPECT_LE(*hi, 500u);
  }
}

TEST(MediaSource, AudioIsFiftyPacketsASecondOnA48kHzClock) {
  MediaSourceConfig config;
  config.video = false;
  config.audio = true;
  MediaSource source(config, kStart);
  const auto packets = run(source, 1'000 * kMs);
  ASSERT_EQ(packets.size(), 50u);
  for (size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i];
    EXPECT_EQ(p.pt(), config.audioPayloadType);
    EXPECT_EQ(p.at, kStart + static_cast<int64_t>(i) * 20 * kMs);
    EXPECT_GE(p.payload().size(), MediaSource::kAudioMinPayload);
    EXPECT_LE(p.payload().size(), MediaSource::kAudioMaxPayload);
    EXPECT_EQ(p.payload()[0], LoadPacketLayout::kOpusToc);
    if (i > 0) {
      EXPECT_EQ(p.ts() - packets[i - 1].ts(), 960u);
      EXPECT_EQ(static_cast<uint16_t>(p.seq() - packets[i - 1].seq()), 1);
    }
    auto h = LoadPacketLayout::readHeader(p.payload(), false);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->counter, i);
  }
}

TEST(MediaSource, AudioAndVideoInterleaveWithTheirOwnCounters) {
  MediaSourceConfig config;
  config.audio = true;
  MediaSource source(config, kStart);
  const auto packets = run(source, 1'000 * kMs);
  uint32_t video = 0, audio = 0;
  for (const auto& p : packets) {
    const bool isVideo = p.pt() == config.videoPayloadType;
    auto h = LoadPacketLayout::readHeader(p.payload(), isVideo);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->counter, isVideo ? video++ : audio++);
  }
  EXPECT_EQ(audio, 50u);
  EXPECT_EQ(video, source.counters().videoPackets);
}

TEST(MediaSource, RateModeSendsFixedSizePacketsInBursts) {
  MediaSourceConfig config;
  config.ratePps = 10'000;
  config.packetSize = 1000;
  MediaSource source(config, kStart);
  const auto packets = run(source, 1'000 * kMs, 100 * kMs);
  // Packet k is due at k / rate; everything due before the end went out.
  EXPECT_NEAR(static_cast<double>(packets.size()), 10'000, 10);
  std::map<int64_t, int> bursts;
  for (const auto& p : packets) {
    ASSERT_EQ(p.bytes.size(), 1000u);
    ASSERT_TRUE(p.marker());
    ++bursts[p.at];
  }
  // Bursts at least 1 ms apart: about 1000 of about 10 packets.
  EXPECT_LE(bursts.size(), 1001u);
  int64_t previous = INT64_MIN / 2;
  for (const auto& [at, count] : bursts) {
    EXPECT_GE(at - previous, MediaSource::kMinBurstIntervalNs);
    previous = at;
  }
  EXPECT_EQ(source.counters().keyframes, 1u);  // at 0; the next is due at 2 s
}

// --burst-interval-us: a shorter interval gives more, smaller bursts at the same rate.
TEST(MediaSource, RateModeBurstIntervalIsConfigurable) {
  for (const int64_t interval : {250'000L, 4'000'000L}) {
    SCOPED_TRACE(interval);
    MediaSourceConfig config;
    config.ratePps = 10'000;
    config.burstIntervalNs = interval;
    MediaSource source(config, kStart);
    const auto packets = run(source, 1'000 * kMs, 100 * kMs);
    EXPECT_NEAR(static_cast<double>(packets.size()), 10'000, 40);
    std::map<int64_t, int> bursts;
    for (const auto& p : packets)
      ++bursts[p.at];
    const double expected = 1'000.0 * kMs / static_cast<double>(interval);
    EXPECT_NEAR(static_cast<double>(bursts.size()), expected, expected * 0.01 + 1);
    int64_t previous = INT64_MIN / 2;
    for (const auto& [at, count] : bursts) {
      EXPECT_GE(at - previous, interval);
      previous = at;
    }
  }
}

TEST(MediaSource, KeyframeRequestsAreHonouredButNotTooOften) {
  MediaSourceConfig config;
  config.keyframeIntervalS = 100;
  MediaSource source(config, kStart);
  run(source, 10 * kMs);  // frame 0: a keyframe
  EXPECT_EQ(source.counters().keyframes, 1u);
  source.requestKeyframe(kStart + 100 * kMs);  // within 300 ms of the last keyframe: ignored
  EXPECT_EQ(source.counters().keyframeRequests, 0u);
  source.requestKeyframe(kStart + 400 * kMs);
  EXPECT_EQ(source.counters().keyframeRequests, 1u);
  source.requestKeyframe(kStart + 401 * kMs);  // one already pending
  EXPECT_EQ(source.counters().keyframeRequests, 1u);
  std::array<uint8_t, 1500> buffer{};
  std::array<std::span<uint8_t>, 1> buffers{buffer};
  std::array<size_t, 1> lengths{};
  ASSERT_EQ(source.produce(kStart + 40 * kMs, buffers, lengths), 1u);  // frame 1's first packet
  auto d = rtp::Vp8PayloadDescriptor::parse(std::span(buffer).subspan(12, lengths[0] - 12));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->isKeyframe());
  EXPECT_EQ(source.counters().keyframes, 2u);
}

}  // namespace
}  // namespace switchyard::bench
