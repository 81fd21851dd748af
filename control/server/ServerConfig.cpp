#include "control/server/ServerConfig.hpp"

#include <uv.h>

#include <algorithm>
#include <bitset>
#include <charconv>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "control/server/IngestRequest.hpp"

namespace switchyard::control {

namespace {

constexpr const char* kVersion = "0.1.0";
constexpr uint16_t kMinRtcPort = 1024;
constexpr uint32_t kMaxWorkers = 1024;
// The highest CPU number an affinity mask holds (CPU_SETSIZE - 1).
constexpr int kMaxCpu = 1023;
// Development mode binds to loopback only, so the open access it grants stays on this machine.
constexpr const char* kDevHttpHost = "127.0.0.1";
constexpr uint16_t kDevHttpPort = 8080;
constexpr const char* kDevMediaIp = "127.0.0.1";

const char* const kLogLevels[] = {"trace", "debug", "info", "warn", "error", "off"};

bool isLogLevel(const std::string& s) {
  for (const char* l : kLogLevels) {
    if (s == l) return true;
  }
  return false;
}

bool isIp(const std::string& ip) {
  unsigned char buf[16];
  return uv_inet_pton(AF_INET, ip.c_str(), buf) == 0 ||
         uv_inet_pton(AF_INET6, ip.c_str(), buf) == 0;
}

template <typename T>
bool parseNumber(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// "ADDR:PORT", "[v6]:PORT" or ":PORT".
std::optional<std::string> parseHostPort(const std::string& s, std::string& host, uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return "'" + s + "' is not ADDR:PORT";
  std::string h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) h = "0.0.0.0";
  uint16_t p = 0;
  if (!parseNumber(std::string_view(s).substr(colon + 1), p)) {
    return "'" + s + "' has no valid port";
  }
  if (!isIp(h)) return "'" + h + "' is not an IP address";
  host = h;
  port = p;
  return std::nullopt;
}

// "0,2,4-7" as taskset -c takes it: numbers and ranges, comma separated.
std::optional<std::string> parseCpuList(const std::string& s, std::vector<int>& out) {
  out.clear();
  std::string_view rest = s;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const auto dash = item.find('-');
    int first = 0, last = 0;
    if (!parseNumber(item.substr(0, dash), first) ||
        (dash != std::string_view::npos && !parseNumber(item.substr(dash + 1), last))) {
      return "'" + s + "' is not a CPU list like 0,2-3";
    }
    if (dash == std::string_view::npos) last = first;
    if (first > last) return "'" + std::string(item) + "' is a range from high to low";
    if (last > kMaxCpu)
      return "CPU " + std::to_string(last) + " is above " + std::to_string(kMaxCpu);
    // Each CPU may be listed once, so a longer list is wrong however it continues.
    if (out.size() + static_cast<size_t>(last - first + 1) > kMaxCpu + 1) {
      return "more than " + std::to_string(kMaxCpu + 1) + " CPUs";
    }
    for (int cpu = first; cpu <= last; ++cpu)
      out.push_back(cpu);
    if (comma == std::string_view::npos) return std::nullopt;
    rest = rest.substr(comma + 1);
  }
}

std::optional<std::string> parsePortRange(const std::string& s, uint16_t& min, uint16_t& max) {
  auto dash = s.find('-');
  uint16_t a = 0, b = 0;
  if (dash == std::string::npos || !parseNumber(std::string_view(s).substr(0, dash), a) ||
      !parseNumber(std::string_view(s).substr(dash + 1), b)) {
    return "'" + s + "' is not MIN-MAX";
  }
  if (a < kMinRtcPort || a > b) return "'" + s + "' must satisfy 1024 <= MIN <= MAX <= 65535";
  min = a;
  max = b;
  return std::nullopt;
}

void applyDevDefaults(ServerConfig& c) {
  c.dev = true;
  c.httpHost = kDevHttpHost;
  c.httpPort = kDevHttpPort;
  c.listenIps = {kDevMediaIp};
  c.announcedIp.clear();
  c.openLoopbackAccess = true;
  c.apiKeys[kDevApiKey] = kDevApiSecret;
}

// nlohmann's get<uint16_t>() wraps out-of-range numbers silently; ports and counts must not.
template <typename T>
T getUnsigned(const nlohmann::json& j, const char* what) {
  if (!j.is_number_integer())
    throw std::invalid_argument(std::string(what) + " must be an integer");
  if (j.is_number_unsigned() ? j.get<uint64_t>() > std::numeric_limits<T>::max()
                             : (j.get<int64_t>() < 0 || static_cast<uint64_t>(j.get<int64_t>()) >
                                                            std::numeric_limits<T>::max())) {
    throw std::invalid_argument(std::string(what) + " is out of range (0-" +
                                std::to_string(std::numeric_limits<T>::max()) + ")");
  }
  return static_cast<T>(j.get<uint64_t>());
}

}  // namespace

