// libFuzzer target: arbitrary bytes as an Opus RTP payload. An accepted packet must satisfy
// RFC 6716 3.4's limits as reported back: 1..48 frames, at most 120 ms, DTX only when tiny.

#include <cstdlib>

#include "rtp/codecs/OpusPayload.hpp"

using switchyard::rtp::OpusPayload;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto o = OpusPayload::parse(std::span<const uint8_t>(data, size));
  if (!o) return 0;
  if (o->size() != size || size == 0) std::abort();
  if (o->frameCount() == 0 || o->durationSamples48k() > OpusPayload::kMaxPacketSamples48k) {
    std::abort();
  }
  if (o->frameCountCode() == 0 && o->frameCount() != 1) std::abort();
  if ((o->frameCountCode() == 1 || o->frameCountCode() == 2) && o->frameCount() != 2) std::abort();
  if (o->paddingSize() > size) std::abort();
  if (o->isDtx() != (size <= OpusPayload::kMaxDtxPayloadSize)) std::abort();
  const uint32_t spf = o->samplesPerFrame48k();
  if (spf != 120 && spf != 240 && spf != 480 && spf != 960 && spf != 1920 && spf != 2880) {
    std::abort();
  }
  (void)o->mode();
  (void)o->bandwidth();
  return 0;
}
