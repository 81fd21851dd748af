#pragma once
// When the next RTCP report goes out. RFC 3550 section 6.3.1 multiplies the deterministic
// interval by a random factor in [0.5, 1.5] so that participants who started together do not
// report together. For an SFU that matters on its own side: viewers joining in one burst (a
// fan-out starting, a room filling) would otherwise fire their report timers in one loop turn,
// once a second, for good, and the media behind them would wait for every report. Policy only:
// the caller supplies the random number and runs the timer.
//
// The e - 3/2 compensation of section 6.3.1 belongs with timer reconsideration (section
// 6.3.3), which a unicast transport with one peer does not need: without it the mean interval is
// the nominal one.

#include <cstdint>

namespace switchyard::rtp {

// The random factor's range, section 6.3.1.
inline constexpr double kRtcpIntervalMinFactor = 0.5;
inline constexpr double kRtcpIntervalMaxFactor = 1.5;

// nominalMs times a factor in [0.5, 1.5) that grows linearly with random (uniform over all
// 32-bit values); at least 1 ms.
uint64_t randomizedRtcpIntervalMs(uint64_t nominalMs, uint32_t random);

}  // namespace switchyard::rtp
