#pragma once
// Sender report, SR (RFC 3550 6.4.1): sender info, up to 31 report blocks, then optional
// profile-specific extensions.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"
#include "rtp/rtcp/RtcpReportBlock.hpp"

namespace switchyard::rtp {

// NTP timestamp (8), RTP timestamp, packet count, octet count.
constexpr size_t kRtcpSenderInfoSize = 20;
// Header, SSRC of sender, sender info.
constexpr size_t kRtcpSenderReportFixedSize = kRtcpHeaderSize + 4 + kRtcpSenderInfoSize;

struct RtcpSenderInfo {
  uint64_t ntpTimestamp = 0;  // 32.32 fixed point seconds since 1900
  uint32_t rtpTimestamp = 0;
  uint32_t packetCount = 0;
  uint32_t octetCount = 0;
  bool operator==(const RtcpSenderInfo&) const = default;
};

class RtcpSenderReport {
 public:
  // `packet` is exactly one SR packet. The view refers into it.
  static Parsed<RtcpSenderReport> parse(std::span<const uint8_t> packet);

  // Writes an SR with up to kRtcpMaxCount blocks; `extension` must be a whole number of 32-bit
  // words. Returns the bytes written, or 0 when it does not fit or cannot be encoded.
  static size_t build(uint32_t ssrc, const RtcpSenderInfo& info,
                      std::span<const RtcpReportBlock> blocks, std::span<uint8_t> out,
                      std::span<const uint8_t> extension = {});
  static constexpr size_t sizeFor(size_t blockCount, size_t extensionSize = 0) {
    return kRtcpSenderReportFixedSize + blockCount * kRtcpReportBlockSize + extensionSize;
  }

  uint32_t ssrc() const;
  RtcpSenderInfo senderInfo() const;
  const RtcpReportBlockList& reportBlocks() const { return blocks_; }
  std::span<const uint8_t> extension() const { return extension_; }

 private:
  std::span<const uint8_t> payload_;
  RtcpReportBlockList blocks_;
  std::span<const uint8_t> extension_;
};

}  // namespace switchyard::rtp
