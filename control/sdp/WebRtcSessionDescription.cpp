#include "control/sdp/WebRtcSessionDescription.hpp"

#include <algorithm>

#include "control/sdp/SdpLineReader.hpp"

namespace switchyard::control::sdp {

namespace {

constexpr std::string_view kBundleSemantics = "BUNDLE";

}  // namespace

SdpResult<WebRtcSessionDescription> WebRtcSessionDescription::parse(std::string_view text) {
  auto sdp = SessionDescription::parse(text);
  if (!sdp) return sdp.error();
  return interpret(std::move(*sdp));
}

SdpResult<WebRtcSessionDescription> WebRtcSessionDescription::interpret(SessionDescription sdp) {
  WebRtcSessionDescription d;
  auto defaults = interpretSessionDefaults(sdp);
  if (!defaults) return defaults.error();
  for (const auto& s : sdp.media) {
    auto m = interpretMediaSection(s, *defaults);
    if (!m) return m.error();
    if (!m->mid.empty() && d.findByMid(m->mid) != nullptr) {
      const SdpAttribute* mid = s.findAttribute("mid");
      return sdpError(mid != nullptr ? mid->line : s.line, "duplicate mid '" + m->mid + "'");
    }
    d.media.push_back(std::move(*m));
  }
  for (const auto& a : sdp.attributes) {
    if (a.name == "ice-lite") {
      d.iceLite = true;
    } else if (a.name == "group" && a.value) {
      // RFC 5888 section 5: a=group:<semantics> *(SP <identification-tag>)
      const auto f = sdp_text::splitSpaces(*a.value);
      if (f.empty() || f[0] != kBundleSemantics) continue;
      if (d.bundleGroups.size() >= kMaxBundleGroups)
        return sdpError(a.line, "too many BUNDLE groups");
      std::vector<std::string> mids;
      for (size_t i = 1; i < f.size(); ++i) {
        const std::string mid(f[i]);
        if (d.findByMid(mid) == nullptr) {
          return sdpError(a.line, "BUNDLE group names mid '" + mid + "' that no m-section has");
        }
        // RFC 8843 section 7.1: a mid is in at most one BUNDLE group.
        if (std::find(mids.begin(), mids.end(), mid) != mids.end() || d.bundleGroupOf(mid)) {
          return sdpError(a.line, "mid '" + mid + "' in BUNDLE groups twice");
        }
        mids.push_back(mid);
      }
      d.bundleGroups.push_back(std::move(mids));
    }
  }
  d.sdp = std::move(sdp);
  return d;
}

const WebRtcMediaDescription* WebRtcSessionDescription::findByMid(std::string_view mid) const {
  for (const auto& m : media) {
    if (!m.mid.empty() && m.mid == mid) return &m;
  }
  return nullptr;
}

const std::vector<std::string>* WebRtcSessionDescription::bundleGroupOf(
    std::string_view mid) const {
  for (const auto& g : bundleGroups) {
    if (std::find(g.begin(), g.end(), mid) != g.end()) return &g;
  }
  return nullptr;
}

}  // namespace switchyard::control::sdp
