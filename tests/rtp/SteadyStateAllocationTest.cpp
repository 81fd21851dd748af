// Proves the per-packet path of the stream-state classes allocates nothing once warmed up: this
// binary replaces the global operator new/delete with counting versions, runs a lossy,
// reordering, duplicating stream through PacketPool, RetransmissionBuffer, ReceiveStatistics,
// NackGenerator and KeyframeRequestManager (NACKs answered by resends), and requires the count to
// stay at zero over 100,000 packets.

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "rtp/ByteIo.hpp"
#include "rtp/KeyframeRequestManager.hpp"
#include "rtp/NackGenerator.hpp"
#include "rtp/PacketPool.hpp"
#include "rtp/ReceiveStatistics.hpp"
#include "rtp/RetransmissionBuffer.hpp"

namespace {

std::atomic<bool> gCounting{false};
std::atomic<uint64_t> gAllocations{0};
std::atomic<uint64_t> gDeallocations{0};

void* allocate(std::size_t n, std::size_t align, bool nothrow) {
  if (gCounting.load(std::memory_order_relaxed)) {
    gAllocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (n == 0) n = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(n);
  } else {
    p = std::aligned_alloc(align, (n + align - 1) / align * align);
  }
  if (p == nullptr && !nothrow) throw std::bad_alloc();
  return p;
}

void deallocate(void* p) {
  if (p == nullptr) return;
  if (gCounting.load(std::memory_order_relaxed)) {
    gDeallocations.fetch_add(1, std::memory_order_relaxed);
  }
  std::free(p);
}

}  // namespace

