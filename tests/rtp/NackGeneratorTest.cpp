// NackGenerator: reorder tolerance, RTT-spaced retries, giving up (retries, age), overflow and
// keyframe trimming, wrap, restarts, and random network simulations checked step by step
// against a std::map reference model.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "rtp/NackGenerator.hpp"

namespace switchyard::rtp {
namespace {

std::vector<uint16_t> collect(NackGenerator& g, int64_t nowMs, bool* keyframe = nullptr) {
  std::array<uint16_t, 2 * kDefaultMaxNackEntries> buf{};
  const NackBatch b = g.collect(nowMs, buf);
  if (keyframe != nullptr) *keyframe = b.keyframeRequired;
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(b.count)};
}

// One step of a scripted scenario.
struct Step {
  enum Kind { kPacket, kCollect, kRtt, kClear } kind;
  int64_t t = 0;
  uint16_t seq = 0;
  NackPacketInfo info{};
  std::vector<uint16_t> nacks{};
  bool keyframe = false;  // expected keyframeRequired from the packet or the collect
};
Step pkt(uint16_t seq, int64_t t, bool keyframeRequired = false) {
  return {.kind = Step::kPacket, .t = t, .seq = seq, .keyframe = keyframeRequired};
}
Step keyPkt(uint16_t seq, int64_t t) {
  return {.kind = Step::kPacket, .t = t, .seq = seq, .info = {.keyframe = true}};
}
Step rtxPkt(uint16_t seq, int64_t t) {
  return {.kind = Step::kPacket, .t = t, .seq = seq, .info = {.retransmitted = true}};
}
Step nack(int64_t t, std::vector<uint16_t> seqs, bool keyframeRequired = false) {
  return {.kind = Step::kCollect, .t = t, .nacks = std::move(seqs), .keyframe = keyframeRequired};
}
Step rtt(int64_t ms) {
  return {.kind = Step::kRtt, .t = ms};
}
Step clearTo(uint16_t seq) {
  return {.kind = Step::kClear, .seq = seq};
}

struct Scenario {
  std::string name;
  NackGeneratorConfig config;
  std::vector<Step> steps;
};

TEST(NackGenerator, Scenarios) {
  const NackGeneratorConfig dflt;
  NackGeneratorConfig twoRetries;
  twoRetries.maxRetries = 2;
  NackGeneratorConfig shortAge;
  shortAge.maxAgeMs = 300;
  NackGeneratorConfig tenEntries;
  tenEntries.maxEntries = 10;

  const std::vector<Scenario> scenarios = {
      {"no loss, no NACK", dflt, {pkt(0, 0), pkt(1, 1), pkt(2, 2), nack(100, {})}},
      {"gap waits out the reorder delay",
       dflt,
       {pkt(0, 0), pkt(1, 1), pkt(3, 2), nack(2, {}), nack(11, {}), nack(12, {2})}},
      {"gap NACKed once three newer packets arrived",
       dflt,
       {pkt(0, 0), pkt(2, 1), nack(1, {}), pkt(3, 2), nack(2, {}), pkt(4, 3), nack(3, {1})}},
      {"reordered within the tolerance is never NACKed",
       dflt,
       {pkt(0, 0), pkt(2, 1), pkt(1, 5), nack(50, {}), nack(500, {})}},
      {"retries spaced by the RTT",
       dflt,
       {rtt(50), pkt(0, 0), pkt(2, 0), nack(10, {1}), nack(59, {}), nack(60, {1}), nack(109, {}),
        nack(110, {1})}},
      {"RTT has a floor",
       dflt,
       {rtt(1), pkt(0, 0), pkt(2, 0), nack(10, {1}), nack(29, {}), nack(30, {1})}},
      {"wrap 65535 to 0", dflt, {pkt(65533, 0), pkt(65534, 1), pkt(1, 2), nack(20, {65535, 0})}},
      {"reorder across wrap", dflt, {pkt(65534, 0), pkt(0, 1), pkt(65535, 2), nack(20, {})}},
      {"duplicates change nothing",
       dflt,
       {pkt(5, 0), pkt(5, 1), pkt(7, 2), pkt(7, 3), pkt(5, 4), nack(20, {6})}},
      {"retransmission takes it off the list",
       dflt,
       {pkt(0, 0), pkt(2, 0), nack(10, {1}), rtxPkt(1, 60), nack(200, {})}},
      {"recovered ahead of the newest is not NACKed",
       dflt,
       {pkt(0, 0), rtxPkt(3, 1), pkt(5, 2), nack(20, {1, 2, 4})}},
      {"several gaps in ascending order",
       dflt,
       {pkt(10, 0), pkt(12, 1), pkt(15, 2), pkt(16, 3), nack(20, {11, 13, 14})}},
      {"given up after max retries, keyframe asked",
       twoRetries,
       {pkt(0, 0), pkt(2, 0), nack(10, {1}), nack(110, {1}), nack(209, {}), nack(210, {}, true),
        nack(400, {})}},
      {"given up past the max age",
       shortAge,
       {pkt(0, 0), pkt(2, 0), nack(10, {1}), nack(110, {1}), nack(210, {1}), nack(300, {}),
        nack(301, {}, true)}},
      // 8..14 would make 12 > 10, but 1..5 only served frames before the keyframe at 7.
      {"overflow trims to a keyframe first",
       tenEntries,
       {pkt(0, 0), pkt(6, 0), keyPkt(7, 0), pkt(15, 0), nack(20, {8, 9, 10, 11, 12, 13, 14})}},
      {"overflow without a keyframe clears and asks for one",
       tenEntries,
       {pkt(0, 0), pkt(6, 0), pkt(15, 0, true), nack(20, {}), pkt(17, 20), nack(40, {16})}},
      {"cleared up to a keyframe",
       dflt,
       {pkt(0, 0), pkt(2, 0), pkt(5, 0), clearTo(4), nack(20, {4})}},
  };
  for (const auto& sc : scenarios) {
    SCOPED_TRACE(sc.name);
    NackGenerator g(sc.config);
    for (size_t i = 0; i < sc.steps.size(); ++i) {
      const Step& s = sc.steps[i];
      SCOPED_TRACE("step " + std::to_string(i));
      switch (s.kind) {
        case Step::kPacket:
          EXPECT_EQ(g.onPacket(s.seq, s.t, s.info).keyframeRequired, s.keyframe);
          break;
        case Step::kCollect: {
          bool keyframe = false;
          EXPECT_EQ(collect(g, s.t, &keyframe), s.nacks);
          EXPECT_EQ(keyframe, s.keyframe);
          break;
        }
        case Step::kRtt:
          g.setRtt(s.t);
          break;
        case Step::kClear:
          g.clearOlderThan(s.seq);
          break;
      }
    }
  }
}

TEST(NackGenerator, ArrivalReportsWhatItRepaired) {
  NackGenerator g;
  g.onPacket(0, 0);
  g.onPacket(4, 0);
  EXPECT_EQ(collect(g, 10), (std::vector<uint16_t>{1, 2, 3}));
  EXPECT_EQ(collect(g, 110), (std::vector<uint16_t>{1, 2, 3}));
  EXPECT_TRUE(g.isMissing(1));

  const NackPacketResult r = g.onPacket(1, 150, {.retransmitted = true});
  EXPECT_TRUE(r.wasMissing);
  EXPECT_EQ(r.nacksSent, 2);
  EXPECT_FALSE(g.isMissing(1));

  const NackPacketResult dup = g.onPacket(1, 151);
  EXPECT_FALSE(dup.wasMissing);

  g.clearOlderThan(3);  // 2 goes; 3 stays
  EXPECT_EQ(g.missingCount(), 1u);
  EXPECT_TRUE(g.onPacket(3, 160).wasMissing);
  EXPECT_EQ(g.missingCount(), 0u);
  EXPECT_EQ(g.nacksSent(), 6u);
  EXPECT_EQ(g.packetsRepaired(), 2u);
}

TEST(NackGenerator, OverflowClearsAndAsksForKeyframe) {
  NackGeneratorConfig cfg;
  cfg.maxEntries = 10;
  NackGenerator g(cfg);
  g.onPacket(0, 0);
  EXPECT_FALSE(g.onPacket(5, 0).keyframeRequired);  // 4 missing
  EXPECT_EQ(g.missingCount(), 4u);
  EXPECT_TRUE(g.onPacket(13, 1).keyframeRequired);  // 4 + 7 > 10
  EXPECT_EQ(g.missingCount(), 0u);
  EXPECT_EQ(g.overflows(), 1u);
  EXPECT_EQ(g.packetsGivenUp(), 4u);
  EXPECT_FALSE(g.onPacket(14, 2).keyframeRequired);
  EXPECT_EQ(collect(g, 100), std::vector<uint16_t>{});
  // Exactly at the bound is fine.
  EXPECT_FALSE(g.onPacket(25, 3).keyframeRequired);
  EXPECT_EQ(g.missingCount(), 10u);
}

TEST(NackGenerator, GapBeforeAKeyframeNeedsNoRepair) {
  NackGeneratorConfig cfg;
  cfg.maxEntries = 10;
  NackGenerator g(cfg);
  g.onPacket(0, 0);
  g.onPacket(3, 0);
  EXPECT_FALSE(g.onPacket(60, 0, {.keyframe = true}).keyframeRequired);
  EXPECT_EQ(g.missingCount(), 0u);
}

TEST(NackGenerator, HugeJumpAsksForKeyframe) {
  NackGenerator g;
  g.onPacket(100, 0);
  EXPECT_TRUE(g.onPacket(30100, 0).keyframeRequired);
  EXPECT_EQ(g.missingCount(), 0u);
  g.onPacket(30102, 0);
  EXPECT_EQ(collect(g, 20), std::vector<uint16_t>{30101});
}

TEST(NackGenerator, EntriesBeyondThePacketAgeAreGivenUp) {
  NackGeneratorConfig cfg;
  cfg.maxAgePackets = 100;
  NackGenerator g(cfg);
  g.onPacket(0, 0);
  g.onPacket(2, 0);
  EXPECT_FALSE(g.onPacket(101, 0).keyframeRequired);  // 1 is exactly 100 behind: kept
  EXPECT_TRUE(g.isMissing(1));
  EXPECT_TRUE(g.onPacket(102, 0).keyframeRequired);
  EXPECT_FALSE(g.isMissing(1));
  EXPECT_TRUE(g.isMissing(3));
  EXPECT_EQ(g.packetsGivenUp(), 1u);
}

TEST(NackGenerator, SmallOutputTakesTheRestNextTime) {
  NackGenerator g;
  g.onPacket(0, 0);
  g.onPacket(6, 0);
  std::array<uint16_t, 2> two{};
  auto take = [&](int64_t t) {
    const NackBatch b = g.collect(t, two);
    return std::vector<uint16_t>(two.begin(), two.begin() + static_cast<std::ptrdiff_t>(b.count));
  };
  EXPECT_EQ(take(20), (std::vector<uint16_t>{1, 2}));
  EXPECT_EQ(take(20), (std::vector<uint16_t>{3, 4}));
  EXPECT_EQ(take(20), (std::vector<uint16_t>{5}));
  EXPECT_EQ(take(20), std::vector<uint16_t>{});
  EXPECT_EQ(take(120), (std::vector<uint16_t>{1, 2}));
  EXPECT_EQ(g.collect(120, std::span<uint16_t>{}).count, 0u);
}

TEST(NackGenerator, SequenceRestartIsFollowed) {
  NackGenerator g;
  g.onPacket(20000, 0);
  g.onPacket(20001, 0);
  // Retransmissions of ancient packets are not a restart.
  g.onPacket(100, 1, {.retransmitted = true});
  g.onPacket(101, 1, {.retransmitted = true});
  EXPECT_EQ(g.restarts(), 0u);
  // Two in sequence, far behind: the sender started over.
  g.onPacket(5, 2);
  EXPECT_EQ(g.restarts(), 0u);
  g.onPacket(6, 3);
  EXPECT_EQ(g.restarts(), 1u);
  g.onPacket(8, 4);
  EXPECT_EQ(collect(g, 20), std::vector<uint16_t>{7});
}

TEST(NackGenerator, ResetForANewSsrc) {
  NackGenerator g;
  g.onPacket(0, 0);
  g.onPacket(10, 0);
  ASSERT_EQ(g.missingCount(), 9u);
  g.setRtt(40);
  g.reset();
  EXPECT_EQ(g.missingCount(), 0u);
  EXPECT_EQ(g.rtt(), 40);
  g.onPacket(50000, 100);  // anywhere: the first packet of the new stream
  g.onPacket(50002, 100);
  EXPECT_EQ(collect(g, 120), std::vector<uint16_t>{50001});
  EXPECT_EQ(collect(g, 159), std::vector<uint16_t>{});
  EXPECT_EQ(collect(g, 160), std::vector<uint16_t>{50001});
}

// The ring of entries keeps order and bounds through many insertions and removals in the middle
// (tombstones behind a long-lived oldest entry force compactions).
TEST(NackGenerator, ManyHolesFilledOutOfOrder) {
  NackGeneratorConfig cfg;
  cfg.maxEntries = 8;
  cfg.maxAgePackets = 30000;
  cfg.maxAgeMs = 1000000;
  NackGenerator g(cfg);
  uint16_t seq = 60000;
  g.onPacket(seq, 0);
  seq = static_cast<uint16_t>(seq + 2);  // seq - 1 stays missing throughout
  g.onPacket(seq, 0);
  for (int round = 0; round < 5000; ++round) {
    // Lose 3, receive 1, then repair the middle one.
    const uint16_t base = seq;
    seq = static_cast<uint16_t>(seq + 4);
    ASSERT_FALSE(g.onPacket(seq, round).keyframeRequired) << round;
    ASSERT_TRUE(g.onPacket(static_cast<uint16_t>(base + 2), round).wasMissing);
    // Two rounds later the other two get repaired, so at most 1 + 2 + 2 + 3 are missing.
    if (round >= 2) {
      const uint16_t old = static_cast<uint16_t>(base - 8);
      ASSERT_TRUE(g.onPacket(static_cast<uint16_t>(old + 1), round).wasMissing) << round;
      ASSERT_TRUE(g.onPacket(static_cast<uint16_t>(old + 3), round).wasMissing) << round;
    }
    ASSERT_LE(g.missingCount(), 8u);
  }
  EXPECT_EQ(g.overflows(), 0u);
  EXPECT_EQ(g.missingCount(), 5u);
  EXPECT_TRUE(g.isMissing(60001));
  const auto nacks = collect(g, 10000);
  ASSERT_EQ(nacks.size(), 5u);
  EXPECT_EQ(nacks[0], 60001);
  EXPECT_TRUE(std::is_sorted(nacks.begin(), nacks.end(), [&](uint16_t a, uint16_t b) {
    return static_cast<int16_t>(b - a) > 0;
  }));
}

// ---------------------------------------------------------------------------------------------
// Model test. The reference keeps the same policy over true extended sequence numbers in a
// std::map; the generator must agree with it at every step of random streams with loss (single
// and bursts), reordering, duplication, FEC-style recovery and NACK-driven retransmissions
// (themselves lost sometimes), across the 16-bit wrap.

class ReferenceNack {
 public:
  explicit ReferenceNack(const NackGeneratorConfig& c) : cfg_(c) {}

