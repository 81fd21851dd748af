// libFuzzer target: BYE. An accepted packet is rebuilt from its SSRCs and reason and parsed
// again to the same values; bytes must match when nothing was dropped (padding, empty reason).

#include <array>
#include <cstdlib>
#include <span>
#include <vector>

#include "rtp/rtcp/RtcpBye.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  std::span<const uint8_t> bytes(data, size);
  auto bye = RtcpBye::parse(bytes);
  if (!bye) return 0;
  std::array<uint32_t, kRtcpMaxCount> ssrcs;
  for (size_t i = 0; i < bye->ssrcCount(); ++i)
    ssrcs[i] = bye->ssrc(i);
  auto list = std::span(ssrcs).first(bye->ssrcCount());
  std::vector<uint8_t> out(size);
  size_t written = RtcpBye::build(list, bye->reason(), out);
  if (written == 0 || written > size) std::abort();
  bool lossless = (data[0] & 0x20) == 0 && !(bye->hasReason() && bye->reason().empty());
  if (lossless && (written != size || out != std::vector<uint8_t>(data, data + size))) std::abort();
  auto again = RtcpBye::parse(std::span(out).first(written));
  if (!again || again->ssrcCount() != list.size() || again->reason() != bye->reason()) std::abort();
  for (size_t i = 0; i < list.size(); ++i) {
    if (again->ssrc(i) != list[i]) std::abort();
  }
  return 0;
}
