#pragma once
// Offer/answer negotiation (RFC 3264, JSEP RFC 8829 section 5.3) for the two kinds of endpoint
// the server has: WHIP ingest (RFC 9725: the client sends, the server receives) and WHEP egress
// (the server sends). Input: a parsed offer and the server's capabilities per media kind.
// Output: per offered m-section, accepted (codecs, extensions, feedback, direction, simulcast)
// or rejected with the reason, plus the remote transport parameters the worker needs. The
// answer text is SdpAnswerBuilder's job.
//
// Rules (docs/sdp.md has the reasons):
// - codecs in the server's order of preference among the offered ones, keeping the offer's
//   payload type numbers; RTX only for chosen codecs; rtcp-fb intersected;
// - extmap ids kept from the offer, unsupported URIs dropped, an id that a bundled section
//   before already maps to another URI dropped (one id space per BUNDLE transport);
// - a section with no common codec, no a=rtcp-mux, a non-DTLS-SRTP profile, outside the
//   (first) BUNDLE group, or of a kind the server does not handle is rejected (port 0);
// - directions: WHIP answers recvonly to sendonly/sendrecv, WHEP answers sendonly to
//   recvonly/sendrecv; the opposite direction is answered inactive;
// - an offer nothing of which is usable is an error (kNotAcceptable, HTTP 406); an offer that
//   breaks WebRTC rules (no mid, no ICE credentials or fingerprint) is kBadOffer (HTTP 400).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/sdp/FmtpParameters.hpp"
#include "control/sdp/MediaCapabilities.hpp"
#include "control/sdp/SdpResult.hpp"
#include "control/sdp/WebRtcMediaDescription.hpp"
#include "control/sdp/WebRtcSessionDescription.hpp"

namespace switchyard::control::sdp {

enum class EndpointRole : uint8_t {
  kWhip,  // ingest: the client publishes, the server receives (offer sendonly)
  kWhep,  // egress: the server sends, the client plays (offer recvonly)
};

struct NegotiatedCodec {
  uint8_t payloadType = 0;  // the offer's number
  std::string name;         // the offer's spelling
  uint32_t clockRate = 0;
  uint16_t channels = 0;  // as the offer's rtpmap gave it (0 = not written)
  FmtpParameters fmtp;    // what the answer carries
  FmtpParameters offeredFmtp;
  std::vector<std::string> feedback;  // offered and supported, in capability order
  std::optional<uint8_t> rtxPayloadType;
  FmtpParameters rtxFmtp;  // apt=<payloadType>[;rtx-time=...] as offered
};

struct NegotiatedExtension {
  uint16_t id = 0;
  std::string uri;
  std::optional<MediaDirection> direction;  // the answer's, when the offer gave one
};

struct NegotiatedSection {
  size_t index = 0;  // position in the offer
  MediaKind kind = MediaKind::kOther;
  std::string media;  // m= media as offered
  std::string proto;
  std::string mid;
  std::string firstFormat;  // echoed in the m= line when rejected

  bool accepted = false;
  std::string rejectReason;  // when !accepted

  MediaDirection offeredDirection = MediaDirection::kSendRecv;
  MediaDirection direction = MediaDirection::kInactive;  // the answer's
  std::vector<NegotiatedCodec> codecs;                   // first = preferred
  std::vector<NegotiatedExtension> extensions;
  bool rtcpRsize = false;

  // WHIP simulcast (RFC 8853 section 5.3): the answer's recv rids and a=simulcast:recv,
  // mirroring the offer's send rids.
  std::vector<RidDescription> rids;
  std::optional<SimulcastDescription> simulcast;

  // What the offer says about the streams it sends (WHIP): SSRCs, RTX pairs, msid.
  std::vector<SsrcDescription> remoteSsrcs;
  std::vector<SsrcGroup> remoteSsrcGroups;
  std::vector<Msid> remoteMsids;

  const NegotiatedExtension* findExtension(std::string_view uri) const;
};

// The offerer's transport, from its BUNDLE-tag m-section (RFC 8843 section 7.2).
struct RemoteTransport {
  std::string mid;  // the section it came from
  IceParameters ice;
  std::vector<DtlsFingerprint> fingerprints;
  DtlsSetup setup = DtlsSetup::kActpass;
  std::vector<IceCandidate> candidates;
  bool endOfCandidates = false;
};

struct NegotiatedSession {
  EndpointRole role = EndpointRole::kWhip;
  std::vector<NegotiatedSection> sections;  // one per offered m-section, in order
  bool bundle = false;                      // the offer had a BUNDLE group
  std::vector<std::string> bundleMids;      // accepted mids; the first is the BUNDLE tag
  RemoteTransport remote;
  DtlsSetup localSetup = DtlsSetup::kPassive;  // a=setup of the answer (RFC 8842 section 5.3)
  bool extmapAllowMixed = false;
  std::vector<std::string> notes;  // what was rejected or dropped, and why; for logs and tests

  const NegotiatedSection* findByMid(std::string_view mid) const;
  size_t acceptedCount() const;
};

struct NegotiationError {
  enum class Kind : uint8_t {
    kBadOffer,       // breaks WebRTC's rules for an offer: HTTP 400 Bad Request
    kNotAcceptable,  // valid, but nothing in it the server can use: HTTP 406 Not Acceptable
  };
  Kind kind = Kind::kBadOffer;
  std::string message;

  int httpStatus() const { return kind == Kind::kBadOffer ? 400 : 406; }
};

using NegotiationResult = SdpResult<NegotiatedSession, NegotiationError>;

NegotiationResult negotiate(const WebRtcSessionDescription& offer,
                            const EndpointCapabilities& capabilities, EndpointRole role);

// Whether an offered payload type is the capability's codec (rules at CodecCapability).
bool codecMatches(const RtpCodecDescription& offered, const CodecCapability& capability,
                  MediaKind kind);

}  // namespace switchyard::control::sdp
