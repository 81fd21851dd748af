// libFuzzer target: SDES. Every chunk and item of an accepted packet is walked, the packet is
// rebuilt from them, and without padding the bytes must match.

#include <cstdlib>
#include <span>
#include <vector>

#include "rtp/rtcp/RtcpSdes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  std::span<const uint8_t> bytes(data, size);
  auto sdes = RtcpSdes::parse(bytes);
  if (!sdes) return 0;
  std::vector<std::vector<RtcpSdesItem>> items;
  std::vector<RtcpSdesChunk> chunks;
  for (auto chunk : *sdes) {
    items.emplace_back(chunk.begin(), chunk.end());
    for (const auto& item : items.back()) {
      const auto* p = reinterpret_cast<const uint8_t*>(item.text.data());
      if (item.type == kRtcpSdesEnd || p < data || p + item.text.size() > data + size) std::abort();
    }
    (void)chunk.cname();
  }
  if (items.size() != sdes->chunkCount()) std::abort();
  size_t i = 0;
  for (auto chunk : *sdes)
    chunks.push_back({chunk.ssrc(), items[i++]});
  std::vector<uint8_t> out(size);
  size_t written = RtcpSdes::build(chunks, out);
  if (written == 0 || written > size) std::abort();
  bool padded = (data[0] & 0x20) != 0;
  if (!padded && (written != size || out != std::vector<uint8_t>(data, data + size))) std::abort();
  auto again = RtcpSdes::parse(std::span(out).first(written));
  if (!again || again->chunkCount() != chunks.size()) std::abort();
  return 0;
}
