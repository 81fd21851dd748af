#include "rtp/rtcp/RtcpNack.hpp"

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {

constexpr size_t kSsrcsSize = 8;  // sender and media SSRC (RFC 4585 6.1)

// Walks `lost` (increasing RTP order) and hands each finished item to `emit`.
template <typename Emit>
void packItems(std::span<const uint16_t> lost, Emit&& emit) {
  if (lost.empty()) return;
  RtcpNackItem item{lost[0], 0};
  for (size_t i = 1; i < lost.size(); ++i) {
    auto diff = static_cast<uint16_t>(lost[i] - item.packetId);
    if (diff == 0) continue;  // duplicate of PID
    if (diff <= kRtcpNackBitmaskSpan) {
      item.lostBitmask = static_cast<uint16_t>(item.lostBitmask | 1u << (diff - 1));
    } else {
      emit(item);
      item = {lost[i], 0};
    }
  }
  emit(item);
}

}  // namespace

RtcpNack::LostIterator::LostIterator(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {
  settle();
}

uint16_t RtcpNack::LostIterator::readPid() const {
  return readU16(p_);
}

void RtcpNack::LostIterator::settle() {
  while (p_ != end_) {
    if (bit_ == 0) return;
    if (bit_ <= kRtcpNackBitmaskSpan) {
      uint16_t blp = readU16(p_ + 2);
      if (blp >> (bit_ - 1) & 1) return;
      ++bit_;
      continue;
    }
    p_ += kRtcpNackItemSize;
    bit_ = 0;
  }
  bit_ = 0;  // the end position compares equal to end()
}

RtcpNack::LostIterator& RtcpNack::LostIterator::operator++() {
  ++bit_;
  settle();
  return *this;
}

Parsed<RtcpNack> RtcpNack::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypeRtpfb);
  if (!h) return h.error();
  if (h->fmt() != kRtcpNackFmt) return ParseError::kBadPayloadType;
  auto payload = h->payload(packet);
  // RFC 4585 6.2.1: at least one FCI item, whole items only.
  if (payload.size() < kSsrcsSize + kRtcpNackItemSize ||
      (payload.size() - kSsrcsSize) % kRtcpNackItemSize != 0) {
    return ParseError::kBadLength;
  }
  RtcpNack nack;
  nack.payload_ = payload;
  return nack;
}

uint32_t RtcpNack::senderSsrc() const {
  return readU32(payload_.data());
}

uint32_t RtcpNack::mediaSsrc() const {
  return readU32(payload_.data() + 4);
}

RtcpNackItem RtcpNack::item(size_t i) const {
  const uint8_t* p = payload_.data() + kSsrcsSize + i * kRtcpNackItemSize;
  return {readU16(p), readU16(p + 2)};
}

RtcpNack::LostRange RtcpNack::lost() const {
  const uint8_t* end = payload_.data() + payload_.size();
  return {LostIterator(payload_.data() + kSsrcsSize, end), LostIterator(end, end)};
}

size_t RtcpNack::lostSequenceNumbers(std::span<uint16_t> out) const {
  size_t n = 0;
  for (uint16_t seq : lost()) {
    if (n == out.size()) break;
    out[n++] = seq;
  }
  return n;
}

size_t RtcpNack::build(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<const RtcpNackItem> items,
                       std::span<uint8_t> out) {
  size_t size = kRtcpHeaderSize + kSsrcsSize + items.size() * kRtcpNackItemSize;
  if (items.empty() || size > out.size() ||
      RtcpHeader::write(kRtcpTypeRtpfb, kRtcpNackFmt, size, false, out) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + kRtcpHeaderSize;
  writeU32(p, senderSsrc);
  writeU32(p + 4, mediaSsrc);
  p += kSsrcsSize;
  for (const auto& item : items) {
    writeU16(p, item.packetId);
    writeU16(p + 2, item.lostBitmask);
    p += kRtcpNackItemSize;
  }
  return size;
}

size_t RtcpNack::itemCountFor(std::span<const uint16_t> lost) {
  size_t n = 0;
  packItems(lost, [&](const RtcpNackItem&) { ++n; });
  return n;
}

size_t RtcpNack::buildFromSequenceNumbers(uint32_t senderSsrc, uint32_t mediaSsrc,
                                          std::span<const uint16_t> lost, std::span<uint8_t> out) {
  size_t items = itemCountFor(lost);
  size_t size = kRtcpHeaderSize + kSsrcsSize + items * kRtcpNackItemSize;
  if (items == 0 || size > out.size() ||
      RtcpHeader::write(kRtcpTypeRtpfb, kRtcpNackFmt, size, false, out) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + kRtcpHeaderSize;
  writeU32(p, senderSsrc);
  writeU32(p + 4, mediaSsrc);
  p += kSsrcsSize;
  packItems(lost, [&](const RtcpNackItem& item) {
    writeU16(p, item.packetId);
    writeU16(p + 2, item.lostBitmask);
    p += kRtcpNackItemSize;
  });
  return size;
}

}  // namespace switchyard::rtp
