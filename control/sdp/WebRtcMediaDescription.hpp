#pragma once
// The WebRTC view of one m-section (JSEP, RFC 8829 section 5.8): what the server needs from an
// offer, typed and checked. Built by WebRtcSessionDescription from a parsed SessionDescription,
// with session-level ICE, DTLS and extmap attributes already applied as defaults.
//
// Interpreted attributes: mid (RFC 5888), direction, rtpmap / fmtp / rtcp-fb (RFC 8866, 4585),
// extmap (RFC 8285), extmap-allow-mixed, ssrc / ssrc-group (RFC 5576), msid (RFC 8830), rid
// (RFC 8851), simulcast (RFC 8853), ice-ufrag / ice-pwd / ice-options / candidate /
// end-of-candidates (RFC 8839), fingerprint (RFC 8122), setup (RFC 4145), rtcp-mux,
// rtcp-mux-only, rtcp-rsize, bundle-only (RFC 8843), sctp-port, max-message-size (RFC 8841).
// Everything else stays in the SessionDescription untouched.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/sdp/FmtpParameters.hpp"
#include "control/sdp/IceCandidate.hpp"
#include "control/sdp/SdpResult.hpp"
#include "control/sdp/SessionDescription.hpp"
#include "control/sdp/Simulcast.hpp"

namespace switchyard::control::sdp {

// Limits per m-section on lists an offer can make long.
inline constexpr size_t kMaxCandidatesPerSection = 64;
inline constexpr size_t kMaxSsrcsPerSection = 64;
inline constexpr size_t kMaxRidsPerSection = 16;
inline constexpr size_t kMaxExtmapsPerSection = 64;
inline constexpr size_t kMaxFeedbackPerCodec = 16;
inline constexpr size_t kMaxMidLength = 255;
// RFC 8285 section 5: 1-14 (one-byte form) and 1-255 (two-byte form).
inline constexpr uint16_t kMaxExtmapId = 255;
inline constexpr uint8_t kMaxRtpPayloadType = 127;

enum class MediaKind : uint8_t { kAudio, kVideo, kApplication, kOther };
enum class MediaDirection : uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };
// RFC 4145 section 4.
enum class DtlsSetup : uint8_t { kActpass, kActive, kPassive, kHoldconn };

const char* mediaKindName(MediaKind k);
const char* mediaDirectionName(MediaDirection d);
const char* dtlsSetupName(DtlsSetup s);
std::optional<MediaDirection> parseMediaDirection(std::string_view name);
// What the other side does: sendonly <-> recvonly.
MediaDirection reverseDirection(MediaDirection d);
bool directionSends(MediaDirection d);
bool directionReceives(MediaDirection d);

// One payload type of an RTP m-section: a=rtpmap, a=fmtp and a=rtcp-fb for it.
struct RtpCodecDescription {
  uint8_t payloadType = 0;
  std::string name;  // encoding name as written ("VP8", "opus", "rtx"); empty if unknown
  uint32_t clockRate = 0;
  uint16_t channels = 0;  // 0 when the rtpmap gives none (1 for audio, RFC 8866 6.6)
  FmtpParameters fmtp;
  std::vector<std::string> feedback;  // "nack", "nack pli", "transport-cc", ... (incl. "*")
  bool fromRtpmap = false;            // false: a static payload type (RFC 3551) or no rtpmap at all

  bool isRtx() const;
  // RTX: the payload type it repairs (fmtp apt=, RFC 4588 section 8.6).
  std::optional<uint8_t> rtxApt() const;
  bool operator==(const RtpCodecDescription&) const = default;
};

// a=extmap:<id>[/<direction>] <uri> [<extension attributes>]
struct ExtmapDescription {
  uint16_t id = 0;
  std::optional<MediaDirection> direction;
  std::string uri;
  std::string attributes;
  bool operator==(const ExtmapDescription&) const = default;
};

