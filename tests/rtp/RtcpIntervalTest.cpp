// randomizedRtcpIntervalMs: RFC 3550 section 6.3.1's [0.5, 1.5] factor on the nominal interval.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "rtp/RtcpInterval.hpp"

namespace {

using switchyard::rtp::randomizedRtcpIntervalMs;

struct Case {
  const char* name;
  uint64_t nominalMs;
  uint32_t random;
  uint64_t expectedMs;
};

constexpr uint32_t kMaxRandom = std::numeric_limits<uint32_t>::max();
constexpr uint32_t kQuarter = 1u << 30;  // random / 2^32 = 0.25

class RtcpIntervalTest : public ::testing::TestWithParam<Case> {};

TEST_P(RtcpIntervalTest, ScalesTheNominalIntervalByTheRandomFactor) {
  const Case& c = GetParam();
  EXPECT_EQ(randomizedRtcpIntervalMs(c.nominalMs, c.random), c.expectedMs);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RtcpIntervalTest,
    ::testing::Values(Case{"LowestRandomHalvesTheInterval", 1000, 0, 500},
                      Case{"AQuarterGivesThreeQuarters", 1000, kQuarter, 750},
                      Case{"TheMiddleKeepsTheNominal", 1000, 2 * kQuarter, 1000},
                      Case{"ThreeQuartersGiveOneAndAQuarter", 1000, 3 * kQuarter, 1250},
                      Case{"HighestRandomStaysBelowOneAndAHalf", 1000, kMaxRandom, 1499},
                      Case{"FiveSecondReports", 5000, 2 * kQuarter, 5000},
                      Case{"NeverZero", 1, 0, 1}, Case{"ZeroNominalStillWaits", 0, kMaxRandom, 1}),
    [](const ::testing::TestParamInfo<Case>& param) { return param.param.name; });

// Evenly spread random inputs give evenly spread intervals: the mean stays at the nominal one
// (within the whole milliseconds the intervals are floored to) and every value lands in
// [0.5, 1.5) times it.
TEST(RtcpInterval, SpreadsEvenlyAroundTheNominalInterval) {
  constexpr uint64_t kNominalMs = 1000;
  constexpr uint32_t kSteps = 1000;
  constexpr uint32_t kStride = kMaxRandom / kSteps;
  uint64_t sum = 0;
  uint64_t lowest = UINT64_MAX;
  uint64_t highest = 0;
  for (uint32_t i = 0; i < kSteps; ++i) {
    const uint64_t ms = randomizedRtcpIntervalMs(kNominalMs, i * kStride);
    sum += ms;
    lowest = std::min(lowest, ms);
    highest = std::max(highest, ms);
  }
  EXPECT_EQ(lowest, 500u);
  EXPECT_GE(highest, 1495u);
  EXPECT_LT(highest, 1500u);
  EXPECT_NEAR(static_cast<double>(sum) / kSteps, 1000.0, 2.0);
}

}  // namespace
