#include "rtp/rtcp/RtcpReportBlock.hpp"

#include <algorithm>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {

int32_t signExtend24(uint32_t v) {
  return static_cast<int32_t>(v << 8) >> 8;
}

}  // namespace

Parsed<RtcpReportBlock> RtcpReportBlock::parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < kRtcpReportBlockSize) return ParseError::kTooShort;
  return *RtcpReportBlockList::Iterator(bytes.data());
}

RtcpReportBlock RtcpReportBlockList::Iterator::operator*() const {
  RtcpReportBlock b;
  b.ssrc = readU32(p_);
  b.fractionLost = p_[4];
  b.cumulativeLost = signExtend24(readU24(p_ + 5));
  b.extendedHighestSequence = readU32(p_ + 8);
  b.jitter = readU32(p_ + 12);
  b.lastSenderReport = readU32(p_ + 16);
  b.delaySinceLastSenderReport = readU32(p_ + 20);
  return b;
}

size_t RtcpReportBlock::write(std::span<uint8_t> out) const {
  if (out.size() < kRtcpReportBlockSize) return 0;
  uint8_t* p = out.data();
  writeU32(p, ssrc);
  p[4] = fractionLost;
  int32_t lost = std::clamp(cumulativeLost, kRtcpMinCumulativeLost, kRtcpMaxCumulativeLost);
  writeU24(p + 5, static_cast<uint32_t>(lost) & 0xFFFFFF);
  writeU32(p + 8, extendedHighestSequence);
  writeU32(p + 12, jitter);
  writeU32(p + 16, lastSenderReport);
  writeU32(p + 20, delaySinceLastSenderReport);
  return kRtcpReportBlockSize;
}

}  // namespace switchyard::rtp
