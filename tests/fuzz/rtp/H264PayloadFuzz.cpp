// libFuzzer target: arbitrary bytes as an H.264 RTP payload. An accepted STAP-A's NAL units
// must tile the payload exactly; the keyframe flags must agree with the NAL units seen.

#include <cstdlib>

#include "rtp/codecs/H264Payload.hpp"

using switchyard::rtp::H264Payload;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto h = H264Payload::parse(in);
  if (!h) return 0;
  size_t count = 0, covered = 0;
  bool sps = false, pps = false, idr = false;
  for (auto nalu : h->nalus()) {
    if (nalu.empty() || nalu.data() < data || nalu.data() + nalu.size() > data + size) {
      std::abort();
    }
    const uint8_t type = nalu[0] & 0x1F;
    if (type < H264Payload::kFirstSingleNalu || type > H264Payload::kLastSingleNalu) std::abort();
    sps |= type == H264Payload::kSps;
    pps |= type == H264Payload::kPps;
    idr |= type == H264Payload::kSliceIdr;
    covered += nalu.size() + (h->kind() == H264Payload::Kind::kStapA ? 2 : 0);
    ++count;
  }
  if (count != h->naluCount()) std::abort();
  switch (h->kind()) {
    case H264Payload::Kind::kSingleNalu:
      if (count != 1 || covered != size) std::abort();
      break;
    case H264Payload::Kind::kStapA:
      if (count == 0 || covered + 1 != size) std::abort();
      break;
    case H264Payload::Kind::kFuA:
      if (count != 0 || size < H264Payload::kFuAHeaderSize) std::abort();
      if (h->fuStart() && h->fuEnd()) std::abort();
      if (h->fuPayload().size() != size - H264Payload::kFuAHeaderSize) std::abort();
      sps = h->fuStart() && h->naluType() == H264Payload::kSps;
      pps = h->fuStart() && h->naluType() == H264Payload::kPps;
      idr = h->fuStart() && h->naluType() == H264Payload::kSliceIdr;
      break;
  }
  if (sps != h->hasSps() || pps != h->hasPps() || idr != h->hasIdr()) std::abort();
  if (h->isKeyframe() != (idr || (sps && pps))) std::abort();
  return 0;
}