  NackPacketResult onPacket(int64_t ext, int64_t now, NackPacketInfo info) {
    NackPacketResult r;
    if (!started_) {
      started_ = true;
      newest_ = ext;
      if (info.keyframe) keyframe(ext);
      return r;
    }
    if (ext == newest_) return r;
    if (ext < newest_) {
      auto it = missing_.find(ext);
      if (it != missing_.end()) {
        r.wasMissing = true;
        r.nacksSent = it->second.retries;
        missing_.erase(it);
      }
      return r;
    }
    if (info.retransmitted) {
      recovered_.insert(ext);
      return r;
    }
    if (info.keyframe) keyframe(ext);
    for (auto it = missing_.begin();
         it != missing_.end() && it->first < ext - cfg_.maxAgePackets;) {
      it = missing_.erase(it);
      r.keyframeRequired = true;
    }
    const int64_t gap = ext - newest_ - 1;
    bool addGap = gap > 0;
    if (addGap &&
        static_cast<int64_t>(missing_.size()) + gap > static_cast<int64_t>(cfg_.maxEntries)) {
      for (int64_t k : keyframes_) {
        if (static_cast<int64_t>(missing_.size()) + gap <= static_cast<int64_t>(cfg_.maxEntries))
          break;
        missing_.erase(missing_.begin(), missing_.lower_bound(k));
      }
      if (static_cast<int64_t>(missing_.size()) + gap > static_cast<int64_t>(cfg_.maxEntries)) {
        if (keyframes_.empty() || keyframes_.back() != ext) r.keyframeRequired = true;
        missing_.clear();
        addGap = false;
      }
    }
    if (addGap) {
      for (int64_t m = newest_ + 1; m < ext; ++m) {
        if (!recovered_.count(m)) missing_[m] = Entry{now, now, 0};
      }
    }
    newest_ = ext;
    recovered_.erase(recovered_.begin(), recovered_.upper_bound(ext));
    return r;
  }

