// libFuzzer target: report blocks. Every block read back out must write the same 24 bytes.

#include <cstdlib>
#include <cstring>
#include <span>

#include "rtp/rtcp/RtcpReportBlock.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  std::span<const uint8_t> bytes(data, size);
  auto block = RtcpReportBlock::parse(bytes);
  if (block.ok() != (size >= kRtcpReportBlockSize)) std::abort();
  RtcpReportBlockList list(bytes.first(size / kRtcpReportBlockSize * kRtcpReportBlockSize));
  size_t i = 0;
  for (auto b : list) {
    uint8_t out[kRtcpReportBlockSize];
    if (b.write(out) != kRtcpReportBlockSize) std::abort();
    if (std::memcmp(out, data + i * kRtcpReportBlockSize, kRtcpReportBlockSize) != 0) std::abort();
    if (!(list[i] == b)) std::abort();
    ++i;
  }
  if (i != list.size()) std::abort();
  return 0;
}