std::optional<std::string> applyConfigJson(ServerConfig& c, const std::string& text) {
  using nlohmann::json;
  json j;
  try {
    // Comments are allowed so the sample file can explain itself.
    j = json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    // parse_error for bad syntax, out_of_range for numbers too big for any type.
    return std::string("not valid JSON: ") + e.what();
  }
  if (!j.is_object()) return "the top level must be an object";
  try {
    static const char* const kTopKeys[] = {"http", "workers", "rtc", "ingest",
                                           "log",  "auth",    "dev"};
    for (auto& [key, value] : j.items()) {
      bool known = false;
      for (const char* k : kTopKeys)
        known = known || key == k;
      if (!known) return "unknown key '" + key + "'";
      (void)value;
    }
    if (j.contains("dev") && j["dev"].get<bool>()) applyDevDefaults(c);
    if (auto it = j.find("http"); it != j.end()) {
      if (it->contains("listen")) {
        if (auto e = parseHostPort((*it)["listen"].get<std::string>(), c.httpHost, c.httpPort)) {
          return "http.listen: " + *e;
        }
      }
    }
    if (auto it = j.find("workers"); it != j.end()) {
      if (it->contains("count")) c.workers = getUnsigned<uint32_t>((*it)["count"], "workers.count");
      if (it->contains("cpus")) {
        const auto& cpus = (*it)["cpus"];
        if (!cpus.is_array()) return "workers.cpus: a list of CPU numbers";
        c.workerCpus.clear();
        for (const auto& cpu : cpus)
          c.workerCpus.push_back(getUnsigned<uint16_t>(cpu, "workers.cpus"));
      }
      if (it->contains("binary")) c.workerBinary = (*it)["binary"].get<std::string>();
      if (it->contains("logLevel")) c.workerLogLevel = (*it)["logLevel"].get<std::string>();
      if (it->contains("logTags")) {
        c.workerLogTags = (*it)["logTags"].get<std::vector<std::string>>();
      }
    }
    if (auto it = j.find("rtc"); it != j.end()) {
      if (it->contains("minPort"))
        c.rtcMinPort = getUnsigned<uint16_t>((*it)["minPort"], "rtc.minPort");
      if (it->contains("maxPort"))
        c.rtcMaxPort = getUnsigned<uint16_t>((*it)["maxPort"], "rtc.maxPort");
      if (it->contains("listenIps")) {
        c.listenIps = (*it)["listenIps"].get<std::vector<std::string>>();
      }
      if (it->contains("sharedPort")) {
        if (!(*it)["sharedPort"].is_boolean()) return "rtc.sharedPort: true or false";
        c.rtcSharedPort = (*it)["sharedPort"].get<bool>();
      }
      if (it->contains("announcedIp") && !(*it)["announcedIp"].is_null()) {
        c.announcedIp = (*it)["announcedIp"].get<std::string>();
      }
      if (it->contains("iceServers")) {
        c.iceServers.clear();
        for (const auto& s : (*it)["iceServers"]) {
          IceServerConfig ice;
          if (s.at("urls").is_string()) {
            ice.urls.push_back(s.at("urls").get<std::string>());
          } else {
            ice.urls = s.at("urls").get<std::vector<std::string>>();
          }
          if (s.contains("username")) ice.username = s["username"].get<std::string>();
          if (s.contains("credential")) ice.credential = s["credential"].get<std::string>();
          c.iceServers.push_back(std::move(ice));
        }
      }
    }
    if (auto it = j.find("ingest"); it != j.end() && it->contains("idleTimeout")) {
      c.ingestIdleTimeoutS = getUnsigned<uint32_t>((*it)["idleTimeout"], "ingest.idleTimeout");
    }
    if (auto it = j.find("log"); it != j.end() && it->contains("level")) {
      c.logLevel = (*it)["level"].get<std::string>();
    }
    if (auto it = j.find("auth"); it != j.end() && it->contains("keys")) {
      for (auto& [k, v] : (*it)["keys"].items())
        c.apiKeys[k] = v.get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    return std::string("a value has the wrong type: ") + e.what();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return std::nullopt;
}

std::vector<std::string> iceServerLinks(const std::vector<IceServerConfig>& servers) {
  // Quoted-string values: escape backslash and quote (RFC 8288 section 3 / RFC 7230 3.2.6).
  auto quote = [](const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') out.push_back('\\');
      out.push_back(ch);
    }
    return out + "\"";
  };
  std::vector<std::string> links;
  for (const auto& server : servers) {
    for (const auto& url : server.urls) {
      std::string link = "<" + url + ">; rel=\"ice-server\"";
      if (!server.username.empty()) {
        link += "; username=" + quote(server.username) +
                "; credential=" + quote(server.credential) + "; credential-type=\"password\"";
      }
      links.push_back(std::move(link));
    }
  }
  return links;
}

namespace {

std::optional<std::string> validate(const ServerConfig& c) {
  if (c.workers > kMaxWorkers) return "workers: at most " + std::to_string(kMaxWorkers);
  if (c.workerCpus.size() > static_cast<size_t>(kMaxCpu) + 1) {
    return "workers.cpus: more than " + std::to_string(kMaxCpu + 1) + " CPUs";
  }
  std::bitset<kMaxCpu + 1> seen;
  for (const int cpu : c.workerCpus) {
    if (cpu < 0 || cpu > kMaxCpu) {
      return "workers.cpus: CPU " + std::to_string(cpu) + " is above " + std::to_string(kMaxCpu);
    }
    if (seen.test(static_cast<size_t>(cpu))) {
      return "workers.cpus: CPU " + std::to_string(cpu) + " is listed twice";
    }
    seen.set(static_cast<size_t>(cpu));
  }
  if (c.rtcMinPort < kMinRtcPort || c.rtcMinPort > c.rtcMaxPort) {
    return "rtc ports: need 1024 <= min (" + std::to_string(c.rtcMinPort) + ") <= max (" +
           std::to_string(c.rtcMaxPort) + ")";
  }
  if (c.listenIps.empty()) return "rtc.listenIps: at least one IP";
  for (const auto& s : c.iceServers) {
    if (s.urls.empty()) return "rtc.iceServers: every entry needs urls";
    for (const auto& url : s.urls) {
      const bool scheme = url.rfind("stun:", 0) == 0 || url.rfind("stuns:", 0) == 0 ||
                          url.rfind("turn:", 0) == 0 || url.rfind("turns:", 0) == 0;
      // '<' and '>' would end the Link target; whitespace and controls are never valid.
      const bool clean = std::none_of(url.begin(), url.end(), [](char ch) {
        return ch == '<' || ch == '>' || static_cast<unsigned char>(ch) <= ' ';
      });
      if (!scheme || !clean) return "rtc.iceServers: '" + url + "' is not a stun: or turn: URL";
    }
    const bool turn = std::any_of(s.urls.begin(), s.urls.end(),
                                  [](const std::string& u) { return u.rfind("turn", 0) == 0; });
    if (turn && (s.username.empty() || s.credential.empty())) {
      return "rtc.iceServers: TURN servers need a username and a credential";
    }
  }
  for (const auto& ip : c.listenIps) {
    if (!isIp(ip)) return "rtc.listenIps: '" + ip + "' is not an IP address";
  }
  if (!c.announcedIp.empty() && !isIp(c.announcedIp)) {
    return "rtc.announcedIp: '" + c.announcedIp + "' is not an IP address";
  }
  if (c.ingestIdleTimeoutS > kMaxIngestIdleTimeoutS) {
    return "ingest.idleTimeout: at most " + std::to_string(kMaxIngestIdleTimeoutS) + " s";
  }
  if (!isLogLevel(c.logLevel)) return "log.level: '" + c.logLevel + "' is not a log level";
  if (!isLogLevel(c.workerLogLevel)) {
    return "workers.logLevel: '" + c.workerLogLevel + "' is not a log level";
  }
  for (const auto& [k, v] : c.apiKeys) {
    if (k.empty() || v.size() < 16) return "auth.keys: key '" + k + "' needs a secret of 16+ chars";
  }
  return std::nullopt;
}

}  // namespace

std::string serverUsageText() {
  return R"(usage: switchyard [options]
  --dev                    development mode: HTTP on 127.0.0.1:8080, media on 127.0.0.1,
                           a printed development key, no token needed from loopback
  --config FILE            JSON config file (see deploy/switchyard.sample.json)
  --http-listen ADDR:PORT  HTTP address (default 0.0.0.0:8080)
  --workers N              worker processes (default: one per core, or per --worker-cpus CPU)
  --worker-cpus LIST       pin worker i to the i-th CPU of LIST, e.g. 2-5 or 0,2 (default:
                           not pinned)
  --rtc-ports MIN-MAX      UDP/TCP port range for media (default 40000-49999)
  --listen-ip IP           IP to receive media on (default 0.0.0.0)
  --rtc-shared-port on|off WebRTC on one UDP port per worker and IP (default on); off: a
                           port per transport from the range
  --announced-ip IP        IP to announce to clients (NAT, cloud); default the listen IP
  --ingest-idle-timeout S  end an RTP ingest after S seconds without RTP (default 30; 0: never)
  --log-level LEVEL        trace|debug|info|warn|error|off (default info)
  --worker-bin PATH        switchyard-worker to run (default: beside this executable)
  --version, --help
Flags override the config file. Exit codes: 0 clean, 1 runtime error, 64 invalid usage.
)";
}

