// RetransmissionBuffer: O(1) ring store/lookup across wrap and gaps, bounds in packets and age,
// resend pacing per RTT and per-packet limits, real aiortc RTX traffic, and random traffic
// checked against a std::map model.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "rtp/ByteIo.hpp"
#include "rtp/PacketPool.hpp"
#include "rtp/RetransmissionBuffer.hpp"
#include "tests/support/Fixtures.hpp"

namespace switchyard::rtp {
namespace {

// A recognizable packet for seq: 12 bytes of "header" carrying seq, then a seq-dependent fill.
std::vector<uint8_t> packetFor(uint16_t seq, size_t size = 100) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < size; ++i)
    p[i] = static_cast<uint8_t>(seq * 7 + i);
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  return p;
}

bool holds(const RetransmissionBuffer& buf, uint16_t seq, int64_t nowMs) {
  const PooledPacket* p = buf.find(seq, nowMs);
  return p != nullptr && std::ranges::equal(p->bytes(), packetFor(seq));
}

RetransmissionBufferConfig small(size_t capacity) {
  RetransmissionBufferConfig cfg;
  cfg.capacity = capacity;
  return cfg;
}

TEST(RetransmissionBuffer, StoresAndResends) {
  PacketPool pool;
  RetransmissionBuffer buf(pool);
  EXPECT_EQ(buf.capacity(), kDefaultRetransmissionCapacity);
  for (uint16_t s = 100; s < 110; ++s)
    ASSERT_TRUE(buf.store(s, packetFor(s), 0));
  EXPECT_EQ(buf.size(), 10u);
  EXPECT_EQ(pool.inUse(), 10u);

  const ResendResult r = buf.resend(105, 10, 50);
  ASSERT_EQ(r.status, ResendStatus::kOk);
  ASSERT_NE(r.packet, nullptr);
  EXPECT_TRUE(std::ranges::equal(r.packet->bytes(), packetFor(105)));
  EXPECT_EQ(r.resendCount, 1);
  EXPECT_EQ(buf.resends(), 1u);
}

TEST(RetransmissionBuffer, UnknownSequenceNumbers) {
  PacketPool pool;
  RetransmissionBuffer buf(pool, small(8));
  EXPECT_EQ(buf.resend(1, 0, 0).status, ResendStatus::kUnknown);  // nothing stored yet
  buf.store(10, packetFor(10), 0);
  buf.store(12, packetFor(12), 0);
  struct Case {
    std::string name;
    uint16_t seq;
  };
  for (const Case& c : std::vector<Case>{{"gap", 11},
                                         {"ahead of the newest", 13},
                                         {"before the first", 9},
                                         {"far away", 40000}}) {
    SCOPED_TRACE(c.name);
    const ResendResult r = buf.resend(c.seq, 0, 0);
    EXPECT_EQ(r.status, ResendStatus::kUnknown);
    EXPECT_EQ(r.packet, nullptr);
  }
  EXPECT_EQ(buf.misses(), 5u);
}

TEST(RetransmissionBuffer, RingOverwritesTheOldest) {
  PacketPool pool;
  RetransmissionBuffer buf(pool, small(8));
  for (uint16_t s = 0; s <= 8; ++s)
    buf.store(s, packetFor(s), 0);
  EXPECT_FALSE(holds(buf, 0, 0));
  for (uint16_t s = 1; s <= 8; ++s)
    EXPECT_TRUE(holds(buf, s, 0)) << s;
  EXPECT_EQ(buf.size(), 8u);
  EXPECT_EQ(pool.inUse(), 8u);
  EXPECT_FALSE(buf.store(0, packetFor(0), 0));  // now older than the window
  EXPECT_FALSE(buf.store(65535, packetFor(65535), 0));
}

TEST(RetransmissionBuffer, CapacityRoundsUpToAPowerOfTwo) {
  PacketPool pool;
  RetransmissionBuffer buf(pool, small(5));
  EXPECT_EQ(buf.capacity(), 8u);
  RetransmissionBuffer one(pool, small(0));
  EXPECT_EQ(one.capacity(), 1u);
  one.store(7, packetFor(7), 0);
  one.store(8, packetFor(8), 0);
  EXPECT_FALSE(holds(one, 7, 0));
  EXPECT_TRUE(holds(one, 8, 0));
}

