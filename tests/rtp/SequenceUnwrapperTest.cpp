// SeqNumUnwrapper / TimestampUnwrapper: wrap in both directions, the half-range boundary, and
// random walks checked against the true extended values.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rtp/SequenceUnwrapper.hpp"

namespace switchyard::rtp {
namespace {

struct SeqCase {
  std::string name;
  std::vector<uint16_t> in;
  std::vector<int64_t> out;
};

TEST(SeqNumUnwrapper, Table) {
  const std::vector<SeqCase> cases = {
      {"in order", {0, 1, 2}, {0, 1, 2}},
      {"starts mid range", {40000, 40001}, {40000, 40001}},
      {"wrap forward", {65534, 65535, 0, 1}, {65534, 65535, 65536, 65537}},
      {"reorder across wrap", {65535, 1, 0, 65534, 2}, {65535, 65537, 65536, 65534, 65538}},
      {"gap across wrap", {65500, 30}, {65500, 65566}},
      {"before the first value", {0, 65535, 65534}, {0, -1, -2}},
      {"backwards across wrap keeps the highest", {1, 0, 65535, 2}, {1, 0, -1, 2}},
      {"duplicates", {7, 7, 8, 8}, {7, 7, 8, 8}},
      {"just under half forward", {0, 32767}, {0, 32767}},
      {"exactly half is backwards", {0, 32768}, {0, -32768}},
      {"chained big jumps", {0, 30000, 60000, 24464, 54464}, {0, 30000, 60000, 90000, 120000}},
      {"two wraps", {65535, 0, 32767, 65534, 0}, {65535, 65536, 98303, 131070, 131072}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(c.in.size(), c.out.size());
    SeqNumUnwrapper u;
    EXPECT_FALSE(u.hasValue());
    for (size_t i = 0; i < c.in.size(); ++i) {
      EXPECT_EQ(u.unwrap(c.in[i]), c.out[i]) << "at index " << i;
    }
  }
}

TEST(SeqNumUnwrapper, PeekDoesNotMoveTheReference) {
  SeqNumUnwrapper u;
  EXPECT_EQ(u.peek(65535), 65535);  // no reference yet: the value itself
  EXPECT_FALSE(u.hasValue());
  u.unwrap(65535);
  EXPECT_EQ(u.peek(0), 65536);
  EXPECT_EQ(u.peek(100), 65636);
  EXPECT_EQ(u.highest(), 65535);
  // 32768 ahead of 65535 would be 98303, but exactly half reads as behind.
  EXPECT_EQ(u.peek(32767), 32767);
  EXPECT_EQ(u.unwrap(0), 65536);
  EXPECT_EQ(u.highest(), 65536);
}

TEST(SeqNumUnwrapper, ResetStartsOver) {
  SeqNumUnwrapper u;
  u.unwrap(65535);
  u.unwrap(5);
  EXPECT_EQ(u.highest(), 65541);
  u.reset();
  EXPECT_FALSE(u.hasValue());
  EXPECT_EQ(u.unwrap(5), 5);
}

TEST(TimestampUnwrapper, Table) {
  struct Case {
    std::string name;
    std::vector<uint32_t> in;
    std::vector<int64_t> out;
  };
  const std::vector<Case> cases = {
      {"wrap forward", {0xFFFFFF00u, 0x100u}, {0xFFFFFF00LL, 0x100000100LL}},
      {"b-frames backwards across wrap", {0x10u, 0xFFFFFFF0u, 0x20u}, {0x10, -0x10, 0x20}},
      {"just under half forward", {0, 0x7FFFFFFFu}, {0, 0x7FFFFFFF}},
      {"exactly half is backwards", {0, 0x80000000u}, {0, -0x80000000LL}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TimestampUnwrapper u;
    for (size_t i = 0; i < c.in.size(); ++i)
      EXPECT_EQ(u.unwrap(c.in[i]), c.out[i]) << i;
  }
}

// Model test: a random walk of true extended values (in order, loss, reorder, duplicates, huge
// jumps either way, all within half the range of the highest so far) must come back exactly.
template <typename T>
void randomWalk(uint32_t seed, int steps) {
  constexpr int64_t kHalf = Unwrapper<T>::kHalfRange;
  std::mt19937_64 rng(seed);
  Unwrapper<T> u;
  int64_t truth = static_cast<int64_t>(rng() % (uint64_t{1} << (8 * sizeof(T))));
  int64_t highest = truth;
  for (int i = 0; i < steps; ++i) {
    ASSERT_EQ(u.unwrap(static_cast<T>(truth)), truth) << "seed " << seed << " step " << i;
    highest = std::max(highest, truth);
    const int kind = static_cast<int>(rng() % 100);
    int64_t next;
    if (kind < 70) {
      next = highest + 1;
    } else if (kind < 82) {
      next = highest + 1 + static_cast<int64_t>(rng() % 50);  // loss
    } else if (kind < 92) {
      next = highest - static_cast<int64_t>(rng() % 300);  // reorder or duplicate
    } else if (kind < 96) {
      next = highest + static_cast<int64_t>(rng() % kHalf);  // huge jump forward
    } else {
      next = highest - static_cast<int64_t>(rng() % (kHalf + 1));  // huge jump back
    }
    truth = next;
  }
}

TEST(SeqNumUnwrapper, RandomWalkMatchesTruth) {
  for (uint32_t seed = 1; seed <= 20; ++seed)
    randomWalk<uint16_t>(seed, 20000);
}

TEST(TimestampUnwrapper, RandomWalkMatchesTruth) {
  for (uint32_t seed = 1; seed <= 5; ++seed)
    randomWalk<uint32_t>(seed, 20000);
}

}  // namespace
}  // namespace switchyard::rtp
