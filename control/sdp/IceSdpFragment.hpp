#pragma once
// A trickle-ICE SDP fragment (media type application/trickle-ice-sdpfrag, RFC 8840 section 9):
// the body of a WHIP/WHEP PATCH (RFC 9725 section 4.3.1) carrying candidates, the end of
// candidates, or new credentials for an ICE restart. For example:
//   a=ice-options:trickle ice2
//   a=group:BUNDLE 0 1
//   m=audio 9 UDP/TLS/RTP/SAVPF 111
//   a=mid:0
//   a=ice-ufrag:EsAw
//   a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y
//   a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw
//   a=end-of-candidates
// Parsing checks the ICE grammar (RFC 8839) and keeps other attributes for serialize().

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/sdp/IceCandidate.hpp"
#include "control/sdp/SdpResult.hpp"
#include "control/sdp/SessionDescription.hpp"
#include "control/sdp/WebRtcMediaDescription.hpp"

namespace switchyard::control::sdp {

// A PATCH carries a few candidates; these bound what one body may hold.
inline constexpr size_t kMaxSdpFragmentBytes = 16 * 1024;
inline constexpr size_t kMaxSdpFragmentLines = 512;
inline constexpr size_t kMaxSdpFragmentMedia = kMaxMediaSections;
inline constexpr size_t kMaxSdpFragmentCandidates = 128;  // in the whole fragment

struct IceSdpFragmentMedia {
  std::string mediaLine;  // the text after "m=", e.g. "audio 9 UDP/TLS/RTP/SAVPF 111"
  std::string mid;
  std::optional<std::string> ufrag;
  std::optional<std::string> pwd;
  std::vector<IceCandidate> candidates;
  bool endOfCandidates = false;
  std::vector<SdpAttribute> otherAttributes;

  bool operator==(const IceSdpFragmentMedia&) const;
};

struct IceSdpFragment {
  std::optional<std::string> ufrag;  // session level
  std::optional<std::string> pwd;
  std::vector<std::string> iceOptions;
  std::vector<SdpAttribute> otherAttributes;  // a=group:BUNDLE and anything else, kept
  std::vector<IceSdpFragmentMedia> media;

  static SdpResult<IceSdpFragment> parse(std::string_view text);
  // CRLF line ends; session-level lines first, then each m= line and its attributes.
  std::string serialize() const;

  // The credentials that apply to a media entry: its own, else the session level's.
  std::optional<std::string_view> ufragFor(const IceSdpFragmentMedia& m) const;
  std::optional<std::string_view> pwdFor(const IceSdpFragmentMedia& m) const;
  const IceSdpFragmentMedia* findByMid(std::string_view mid) const;

  bool operator==(const IceSdpFragment&) const;
};

}  // namespace switchyard::control::sdp
