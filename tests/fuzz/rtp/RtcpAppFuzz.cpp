// libFuzzer target: APP. An accepted packet is rebuilt from its fields; without padding the
// bytes must match.

#include <algorithm>
#include <cstdlib>
#include <span>
#include <vector>

#include "rtp/rtcp/RtcpApp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::rtp;
  std::span<const uint8_t> bytes(data, size);
  auto app = RtcpApp::parse(bytes);
  if (!app) return 0;
  std::vector<uint8_t> out(size);
  size_t written = RtcpApp::build(app->subtype(), app->ssrc(), app->name(), app->data(), out);
  if (written == 0 || written > size) std::abort();
  bool padded = (data[0] & 0x20) != 0;
  if (!padded && (written != size || out != std::vector<uint8_t>(data, data + size))) std::abort();
  auto again = RtcpApp::parse(std::span(out).first(written));
  if (!again || again->name() != app->name() ||
      !std::equal(again->data().begin(), again->data().end(), app->data().begin(),
                  app->data().end())) {
    std::abort();
  }
  return 0;
}
