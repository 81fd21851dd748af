#include "control/sdp/SdpAnswerBuilder.hpp"

#include <algorithm>

#include "control/sdp/IceCandidate.hpp"
#include "control/sdp/SdpLineReader.hpp"

namespace switchyard::control::sdp {

namespace {

constexpr size_t kSha256Bytes = 32;
constexpr size_t kSha256FingerprintLength = kSha256Bytes * 3 - 1;  // "AB:" * 31 + "AB"
constexpr std::string_view kHashFunction = "sha-256";
// Port of a bundled m-section that is not the BUNDLE tag, as Chromium writes it.
constexpr uint16_t kDiscardPortNumber = 9;
constexpr std::string_view kAnyIPv4 = "0.0.0.0";

bool isSha256Fingerprint(std::string_view v) {
  if (v.size() != kSha256FingerprintLength) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool isPlainToken(std::string_view s) {
  return !s.empty() && sdp_text::isToken(s);
}

SdpConnection connectionFor(std::string_view address) {
  const bool v6 = address.find(':') != std::string_view::npos;
  return SdpConnection{"IN", v6 ? "IP6" : "IP4", std::string(address)};
}

void add(std::vector<SdpAttribute>& attrs, std::string name) {
  attrs.push_back(SdpAttribute{std::move(name), std::nullopt, 0});
}

void add(std::vector<SdpAttribute>& attrs, std::string name, std::string value) {
  attrs.push_back(SdpAttribute{std::move(name), std::move(value), 0});
}

std::string rtpmap(uint8_t pt, const std::string& name, uint32_t clockRate, uint16_t channels) {
  std::string v = std::to_string(pt) + " " + name + "/" + std::to_string(clockRate);
  if (channels != 0) v += "/" + std::to_string(channels);
  return v;
}

IceCandidate toCandidate(const AnswerCandidate& c) {
  IceCandidate ic;
  ic.foundation = c.foundation;
  ic.component = 1;
  ic.transport = c.transport;
  ic.priority = c.priority;
  ic.address = c.address;
  ic.port = c.port;
  ic.type = "host";
  if (sdp_text::equalsIgnoreCase(c.transport, "tcp"))
    ic.extensions.emplace_back("tcptype", "passive");
  return ic;
}

void addCodecs(const NegotiatedSection& s, SdpMediaSection& m) {
  for (const auto& c : s.codecs) {
    m.formats.push_back(std::to_string(c.payloadType));
    if (c.rtxPayloadType) m.formats.push_back(std::to_string(*c.rtxPayloadType));
  }
  for (const auto& c : s.codecs) {
    add(m.attributes, "rtpmap", rtpmap(c.payloadType, c.name, c.clockRate, c.channels));
    for (const auto& f : c.feedback)
      add(m.attributes, "rtcp-fb", std::to_string(c.payloadType) + " " + f);
    if (!c.fmtp.empty()) {
      add(m.attributes, "fmtp", std::to_string(c.payloadType) + " " + c.fmtp.toString());
    }
    if (c.rtxPayloadType) {
      add(m.attributes, "rtpmap", rtpmap(*c.rtxPayloadType, "rtx", c.clockRate, 0));
      FmtpParameters rtx = c.rtxFmtp;
      rtx.set("apt", std::to_string(c.payloadType));
      add(m.attributes, "fmtp", std::to_string(*c.rtxPayloadType) + " " + rtx.toString());
    }
  }
}

}  // namespace

SdpResult<SessionDescription> buildAnswer(const NegotiatedSession& session,
                                          const AnswerParameters& p) {
  if (!isValidIceUfrag(p.iceUfrag)) return sdpError(0, "answer: bad ICE ufrag");
  if (!isValidIcePwd(p.icePwd)) return sdpError(0, "answer: bad ICE pwd");
  if (!isSha256Fingerprint(p.fingerprintSha256)) {
    return sdpError(0, "answer: fingerprint is not 32 hex bytes separated by ':'");
  }
  if (p.candidates.empty()) return sdpError(0, "answer: an ICE-lite answer needs a candidate");
  for (const auto& c : p.candidates) {
    if (!isPlainToken(c.foundation) || c.address.empty() ||
        c.address.find_first_of(" \t") != std::string::npos || c.port == 0 ||
        !isPlainToken(c.transport)) {
      return sdpError(0, "answer: bad candidate " + c.address);
    }
  }
  if (!isPlainToken(p.originAddress)) return sdpError(0, "answer: bad origin address");
  for (const auto& st : p.sendStreams) {
    const NegotiatedSection* s = session.findByMid(st.mid);
    if (s == nullptr || !s->accepted || !directionSends(s->direction)) {
      return sdpError(0, "answer: send stream for mid '" + st.mid + "', which does not send");
    }
    if (!isPlainToken(st.cname) || !isPlainToken(st.streamId) || !isPlainToken(st.trackId)) {
      return sdpError(0, "answer: send stream for mid '" + st.mid + "' has a bad cname or msid");
    }
  }
  if (session.bundleMids.empty()) return sdpError(0, "answer: no accepted m-section");

  SessionDescription sd;
  sd.origin = SdpOrigin{"-",
                        std::to_string(p.sessionId),
                        std::to_string(p.sessionVersion),
                        "IN",
                        connectionFor(p.originAddress).addrType,
                        p.originAddress};
  sd.sessionName = "-";
  sd.timings = {SdpTiming{}};
  if (session.bundle) {
    std::string group = "BUNDLE";
    for (const auto& mid : session.bundleMids)
      group += " " + mid;
    add(sd.attributes, "group", group);
  }
  add(sd.attributes, "ice-lite");
  if (session.extmapAllowMixed) add(sd.attributes, "extmap-allow-mixed");
  if (!p.sendStreams.empty()) add(sd.attributes, "msid-semantic", " WMS *");

  const std::string& tagMid = session.bundleMids.front();
  const std::string fingerprint = std::string(kHashFunction) + " " + p.fingerprintSha256;
  for (const auto& s : session.sections) {
    SdpMediaSection m;
    m.media = s.media;
    m.proto = s.proto;
    if (!s.accepted) {
      // RFC 3264 section 6 / RFC 8829 section 5.3.1: port 0, the offer's first format, and the
      // mid so the offerer can match the section.
      m.port = 0;
      m.formats = {s.firstFormat};
      m.connections = {connectionFor(kAnyIPv4)};
      if (!s.mid.empty()) add(m.attributes, "mid", s.mid);
      if (s.kind == MediaKind::kAudio || s.kind == MediaKind::kVideo) add(m.attributes, "inactive");
      sd.media.push_back(std::move(m));
      continue;
    }
    const bool isTag = s.mid == tagMid;
    m.port = isTag ? p.candidates.front().port : kDiscardPortNumber;
    m.connections = {
        connectionFor(isTag ? std::string_view(p.candidates.front().address) : kAnyIPv4)};
    add(m.attributes, "mid", s.mid);
    add(m.attributes, "ice-ufrag", p.iceUfrag);
    add(m.attributes, "ice-pwd", p.icePwd);
    if (p.trickle) add(m.attributes, "ice-options", "trickle");
    add(m.attributes, "fingerprint", fingerprint);
    add(m.attributes, "setup", dtlsSetupName(session.localSetup));
    add(m.attributes, mediaDirectionName(s.direction));
    add(m.attributes, "rtcp-mux");
    if (s.rtcpRsize) add(m.attributes, "rtcp-rsize");
    for (const auto& e : s.extensions) {
      std::string v = std::to_string(e.id);
      if (e.direction) v += std::string("/") + mediaDirectionName(*e.direction);
      add(m.attributes, "extmap", v + " " + e.uri);
    }
    addCodecs(s, m);
    for (const auto& r : s.rids)
      add(m.attributes, "rid", r.toString());
    if (s.simulcast) add(m.attributes, "simulcast", s.simulcast->toString());
    const bool hasRtx = std::any_of(s.codecs.begin(), s.codecs.end(), [](const NegotiatedCodec& c) {
      return c.rtxPayloadType.has_value();
    });
    for (const auto& st : p.sendStreams) {
      if (st.mid != s.mid) continue;
      const std::string msid = st.streamId + " " + st.trackId;
      add(m.attributes, "msid", msid);
      const bool rtx = hasRtx && st.rtxSsrc.has_value();
      // RFC 5576 section 4.2 and RFC 4588 section 8.7: FID pairs the media SSRC with its RTX.
      if (rtx) {
        add(m.attributes, "ssrc-group",
            "FID " + std::to_string(st.ssrc) + " " + std::to_string(*st.rtxSsrc));
      }
      for (uint32_t ssrc :
           rtx ? std::vector<uint32_t>{st.ssrc, *st.rtxSsrc} : std::vector<uint32_t>{st.ssrc}) {
        add(m.attributes, "ssrc", std::to_string(ssrc) + " cname:" + st.cname);
        add(m.attributes, "ssrc", std::to_string(ssrc) + " msid:" + msid);
      }
    }
    if (isTag) {
      for (const auto& c : p.candidates)
        add(m.attributes, "candidate", toCandidate(c).toString());
      // An ICE-lite server has all its candidates now (end-of-candidates, RFC 8840).
      add(m.attributes, "end-of-candidates");
    }
    sd.media.push_back(std::move(m));
  }
  return sd;
}

SdpResult<std::string> buildAnswerText(const NegotiatedSession& session,
                                       const AnswerParameters& parameters) {
  auto sd = buildAnswer(session, parameters);
  if (!sd) return sd.error();
  return sd->serialize();
}

}  // namespace switchyard::control::sdp
