#include "rtp/rtcp/RtcpReceiverReport.hpp"

#include <algorithm>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {
constexpr size_t kSsrcSize = 4;
}  // namespace

Parsed<RtcpReceiverReport> RtcpReceiverReport::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypeRr);
  if (!h) return h.error();
  auto payload = h->payload(packet);
  size_t blockBytes = size_t{h->count()} * kRtcpReportBlockSize;
  // RFC 3550 6.4.2: RC blocks must fit in the length; what follows them is an extension.
  if (payload.size() < kSsrcSize + blockBytes) return ParseError::kBadLength;
  // Extensions come in whole words (RFC 3550 6.4.2); an odd padding count cannot leave part of one.
  size_t extensionSize = payload.size() - kSsrcSize - blockBytes;
  if (extensionSize % kRtcpWordSize != 0) return ParseError::kBadLength;
  RtcpReceiverReport rr;
  rr.ssrc_ = readU32(payload.data());
  rr.blocks_ = RtcpReportBlockList(payload.subspan(kSsrcSize, blockBytes));
  rr.extension_ = payload.subspan(kSsrcSize + blockBytes, extensionSize);
  return rr;
}

size_t RtcpReceiverReport::build(uint32_t ssrc, std::span<const RtcpReportBlock> blocks,
                                 std::span<uint8_t> out, std::span<const uint8_t> extension) {
  size_t size = sizeFor(blocks.size(), extension.size());
  if (blocks.size() > kRtcpMaxCount || extension.size() % kRtcpWordSize != 0 || size > out.size() ||
      RtcpHeader::write(kRtcpTypeRr, static_cast<uint8_t>(blocks.size()), size, false, out) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + kRtcpHeaderSize;
  writeU32(p, ssrc);
  p += kSsrcSize;
  for (const auto& b : blocks) {
    p += b.write({p, kRtcpReportBlockSize});
  }
  std::copy(extension.begin(), extension.end(), p);
  return size;
}

}  // namespace switchyard::rtp
