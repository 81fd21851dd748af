#include "control/sdp/SessionDescription.hpp"

#include <limits>

#include "control/sdp/SdpLineReader.hpp"

namespace switchyard::control::sdp {

namespace {

using sdp_text::parseUnsigned;
using sdp_text::splitSpaces;

constexpr std::string_view kCrlf = "\r\n";
constexpr unsigned long long kMaxPort = 65535;
constexpr unsigned long long kMaxPortCount = std::numeric_limits<uint32_t>::max();
constexpr unsigned long long kMaxUint64 = std::numeric_limits<uint64_t>::max();
constexpr SdpLineLimits kLimits{kMaxSdpBytes, kMaxSdpLines, kMaxSdpLineLength};

bool allDigits(std::string_view s) {
  unsigned long long ignored = 0;
  return parseUnsigned(s, kMaxUint64, ignored);
}

// Section 5.2.
bool parseOrigin(std::string_view v, SdpOrigin& out) {
  const auto f = splitSpaces(v);
  if (f.size() != 6) return false;
  if (!allDigits(f[1]) || !allDigits(f[2])) return false;
  if (!sdp_text::isToken(f[3]) || !sdp_text::isToken(f[4])) return false;
  out = SdpOrigin{std::string(f[0]), std::string(f[1]), std::string(f[2]),
                  std::string(f[3]), std::string(f[4]), std::string(f[5])};
  return true;
}

// Section 5.7.
bool parseConnection(std::string_view v, SdpConnection& out) {
  const auto f = splitSpaces(v);
  if (f.size() != 3 || !sdp_text::isToken(f[0]) || !sdp_text::isToken(f[1])) return false;
  out = SdpConnection{std::string(f[0]), std::string(f[1]), std::string(f[2])};
  return true;
}

// Section 5.8.
bool parseBandwidth(std::string_view v, SdpBandwidth& out) {
  const size_t colon = v.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view type = v.substr(0, colon);
  unsigned long long value = 0;
  if (!sdp_text::isToken(type) || !parseUnsigned(v.substr(colon + 1), kMaxUint64, value)) {
    return false;
  }
  out = SdpBandwidth{std::string(type), value};
  return true;
}

// Section 5.9.
bool parseTiming(std::string_view v, SdpTiming& out) {
  const auto f = splitSpaces(v);
  if (f.size() != 2 || !allDigits(f[0]) || !allDigits(f[1])) return false;
  out = SdpTiming{std::string(f[0]), std::string(f[1]), {}};
  return true;
}

// Section 5.14.
SdpResult<SdpMediaSection> parseMediaLine(std::string_view v, size_t line) {
  const auto f = splitSpaces(v);
  if (f.size() < 4) return sdpError(line, "bad m= line: expected <media> <port> <proto> <fmt>...");
  if (!sdp_text::isToken(f[0])) return sdpError(line, "bad m= line: media is not a token");
  SdpMediaSection m;
  m.line = line;
  m.media = std::string(f[0]);
  std::string_view port = f[1];
  const size_t slash = port.find('/');
  if (slash != std::string_view::npos) {
    unsigned long long count = 0;
    if (!parseUnsigned(port.substr(slash + 1), kMaxPortCount, count) || count == 0) {
      return sdpError(line, "bad m= line: bad port count");
    }
    m.portCount = static_cast<uint32_t>(count);
    port = port.substr(0, slash);
  }
  unsigned long long portValue = 0;
  if (!parseUnsigned(port, kMaxPort, portValue)) {
    return sdpError(line, "bad m= line: bad port '" + std::string(f[1]) + "'");
  }
  m.port = static_cast<uint16_t>(portValue);
  for (char ch : f[2]) {
    if (ch != '/' && !sdp_text::isToken(std::string_view(&ch, 1))) {
      return sdpError(line, "bad m= line: bad proto");
    }
  }
  m.proto = std::string(f[2]);
  if (f.size() - 3 > kMaxFormatsPerMedia) {
    return sdpError(line,
                    "bad m= line: more than " + std::to_string(kMaxFormatsPerMedia) + " formats");
  }
  for (size_t i = 3; i < f.size(); ++i)
    m.formats.emplace_back(f[i]);
  return m;
}

bool isSessionOnly(char type) {
  return type == 'v' || type == 'o' || type == 's' || type == 'u' || type == 'e' || type == 'p' ||
         type == 't' || type == 'r' || type == 'z';
}

void writeLine(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += kCrlf;
}

void writeConnection(std::string& out, const SdpConnection& c) {
  writeLine(out, 'c', c.netType + " " + c.addrType + " " + c.address);
}

void writeBandwidths(std::string& out, const std::vector<SdpBandwidth>& bs) {
  for (const auto& b : bs)
    writeLine(out, 'b', b.type + ":" + std::to_string(b.value));
}

void writeAttributes(std::string& out, const std::vector<SdpAttribute>& attrs) {
  for (const auto& a : attrs) {
    out += "a=";
    out += a.name;
    if (a.value) {
      out += ':';
      out += *a.value;
    }
    out += kCrlf;
  }
}

const SdpAttribute* find(const std::vector<SdpAttribute>& attrs, std::string_view name) {
  for (const auto& a : attrs) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::vector<const SdpAttribute*> findAll(const std::vector<SdpAttribute>& attrs,
                                         std::string_view name) {
  std::vector<const SdpAttribute*> out;
  for (const auto& a : attrs) {
    if (a.name == name) out.push_back(&a);
  }
  return out;
}

}  // namespace

bool parseSdpAttribute(std::string_view text, size_t line, SdpAttribute& out) {
  const size_t colon = text.find(':');
  const std::string_view name = colon == std::string_view::npos ? text : text.substr(0, colon);
  if (!sdp_text::isToken(name)) return false;
  out.name = std::string(name);
  out.value = colon == std::string_view::npos
                  ? std::nullopt
                  : std::optional<std::string>(std::string(text.substr(colon + 1)));
  out.line = line;
  return true;
}

const SdpAttribute* SdpMediaSection::findAttribute(std::string_view attributeName) const {
  return find(attributes, attributeName);
}
std::vector<const SdpAttribute*> SdpMediaSection::findAttributes(
    std::string_view attributeName) const {
  return findAll(attributes, attributeName);
}
const SdpAttribute* SessionDescription::findAttribute(std::string_view attributeName) const {
  return find(attributes, attributeName);
}
std::vector<const SdpAttribute*> SessionDescription::findAttributes(
    std::string_view attributeName) const {
  return findAll(attributes, attributeName);
}

bool SdpMediaSection::operator==(const SdpMediaSection& o) const {
  return media == o.media && port == o.port && portCount == o.portCount && proto == o.proto &&
         formats == o.formats && title == o.title && connections == o.connections &&
         bandwidths == o.bandwidths && key == o.key && attributes == o.attributes;
}

bool SessionDescription::operator==(const SessionDescription& o) const {
  return origin == o.origin && sessionName == o.sessionName && info == o.info && uri == o.uri &&
         emails == o.emails && phones == o.phones && connection == o.connection &&
         bandwidths == o.bandwidths && timings == o.timings && zone == o.zone && key == o.key &&
         attributes == o.attributes && media == o.media;
}

SdpResult<SessionDescription> SessionDescription::parse(std::string_view text) {
  auto lines = readSdpLines(text, kLimits);
  if (!lines) return lines.error();
  if (lines->empty()) return sdpError(0, "empty SDP");
  const SdpLine& first = lines->front();
  // Section 5: v= comes first, then o= and s=.
  if (first.type != 'v') return sdpError(first.number, "missing v= line (first line must be v=0)");
  if (first.value != "0") return sdpError(first.number, "unsupported SDP version (v= must be 0)");

  SessionDescription sd;
  sd.timings.clear();
  bool haveOrigin = false;
  bool haveName = false;
  SdpMediaSection* media = nullptr;
  for (size_t i = 1; i < lines->size(); ++i) {
    const SdpLine& l = (*lines)[i];
    const std::string_view v = l.value;
    if (media != nullptr && isSessionOnly(l.type)) {
      return sdpError(l.number, std::string(1, l.type) + "= line inside a media section");
    }
    switch (l.type) {
      case 'v':
        return sdpError(l.number, "second v= line");
      case 'o':
        if (haveOrigin) return sdpError(l.number, "second o= line");
        if (!parseOrigin(v, sd.origin)) return sdpError(l.number, "bad o= line");
        haveOrigin = true;
        break;
      case 's':
        if (haveName) return sdpError(l.number, "second s= line");
        if (!haveOrigin) return sdpError(l.number, "s= line before o= line");
        sd.sessionName = std::string(v);
        haveName = true;
        break;
      case 'i':
        if (media != nullptr) {
          if (media->title) return sdpError(l.number, "second i= line in a media section");
          media->title = std::string(v);
        } else {
          if (sd.info) return sdpError(l.number, "second i= line");
          sd.info = std::string(v);
        }
        break;
      case 'u':
        if (sd.uri) return sdpError(l.number, "second u= line");
        sd.uri = std::string(v);
        break;
      case 'e':
        sd.emails.emplace_back(v);
        break;
      case 'p':
        sd.phones.emplace_back(v);
        break;
      case 'c': {
        SdpConnection c;
        if (!parseConnection(v, c)) return sdpError(l.number, "bad c= line");
        if (media != nullptr) {
          media->connections.push_back(std::move(c));
        } else {
          if (sd.connection) return sdpError(l.number, "second c= line at session level");
          sd.connection = std::move(c);
        }
        break;
      }
      case 'b': {
        SdpBandwidth b;
        if (!parseBandwidth(v, b)) return sdpError(l.number, "bad b= line");
        (media != nullptr ? media->bandwidths : sd.bandwidths).push_back(std::move(b));
        break;
      }
      case 't': {
        SdpTiming t;
        if (!parseTiming(v, t)) return sdpError(l.number, "bad t= line");
        sd.timings.push_back(std::move(t));
        break;
      }
      case 'r':
        if (sd.timings.empty()) return sdpError(l.number, "r= line without a t= line");
        sd.timings.back().repeats.emplace_back(v);
        break;
      case 'z':
        if (sd.zone) return sdpError(l.number, "second z= line");
        sd.zone = std::string(v);
        break;
      case 'k':
        if (media != nullptr) {
          media->key = std::string(v);
        } else {
          sd.key = std::string(v);
        }
        break;
      case 'a': {
        auto& attrs = media != nullptr ? media->attributes : sd.attributes;
        if (attrs.size() >= kMaxAttributesPerLevel) {
          return sdpError(l.number, "more than " + std::to_string(kMaxAttributesPerLevel) +
                                        " attributes in one section");
        }
        SdpAttribute a;
        if (!parseSdpAttribute(v, l.number, a)) return sdpError(l.number, "bad attribute name");
        attrs.push_back(std::move(a));
        break;
      }
      case 'm': {
        if (!haveOrigin) return sdpError(l.number, "missing o= line before the first m= line");
        if (!haveName) return sdpError(l.number, "missing s= line before the first m= line");
        if (sd.timings.empty())
          return sdpError(l.number, "missing t= line before the first m= line");
        if (sd.media.size() >= kMaxMediaSections) {
          return sdpError(l.number,
                          "more than " + std::to_string(kMaxMediaSections) + " media sections");
        }
        auto m = parseMediaLine(v, l.number);
        if (!m) return m.error();
        sd.media.push_back(std::move(*m));
        media = &sd.media.back();
        break;
      }
      default:
        // Section 5: a type letter this parser does not know makes the description unusable.
        return sdpError(l.number, "unknown line type '" + std::string(1, l.type) + "='");
    }
  }
  if (!haveOrigin) return sdpError(0, "missing o= line");
  if (!haveName) return sdpError(0, "missing s= line");
  if (sd.timings.empty()) return sdpError(0, "missing t= line");
  return sd;
}

std::string SessionDescription::serialize() const {
  std::string out;
  out.reserve(1024 + media.size() * 1024);
  writeLine(out, 'v', "0");
  writeLine(out, 'o',
            origin.username + " " + origin.sessionId + " " + origin.sessionVersion + " " +
                origin.netType + " " + origin.addrType + " " + origin.address);
  writeLine(out, 's', sessionName);
  if (info) writeLine(out, 'i', *info);
  if (uri) writeLine(out, 'u', *uri);
  for (const auto& e : emails)
    writeLine(out, 'e', e);
  for (const auto& p : phones)
    writeLine(out, 'p', p);
  if (connection) writeConnection(out, *connection);
  writeBandwidths(out, bandwidths);
  if (timings.empty()) writeLine(out, 't', "0 0");
  for (const auto& t : timings) {
    writeLine(out, 't', t.start + " " + t.stop);
    for (const auto& r : t.repeats)
      writeLine(out, 'r', r);
  }
  if (zone) writeLine(out, 'z', *zone);
  if (key) writeLine(out, 'k', *key);
  writeAttributes(out, attributes);
  for (const auto& m : media) {
    std::string mline = m.media + " " + std::to_string(m.port);
    if (m.portCount) mline += "/" + std::to_string(*m.portCount);
    mline += " " + m.proto;
    for (const auto& f : m.formats)
      mline += " " + f;
    writeLine(out, 'm', mline);
    if (m.title) writeLine(out, 'i', *m.title);
    for (const auto& c : m.connections)
      writeConnection(out, c);
    writeBandwidths(out, m.bandwidths);
    if (m.key) writeLine(out, 'k', *m.key);
    writeAttributes(out, m.attributes);
  }
  return out;
}

}  // namespace switchyard::control::sdp
