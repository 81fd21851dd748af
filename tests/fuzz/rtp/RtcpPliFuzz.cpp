// libFuzzer target: PLI. An accepted packet rebuilt from its SSRCs gives the same bytes unless
// it carried padding.

#include <cstdlib>
#include <cstring>
#include <span>

#include "rtp/rtcp/RtcpPli.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  auto pli = RtcpPli::parse(std::span(data, size));
  if (!pli) return 0;
  uint8_t out[kRtcpPliSize];
  if (RtcpPli::build(pli->senderSsrc(), pli->mediaSsrc(), out) != kRtcpPliSize) std::abort();
  if ((data[0] & 0x20) == 0 && (size != kRtcpPliSize || std::memcmp(out, data, size) != 0)) {
    std::abort();
  }
  return 0;
}
