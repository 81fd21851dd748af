// libFuzzer target: arbitrary bytes as a VP9 RTP payload. An accepted descriptor's counts
// (P_DIFFs, SS layers and pictures) must match bytes that exist, and rewriting PictureID and
// TL0PICIDX must change only those fields.

#include <cstdlib>
#include <vector>

#include "rtp/codecs/Vp9PayloadDescriptor.hpp"

using switchyard::rtp::Vp9PayloadDescriptor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto d = Vp9PayloadDescriptor::parse(in);
  if (!d) return 0;
  if (d->size() == 0 || d->size() >= size) std::abort();
  if (d->pDiffCount() > Vp9PayloadDescriptor::kMaxPDiffs) std::abort();
  if (d->pDiffCount() > 0 && !(d->flexibleMode() && d->interPicturePredicted())) std::abort();
  if (d->isKeyframe() && (d->interPicturePredicted() || !d->startOfFrame())) std::abort();

  if (d->hasScalabilityStructure()) {
    auto ss = d->ss();
    // The SS lies inside the descriptor.
    if (ss.size() == 0 || ss.size() >= d->size() || ss.spatialLayerCount() < 1 ||
        ss.spatialLayerCount() > Vp9PayloadDescriptor::kMaxSpatialLayers) {
      std::abort();
    }
    unsigned sum = 0;
    if (ss.hasResolutions()) {
      for (size_t i = 0; i < ss.spatialLayerCount(); ++i)
        sum += ss.width(i) + ss.height(i);
    }
    size_t pictures = 0;
    for (auto pic : ss.pictures()) {
      if (pic.pDiffCount > Vp9PayloadDescriptor::kMaxGroupPDiffs) std::abort();
      for (size_t k = 0; k < pic.pDiffCount; ++k)
        sum += pic.pDiffs[k];
      ++pictures;
    }
    if (pictures != ss.pictureCount()) std::abort();
    (void)sum;
  } else if (d->ss().size() != 0) {
    std::abort();
  }

  std::vector<uint8_t> copy(data, data + size);
  const uint16_t newId = size >= 2 ? static_cast<uint16_t>(data[1] << 8 | data[size - 1]) : 1;
  const uint8_t newTl0 = static_cast<uint8_t>(size * 7);
  auto w = Vp9PayloadDescriptor::parse(copy);
  if (w->rewritePictureId(copy, newId) != d->hasPictureId()) std::abort();
  if (w->rewriteTl0PicIdx(copy, newTl0) != d->hasTl0PicIdx()) std::abort();
  auto again = Vp9PayloadDescriptor::parse(copy);
  if (!again || again->size() != d->size() || again->isKeyframe() != d->isKeyframe() ||
      again->pictureIdIs15Bit() != d->pictureIdIs15Bit() || again->spatialId() != d->spatialId() ||
      again->temporalId() != d->temporalId() || again->pDiffCount() != d->pDiffCount()) {
    std::abort();
  }
  if (d->hasPictureId()) {
    const uint16_t want = d->pictureIdIs15Bit() ? newId % 32768 : newId % 128;
    if (again->pictureId() != want) std::abort();
  }
  if (d->hasTl0PicIdx() && again->tl0PicIdx() != newTl0) std::abort();
  if (copy[0] != data[0]) std::abort();
  for (size_t i = d->size(); i < size; ++i) {
    if (copy[i] != data[i]) std::abort();
  }
  return 0;
}
