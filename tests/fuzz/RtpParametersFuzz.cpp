// libFuzzer target: arbitrary bytes as a flatbuffers RtpParameters table (what a producer or
// consumer request carries): verified as the channel does, then read by the worker's validator.
// Whatever it accepts must survive a write and read back unchanged.

#include <cstdint>
#include <cstdlib>

#include "control/channel/RtpParameters.hpp"
#include "tests/fuzz/FuzzCheck.hpp"

namespace {

using namespace switchyard;

using switchyard::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  flatbuffers::Verifier verifier(data, size);
  if (!verifier.VerifyBuffer<fbs::common::RtpParameters>(nullptr)) return 0;
  auto first = control::parseRtpParameters(flatbuffers::GetRoot<fbs::common::RtpParameters>(data));
  if (first.error) return 0;
  flatbuffers::FlatBufferBuilder b;
  b.Finish(control::buildRtpParameters(b, first.parameters));
  auto second = control::parseRtpParameters(
      flatbuffers::GetRoot<fbs::common::RtpParameters>(b.GetBufferPointer()));
  check(!second.error);
  const auto& p = first.parameters;
  const auto& q = second.parameters;
  check(p.mid == q.mid && p.cname == q.cname && p.codecs.size() == q.codecs.size() &&
        p.headerExtensions.size() == q.headerExtensions.size() &&
        p.encodings.size() == q.encodings.size());
  for (size_t i = 0; i < p.codecs.size(); ++i) {
    check(p.codecs[i].payloadType == q.codecs[i].payloadType &&
          p.codecs[i].mimeType == q.codecs[i].mimeType &&
          p.codecs[i].parameters == q.codecs[i].parameters &&
          p.codecs[i].rtcpFeedback == q.codecs[i].rtcpFeedback);
  }
  for (size_t i = 0; i < p.encodings.size(); ++i) {
    check(p.encodings[i].ssrc == q.encodings[i].ssrc &&
          p.encodings[i].rtxSsrc == q.encodings[i].rtxSsrc &&
          p.encodings[i].rid == q.encodings[i].rid);
  }
  return 0;
}
