#pragma once
// Picture Loss Indication (RFC 4585 6.3.1): PSFB with FMT 1 and no FCI.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

constexpr uint8_t kRtcpPliFmt = 1;
// RFC 4585 6.3.1: the length field is 2, the feedback header only.
constexpr size_t kRtcpPliSize = kRtcpFeedbackHeaderSize;

class RtcpPli {
 public:
  // `packet` is exactly one PLI.
  static Parsed<RtcpPli> parse(std::span<const uint8_t> packet);
  // Returns kRtcpPliSize, or 0 when `out` is too small.
  static size_t build(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<uint8_t> out);

  uint32_t senderSsrc() const { return senderSsrc_; }
  uint32_t mediaSsrc() const { return mediaSsrc_; }

 private:
  uint32_t senderSsrc_ = 0;
  uint32_t mediaSsrc_ = 0;
};

}  // namespace switchyard::rtp