TEST(RetransmissionBuffer, WrapAt65535) {
  PacketPool pool;
  RetransmissionBuffer buf(pool, small(16));
  for (uint16_t s = 65530; s != 6; ++s)
    ASSERT_TRUE(buf.store(s, packetFor(s), 0)) << s;
  for (uint16_t s = 65530; s != 6; ++s)
    EXPECT_TRUE(holds(buf, s, 0)) << s;
  EXPECT_EQ(buf.resend(65535, 0, 0).status, ResendStatus::kOk);
  EXPECT_EQ(buf.resend(0, 0, 0).status, ResendStatus::kOk);
  EXPECT_EQ(buf.resend(7, 0, 0).status, ResendStatus::kUnknown);
  EXPECT_EQ(buf.resend(65529, 0, 0).status, ResendStatus::kUnknown);
}

TEST(RetransmissionBuffer, GapsAndLateStores) {
  PacketPool pool;
  RetransmissionBuffer buf(pool, small(16));
  buf.store(100, packetFor(100), 0);
  buf.store(105, packetFor(105), 0);
  EXPECT_FALSE(holds(buf, 103, 0));
  EXPECT_TRUE(buf.store(103, packetFor(103), 1));  // late, inside the window
  EXPECT_TRUE(holds(buf, 103, 1));
  EXPECT_TRUE(holds(buf, 105, 1));
  EXPECT_FALSE(holds(buf, 104, 1));
  EXPECT_EQ(buf.size(), 3u);
}

TEST(RetransmissionBuffer, JumpBeyondTheWindowReleasesEverything) {
  PacketPool pool;
  RetransmissionBuffer buf(pool, small(8));
  for (uint16_t s = 0; s < 8; ++s)
    buf.store(s, packetFor(s), 0);
  buf.store(1000, packetFor(1000), 0);
  EXPECT_EQ(buf.size(), 1u);
  EXPECT_EQ(pool.inUse(), 1u);
  for (uint16_t s = 0; s < 8; ++s)
    EXPECT_FALSE(holds(buf, s, 0));
  // A smaller jump releases only the packets it pushes out of the window.
  buf.store(1001, packetFor(1001), 0);
  buf.store(1004, packetFor(1004), 0);
  buf.store(1010, packetFor(1010), 0);  // window is now 1003..1010
  EXPECT_EQ(buf.size(), 2u);
  EXPECT_EQ(pool.inUse(), 2u);
  EXPECT_TRUE(holds(buf, 1004, 0));
}

TEST(RetransmissionBuffer, ExpiresByAge) {
  PacketPool pool;
  RetransmissionBufferConfig cfg;
  cfg.maxAgeMs = 1000;
  RetransmissionBuffer buf(pool, cfg);
  buf.store(1, packetFor(1), 0);
  buf.store(2, packetFor(2), 500);
  EXPECT_EQ(buf.resend(1, 1000, 0).status, ResendStatus::kOk);  // exactly max age: still good
  EXPECT_EQ(buf.resend(1, 1001, 0).status, ResendStatus::kExpired);
  EXPECT_EQ(buf.find(1, 1001), nullptr);
  EXPECT_EQ(buf.resend(2, 1001, 0).status, ResendStatus::kOk);
  // The next store releases what expired.
  EXPECT_EQ(pool.inUse(), 2u);
  buf.store(3, packetFor(3), 1001);
  EXPECT_EQ(buf.size(), 2u);
  EXPECT_EQ(pool.inUse(), 2u);
  EXPECT_EQ(buf.resend(1, 1001, 0).status, ResendStatus::kUnknown);
  buf.store(4, packetFor(4), 2000);
  EXPECT_EQ(buf.size(), 2u);  // 2 expired, 3 and 4 remain
  EXPECT_TRUE(holds(buf, 3, 2000));
}

TEST(RetransmissionBuffer, ResendsSpacedByRtt) {
  PacketPool pool;
  RetransmissionBuffer buf(pool);
  buf.store(7, packetFor(7), 0);
  struct Step {
    int64_t t;
    int64_t rtt;
    ResendStatus status;
    uint8_t count;
  };
  const std::vector<Step> steps = {
      {10, 100, ResendStatus::kOk, 1},        // first resend needs no wait
      {60, 100, ResendStatus::kTooSoon, 1},   // the first may still be in flight
      {109, 100, ResendStatus::kTooSoon, 1},  //
      {110, 100, ResendStatus::kOk, 2},       //
      {111, 0, ResendStatus::kTooSoon, 2},    // RTT 0 still has a floor
      {115, 0, ResendStatus::kOk, 3},         // kMinResendIntervalMs later
      {120, 5, ResendStatus::kOk, 4},
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    const ResendResult r = buf.resend(7, steps[i].t, steps[i].rtt);
    EXPECT_EQ(r.status, steps[i].status) << i;
    EXPECT_EQ(r.resendCount, steps[i].count) << i;
    EXPECT_EQ(r.packet != nullptr, steps[i].status == ResendStatus::kOk) << i;
  }
  EXPECT_EQ(buf.refusedTooSoon(), 3u);
  EXPECT_EQ(buf.resends(), 4u);
}

