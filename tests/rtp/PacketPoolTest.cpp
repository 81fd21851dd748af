// PacketPool: buffer layout (headroom/tailroom), copies and bounds, LIFO reuse, growth by whole
// slabs only when exhausted, and the cap.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "rtp/PacketPool.hpp"

namespace switchyard::rtp {
namespace {

std::vector<uint8_t> pattern(size_t n, uint8_t start = 0) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

TEST(PacketPool, FreshBufferLayout) {
  PacketPool pool(1, 4);
  EXPECT_EQ(pool.capacity(), 4u);
  EXPECT_EQ(pool.slabCount(), 1u);
  PooledPacket p = pool.acquire();
  ASSERT_TRUE(p);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.headroom(), kPacketHeadroom);
  EXPECT_EQ(p.tailroom(), kMaxPooledPacketSize + kPacketTailroom);
  EXPECT_EQ(p.writable().size(), kMaxPooledPacketSize + kPacketTailroom);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p.data()) % 16, kPacketHeadroom % 16);
  EXPECT_EQ(pool.inUse(), 1u);
  EXPECT_EQ(pool.available(), 3u);
}

TEST(PacketPool, AssignCopiesAndBoundsSize) {
  PacketPool pool(1, 2);
  PooledPacket p = pool.acquire();
  const auto bytes = pattern(1200, 7);
  ASSERT_TRUE(p.assign(bytes));
  EXPECT_TRUE(std::ranges::equal(p.bytes(), bytes));
  EXPECT_EQ(p.tailroom(), kMaxPooledPacketSize + kPacketTailroom - 1200);

  const auto max = pattern(kMaxPooledPacketSize);
  EXPECT_TRUE(p.assign(max));
  EXPECT_EQ(p.size(), kMaxPooledPacketSize);
  EXPECT_EQ(p.tailroom(), kPacketTailroom);

  const auto tooBig = pattern(kMaxPooledPacketSize + 1);
  EXPECT_FALSE(p.assign(tooBig));
  EXPECT_EQ(p.size(), kMaxPooledPacketSize);  // unchanged
  EXPECT_TRUE(p.assign({}));
  EXPECT_EQ(p.size(), 0u);
}

TEST(PacketPool, AcquireWithBytes) {
  PacketPool pool(1, 2);
  const auto bytes = pattern(100);
  PooledPacket p = pool.acquire(bytes);
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::ranges::equal(p.bytes(), bytes));
  PooledPacket big = pool.acquire(pattern(kMaxPooledPacketSize + 1));
  EXPECT_FALSE(big);
  EXPECT_EQ(pool.oversizeCount(), 1u);
  EXPECT_EQ(pool.inUse(), 1u);
}

TEST(PacketPool, HeadroomAndTailroomEdits) {
  PacketPool pool(1, 1);
  PooledPacket p = pool.acquire(pattern(10, 1));
  ASSERT_TRUE(p.prepend(4));
  EXPECT_EQ(p.size(), 14u);
  EXPECT_EQ(p.headroom(), kPacketHeadroom - 4);
  EXPECT_EQ(p.data()[4], 1);                 // old first byte is where it was
  EXPECT_FALSE(p.prepend(kPacketHeadroom));  // only headroom - 4 left
  EXPECT_TRUE(p.prepend(kPacketHeadroom - 4));
  EXPECT_EQ(p.headroom(), 0u);
  p.trimFront(kPacketHeadroom);
  EXPECT_EQ(p.size(), 10u);
  EXPECT_EQ(p.data()[0], 1);

  // resize within what writable() covers.
  EXPECT_TRUE(p.resize(kMaxPooledPacketSize + kPacketTailroom));
  EXPECT_EQ(p.tailroom(), 0u);
  EXPECT_FALSE(p.resize(kMaxPooledPacketSize + kPacketTailroom + 1));
  EXPECT_TRUE(p.resize(10));
  EXPECT_EQ(p.data()[9], 10);
}

