#pragma once
// The real switchyard server as a child process, and a minimal blocking HTTP client for it.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace switchyard::test {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

inline std::string toLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct HttpResult {
  int status = 0;
  std::string body;
  HttpHeaders headers;  // as received, names lower-cased, values without surrounding spaces

  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const {
    const std::string lower = toLower(name);
    for (const auto& [n, v] : headers) {
      if (n == lower) return v;
    }
    return std::nullopt;
  }
};

// One request. Content-Length is sent when there is a body, and always for POST, PUT and PATCH.
struct HttpCall {
  std::string method = "GET";
  std::string path = "/";
  std::string body;     // any bytes
  HttpHeaders headers;  // sent as given, after Host and Connection
  int timeoutMs = 3000;
};

// One HTTP/1.1 request with Connection: close; nullopt if nothing (or no HTTP) answered in time.
inline std::optional<HttpResult> httpCall(uint16_t port, const HttpCall& call) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return std::nullopt;
  }
  std::string req =
      call.method + " " + call.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : call.headers)
    req += name + ": " + value + "\r\n";
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT" ||
      call.method == "PATCH") {
    req += "Content-Length: " + std::to_string(call.body.size()) + "\r\n";
  }
  req += "\r\n" + call.body;
  size_t written = 0;
  while (written < req.size()) {
    // MSG_NOSIGNAL: the server may answer (413) and close before reading everything.
    ssize_t n = send(fd, req.data() + written, req.size() - written, MSG_NOSIGNAL);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  std::string response;
  std::optional<size_t> expectedSize;  // header block + declared body
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(call.timeoutMs);
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, left) <= 0) break;
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
    // Stop once the declared body has arrived (the server may keep the connection open).
    auto headerEnd = response.find("\r\n\r\n");
    if (!expectedSize && headerEnd != std::string::npos) {
      const std::string head = toLower(std::string_view(response).substr(0, headerEnd));
      auto cl = head.find("\r\ncontent-length:");
      if (cl != std::string::npos) {
        expectedSize = headerEnd + 4 + std::stoul(head.substr(cl + 17));
      }
    }
    if (expectedSize && response.size() >= *expectedSize) break;
  }
  close(fd);
  if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0) return std::nullopt;
  HttpResult r;
  r.status = std::stoi(response.substr(9, 3));
  auto headerEnd = response.find("\r\n\r\n");
  if (headerEnd == std::string::npos) return r;
  r.body = response.substr(headerEnd + 4);
  std::istringstream head(response.substr(0, headerEnd));
  std::string line;
  std::getline(head, line);  // status line
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    while (!value.empty() && value.back() == ' ')
      value.pop_back();
    r.headers.emplace_back(toLower(line.substr(0, colon)), std::move(value));
  }
  return r;
}

inline std::optional<HttpResult> httpRequest(uint16_t port, const std::string& method,
                                             const std::string& path, const std::string& body = "",
                                             int timeoutMs = 3000) {
  return httpCall(port, HttpCall{method, path, body, {}, timeoutMs});
}

// A free TCP port on loopback (bound then released; good enough for tests on one machine).
inline uint16_t freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

inline bool processGone(int pid) {
  if (kill(pid, 0) != 0) return true;
  // A zombie no one has reaped yet is gone for our purposes: it runs nothing.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  return close == std::string::npos || (close + 2 < s.size() && s[close + 2] == 'Z');
}

inline std::string readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline int& tempFileCounter() {
  static int n = 0;
  return n;
}

// A unique path under /tmp for this test process: "/tmp/switchyard-test-PID-N<suffix>".
inline std::string tempPath(const std::string& suffix) {
  return "/tmp/switchyard-test-" + std::to_string(getpid()) + "-" +
         std::to_string(tempFileCounter()++) + suffix;
}

struct CommandResult {
  int exitCode = -1;  // -1: did not exit normally (or not in time: then it was killed)
  std::string out;    // stdout
  std::string err;    // stderr
};

// Runs `switchyard ARGS...` (e.g. the `token` subcommand) to completion.
inline CommandResult runSwitchyard(std::vector<std::string> args, int timeoutMs = 5000) {
  const std::string outPath = tempPath(".out"), errPath = tempPath(".err");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  args.insert(args.begin(), std::string(SWITCHYARD_BIN_DIR) + "/switchyard");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  CommandResult r;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) != pid) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (WIFEXITED(status)) r.exitCode = WEXITSTATUS(status);
  }
  posix_spawn_file_actions_destroy(&fa);
  r.out = readWholeFile(outPath);
  r.err = readWholeFile(errPath);
  unlink(outPath.c_str());
  unlink(errPath.c_str());
  return r;
}

class ServerProcess {
 public:
  // `configText`, when not empty, is written to a file of its own and passed as `--config FILE`
  // before `args` (flags override the file); the file goes with the process.
  explicit ServerProcess(std::vector<std::string> args, const std::string& configText = "") {
    logPath_ = tempPath(".log");
    if (!configText.empty()) {
      configPath_ = tempPath(".json");
      std::ofstream(configPath_) << configText;
      args.insert(args.begin(), {"--config", configPath_});
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, logPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<std::string> all = {std::string(SWITCHYARD_BIN_DIR) + "/switchyard"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    unlink(logPath_.c_str());
    if (!configPath_.empty()) unlink(configPath_.c_str());
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& configPath() const { return configPath_; }
  std::string output() const { return readWholeFile(logPath_); }
  bool waitHealthy(uint16_t port, int timeoutMs = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = httpRequest(port, "GET", "/healthz", "", 500);
      if (r && r->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Whether the process still runs (without reaping it).
  bool running() const { return !exited_ && !processGone(pid_); }
  std::optional<int> waitExit(int timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string logPath_;
  std::string configPath_;
};

}  // namespace switchyard::test
