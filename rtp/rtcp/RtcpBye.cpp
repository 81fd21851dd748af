#include "rtp/rtcp/RtcpBye.hpp"

#include <algorithm>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {

constexpr size_t kSsrcSize = 4;

constexpr size_t padTo32(size_t n) {
  return (n + kRtcpWordSize - 1) / kRtcpWordSize * kRtcpWordSize;
}

}  // namespace

Parsed<RtcpBye> RtcpBye::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypeBye);
  if (!h) return h.error();
  auto payload = h->payload(packet);
  size_t ssrcBytes = size_t{h->count()} * kSsrcSize;
  if (payload.size() < ssrcBytes) return ParseError::kBadLength;
  RtcpBye bye;
  bye.payload_ = payload;
  bye.ssrcCount_ = h->count();
  auto rest = payload.subspan(ssrcBytes);
  if (!rest.empty()) {
    // RFC 3550 6.6: length octet, text, zero padding to the next 32-bit boundary.
    size_t textSize = rest[0];
    if (rest.size() != padTo32(1 + textSize)) return ParseError::kBadLength;
    if (!std::all_of(rest.begin() + 1 + static_cast<std::ptrdiff_t>(textSize), rest.end(),
                     [](uint8_t b) { return b == 0; })) {
      return ParseError::kMalformed;
    }
    bye.hasReason_ = true;
    bye.reason_ = std::string_view(reinterpret_cast<const char*>(rest.data() + 1), textSize);
  }
  return bye;
}

uint32_t RtcpBye::ssrc(size_t i) const {
  return readU32(payload_.data() + i * kSsrcSize);
}

size_t RtcpBye::build(std::span<const uint32_t> ssrcs, std::string_view reason,
                      std::span<uint8_t> out) {
  if (ssrcs.size() > kRtcpMaxCount || reason.size() > kRtcpByeMaxReasonSize) return 0;
  size_t reasonBytes = reason.empty() ? 0 : padTo32(1 + reason.size());
  size_t size = kRtcpHeaderSize + ssrcs.size() * kSsrcSize + reasonBytes;
  if (size > out.size() ||
      RtcpHeader::write(kRtcpTypeBye, static_cast<uint8_t>(ssrcs.size()), size, false, out) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + kRtcpHeaderSize;
  for (uint32_t ssrc : ssrcs) {
    writeU32(p, ssrc);
    p += kSsrcSize;
  }
  if (!reason.empty()) {
    p[0] = static_cast<uint8_t>(reason.size());
    std::copy(reason.begin(), reason.end(), p + 1);
    std::fill(p + 1 + reason.size(), p + reasonBytes, uint8_t{0});
  }
  return size;
}

}  // namespace switchyard::rtp
