#pragma once
// Full Intra Request (RFC 5104 4.3.1): PSFB with FMT 4 whose FCI is a list of (SSRC, command
// sequence number) entries; the media SSRC field is unused.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

constexpr uint8_t kRtcpFirFmt = 4;
// SSRC, sequence number, 24 reserved bits.
constexpr size_t kRtcpFirEntrySize = 8;

struct RtcpFirEntry {
  uint32_t ssrc = 0;
  uint8_t sequenceNumber = 0;
  bool operator==(const RtcpFirEntry&) const = default;
};

class RtcpFir {
 public:
  // `packet` is exactly one FIR. The view refers into it.
  static Parsed<RtcpFir> parse(std::span<const uint8_t> packet);
  // Writes a FIR with at least one entry; the media SSRC is 0 (RFC 5104 4.3.1.2). Returns the
  // bytes written, or 0 when it does not fit or cannot be encoded.
  static size_t build(uint32_t senderSsrc, std::span<const RtcpFirEntry> entries,
                      std::span<uint8_t> out);

  uint32_t senderSsrc() const;
  uint32_t mediaSsrc() const;
  size_t entryCount() const { return (payload_.size() - 8) / kRtcpFirEntrySize; }
  RtcpFirEntry entry(size_t i) const;

 private:
  std::span<const uint8_t> payload_;
};

}  // namespace switchyard::rtp
