#pragma once
// Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 2.2): an application
// layer feedback (PSFB, FMT 15) tagged 'REMB', carrying a bitrate as mantissa * 2^exponent and
// the SSRCs it applies to.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

constexpr uint8_t kRtcpAfbFmt = 15;  // RFC 4585 6.4: application layer feedback
// Feedback header, 'REMB', num SSRC / exponent / mantissa.
constexpr size_t kRtcpRembFixedSize = kRtcpFeedbackHeaderSize + 8;
constexpr uint32_t kRtcpRembMantissaMax = (1u << 18) - 1;
// Num SSRC is one octet.
constexpr size_t kRtcpRembMaxSsrcs = 255;

class RtcpRemb {
 public:
  // `packet` is exactly one REMB. Other application layer feedback is kUnsupported.
  static Parsed<RtcpRemb> parse(std::span<const uint8_t> packet);
  // Writes a REMB for up to kRtcpRembMaxSsrcs SSRCs; the bitrate is rounded down to what the
  // 18-bit mantissa can carry. The media SSRC is 0 as the draft requires. Returns the bytes
  // written, or 0 when it does not fit or cannot be encoded.
  static size_t build(uint32_t senderSsrc, uint64_t bitrateBps, std::span<const uint32_t> ssrcs,
                      std::span<uint8_t> out);

  uint32_t senderSsrc() const;
  uint32_t mediaSsrc() const;
  uint64_t bitrateBps() const { return bitrate_; }
  size_t ssrcCount() const { return (payload_.size() - 16) / 4; }
  uint32_t ssrc(size_t i) const;

 private:
  std::span<const uint8_t> payload_;
  uint64_t bitrate_ = 0;
};

}  // namespace switchyard::rtp
