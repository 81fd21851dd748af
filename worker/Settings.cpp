#include "worker/Settings.hpp"

#include <uv.h>

#include <algorithm>
#include <charconv>
#include <string_view>

namespace switchyard::worker {

namespace {

constexpr std::string_view kVersion = "0.1.0";

// Lowest port a worker may bind for media; below it are privileged ports.
constexpr uint16_t kMinAllowedRtcPort = 1024;

const std::vector<std::string> kLogLevels = {"trace", "debug", "info", "warn", "error", "off"};

// Debug-level logging per area; `worker`, `channel` and `router` always log at the set level.
const std::vector<std::string> kLogTags = {"info", "ice",  "dtls",   "srtp",  "rtp",
                                           "rtcp", "rtx",  "bwe",    "score", "simulcast",
                                           "svc",  "sctp", "message"};

template <typename T>
bool parseNumber(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool isValidIp(const std::string& ip) {
  unsigned char buf[16];
  return uv_inet_pton(AF_INET, ip.c_str(), buf) == 0 ||
         uv_inet_pton(AF_INET6, ip.c_str(), buf) == 0;
}

std::vector<std::string> splitComma(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto part = s.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

bool parseBool(std::string_view s, bool& out) {
  if (s == "true" || s == "1" || s == "yes") {
    out = true;
    return true;
  }
  if (s == "false" || s == "0" || s == "no") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace

bool isValidLogLevel(std::string_view level) {
  return std::find(kLogLevels.begin(), kLogLevels.end(), level) != kLogLevels.end();
}

bool isValidLogTag(std::string_view tag) {
  return std::find(kLogTags.begin(), kLogTags.end(), tag) != kLogTags.end();
}

const std::vector<std::string>& knownLogTags() {
  return kLogTags;
}

std::string usageText() {
  return R"(usage: switchyard-worker [options]
  The orchestrator (switchyard) starts workers; running one by hand is for debugging.

  --worker-id=N            id shown in logs and sent with every log line (default 0)
  --log-level=LEVEL        trace|debug|info|warn|error|off (default info)
  --log-tags=T1,T2         debug areas: info,ice,dtls,srtp,rtp,rtcp,rtx,bwe,score,
                           simulcast,svc,sctp,message
  --log-stderr=BOOL        also log to stderr (default true)
  --rtc-min-port=N         lowest UDP/TCP port for media (default 10000)
  --rtc-max-port=N         highest port for media (default 59999)
  --listen-ip=IP           an IP to listen on for media; repeatable (default 0.0.0.0)
  --udp-receive-batching=BOOL  read UDP in batches with recvmmsg (default true)
  --udp-send-batching=BOOL batch UDP sends per loop round with sendmmsg (default true)
  --udp-gso=BOOL           send runs to one destination as UDP GSO messages (default true)
  --udp-send-batch=N       datagrams held before a send batch goes out early (default 1024)
  --cpu=N                  run only on CPU N (default: wherever the scheduler puts it)
  --channel-fd=N           control channel on one socketpair end (default 3)
  --channel-fds=R,W        control channel on two pipes: read fd, write fd
  --version, --help
Exit codes: 0 clean exit, 1 runtime error, 64 invalid command line.
)";
}

SettingsResult parseSettings(int argc, char* argv[]) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return SettingsInfo{usageText()};
    if (arg == "--version")
      return SettingsInfo{"switchyard-worker " + std::string(kVersion) + "\n"};
    if (!arg.starts_with("--"))
      return SettingsError{"unexpected argument '" + std::string(arg) + "'"};
    auto eq = arg.find('=');
    if (eq == std::string_view::npos) {
      return SettingsError{"option '" + std::string(arg) + "' needs a value (--name=value)"};
    }
    std::string_view name = arg.substr(2, eq - 2);
    std::string value(arg.substr(eq + 1));
    auto bad = [&](std::string_view why) {
      return SettingsError{"invalid --" + std::string(name) + "='" + value +
                           "': " + std::string(why)};
    };
    if (name == "worker-id") {
      if (!parseNumber(value, s.workerId)) return bad("not a number");
    } else if (name == "log-level") {
      if (!isValidLogLevel(value)) return bad("use trace, debug, info, warn, error or off");
      s.logLevel = value;
    } else if (name == "log-tags") {
      s.logTags = splitComma(value);
      for (auto& t : s.logTags) {
        if (!isValidLogTag(t)) return bad("unknown tag '" + t + "'");
      }
    } else if (name == "log-stderr") {
      if (!parseBool(value, s.logToStderr)) return bad("use true or false");
    } else if (name == "rtc-min-port" || name == "rtc-max-port") {
      uint16_t port = 0;
      if (!parseNumber(value, port) || port < kMinAllowedRtcPort) {
        return bad("a port between 1024 and 65535");
      }
      (name == "rtc-min-port" ? s.rtcMinPort : s.rtcMaxPort) = port;
    } else if (name == "udp-receive-batching") {
      if (!parseBool(value, s.udpReceiveBatching)) return bad("use true or false");
    } else if (name == "udp-send-batching") {
      if (!parseBool(value, s.udpSendBatching)) return bad("use true or false");
    } else if (name == "udp-send-batch") {
      if (!parseNumber(value, s.udpSendBatchSlots) || s.udpSendBatchSlots < 1 ||
          s.udpSendBatchSlots > 4096) {
        return bad("a number of datagrams from 1 to 4096");
      }
    } else if (name == "udp-gso") {
      if (!parseBool(value, s.udpGso)) return bad("use true or false");
    } else if (name == "listen-ip") {
      if (!isValidIp(value)) return bad("not an IPv4 or IPv6 address");
      s.listenIps.push_back(value);
    } else if (name == "cpu") {
      if (!parseNumber(value, s.cpu) || s.cpu < 0 || s.cpu > kMaxCpu) {
        return bad("a CPU number from 0 to " + std::to_string(kMaxCpu));
      }
    } else if (name == "channel-fd") {
      int fd = -1;
      if (!parseNumber(value, fd) || fd < 0) return bad("not a file descriptor");
      s.channelReadFd = s.channelWriteFd = fd;
    } else if (name == "channel-fds") {
      auto parts = splitComma(value);
      if (parts.size() != 2 || !parseNumber(parts[0], s.channelReadFd) ||
          !parseNumber(parts[1], s.channelWriteFd) || s.channelReadFd < 0 || s.channelWriteFd < 0) {
        return bad("use READ_FD,WRITE_FD");
      }
    } else {
      return SettingsError{"unknown option '--" + std::string(name) + "'"};
    }
  }
  if (s.rtcMinPort > s.rtcMaxPort) {
    return SettingsError{"--rtc-min-port (" + std::to_string(s.rtcMinPort) +
                         ") is above --rtc-max-port (" + std::to_string(s.rtcMaxPort) + ")"};
  }
  return s;
}

}  // namespace switchyard::worker
