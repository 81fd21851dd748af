// LatencyHistogram: exact small values, the relative error bound of every bucket, percentiles of
// known distributions, the overflow bucket, and merging.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "bench/LatencyHistogram.hpp"

namespace switchyard::bench {
namespace {

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 0; v < LatencyHistogram::kSubBuckets; ++v) {
    h.record(v);
  }
  EXPECT_EQ(h.percentile(0.0), 0u);
  EXPECT_EQ(h.percentile(0.5), 31u);  // the 32nd smallest of 0..63
  EXPECT_EQ(h.percentile(1.0), 63u);
  EXPECT_EQ(h.max(), 63u);
  EXPECT_DOUBLE_EQ(h.mean(), 31.5);
}

TEST(LatencyHistogram, EveryBucketHoldsItsValueWithinOneSixtyFourth) {
  uint64_t previousEdge = 0;
  for (uint64_t v = 0; v <= LatencyHistogram::kMaxTrackedUs; v += 1 + v / 500) {
    const size_t bucket = LatencyHistogram::bucketOf(v);
    ASSERT_LT(bucket, LatencyHistogram::kBuckets) << v;
    const uint64_t edge = LatencyHistogram::upperEdge(bucket);
    ASSERT_GE(edge, v);
    ASSERT_LE(edge - v, v / LatencyHistogram::kSubBuckets) << v;
    ASSERT_GE(edge, previousEdge) << "buckets out of order at " << v;
    previousEdge = edge;
    if (bucket > 0) {
      ASSERT_LT(LatencyHistogram::upperEdge(bucket - 1), v) << v;
    }
  }
  EXPECT_EQ(LatencyHistogram::bucketOf(LatencyHistogram::kMaxTrackedUs),
            LatencyHistogram::kBuckets - 1);
  EXPECT_EQ(LatencyHistogram::bucketOf(LatencyHistogram::kMaxTrackedUs + 1),
            LatencyHistogram::kOverflowBucket);
}

TEST(LatencyHistogram, PercentilesOfAUniformDistribution) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100'000; ++v) {
    h.record(v);
  }
  const auto near = [](uint64_t got, double want) {
    return static_cast<double>(got) >= want && static_cast<double>(got) <= want * (1 + 1.0 / 64);
  };
  EXPECT_PRED2(near, h.percentile(0.5), 50'000);
  EXPECT_PRED2(near, h.percentile(0.99), 99'000);
  EXPECT_PRED2(near, h.percentile(0.999), 99'900);
  EXPECT_EQ(h.percentile(1.0), 100'000u);  // capped at the exact maximum
  EXPECT_EQ(h.max(), 100'000u);
}

TEST(LatencyHistogram, ATailShowsInP99NotP50) {
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) {
    h.record(100);
  }
  for (int i = 0; i < 10; ++i) {
    h.record(20'000);
  }
  EXPECT_EQ(h.percentile(0.5), 100u);
  EXPECT_EQ(h.percentile(0.99), 100u);  // the 990th of 1000
  EXPECT_GE(h.percentile(0.995), 20'000u);
  EXPECT_EQ(h.max(), 20'000u);
}

TEST(LatencyHistogram, ValuesPastOneSecondOverflowButKeepTheMaximum) {
  LatencyHistogram h;
  h.record(10);
  h.record(5'000'000);
  EXPECT_EQ(h.percentile(0.5), 10u);
  EXPECT_EQ(h.percentile(1.0), 5'000'000u);
  EXPECT_EQ(h.max(), 5'000'000u);
}

TEST(LatencyHistogram, MergeEqualsRecordingIntoOne) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(6.0, 1.5);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 20'000; ++i) {
    const auto v = static_cast<uint64_t>(latency(random));
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    EXPECT_EQ(a.percentile(q), all.percentile(q)) << q;
  }
}

}  // namespace
}  // namespace switchyard::bench
