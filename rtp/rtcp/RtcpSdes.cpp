#include "rtp/rtcp/RtcpSdes.hpp"

#include <algorithm>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {

constexpr size_t kSsrcSize = 4;
constexpr size_t kItemHeaderSize = 2;  // type, length

constexpr size_t padTo32(size_t n) {
  return (n + kRtcpWordSize - 1) / kRtcpWordSize * kRtcpWordSize;
}

// Size of a chunk: SSRC, items, the end octet, then zero padding to 32 bits (RFC 3550 6.5).
size_t chunkSize(const RtcpSdesChunk& c) {
  size_t n = kSsrcSize + 1;
  for (const auto& item : c.items)
    n += kItemHeaderSize + item.text.size();
  return padTo32(n);
}

// The end octet of a chunk that parse() validated.
const uint8_t* endOctet(const uint8_t* chunk) {
  const uint8_t* p = chunk + kSsrcSize;
  while (*p != kRtcpSdesEnd)
    p += kItemHeaderSize + p[1];
  return p;
}

}  // namespace

RtcpSdesItem RtcpSdes::ItemIterator::operator*() const {
  return {p_[0], std::string_view(reinterpret_cast<const char*>(p_ + kItemHeaderSize), p_[1])};
}

RtcpSdes::ItemIterator& RtcpSdes::ItemIterator::operator++() {
  p_ += kItemHeaderSize + p_[1];
  return *this;
}

uint32_t RtcpSdes::Chunk::ssrc() const {
  return readU32(p_);
}

RtcpSdes::ItemIterator RtcpSdes::Chunk::end() const {
  return ItemIterator(endOctet(p_));
}

std::optional<std::string_view> RtcpSdes::Chunk::find(uint8_t type) const {
  for (auto item : *this) {
    if (item.type == type) return item.text;
  }
  return std::nullopt;
}

RtcpSdes::ChunkIterator& RtcpSdes::ChunkIterator::operator++() {
  p_ += padTo32(static_cast<size_t>(endOctet(p_) + 1 - p_));
  return *this;
}

Parsed<RtcpSdes> RtcpSdes::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypeSdes);
  if (!h) return h.error();
  auto payload = h->payload(packet);
  size_t pos = 0;
  for (size_t c = 0; c < h->count(); ++c) {
    size_t chunkStart = pos;
    if (payload.size() - pos < kSsrcSize) return ParseError::kBadLength;
    pos += kSsrcSize;
    for (;;) {
      if (pos >= payload.size()) return ParseError::kBadLength;  // no end octet
      if (payload[pos] == kRtcpSdesEnd) break;
      if (payload.size() - pos < kItemHeaderSize) return ParseError::kBadLength;
      size_t itemSize = kItemHeaderSize + payload[pos + 1];
      if (payload.size() - pos < itemSize) return ParseError::kBadLength;
      pos += itemSize;
    }
    size_t end = chunkStart + padTo32(pos + 1 - chunkStart);
    if (end > payload.size()) return ParseError::kBadLength;
    // The end octet and the padding after it are all zero.
    if (!std::all_of(payload.begin() + static_cast<std::ptrdiff_t>(pos),
                     payload.begin() + static_cast<std::ptrdiff_t>(end),
                     [](uint8_t b) { return b == 0; })) {
      return ParseError::kMalformed;
    }
    pos = end;
  }
  // SC chunks must account for the whole length.
  if (pos != payload.size()) return ParseError::kBadLength;
  RtcpSdes sdes;
  sdes.payload_ = payload;
  sdes.chunkCount_ = h->count();
  return sdes;
}

size_t RtcpSdes::build(std::span<const RtcpSdesChunk> chunks, std::span<uint8_t> out) {
  if (chunks.size() > kRtcpMaxCount) return 0;
  size_t size = kRtcpHeaderSize;
  for (const auto& c : chunks) {
    for (const auto& item : c.items) {
      if (item.type == kRtcpSdesEnd || item.text.size() > kRtcpSdesMaxTextSize) return 0;
    }
    size += chunkSize(c);
  }
  if (size > out.size() || RtcpHeader::write(kRtcpTypeSdes, static_cast<uint8_t>(chunks.size()),
                                             size, false, out) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + kRtcpHeaderSize;
  for (const auto& c : chunks) {
    uint8_t* start = p;
    writeU32(p, c.ssrc);
    p += kSsrcSize;
    for (const auto& item : c.items) {
      p[0] = item.type;
      p[1] = static_cast<uint8_t>(item.text.size());
      std::copy(item.text.begin(), item.text.end(), p + kItemHeaderSize);
      p += kItemHeaderSize + item.text.size();
    }
    uint8_t* end = start + chunkSize(c);
    std::fill(p, end, uint8_t{0});
    p = end;
  }
  return size;
}

size_t RtcpSdes::buildCname(uint32_t ssrc, std::string_view cname, std::span<uint8_t> out) {
  RtcpSdesItem item{kRtcpSdesCname, cname};
  RtcpSdesChunk chunk{ssrc, {&item, 1}};
  return build({&chunk, 1}, out);
}

}  // namespace switchyard::rtp
