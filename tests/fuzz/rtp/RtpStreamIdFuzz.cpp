// libFuzzer target: arbitrary bytes as a RtpStreamId header extension value.

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "rtp/extensions/RtpStreamId.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using switchyard::rtp::RtpStreamId;
  auto parsed = RtpStreamId::parse({data, size});
  if (!parsed) return 0;
  // A parsed value is valid text, a prefix of the input, and writes back as the same bytes.
  if (!RtpStreamId::isValid(parsed->value) || parsed->value.size() > size) std::abort();
  std::vector<uint8_t> out(parsed->size());
  if (!parsed->write(out)) std::abort();
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != data[i]) std::abort();
  }
  return 0;
}
