// libFuzzer target: arbitrary bytes as a trickle-ICE SDP fragment (a WHIP/WHEP PATCH body).
// A fragment that parses is written back, and that text parses to the same fragment and is
// written the same way again.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/sdp/IceSdpFragment.hpp"
#include "tests/fuzz/FuzzCheck.hpp"

namespace {

using switchyard::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using switchyard::control::sdp::IceSdpFragment;
  using switchyard::control::sdp::kMaxSdpFragmentBytes;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = IceSdpFragment::parse(text);
  if (!f) {
    check(!f.error().message.empty());
    return 0;
  }
  for (const auto& m : f->media)
    check(!m.mid.empty());
  const std::string written = f->serialize();
  if (written.size() > kMaxSdpFragmentBytes) return 0;
  auto again = IceSdpFragment::parse(written);
  check(again.ok());
  check(*again == *f);
  check(again->serialize() == written);
  return 0;
}
