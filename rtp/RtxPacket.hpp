#pragma once
// RTX retransmission packets (RFC 4588 section 4): the original packet's header with the RTX
// stream's SSRC, payload type and sequence number, and its payload preceded by the original
// sequence number (OSN). Both directions work on caller buffers and allocate nothing.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/RtpPacket.hpp"

namespace switchyard::rtp {

class RtxPacket {
 public:
  static constexpr size_t kOsnSize = 2;

  // Writes the RTX form of original into out (which must not overlap it): same header,
  // CSRCs, extensions, marker and timestamp; RTX SSRC, payload type and sequence number;
  // then OSN and the original payload. The original's padding is not carried. nullopt when
  // out is too small; the returned packet views out with out.size() as its capacity.
  static std::optional<RtpPacket> encapsulate(const RtpPacket& original, std::span<uint8_t> out,
                                              uint8_t rtxPayloadType, uint32_t rtxSsrc,
                                              uint16_t rtxSequenceNumber);

  // The OSN of an RTX packet; kTooShort when its payload is shorter than 2 bytes (as in the
  // padding-only RTX packets senders use for bandwidth probes).
  static Parsed<uint16_t> originalSequenceNumber(const RtpPacket& rtx);

  // Turns rtx back into the original packet in place: sequence number from the OSN, payload
  // type and SSRC from the caller (the session knows the apt= and SSRC mapping), the payload
  // moved over the OSN, RTX padding dropped. On failure (kTooShort as above, kBadPayloadType
  // when the restored type would read as RTCP) rtx is left untouched.
  static std::optional<ParseError> decapsulate(RtpPacket& rtx, uint8_t originalPayloadType,
                                               uint32_t originalSsrc);
};

}  // namespace switchyard::rtp
