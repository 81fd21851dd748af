#pragma once
// Writes the server's SDP answer (JSEP RFC 8829 section 5.3) from a negotiation result and the
// transport the worker set up: an ICE-lite (RFC 8445 section 2.5), BUNDLE (RFC 8843), DTLS-SRTP
// (RFC 8842) answer with host candidates only. Layout follows what Chromium writes in its own
// answers, which Chromium, aiortc and GStreamer all accept: ICE credentials, fingerprint and
// setup in every accepted m-section; candidates, the real port and c= address in the BUNDLE-tag
// section only (port 9 and 0.0.0.0 in the others); rejected sections with port 0 and a=mid.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/sdp/SdpNegotiation.hpp"
#include "control/sdp/SdpResult.hpp"
#include "control/sdp/SessionDescription.hpp"

namespace switchyard::control::sdp {

// A host candidate of the worker (RFC 8839 section 5.1).
struct AnswerCandidate {
  std::string address;  // IPv4 or IPv6 literal
  uint16_t port = 0;
  uint32_t priority = 0;
  std::string foundation = "1";
  std::string transport = "udp";  // "udp", or "tcp" for a passive ICE-TCP candidate (RFC 6544)
};

// A stream the server sends in one m-section (WHEP): its SSRCs and identity.
struct AnswerSendStream {
  std::string mid;
  uint32_t ssrc = 0;
  std::optional<uint32_t> rtxSsrc;  // written only when RTX was negotiated for the section
  std::string cname;
  std::string streamId;  // a=msid:<streamId> <trackId> (RFC 8830)
  std::string trackId;
};

struct AnswerParameters {
  std::string iceUfrag;  // RFC 8839 section 5.4 grammar
  std::string icePwd;
  std::string fingerprintSha256;  // "AB:CD:..." (32 bytes), the worker's certificate
  std::vector<AnswerCandidate> candidates;
  std::vector<AnswerSendStream> sendStreams;
  uint64_t sessionId = 0;  // o= sess-id; the caller picks a random one (RFC 8866 section 5.2)
  uint64_t sessionVersion = 1;
  std::string originAddress = "127.0.0.1";
  bool trickle = false;  // a=ice-options:trickle: the server takes trickled candidates (PATCH)
};

// Fails (line 0) on parameters that would make a broken answer: bad ICE credentials or
// fingerprint, no candidate, a send stream for a section that does not send.
SdpResult<SessionDescription> buildAnswer(const NegotiatedSession& session,
                                          const AnswerParameters& parameters);
// buildAnswer(...).serialize(): the body of the 201 response.
SdpResult<std::string> buildAnswerText(const NegotiatedSession& session,
                                       const AnswerParameters& parameters);

}  // namespace switchyard::control::sdp
