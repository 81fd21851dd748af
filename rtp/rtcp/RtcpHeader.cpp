#include "rtp/rtcp/RtcpHeader.hpp"

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

Parsed<RtcpHeader> RtcpHeader::parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < kRtcpHeaderSize) return ParseError::kTooShort;
  if (bytes[0] >> 6 != kRtcpVersion) return ParseError::kBadVersion;
  RtcpHeader h;
  h.padding_ = (bytes[0] & 0x20) != 0;
  h.count_ = bytes[0] & 0x1F;
  h.packetType_ = bytes[1];
  h.length_ = readU16(&bytes[2]);
  if (h.packetSize() > bytes.size()) return ParseError::kTooShort;
  if (h.padding_) {
    // RFC 3550 6.4.1: the last octet counts the padding octets, itself included.
    uint8_t pad = bytes[h.packetSize() - 1];
    if (pad == 0 || pad > h.packetSize() - kRtcpHeaderSize) return ParseError::kBadPadding;
    h.paddingSize_ = pad;
  }
  return h;
}

Parsed<RtcpHeader> RtcpHeader::parseExact(std::span<const uint8_t> packet, uint8_t packetType) {
  auto h = parse(packet);
  if (!h) return h;
  if (h->packetType() != packetType) return ParseError::kBadPayloadType;
  if (h->packetSize() != packet.size()) return ParseError::kBadLength;
  return h;
}

size_t RtcpHeader::write(uint8_t packetType, uint8_t count, size_t packetSize, bool padding,
                         std::span<uint8_t> out) {
  if (out.size() < kRtcpHeaderSize || count > kRtcpMaxCount || packetSize < kRtcpHeaderSize ||
      packetSize > kRtcpMaxPacketSize || packetSize % kRtcpWordSize != 0) {
    return 0;
  }
  out[0] = static_cast<uint8_t>(kRtcpVersion << 6 | (padding ? 0x20 : 0) | count);
  out[1] = packetType;
  writeU16(&out[2], static_cast<uint16_t>(packetSize / kRtcpWordSize - 1));
  return kRtcpHeaderSize;
}

}  // namespace switchyard::rtp