// Every replaceable global allocation and deallocation function.
void* operator new(std::size_t n) {
  return allocate(n, 0, false);
}
void* operator new[](std::size_t n) {
  return allocate(n, 0, false);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return allocate(n, 0, true);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return allocate(n, 0, true);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return allocate(n, static_cast<std::size_t>(a), false);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate(n, static_cast<std::size_t>(a), false);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a), true);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a), true);
}
void operator delete(void* p) noexcept {
  deallocate(p);
}
void operator delete[](void* p) noexcept {
  deallocate(p);
}
void operator delete(void* p, std::size_t) noexcept {
  deallocate(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  deallocate(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  deallocate(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  deallocate(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  deallocate(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  deallocate(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  deallocate(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  deallocate(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  deallocate(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  deallocate(p);
}

namespace switchyard::rtp {
namespace {

// Counts allocations between construction and stop(); no gtest macros may run in between.
class AllocationWindow {
 public:
  AllocationWindow() {
    gAllocations = 0;
    gDeallocations = 0;
    gCounting = true;
  }
  ~AllocationWindow() { gCounting = false; }
  void stop() { gCounting = false; }
  uint64_t allocations() const { return gAllocations; }
  uint64_t deallocations() const { return gDeallocations; }
};

void* volatile gSink = nullptr;

// A test that cannot fail is a defect: show the counter sees allocations.
TEST(SteadyStateAllocation, CounterSeesAllocations) {
  AllocationWindow window;
  gSink = ::operator new(64);
  ::operator delete(gSink);
  std::vector<int> v;
  v.push_back(1);
  gSink = v.data();
  window.stop();
  EXPECT_GE(window.allocations(), 2u);
  EXPECT_GE(window.deallocations(), 1u);
}

TEST(SteadyStateAllocation, CounterSeesPoolGrowth) {
  PacketPool pool(1, 4);
  std::array<PooledPacket, 5> held;
  AllocationWindow window;
  for (auto& p : held)
    p = pool.acquire();  // the fifth needs a new slab
  window.stop();
  EXPECT_GE(window.allocations(), 1u);
  EXPECT_EQ(pool.growCount(), 1u);
}

// The simulated path. Everything it needs is sized up front.
constexpr int kWarmupPackets = 5'000;
constexpr int kMeasuredPackets = 100'000;
constexpr size_t kPacketBytes = 1'200;
constexpr int kPacketsPerFrame = 3;
constexpr uint32_t kTimestampPerFrame = 3'000;  // 30 fps at 90 kHz
constexpr int64_t kRttMs = 40;
constexpr size_t kDelaySlots = 64;  // ms of delay the simulated network can hold
constexpr size_t kPacketsPerSlot = 64;
constexpr int64_t kNackTimerMs = 5;
constexpr int64_t kReportIntervalMs = 1'000;

struct InFlight {
  PooledPacket packet;
  bool retransmitted = false;
};

// A delay line of fixed buckets, one per ms: no allocation, a full bucket drops.
class Network {
 public:
  void send(PooledPacket p, int64_t arrivalMs, bool retransmitted) {
    Bucket& b = buckets_[static_cast<size_t>(arrivalMs) % kDelaySlots];
    if (b.count == kPacketsPerSlot) {
      ++dropped_;
      return;  // p goes back to its pool
    }
    b.items[b.count].packet = std::move(p);
    b.items[b.count].retransmitted = retransmitted;
    ++b.count;
  }
  template <typename F>
  void deliver(int64_t nowMs, F&& f) {
    Bucket& b = buckets_[static_cast<size_t>(nowMs) % kDelaySlots];
    for (size_t i = 0; i < b.count; ++i) {
      f(b.items[i]);
      b.items[i].packet.release();
    }
    b.count = 0;
  }
  uint64_t dropped() const { return dropped_; }

 private:
  struct Bucket {
    std::array<InFlight, kPacketsPerSlot> items;
    size_t count = 0;
  };
  std::array<Bucket, kDelaySlots> buckets_;
  uint64_t dropped_ = 0;
};

// xorshift: deterministic and allocation-free.
class Rng {
 public:
  uint32_t next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 17;
    s_ ^= s_ << 5;
    return s_;
  }
  bool chance(uint32_t perMille) { return next() % 1000 < perMille; }

 private:
  uint32_t s_ = 2463534242u;
};

struct Pipeline {
  PacketPool pool{40, kDefaultSlotsPerSlab};  // 2560 buffers: ring + network, with margin
  RetransmissionBuffer sent{pool};
  ReceiveStatistics stats{0x5EED, 90'000};
  NackGenerator nack;
  KeyframeRequestManager keyframes;
  Network net;
  Rng rng;
  std::array<uint16_t, 256> nackOut{};
  uint16_t seq = 65'000;  // wraps during the run
  int64_t now = 0;
  int packetIndex = 0;
  uint64_t resent = 0;
  uint64_t reports = 0;
  uint64_t keyframeRequests = 0;

  void sendOne() {
    const uint32_t ts = static_cast<uint32_t>(packetIndex / kPacketsPerFrame) * kTimestampPerFrame;
    PooledPacket p = pool.acquire();
    uint8_t* b = p.writable().data();
    b[0] = 0x80;
    b[1] = 96;
    writeU16(b + 2, seq);
    writeU32(b + 4, ts);
    writeU32(b + 8, 0x5EED);
    p.resize(kPacketBytes);
    sent.store(seq, p.bytes(), now);  // the sender keeps its own copy
    if (!rng.chance(30)) {            // 3% lost
      int64_t delay = 1 + rng.next() % 3;
      if (rng.chance(30)) delay += 5 + rng.next() % 20;                              // reordered
      if (rng.chance(5)) net.send(pool.acquire(p.bytes()), now + delay + 1, false);  // duplicate
      net.send(std::move(p), now + delay, false);
    }
    ++seq;
    ++packetIndex;
  }

  void receive() {
    net.deliver(now, [&](InFlight& in) {
      const uint8_t* b = in.packet.data();
      const uint16_t s = readU16(b + 2);
      const uint32_t ts = readU32(b + 4);
      stats.onPacket(s, ts, now * 1000);
      const bool key = ts % (kTimestampPerFrame * 60) == 0;
      const NackPacketResult r =
          nack.onPacket(s, now, {.keyframe = key, .retransmitted = in.retransmitted});
      if (r.keyframeRequired) keyframes.request(now);
      if (key) keyframes.onKeyframe(now);
    });
  }

  void nackTimer() {
    const NackBatch batch = nack.collect(now, nackOut);
    if (batch.keyframeRequired) keyframes.request(now);
    for (size_t i = 0; i < batch.count; ++i) {
      const ResendResult r = sent.resend(nackOut[i], now, kRttMs);
      if (r.status != ResendStatus::kOk) continue;
      ++resent;
      if (!rng.chance(30)) net.send(pool.acquire(r.packet->bytes()), now + kRttMs / 2, true);
    }
    if (keyframes.poll(now)) ++keyframeRequests;
  }

  void tick() {
    sendOne();
    receive();
    if (now % kNackTimerMs == 0) nackTimer();
    if (now % kReportIntervalMs == 0 && stats.makeReportBlock(now * 1000)) ++reports;
    ++now;
  }
};

TEST(SteadyStateAllocation, HundredThousandPacketsAllocateNothing) {
  auto pipeline = std::make_unique<Pipeline>();
  Pipeline& p = *pipeline;
  p.nack.setRtt(kRttMs);
  for (int i = 0; i < kWarmupPackets; ++i)
    p.tick();

  const uint64_t nacksBefore = p.nack.nacksSent();
  const uint64_t resentBefore = p.resent;
  const uint64_t growBefore = p.pool.growCount();
  const uint64_t repairedBefore = p.nack.packetsRepaired();
  AllocationWindow window;
  for (int i = 0; i < kMeasuredPackets; ++i)
    p.tick();
  window.stop();

  EXPECT_EQ(window.allocations(), 0u);
  EXPECT_EQ(window.deallocations(), 0u);
  EXPECT_EQ(p.pool.growCount(), growBefore);
  // The run really exercised loss, reordering, NACKs and resends, and wrapped the seq space.
  EXPECT_GT(p.nack.nacksSent() - nacksBefore, 2'000u);
  EXPECT_GT(p.resent - resentBefore, 2'000u);
  EXPECT_GT(p.nack.packetsRepaired() - repairedBefore, 2'000u);
  EXPECT_GT(p.stats.extendedHighestSeq(), 65'536u);
  EXPECT_GE(p.reports, 100u);
  EXPECT_EQ(p.net.dropped(), 0u);
  // Retransmissions make up nearly all the loss.
  EXPECT_LT(p.stats.cumulativeLost(), kMeasuredPackets / 100);
  std::printf("nacks %llu, resent %llu, cumulative lost %lld, pool %zu buffers (%zu in use)\n",
              static_cast<unsigned long long>(p.nack.nacksSent()),
              static_cast<unsigned long long>(p.resent),
              static_cast<long long>(p.stats.cumulativeLost()), p.pool.capacity(), p.pool.inUse());
}

}  // namespace
}  // namespace switchyard::rtp
