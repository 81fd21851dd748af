#include "rtp/RtxPacket.hpp"

#include <cstring>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {
constexpr uint8_t kPaddingBit = 0x20;
constexpr uint8_t kMarkerBit = 0x80;
constexpr uint8_t kPayloadTypeMask = 0x7F;

uint8_t secondHeaderByte(bool marker, uint8_t payloadType) {
  return static_cast<uint8_t>((marker ? kMarkerBit : 0) | (payloadType & kPayloadTypeMask));
}

// RFC 5761 section 4: such a packet would be demultiplexed as RTCP.
bool looksLikeRtcp(uint8_t secondByte) {
  return secondByte >= RtpPacket::kRtcpTypeFirst && secondByte <= RtpPacket::kRtcpTypeLast;
}

}  // namespace

std::optional<RtpPacket> RtxPacket::encapsulate(const RtpPacket& original, std::span<uint8_t> out,
                                                uint8_t rtxPayloadType, uint32_t rtxSsrc,
                                                uint16_t rtxSequenceNumber) {
  const auto payload = original.payload();
  const size_t header = original.headerSize();
  const size_t size = header + kOsnSize + payload.size();
  if (size > out.size() || size > RtpPacket::kMaxPacketSize) return std::nullopt;
  const uint8_t secondByte = secondHeaderByte(original.marker(), rtxPayloadType);
  if (looksLikeRtcp(secondByte)) return std::nullopt;
  uint8_t* p = out.data();
  std::memcpy(p, original.bytes().data(), header);
  p[0] &= static_cast<uint8_t>(~kPaddingBit);
  p[1] = secondByte;
  writeU16(p + 2, rtxSequenceNumber);
  writeU32(p + 8, rtxSsrc);
  writeU16(p + header, original.sequenceNumber());
  if (!payload.empty()) std::memcpy(p + header + kOsnSize, payload.data(), payload.size());
  auto parsed = RtpPacket::parse(out.first(size), out.size());
  if (!parsed) return std::nullopt;
  return *parsed;
}

Parsed<uint16_t> RtxPacket::originalSequenceNumber(const RtpPacket& rtx) {
  const auto payload = rtx.payload();
  if (payload.size() < kOsnSize) return ParseError::kTooShort;
  return readU16(payload.data());
}

std::optional<ParseError> RtxPacket::decapsulate(RtpPacket& rtx, uint8_t originalPayloadType,
                                                 uint32_t originalSsrc) {
  auto osn = originalSequenceNumber(rtx);
  if (!osn) return osn.error();
  const uint8_t secondByte = secondHeaderByte(rtx.marker(), originalPayloadType);
  if (looksLikeRtcp(secondByte)) return ParseError::kBadPayloadType;
  const auto payload = rtx.payload();
  const size_t header = rtx.headerSize();
  uint8_t* p = rtx.bytes().data();
  std::memmove(p + header, p + header + kOsnSize, payload.size() - kOsnSize);
  p[0] &= static_cast<uint8_t>(~kPaddingBit);
  p[1] = secondByte;
  writeU16(p + 2, *osn);
  writeU32(p + 8, originalSsrc);
  // The header is unchanged in layout and was valid, so this cannot fail.
  auto parsed = RtpPacket::parse({p, header + payload.size() - kOsnSize}, rtx.capacity());
  if (!parsed) return parsed.error();
  rtx = *parsed;
  return std::nullopt;
}

}  // namespace switchyard::rtp
