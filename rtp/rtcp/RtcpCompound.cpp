#include "rtp/rtcp/RtcpCompound.hpp"

namespace switchyard::rtp {

void RtcpCompound::Iterator::load() {
  // parse() validated every header already.
  if (!rest_.empty()) header_ = *RtcpHeader::parse(rest_);
}

RtcpCompound::Iterator& RtcpCompound::Iterator::operator++() {
  rest_ = rest_.subspan(header_.packetSize());
  load();
  return *this;
}

Parsed<RtcpCompound> RtcpCompound::parse(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return ParseError::kTooShort;
  RtcpCompound c;
  c.bytes_ = bytes;
  for (auto rest = bytes; !rest.empty();) {
    auto h = RtcpHeader::parse(rest);
    if (!h) return h.error();
    // packetSize() is at least one word, so every step moves forward.
    rest = rest.subspan(h->packetSize());
    ++c.packetCount_;
  }
  return c;
}

bool RtcpCompound::startsWithReport() const {
  uint8_t type = bytes_[1];
  return type == kRtcpTypeSr || type == kRtcpTypeRr;
}

}  // namespace switchyard::rtp
