#pragma once
// A real switchyard-worker process on a socketpair, driven with blocking I/O: lets tests write
// arbitrary bytes (corrupt frames, wrong bodies) that the orchestrator library never would.

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "control/channel/FrameDecoder.hpp"
#include "control/channel/MessageBuilder.hpp"
#include "control/channel/MessageVerifier.hpp"

extern char** environ;

namespace switchyard::test {

inline std::string workerBinary() {
  return std::string(SWITCHYARD_BIN_DIR) + "/switchyard-worker";
}

class RawWorker {
 public:
  explicit RawWorker(std::vector<std::string> extraArgs = {}) {
    int fds[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
    fd_ = fds[0];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 3);
    std::vector<std::string> args = {workerBinary(), "--log-stderr=false", "--log-level=debug"};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
  }
  ~RawWorker() {
    if (fd_ >= 0) close(fd_);
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  int fd() const { return fd_; }

  void writeBytes(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w <= 0) return;
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  void writeFrame(const flatbuffers::FlatBufferBuilder& finished) {
    auto span = finished.GetBufferSpan();
    writeBytes(span.data(), span.size());
  }
  void sendRequest(uint32_t id, fbs::request::Method method, std::string_view handler = "") {
    flatbuffers::FlatBufferBuilder b;
    control::finishRequest(b, id, method, handler, fbs::request::Body::NONE, 0);
    writeFrame(b);
  }

  // The next frame of the given body type (others, e.g. logs, are skipped), copied out.
  std::optional<std::vector<uint8_t>> next(fbs::message::Body type, int timeoutMs = 3000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
      while (!frames_.empty()) {
        auto frame = std::move(frames_.front());
        frames_.erase(frames_.begin());
        const auto* m = control::verifyMessage(frame);
        if (m && m->body_type() == type) return frame;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return std::nullopt;
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left)) <= 0) return std::nullopt;
      uint8_t buf[65536];
      ssize_t n = ::read(fd_, buf, sizeof(buf));
      if (n <= 0) return std::nullopt;
      decoder_.feed({buf, static_cast<size_t>(n)},
                    [&](std::span<const uint8_t> f) { frames_.emplace_back(f.begin(), f.end()); });
    }
  }
  std::optional<std::vector<uint8_t>> nextResponse(int timeoutMs = 3000) {
    return next(fbs::message::Body::Response, timeoutMs);
  }
  static const fbs::response::Response* asResponse(const std::vector<uint8_t>& frame) {
    return control::verifyMessage(frame)->body_as_Response();
  }

  // Waits for the process to exit; returns its wait status, or nullopt on time-out.
  std::optional<int> waitExit(int timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return status;
      }
      usleep(5000);
    }
    return std::nullopt;
  }
  void closeChannel() {
    close(fd_);
    fd_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  control::FrameDecoder decoder_;
  std::vector<std::vector<uint8_t>> frames_;
};

}  // namespace switchyard::test
