// libFuzzer target: arbitrary bytes as a media packet, wrapped as RTX and unwrapped again in
// place; the result must be the original packet without its padding. The same bytes are
// also decapsulated directly, as an RTX packet from the network would be.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "rtp/RtxPacket.hpp"
#include "tests/fuzz/FuzzCheck.hpp"

namespace {

using namespace switchyard::rtp;

constexpr uint8_t kRtxPayloadType = 97;
constexpr uint32_t kRtxSsrc = 0x52545821;

using switchyard::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> original(data, data + size);
  auto media = RtpPacket::parse(original);
  if (!media) return 0;

  std::vector<uint8_t> out(size + RtxPacket::kOsnSize);
  auto rtx = RtxPacket::encapsulate(*media, out, kRtxPayloadType, kRtxSsrc, 7);
  if (rtx) {
    check(rtx->ssrc() == kRtxSsrc && rtx->sequenceNumber() == 7);
    check(!RtxPacket::decapsulate(*rtx, media->payloadType(), media->ssrc()).has_value());
    const size_t unpadded = media->size() - media->paddingSize();
    check(rtx->size() == unpadded);
    check(rtx->bytes()[0] == (original[0] & 0xDF));
    check(std::memcmp(rtx->bytes().data() + 1, original.data() + 1, unpadded - 1) == 0);
  }

  // As if the input itself were an RTX packet.
  std::vector<uint8_t> copy(data, data + size);
  auto asRtx = RtpPacket::parse(copy);
  if (asRtx && !RtxPacket::decapsulate(*asRtx, 96, 1).has_value()) {
    check(asRtx->size() + RtxPacket::kOsnSize <= size);
    check(RtpPacket::parse(asRtx->bytes()).ok());
  }
  return 0;
}
