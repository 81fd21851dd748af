#include "rtp/rtcp/RtcpPli.hpp"

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

Parsed<RtcpPli> RtcpPli::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypePsfb);
  if (!h) return h.error();
  if (h->fmt() != kRtcpPliFmt) return ParseError::kBadPayloadType;
  auto payload = h->payload(packet);
  if (payload.size() != kRtcpPliSize - kRtcpHeaderSize) return ParseError::kBadLength;
  RtcpPli pli;
  pli.senderSsrc_ = readU32(payload.data());
  pli.mediaSsrc_ = readU32(payload.data() + 4);
  return pli;
}

size_t RtcpPli::build(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<uint8_t> out) {
  if (out.size() < kRtcpPliSize ||
      RtcpHeader::write(kRtcpTypePsfb, kRtcpPliFmt, kRtcpPliSize, false, out) == 0) {
    return 0;
  }
  writeU32(&out[4], senderSsrc);
  writeU32(&out[8], mediaSsrc);
  return kRtcpPliSize;
}

}  // namespace switchyard::rtp
