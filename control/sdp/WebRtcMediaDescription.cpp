#include "control/sdp/WebRtcMediaDescription.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "control/sdp/SdpLineReader.hpp"

namespace switchyard::control::sdp {

namespace {

using sdp_text::equalsIgnoreCase;
using sdp_text::parseUnsigned;
using sdp_text::splitSpaces;

constexpr size_t kMaxIceOptions = 16;
constexpr size_t kMaxFingerprints = 8;
constexpr unsigned long long kMaxSsrc = std::numeric_limits<uint32_t>::max();
constexpr unsigned long long kMaxClockRate = std::numeric_limits<uint32_t>::max();
constexpr unsigned long long kMaxChannels = 255;
constexpr unsigned long long kMaxPort = 65535;
constexpr unsigned long long kMaxUint64 = std::numeric_limits<uint64_t>::max();
constexpr std::string_view kRtxName = "rtx";
constexpr std::string_view kAptKey = "apt";
constexpr std::string_view kWildcard = "*";

// RFC 3551 section 6: static payload types a WebRTC offer may list without an rtpmap.
struct StaticPayloadType {
  uint8_t pt;
  const char* name;
  uint32_t clockRate;
  uint16_t channels;
};
constexpr std::array<StaticPayloadType, 6> kStaticPayloadTypes{{
    {0, "PCMU", 8000, 1},
    {3, "GSM", 8000, 1},
    {8, "PCMA", 8000, 1},
    {9, "G722", 8000, 1},
    {13, "CN", 8000, 1},
    {18, "G729", 8000, 1},
}};

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 8122 section 5: fingerprint = 2UHEX *(":" 2UHEX) (lower case accepted as well).
bool isFingerprintValue(std::string_view v) {
  if (v.size() < 2 || (v.size() + 1) % 3 != 0) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i % 3 == 2) {
      if (v[i] != ':') return false;
    } else if (!isHex(v[i])) {
      return false;
    }
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A view of the attribute's value ("" for a property attribute); a must outlive it.
std::string_view valueOf(const SdpAttribute& a) {
  return a.value ? std::string_view(*a.value) : std::string_view();
}

SdpError attrError(const SdpAttribute& a, const std::string& what) {
  return sdpError(a.line, what);
}

// The attributes the session level and the media level share.
struct TransportAttributes {
  std::optional<std::string> ufrag;
  std::optional<std::string> pwd;
  std::optional<std::vector<std::string>> options;
  std::vector<DtlsFingerprint> fingerprints;
  std::optional<DtlsSetup> setup;
  std::optional<MediaDirection> direction;
  std::vector<ExtmapDescription> extensions;
  bool extmapAllowMixed = false;
};

SdpResult<ExtmapDescription> parseExtmap(const SdpAttribute& a) {
  // RFC 8285 section 8: extmap = mapentry SP extensionname [SP extensionattributes]
  const std::string_view v = valueOf(a);
  const size_t sp = v.find(' ');
  if (sp == std::string_view::npos) return attrError(a, "bad extmap: missing URI");
  std::string_view entry = std::string_view(v).substr(0, sp);
  ExtmapDescription e;
  const size_t slash = entry.find('/');
  if (slash != std::string_view::npos) {
    const auto dir = parseMediaDirection(entry.substr(slash + 1));
    if (!dir) return attrError(a, "bad extmap direction");
    e.direction = dir;
    entry = entry.substr(0, slash);
  }
  unsigned long long id = 0;
  if (!parseUnsigned(entry, kMaxExtmapId, id) || id == 0) {
    return attrError(a, "bad extmap id '" + std::string(entry) + "' (must be 1-255)");
  }
  e.id = static_cast<uint16_t>(id);
  const std::string_view rest = std::string_view(v).substr(sp + 1);
  const size_t sp2 = rest.find(' ');
  e.uri = std::string(rest.substr(0, sp2));
  if (e.uri.empty()) return attrError(a, "bad extmap: empty URI");
  if (sp2 != std::string_view::npos) e.attributes = std::string(rest.substr(sp2 + 1));
  return e;
}

// Reads one transport-level attribute into t; returns true when the attribute was one of them.
SdpResult<bool> readTransportAttribute(const SdpAttribute& a, TransportAttributes& t) {
  const std::string& n = a.name;
  if (n == "ice-ufrag" || n == "ice-pwd") {
    const bool isUfrag = n == "ice-ufrag";
    auto& slot = isUfrag ? t.ufrag : t.pwd;
    if (slot) return attrError(a, "second a=" + n);
    const std::string v(valueOf(a));
    if (isUfrag ? !isValidIceUfrag(v) : !isValidIcePwd(v)) {
      return attrError(a, "bad a=" + n + " (RFC 8839 section 5.4)");
    }
    slot = v;
    return true;
  }
  if (n == "ice-options") {
    // RFC 8839 section 5.6: one or more ice-option-tags.
    const auto tags = splitSpaces(valueOf(a));
    if (tags.empty()) return attrError(a, "bad a=ice-options");
    std::vector<std::string> options;
    for (auto o : tags) {
      if (!sdp_text::isToken(o) || options.size() >= kMaxIceOptions) {
        return attrError(a, "bad a=ice-options");
      }
      options.emplace_back(o);
    }
    t.options = std::move(options);
    return true;
  }
  if (n == "fingerprint") {
    const auto f = splitSpaces(valueOf(a));
    if (f.size() != 2 || !sdp_text::isToken(f[0]) || !isFingerprintValue(f[1])) {
      return attrError(a, "bad a=fingerprint");
    }
    if (t.fingerprints.size() >= kMaxFingerprints) return attrError(a, "too many a=fingerprint");
    t.fingerprints.push_back(DtlsFingerprint{lower(f[0]), std::string(f[1])});
    return true;
  }
  if (n == "setup") {
    if (t.setup) return attrError(a, "second a=setup");
    const std::string v(valueOf(a));
    if (v == "actpass") {
      t.setup = DtlsSetup::kActpass;
    } else if (v == "active") {
      t.setup = DtlsSetup::kActive;
    } else if (v == "passive") {
      t.setup = DtlsSetup::kPassive;
    } else if (v == "holdconn") {
      t.setup = DtlsSetup::kHoldconn;
    } else {
      return attrError(a, "bad a=setup '" + v + "'");
    }
    return true;
  }
  if (const auto dir = parseMediaDirection(n); dir && !a.value) {
    if (t.direction) return attrError(a, "second direction attribute (a=" + n + ")");
    t.direction = dir;
    return true;
  }
  if (n == "extmap") {
    auto e = parseExtmap(a);
    if (!e) return e.error();
    for (const auto& existing : t.extensions) {
      if (existing.id == e->id) {
        return attrError(a, "extmap id " + std::to_string(e->id) + " used twice");
      }
    }
    if (t.extensions.size() >= kMaxExtmapsPerSection) return attrError(a, "too many a=extmap");
    t.extensions.push_back(std::move(*e));
    return true;
  }
  if (n == "extmap-allow-mixed") {
    t.extmapAllowMixed = true;
    return true;
  }
  return false;
}

bool parseU8(std::string_view s, uint8_t max, uint8_t& out) {
  unsigned long long v = 0;
  if (!parseUnsigned(s, max, v)) return false;
  out = static_cast<uint8_t>(v);
  return true;
}

}  // namespace

const char* mediaKindName(MediaKind k) {
  switch (k) {
    case MediaKind::kAudio:
      return "audio";
    case MediaKind::kVideo:
      return "video";
    case MediaKind::kApplication:
      return "application";
    case MediaKind::kOther:
      return "other";
  }
  return "?";
}

const char* mediaDirectionName(MediaDirection d) {
  switch (d) {
    case MediaDirection::kSendRecv:
      return "sendrecv";
    case MediaDirection::kSendOnly:
      return "sendonly";
    case MediaDirection::kRecvOnly:
      return "recvonly";
    case MediaDirection::kInactive:
      return "inactive";
  }
  return "?";
}

const char* dtlsSetupName(DtlsSetup s) {
  switch (s) {
    case DtlsSetup::kActpass:
      return "actpass";
    case DtlsSetup::kActive:
      return "active";
    case DtlsSetup::kPassive:
      return "passive";
    case DtlsSetup::kHoldconn:
      return "holdconn";
  }
  return "?";
}

std::optional<MediaDirection> parseMediaDirection(std::string_view name) {
  if (name == "sendrecv") return MediaDirection::kSendRecv;
  if (name == "sendonly") return MediaDirection::kSendOnly;
  if (name == "recvonly") return MediaDirection::kRecvOnly;
  if (name == "inactive") return MediaDirection::kInactive;
  return std::nullopt;
}

MediaDirection reverseDirection(MediaDirection d) {
  switch (d) {
    case MediaDirection::kSendOnly:
      return MediaDirection::kRecvOnly;
    case MediaDirection::kRecvOnly:
      return MediaDirection::kSendOnly;
    default:
      return d;
  }
}

bool directionSends(MediaDirection d) {
  return d == MediaDirection::kSendRecv || d == MediaDirection::kSendOnly;
}

bool directionReceives(MediaDirection d) {
  return d == MediaDirection::kSendRecv || d == MediaDirection::kRecvOnly;
}

bool RtpCodecDescription::isRtx() const {
  return equalsIgnoreCase(name, kRtxName);
}

std::optional<uint8_t> RtpCodecDescription::rtxApt() const {
  if (!isRtx()) return std::nullopt;
  const auto apt = fmtp.get(kAptKey);
  uint8_t pt = 0;
  if (!apt || !parseU8(*apt, kMaxRtpPayloadType, pt)) return std::nullopt;
  return pt;
}

bool WebRtcMediaDescription::isRtp() const {
  return proto.find("RTP/") != std::string::npos;
}

const RtpCodecDescription* WebRtcMediaDescription::findCodec(uint8_t payloadType) const {
  for (const auto& c : codecs) {
    if (c.payloadType == payloadType) return &c;
  }
  return nullptr;
}

std::optional<uint8_t> WebRtcMediaDescription::rtxFor(uint8_t payloadType) const {
  for (const auto& c : codecs) {
    if (c.rtxApt() == payloadType) return c.payloadType;
  }
  return std::nullopt;
}

const ExtmapDescription* WebRtcMediaDescription::findExtension(std::string_view uri) const {
  for (const auto& e : extensions) {
    if (e.uri == uri) return &e;
  }
  return nullptr;
}

SdpResult<SessionLevelDefaults> interpretSessionDefaults(const SessionDescription& sdp) {
  TransportAttributes t;
  for (const auto& a : sdp.attributes) {
    auto handled = readTransportAttribute(a, t);
    if (!handled) return handled.error();
  }
  SessionLevelDefaults d;
  if (t.ufrag) d.ice.ufrag = *t.ufrag;
  if (t.pwd) d.ice.pwd = *t.pwd;
  if (t.options) d.ice.options = *t.options;
  d.fingerprints = std::move(t.fingerprints);
  d.setup = t.setup;
  d.direction = t.direction;
  d.extensions = std::move(t.extensions);
  d.extmapAllowMixed = t.extmapAllowMixed;
  return d;
}

SdpResult<WebRtcMediaDescription> interpretMediaSection(const SdpMediaSection& s,
                                                        const SessionLevelDefaults& defaults) {
  WebRtcMediaDescription m;
  m.media = s.media;
  m.port = s.port;
  m.proto = s.proto;
  m.formats = s.formats;
  m.line = s.line;
  if (s.media == "audio") {
    m.kind = MediaKind::kAudio;
  } else if (s.media == "video") {
    m.kind = MediaKind::kVideo;
  } else if (s.media == "application") {
    m.kind = MediaKind::kApplication;
  }

  // Formats of an RTP section are payload types 0-127, each listed once.
  if (m.isRtp()) {
    for (const auto& f : s.formats) {
      uint8_t pt = 0;
      if (!parseU8(f, kMaxRtpPayloadType, pt)) {
        return sdpError(s.line, "bad m= line: payload type '" + f + "' out of range 0-127");
      }
      if (m.findCodec(pt) != nullptr) {
        return sdpError(s.line, "bad m= line: payload type " + f + " listed twice");
      }
      RtpCodecDescription c;
      c.payloadType = pt;
      for (const auto& st : kStaticPayloadTypes) {
        if (st.pt == pt) {
          c.name = st.name;
          c.clockRate = st.clockRate;
          c.channels = st.channels;
        }
      }
      m.codecs.push_back(std::move(c));
    }
  }
  auto codecFor = [&](const SdpAttribute& a, std::string_view pt,
                      const char* what) -> SdpResult<RtpCodecDescription*> {
    uint8_t value = 0;
    if (!m.isRtp() || !parseU8(pt, kMaxRtpPayloadType, value)) {
      return attrError(
          a, std::string("bad a=") + what + ": bad payload type '" + std::string(pt) + "'");
    }
    for (auto& c : m.codecs) {
      if (c.payloadType == value) return &c;
    }
    return attrError(a, std::string("a=") + what + " for payload type " + std::string(pt) +
                            " not in the m= line");
  };

  TransportAttributes t;
  std::vector<bool> haveFmtp(m.codecs.size(), false);
  std::vector<std::string> wildcardFeedback;
  bool haveMid = false;
  for (const auto& a : s.attributes) {
    auto handled = readTransportAttribute(a, t);
    if (!handled) return handled.error();
    if (*handled) continue;
    const std::string& n = a.name;
    const std::string v(valueOf(a));
    if (n == "mid") {
      if (haveMid) return attrError(a, "second a=mid in one media section");
      if (v.empty() || v.size() > kMaxMidLength || !sdp_text::isToken(v)) {
        return attrError(a, "bad a=mid");
      }
      m.mid = v;
      haveMid = true;
    } else if (n == "rtpmap") {
      // RFC 8866 section 6.6: a=rtpmap:<pt> <encoding name>/<clock rate>[/<parameters>]
      const size_t sp = v.find(' ');
      if (sp == std::string::npos) return attrError(a, "bad a=rtpmap");
      auto codec = codecFor(a, std::string_view(v).substr(0, sp), "rtpmap");
      if (!codec) return codec.error();
      RtpCodecDescription& c = **codec;
      if (c.fromRtpmap) return attrError(a, "second a=rtpmap for payload type " + v.substr(0, sp));
      const auto parts = sdp_text::split(sdp_text::trim(std::string_view(v).substr(sp + 1)), '/');
      unsigned long long clock = 0;
      if (parts.size() < 2 || parts.size() > 3 || !sdp_text::isToken(parts[0]) ||
          !parseUnsigned(parts[1], kMaxClockRate, clock) || clock == 0) {
        return attrError(a, "bad a=rtpmap encoding");
      }
      unsigned long long channels = 0;
      if (parts.size() == 3 &&
          (!parseUnsigned(parts[2], kMaxChannels, channels) || channels == 0)) {
        return attrError(a, "bad a=rtpmap channel count");
      }
      c.name = std::string(parts[0]);
      c.clockRate = static_cast<uint32_t>(clock);
      c.channels = static_cast<uint16_t>(channels);
      c.fromRtpmap = true;
    } else if (n == "fmtp") {
      const size_t sp = v.find(' ');
      auto codec = codecFor(a, std::string_view(v).substr(0, sp), "fmtp");
      if (!codec) return codec.error();
      const size_t index = static_cast<size_t>(*codec - m.codecs.data());
      if (haveFmtp[index]) return attrError(a, "second a=fmtp for one payload type");
      haveFmtp[index] = true;
      if (sp != std::string::npos) (*codec)->fmtp = FmtpParameters::parse(v.substr(sp + 1));
    } else if (n == "rtcp-fb") {
      // RFC 4585 section 4.2: a=rtcp-fb:<pt or *> <type> [<parameters>]
      const size_t sp = v.find(' ');
      if (sp == std::string::npos) return attrError(a, "bad a=rtcp-fb");
      const std::string_view pt = std::string_view(v).substr(0, sp);
      std::string feedback;
      for (auto word : splitSpaces(std::string_view(v).substr(sp + 1))) {
        if (!feedback.empty()) feedback += ' ';
        feedback += word;
      }
      if (feedback.empty()) return attrError(a, "bad a=rtcp-fb: no feedback type");
      if (pt == kWildcard) {
        if (wildcardFeedback.size() < kMaxFeedbackPerCodec) wildcardFeedback.push_back(feedback);
        continue;
      }
      auto codec = codecFor(a, pt, "rtcp-fb");
      if (!codec) return codec.error();
      if ((*codec)->feedback.size() >= kMaxFeedbackPerCodec) {
        return attrError(a, "too many a=rtcp-fb for one payload type");
      }
      (*codec)->feedback.push_back(std::move(feedback));
    } else if (n == "msid") {
      const auto f = splitSpaces(v);
      if (f.empty() || f.size() > 2) return attrError(a, "bad a=msid");
      m.msids.push_back(Msid{std::string(f[0]), f.size() > 1 ? std::string(f[1]) : ""});
    } else if (n == "ssrc") {
      // RFC 5576 section 4.1: a=ssrc:<ssrc-id> <attribute>[:<value>]
      const size_t sp = v.find(' ');
      unsigned long long ssrc = 0;
      if (sp == std::string::npos ||
          !parseUnsigned(std::string_view(v).substr(0, sp), kMaxSsrc, ssrc)) {
        return attrError(a, "bad a=ssrc");
      }
      SdpAttribute inner;
      if (!parseSdpAttribute(std::string_view(v).substr(sp + 1), a.line, inner)) {
        return attrError(a, "bad a=ssrc attribute");
      }
      auto it = std::find_if(m.ssrcs.begin(), m.ssrcs.end(),
                             [&](const SsrcDescription& d) { return d.ssrc == ssrc; });
      if (it == m.ssrcs.end()) {
        if (m.ssrcs.size() >= kMaxSsrcsPerSection) return attrError(a, "too many SSRCs");
        m.ssrcs.push_back(SsrcDescription{static_cast<uint32_t>(ssrc), {}, {}});
        it = m.ssrcs.end() - 1;
      }
      if (inner.name == "cname" && inner.value) {
        it->cname = *inner.value;
      } else if (inner.name == "msid" && inner.value) {
        const auto f = splitSpaces(*inner.value);
        if (f.empty() || f.size() > 2) return attrError(a, "bad a=ssrc msid");
        it->msid = Msid{std::string(f[0]), f.size() > 1 ? std::string(f[1]) : ""};
      }
    } else if (n == "ssrc-group") {
      const auto f = splitSpaces(v);
      if (f.size() < 2 || !sdp_text::isToken(f[0]) || f.size() > kMaxSsrcsPerSection + 1) {
        return attrError(a, "bad a=ssrc-group");
      }
      SsrcGroup g;
      g.semantics = std::string(f[0]);
      for (size_t i = 1; i < f.size(); ++i) {
        unsigned long long ssrc = 0;
        if (!parseUnsigned(f[i], kMaxSsrc, ssrc)) return attrError(a, "bad a=ssrc-group SSRC");
        g.ssrcs.push_back(static_cast<uint32_t>(ssrc));
      }
      if (m.ssrcGroups.size() >= kMaxSsrcsPerSection) return attrError(a, "too many a=ssrc-group");
      m.ssrcGroups.push_back(std::move(g));
    } else if (n == "rid") {
      auto rid = RidDescription::parse(v);
      if (!rid) return attrError(a, rid.error().message);
      for (const auto& existing : m.rids) {
        if (existing.id == rid->id) return attrError(a, "rid '" + rid->id + "' defined twice");
      }
      if (m.rids.size() >= kMaxRidsPerSection) return attrError(a, "too many a=rid");
      m.rids.push_back(std::move(*rid));
    } else if (n == "simulcast") {
      if (m.simulcast) return attrError(a, "second a=simulcast");
      auto sc = SimulcastDescription::parse(v);
      if (!sc) return attrError(a, sc.error().message);
      m.simulcast = std::move(*sc);
    } else if (n == "candidate") {
      auto c = IceCandidate::parse(v);
      if (!c) return attrError(a, c.error().message);
      if (m.candidates.size() >= kMaxCandidatesPerSection)
        return attrError(a, "too many candidates");
      m.candidates.push_back(std::move(*c));
    } else if (n == "end-of-candidates") {
      m.endOfCandidates = true;
    } else if (n == "rtcp-mux") {
      m.rtcpMux = true;
    } else if (n == "rtcp-mux-only") {
      m.rtcpMuxOnly = true;
    } else if (n == "rtcp-rsize") {
      m.rtcpRsize = true;
    } else if (n == "bundle-only") {
      m.bundleOnly = true;
    } else if (n == "sctp-port") {
      unsigned long long port = 0;
      if (!parseUnsigned(v, kMaxPort, port)) return attrError(a, "bad a=sctp-port");
      m.sctpPort = static_cast<uint16_t>(port);
    } else if (n == "max-message-size") {
      unsigned long long size = 0;
      if (!parseUnsigned(v, kMaxUint64, size)) return attrError(a, "bad a=max-message-size");
      m.maxMessageSize = size;
    }
  }

  for (auto& c : m.codecs) {
    for (const auto& f : wildcardFeedback) {
      if (std::find(c.feedback.begin(), c.feedback.end(), f) == c.feedback.end() &&
          c.feedback.size() < kMaxFeedbackPerCodec) {
        c.feedback.push_back(f);
      }
    }
  }
  // A mapping that comes after the ones it relies on is fine; checked once all are read.
  for (const auto& rid : m.rids) {
    for (const auto& pt : rid.payloadTypes) {
      uint8_t value = 0;
      if (!m.isRtp() || !parseU8(pt, kMaxRtpPayloadType, value) || m.findCodec(value) == nullptr) {
        return sdpError(s.line, "rid '" + rid.id + "' names payload type " + pt +
                                    " that is not in the m= line");
      }
    }
  }

  // Media-level values override the session-level ones (RFC 8839 section 5.4, RFC 8122 section
  // 5, RFC 8285 section 5).
  m.ice.ufrag = t.ufrag ? *t.ufrag : defaults.ice.ufrag;
  m.ice.pwd = t.pwd ? *t.pwd : defaults.ice.pwd;
  m.ice.options = t.options ? *t.options : defaults.ice.options;
  m.fingerprints = t.fingerprints.empty() ? defaults.fingerprints : std::move(t.fingerprints);
  m.setup = t.setup ? t.setup : defaults.setup;
  m.direction = t.direction ? *t.direction : defaults.direction.value_or(MediaDirection::kSendRecv);
  m.extensions = std::move(t.extensions);
  for (const auto& e : defaults.extensions) {
    const bool taken = std::any_of(m.extensions.begin(), m.extensions.end(),
                                   [&](const ExtmapDescription& x) { return x.id == e.id; });
    if (!taken) m.extensions.push_back(e);
  }
  m.extmapAllowMixed = t.extmapAllowMixed || defaults.extmapAllowMixed;
  return m;
}

}  // namespace switchyard::control::sdp
