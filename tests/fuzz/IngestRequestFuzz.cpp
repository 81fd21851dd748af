// libFuzzer target: arbitrary text as the body of POST /api/ingest/{stream}.

#include <string>
#include <variant>

#include "control/server/IngestRequest.hpp"
#include "tests/fuzz/FuzzCheck.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::control;
  using switchyard::fuzz::check;
  auto r = parseIngestRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  if (auto* request = std::get_if<IngestRequest>(&r)) {
    // What is accepted is usable as it stands: one or two tracks, dynamic payload types, a
    // key only with a suite.
    check(!request->tracks.empty() && request->tracks.size() <= 2);
    for (const auto& t : request->tracks) {
      check(t.payloadType >= 96 && t.payloadType <= 127);
      check(!t.codec.empty() && t.clockRate > 0);
      check(!t.ssrc || *t.ssrc != 0);
      check(!t.srtpKey || request->srtp);
      check(!t.remote || t.remote->port != 0);
    }
  } else {
    check(!std::get<std::string>(r).empty());
  }
  return 0;
}
