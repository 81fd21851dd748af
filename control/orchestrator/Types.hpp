#pragma once
// Plain values the orchestrator API hands out, copied out of flatbuffers responses.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control/channel/RtpParameters.hpp"

namespace switchyard::control {

enum class MediaKind : uint8_t { kAudio, kVideo };

struct CodecCapability {
  MediaKind kind = MediaKind::kAudio;
  std::string mimeType;  // "audio/opus", "video/VP8"
  uint8_t preferredPayloadType = 0;
  uint32_t clockRate = 0;
  uint8_t channels = 1;
  std::vector<std::pair<std::string, std::string>> parameters;
};

struct ChannelStats {
  uint64_t messagesIn = 0;
  uint64_t messagesOut = 0;
  uint64_t bytesIn = 0;
  uint64_t bytesOut = 0;
  uint64_t droppedInvalid = 0;
  uint64_t droppedOversize = 0;
  uint64_t errorResponses = 0;
  uint64_t logsDropped = 0;
  uint64_t writeQueueBytes = 0;
};

// A worker's shared UDP port (ListenIp::shared) and its counters.
struct SharedPortStats {
  std::string ip;
  uint16_t port = 0;
  uint32_t tuples = 0;
  uint32_t iceUfrags = 0;
  uint64_t datagramsReceived = 0;
  uint64_t bytesReceived = 0;
  uint64_t datagramsSent = 0;
  uint64_t bytesSent = 0;
  uint64_t routedByTuple = 0;
  uint64_t routedByUfrag = 0;
  uint64_t droppedUnknownTuple = 0;
  uint64_t droppedUnknownUfrag = 0;
  uint64_t droppedMalformedStun = 0;
  uint64_t sendFailures = 0;
};

struct WorkerDump {
  uint32_t workerId = 0;
  uint32_t pid = 0;
  std::vector<std::string> routerIds;
  ChannelStats channel;
  std::string logLevel;
  std::vector<std::string> logTags;
  std::vector<SharedPortStats> sharedPorts;
};

struct ResourceUsage {
  uint64_t userCpuUs = 0;
  uint64_t systemCpuUs = 0;
  uint64_t maxRssKb = 0;
  uint64_t minorFaults = 0;
  uint64_t majorFaults = 0;
  uint64_t voluntaryContextSwitches = 0;
  uint64_t involuntaryContextSwitches = 0;
  uint64_t rssBytes = 0;
  uint64_t uptimeMs = 0;
};

struct RouterOptions {
  std::string id;  // empty: the orchestrator picks a unique one
  std::vector<CodecCapability> mediaCodecs;
};

struct RouterDump {
  std::string id;
  std::vector<CodecCapability> mediaCodecs;
  std::vector<std::string> transportIds;
  std::vector<std::string> producerIds;
  std::vector<std::string> consumerIds;
};

// ---- WebRTC transports, producers and consumers ----

struct ListenIp {
  std::string ip;
  std::string announcedAddress;  // empty: announce ip
  // Use the worker's shared port for ip (one UDP socket for all the transports that ask)
  // instead of a port of the transport's own. Plain transports: needs rtcp-mux, no comedia.
  bool shared = false;
};

struct IceCandidateInfo {
  std::string foundation;
  uint32_t priority = 0;
  std::string address;
  uint16_t port = 0;
};

struct DtlsFingerprintInfo {
  std::string algorithm;  // "sha-256"
  std::string value;      // "AB:CD:..."
};

enum class DtlsRole : uint8_t { kAuto, kClient, kServer };

struct WebRtcTransportInfo {
  std::string id;
  std::string iceUsernameFragment;
  std::string icePassword;
  std::vector<IceCandidateInfo> candidates;
  std::vector<DtlsFingerprintInfo> fingerprints;
  std::string iceState;
  std::string dtlsState;
};

// Plain RTP transports (ffmpeg, GStreamer, benchmarks).
enum class SrtpCryptoSuite : uint8_t { kAesCm128HmacSha1_80, kAeadAes128Gcm };

struct SrtpKeyInfo {
  SrtpCryptoSuite cryptoSuite = SrtpCryptoSuite::kAesCm128HmacSha1_80;
  std::string keyBase64;  // master key and salt
};

struct PlainTransportOptions {
  ListenIp listen;
  uint16_t port = 0;      // 0: from the worker's RTC port range
  bool rtcpMux = true;    // false: RTCP on a port of its own
  uint16_t rtcpPort = 0;  // without rtcp-mux; 0: from the range
  bool comedia = false;   // learn the peer's address from its first packet
  std::optional<SrtpCryptoSuite> srtp;
};

struct TupleInfo {
  std::string localAddress;  // the announced address
  uint16_t localPort = 0;
  std::string remoteIp;  // empty until known
  uint16_t remotePort = 0;
};

struct PlainTransportInfo {
  std::string id;
  TupleInfo tuple;
  std::optional<TupleInfo> rtcpTuple;  // without rtcp-mux
  bool comedia = false;
  std::optional<SrtpKeyInfo> srtp;  // ours: what the peer decrypts with
};

struct PlainConnectOptions {
  std::string ip;  // empty with comedia: learned
  uint16_t port = 0;
  uint16_t rtcpPort = 0;            // without rtcp-mux; 0: port + 1
  std::optional<SrtpKeyInfo> srtp;  // the peer's key, with SRTP
};

struct ProduceOptions {
  std::string id;  // empty: a new unique id
  MediaKind kind = MediaKind::kAudio;
  RtpParameters rtpParameters;
  bool paused = false;
};

struct ConsumeOptions {
  std::string id;  // empty: a new unique id
  std::string producerId;
  RtpParameters rtpParameters;  // the viewer's; encodings[0].ssrc is what the consumer sends
  bool paused = false;
};

struct TransportStats {
  uint64_t bytesReceived = 0;
  uint64_t bytesSent = 0;
  uint64_t packetsReceived = 0;
  uint64_t packetsSent = 0;
  uint64_t packetsDropped = 0;
  std::string iceState;
  std::string dtlsState;
  uint64_t droppedUnknownKind = 0;
  uint64_t droppedStun = 0;
  uint64_t droppedUnknownTuple = 0;
  uint64_t droppedNotConnected = 0;
  uint64_t droppedSrtpAuth = 0;
  uint64_t droppedSrtpReplay = 0;
  uint64_t droppedSrtpOther = 0;
  uint64_t droppedMalformedRtp = 0;
  uint64_t droppedUnknownSsrc = 0;
  uint64_t sendFailures = 0;
  uint64_t rtpReceived = 0;
  uint64_t rtcpReceived = 0;
  uint64_t rtpSent = 0;
  uint64_t rtcpSent = 0;
};

struct RtpStreamStats {
  uint32_t ssrc = 0;
  std::string mimeType;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  int32_t packetsLost = 0;
  uint32_t jitter = 0;
  uint32_t nackCount = 0;
  uint32_t pliCount = 0;
  uint32_t firCount = 0;
};

struct WorkerExit {
  int64_t exitStatus = 0;
  int termSignal = 0;
  std::string describe() const;
};

struct LogLine {
  uint32_t workerId = 0;
  int level = 0;  // fbs::log::LogLevel
  std::string tag;
  std::string text;
};

}  // namespace switchyard::control
