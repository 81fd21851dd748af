// LoadReceiver on packets from MediaSource, without sockets: with SRTP, the first packets are
// unprotected to check the keys, but only every decryptEvery-th packet is timed, so that the
// latency sample weighs each copy alike; without sampling every packet is timed.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "bench/LoadReceiver.hpp"
#include "bench/MediaSource.hpp"
#include "transport/SrtpSession.hpp"

namespace switchyard::bench {
namespace {

using transport::SrtpProfile;
using transport::SrtpSession;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kStart = 1'000 * kMs;
constexpr size_t kPackets = 64;
// The run's first packets arrive late (a forwarder's start-up), the rest on time.
constexpr size_t kLateFirst = LoadReceiver::kAlwaysDecryptFirst;
constexpr int64_t kLateNs = 5 * kMs;
constexpr int64_t kOnTimeNs = kMs / 10;

struct Received {
  LoadReceiver::Counters counters;
  uint64_t timed = 0;
  uint64_t kernelTimed = 0;
  uint64_t maxUs = 0;
};

Received receive(unsigned decryptEvery) {
  const std::array<uint8_t, 30> key = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                       16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
  auto out = SrtpSession::create(SrtpSession::Direction::kOutbound,
                                 SrtpProfile::kAes128CmHmacSha1_80, key);
  auto in =
      SrtpSession::create(SrtpSession::Direction::kInbound, SrtpProfile::kAes128CmHmacSha1_80, key);
  EXPECT_TRUE(out && in);
  if (!out || !in) return {};
  LoadReceiverOptions options;
  options.decryptEvery = decryptEvery;
  LoadReceiver receiver(-1, 0, std::move(*in), options);

  MediaSourceConfig config;
  config.ratePps = 1000;  // one packet per 1 ms burst
  MediaSource source(config, kStart);
  std::array<uint8_t, 1500> storage{};
  std::vector<std::span<uint8_t>> buffers = {storage};
  std::vector<size_t> lengths(1);
  size_t sent = 0;
  for (int64_t now = kStart; sent < kPackets; now += kMs) {
    if (source.produce(now, buffers, lengths) != 1) continue;
    auto length = (*out)->protectRtp(storage, lengths[0]);
    EXPECT_TRUE(length);
    if (!length) return {};
    const int64_t arrival = now + (sent < kLateFirst ? kLateNs : kOnTimeNs);
    receiver.onDatagram(std::span(storage).first(*length), arrival, arrival);
    ++sent;
  }
  return {receiver.counters(), receiver.latency().count(), receiver.kernelLatency().count(),
          receiver.latency().max()};
}

TEST(LoadReceiver, WithSrtpOnlyTheRegularSampleIsTimed) {
  const Received r = receive(16);
  EXPECT_EQ(r.counters.rtpPackets, kPackets);
  // The first four checked the keys, then every 16th: 16, 32, 48, 64.
  EXPECT_EQ(r.counters.decryptAttempts, kLateFirst + kPackets / 16);
  EXPECT_EQ(r.counters.decryptFailures, 0u);
  EXPECT_EQ(r.counters.unreadable, 0u);
  EXPECT_EQ(r.timed, kPackets / 16);
  EXPECT_EQ(r.kernelTimed, kPackets / 16);
  EXPECT_LT(r.maxUs, static_cast<uint64_t>(kLateNs / LoadReceiver::kNsPerUs))
      << "a late first packet was timed, and weighed 16 times its share";
}

TEST(LoadReceiver, UnsampledEveryPacketIsTimedTheLateOnesToo) {
  const Received r = receive(1);
  EXPECT_EQ(r.counters.decryptAttempts, kPackets);
  EXPECT_EQ(r.timed, kPackets);
  EXPECT_GE(r.maxUs, static_cast<uint64_t>(kLateNs / LoadReceiver::kNsPerUs));
}

}  // namespace
}  // namespace switchyard::bench
