// libFuzzer target: sender reports. An accepted SR is rebuilt from its fields; without padding
// the bytes must match, with padding the values must.

#include <array>
#include <cstdlib>
#include <span>
#include <vector>

#include "rtp/rtcp/RtcpSenderReport.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  std::span<const uint8_t> bytes(data, size);
  auto sr = RtcpSenderReport::parse(bytes);
  if (!sr) return 0;
  std::array<RtcpReportBlock, kRtcpMaxCount> blocks;
  size_t n = 0;
  for (auto b : sr->reportBlocks())
    blocks[n++] = b;
  std::vector<uint8_t> out(size);
  size_t written = RtcpSenderReport::build(sr->ssrc(), sr->senderInfo(), std::span(blocks).first(n),
                                           out, sr->extension());
  if (written == 0 || written > size) std::abort();
  bool padded = (data[0] & 0x20) != 0;
  if (!padded && (written != size || out != std::vector<uint8_t>(data, data + size))) std::abort();
  auto again = RtcpSenderReport::parse(std::span(out).first(written));
  if (!again || !(again->senderInfo() == sr->senderInfo()) || again->ssrc() != sr->ssrc() ||
      again->reportBlocks().size() != n) {
    std::abort();
  }
  for (size_t i = 0; i < n; ++i) {
    if (!(again->reportBlocks()[i] == blocks[i])) std::abort();
  }
  return 0;
}