  std::vector<int64_t> collect(int64_t now, size_t room, bool* keyframeRequired) {
    std::vector<int64_t> out;
    *keyframeRequired = false;
    const int64_t interval = std::max(rtt_, kMinNackRetryIntervalMs);
    for (auto it = missing_.begin(); it != missing_.end();) {
      Entry& e = it->second;
      const bool last = e.retries >= cfg_.maxRetries && now - e.lastSent >= interval;
      if (last || now - e.detected > cfg_.maxAgeMs) {
        it = missing_.erase(it);
        *keyframeRequired = true;
        continue;
      }
      const bool due = e.retries == 0 ? (newest_ - it->first >= cfg_.reorderPackets ||
                                         now - e.detected >= cfg_.reorderDelayMs)
                                      : now - e.lastSent >= interval;
      if (e.retries < cfg_.maxRetries && due && out.size() < room) {
        out.push_back(it->first);
        ++e.retries;
        e.lastSent = now;
      }
      ++it;
    }
    return out;
  }

  void clearOlderThan(int64_t ext) { missing_.erase(missing_.begin(), missing_.lower_bound(ext)); }
  void setRtt(int64_t ms) { rtt_ = ms; }
  size_t size() const { return missing_.size(); }

 private:
  struct Entry {
    int64_t detected;
    int64_t lastSent;
    uint8_t retries;
  };
  void keyframe(int64_t ext) {
    if (!keyframes_.empty() && keyframes_.back() >= ext) return;
    keyframes_.push_back(ext);
    if (keyframes_.size() > kMaxTrackedKeyframes) keyframes_.pop_front();
  }

