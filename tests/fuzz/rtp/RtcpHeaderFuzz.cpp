// libFuzzer target: the RTCP common header. An accepted header must describe bytes that are
// present, and writing it back must give the same four bytes.

#include <cstdlib>
#include <span>

#include "rtp/rtcp/RtcpHeader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  std::span<const uint8_t> bytes(data, size);
  auto h = RtcpHeader::parse(bytes);
  if (!h) return 0;
  if (h->packetSize() > size || h->payloadSize() + kRtcpHeaderSize > h->packetSize()) std::abort();
  auto payload = h->payload(bytes);
  if (payload.data() != data + kRtcpHeaderSize || payload.size() != h->payloadSize()) std::abort();
  uint8_t out[kRtcpHeaderSize];
  if (RtcpHeader::write(h->packetType(), h->count(), h->packetSize(), h->padding(), out) !=
      kRtcpHeaderSize) {
    std::abort();
  }
  for (size_t i = 0; i < kRtcpHeaderSize; ++i) {
    if (out[i] != data[i]) std::abort();
  }
  auto exact = RtcpHeader::parseExact(bytes.first(h->packetSize()), h->packetType());
  if (!exact || exact->packetSize() != h->packetSize()) std::abort();
  return 0;
}
