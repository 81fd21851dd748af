#include "rtp/rtcp/RtcpSenderReport.hpp"

#include <algorithm>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {
constexpr size_t kSsrcSize = 4;
constexpr size_t kBlocksOffset = kSsrcSize + kRtcpSenderInfoSize;  // within the payload
}  // namespace

Parsed<RtcpSenderReport> RtcpSenderReport::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypeSr);
  if (!h) return h.error();
  auto payload = h->payload(packet);
  size_t blockBytes = size_t{h->count()} * kRtcpReportBlockSize;
  // RFC 3550 6.4.1: RC blocks must fit in the length; what follows them is an extension.
  if (payload.size() < kBlocksOffset + blockBytes) return ParseError::kBadLength;
  // Extensions come in whole words (RFC 3550 6.4.1); an odd padding count cannot leave part of one.
  size_t extensionSize = payload.size() - kBlocksOffset - blockBytes;
  if (extensionSize % kRtcpWordSize != 0) return ParseError::kBadLength;
  RtcpSenderReport sr;
  sr.payload_ = payload;
  sr.blocks_ = RtcpReportBlockList(payload.subspan(kBlocksOffset, blockBytes));
  sr.extension_ = payload.subspan(kBlocksOffset + blockBytes, extensionSize);
  return sr;
}

uint32_t RtcpSenderReport::ssrc() const {
  return readU32(payload_.data());
}

RtcpSenderInfo RtcpSenderReport::senderInfo() const {
  const uint8_t* p = payload_.data() + kSsrcSize;
  return {readU64(p), readU32(p + 8), readU32(p + 12), readU32(p + 16)};
}

size_t RtcpSenderReport::build(uint32_t ssrc, const RtcpSenderInfo& info,
                               std::span<const RtcpReportBlock> blocks, std::span<uint8_t> out,
                               std::span<const uint8_t> extension) {
  size_t size = sizeFor(blocks.size(), extension.size());
  if (blocks.size() > kRtcpMaxCount || extension.size() % kRtcpWordSize != 0 || size > out.size() ||
      RtcpHeader::write(kRtcpTypeSr, static_cast<uint8_t>(blocks.size()), size, false, out) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + kRtcpHeaderSize;
  writeU32(p, ssrc);
  writeU64(p + 4, info.ntpTimestamp);
  writeU32(p + 12, info.rtpTimestamp);
  writeU32(p + 16, info.packetCount);
  writeU32(p + 20, info.octetCount);
  p += kSsrcSize + kRtcpSenderInfoSize;
  for (const auto& b : blocks) {
    p += b.write({p, kRtcpReportBlockSize});
  }
  std::copy(extension.begin(), extension.end(), p);
  return size;
}

}  // namespace switchyard::rtp
