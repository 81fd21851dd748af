#include "rtp/RtcpInterval.hpp"

#include <algorithm>
#include <cmath>

namespace switchyard::rtp {

namespace {
constexpr double kRandomSpan = 4294967296.0;  // 2^32: random / kRandomSpan is in [0, 1)
}  // namespace

uint64_t randomizedRtcpIntervalMs(uint64_t nominalMs, uint32_t random) {
  const double factor = kRtcpIntervalMinFactor + (kRtcpIntervalMaxFactor - kRtcpIntervalMinFactor) *
                                                     (static_cast<double>(random) / kRandomSpan);
  const double ms = std::floor(static_cast<double>(nominalMs) * factor);
  return std::max<uint64_t>(1, static_cast<uint64_t>(ms));
}

}  // namespace switchyard::rtp
