#pragma once
// RTP stream identifiers and simulcast in SDP: a=rid (RFC 8851 section 10) and a=simulcast
// (RFC 8853 section 5.1). Both parse the attribute value (the text after "a=rid:" or
// "a=simulcast:") and write it back.
//   a=rid:q send                         a=rid:h send pt=96;max-width=640
//   a=simulcast:send q;h;f               a=simulcast:recv 1,~2;3

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "control/sdp/FmtpParameters.hpp"
#include "control/sdp/SdpResult.hpp"

namespace switchyard::control::sdp {

// An RtpStreamId travels in an SDES item (RFC 8852), whose length is one byte.
inline constexpr size_t kMaxRidLength = 255;
inline constexpr size_t kMaxRidRestrictions = 32;
inline constexpr size_t kMaxSimulcastStreams = 16;  // per direction, alternatives included

enum class RidDirection : uint8_t { kSend, kRecv };

const char* ridDirectionName(RidDirection d);

// rid-id = 1*(alpha-numeric / "-" / "_")
bool isValidRid(std::string_view id);

struct RidDescription {
  std::string id;
  RidDirection direction = RidDirection::kSend;
  std::vector<std::string> payloadTypes;  // pt=... (empty: any negotiated format)
  FmtpParameters restrictions;            // max-width=..., max-fps=..., depend=..., ...

  static SdpResult<RidDescription> parse(std::string_view value);
  std::string toString() const;

  bool operator==(const RidDescription&) const = default;
};

struct SimulcastStream {
  std::string rid;
  bool paused = false;  // "~" prefix

  bool operator==(const SimulcastStream&) const = default;
};

// One simulcast stream: a rid, or alternatives for it ("1,2" = either 1 or 2).
using SimulcastAlternatives = std::vector<SimulcastStream>;

struct SimulcastDescription {
  std::vector<SimulcastAlternatives> send;
  std::vector<SimulcastAlternatives> recv;

  static SdpResult<SimulcastDescription> parse(std::string_view value);
  std::string toString() const;

  bool operator==(const SimulcastDescription&) const = default;
};

}  // namespace switchyard::control::sdp
