#include "control/sdp/IceCandidate.hpp"

#include <limits>

#include "control/sdp/SdpLineReader.hpp"

namespace switchyard::control::sdp {

namespace {

using sdp_text::parseUnsigned;

constexpr unsigned long long kMaxPriority = std::numeric_limits<uint32_t>::max();
constexpr unsigned long long kMaxPort = 65535;
constexpr size_t kMaxComponentDigits = 3;
constexpr size_t kMaxPriorityDigits = 10;

// RFC 8839 section 5.1: ice-char = ALPHA / DIGIT / "+" / "/".
bool isIceChars(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

// connection-address: an IP address or a host name; checked loosely (printable, no spaces),
// since the worker only uses it as given.
bool isAddress(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
      return false;
    }
  }
  return true;
}

bool isVchars(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
      return false;
    }
  }
  return true;
}

}  // namespace

SdpResult<IceCandidate> IceCandidate::parse(std::string_view value) {
  const auto f = sdp_text::splitSpaces(value);
  // foundation component transport priority address port "typ" type
  if (f.size() < 8) return sdpError(0, "bad candidate: fewer than 8 fields");
  IceCandidate c;
  if (f[0].empty() || f[0].size() > kMaxFoundationLength || !isIceChars(f[0])) {
    return sdpError(0, "bad candidate foundation");
  }
  c.foundation = std::string(f[0]);
  unsigned long long n = 0;
  if (f[1].size() > kMaxComponentDigits || !parseUnsigned(f[1], kMaxComponentId, n) || n == 0) {
    return sdpError(0, "bad candidate component id");
  }
  c.component = static_cast<uint16_t>(n);
  if (!sdp_text::isToken(f[2])) return sdpError(0, "bad candidate transport");
  c.transport = std::string(f[2]);
  if (f[3].size() > kMaxPriorityDigits || !parseUnsigned(f[3], kMaxPriority, n)) {
    return sdpError(0, "bad candidate priority");
  }
  c.priority = static_cast<uint32_t>(n);
  if (!isAddress(f[4])) return sdpError(0, "bad candidate address");
  c.address = std::string(f[4]);
  if (!parseUnsigned(f[5], kMaxPort, n)) return sdpError(0, "bad candidate port");
  c.port = static_cast<uint16_t>(n);
  if (f[6] != "typ") return sdpError(0, "bad candidate: expected 'typ'");
  if (!sdp_text::isToken(f[7])) return sdpError(0, "bad candidate type");
  c.type = std::string(f[7]);
  size_t i = 8;
  if (i + 1 < f.size() && f[i] == "raddr") {
    if (!isAddress(f[i + 1])) return sdpError(0, "bad candidate raddr");
    c.relatedAddress = std::string(f[i + 1]);
    i += 2;
  }
  if (i + 1 < f.size() && f[i] == "rport") {
    if (!parseUnsigned(f[i + 1], kMaxPort, n)) return sdpError(0, "bad candidate rport");
    c.relatedPort = static_cast<uint16_t>(n);
    i += 2;
  }
  if ((f.size() - i) % 2 != 0) return sdpError(0, "bad candidate: extension without a value");
  for (; i < f.size(); i += 2) {
    if (!sdp_text::isToken(f[i]) || !isVchars(f[i + 1])) {
      return sdpError(0, "bad candidate extension");
    }
    if (c.extensions.size() >= kMaxExtensions) {
      return sdpError(0, "bad candidate: too many extensions");
    }
    c.extensions.emplace_back(std::string(f[i]), std::string(f[i + 1]));
  }
  return c;
}

std::string IceCandidate::toString() const {
  std::string out = foundation + " " + std::to_string(component) + " " + transport + " " +
                    std::to_string(priority) + " " + address + " " + std::to_string(port) +
                    " typ " + type;
  if (relatedAddress) out += " raddr " + *relatedAddress;
  if (relatedPort) out += " rport " + std::to_string(*relatedPort);
  for (const auto& [name, value] : extensions)
    out += " " + name + " " + value;
  return out;
}

std::optional<std::string_view> IceCandidate::extension(std::string_view name) const {
  for (const auto& [n, v] : extensions) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

bool isValidIceUfrag(std::string_view ufrag) {
  return ufrag.size() >= kMinIceUfragLength && ufrag.size() <= kMaxIceCredentialLength &&
         isIceChars(ufrag);
}

bool isValidIcePwd(std::string_view pwd) {
  return pwd.size() >= kMinIcePwdLength && pwd.size() <= kMaxIceCredentialLength && isIceChars(pwd);
}

bool IceCandidate::isUdp() const {
  return sdp_text::equalsIgnoreCase(transport, "udp");
}

}  // namespace switchyard::control::sdp
