#pragma once
// Absolute capture time header extension
// (http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time): the capture time as a
// 64-bit NTP timestamp (UQ32.32), optionally followed by the sender's estimate of the offset
// between its clock and the capturer's (signed Q32.32). 8 or 16 bytes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

struct AbsCaptureTime {
  static constexpr size_t kSizeWithoutOffset = 8;
  static constexpr size_t kSizeWithOffset = 16;

  uint64_t captureTimestamp = 0;                // NTP, UQ32.32 seconds
  std::optional<int64_t> estimatedClockOffset;  // Q32.32 seconds

  static Parsed<AbsCaptureTime> parse(std::span<const uint8_t> data);
  bool write(std::span<uint8_t> out) const;  // out.size() == size()
  size_t size() const { return estimatedClockOffset ? kSizeWithOffset : kSizeWithoutOffset; }
};

}  // namespace switchyard::rtp
