// libFuzzer target: the compound builder. The input picks the MTU, the buffer size, whether a
// report prefix is used, then a series of appends (raw slices of the input or built packets).
// Whatever is accepted, every compound must parse, fit the MTU, start with the prefix, and in
// reduced-size mode hold feedback only.

#include <algorithm>
#include <cstdlib>
#include <span>
#include <vector>

#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpCompoundBuilder.hpp"
#include "rtp/rtcp/RtcpNack.hpp"
#include "rtp/rtcp/RtcpPli.hpp"
#include "rtp/rtcp/RtcpReceiverReport.hpp"
#include "rtp/rtcp/RtcpRemb.hpp"
#include "rtp/rtcp/RtcpSdes.hpp"

namespace {

using namespace switchyard::rtp;

void check(const RtcpCompoundBuilder& b, size_t mtu, std::span<const uint8_t> prefix) {
  size_t total = 0;
  for (size_t i = 0; i < b.compoundCount(); ++i) {
    auto bytes = b.compound(i);
    total += bytes.size();
    if (bytes.size() > mtu || !std::equal(prefix.begin(), prefix.end(), bytes.begin())) {
      std::abort();
    }
    auto compound = RtcpCompound::parse(bytes);
    if (!compound) std::abort();
    if (prefix.empty()) {
      for (const auto& p : *compound) {
        uint8_t t = p.header.packetType();
        if (t != kRtcpTypeRtpfb && t != kRtcpTypePsfb) std::abort();
      }
    }
  }
  if (total != b.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  size_t mtu = 16 + data[0] * 4;
  size_t bufferSize = data[1] * 8;
  bool withPrefix = data[2] & 1;
  std::span<const uint8_t> ops(data + 3, size - 3);

  uint8_t prefixBytes[64];
  size_t prefixSize = 0;
  if (withPrefix) {
    prefixSize = RtcpReceiverReport::build(1, {}, prefixBytes);
    prefixSize += RtcpSdes::buildCname(1, "fuzz", std::span(prefixBytes).subspan(prefixSize));
  }
  std::span<const uint8_t> prefix(prefixBytes, prefixSize);
  std::vector<uint8_t> buffer(bufferSize);
  RtcpCompoundBuilder b(buffer, mtu, prefix);
  if (!b.ok()) {
    if (b.append(std::span(prefixBytes, 8)) || b.compoundCount() != 0) std::abort();
    return 0;
  }
  for (size_t i = 0; i + 2 <= ops.size();) {
    uint8_t op = ops[i];
    uint8_t arg = ops[i + 1];
    i += 2;
    switch (op % 4) {
      case 0: {  // raw bytes from the input, accepted only if they are valid RTCP
        size_t n = std::min<size_t>(arg, ops.size() - i);
        b.append(ops.subspan(i, n));
        i += n;
        break;
      }
      case 1:
        b.appendWith([&](std::span<uint8_t> room) { return RtcpPli::build(2, arg, room); });
        break;
      case 2: {
        std::vector<uint16_t> lost;
        for (uint16_t s = 0; s < arg; ++s)
          lost.push_back(static_cast<uint16_t>(s * 9));
        b.appendWith([&](std::span<uint8_t> room) {
          return RtcpNack::buildFromSequenceNumbers(2, 3, lost, room);
        });
        break;
      }
      case 3: {
        std::vector<uint32_t> ssrcs(arg % 40, 7);
        b.appendWith(
            [&](std::span<uint8_t> room) { return RtcpRemb::build(2, arg * 1000, ssrcs, room); });
        break;
      }
    }
    check(b, mtu, prefix);
  }
  check(b, mtu, prefix);
  return 0;
}
