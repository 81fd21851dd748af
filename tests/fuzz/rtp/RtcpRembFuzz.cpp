// libFuzzer target: REMB. An accepted packet is rebuilt from its bitrate and SSRCs and parsed
// back to the same values (the mantissa/exponent split may be normalised).

#include <cstdlib>
#include <span>
#include <vector>

#include "rtp/rtcp/RtcpRemb.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  auto remb = RtcpRemb::parse(std::span(data, size));
  if (!remb) return 0;
  std::vector<uint32_t> ssrcs;
  for (size_t i = 0; i < remb->ssrcCount(); ++i)
    ssrcs.push_back(remb->ssrc(i));
  std::vector<uint8_t> out(size);
  size_t written = RtcpRemb::build(remb->senderSsrc(), remb->bitrateBps(), ssrcs, out);
  if (written == 0 || written > size) std::abort();
  auto again = RtcpRemb::parse(std::span(out).first(written));
  if (!again || again->bitrateBps() != remb->bitrateBps() ||
      again->senderSsrc() != remb->senderSsrc() || again->ssrcCount() != ssrcs.size()) {
    std::abort();
  }
  for (size_t i = 0; i < ssrcs.size(); ++i) {
    if (again->ssrc(i) != ssrcs[i]) std::abort();
  }
  return 0;
}
