#include "rtp/rtcp/RtcpFir.hpp"

#include <algorithm>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {
constexpr size_t kSsrcsSize = 8;  // sender and media SSRC (RFC 4585 6.1)
}  // namespace

Parsed<RtcpFir> RtcpFir::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypePsfb);
  if (!h) return h.error();
  if (h->fmt() != kRtcpFirFmt) return ParseError::kBadPayloadType;
  auto payload = h->payload(packet);
  // RFC 5104 4.3.1.2: length 2 + 2 * N, N >= 1.
  if (payload.size() < kSsrcsSize + kRtcpFirEntrySize ||
      (payload.size() - kSsrcsSize) % kRtcpFirEntrySize != 0) {
    return ParseError::kBadLength;
  }
  RtcpFir fir;
  fir.payload_ = payload;
  return fir;
}

uint32_t RtcpFir::senderSsrc() const {
  return readU32(payload_.data());
}

uint32_t RtcpFir::mediaSsrc() const {
  return readU32(payload_.data() + 4);
}

RtcpFirEntry RtcpFir::entry(size_t i) const {
  const uint8_t* p = payload_.data() + kSsrcsSize + i * kRtcpFirEntrySize;
  return {readU32(p), p[4]};
}

size_t RtcpFir::build(uint32_t senderSsrc, std::span<const RtcpFirEntry> entries,
                      std::span<uint8_t> out) {
  size_t size = kRtcpFeedbackHeaderSize + entries.size() * kRtcpFirEntrySize;
  if (entries.empty() || size > out.size() ||
      RtcpHeader::write(kRtcpTypePsfb, kRtcpFirFmt, size, false, out) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + kRtcpHeaderSize;
  writeU32(p, senderSsrc);
  writeU32(p + 4, 0);
  p += kSsrcsSize;
  for (const auto& e : entries) {
    writeU32(p, e.ssrc);
    p[4] = e.sequenceNumber;
    std::fill(p + 5, p + kRtcpFirEntrySize, uint8_t{0});
    p += kRtcpFirEntrySize;
  }
  return size;
}

}  // namespace switchyard::rtp
