#pragma once
// The worker's settings, all from its command line, validated before the loop starts.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace switchyard::worker {

// Exit codes (sysexits.h values where one fits) so a supervisor can tell a bad command line
// from a crash.
constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitUsage = 64;  // EX_USAGE

constexpr uint16_t kDefaultRtcMinPort = 10000;
constexpr uint16_t kDefaultRtcMaxPort = 59999;
constexpr int kDefaultChannelFd = 3;
// --cpu takes a CPU number the kernel's affinity mask can hold (CPU_SETSIZE).
constexpr int kMaxCpu = 1023;

struct Settings {
  uint32_t workerId = 0;
  std::string logLevel = "info";
  std::vector<std::string> logTags;
  bool logToStderr = true;
  uint16_t rtcMinPort = kDefaultRtcMinPort;
  uint16_t rtcMaxPort = kDefaultRtcMaxPort;
  std::vector<std::string> listenIps;  // empty: 0.0.0.0
  // UDP reads batched (recvmmsg into a shared arena), sends batched per loop round
  // (sendmmsg), and runs to one destination sent as one GSO message; off only to measure what
  // they bring.
  bool udpReceiveBatching = true;
  bool udpSendBatching = true;
  bool udpGso = true;
  uint32_t udpSendBatchSlots = 1024;  // transport::UdpSendBatcher::kDefaultSlots
  // >= 0: the worker pins itself to this CPU before its loop starts (CpuPinning.hpp).
  int cpu = -1;
  int channelReadFd = kDefaultChannelFd;
  int channelWriteFd = kDefaultChannelFd;  // same as read: one socketpair end
};

struct SettingsError {
  std::string message;
};
// What parsing asked for besides running: help or version text to print, exit 0.
struct SettingsInfo {
  std::string text;
};

using SettingsResult = std::variant<Settings, SettingsError, SettingsInfo>;

SettingsResult parseSettings(int argc, char* argv[]);

// Log levels and tags the worker knows; shared by parsing and the update-settings request.
bool isValidLogLevel(std::string_view level);
bool isValidLogTag(std::string_view tag);
const std::vector<std::string>& knownLogTags();

std::string usageText();

}  // namespace switchyard::worker