TEST(RetransmissionBuffer, LimitsResendsPerPacket) {
  PacketPool pool;
  RetransmissionBufferConfig cfg;
  cfg.maxResendsPerPacket = 3;
  RetransmissionBuffer buf(pool, cfg);
  buf.store(7, packetFor(7), 0);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(buf.resend(7, i * 100, 10).status, ResendStatus::kOk);
  EXPECT_EQ(buf.resend(7, 300, 10).status, ResendStatus::kTooManyResends);
  EXPECT_EQ(buf.refusedTooMany(), 1u);
  // Storing again (a new packet under the same seq) starts counting afresh.
  buf.store(7, packetFor(7), 300);
  EXPECT_EQ(buf.resend(7, 300, 10).status, ResendStatus::kOk);
  EXPECT_EQ(buf.size(), 1u);
  EXPECT_EQ(pool.inUse(), 1u);
}

TEST(RetransmissionBuffer, FindDoesNotCount) {
  PacketPool pool;
  RetransmissionBuffer buf(pool);
  buf.store(7, packetFor(7), 0);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(holds(buf, 7, 0));
  EXPECT_EQ(buf.resend(7, 0, 100).resendCount, 1);
}

TEST(RetransmissionBuffer, StoresPoolHandlesWithoutCopying) {
  PacketPool pool;
  RetransmissionBuffer buf(pool);
  PooledPacket p = pool.acquire(packetFor(9));
  const uint8_t* where = p.data();
  ASSERT_TRUE(buf.store(9, std::move(p), 0));
  EXPECT_EQ(buf.find(9, 0)->data(), where);
  EXPECT_FALSE(buf.store(10, PooledPacket{}, 0));
  EXPECT_FALSE(buf.store(10, std::vector<uint8_t>(kMaxPooledPacketSize + 1), 0));
  EXPECT_EQ(buf.size(), 1u);
}

TEST(RetransmissionBuffer, PoolRefusalIsReported) {
  PacketPool pool(1, 4, 1);
  RetransmissionBuffer buf(pool, small(16));
  for (uint16_t s = 0; s < 4; ++s)
    EXPECT_TRUE(buf.store(s, packetFor(s), 0));
  EXPECT_FALSE(buf.store(4, packetFor(4), 0));
  EXPECT_EQ(pool.exhaustedCount(), 1u);
}

TEST(RetransmissionBuffer, ClearReturnsEverything) {
  PacketPool pool;
  RetransmissionBuffer buf(pool);
  for (uint16_t s = 0; s < 50; ++s)
    buf.store(s, packetFor(s), 0);
  buf.clear();
  EXPECT_EQ(buf.size(), 0u);
  EXPECT_EQ(pool.inUse(), 0u);
  EXPECT_EQ(buf.resend(10, 0, 0).status, ResendStatus::kUnknown);
  // A fresh start anywhere.
  EXPECT_TRUE(buf.store(40000, packetFor(40000), 0));
  EXPECT_TRUE(holds(buf, 40000, 0));
}

// RTP header length (RFC 3550 5.1 fixed header + CSRCs, 5.3.1 extension block); the fixture's
// packets are plaintext and unpadded.
size_t headerLength(std::span<const uint8_t> p) {
  size_t n = 12 + 4 * (p[0] & 0x0F);
  if ((p[0] & 0x10) != 0) n += 4 + 4 * size_t{readU16(p.data() + n + 2)};
  return n;
}

