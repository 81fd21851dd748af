#include "rtp/rtcp/RtcpRemb.hpp"

#include <algorithm>
#include <string_view>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {

constexpr size_t kSsrcSize = 4;
constexpr size_t kSsrcsOffset = 16;  // in the payload: 2 SSRCs, identifier, bitrate word
constexpr std::string_view kIdentifier = "REMB";
constexpr unsigned kMantissaBits = 18;
constexpr unsigned kExponentMask = 0x3F;

}  // namespace

Parsed<RtcpRemb> RtcpRemb::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypePsfb);
  if (!h) return h.error();
  if (h->fmt() != kRtcpAfbFmt) return ParseError::kBadPayloadType;
  auto payload = h->payload(packet);
  if (payload.size() < 12) return ParseError::kBadLength;
  if (!std::equal(kIdentifier.begin(), kIdentifier.end(), payload.begin() + 8)) {
    return ParseError::kUnsupported;  // some other application layer feedback
  }
  if (payload.size() < kSsrcsOffset) return ParseError::kBadLength;
  uint32_t word = readU32(&payload[12]);
  size_t count = word >> 24;
  if (payload.size() != kSsrcsOffset + count * kSsrcSize) return ParseError::kBadLength;
  unsigned exponent = word >> kMantissaBits & kExponentMask;
  uint64_t mantissa = word & kRtcpRembMantissaMax;
  uint64_t bitrate = mantissa << exponent;
  if (bitrate >> exponent != mantissa) return ParseError::kMalformed;  // beyond 64 bits
  RtcpRemb remb;
  remb.payload_ = payload;
  remb.bitrate_ = bitrate;
  return remb;
}

uint32_t RtcpRemb::senderSsrc() const {
  return readU32(payload_.data());
}

uint32_t RtcpRemb::mediaSsrc() const {
  return readU32(payload_.data() + 4);
}

uint32_t RtcpRemb::ssrc(size_t i) const {
  return readU32(payload_.data() + kSsrcsOffset + i * kSsrcSize);
}

size_t RtcpRemb::build(uint32_t senderSsrc, uint64_t bitrateBps, std::span<const uint32_t> ssrcs,
                       std::span<uint8_t> out) {
  size_t size = kRtcpRembFixedSize + ssrcs.size() * kSsrcSize;
  if (ssrcs.size() > kRtcpRembMaxSsrcs || size > out.size() ||
      RtcpHeader::write(kRtcpTypePsfb, kRtcpAfbFmt, size, false, out) == 0) {
    return 0;
  }
  unsigned exponent = 0;
  while (bitrateBps >> exponent > kRtcpRembMantissaMax)
    ++exponent;
  auto mantissa = static_cast<uint32_t>(bitrateBps >> exponent);
  uint8_t* p = out.data() + kRtcpHeaderSize;
  writeU32(p, senderSsrc);
  writeU32(p + 4, 0);
  std::copy(kIdentifier.begin(), kIdentifier.end(), p + 8);
  writeU32(p + 12,
           static_cast<uint32_t>(ssrcs.size()) << 24 | exponent << kMantissaBits | mantissa);
  p += kSsrcsOffset;
  for (uint32_t ssrc : ssrcs) {
    writeU32(p, ssrc);
    p += kSsrcSize;
  }
  return size;
}

}  // namespace switchyard::rtp
