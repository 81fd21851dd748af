#pragma once
// Receiver report, RR (RFC 3550 6.4.2): up to 31 report blocks, then optional profile-specific
// extensions.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"
#include "rtp/rtcp/RtcpReportBlock.hpp"

namespace switchyard::rtp {

// Header and SSRC of the packet sender.
constexpr size_t kRtcpReceiverReportFixedSize = kRtcpHeaderSize + 4;

class RtcpReceiverReport {
 public:
  // `packet` is exactly one RR packet. The view refers into it.
  static Parsed<RtcpReceiverReport> parse(std::span<const uint8_t> packet);

  // Writes an RR with up to kRtcpMaxCount blocks; `extension` must be a whole number of 32-bit
  // words. Returns the bytes written, or 0 when it does not fit or cannot be encoded.
  static size_t build(uint32_t ssrc, std::span<const RtcpReportBlock> blocks,
                      std::span<uint8_t> out, std::span<const uint8_t> extension = {});
  static constexpr size_t sizeFor(size_t blockCount, size_t extensionSize = 0) {
    return kRtcpReceiverReportFixedSize + blockCount * kRtcpReportBlockSize + extensionSize;
  }

  uint32_t ssrc() const { return ssrc_; }
  const RtcpReportBlockList& reportBlocks() const { return blocks_; }
  std::span<const uint8_t> extension() const { return extension_; }

 private:
  uint32_t ssrc_ = 0;
  RtcpReportBlockList blocks_;
  std::span<const uint8_t> extension_;
};

}  // namespace switchyard::rtp
