// ReceiveStatistics: RFC 3550 A.1 sequence validation (probation, MAX_DROPOUT, MAX_MISORDER,
// restarts), A.3 loss and fraction lost, A.8 jitter, 6.4.1 report block fields (24-bit clamp,
// LSR/DLSR), and random lossy streams checked against a counting model.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "rtp/ReceiveStatistics.hpp"

namespace switchyard::rtp {
namespace {

constexpr uint32_t kSsrc = 0x11223344;
constexpr uint32_t kVideoRate = 90000;
constexpr uint32_t kAudioRate = 8000;

// Feeds seqs with a fixed timestamp/arrival cadence; returns the validity of each.
std::vector<bool> feed(ReceiveStatistics& stats, const std::vector<uint16_t>& seqs) {
  std::vector<bool> valid;
  int64_t t = 0;
  for (uint16_t s : seqs) {
    valid.push_back(stats.onPacket(s, static_cast<uint32_t>(s) * 3000, t));
    t += 33'333;
  }
  return valid;
}

struct SeqCase {
  std::string name;
  std::vector<uint16_t> seqs;
  std::vector<bool> valid;
  uint32_t extHighest;
  int64_t expected;
  uint64_t received;
  int64_t lost;
  uint64_t restarts = 0;
};

// RFC 3550 A.1 / A.3 over hand-made sequences.
TEST(ReceiveStatistics, SequenceTable) {
  const std::vector<SeqCase> cases = {
      {"probation then in order", {100, 101, 102, 103}, {false, true, true, true}, 103, 3, 3, 0},
      {"loss", {100, 101, 103, 106}, {false, true, true, true}, 106, 6, 3, 3},
      {"wrap 65535 to 0",
       {65533, 65534, 65535, 0, 1},
       {false, true, true, true, true},
       65537,
       4,
       4,
       0},
      {"reorder across wrap",
       {65533, 65534, 65535, 1, 0, 2},
       {false, true, true, true, true, true},
       65538,
       5,
       5,
       0},
      {"probation across wrap (numbering restarts at the base)",
       {65535, 0, 1},
       {false, true, true},
       1,
       2,
       2,
       0},
      {"broken probation restarts it", {10, 12, 13, 14}, {false, false, true, true}, 14, 2, 2, 0},
      {"duplicates count (lost goes negative)",
       {1, 2, 3, 3, 3},
       {false, true, true, true, true},
       3,
       2,
       4,
       -2},
      {"reordered within MAX_MISORDER is counted",
       {1000, 1001, 1002, 950},
       {false, true, true, true},
       1002,
       2,
       3,
       -1},
      {"jump just under MAX_DROPOUT is loss",
       {1, 2, 3001},
       {false, true, true},
       3001,
       3000,
       2,
       2998},
      {"jump of MAX_DROPOUT waits for confirmation",
       {1, 2, 3002, 3},
       {false, true, false, true},
       3,
       2,
       2,
       0},
      {"confirmed large jump restarts",
       {1, 2, 3, 5000, 5001, 5002},
       {false, true, true, false, true, true},
       5002,
       2,
       2,
       0,
       1},
      {"99 behind is reordering", {1000, 1001, 902}, {false, true, true}, 1001, 1, 2, -1},
      {"100 behind is a jump", {1000, 1001, 901, 1002}, {false, true, false, true}, 1002, 2, 2, 0},
      {"confirmed jump backwards restarts",
       {1000, 1001, 1002, 800, 801, 802},
       {false, true, true, false, true, true},
       802,
       2,
       2,
       0,
       1},
      {"unconfirmed jump forgotten by a different one",
       {1, 2, 9000, 20000, 20001},
       {false, true, false, false, true},
       20001,
       1,
       1,
       0,
       1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ReceiveStatistics stats(kSsrc, kVideoRate);
    EXPECT_EQ(feed(stats, c.seqs), c.valid);
    EXPECT_TRUE(stats.valid());
    EXPECT_EQ(stats.extendedHighestSeq(), c.extHighest);
    EXPECT_EQ(stats.expected(), c.expected);
    EXPECT_EQ(stats.received(), c.received);
    EXPECT_EQ(stats.cumulativeLost(), c.lost);
    EXPECT_EQ(stats.restarts(), c.restarts);
  }
}

TEST(ReceiveStatistics, NoReportBlockDuringProbation) {
  ReceiveStatistics stats(kSsrc, kVideoRate);
  EXPECT_FALSE(stats.makeReportBlock(0));
  EXPECT_FALSE(stats.onPacket(5, 0, 0));
  EXPECT_FALSE(stats.valid());
  EXPECT_FALSE(stats.makeReportBlock(0));
  EXPECT_EQ(stats.invalidPackets(), 1u);
  EXPECT_TRUE(stats.onPacket(6, 0, 0));
  EXPECT_TRUE(stats.makeReportBlock(0));
}

TEST(ReceiveStatistics, ExtendedHighestCountsManyWraps) {
  ReceiveStatistics stats(kSsrc, kVideoRate);
  uint16_t seq = 0;
  stats.onPacket(seq, 0, 0);
  for (int i = 0; i < 3 * 65536; ++i)
    stats.onPacket(++seq, 0, 0);
  EXPECT_EQ(stats.extendedHighestSeq(), 3u * 65536u);
  EXPECT_EQ(stats.cumulativeLost(), 0);
  EXPECT_EQ(stats.expected(), 3 * 65536);
}

// RFC 3550 A.3: fraction lost per report interval, 8-bit fixed point.
TEST(ReceiveStatistics, FractionLostPerInterval) {
  ReceiveStatistics stats(kSsrc, kVideoRate);
  stats.onPacket(0, 0, 0);
  // Interval 1: 1..10 expected, 3 lost (4, 5, 9).
  for (uint16_t s : {1, 2, 3, 6, 7, 8, 10})
    stats.onPacket(s, 0, 0);
  auto rb = stats.makeReportBlock(0);
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->fractionLost, (3 << 8) / 10);
  EXPECT_EQ(rb->cumulativeLost, 3);
  EXPECT_EQ(rb->extendedHighestSeq, 10u);
  EXPECT_EQ(rb->ssrc, kSsrc);
  EXPECT_FALSE(stats.receivedSinceLastReport());

  // Interval 2: 11..14, none lost; a late 9 makes the interval's loss negative: reported as 0.
  for (uint16_t s : {11, 12, 9, 13, 14})
    stats.onPacket(s, 0, 0);
  rb = stats.makeReportBlock(0);
  EXPECT_EQ(rb->fractionLost, 0);
  EXPECT_EQ(rb->cumulativeLost, 2);

  // Interval 3: 15..18, one in two lost.
  for (uint16_t s : {16, 18})
    stats.onPacket(s, 0, 0);
  rb = stats.makeReportBlock(0);
  EXPECT_EQ(rb->fractionLost, 128);
  EXPECT_EQ(rb->cumulativeLost, 4);

  // Interval 4: nothing arrived.
  rb = stats.makeReportBlock(0);
  EXPECT_EQ(rb->fractionLost, 0);
  EXPECT_EQ(rb->cumulativeLost, 4);
}

TEST(ReceiveStatistics, FractionLostNearlyAllLost) {
  ReceiveStatistics stats(kSsrc, kVideoRate);
  stats.onPacket(0, 0, 0);
  stats.onPacket(1, 0, 0);
  stats.makeReportBlock(0);
  stats.onPacket(2001, 0, 0);  // 1999 of 2000 lost
  EXPECT_EQ(stats.makeReportBlock(0)->fractionLost, (1999 << 8) / 2000);
}

// RFC 3550 6.4.1: cumulative lost is a signed 24-bit field; the value is clamped, not wrapped.
TEST(ReceiveStatistics, CumulativeLostClampsTo24Bits) {
  ReceiveStatistics up(kSsrc, kVideoRate);
  uint16_t seq = 0;
  up.onPacket(seq, 0, 0);
  up.onPacket(++seq, 0, 0);
  while (up.cumulativeLost() <= kMaxCumulativeLost) {
    seq = static_cast<uint16_t>(seq + kMaxDropout - 1);
    ASSERT_TRUE(up.onPacket(seq, 0, 0));
  }
  EXPECT_GT(up.cumulativeLost(), kMaxCumulativeLost);
  EXPECT_EQ(up.makeReportBlock(0)->cumulativeLost, kMaxCumulativeLost);

  ReceiveStatistics down(kSsrc, kVideoRate);
  down.onPacket(0, 0, 0);
  down.onPacket(1, 0, 0);
  for (int i = 0; i <= -kMinCumulativeLost + 1; ++i)
    down.onPacket(1, 0, 0);
  EXPECT_LT(down.cumulativeLost(), kMinCumulativeLost);
  EXPECT_EQ(down.makeReportBlock(0)->cumulativeLost, kMinCumulativeLost);
}

struct JitterStep {
  uint16_t seq;
  uint32_t ts;
  int64_t arrivalUs;
  uint32_t jitter;  // reported after this packet
};

// RFC 3550 A.8 in its integer form: J16 += |D| - ((J16 + 8) >> 4), reported J16 >> 4.
TEST(ReceiveStatistics, JitterTable) {
  struct Case {
    std::string name;
    uint32_t rate;
    std::vector<JitterStep> steps;
  };
  const std::vector<Case> cases = {
      {"steady audio has none",
       kAudioRate,
       {{0, 0, 0, 0}, {1, 160, 20'000, 0}, {2, 320, 40'000, 0}, {3, 480, 60'000, 0}}},
      {"late then early audio",
       kAudioRate,
       {// First packet on probation; the second starts the samples.
        {0, 0, 0, 0},
        {1, 160, 20'000, 0},
        // 25 ms for 20 ms of media: D = 40 units, J16 = 40.
        {2, 320, 45'000, 2},
        // 15 ms for 20 ms: D = -40, J16 = 40 - 3 + 40 = 77.
        {3, 480, 60'000, 4},
        // On time: D = 0, J16 = 77 - 5 = 72.
        {4, 640, 80'000, 4}}},
      {"same timestamp (one frame) is not sampled",
       kVideoRate,
       {{0, 0, 0, 0},
        {1, 3000, 33'333, 0},
        {2, 3000, 40'000, 0},  // paced packet of the same frame
        {3, 3000, 50'000, 0},
        {4, 6000, 66'667, 0}}},
      {"reordered packets are not sampled",
       kAudioRate,
       {{10, 0, 0, 0}, {11, 160, 20'000, 0}, {13, 480, 60'000, 0}, {12, 320, 90'000, 0}}},
      {"timestamp wrap",
       kAudioRate,
       {{0, 0xFFFFFF00u, 0, 0},
        {1, 0xFFFFFFA0u, 20'000, 0},
        {2, 0x40u, 40'000, 0},
        {3, 0xE0u, 60'000, 0}}},
      {"rounds arrival to the nearest unit",
       kVideoRate,
       {{0, 0, 0, 0}, {1, 3000, 33'333, 0}, {2, 6000, 66'667, 0}, {3, 9000, 100'000, 0}}},
      {"clock rate 0 disables", 0, {{0, 0, 0, 0}, {1, 160, 20'000, 0}, {2, 320, 900'000, 0}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ReceiveStatistics stats(kSsrc, c.rate);
    for (const auto& s : c.steps) {
      stats.onPacket(s.seq, s.ts, s.arrivalUs);
      EXPECT_EQ(stats.jitter(), s.jitter) << "after seq " << s.seq;
    }
  }
}

// The integer filter tracks the RFC's real-valued J += (|D| - J) / 16 closely.
TEST(ReceiveStatistics, JitterFollowsTheRealValuedFilter) {
  std::mt19937 rng(42);
  ReceiveStatistics stats(kSsrc, kVideoRate);
  double j = 0;
  double lastTransit = 0;
  bool haveTransit = false;
  for (uint16_t seq = 0; seq < 3000; ++seq) {
    const uint32_t ts = static_cast<uint32_t>(seq) * 3000;
    const int64_t arrivalUs = static_cast<int64_t>(seq) * 33'333 + rng() % 20'000;
    stats.onPacket(seq, ts, arrivalUs);
    if (seq == 0) continue;  // probation
    const double transit = std::round(arrivalUs * 0.09) - ts;
    if (haveTransit) j += (std::fabs(transit - lastTransit) - j) / 16;
    lastTransit = transit;
    haveTransit = true;
  }
  EXPECT_GT(j, 100.0);  // the arrival noise is real: up to 1800 units
  EXPECT_NEAR(stats.jitter(), j, 2.0);
}

TEST(ReceiveStatistics, JitterSamplesRestartAfterSequenceRestart) {
  ReceiveStatistics stats(kSsrc, kAudioRate);
  stats.onPacket(0, 0, 0);
  stats.onPacket(1, 160, 20'000);
  stats.onPacket(2, 320, 40'000);
  ASSERT_EQ(stats.jitter(), 0u);
  // Sender restarts: new sequence and timestamp bases.
  EXPECT_FALSE(stats.onPacket(40000, 123456789, 60'000));
  EXPECT_TRUE(stats.onPacket(40001, 123456949, 80'000));
  EXPECT_TRUE(stats.onPacket(40002, 123457109, 100'000));
  EXPECT_EQ(stats.restarts(), 1u);
  EXPECT_EQ(stats.jitter(), 0u);
}

// RFC 3550 6.4.1 LSR and DLSR (1/65536 s).
TEST(ReceiveStatistics, LastSrAndDelay) {
  ReceiveStatistics stats(kSsrc, kVideoRate);
  stats.onPacket(0, 0, 0);
  stats.onPacket(1, 0, 0);
  auto rb = stats.makeReportBlock(1'000'000);
  EXPECT_EQ(rb->lastSr, 0u);
  EXPECT_EQ(rb->delaySinceLastSr, 0u);

  stats.onSenderReport(0x12345678, 1'000'000);
  rb = stats.makeReportBlock(1'500'000);
  EXPECT_EQ(rb->lastSr, 0x12345678u);
  EXPECT_EQ(rb->delaySinceLastSr, 32768u);
  rb = stats.makeReportBlock(3'000'000);
  EXPECT_EQ(rb->delaySinceLastSr, 2u * 65536u);
  rb = stats.makeReportBlock(1'000'015);  // 15 us = 0.98 units, truncated
  EXPECT_EQ(rb->delaySinceLastSr, 0u);
  rb = stats.makeReportBlock(999'000);  // clock before the SR: no negative delay
  EXPECT_EQ(rb->delaySinceLastSr, 0u);

  stats.onSenderReport(0xAABBCCDD, 4'000'000);
  rb = stats.makeReportBlock(4'250'000);
  EXPECT_EQ(rb->lastSr, 0xAABBCCDDu);
  EXPECT_EQ(rb->delaySinceLastSr, 16384u);
}

TEST(ReceiveStatistics, FullReportBlock) {
  ReceiveStatistics stats(kSsrc, kAudioRate);
  const std::vector<JitterStep> steps = {
      {0, 0, 0, 0}, {1, 160, 20'000, 0}, {2, 320, 45'000, 0}, {4, 640, 85'000, 0}};
  for (const auto& s : steps)
    stats.onPacket(s.seq, s.ts, s.arrivalUs);
  stats.onSenderReport(0x01020304, 50'000);
  const ReportBlockFields expected{.ssrc = kSsrc,
                                   .fractionLost = (1 << 8) / 4,
                                   .cumulativeLost = 1,
                                   .extendedHighestSeq = 4,
                                   // J16 = 40, then D = 0: 40 - 3 = 37.
                                   .jitter = 37 >> 4,
                                   .lastSr = 0x01020304,
                                   .delaySinceLastSr = 65536 / 10};
  EXPECT_EQ(stats.makeReportBlock(150'000), expected);
}

TEST(ReceiveStatistics, ResetIsANewSource) {
  ReceiveStatistics stats(kSsrc, kVideoRate);
  feed(stats, {10, 11, 12, 15});
  stats.onSenderReport(1, 0);
  ASSERT_EQ(stats.cumulativeLost(), 2);
  stats.reset();
  EXPECT_FALSE(stats.valid());
  EXPECT_EQ(stats.ssrc(), kSsrc);
  EXPECT_EQ(stats.clockRate(), kVideoRate);
  EXPECT_FALSE(stats.makeReportBlock(0));
  // A new SSRC's numbering starts anywhere, and goes through probation again.
  EXPECT_FALSE(stats.onPacket(50000, 0, 0));
  EXPECT_TRUE(stats.onPacket(50001, 0, 0));
  EXPECT_EQ(stats.cumulativeLost(), 0);
  EXPECT_EQ(stats.makeReportBlock(0)->lastSr, 0u);
}

// Model test: random streams with loss, reordering (within MAX_MISORDER) and duplication,
// checked against counts kept on the true extended sequence numbers.
TEST(ReceiveStatistics, RandomStreamsMatchTheModel) {
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed);
    // Starts shortly before a wrap (the RFC numbers the base's cycle as 0).
    const int64_t start = 65536 - 500 + static_cast<int64_t>(rng() % 400);
    ReceiveStatistics stats(kSsrc, kVideoRate);

    // The first two arrive in order to end probation.
    ASSERT_FALSE(stats.onPacket(static_cast<uint16_t>(start), 0, 0));
    ASSERT_TRUE(stats.onPacket(static_cast<uint16_t>(start + 1), 0, 0));
    const int64_t base = start + 1;
    int64_t maxExt = base;
    uint64_t received = 1;
    int64_t expectedPrior = 0;
    uint64_t receivedPrior = 0;

    std::deque<int64_t> delayed;  // packets held back to arrive out of order
    auto deliver = [&](int64_t ext) {
      ASSERT_TRUE(stats.onPacket(static_cast<uint16_t>(ext), 0, 0)) << ext;
      ++received;
      maxExt = std::max(maxExt, ext);
    };
    for (int64_t ext = start + 2; ext < start + 20000; ++ext) {
      const int r = static_cast<int>(rng() % 100);
      if (r < 8) continue;  // lost
      if (r < 16) {
        delayed.push_back(ext);  // arrives later
      } else {
        deliver(ext);
        if (r < 19) deliver(ext);  // duplicated
      }
      // Release held packets at random, never more than ~60 behind.
      while (!delayed.empty() && (rng() % 4 == 0 || ext - delayed.front() > 60)) {
        deliver(delayed.front());
        delayed.pop_front();
      }
      if (rng() % 500 == 0) {
        const int64_t expected = maxExt - base + 1;
        const int64_t expectedInterval = expected - expectedPrior;
        const int64_t lostInterval =
            expectedInterval - static_cast<int64_t>(received - receivedPrior);
        expectedPrior = expected;
        receivedPrior = received;
        const auto rb = stats.makeReportBlock(0);
        ASSERT_TRUE(rb);
        EXPECT_EQ(rb->extendedHighestSeq, static_cast<uint32_t>(maxExt));
        EXPECT_EQ(rb->cumulativeLost, expected - static_cast<int64_t>(received));
        const int fraction = (expectedInterval > 0 && lostInterval > 0)
                                 ? static_cast<int>((lostInterval << 8) / expectedInterval)
                                 : 0;
        EXPECT_EQ(rb->fractionLost, fraction);
      }
    }
    for (int64_t ext : delayed)
      deliver(ext);
    EXPECT_EQ(stats.received(), received);
    EXPECT_EQ(stats.extendedHighestSeq(), static_cast<uint32_t>(maxExt));
    EXPECT_EQ(stats.cumulativeLost(), (maxExt - base + 1) - static_cast<int64_t>(received));
    EXPECT_EQ(stats.restarts(), 0u);
  }
}

}  // namespace
}  // namespace switchyard::rtp
