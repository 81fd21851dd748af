#pragma once
// A WebRTC offer or answer (JSEP, RFC 8829): the parsed SessionDescription plus the typed view
// of each m-section and the session-level BUNDLE groups (RFC 8843) and ice-lite flag. This is
// what the server parses a WHIP or WHEP offer into before negotiating.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "control/sdp/SdpResult.hpp"
#include "control/sdp/SessionDescription.hpp"
#include "control/sdp/WebRtcMediaDescription.hpp"

namespace switchyard::control::sdp {

inline constexpr size_t kMaxBundleGroups = 8;

struct WebRtcSessionDescription {
  SessionDescription sdp;  // the grammar-level description, unknown attributes included
  std::vector<std::vector<std::string>> bundleGroups;  // a=group:BUNDLE <mid>...
  bool iceLite = false;
  std::vector<WebRtcMediaDescription> media;  // same order as sdp.media

  // Parses text (RFC 8866) and interprets it. Errors carry the line number.
  static SdpResult<WebRtcSessionDescription> parse(std::string_view text);
  static SdpResult<WebRtcSessionDescription> interpret(SessionDescription sdp);

  const WebRtcMediaDescription* findByMid(std::string_view mid) const;
  // The BUNDLE group holding mid, or nullptr.
  const std::vector<std::string>* bundleGroupOf(std::string_view mid) const;
};

}  // namespace switchyard::control::sdp