  NackGeneratorConfig cfg_;
  int64_t rtt_ = kDefaultNackRttMs;
  bool started_ = false;
  int64_t newest_ = 0;
  std::map<int64_t, Entry> missing_;
  std::set<int64_t> recovered_;
  std::deque<int64_t> keyframes_;
};

struct Arrival {
  int64_t at;
  int64_t order;  // tie-break: keeps the simulation deterministic
  int64_t ext;
  NackPacketInfo info;
  bool operator>(const Arrival& o) const { return at != o.at ? at > o.at : order > o.order; }
};

struct ModelSummary {
  uint64_t nacked = 0;
  uint64_t keyframeRequests = 0;
  uint64_t overflows = 0;
  uint64_t givenUp = 0;
  uint64_t repaired = 0;
};

void runModel(uint32_t seed, const NackGeneratorConfig& cfg, int packets, size_t outRoom,
              ModelSummary& summary) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto chance = [&](int percent) { return static_cast<int>(rng() % 1000) < percent * 10; };
  NackGenerator gen(cfg);
  ReferenceNack ref(cfg);
  std::priority_queue<Arrival, std::vector<Arrival>, std::greater<>> net;
  int64_t order = 0;
  int64_t rttMs = 60;
  gen.setRtt(rttMs);
  ref.setRtt(rttMs);