// a=msid:<stream id> [<track id>] (RFC 8830 section 2)
struct Msid {
  std::string stream;
  std::string track;
  bool operator==(const Msid&) const = default;
};

// The a=ssrc lines of one SSRC (RFC 5576 section 4.1); only cname and msid are kept.
struct SsrcDescription {
  uint32_t ssrc = 0;
  std::string cname;
  std::optional<Msid> msid;
  bool operator==(const SsrcDescription&) const = default;
};

// a=ssrc-group:<semantics> <ssrc>... (RFC 5576 section 4.2): FID (RTX), SIM, FEC-FR.
struct SsrcGroup {
  std::string semantics;
  std::vector<uint32_t> ssrcs;
  bool operator==(const SsrcGroup&) const = default;
};

struct IceParameters {
  std::string ufrag;
  std::string pwd;
  std::vector<std::string> options;  // "trickle", "ice2", ...
  bool operator==(const IceParameters&) const = default;
};

// a=fingerprint:<hash function> <hex bytes with colons> (RFC 8122 section 5)
struct DtlsFingerprint {
  std::string algorithm;  // lower case: "sha-256"
  std::string value;      // as written: "38:08:C8:..."
  bool operator==(const DtlsFingerprint&) const = default;
};

struct WebRtcMediaDescription {
  MediaKind kind = MediaKind::kOther;
  std::string media;  // m= media as written
  uint16_t port = 0;
  std::string proto;
  std::vector<std::string> formats;  // m= line formats in order
  size_t line = 0;                   // line of the m= line

  bool bundleOnly = false;
  std::string mid;  // empty when the section has no a=mid
  MediaDirection direction = MediaDirection::kSendRecv;

  std::vector<RtpCodecDescription> codecs;  // RTP sections: one per format, m= line order
  std::vector<ExtmapDescription> extensions;
  bool extmapAllowMixed = false;  // here or at session level (RFC 8285 section 6)

  std::vector<Msid> msids;
  std::vector<SsrcDescription> ssrcs;
  std::vector<SsrcGroup> ssrcGroups;
  std::vector<RidDescription> rids;
  std::optional<SimulcastDescription> simulcast;

  IceParameters ice;
  std::vector<DtlsFingerprint> fingerprints;
  std::optional<DtlsSetup> setup;
  std::vector<IceCandidate> candidates;
  bool endOfCandidates = false;
  bool rtcpMux = false;
  bool rtcpMuxOnly = false;
  bool rtcpRsize = false;

  std::optional<uint16_t> sctpPort;
  std::optional<uint64_t> maxMessageSize;

  // RFC 3264 section 6: port 0 rejects a section, except an offer's bundle-only section
  // (RFC 8843 section 7.2.1), which has port 0 and is meant to be accepted.
  bool rejected() const { return port == 0 && !bundleOnly; }
  // RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, ...: formats are payload types.
  bool isRtp() const;
  const RtpCodecDescription* findCodec(uint8_t payloadType) const;
  // The RTX payload type whose apt is payloadType, if any.
  std::optional<uint8_t> rtxFor(uint8_t payloadType) const;
  const ExtmapDescription* findExtension(std::string_view uri) const;
};

// Session-level attributes that act as defaults for every m-section.
struct SessionLevelDefaults {
  IceParameters ice;
  std::vector<DtlsFingerprint> fingerprints;
  std::optional<DtlsSetup> setup;
  std::optional<MediaDirection> direction;
  std::vector<ExtmapDescription> extensions;
  bool extmapAllowMixed = false;
};

// Interprets one parsed m-section. Errors name the offending line.
SdpResult<WebRtcMediaDescription> interpretMediaSection(const SdpMediaSection& section,
                                                        const SessionLevelDefaults& defaults);

// Parses the session-level attributes above; errors name the offending line.
SdpResult<SessionLevelDefaults> interpretSessionDefaults(const SessionDescription& sdp);

}  // namespace switchyard::control::sdp
