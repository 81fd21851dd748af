#pragma once
// The server's configuration: defaults, a JSON config file, and command-line flags on top.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace switchyard::control {

// A STUN or TURN server the clients are told about (RFC 9725 section 4.4 Link headers).
struct IceServerConfig {
  std::vector<std::string> urls;  // "stun:stun.example.net", "turn:turn.example.net?transport=udp"
  std::string username;           // TURN only
  std::string credential;
};

struct ServerConfig {
  std::string httpHost = "0.0.0.0";
  uint16_t httpPort = 8080;
  uint32_t workers = 0;  // 0: one per core, or one per CPU in workerCpus
  // Worker i is pinned to workerCpus[i % size]; empty: workers are not pinned.
  std::vector<int> workerCpus;
  std::string workerBinary;  // empty: beside the switchyard executable
  std::string workerLogLevel = "warn";
  std::vector<std::string> workerLogTags;
  uint16_t rtcMinPort = 40000;
  uint16_t rtcMaxPort = 49999;
  std::vector<std::string> listenIps = {"0.0.0.0"};
  // WebRTC transports on one shared UDP port per worker and listen IP (UdpMux), not a port
  // each from the range. The range still serves ingest and the shared ports themselves.
  bool rtcSharedPort = true;
  std::string announcedIp;  // empty: announce the listen IP
  // How long an RTP ingest may receive nothing before the server ends it (0: never); a
  // request's "idleTimeout" overrides it.
  uint32_t ingestIdleTimeoutS = 30;
  std::vector<IceServerConfig> iceServers;
  std::string logLevel = "info";
  std::map<std::string, std::string> apiKeys;  // key -> secret, for signing access tokens
  // Publishing and viewing without a token, from loopback clients only. Set by --dev.
  bool openLoopbackAccess = false;
  bool dev = false;
  std::string configPath;  // where the file came from, if any
};

struct ConfigError {
  std::string message;
};
struct ConfigInfo {  // --help / --version
  std::string text;
};
using ConfigResult = std::variant<ServerConfig, ConfigError, ConfigInfo>;

// Parses the command line; loads --config FILE first, then applies the flags over it.
ConfigResult parseServerCommandLine(int argc, char* argv[]);
// Applies one JSON document (the config file's text) over `config`.
std::optional<std::string> applyConfigJson(ServerConfig& config, const std::string& text);

std::string serverUsageText();

// One Link header value per URL (RFC 8288 syntax, rel="ice-server", RFC 9725 section 4.4).
std::vector<std::string> iceServerLinks(const std::vector<IceServerConfig>& servers);

// The key and secret printed in development mode.
constexpr const char* kDevApiKey = "devkey";
constexpr const char* kDevApiSecret = "switchyard-dev-secret-do-not-use-in-production";

}  // namespace switchyard::control