  const int64_t start = 65536 - 3000 + static_cast<int64_t>(rng() % 100);
  std::set<int64_t> received;  // true ext numbers seen by the receiver
  std::map<int64_t, int> nackCount;
  std::map<int64_t, int64_t> lastNackAt;
  std::set<int64_t> unrecoverable;
  int burst = 0;
  uint64_t nacked = 0;
  uint64_t keyframeRequests = 0;
  std::vector<uint16_t> out(outRoom);

  auto send = [&](int64_t ext, int64_t now, NackPacketInfo info) {
    int64_t delay = 1 + static_cast<int64_t>(rng() % 3);
    if (chance(5)) delay += 5 + static_cast<int64_t>(rng() % 40);  // reordered
    net.push({now + delay, order++, ext, info});
    if (chance(1)) net.push({now + delay + 1, order++, ext, info});  // duplicated
  };
  auto check = [&](int64_t now) {
    bool gk = false;
    bool rk = false;
    const NackBatch b = gen.collect(now, out);
    gk = b.keyframeRequired;
    const std::vector<int64_t> want = ref.collect(now, outRoom, &rk);
    ASSERT_EQ(b.count, want.size()) << "at " << now;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(out[i], static_cast<uint16_t>(want[i])) << "at " << now;
      const int64_t ext = want[i];
      ASSERT_FALSE(received.count(ext)) << "NACK for a packet already here: " << ext;
      ++nackCount[ext];
      ASSERT_LE(nackCount[ext], cfg.maxRetries);
      if (lastNackAt.count(ext)) {
        ASSERT_GE(now - lastNackAt[ext], std::max(rttMs, kMinNackRetryIntervalMs));
      }
      lastNackAt[ext] = now;
      ++nacked;
      // The sender answers after one RTT; the answer may be lost too, and some packets the
      // sender no longer has.
      if (!chance(10) && !unrecoverable.count(ext))
        net.push({now + rttMs, order++, ext, {.retransmitted = true}});
    }
    ASSERT_EQ(gk, rk) << "at " << now;
    keyframeRequests += gk ? 1 : 0;
    ASSERT_EQ(gen.missingCount(), ref.size()) << "at " << now;
  };
  auto deliverUpTo = [&](int64_t now) {
    while (!net.empty() && net.top().at <= now) {
      const Arrival a = net.top();
      net.pop();
      const NackPacketResult g = gen.onPacket(static_cast<uint16_t>(a.ext), a.at, a.info);
      const NackPacketResult r = ref.onPacket(a.ext, a.at, a.info);
      ASSERT_EQ(g.wasMissing, r.wasMissing) << a.ext;
      ASSERT_EQ(g.nacksSent, r.nacksSent) << a.ext;
      ASSERT_EQ(g.keyframeRequired, r.keyframeRequired) << a.ext;
      keyframeRequests += g.keyframeRequired ? 1 : 0;
      received.insert(a.ext);
      if (a.info.keyframe && chance(50)) {
        gen.clearOlderThan(static_cast<uint16_t>(a.ext));
        ref.clearOlderThan(a.ext);
      }
      check(a.at);
    }
  };

  for (int i = 0; i < packets; ++i) {
    const int64_t now = i;  // one packet per ms
    const int64_t ext = start + i;
    const NackPacketInfo info{.keyframe = i % 300 == 0};
    if (burst == 0 && chance(1)) burst = 1 + static_cast<int>(rng() % 30);
    if (burst > 0) {
      --burst;
      if (chance(2)) unrecoverable.insert(ext);
    } else if (chance(4)) {
      if (chance(20)) {
        // Lost, but FEC recovers it soon (possibly before packets sent earlier arrive).
        net.push({now + static_cast<int64_t>(rng() % 4), order++, ext, {.retransmitted = true}});
      }
    } else {
      send(ext, now, info);
    }
    if (i % 1000 == 999) {
      rttMs = 20 + static_cast<int64_t>(rng() % 150);
      gen.setRtt(rttMs);
      ref.setRtt(rttMs);
    }
    deliverUpTo(now);
    if (i % 5 == 0) check(now);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Drain: everything still missing is NACKed to the end or given up.
  for (int64_t now = packets; now < packets + 3000; ++now) {
    deliverUpTo(now);
    if (now % 5 == 0) check(now);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(gen.missingCount(), 0u);
  EXPECT_GT(nacked, 100u);  // the run really exercised NACKs
  EXPECT_EQ(gen.nacksSent(), nacked);
  summary.nacked += nacked;
  summary.keyframeRequests += keyframeRequests;
  summary.overflows += gen.overflows();
  summary.givenUp += gen.packetsGivenUp();
  summary.repaired += gen.packetsRepaired();
}

TEST(NackGenerator, RandomStreamsMatchTheModel) {
  ModelSummary sum;
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    runModel(seed, NackGeneratorConfig{}, 20000, 256, sum);
    if (HasFatalFailure()) return;
  }
  // The runs covered repair, giving up after lost retransmissions, and keyframe requests.
  EXPECT_GT(sum.repaired, 1000u);
  EXPECT_GT(sum.givenUp, 0u);
  EXPECT_GT(sum.keyframeRequests, 0u);
  std::printf("default list: %llu NACKs, %llu keyframe requests, %llu given up, %llu repaired\n",
              static_cast<unsigned long long>(sum.nacked),
              static_cast<unsigned long long>(sum.keyframeRequests),
              static_cast<unsigned long long>(sum.givenUp),
              static_cast<unsigned long long>(sum.repaired));
}

TEST(NackGenerator, RandomStreamsMatchTheModelWithATightList) {
  NackGeneratorConfig cfg;
  cfg.maxEntries = 16;
  cfg.maxRetries = 3;
  cfg.maxAgeMs = 400;
  ModelSummary sum;
  for (uint32_t seed = 100; seed <= 110; ++seed) {
    runModel(seed, cfg, 20000, 4, sum);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(sum.overflows, 0u);
  EXPECT_GT(sum.repaired, 1000u);
  std::printf(
      "tight list: %llu NACKs, %llu overflows, %llu given up, %llu repaired\n",
      static_cast<unsigned long long>(sum.nacked), static_cast<unsigned long long>(sum.overflows),
      static_cast<unsigned long long>(sum.givenUp), static_cast<unsigned long long>(sum.repaired));
}

}  // namespace
}  // namespace switchyard::rtp
