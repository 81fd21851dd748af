// libFuzzer target: arbitrary bytes as a VP8 RTP payload. An accepted descriptor must describe
// bytes that exist, and rewriting PictureID and TL0PICIDX must change only those fields.

#include <cstdlib>
#include <vector>

#include "rtp/codecs/Vp8PayloadDescriptor.hpp"

using switchyard::rtp::Vp8PayloadDescriptor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto d = Vp8PayloadDescriptor::parse(in);
  if (!d) return 0;
  if (d->size() == 0 || d->size() > Vp8PayloadDescriptor::kMaxSize || d->size() >= size) {
    std::abort();
  }
  if (d->isKeyframe() &&
      (!d->startsFrame() || size - d->size() < Vp8PayloadDescriptor::kKeyframeHeaderSize)) {
    std::abort();
  }

  std::vector<uint8_t> copy(data, data + size);
  const uint16_t newId = size >= 2 ? static_cast<uint16_t>(data[0] << 8 | data[size - 1]) : 1;
  const uint8_t newTl0 = static_cast<uint8_t>(size);
  auto w = Vp8PayloadDescriptor::parse(copy);
  if (w->rewritePictureId(copy, newId) != d->hasPictureId()) std::abort();
  if (w->rewriteTl0PicIdx(copy, newTl0) != d->hasTl0PicIdx()) std::abort();
  auto again = Vp8PayloadDescriptor::parse(copy);
  if (!again || again->size() != d->size() || again->isKeyframe() != d->isKeyframe() ||
      again->hasPictureId() != d->hasPictureId() ||
      again->pictureIdIs15Bit() != d->pictureIdIs15Bit() ||
      again->temporalId() != d->temporalId() || again->keyIdx() != d->keyIdx()) {
    std::abort();
  }
  if (d->hasPictureId()) {
    const uint16_t want = d->pictureIdIs15Bit() ? newId % 32768 : newId % 128;
    if (again->pictureId() != want || w->pictureId() != want) std::abort();
  }
  if (d->hasTl0PicIdx() && again->tl0PicIdx() != newTl0) std::abort();
  // Only the rewritten fields' bytes (inside the descriptor, after byte 1) may differ.
  if (copy[0] != data[0] || (d->extended() && copy[1] != data[1])) std::abort();
  for (size_t i = d->size(); i < size; ++i) {
    if (copy[i] != data[i]) std::abort();
  }
  return 0;
}
