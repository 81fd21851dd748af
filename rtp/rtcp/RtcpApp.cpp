#include "rtp/rtcp/RtcpApp.hpp"

#include <algorithm>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {
constexpr size_t kSsrcSize = 4;
}  // namespace

Parsed<RtcpApp> RtcpApp::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypeApp);
  if (!h) return h.error();
  auto payload = h->payload(packet);
  if (payload.size() < kSsrcSize + kRtcpAppNameSize) return ParseError::kBadLength;
  // RFC 3550 6.7: the data is a multiple of 32 bits long.
  if ((payload.size() - kSsrcSize - kRtcpAppNameSize) % kRtcpWordSize != 0) {
    return ParseError::kBadLength;
  }
  RtcpApp app;
  app.payload_ = payload;
  app.subtype_ = h->count();
  return app;
}

uint32_t RtcpApp::ssrc() const {
  return readU32(payload_.data());
}

std::string_view RtcpApp::name() const {
  return {reinterpret_cast<const char*>(payload_.data() + kSsrcSize), kRtcpAppNameSize};
}

size_t RtcpApp::build(uint8_t subtype, uint32_t ssrc, std::string_view name,
                      std::span<const uint8_t> data, std::span<uint8_t> out) {
  size_t size = kRtcpAppFixedSize + data.size();
  if (name.size() != kRtcpAppNameSize || data.size() % kRtcpWordSize != 0 || size > out.size() ||
      RtcpHeader::write(kRtcpTypeApp, subtype, size, false, out) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + kRtcpHeaderSize;
  writeU32(p, ssrc);
  std::copy(name.begin(), name.end(), p + kSsrcSize);
  std::copy(data.begin(), data.end(), p + kSsrcSize + kRtcpAppNameSize);
  return size;
}

}  // namespace switchyard::rtp
