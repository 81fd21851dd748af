#pragma once
// An SDP session description (RFC 8866): the line grammar, with session-level and media-level
// parts kept apart. Parsing checks the grammar of every line this layer owns (v, o, s, c, b, t,
// m) and keeps the rest as text, so that serialize() writes back every attribute, known or not,
// in its order. What the attributes mean for WebRTC is WebRtcSessionDescription's business.
//
// Accepted: CRLF or bare LF line ends, blank lines (skipped), a missing final line end.
// Written: CRLF line ends, fields in RFC 8866 section 5 order.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/sdp/SdpResult.hpp"

namespace switchyard::control::sdp {

// Limits on untrusted input. A Chromium offer with every codec is about 7 KiB and 200 lines.
inline constexpr size_t kMaxSdpBytes = 64 * 1024;
inline constexpr size_t kMaxSdpLines = 4096;
inline constexpr size_t kMaxSdpLineLength = 4096;
inline constexpr size_t kMaxMediaSections = 64;
inline constexpr size_t kMaxAttributesPerLevel = 1024;  // session level, and each m-section
inline constexpr size_t kMaxFormatsPerMedia = 128;      // one per RTP payload type

// a=<name>[:<value>] (RFC 8866 section 5.13). A property attribute has no value.
struct SdpAttribute {
  std::string name;
  std::optional<std::string> value;
  size_t line = 0;  // input line number; 0 when built in code

  bool operator==(const SdpAttribute& o) const { return name == o.name && value == o.value; }
};

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (section 5.2)
struct SdpOrigin {
  std::string username = "-";
  std::string sessionId = "0";
  std::string sessionVersion = "0";
  std::string netType = "IN";
  std::string addrType = "IP4";
  std::string address = "0.0.0.0";

  bool operator==(const SdpOrigin&) const = default;
};

// c=<nettype> <addrtype> <connection-address> (section 5.7)
struct SdpConnection {
  std::string netType = "IN";
  std::string addrType = "IP4";
  std::string address = "0.0.0.0";

  bool operator==(const SdpConnection&) const = default;
};

// b=<bwtype>:<bandwidth> (section 5.8)
struct SdpBandwidth {
  std::string type;
  uint64_t value = 0;

  bool operator==(const SdpBandwidth&) const = default;
};

// t=<start-time> <stop-time> and its r= lines (sections 5.9, 5.10).
struct SdpTiming {
  std::string start = "0";
  std::string stop = "0";
  std::vector<std::string> repeats;

  bool operator==(const SdpTiming&) const = default;
};

// m=<media> <port>[/<number of ports>] <proto> <fmt> ... and the lines under it (section 5.14).
struct SdpMediaSection {
  std::string media;
  uint16_t port = 0;
  std::optional<uint32_t> portCount;
  std::string proto;
  std::vector<std::string> formats;
  std::optional<std::string> title;  // i=
  std::vector<SdpConnection> connections;
  std::vector<SdpBandwidth> bandwidths;
  std::optional<std::string> key;  // k= (obsolete, kept)
  std::vector<SdpAttribute> attributes;
  size_t line = 0;  // line number of the m= line

  const SdpAttribute* findAttribute(std::string_view attributeName) const;
  std::vector<const SdpAttribute*> findAttributes(std::string_view attributeName) const;
  bool hasAttribute(std::string_view attributeName) const {
    return findAttribute(attributeName) != nullptr;
  }

  bool operator==(const SdpMediaSection& o) const;
};

struct SessionDescription {
  SdpOrigin origin;
  std::string sessionName = "-";    // s=
  std::optional<std::string> info;  // i=
  std::optional<std::string> uri;   // u=
  std::vector<std::string> emails;  // e=
  std::vector<std::string> phones;  // p=
  std::optional<SdpConnection> connection;
  std::vector<SdpBandwidth> bandwidths;
  std::vector<SdpTiming> timings{SdpTiming{}};
  std::optional<std::string> zone;  // z=
  std::optional<std::string> key;   // k=
  std::vector<SdpAttribute> attributes;
  std::vector<SdpMediaSection> media;

  static SdpResult<SessionDescription> parse(std::string_view text);
  std::string serialize() const;

  const SdpAttribute* findAttribute(std::string_view attributeName) const;
  std::vector<const SdpAttribute*> findAttributes(std::string_view attributeName) const;
  bool hasAttribute(std::string_view attributeName) const {
    return findAttribute(attributeName) != nullptr;
  }

  bool operator==(const SessionDescription& o) const;
};

// Splits "name:value" / "name" (the text after "a=") into an attribute; false when the name is
// not an RFC 8866 token.
bool parseSdpAttribute(std::string_view text, size_t line, SdpAttribute& out);

}  // namespace switchyard::control::sdp
