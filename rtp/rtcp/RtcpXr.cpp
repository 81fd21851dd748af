#include "rtp/rtcp/RtcpXr.hpp"

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {

constexpr size_t kSsrcSize = 4;
constexpr size_t kMaxBlockWords = 0xFFFF;

// RFC 3611 3: the block length counts 32-bit words minus one, the block header included.
size_t blockSize(const uint8_t* p) {
  return kRtcpXrBlockHeaderSize + size_t{readU16(p + 2)} * kRtcpWordSize;
}

}  // namespace

std::span<const uint8_t> RtcpXr::Block::body() const {
  return {p_ + kRtcpXrBlockHeaderSize, blockSize(p_) - kRtcpXrBlockHeaderSize};
}

uint64_t RtcpXr::Block::ntpTimestamp() const {
  return readU64(p_ + kRtcpXrBlockHeaderSize);
}

RtcpXrDlrrItem RtcpXr::Block::dlrr(size_t i) const {
  const uint8_t* p = p_ + kRtcpXrBlockHeaderSize + i * kRtcpXrDlrrItemSize;
  return {readU32(p), readU32(p + 4), readU32(p + 8)};
}

RtcpXr::BlockIterator& RtcpXr::BlockIterator::operator++() {
  p_ += blockSize(p_);
  return *this;
}

Parsed<RtcpXr> RtcpXr::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypeXr);
  if (!h) return h.error();
  auto payload = h->payload(packet);
  if (payload.size() < kSsrcSize) return ParseError::kBadLength;
  for (size_t pos = kSsrcSize; pos < payload.size();) {
    if (payload.size() - pos < kRtcpXrBlockHeaderSize) return ParseError::kBadLength;
    size_t size = blockSize(&payload[pos]);
    if (payload.size() - pos < size) return ParseError::kBadLength;
    size_t body = size - kRtcpXrBlockHeaderSize;
    uint8_t type = payload[pos];
    if (type == kRtcpXrBlockRrtr && body != kRtcpXrRrtrBodySize) return ParseError::kBadLength;
    if (type == kRtcpXrBlockDlrr && body % kRtcpXrDlrrItemSize != 0) return ParseError::kBadLength;
    pos += size;
  }
  RtcpXr xr;
  xr.payload_ = payload;
  return xr;
}

uint32_t RtcpXr::senderSsrc() const {
  return readU32(payload_.data());
}

std::optional<RtcpXr::Block> RtcpXr::find(uint8_t type) const {
  for (auto block : *this) {
    if (block.type() == type) return block;
  }
  return std::nullopt;
}

size_t RtcpXr::build(uint32_t senderSsrc, std::optional<uint64_t> rrtrNtp,
                     std::span<const RtcpXrDlrrItem> dlrr, std::span<uint8_t> out) {
  size_t dlrrWords = dlrr.size() * kRtcpXrDlrrItemSize / kRtcpWordSize;
  if (dlrrWords > kMaxBlockWords) return 0;
  size_t size = kRtcpHeaderSize + kSsrcSize;
  if (rrtrNtp) size += kRtcpXrBlockHeaderSize + kRtcpXrRrtrBodySize;
  if (!dlrr.empty()) size += kRtcpXrBlockHeaderSize + dlrr.size() * kRtcpXrDlrrItemSize;
  if (size > out.size() || RtcpHeader::write(kRtcpTypeXr, 0, size, false, out) == 0) return 0;
  uint8_t* p = out.data() + kRtcpHeaderSize;
  writeU32(p, senderSsrc);
  p += kSsrcSize;
  if (rrtrNtp) {
    p[0] = kRtcpXrBlockRrtr;
    p[1] = 0;
    writeU16(p + 2, kRtcpXrRrtrBodySize / kRtcpWordSize);
    writeU64(p + kRtcpXrBlockHeaderSize, *rrtrNtp);
    p += kRtcpXrBlockHeaderSize + kRtcpXrRrtrBodySize;
  }
  if (!dlrr.empty()) {
    p[0] = kRtcpXrBlockDlrr;
    p[1] = 0;
    writeU16(p + 2, static_cast<uint16_t>(dlrrWords));
    p += kRtcpXrBlockHeaderSize;
    for (const auto& item : dlrr) {
      writeU32(p, item.ssrc);
      writeU32(p + 4, item.lastRr);
      writeU32(p + 8, item.delaySinceLastRr);
      p += kRtcpXrDlrrItemSize;
    }
  }
  return size;
}

}  // namespace switchyard::rtp
