#pragma once
// Goodbye, BYE (RFC 3550 6.6): the SSRC/CSRCs leaving, then an optional length-prefixed
// reason zero-padded to 32 bits.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

// The reason length is one octet.
constexpr size_t kRtcpByeMaxReasonSize = 255;

class RtcpBye {
 public:
  // `packet` is exactly one BYE packet. The view refers into it.
  static Parsed<RtcpBye> parse(std::span<const uint8_t> packet);

  // Writes a BYE for up to kRtcpMaxCount sources; an empty reason is left out. Returns the
  // bytes written, or 0 when it does not fit or cannot be encoded.
  static size_t build(std::span<const uint32_t> ssrcs, std::string_view reason,
                      std::span<uint8_t> out);

  size_t ssrcCount() const { return ssrcCount_; }
  uint32_t ssrc(size_t i) const;
  bool hasReason() const { return hasReason_; }
  std::string_view reason() const { return reason_; }

 private:
  std::span<const uint8_t> payload_;
  size_t ssrcCount_ = 0;
  bool hasReason_ = false;
  std::string_view reason_;
};

}  // namespace switchyard::rtp
