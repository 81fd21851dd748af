#include "control/sdp/SdpNegotiation.hpp"

#include <algorithm>
#include <map>

#include "control/sdp/H264ProfileLevelId.hpp"
#include "control/sdp/SdpLineReader.hpp"

namespace switchyard::control::sdp {

namespace {

using sdp_text::equalsIgnoreCase;

constexpr std::string_view kH264 = "H264";
constexpr std::string_view kVp9 = "VP9";
constexpr std::string_view kAv1 = "AV1";
constexpr std::string_view kProfileLevelId = "profile-level-id";
constexpr std::string_view kPacketizationMode = "packetization-mode";
constexpr std::string_view kLevelAsymmetry = "level-asymmetry-allowed";
constexpr std::string_view kVp9ProfileId = "profile-id";
constexpr std::string_view kAv1Profile = "profile";
constexpr std::string_view kDefaultProfile = "0";
constexpr int kRequiredH264PacketizationMode = 1;
// DTLS-SRTP RTP profiles WebRTC uses (RFC 8827 section 6.5; RFC 5764 section 8).
constexpr std::string_view kDtlsSrtpProtos[] = {"UDP/TLS/RTP/SAVPF", "TCP/TLS/RTP/SAVPF",
                                                "RTP/SAVPF"};

bool sameProfileParameter(const FmtpParameters& a, const FmtpParameters& b, std::string_view key) {
  const auto x = a.get(key).value_or(kDefaultProfile);
  const auto y = b.get(key).value_or(kDefaultProfile);
  return x == y;
}

bool hasFeedback(const std::vector<std::string>& offered, std::string_view feedback) {
  return std::any_of(offered.begin(), offered.end(),
                     [&](const std::string& f) { return equalsIgnoreCase(f, feedback); });
}

FmtpParameters answerFmtp(const RtpCodecDescription& offered, const CodecCapability& cap) {
  if (!equalsIgnoreCase(cap.name, kH264)) return cap.fmtp.empty() ? offered.fmtp : cap.fmtp;
  // RFC 6184 section 8.2.2: the answer keeps the profile, negotiates the level.
  FmtpParameters f = cap.fmtp;
  f.set(kPacketizationMode, std::to_string(kRequiredH264PacketizationMode));
  if (auto plid = h264AnswerProfileLevelId(offered.fmtp, cap.fmtp)) {
    f.set(kProfileLevelId, *plid);
  } else {
    f.erase(kProfileLevelId);
  }
  if (h264LevelAsymmetryAllowed(offered.fmtp) && h264LevelAsymmetryAllowed(cap.fmtp)) {
    f.set(kLevelAsymmetry, "1");
  } else {
    f.erase(kLevelAsymmetry);
  }
  return f;
}

bool isDtlsSrtp(std::string_view proto) {
  return std::any_of(std::begin(kDtlsSrtpProtos), std::end(kDtlsSrtpProtos),
                     [&](std::string_view p) { return equalsIgnoreCase(p, proto); });
}

std::string codecList(const WebRtcMediaDescription& m) {
  std::string out;
  for (const auto& c : m.codecs) {
    if (c.name.empty() || c.isRtx()) continue;
    const std::string entry = c.name + "/" + std::to_string(c.clockRate);
    if (out.find(entry) != std::string::npos) continue;
    if (!out.empty()) out += ", ";
    out += entry;
  }
  return out.empty() ? "none" : out;
}

std::string describe(const NegotiatedSection& s) {
  return "m-section " + std::to_string(s.index) + " (" + s.media +
         (s.mid.empty() ? "" : ", mid " + s.mid) + ")";
}

// The answer's direction for what the offer asks (RFC 3264 section 6.1).
MediaDirection answerDirection(EndpointRole role, MediaDirection offered) {
  if (role == EndpointRole::kWhip) {
    return directionSends(offered) ? MediaDirection::kRecvOnly : MediaDirection::kInactive;
  }
  return directionReceives(offered) ? MediaDirection::kSendOnly : MediaDirection::kInactive;
}

void negotiateCodecs(const WebRtcMediaDescription& m, const MediaCapabilities& caps,
                     NegotiatedSection& out) {
  std::vector<uint8_t> chosen;
  for (const auto& cap : caps.codecs) {
    if (caps.maxCodecs != 0 && out.codecs.size() >= caps.maxCodecs) break;
    for (const auto& offered : m.codecs) {
      if (std::find(chosen.begin(), chosen.end(), offered.payloadType) != chosen.end()) continue;
      if (!codecMatches(offered, cap, m.kind)) continue;
      NegotiatedCodec c;
      c.payloadType = offered.payloadType;
      c.name = offered.name;
      c.clockRate = offered.clockRate;
      c.channels = offered.channels;
      c.fmtp = answerFmtp(offered, cap);
      c.offeredFmtp = offered.fmtp;
      for (const auto& f : cap.feedback) {
        if (hasFeedback(offered.feedback, f)) c.feedback.push_back(f);
      }
      if (cap.rtx) {
        // RFC 4588 section 8.6: the RTX payload type names its original with apt and runs
        // at the same clock rate.
        if (auto rtx = m.rtxFor(offered.payloadType)) {
          const RtpCodecDescription* r = m.findCodec(*rtx);
          if (r != nullptr && r->clockRate == offered.clockRate) {
            c.rtxPayloadType = *rtx;
            c.rtxFmtp = r->fmtp;
          }
        }
      }
      chosen.push_back(offered.payloadType);
      out.codecs.push_back(std::move(c));
      break;  // one payload type per capability
    }
  }
}

void negotiateSimulcast(const WebRtcMediaDescription& m, NegotiatedSection& out,
                        std::vector<std::string>& notes) {
  std::vector<const RidDescription*> sendRids;
  for (const auto& r : m.rids) {
    if (r.direction == RidDirection::kSend) sendRids.push_back(&r);
  }
  if (sendRids.empty()) return;
  if (out.findExtension(extension_uris::kRtpStreamId) == nullptr) {
    notes.push_back(describe(out) +
                    ": rids dropped, the rtp-stream-id extension is not negotiated");
    return;
  }
  for (const RidDescription* r : sendRids) {
    RidDescription answer = *r;
    answer.direction = RidDirection::kRecv;
    if (!r->payloadTypes.empty()) {
      // RFC 8851 section 6.2: restrictions to formats the answer drops go; a rid left with
      // none is removed.
      answer.payloadTypes.clear();
      for (const auto& pt : r->payloadTypes) {
        const bool kept = std::any_of(out.codecs.begin(), out.codecs.end(), [&](const auto& c) {
          return std::to_string(c.payloadType) == pt;
        });
        if (kept) answer.payloadTypes.push_back(pt);
      }
      if (answer.payloadTypes.empty()) {
        notes.push_back(describe(out) + ": rid " + r->id + " dropped, none of its formats chosen");
        continue;
      }
    }
    out.rids.push_back(std::move(answer));
  }
  if (!m.simulcast || m.simulcast->send.empty()) return;
  // RFC 8853 section 5.3: the answer's recv list mirrors the offer's send list, limited to the
  // rids the answer keeps.
  SimulcastDescription sc;
  for (const auto& alternatives : m.simulcast->send) {
    SimulcastAlternatives kept;
    for (const auto& s : alternatives) {
      const bool known = std::any_of(out.rids.begin(), out.rids.end(),
                                     [&](const RidDescription& r) { return r.id == s.rid; });
      if (known) kept.push_back(s);
    }
    if (!kept.empty()) sc.recv.push_back(std::move(kept));
  }
  if (!sc.recv.empty()) out.simulcast = std::move(sc);
}

}  // namespace

bool codecMatches(const RtpCodecDescription& offered, const CodecCapability& cap, MediaKind kind) {
  if (offered.name.empty() || !equalsIgnoreCase(offered.name, cap.name)) return false;
  if (offered.clockRate != cap.clockRate) return false;
  if (kind == MediaKind::kAudio) {
    // RFC 8866 section 6.6: no channel count means one channel.
    const uint16_t a = offered.channels == 0 ? 1 : offered.channels;
    const uint16_t b = cap.channels == 0 ? 1 : cap.channels;
    if (a != b) return false;
  }
  if (equalsIgnoreCase(cap.name, kH264)) {
    if (h264PacketizationMode(offered.fmtp) != kRequiredH264PacketizationMode) return false;
    const auto x = H264ProfileLevelId::fromFmtp(offered.fmtp);
    const auto y = H264ProfileLevelId::fromFmtp(cap.fmtp);
    return x && y && x->profile == y->profile;
  }
  if (equalsIgnoreCase(cap.name, kVp9)) {
    return sameProfileParameter(offered.fmtp, cap.fmtp, kVp9ProfileId);
  }
  if (equalsIgnoreCase(cap.name, kAv1)) {
    return sameProfileParameter(offered.fmtp, cap.fmtp, kAv1Profile);
  }
  return true;
}

const NegotiatedExtension* NegotiatedSection::findExtension(std::string_view uri) const {
  for (const auto& e : extensions) {
    if (e.uri == uri) return &e;
  }
  return nullptr;
}

const NegotiatedSection* NegotiatedSession::findByMid(std::string_view mid) const {
  for (const auto& s : sections) {
    if (!s.mid.empty() && s.mid == mid) return &s;
  }
  return nullptr;
}

size_t NegotiatedSession::acceptedCount() const {
  return static_cast<size_t>(std::count_if(sections.begin(), sections.end(),
                                           [](const NegotiatedSection& s) { return s.accepted; }));
}

NegotiationResult negotiate(const WebRtcSessionDescription& offer,
                            const EndpointCapabilities& capabilities, EndpointRole role) {
  using Kind = NegotiationError::Kind;
  if (offer.media.empty()) return NegotiationError{Kind::kBadOffer, "the offer has no m-section"};
  // RFC 8445 section 6.1.1: two lite agents cannot run ICE.
  if (offer.iceLite) {
    return NegotiationError{Kind::kNotAcceptable,
                            "the offer is ICE-lite and so is the server (RFC 8445 section 6.1.1)"};
  }
  NegotiatedSession session;
  session.role = role;
  // JSEP max-bundle: one transport. With a BUNDLE group, only its sections; without one, only
  // the first usable section.
  const std::vector<std::string>* group =
      offer.bundleGroups.empty() ? nullptr : &offer.bundleGroups.front();
  session.bundle = group != nullptr && !group->empty();

  // id -> URI already used on the transport: a BUNDLE group is one RTP session (RFC 8843
  // section 9.1), so one id names one extension in all its sections.
  std::map<uint16_t, std::string> bundleExtensionIds;
  bool haveAcceptedSection = false;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const WebRtcMediaDescription& m = offer.media[i];
    NegotiatedSection s;
    s.index = i;
    s.kind = m.kind;
    s.media = m.media;
    s.proto = m.proto;
    s.mid = m.mid;
    s.firstFormat = m.formats.empty() ? "0" : m.formats.front();
    s.offeredDirection = m.direction;
    s.rtcpRsize = m.rtcpRsize;

    auto reject = [&](std::string reason) {
      s.accepted = false;
      s.rejectReason = std::move(reason);
      session.notes.push_back(describe(s) + " rejected: " + s.rejectReason);
      session.sections.push_back(std::move(s));
    };
    if (m.rejected()) {
      reject("rejected in the offer (port 0)");
      continue;
    }
    // JSEP section 5.2.1 / 5.8: every m-section of an offer carries a mid.
    if (m.mid.empty()) {
      return NegotiationError{Kind::kBadOffer, "line " + std::to_string(m.line) +
                                                   ": m-section without a=mid (required by JSEP)"};
    }
    const MediaCapabilities* caps = capabilities.forKind(m.media);
    if (m.kind == MediaKind::kApplication) {
      reject("data channels are not supported");
      continue;
    }
    if (caps == nullptr || caps->codecs.empty()) {
      reject("media '" + m.media + "' is not supported");
      continue;
    }
    if (!isDtlsSrtp(m.proto)) {
      reject("transport profile " + m.proto + " is not DTLS-SRTP");
      continue;
    }
    if (group != nullptr) {
      if (std::find(group->begin(), group->end(), m.mid) == group->end()) {
        reject("not in the offer's first BUNDLE group");
        continue;
      }
    } else if (haveAcceptedSection) {
      reject("not bundled, and the server uses one transport");
      continue;
    }
    // RFC 8829 section 4.1.1 (rtcpMuxPolicy "require"); the worker does not run separate RTCP.
    if (!m.rtcpMux) {
      reject("no a=rtcp-mux");
      continue;
    }
    negotiateCodecs(m, *caps, s);
    if (s.codecs.empty()) {
      reject("no common codec (offered: " + codecList(m) + ")");
      continue;
    }
    s.direction = answerDirection(role, m.direction);
    if (s.direction == MediaDirection::kInactive && m.direction != MediaDirection::kInactive) {
      session.notes.push_back(
          describe(s) + ": offered " + mediaDirectionName(m.direction) + ", answered inactive (" +
          (role == EndpointRole::kWhip ? "WHIP only receives" : "WHEP only sends") + ")");
    }
    for (const auto& e : m.extensions) {
      if (std::find(caps->headerExtensions.begin(), caps->headerExtensions.end(), e.uri) ==
          caps->headerExtensions.end()) {
        continue;
      }
      auto it = bundleExtensionIds.find(e.id);
      if (it != bundleExtensionIds.end() && it->second != e.uri) {
        session.notes.push_back(describe(s) + ": extmap " + std::to_string(e.id) + " " + e.uri +
                                " dropped, id already maps to " + it->second + " on the transport");
        continue;
      }
      NegotiatedExtension ne;
      ne.id = e.id;
      ne.uri = e.uri;
      if (e.direction) ne.direction = reverseDirection(*e.direction);
      s.extensions.push_back(std::move(ne));
    }
    for (const auto& e : s.extensions)
      bundleExtensionIds.emplace(e.id, e.uri);
    if (role == EndpointRole::kWhip) {
      negotiateSimulcast(m, s, session.notes);
      s.remoteSsrcs = m.ssrcs;
      s.remoteSsrcGroups = m.ssrcGroups;
      s.remoteMsids = m.msids;
    } else if (!m.rids.empty()) {
      session.notes.push_back(describe(s) + ": rids ignored, WHEP sends one stream per section");
    }
    if (m.extmapAllowMixed) session.extmapAllowMixed = true;
    s.accepted = true;
    haveAcceptedSection = true;
    session.sections.push_back(std::move(s));
  }

