// libFuzzer target: generic NACK. An accepted packet is rebuilt from its items (same bytes
// without padding), and from its expanded lost list, which must report the same set.

#include <bitset>
#include <cstdlib>
#include <span>
#include <vector>

#include "rtp/rtcp/RtcpNack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  std::span<const uint8_t> bytes(data, size);
  auto nack = RtcpNack::parse(bytes);
  if (!nack) return 0;
  std::vector<RtcpNackItem> items;
  for (size_t i = 0; i < nack->itemCount(); ++i)
    items.push_back(nack->item(i));
  std::vector<uint8_t> out(size);
  size_t written = RtcpNack::build(nack->senderSsrc(), nack->mediaSsrc(), items, out);
  if (written == 0 || written > size) std::abort();
  bool padded = (data[0] & 0x20) != 0;
  if (!padded && (written != size || out != std::vector<uint8_t>(data, data + size))) std::abort();

  std::vector<uint16_t> lost;
  std::bitset<65536> reported;
  for (uint16_t seq : nack->lost()) {
    lost.push_back(seq);
    reported.set(seq);
  }
  std::vector<uint16_t> firstFew(3);
  if (nack->lostSequenceNumbers(firstFew) != std::min<size_t>(3, lost.size())) std::abort();
  out.assign(kRtcpFeedbackHeaderSize + lost.size() * kRtcpNackItemSize, 0);
  written = RtcpNack::buildFromSequenceNumbers(1, 2, lost, out);
  if (written != kRtcpFeedbackHeaderSize + RtcpNack::itemCountFor(lost) * kRtcpNackItemSize) {
    std::abort();
  }
  auto again = RtcpNack::parse(std::span(out).first(written));
  if (!again) std::abort();
  std::bitset<65536> rebuilt;
  for (uint16_t seq : again->lost())
    rebuilt.set(seq);
  if (rebuilt != reported) std::abort();
  return 0;
}
