// libFuzzer target: two dependency descriptors in a row, the second parsed against the
// structure the first may have carried (the first byte splits the input).

#include <cstdint>
#include <cstdlib>
#include <span>

#include "rtp/DependencyDescriptor.hpp"
#include "tests/fuzz/FuzzCheck.hpp"

namespace {

using namespace switchyard::rtp;

using switchyard::fuzz::check;

void checkDescriptor(std::span<const uint8_t> data, FrameDependencyStructure& structure) {
  auto dd = DependencyDescriptor::parse(data, &structure);
  if (!dd) return;
  check(dd->templateId < kDdMaxTemplates);
  if (structure.valid()) {
    check(structure.templateCount >= 1 && structure.templateCount <= kDdMaxTemplates);
    check(structure.decodeTargetCount <= kDdMaxDecodeTargets);
    check(structure.chainCount <= structure.decodeTargetCount);
    check(structure.spatialLayerCount() <= kDdMaxSpatialId + 1);
  }
  if (dd->resolved) {
    check(dd->spatialId <= kDdMaxSpatialId && dd->temporalId <= kDdMaxTemporalId);
    check(dd->fdiffCount <= kDdMaxFdiffs && dd->chainCount <= kDdMaxChains);
  }
  // Rewriting the mandatory fields with their own values changes nothing.
  uint8_t head[kDdMandatorySize];
  check(dd->writeMandatoryFields(head));
  for (size_t i = 0; i < kDdMandatorySize; ++i)
    check(head[i] == data[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> input(data + 1, size - 1);
  const size_t split = data[0] < input.size() ? data[0] : input.size();
  FrameDependencyStructure structure;
  checkDescriptor(input.first(split), structure);
  checkDescriptor(input.subspan(split), structure);
  return 0;
}
