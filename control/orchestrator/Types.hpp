#pragma once
// Plain values the orchestrator API hands out, copied out of flatbuffers responses.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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

struct WorkerDump {
  uint32_t workerId = 0;
  uint32_t pid = 0;
  std::vector<std::string> routerIds;
  ChannelStats channel;
  std::string logLevel;
  std::vector<std::string> logTags;
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
