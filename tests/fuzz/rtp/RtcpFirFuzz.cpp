// libFuzzer target: FIR. An accepted packet is rebuilt from its entries and parsed back to the
// same entries (reserved bits and the unused media SSRC are not kept).

#include <cstdlib>
#include <span>
#include <vector>

#include "rtp/rtcp/RtcpFir.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  auto fir = RtcpFir::parse(std::span(data, size));
  if (!fir) return 0;
  std::vector<RtcpFirEntry> entries;
  for (size_t i = 0; i < fir->entryCount(); ++i)
    entries.push_back(fir->entry(i));
  std::vector<uint8_t> out(size);
  size_t written = RtcpFir::build(fir->senderSsrc(), entries, out);
  if (written == 0 || written > size) std::abort();
  auto again = RtcpFir::parse(std::span(out).first(written));
  if (!again || again->senderSsrc() != fir->senderSsrc() || again->mediaSsrc() != 0 ||
      again->entryCount() != entries.size()) {
    std::abort();
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!(again->entry(i) == entries[i])) std::abort();
  }
  return 0;
}
