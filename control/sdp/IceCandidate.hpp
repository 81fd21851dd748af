#pragma once
// One ICE candidate as SDP writes it: the value of a=candidate (RFC 8839 section 5.1), e.g.
//   2739599690 1 udp 2122260223 127.0.0.1 53017 typ host generation 0 network-id 1
// The same grammar serves offers, answers and trickle-ICE fragments (RFC 8840).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/sdp/SdpResult.hpp"

namespace switchyard::control::sdp {

struct IceCandidate {
  // RFC 8839 section 5.1 bounds.
  static constexpr size_t kMaxFoundationLength = 32;
  static constexpr uint32_t kMaxComponentId = 256;
  static constexpr size_t kMaxExtensions = 16;

  std::string foundation;
  uint16_t component = 1;  // 1 = RTP (the only one with rtcp-mux)
  std::string transport;   // "udp", "tcp", or another token; compare case-insensitively
  uint32_t priority = 0;
  std::string address;  // IP address or FQDN (mDNS ".local" names included)
  uint16_t port = 0;
  std::string type;                           // "host", "srflx", "prflx", "relay" or another token
  std::optional<std::string> relatedAddress;  // raddr
  std::optional<uint16_t> relatedPort;        // rport
  // Extension attributes in order (tcptype, generation, ufrag, network-id, ...).
  std::vector<std::pair<std::string, std::string>> extensions;

  // value is the text after "a=candidate:". Errors carry no line number (line 0).
  static SdpResult<IceCandidate> parse(std::string_view value);
  // The text after "a=candidate:".
  std::string toString() const;

  std::optional<std::string_view> extension(std::string_view name) const;
  bool isUdp() const;

  bool operator==(const IceCandidate&) const = default;
};

// RFC 8839 section 5.4: ice-ufrag = 4*256ice-char, ice-pwd = 22*256ice-char,
// ice-char = ALPHA / DIGIT / "+" / "/".
inline constexpr size_t kMinIceUfragLength = 4;
inline constexpr size_t kMinIcePwdLength = 22;
inline constexpr size_t kMaxIceCredentialLength = 256;
bool isValidIceUfrag(std::string_view ufrag);
bool isValidIcePwd(std::string_view pwd);

}  // namespace switchyard::control::sdp
