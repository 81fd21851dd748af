#pragma once
// Playout delay header extension (http://www.webrtc.org/experiments/rtp-hdrext/playout-delay):
// 3 bytes, a 12-bit minimum then a 12-bit maximum delay, both in units of 10 ms.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

struct PlayoutDelay {
  static constexpr size_t kSize = 3;
  static constexpr uint16_t kMaxValue = 0xFFF;
  static constexpr uint32_t kMillisPerUnit = 10;

  uint16_t min = 0;  // units of 10 ms
  uint16_t max = 0;  // units of 10 ms, >= min

  // kMalformed when min > max.
  static Parsed<PlayoutDelay> parse(std::span<const uint8_t> data);
  bool write(std::span<uint8_t> out) const;  // out.size() == kSize, min <= max <= kMaxValue
  static constexpr size_t size() { return kSize; }

  uint32_t minMs() const { return min * kMillisPerUnit; }
  uint32_t maxMs() const { return max * kMillisPerUnit; }
};

}  // namespace switchyard::rtp
