// SequenceTracker: loss, duplicates and reordering from 16-bit sequence numbers and 32-bit
// counters, across the wrap, from any starting value, and against the ground truth of random
// streams with loss, repeats and local reordering.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bench/SequenceTracker.hpp"

namespace switchyard::bench {
namespace {

struct Case {
  std::string name;
  std::vector<uint16_t> in;
  uint64_t unique, lost, duplicates, reordered;
};

TEST(SequenceTracker, Table) {
  const std::vector<Case> cases = {
      {"in order", {10, 11, 12, 13}, 4, 0, 0, 0},
      {"wrap", {65533, 65534, 65535, 0, 1, 2}, 6, 0, 0, 0},
      {"gap", {1, 2, 5, 6}, 4, 2, 0, 0},
      {"gap across the wrap", {65534, 65535, 2}, 3, 2, 0, 0},
      {"late packet fills the gap", {1, 3, 2, 4}, 4, 0, 0, 1},
      {"late across the wrap", {65535, 1, 0, 2}, 4, 0, 0, 1},
      {"first packet was not the lowest", {5, 4, 6}, 3, 0, 0, 1},
      {"duplicate", {1, 2, 2, 3}, 3, 0, 1, 0},
      {"duplicate of a late packet", {1, 3, 2, 2, 4}, 4, 0, 1, 1},
      {"duplicate of the first", {7, 7}, 1, 0, 1, 0},
      {"a single packet", {40000}, 1, 0, 0, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SequenceTracker t;
    for (uint16_t s : c.in) {
      t.onSequence16(s);
    }
    EXPECT_EQ(t.received(), c.in.size());
    EXPECT_EQ(t.unique(), c.unique);
    EXPECT_EQ(t.lost(), c.lost);
    EXPECT_EQ(t.duplicates(), c.duplicates);
    EXPECT_EQ(t.reordered(), c.reordered);
  }
}

TEST(SequenceTracker, EmptyCountsNothing) {
  SequenceTracker t;
  EXPECT_EQ(t.expected(), 0u);
  EXPECT_EQ(t.lost(), 0u);
}

TEST(SequenceTracker, ManyWrapsOfSixteenBits) {
  SequenceTracker t;
  uint16_t s = 60000;
  for (int i = 0; i < 300'000; ++i) {
    if (i % 1000 != 999) t.onSequence16(s);  // one in a thousand lost
    ++s;
  }
  EXPECT_EQ(t.unique(), 300'000u - 300u);
  EXPECT_EQ(t.lost(), 299u);  // the last one lost is past the highest seen
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.reordered(), 0u);
}

TEST(SequenceTracker, ThirtyTwoBitCounterWraps) {
  SequenceTracker t;
  for (uint32_t c : {0xfffffffdu, 0xfffffffeu, 0u, 0xffffffffu, 1u, 1u, 3u}) {
    t.onCounter32(c);
  }
  EXPECT_EQ(t.unique(), 6u);
  EXPECT_EQ(t.lost(), 1u);  // 2
  EXPECT_EQ(t.duplicates(), 1u);
  EXPECT_EQ(t.reordered(), 1u);
}

TEST(SequenceTracker, OlderThanTheWindowCountsAsLateNotDuplicate) {
  SequenceTracker t;
  t.onSequence16(100);
  t.onSequence16(static_cast<uint16_t>(100 + SequenceTracker::kWindow + 10));
  t.onSequence16(101);  // late, beyond the window: cannot be checked for repeats
  t.onSequence16(101);
  EXPECT_EQ(t.tooOld(), 2u);
  EXPECT_EQ(t.reordered(), 2u);
  EXPECT_EQ(t.duplicates(), 0u);
}

TEST(SequenceTracker, AJumpClearsTheWindow) {
  SequenceTracker t;
  for (uint16_t s = 0; s < 10; ++s) {
    t.onSequence16(s);
  }
  const uint16_t far = static_cast<uint16_t>(10 + 3 * SequenceTracker::kWindow);
  t.onSequence16(far);
  // far - 8 uses the slot of index 2, set before the jump: it is late, not a duplicate.
  t.onSequence16(static_cast<uint16_t>(far - 8));
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.reordered(), 1u);
}

TEST(SequenceTracker, SlotsAreReusedAsTheWindowMoves) {
  SequenceTracker t;
  for (uint16_t s = 0; s < 10; ++s) {
    t.onSequence16(s);
  }
  const uint16_t next = static_cast<uint16_t>(SequenceTracker::kWindow + 2);  // slot of 2
  t.onSequence16(next);
  t.onSequence16(static_cast<uint16_t>(next - 1));  // slot of 1: late, not a duplicate
  t.onSequence16(next);                             // a real duplicate
  EXPECT_EQ(t.duplicates(), 1u);
  EXPECT_EQ(t.reordered(), 1u);
  EXPECT_EQ(t.lost(), uint64_t(next) + 1 - 12);
}

// A stream of n packets from a random 16-bit start: each dropped with pLoss, repeated with
// pDuplicate, and swapped with a neighbour up to `depth` later with pReorder. The tracker's
// counts must match what was done.
TEST(SequenceTracker, RandomStreamsMatchTheGroundTruth) {
  std::mt19937 random(42);
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    const int n = 20'000;
    std::uniform_real_distribution<double> u(0, 1);
    const uint16_t start = static_cast<uint16_t>(random());
    std::vector<int> order;
    for (int i = 0; i < n; ++i) {
      if (u(random) < 0.02) continue;  // lost
      order.push_back(i);
      if (u(random) < 0.01) order.push_back(i);  // repeated
    }
    for (size_t i = 0; i + 1 < order.size(); ++i) {
      if (u(random) < 0.03) {
        const size_t j = std::min(order.size() - 1, i + 1 + random() % 5);
        std::swap(order[i], order[j]);
      }
    }
    SequenceTracker t;
    std::set<int> seen;
    uint64_t duplicates = 0, late = 0;
    int highest = -1;
    for (int i : order) {
      t.onSequence16(static_cast<uint16_t>(start + i));
      if (!seen.insert(i).second) {
        ++duplicates;
      } else if (i < highest) {
        ++late;
      }
      highest = std::max(highest, i);
    }
    const uint64_t expected = uint64_t(*seen.rbegin() - *seen.begin() + 1);
    EXPECT_EQ(t.received(), order.size());
    EXPECT_EQ(t.unique(), seen.size());
    EXPECT_EQ(t.duplicates(), duplicates);
    EXPECT_EQ(t.reordered(), late);
    EXPECT_EQ(t.lost(), expected - seen.size());
  }
}

}  // namespace
}  // namespace switchyard::bench
