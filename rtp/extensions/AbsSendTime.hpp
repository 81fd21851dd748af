#pragma once
// abs-send-time header extension (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time):
// the send time in seconds as 24-bit 6.18 fixed point, so it wraps every 64 s.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

struct AbsSendTime {
  static constexpr size_t kSize = 3;
  static constexpr int kFractionBits = 18;
  static constexpr uint32_t kMask = 0xFFFFFF;
  static constexpr uint64_t kMicrosPerSecond = 1'000'000;
  static constexpr uint64_t kWrapMicros = 64 * kMicrosPerSecond;  // 2^6 s

  uint32_t value = 0;  // 6.18 fixed-point seconds, 24 bits

  static Parsed<AbsSendTime> parse(std::span<const uint8_t> data);
  bool write(std::span<uint8_t> out) const;  // out.size() == kSize
  static constexpr size_t size() { return kSize; }

  // From a time in microseconds (any epoch): the low 24 bits of its 6.18 form, rounded.
  static AbsSendTime fromMicros(uint64_t micros) {
    const uint64_t inWrap = micros % kWrapMicros;  // keeps the shift below from overflowing
    return {static_cast<uint32_t>(((inWrap << kFractionBits) + kMicrosPerSecond / 2) /
                                  kMicrosPerSecond) &
            kMask};
  }
  // The time within the 64 s wrap, in microseconds, rounded.
  uint64_t toMicros() const {
    return ((uint64_t{value} * kMicrosPerSecond) + (1u << (kFractionBits - 1))) >> kFractionBits;
  }
};

}  // namespace switchyard::rtp
