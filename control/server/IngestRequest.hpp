#pragma once
// The body of POST /api/ingest/{stream}: which RTP streams a tool such as ffmpeg or GStreamer
// will send, each to a plain transport of its own, optionally with SRTP. Parsed and checked
// here; what the server does with it is WhipWhepService's.
//
//   {"video": {"codec": "VP8", "payloadType": 96, "ssrc": 1234, "fmtp": "..."},
//    "audio": {"codec": "opus", "payloadType": 111},
//    "srtp": "AES_CM_128_HMAC_SHA1_80", "rtcpMux": false, "idleTimeout": 30}
//
// Every field but one of "video"/"audio" is optional. Without "remote" a transport learns the
// sender's address from its first packet (comedia). RTCP gets a port of its own unless
// "rtcpMux" is true: ffmpeg and GStreamer's rtpbin send RTCP from a second socket, which
// comedia on a muxed port would take for a stranger (or for the peer, if it came first).
// UDP has no connection to lose: "idleTimeout" is how long the server keeps an ingest that
// receives no RTP (seconds, 0: until DELETE; default the server's ingest.idleTimeout).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "control/orchestrator/Types.hpp"

namespace switchyard::control {

struct IngestRemote {
  std::string ip;
  uint16_t port = 0;
  uint16_t rtcpPort = 0;  // without rtcp-mux; 0: port + 1
};

struct IngestTrack {
  MediaKind kind = MediaKind::kVideo;
  std::string codec;  // as the router names it: "VP8", "H264", "opus", ...
  uint8_t payloadType = 0;
  uint32_t clockRate = 0;
  uint16_t channels = 1;
  std::optional<uint32_t> ssrc;        // none: the first stream with the payload type
  std::string fmtp;                    // "key=value;..." as in SDP
  std::optional<std::string> srtpKey;  // the sender's, base64; none: the server makes one
  std::optional<IngestRemote> remote;  // none: comedia
};

// The longest idle timeout a request or the server's configuration may set: a day.
constexpr uint32_t kMaxIngestIdleTimeoutS = 86'400;

struct IngestRequest {
  std::vector<IngestTrack> tracks;  // video first, then audio
  std::optional<SrtpCryptoSuite> srtp;
  bool rtcpMux = false;
  std::optional<uint32_t> idleTimeoutS;  // none: the server's default
};

// The request, or a reason fit for a 400 body.
std::variant<IngestRequest, std::string> parseIngestRequest(std::string_view body);

std::string_view srtpSuiteName(SrtpCryptoSuite suite);
// Master key + salt length of a suite (RFC 3711 section 8.2, RFC 7714 section 12).
size_t srtpMasterLength(SrtpCryptoSuite suite);

}  // namespace switchyard::control