  bool anyActive = false;
  for (const auto& s : session.sections) {
    if (s.accepted && s.direction != MediaDirection::kInactive) anyActive = true;
  }
  if (!anyActive) {
    std::string why;
    for (const auto& n : session.notes)
      why += (why.empty() ? "" : "; ") + n;
    return NegotiationError{Kind::kNotAcceptable,
                            "nothing in the offer can be used: " + (why.empty() ? "-" : why)};
  }

  // RFC 8843 section 7.3.1: the answer's group lists the accepted mids; the first is the tag.
  if (group != nullptr) {
    for (const auto& mid : *group) {
      const NegotiatedSection* s = session.findByMid(mid);
      if (s != nullptr && s->accepted) session.bundleMids.push_back(mid);
    }
  } else {
    for (const auto& s : session.sections) {
      if (s.accepted) session.bundleMids.push_back(s.mid);
    }
  }

  // The offerer's transport is the one of its BUNDLE-tag section (RFC 8843 section 7.2): the
  // group's first mid, or the accepted section without BUNDLE.
  const std::string& tagMid =
      group != nullptr && !group->empty() ? group->front() : session.bundleMids.front();
  const WebRtcMediaDescription* tag = offer.findByMid(tagMid);
  if (tag == nullptr) return NegotiationError{Kind::kBadOffer, "no BUNDLE-tag m-section"};
  if (tag->ice.ufrag.empty() || tag->ice.pwd.empty()) {
    return NegotiationError{Kind::kBadOffer, "line " + std::to_string(tag->line) +
                                                 ": m-section without a=ice-ufrag/a=ice-pwd"};
  }
  if (tag->fingerprints.empty()) {
    return NegotiationError{
        Kind::kBadOffer, "line " + std::to_string(tag->line) + ": m-section without a=fingerprint"};
  }
  session.remote.mid = tagMid;
  session.remote.ice = tag->ice;
  session.remote.fingerprints = tag->fingerprints;
  // RFC 4145 section 4: no a=setup means active.
  session.remote.setup = tag->setup.value_or(DtlsSetup::kActive);
  // RFC 8842 section 5.3: answer passive to actpass or active, active to passive.
  switch (session.remote.setup) {
    case DtlsSetup::kActpass:
    case DtlsSetup::kActive:
      session.localSetup = DtlsSetup::kPassive;
      break;
    case DtlsSetup::kPassive:
      session.localSetup = DtlsSetup::kActive;
      break;
    case DtlsSetup::kHoldconn:
      return NegotiationError{Kind::kNotAcceptable, "a=setup:holdconn: no DTLS connection offered"};
  }
  // Only the tag section's candidates belong to the bundled transport; the others were
  // gathered for transports the offerer drops once BUNDLE is agreed (RFC 8843 section 7.2).
  session.remote.candidates = tag->candidates;
  session.remote.endOfCandidates = tag->endOfCandidates;
  if (offer.sdp.hasAttribute("extmap-allow-mixed")) session.extmapAllowMixed = true;
  return session;
}

}  // namespace switchyard::control::sdp