ConfigResult parseServerCommandLine(int argc, char* argv[]) {
  ServerConfig c;
  std::vector<std::pair<std::string, std::string>> flags;
  std::string configPath;
  bool dev = false;
  static const char* const kValueFlags[] = {
      "--config",     "--http-listen",         "--workers",         "--rtc-ports",
      "--listen-ip",  "--announced-ip",        "--rtc-shared-port", "--log-level",
      "--worker-bin", "--ingest-idle-timeout", "--worker-cpus"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return ConfigInfo{serverUsageText()};
    if (arg == "--version") return ConfigInfo{std::string("switchyard ") + kVersion + "\n"};
    if (arg == "--dev") {
      dev = true;
      continue;
    }
    std::string name = arg, value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      bool takesValue = false;
      for (const char* f : kValueFlags)
        takesValue = takesValue || name == f;
      if (!takesValue) return ConfigError{"unknown option '" + arg + "'"};
      if (i + 1 >= argc) return ConfigError{"option '" + arg + "' needs a value"};
      value = argv[++i];
    }
    bool known = false;
    for (const char* f : kValueFlags)
      known = known || name == f;
    if (!known) return ConfigError{"unknown option '" + name + "'"};
    if (name == "--config") {
      configPath = value;
    } else {
      flags.emplace_back(name, value);
    }
  }
  if (dev) applyDevDefaults(c);
  if (!configPath.empty()) {
    std::ifstream in(configPath);
    if (!in) return ConfigError{"cannot read config file '" + configPath + "'"};
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto e = applyConfigJson(c, ss.str())) return ConfigError{configPath + ": " + *e};
    c.configPath = configPath;
  }
  bool listenIpFlagSeen = false;
  for (const auto& [name, value] : flags) {
    if (name == "--http-listen") {
      if (auto e = parseHostPort(value, c.httpHost, c.httpPort))
        return ConfigError{name + ": " + *e};
    } else if (name == "--workers") {
      if (!parseNumber(value, c.workers) || c.workers == 0) {
        return ConfigError{"--workers: '" + value + "' is not a positive number"};
      }
    } else if (name == "--worker-cpus") {
      if (auto e = parseCpuList(value, c.workerCpus)) return ConfigError{name + ": " + *e};
    } else if (name == "--rtc-ports") {
      if (auto e = parsePortRange(value, c.rtcMinPort, c.rtcMaxPort))
        return ConfigError{name + ": " + *e};
    } else if (name == "--listen-ip") {
      if (!listenIpFlagSeen) c.listenIps.clear();
      listenIpFlagSeen = true;
      c.listenIps.push_back(value);
    } else if (name == "--announced-ip") {
      c.announcedIp = value;
    } else if (name == "--rtc-shared-port") {
      if (value != "on" && value != "off") return ConfigError{name + ": on or off"};
      c.rtcSharedPort = value == "on";
    } else if (name == "--ingest-idle-timeout") {
      if (!parseNumber(value, c.ingestIdleTimeoutS)) {
        return ConfigError{name + ": '" + value + "' is not a number of seconds"};
      }
    } else if (name == "--log-level") {
      c.logLevel = value;
    } else if (name == "--worker-bin") {
      c.workerBinary = value;
    }
  }
  if (auto e = validate(c)) return ConfigError{*e};
  return c;
}

}  // namespace switchyard::control