TEST(PacketPool, ReleaseReturnsToFreeListLifo) {
  PacketPool pool(1, 4);
  const uint8_t* first;
  {
    PooledPacket p = pool.acquire();
    first = p.data();
    EXPECT_EQ(pool.inUse(), 1u);
  }
  EXPECT_EQ(pool.inUse(), 0u);
  PooledPacket again = pool.acquire();
  EXPECT_EQ(again.data(), first);  // the warm buffer is reused first
  again.release();
  EXPECT_FALSE(again);
  EXPECT_EQ(again.size(), 0u);
  EXPECT_EQ(pool.inUse(), 0u);
  again.release();  // harmless on an empty handle
  EXPECT_EQ(pool.inUse(), 0u);
}

TEST(PacketPool, MoveTransfersOwnership) {
  PacketPool pool(1, 4);
  PooledPacket a = pool.acquire(pattern(3));
  PooledPacket b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  ASSERT_TRUE(b);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(pool.inUse(), 1u);

  PooledPacket c = pool.acquire(pattern(5));
  EXPECT_EQ(pool.inUse(), 2u);
  c = std::move(b);  // c's old buffer goes back
  EXPECT_EQ(pool.inUse(), 1u);
  EXPECT_EQ(c.size(), 3u);
  auto& self = c;
  c = std::move(self);
  EXPECT_TRUE(c);
  EXPECT_EQ(pool.inUse(), 1u);
}

TEST(PacketPool, GrowsByWholeSlabsOnlyWhenExhausted) {
  PacketPool pool(1, 4);
  std::vector<PooledPacket> held;
  for (int i = 0; i < 4; ++i)
    held.push_back(pool.acquire());
  EXPECT_EQ(pool.growCount(), 0u);
  held.push_back(pool.acquire());
  EXPECT_TRUE(held.back());
  EXPECT_EQ(pool.growCount(), 1u);
  EXPECT_EQ(pool.slabCount(), 2u);
  EXPECT_EQ(pool.capacity(), 8u);
  held.clear();
  EXPECT_EQ(pool.inUse(), 0u);
  // Churn inside the capacity never grows again.
  for (int i = 0; i < 10000; ++i) {
    PooledPacket a = pool.acquire();
    PooledPacket b = pool.acquire();
    ASSERT_TRUE(a && b);
  }
  EXPECT_EQ(pool.growCount(), 1u);
  EXPECT_EQ(pool.capacity(), 8u);
}

TEST(PacketPool, CapRefusesInsteadOfGrowing) {
  PacketPool pool(1, 2, 2);
  std::vector<PooledPacket> held;
  for (int i = 0; i < 4; ++i)
    held.push_back(pool.acquire());
  for (const auto& p : held)
    EXPECT_TRUE(p);
  PooledPacket refused = pool.acquire();
  EXPECT_FALSE(refused);
  EXPECT_EQ(pool.exhaustedCount(), 1u);
  EXPECT_FALSE(pool.acquire(pattern(10)));
  EXPECT_EQ(pool.exhaustedCount(), 2u);
  held.pop_back();
  EXPECT_TRUE(pool.acquire());
}

TEST(PacketPool, InitialSlabsBeyondCapAreCapped) {
  PacketPool pool(5, 2, 3);
  EXPECT_EQ(pool.slabCount(), 3u);
  EXPECT_EQ(pool.capacity(), 6u);
}

TEST(PacketPool, BuffersDoNotOverlap) {
  PacketPool pool(2, 8);
  std::vector<PooledPacket> held;
  for (int i = 0; i < 16; ++i) {
    held.push_back(pool.acquire(pattern(kMaxPooledPacketSize, static_cast<uint8_t>(i))));
  }
  for (int i = 0; i < 16; ++i) {
    EXPECT_TRUE(
        std::ranges::equal(held[i].bytes(), pattern(kMaxPooledPacketSize, static_cast<uint8_t>(i))))
        << i;
  }
}

}  // namespace
}  // namespace switchyard::rtp
