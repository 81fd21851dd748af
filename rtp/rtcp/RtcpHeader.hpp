#pragma once
// The common header every RTCP packet starts with (RFC 3550 6.4.1). Feedback packets
// (RFC 4585 6.1) carry their FMT in the count field and follow it with two SSRCs.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

constexpr uint8_t kRtcpVersion = 2;
constexpr size_t kRtcpHeaderSize = 4;
constexpr size_t kRtcpWordSize = 4;
// The length field counts 32-bit words minus one, so no packet is larger than this.
constexpr size_t kRtcpMaxPacketSize = (size_t{0xFFFF} + 1) * kRtcpWordSize;
// RC, SC and FMT are five bits wide.
constexpr uint8_t kRtcpMaxCount = 31;

// Packet types: RFC 3550 12.1, RFC 4585 6.1, RFC 3611 2.
constexpr uint8_t kRtcpTypeSr = 200;
constexpr uint8_t kRtcpTypeRr = 201;
constexpr uint8_t kRtcpTypeSdes = 202;
constexpr uint8_t kRtcpTypeBye = 203;
constexpr uint8_t kRtcpTypeApp = 204;
constexpr uint8_t kRtcpTypeRtpfb = 205;
constexpr uint8_t kRtcpTypePsfb = 206;
constexpr uint8_t kRtcpTypeXr = 207;

// RFC 4585 6.1: header, SSRC of packet sender, SSRC of media source.
constexpr size_t kRtcpFeedbackHeaderSize = kRtcpHeaderSize + 8;

class RtcpHeader {
 public:
  RtcpHeader() = default;

  // Reads the header at the start of `bytes`, which must hold at least the whole packet the
  // length field declares (the rest may be the following packets of a compound). Checks the
  // version and, when the P bit is set, the padding count in the packet's last octet.
  static Parsed<RtcpHeader> parse(std::span<const uint8_t> bytes);
  // As parse(), but `packet` must be exactly one packet of the given type.
  static Parsed<RtcpHeader> parseExact(std::span<const uint8_t> packet, uint8_t packetType);

  // Writes a header for a packet of `packetSize` bytes (a multiple of four, padding included).
  // Returns kRtcpHeaderSize, or 0 when `out` is too small or the arguments cannot be encoded.
  static size_t write(uint8_t packetType, uint8_t count, size_t packetSize, bool padding,
                      std::span<uint8_t> out);

  bool padding() const { return padding_; }
  uint8_t count() const { return count_; }
  uint8_t fmt() const { return count_; }  // RFC 4585 6.1: the count field of RTPFB/PSFB
  uint8_t packetType() const { return packetType_; }
  uint16_t length() const { return length_; }  // raw field: 32-bit words minus one
  size_t packetSize() const { return (size_t{length_} + 1) * kRtcpWordSize; }
  size_t paddingSize() const { return paddingSize_; }
  size_t payloadSize() const { return packetSize() - kRtcpHeaderSize - paddingSize_; }

  // The bytes after the header and before the padding of `packet`, the buffer this header was
  // parsed from.
  std::span<const uint8_t> payload(std::span<const uint8_t> packet) const {
    return packet.subspan(kRtcpHeaderSize, payloadSize());
  }

 private:
  bool padding_ = false;
  uint8_t count_ = 0;
  uint8_t packetType_ = 0;
  uint16_t length_ = 0;
  uint8_t paddingSize_ = 0;
};

}  // namespace switchyard::rtp