// Real aiortc traffic: every RTX packet (RFC 4588: OSN + original payload, same timestamp and
// marker) must match what the buffer hands back for its OSN, from the originals as sent.
TEST(RetransmissionBuffer, AnswersWhatAiortcRetransmitted) {
  constexpr uint8_t kVp8 = 97;
  constexpr uint8_t kRtx = 98;
  constexpr int64_t kRttMs = 5;
  const auto packets = test::loadFixture("rtp/aiortc-rtx.hex");
  PacketPool pool;
  RetransmissionBuffer buf(pool);
  int64_t now = 0;
  int answered = 0;
  for (const auto& fixture : packets) {
    SCOPED_TRACE(fixture.name);
    const std::span<const uint8_t> p = fixture.bytes;
    now += 10;
    const uint8_t pt = p[1] & 0x7F;
    if (pt == kVp8) {
      ASSERT_TRUE(buf.store(readU16(p.data() + 2), p, now));
      continue;
    }
    ASSERT_EQ(pt, kRtx);
    const size_t rtxHeader = headerLength(p);
    const uint16_t osn = readU16(p.data() + rtxHeader);
    const ResendResult r = buf.resend(osn, now, kRttMs);
    ASSERT_EQ(r.status, ResendStatus::kOk);
    const std::span<const uint8_t> original = r.packet->bytes();
    EXPECT_EQ(readU16(original.data() + 2), osn);
    EXPECT_EQ(readU32(original.data() + 4), readU32(p.data() + 4));  // timestamp
    EXPECT_EQ(original[1] & 0x80, p[1] & 0x80);                      // marker
    EXPECT_TRUE(
        std::ranges::equal(original.subspan(headerLength(original)), p.subspan(rtxHeader + 2)));
    // A NACK repeated at once is the echo of the same loss.
    EXPECT_EQ(buf.resend(osn, now + 1, kRttMs).status, ResendStatus::kTooSoon);
    if (osn == 23092) {
      EXPECT_EQ(r.resendCount, answered == 1 ? 1 : 2);
    }
    ++answered;
  }
  EXPECT_EQ(answered, 7);  // 23092 was retransmitted twice
}

// Model test: random sends with gaps, late stores and re-stores, random NACKs with random RTTs,
// against a std::map of everything ever stored.
TEST(RetransmissionBuffer, RandomTrafficMatchesTheModel) {
  struct Stored {
    int64_t storedMs;
    int64_t lastResendMs;
    uint8_t resends;
  };
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed);
    PacketPool pool;
    RetransmissionBufferConfig cfg;
    cfg.capacity = 64;
    cfg.maxAgeMs = 300;
    cfg.maxResendsPerPacket = 4;
    RetransmissionBuffer buf(pool, cfg);
    std::map<int64_t, Stored> model;
    int64_t highest = 65536 - 700;  // crosses the wrap early
    int64_t now = 0;
    for (int i = 0; i < 20000; ++i) {
      now += static_cast<int64_t>(rng() % 4);
      const int r = static_cast<int>(rng() % 100);
      if (r < 55) {
        // Next packet, sometimes after a gap.
        highest += (rng() % 10 == 0) ? 1 + static_cast<int64_t>(rng() % 100) : 1;
        ASSERT_TRUE(buf.store(static_cast<uint16_t>(highest),
                              packetFor(static_cast<uint16_t>(highest)), now));
        model[highest] = {now, 0, 0};
      } else if (r < 60) {
        // Late or repeated store, inside or outside the window.
        const int64_t ext = highest - static_cast<int64_t>(rng() % 100);
        const bool inWindow = ext > highest - static_cast<int64_t>(buf.capacity());
        EXPECT_EQ(buf.store(static_cast<uint16_t>(ext), packetFor(static_cast<uint16_t>(ext)), now),
                  inWindow);
        if (inWindow) model[ext] = {now, 0, 0};
      } else {
        const int64_t ext = highest - static_cast<int64_t>(rng() % 120) + 2;
        const int64_t rtt = static_cast<int64_t>(rng() % 60);
        const ResendResult res = buf.resend(static_cast<uint16_t>(ext), now, rtt);
        auto it = model.find(ext);
        const bool present = it != model.end() && ext <= highest &&
                             ext > highest - static_cast<int64_t>(buf.capacity());
        if (!present || now - it->second.storedMs > cfg.maxAgeMs) {
          EXPECT_TRUE(res.status == ResendStatus::kUnknown || res.status == ResendStatus::kExpired)
              << ext;
          // Present but expired is reported as such while the packet is still held.
          if (!present) {
            EXPECT_EQ(res.status, ResendStatus::kUnknown);
          }
          continue;
        }
        Stored& m = it->second;
        ResendStatus want = ResendStatus::kOk;
        if (m.resends >= cfg.maxResendsPerPacket) {
          want = ResendStatus::kTooManyResends;
        } else if (m.resends > 0 && now - m.lastResendMs < std::max(rtt, kMinResendIntervalMs)) {
          want = ResendStatus::kTooSoon;
        }
        ASSERT_EQ(res.status, want) << ext;
        if (want == ResendStatus::kOk) {
          ++m.resends;
          m.lastResendMs = now;
          ASSERT_TRUE(
              std::ranges::equal(res.packet->bytes(), packetFor(static_cast<uint16_t>(ext))));
        }
        EXPECT_EQ(res.resendCount, m.resends);
      }
      // Bounded memory: never more than the ring holds.
      ASSERT_LE(buf.size(), buf.capacity());
      ASSERT_EQ(pool.inUse(), buf.size());
    }
  }
}

}  // namespace
}  // namespace switchyard::rtp
