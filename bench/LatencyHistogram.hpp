#pragma once
// A fixed log-linear histogram of latencies in microseconds, for the load generator: recording is
// a few shifts and an increment (no allocation, no samples kept), two histograms merge by adding
// counts, and percentiles come out within 1/kSubBuckets of the true value. Values below
// kSubBuckets us are exact; above, each power of two is split into kSubBuckets equal buckets, up
// to kMaxTrackedUs (about 1 s). Larger values land in an overflow bucket; the exact maximum is
// kept apart.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace switchyard::bench {

class LatencyHistogram {
 public:
  // Buckets per power of two: relative resolution 1/64 (1.6%).
  static constexpr unsigned kSubBucketBits = 6;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  // Powers of two covered above the exact range: 2^6 us .. 2^20 us (1.05 s).
  static constexpr unsigned kTopBit = 20;
  static constexpr uint64_t kMaxTrackedUs = (uint64_t{1} << kTopBit) - 1;
  static constexpr size_t kBuckets = kSubBuckets + (kTopBit - kSubBucketBits) * kSubBuckets;
  static constexpr size_t kOverflowBucket = kBuckets;

  void record(uint64_t us) {
    ++counts_[bucketOf(us)];
    ++count_;
    sum_ += us;
    max_ = std::max(max_, us);
  }

  void merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) {
      counts_[i] += other.counts_[i];
    }
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  // The value at quantile q (0..1): the upper edge of the bucket holding the ceil(q * count)-th
  // smallest sample, never above the recorded maximum (which it is for the overflow bucket).
  // 0 when empty.
  uint64_t percentile(double q) const {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.999999);
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return i == kOverflowBucket ? max_ : std::min(upperEdge(i), max_);
    }
    return max_;
  }

  static size_t bucketOf(uint64_t us) {
    if (us < kSubBuckets) return static_cast<size_t>(us);
    if (us > kMaxTrackedUs) return kOverflowBucket;
    const unsigned top = static_cast<unsigned>(std::bit_width(us)) - 1;  // >= kSubBucketBits
    const unsigned shift = top - kSubBucketBits;
    const uint64_t sub = (us >> shift) & (kSubBuckets - 1);
    return static_cast<size_t>(kSubBuckets + shift * kSubBuckets + sub);
  }

  // The largest value that lands in bucket i (the overflow bucket: the tracked maximum + 1).
  static uint64_t upperEdge(size_t i) {
    if (i < kSubBuckets) return i;
    if (i >= kOverflowBucket) return kMaxTrackedUs + 1;
    const uint64_t shift = (i - kSubBuckets) / kSubBuckets;
    const uint64_t sub = (i - kSubBuckets) % kSubBuckets;
    const uint64_t low = (kSubBuckets + sub) << shift;
    return low + (uint64_t{1} << shift) - 1;
  }

 private:
  std::array<uint64_t, kBuckets + 1> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace switchyard::bench
