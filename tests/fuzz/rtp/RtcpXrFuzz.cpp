// libFuzzer target: XR. Every block of an accepted packet is walked inside the packet; the
// first RRTR and DLRR are rebuilt and parsed back to the same values.

#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "rtp/rtcp/RtcpXr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  auto xr = RtcpXr::parse(std::span(data, size));
  if (!xr) return 0;
  for (auto block : *xr) {
    auto body = block.body();
    if (body.data() < data || body.data() + body.size() > data + size) std::abort();
  }
  std::optional<uint64_t> rrtr;
  if (auto b = xr->find(kRtcpXrBlockRrtr)) rrtr = b->ntpTimestamp();
  std::vector<RtcpXrDlrrItem> dlrr;
  if (auto b = xr->find(kRtcpXrBlockDlrr)) {
    for (size_t i = 0; i < b->dlrrCount(); ++i)
      dlrr.push_back(b->dlrr(i));
  }
  std::vector<uint8_t> out(size + 32);  // RRTR and DLRR never grow past the original
  size_t written = RtcpXr::build(xr->senderSsrc(), rrtr, dlrr, out);
  if (written == 0) std::abort();
  auto again = RtcpXr::parse(std::span(out).first(written));
  if (!again || again->senderSsrc() != xr->senderSsrc()) std::abort();
  auto r = again->find(kRtcpXrBlockRrtr);
  if (r.has_value() != rrtr.has_value() || (r && r->ntpTimestamp() != *rrtr)) std::abort();
  auto d = again->find(kRtcpXrBlockDlrr);
  if (d.has_value() != !dlrr.empty()) std::abort();
  for (size_t i = 0; d && i < dlrr.size(); ++i) {
    if (!(d->dlrr(i) == dlrr[i])) std::abort();
  }
  return 0;
}
