#include "control/sdp/Simulcast.hpp"

#include "control/sdp/SdpLineReader.hpp"

namespace switchyard::control::sdp {

namespace {

constexpr std::string_view kPtPrefix = "pt=";
constexpr char kPaused = '~';

bool isFormat(std::string_view s) {
  return sdp_text::isToken(s);
}

// RFC 8853 section 5.1: sc-str-list = sc-alt-list *( ";" sc-alt-list ).
bool parseStreamList(std::string_view text, std::vector<SimulcastAlternatives>& out) {
  size_t count = 0;
  for (std::string_view alt : sdp_text::split(text, ';')) {
    SimulcastAlternatives alternatives;
    for (std::string_view id : sdp_text::split(alt, ',')) {
      SimulcastStream s;
      if (!id.empty() && id.front() == kPaused) {
        s.paused = true;
        id.remove_prefix(1);
      }
      if (!isValidRid(id)) return false;
      if (++count > kMaxSimulcastStreams) return false;
      s.rid = std::string(id);
      alternatives.push_back(std::move(s));
    }
    out.push_back(std::move(alternatives));
  }
  return true;
}

std::string streamListToString(const std::vector<SimulcastAlternatives>& list) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ';';
    for (size_t j = 0; j < list[i].size(); ++j) {
      if (j > 0) out += ',';
      if (list[i][j].paused) out += kPaused;
      out += list[i][j].rid;
    }
  }
  return out;
}

}  // namespace

const char* ridDirectionName(RidDirection d) {
  return d == RidDirection::kSend ? "send" : "recv";
}

bool isValidRid(std::string_view id) {
  if (id.empty() || id.size() > kMaxRidLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// RFC 8851 section 10.
SdpResult<RidDescription> RidDescription::parse(std::string_view value) {
  const size_t sp = value.find(' ');
  const std::string_view id = value.substr(0, sp);
  if (!isValidRid(id)) return sdpError(0, "bad rid id");
  if (sp == std::string_view::npos) return sdpError(0, "bad rid: missing direction");
  std::string_view rest = value.substr(sp + 1);
  const size_t sp2 = rest.find(' ');
  const std::string_view dir = rest.substr(0, sp2);
  RidDescription r;
  r.id = std::string(id);
  if (dir == "send") {
    r.direction = RidDirection::kSend;
  } else if (dir == "recv") {
    r.direction = RidDirection::kRecv;
  } else {
    return sdpError(0, "bad rid direction '" + std::string(dir) + "'");
  }
  if (sp2 == std::string_view::npos) return r;
  std::string_view params = sdp_text::trim(rest.substr(sp2 + 1));
  size_t count = 0;
  for (std::string_view p : sdp_text::split(params, ';')) {
    p = sdp_text::trim(p);
    if (p.empty()) return sdpError(0, "bad rid: empty restriction");
    if (++count > kMaxRidRestrictions) return sdpError(0, "bad rid: too many restrictions");
    if (p.substr(0, kPtPrefix.size()) == kPtPrefix) {
      if (count != 1) return sdpError(0, "bad rid: pt= must come first");
      for (std::string_view pt : sdp_text::split(p.substr(kPtPrefix.size()), ',')) {
        if (!isFormat(pt)) return sdpError(0, "bad rid: bad pt list");
        r.payloadTypes.emplace_back(pt);
      }
      continue;
    }
    const size_t eq = p.find('=');
    const std::string_view name = p.substr(0, eq);
    if (!sdp_text::isToken(name)) return sdpError(0, "bad rid restriction name");
    if (eq == std::string_view::npos) {
      r.restrictions.set(name, "");
    } else {
      r.restrictions.set(name, p.substr(eq + 1));
    }
  }
  return r;
}

std::string RidDescription::toString() const {
  std::string out = id + " " + ridDirectionName(direction);
  std::string params;
  if (!payloadTypes.empty()) {
    params = std::string(kPtPrefix);
    for (size_t i = 0; i < payloadTypes.size(); ++i) {
      if (i > 0) params += ',';
      params += payloadTypes[i];
    }
  }
  for (const auto& e : restrictions.entries()) {
    if (!params.empty()) params += ';';
    params += e.key;
    if (e.value && !e.value->empty()) params += "=" + *e.value;
  }
  if (!params.empty()) out += " " + params;
  return out;
}

// RFC 8853 section 5.1.
SdpResult<SimulcastDescription> SimulcastDescription::parse(std::string_view value) {
  const auto f = sdp_text::splitSpaces(value);
  if (f.size() != 2 && f.size() != 4) return sdpError(0, "bad simulcast attribute");
  SimulcastDescription sc;
  bool haveSend = false;
  bool haveRecv = false;
  for (size_t i = 0; i < f.size(); i += 2) {
    bool* seen = nullptr;
    std::vector<SimulcastAlternatives>* list = nullptr;
    if (f[i] == "send") {
      seen = &haveSend;
      list = &sc.send;
    } else if (f[i] == "recv") {
      seen = &haveRecv;
      list = &sc.recv;
    } else {
      return sdpError(0, "bad simulcast direction '" + std::string(f[i]) + "'");
    }
    if (*seen) return sdpError(0, "bad simulcast attribute: direction given twice");
    *seen = true;
    if (!parseStreamList(f[i + 1], *list)) return sdpError(0, "bad simulcast stream list");
  }
  return sc;
}

std::string SimulcastDescription::toString() const {
  std::string out;
  if (!send.empty()) out += "send " + streamListToString(send);
  if (!recv.empty()) {
    if (!out.empty()) out += ' ';
    out += "recv " + streamListToString(recv);
  }
  return out;
}

}  // namespace switchyard::control::sdp
