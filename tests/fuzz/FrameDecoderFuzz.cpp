// libFuzzer target: arbitrary bytes, cut into arbitrary reads, through the frame decoder.
// Every delivered frame must be whole, aligned and within the maximum size.

#include <cstdlib>

#include "control/channel/FrameDecoder.hpp"

namespace {
// Small maximum so oversize skipping is reached often.
constexpr size_t kFuzzMaxMessageSize = 512;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::control;
  if (size < 1) return 0;
  // The first byte picks the read size, so splits at every boundary get exercised.
  size_t chunk = 1 + data[0] % 64;
  data++;
  size--;
  FrameDecoder decoder(kFuzzMaxMessageSize);
  auto onFrame = [](std::span<const uint8_t> f) {
    if (f.size() < kLengthPrefixSize || f.size() > kFuzzMaxMessageSize + kLengthPrefixSize ||
        readLengthPrefix(f.data()) != f.size() - kLengthPrefixSize ||
        reinterpret_cast<uintptr_t>(f.data()) % 8 != 0) {
      std::abort();
    }
  };
  for (size_t i = 0; i < size; i += chunk) {
    decoder.feed({data + i, std::min(chunk, size - i)}, onFrame, [](uint32_t) {});
  }
  return 0;
}
