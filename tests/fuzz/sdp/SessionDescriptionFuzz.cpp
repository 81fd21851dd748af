// libFuzzer target: arbitrary bytes as an SDP offer, through everything the server does with
// one. Invariants checked (abort on failure):
// - SessionDescription: parse(serialize(x)) == x and serialize is stable;
// - the WebRTC view, negotiation for both WHIP and WHEP, and the answer never crash;
// - a successful negotiation always yields an answer, and that answer parses as a
//   WebRtcSessionDescription with one m-section per offered one, mids and directions as
//   negotiated.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/sdp/SdpAnswerBuilder.hpp"
#include "control/sdp/SdpNegotiation.hpp"
#include "control/sdp/SessionDescription.hpp"
#include "control/sdp/WebRtcSessionDescription.hpp"
#include "tests/fuzz/FuzzCheck.hpp"

namespace {

using namespace switchyard::control::sdp;

using switchyard::fuzz::check;

AnswerParameters answerParameters(const NegotiatedSession& n) {
  AnswerParameters p;
  p.iceUfrag = "fuzz";
  p.icePwd = "fuzzfuzzfuzzfuzzfuzzfuzz";
  p.fingerprintSha256 =
      "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:"
      "1D:1E:1F";
  p.candidates = {AnswerCandidate{"192.0.2.1", 40000, 2130706431, "1", "udp"}};
  uint32_t ssrc = 1;
  for (const auto& s : n.sections) {
    if (s.accepted && directionSends(s.direction)) {
      p.sendStreams.push_back(AnswerSendStream{s.mid, ssrc, ssrc + 1, "c", "s", "t"});
      ssrc += 2;
    }
  }
  return p;
}

void negotiateAndAnswer(const WebRtcSessionDescription& offer, EndpointRole role) {
  auto n = negotiate(offer, EndpointCapabilities::defaults(), role);
  if (!n) {
    check(!n.error().message.empty());
    check(n.error().httpStatus() == 400 || n.error().httpStatus() == 406);
    return;
  }
  check(n->sections.size() == offer.media.size());
  check(!n->bundleMids.empty());
  auto answer = buildAnswerText(*n, answerParameters(*n));
  check(answer.ok());
  auto parsed = WebRtcSessionDescription::parse(*answer);
  check(parsed.ok());
  check(parsed->iceLite);
  check(parsed->media.size() == n->sections.size());
  for (size_t i = 0; i < n->sections.size(); ++i) {
    const auto& s = n->sections[i];
    const auto& m = parsed->media[i];
    check(m.mid == s.mid);
    if (!s.accepted) {
      check(m.rejected());
      continue;
    }
    check(m.direction == s.direction);
    check(m.codecs.size() >= s.codecs.size());
    check(m.extensions.size() == s.extensions.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sd = SessionDescription::parse(text);
  if (!sd) {
    check(!sd.error().message.empty());
    return 0;
  }
  const std::string written = sd->serialize();
  // CRLF can make the text longer than the input; only what fits the limit parses again.
  if (written.size() <= kMaxSdpBytes) {
    auto again = SessionDescription::parse(written);
    check(again.ok());
    check(*again == *sd);
    check(again->serialize() == written);
  }
  auto offer = WebRtcSessionDescription::interpret(*sd);
  if (!offer) {
    check(!offer.error().message.empty());
    return 0;
  }
  negotiateAndAnswer(*offer, EndpointRole::kWhip);
  negotiateAndAnswer(*offer, EndpointRole::kWhep);
  return 0;
}
