// switchyard-bench channel: requests per second and round-trip latency of the control channel,
// measured three ways side by side against an echo process that does nothing but write back:
//   echo reference      - the floor: socketpair, two processes, no work per request;
//   worker, raw client  - a real switchyard-worker, driven by a minimal blocking client;
//   worker, library     - the same worker driven by the orchestrator library (control::Worker).
// Each at 1 process and at N in parallel, with W requests in flight per process.

#include "bench/ChannelBench.hpp"

#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "control/channel/FrameDecoder.hpp"
#include "control/channel/MessageBuilder.hpp"
#include "control/channel/MessageVerifier.hpp"
#include "control/orchestrator/Worker.hpp"

extern char** environ;

namespace switchyard::bench {

namespace {

namespace fbs = switchyard::fbs;
using Clock = std::chrono::steady_clock;

// Long enough for a stable median at tens of thousands of requests per second; twelve rows
// then take about half a minute.
constexpr double kDefaultSecondsPerRow = 2.0;
constexpr double kMaxSecondsPerRow = 600.0;
// The start of each row (page faults, cold caches, the first allocations) is not measured.
constexpr double kWarmupFraction = 0.05;
// Without --window: 1 request in flight (pure round-trip latency) and 16 (throughput).
constexpr unsigned kDefaultWindows[] = {1, 16};
constexpr unsigned kMaxWindow = 4096;
constexpr unsigned kMaxProcesses = 256;
// Quiet workers: log lines would be extra frames on the channel the clients have to skip.
constexpr const char* kWorkerLogLevel = "warn";
constexpr const char* kRawWorkerArgs[] = {"--log-stderr=false", "--log-level=warn"};
constexpr const char* kEchoChildSubcommand = "echo-child";
// A peer silent this long is stuck: the row fails instead of hanging the run.
constexpr int kStallTimeoutMs = 5000;
// How long a child gets to exit once its channel is closed, before it is killed.
constexpr int kChildExitWaitMs = 2000;
constexpr int kChildExitPollUs = 1000;
// Latency samples reserved per client per second of run, so recording allocates nothing while
// measuring; above the fastest rate seen on this project's machines (echo, window 16).
constexpr size_t kSamplesReservedPerSecond = 1'000'000;
// Echo replies are read in chunks this big; a window of 16 requests is well under 1 KiB.
constexpr size_t kEchoReadBytes = 64 * 1024;
constexpr double kP50 = 0.50;
constexpr double kP99 = 0.99;
constexpr double kP999 = 0.999;
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kUsage =
    "usage: switchyard-bench channel [--workers N] [--seconds S] [--window W] [--json FILE]\n"
    "                                [--pin]\n"
    "\n"
    "Control-channel round trips (WORKER_DUMP requests), side by side:\n"
    "  echo reference      an echo child process on a socketpair (the floor)\n"
    "  worker, raw client  switchyard-worker driven by a blocking client\n"
    "  worker, library     switchyard-worker driven by the orchestrator library\n"
    "each with 1 process and with N in parallel.\n"
    "\n"
    "  --workers N   parallel processes for the parallel rows (default: number of cores)\n"
    "  --seconds S   seconds per row, the first 5% of them warm-up (default 2)\n"
    "  --window W    requests in flight per process (default: rows with 1 and with 16)\n"
    "  --json FILE   also write the results as JSON\n"
    "  --pin         run each client and its child on one CPU (pair i on the i-th allowed CPU)\n"
    "\n"
    "The worker is $SWITCHYARD_WORKER_BIN, else switchyard-worker beside this program.\n";

struct Options {
  bool pin = false;
  unsigned processes = 0;
  double seconds = kDefaultSecondsPerRow;
  std::vector<unsigned> windows;
  std::string jsonPath;
};

// The measured part of a row: from the end of the warm-up to the end.
struct Phase {
  Clock::time_point measureStart;
  Clock::time_point end;

  static Phase startingNow(double seconds) {
    auto start = Clock::now();
    auto total =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    auto warmup = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(seconds * kWarmupFraction));
    return {start + warmup, start + total};
  }
  // For handshakes: nothing is recorded and nothing is sent after the first answer.
  static Phase never() { return {Clock::time_point::max(), Clock::time_point::min()}; }
  double measuredSeconds() const {
    return std::chrono::duration<double>(end - measureStart).count();
  }
};

// One client's results. Only requests completed inside the measured phase count, except for
// the CPU figures, which cover the whole run (warm-up and drain too) and its request count.
struct Samples {
  uint64_t completed = 0;
  uint64_t errors = 0;
  std::vector<uint32_t> latencyNs;
  uint64_t runRequests = 0;  // completed over the whole run
  uint64_t clientCpuUs = 0;  // CPU time of the client thread over the whole run
  std::string failure;       // set when the client stopped early

  void reserveFor(double seconds) {
    latencyNs.reserve(static_cast<size_t>(seconds * kSamplesReservedPerSecond));
  }
  void record(Clock::time_point sent, Clock::time_point done, const Phase& phase) {
    ++runRequests;
    if (done < phase.measureStart || done >= phase.end) return;
    ++completed;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(done - sent).count();
    latencyNs.push_back(
        static_cast<uint32_t>(std::min<int64_t>(ns, std::numeric_limits<uint32_t>::max())));
  }
  void recordError(Clock::time_point done, const Phase& phase) {
    if (done >= phase.measureStart && done < phase.end) ++errors;
  }
};

struct Row {
  std::string key;   // "echo", "raw", "library"
  std::string name;  // as in the table
  unsigned processes = 1;
  unsigned window = 1;
  double measuredSeconds = 0;
  uint64_t completed = 0;
  uint64_t errors = 0;
  double rate = 0;
  double p50Us = NAN;
  double p99Us = NAN;
  double p999Us = NAN;
  double maxUs = NAN;
  double ratioToEcho = NAN;
  double p50OverEchoUs = NAN;
  // CPU time per request of the client side and of the child side (echo child or worker):
  // what each request costs, apart from the time spent waiting for a wake-up.
  double clientCpuUsPerRequest = NAN;
  double childCpuUsPerRequest = NAN;
  std::string failure;
};

Row makeRow(std::string key, std::string name, unsigned processes, unsigned window) {
  Row row;
  row.key = std::move(key);
  row.name = std::move(name);
  row.processes = processes;
  row.window = window;
  return row;
}

// With --pin, each client shares one CPU with its child (pair i on the i-th CPU this process
// may use): a round trip is then two context switches on one core, not wake-ups across cores,
// whose cost depends on where the scheduler puts things and, in a VM, on the hypervisor.
class Pinning {
 public:
  explicit Pinning(bool enabled) {
    sched_getaffinity(0, sizeof(original_), &original_);
    if (!enabled) return;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &original_)) cpus_.push_back(cpu);
    }
  }
  bool enabled() const { return !cpus_.empty(); }
  // The main thread of process `pid`; threads it starts later inherit the mask.
  void pinProcess(pid_t pid, size_t slot) const {
    if (enabled()) setAffinity(pid, slot);
  }
  void pinThisThread(size_t slot) const {
    if (enabled()) setAffinity(0, slot);
  }
  void restoreThisThread() const {
    if (enabled()) sched_setaffinity(0, sizeof(original_), &original_);
  }

 private:
  void setAffinity(pid_t pid, size_t slot) const {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpus_[slot % cpus_.size()], &set);
    if (sched_setaffinity(pid, sizeof(set), &set) != 0) {
      std::fprintf(stderr, "warning: cannot pin %d: %s\n", pid, std::strerror(errno));
    }
  }
  cpu_set_t original_;
  std::vector<int> cpus_;
};

// ---- processes and blocking I/O ----------------------------------------------------------

uint64_t toUs(const timeval& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1000000 + static_cast<uint64_t>(t.tv_usec);
}

// User + system CPU time of the calling thread.
uint64_t threadCpuUs() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return toUs(ru.ru_utime) + toUs(ru.ru_stime);
}

bool writeAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// > 0: bytes read; otherwise a description of why nothing came.
ssize_t readSome(int fd, uint8_t* p, size_t n, std::string& error) {
  for (;;) {
    ssize_t r = ::read(fd, p, n);
    if (r > 0) return r;
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      error = "the peer closed the channel";
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      error = "no answer within " + std::to_string(kStallTimeoutMs) + " ms";
    } else {
      error = std::string("read failed: ") + std::strerror(errno);
    }
    return -1;
  }
}

// A child process holding the other end of a socketpair as kChildChannelFd.
class Child {
 public:
  static std::unique_ptr<Child> spawn(const std::vector<std::string>& args, std::string& error) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      error = std::string("socketpair: ") + std::strerror(errno);
      return nullptr;
    }
    // Blocking reads that time out, so a stuck child cannot hang the benchmark; no extra
    // syscall per read as poll() would cost.
    timeval tv{kStallTimeoutMs / 1000, (kStallTimeoutMs % 1000) * 1000};
    setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], kChildChannelFd);
    std::vector<std::string> argStorage = args;
    std::vector<char*> argv;
    for (auto& a : argStorage)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    int err = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (err != 0) {
      ::close(fds[0]);
      error = "cannot start " + args[0] + ": " + std::strerror(err);
      return nullptr;
    }
    return std::unique_ptr<Child>(new Child(pid, fds[0], args[0]));
  }

  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  int fd() const { return fd_; }
  pid_t pid() const { return pid_; }
  // User + system CPU time of the child over its life; valid after stop().
  uint64_t cpuUs() const { return cpuUs_; }

  // Closes the channel (the child's cue to exit) and reaps it; kills it if it lingers.
  void stop() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (pid_ <= 0) return;
    int status = 0;
    for (int waited = 0; waited < kChildExitWaitMs * 1000; waited += kChildExitPollUs) {
      rusage ru{};
      if (wait4(pid_, &status, WNOHANG, &ru) == pid_) {
        cpuUs_ = toUs(ru.ru_utime) + toUs(ru.ru_stime);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          std::fprintf(stderr, "warning: %s (pid %d) ended with wait status %d\n", name_.c_str(),
                       pid_, status);
        }
        pid_ = -1;
        return;
      }
      usleep(kChildExitPollUs);
    }
    std::fprintf(stderr, "warning: %s (pid %d) did not exit %d ms after EOF; killed\n",
                 name_.c_str(), pid_, kChildExitWaitMs);
    ::kill(pid_, SIGKILL);
    rusage ru{};
    wait4(pid_, nullptr, 0, &ru);
    cpuUs_ = toUs(ru.ru_utime) + toUs(ru.ru_stime);
    pid_ = -1;
  }

 private:
  Child(pid_t pid, int fd, std::string name) : pid_(pid), fd_(fd), name_(std::move(name)) {}
  pid_t pid_;
  int fd_;
  std::string name_;
  uint64_t cpuUs_ = 0;
};

std::string selfExecutable() {
  char path[4096];
  size_t size = sizeof(path);
  if (uv_exepath(path, &size) != 0) return "/proc/self/exe";
  return std::string(path, size);
}

// The bytes of one WORKER_DUMP request frame, as the raw client sends them.
std::vector<uint8_t> dumpRequestFrame() {
  flatbuffers::FlatBufferBuilder b;
  control::finishRequest(b, 1, fbs::request::Method::WORKER_DUMP, "", fbs::request::Body::NONE, 0);
  auto span = b.GetBufferSpan();
  return {span.begin(), span.end()};
}

// ---- clients -----------------------------------------------------------------------------

// Sends the bytes of a request frame and counts a round trip each time as many bytes came back.
class EchoClient {
 public:
  EchoClient(int fd, std::vector<uint8_t> frame, unsigned window)
      : fd_(fd),
        frame_(std::move(frame)),
        window_(window),
        sent_(window),
        buffer_(new uint8_t[kEchoReadBytes]) {}

  void run(const Phase& phase, Samples& out) {
    uint64_t cpuAtStart = threadCpuUs();
    runLoop(phase, out);
    out.clientCpuUs += threadCpuUs() - cpuAtStart;
  }
  // Requests sent over the client's life, handshake included.
  uint64_t sentTotal() const { return sentTotal_; }

 private:
  void runLoop(const Phase& phase, Samples& out) {
    size_t head = 0;        // oldest request in flight; replies come back in order
    size_t inFlight = 0;    // requests sent, reply not yet complete
    size_t replyBytes = 0;  // bytes read towards the oldest reply
    auto send = [&] {
      sent_[(head + inFlight) % window_] = Clock::now();
      if (!writeAll(fd_, frame_.data(), frame_.size())) return false;
      ++inFlight;
      ++sentTotal_;
      return true;
    };
    for (unsigned i = 0; i < window_; ++i) {
      if (!send()) return fail(out, "write failed");
    }
    std::string error;
    while (inFlight > 0) {
      ssize_t n = readSome(fd_, buffer_.get(), kEchoReadBytes, error);
      if (n < 0) return fail(out, error);
      replyBytes += static_cast<size_t>(n);
      while (replyBytes >= frame_.size() && inFlight > 0) {
        replyBytes -= frame_.size();
        auto now = Clock::now();
        out.record(sent_[head], now, phase);
        head = (head + 1) % window_;
        --inFlight;
        if (now < phase.end && !send()) return fail(out, "write failed");
      }
    }
  }

  static void fail(Samples& out, std::string why) { out.failure = "echo child: " + why; }

  int fd_;
  std::vector<uint8_t> frame_;
  unsigned window_;
  std::vector<Clock::time_point> sent_;  // ring of send times, one per request in flight
  std::unique_ptr<uint8_t[]> buffer_;
  uint64_t sentTotal_ = 0;
};

// Sends WORKER_DUMP requests with fresh ids and matches Responses by id; other frames (the
// running notification, log lines) are skipped.
class RawWorkerClient {
 public:
  RawWorkerClient(int fd, unsigned window)
      : fd_(fd),
        window_(window),
        slots_(std::bit_ceil(2 * window)),
        mask_(static_cast<uint32_t>(slots_.size() - 1)),
        onFrame_([this](std::span<const uint8_t> frame) { handleFrame(frame); }) {}

  void run(const Phase& phase, Samples& out) {
    uint64_t cpuAtStart = threadCpuUs();
    phase_ = &phase;
    out_ = &out;
    for (unsigned i = 0; i < window_ && out.failure.empty(); ++i)
      send();
    std::string error;
    while (inFlight_ > 0 && out.failure.empty()) {
      auto space = decoder_.writableSpace();
      ssize_t n = readSome(fd_, space.data(), space.size(), error);
      if (n < 0) {
        out.failure = "worker: " + error;
        break;
      }
      decoder_.commit(static_cast<size_t>(n), onFrame_);
    }
    phase_ = nullptr;
    out_ = nullptr;
    out.clientCpuUs += threadCpuUs() - cpuAtStart;
  }

  // Requests sent over the client's life, handshake included.
  uint64_t sentTotal() const { return nextId_ - 1; }

  // Skipped frames (not a Response, not in flight, not a valid Message), for the report.
  uint64_t skippedFrames() const { return skipped_; }

 private:
  struct Slot {
    uint32_t id = 0;  // 0: free
    Clock::time_point sent;
  };

  void send() {
    uint32_t id = nextId_++;
    if (nextId_ == 0) nextId_ = 1;
    Slot& slot = slots_[id & mask_];
    if (slot.id != 0) {
      out_->failure = "worker: responses came back out of order by more than " +
                      std::to_string(slots_.size()) + " requests";
      return;
    }
    builder_.Clear();
    control::finishRequest(builder_, id, fbs::request::Method::WORKER_DUMP, "",
                           fbs::request::Body::NONE, 0);
    auto frame = builder_.GetBufferSpan();
    slot.id = id;
    slot.sent = Clock::now();
    if (!writeAll(fd_, frame.data(), frame.size())) {
      slot.id = 0;
      out_->failure = "worker: write failed";
      return;
    }
    ++inFlight_;
  }

  void handleFrame(std::span<const uint8_t> frame) {
    const auto* message = control::verifyMessage(frame);
    const auto* response = message ? message->body_as_Response() : nullptr;
    Slot* slot = response ? &slots_[response->id() & mask_] : nullptr;
    if (!slot || slot->id != response->id() || response->id() == 0) {
      ++skipped_;
      return;
    }
    auto now = Clock::now();
    slot->id = 0;
    --inFlight_;
    if (response->error()) {
      out_->recordError(now, *phase_);
    } else {
      out_->record(slot->sent, now, *phase_);
    }
    if (now < phase_->end && out_->failure.empty()) send();
  }

  int fd_;
  unsigned window_;
  // Requests in flight by id; sized well above the window so in-order answers never collide.
  std::vector<Slot> slots_;
  uint32_t mask_;
  uint32_t nextId_ = 1;
  unsigned inFlight_ = 0;
  uint64_t skipped_ = 0;
  flatbuffers::FlatBufferBuilder builder_;  // reused: Clear() keeps its buffer
  control::FrameDecoder decoder_;
  const control::FrameDecoder::FrameHandler onFrame_;  // built once, not per read
  const Phase* phase_ = nullptr;
  Samples* out_ = nullptr;
};

// Runs one client per process: on this thread for one, one thread each for several.
template <typename Client>
void runClients(std::vector<std::unique_ptr<Client>>& clients, const Phase& phase,
                std::vector<Samples>& samples, const Pinning& pinning) {
  if (clients.size() == 1) {
    pinning.pinThisThread(0);
    clients[0]->run(phase, samples[0]);
    pinning.restoreThisThread();
    return;
  }
  std::vector<std::thread> threads;
  threads.reserve(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    threads.emplace_back([&, i] {
      pinning.pinThisThread(i);
      clients[i]->run(phase, samples[i]);
    });
  }
  for (auto& t : threads)
    t.join();
}

// ---- statistics --------------------------------------------------------------------------

double percentileUs(std::vector<uint32_t>& ns, double p) {
  if (ns.empty()) return NAN;
  // Nearest rank: the smallest sample with at least p of all samples at or below it.
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(ns.size())));
  size_t k = std::clamp<size_t>(rank, 1, ns.size()) - 1;
  std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
  return ns[k] / 1000.0;
}

void summarize(std::vector<Samples>& samples, const Phase& phase, Row& row) {
  std::vector<uint32_t> all = std::move(samples[0].latencyNs);
  for (size_t i = 0; i < samples.size(); ++i) {
    row.completed += samples[i].completed;
    row.errors += samples[i].errors;
    if (row.failure.empty()) row.failure = samples[i].failure;
    if (i > 0) all.insert(all.end(), samples[i].latencyNs.begin(), samples[i].latencyNs.end());
  }
  uint64_t runRequests = 0, clientCpuUs = 0;
  for (const auto& s : samples) {
    runRequests += s.runRequests;
    clientCpuUs += s.clientCpuUs;
  }
  if (runRequests > 0) row.clientCpuUsPerRequest = static_cast<double>(clientCpuUs) / runRequests;
  row.measuredSeconds = phase.measuredSeconds();
  row.rate = static_cast<double>(row.completed) / row.measuredSeconds;
  if (all.empty()) return;
  row.maxUs = *std::max_element(all.begin(), all.end()) / 1000.0;
  row.p50Us = percentileUs(all, kP50);
  row.p99Us = percentileUs(all, kP99);
  row.p999Us = percentileUs(all, kP999);
}

// ---- the rows ----------------------------------------------------------------------------

// Ends the children and charges their CPU time to the requests their clients sent.
template <typename Client>
void stopChildren(std::vector<std::unique_ptr<Child>>& children,
                  const std::vector<std::unique_ptr<Client>>& clients, Row& row) {
  uint64_t cpuUs = 0, requests = 0;
  for (size_t i = 0; i < children.size(); ++i) {
    children[i]->stop();
    cpuUs += children[i]->cpuUs();
    requests += clients[i]->sentTotal();
  }
  if (requests > 0) row.childCpuUsPerRequest = static_cast<double>(cpuUs) / requests;
}

Row runEchoRow(unsigned processes, unsigned window, double seconds, const Pinning& pinning) {
  Row row = makeRow("echo", "echo reference", processes, window);
  std::vector<std::unique_ptr<Child>> children;
  std::vector<std::unique_ptr<EchoClient>> clients;
  auto frame = dumpRequestFrame();
  for (unsigned i = 0; i < processes; ++i) {
    auto child = Child::spawn({selfExecutable(), kEchoChildSubcommand}, row.failure);
    if (!child) return row;
    pinning.pinProcess(child->pid(), i);
    clients.push_back(std::make_unique<EchoClient>(child->fd(), frame, window));
    children.push_back(std::move(child));
  }
  // One round trip each first, so every child is up before the clock starts.
  for (auto& c : clients) {
    Samples handshake;
    c->run(Phase::never(), handshake);
    if (!handshake.failure.empty()) {
      row.failure = handshake.failure;
      return row;
    }
  }
  std::vector<Samples> samples(processes);
  for (auto& s : samples)
    s.reserveFor(seconds);
  Phase phase = Phase::startingNow(seconds);
  runClients(clients, phase, samples, pinning);
  stopChildren(children, clients, row);
  summarize(samples, phase, row);
  return row;
}

Row runRawRow(const std::string& workerBinary, unsigned processes, unsigned window, double seconds,
              const Pinning& pinning) {
  Row row = makeRow("raw", "worker, raw client", processes, window);
  std::vector<std::unique_ptr<Child>> children;
  std::vector<std::unique_ptr<RawWorkerClient>> clients;
  std::vector<std::string> args = {workerBinary};
  args.insert(args.end(), std::begin(kRawWorkerArgs), std::end(kRawWorkerArgs));
  for (unsigned i = 0; i < processes; ++i) {
    auto child = Child::spawn(args, row.failure);
    if (!child) return row;
    pinning.pinProcess(child->pid(), i);
    clients.push_back(std::make_unique<RawWorkerClient>(child->fd(), window));
    children.push_back(std::move(child));
  }
  for (auto& c : clients) {
    Samples handshake;
    c->run(Phase::never(), handshake);
    if (!handshake.failure.empty()) {
      row.failure = handshake.failure;
      return row;
    }
  }
  std::vector<Samples> samples(processes);
  for (auto& s : samples)
    s.reserveFor(seconds);
  Phase phase = Phase::startingNow(seconds);
  runClients(clients, phase, samples, pinning);
  uint64_t skipped = 0;
  for (auto& c : clients)
    skipped += c->skippedFrames();
  // The running notification is expected; anything beyond one frame per worker is worth a look.
  if (skipped > processes) {
    std::fprintf(stderr, "note: raw client skipped %llu frames from %u worker(s)\n",
                 static_cast<unsigned long long>(skipped), processes);
  }
  stopChildren(children, clients, row);
  summarize(samples, phase, row);
  return row;
}

// Runs the loop until `done` or `timeoutMs`; a one-shot timer bounds the wait without waking
// the loop periodically while measuring.
bool runLoopUntil(uv_loop_t* loop, const std::function<bool()>& done, uint64_t timeoutMs) {
  uv_timer_t guard;
  bool expired = false;
  uv_timer_init(loop, &guard);
  guard.data = &expired;
  uv_update_time(loop);
  uv_timer_start(
      &guard, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, timeoutMs, 0);
  while (!done() && !expired)
    uv_run(loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return done();
}

// All workers on one loop on this thread, as the orchestrator runs them.
Row runLibraryRow(const std::string& workerBinary, unsigned processes, unsigned window,
                  double seconds, const Pinning& pinning) {
  Row row = makeRow("library", "worker, orchestrator library", processes, window);
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<Samples> samples(1);
  samples[0].reserveFor(seconds * processes);
  Phase phase = Phase::never();
  {
    std::vector<std::shared_ptr<control::Worker>> workers;
    for (unsigned i = 0; i < processes && row.failure.empty(); ++i) {
      control::WorkerOptions o;
      o.binary = workerBinary;
      o.id = i + 1;
      o.logLevel = kWorkerLogLevel;
      auto w = control::Worker::spawn(&loop, std::move(o));
      if (!w) {
        row.failure = w.error().describe();
      } else {
        pinning.pinProcess(w.value()->pid(), i);
        workers.push_back(w.value());
      }
    }
    Samples& out = samples[0];
    unsigned inFlight = 0;
    std::function<void(size_t)> issue = [&](size_t i) {
      ++inFlight;
      auto sent = Clock::now();
      workers[i]->dump([&, i, sent](control::Result<control::WorkerDump> r) {
        auto now = Clock::now();
        --inFlight;
        if (!r.ok()) {
          out.recordError(now, phase);
          if (out.failure.empty()) out.failure = r.error().describe();
          return;  // not re-sent: a dead channel fails synchronously and would recurse
        }
        out.record(sent, now, phase);
        if (now < phase.end) issue(i);
      });
    };
    if (row.failure.empty()) {
      // One round trip each first, so every worker is up before the clock starts.
      for (size_t i = 0; i < workers.size(); ++i)
        issue(i);
      if (!runLoopUntil(
              &loop, [&] { return inFlight == 0; }, kStallTimeoutMs)) {
        out.failure = "the workers did not answer a first request";
      }
      if (!out.failure.empty()) row.failure = out.failure;
    }
    if (row.failure.empty()) {
      // One worker: the loop thread and it are a pair like the others. Several: the one loop
      // thread serves them all, has no partner CPU, and is left to the scheduler as the
      // orchestrator's would be.
      if (processes == 1) pinning.pinThisThread(0);
      phase = Phase::startingNow(seconds);
      for (size_t i = 0; i < workers.size(); ++i) {
        for (unsigned k = 0; k < window; ++k)
          issue(i);
      }
      auto limitMs = static_cast<uint64_t>(seconds * 1000) + kStallTimeoutMs;
      uint64_t cpuAtStart = threadCpuUs();
      bool drained = runLoopUntil(
          &loop, [&] { return inFlight == 0; }, limitMs);
      out.clientCpuUs = threadCpuUs() - cpuAtStart;
      pinning.restoreThisThread();
      if (!drained && out.failure.empty()) out.failure = "requests still in flight after the run";
      // The workers' CPU time over their lives, charged to every request they were sent.
      uint64_t workerCpuUs = 0, requests = 0;
      unsigned answered = 0;
      for (auto& w : workers) {
        w->getResourceUsage([&](control::Result<control::ResourceUsage> r) {
          ++answered;
          if (r.ok()) workerCpuUs += r.value().userCpuUs + r.value().systemCpuUs;
        });
      }
      if (runLoopUntil(
              &loop, [&] { return answered == workers.size(); }, kStallTimeoutMs)) {
        for (auto& w : workers)
          requests += w->requestCount();
        if (requests > 0) row.childCpuUsPerRequest = static_cast<double>(workerCpuUs) / requests;
      }
    }
    unsigned exited = 0;
    for (auto& w : workers) {
      w->setExitHandler([&exited, id = w->id()](const control::WorkerExit& e) {
        ++exited;
        if (e.exitStatus != 0 || e.termSignal != 0) {
          std::fprintf(stderr, "warning: worker %u %s\n", id, e.describe().c_str());
        }
      });
      w->close();
    }
    if (!runLoopUntil(
            &loop, [&] { return exited == workers.size(); }, kChildExitWaitMs)) {
      std::fprintf(stderr, "warning: workers did not exit %d ms after WORKER_CLOSE; killed\n",
                   kChildExitWaitMs);
      for (auto& w : workers)
        w->kill(SIGKILL);
      runLoopUntil(
          &loop, [&] { return exited == workers.size(); }, kChildExitWaitMs);
    }
  }
  // The workers are gone; their handles close on the next turns of the loop.
  auto drainDeadline = Clock::now() + std::chrono::milliseconds(kChildExitWaitMs);
  while (uv_loop_alive(&loop) && Clock::now() < drainDeadline)
    uv_run(&loop, UV_RUN_ONCE);
  if (uv_loop_close(&loop) != 0) std::fprintf(stderr, "warning: libuv handles left open\n");
  if (!row.failure.empty()) return row;
  summarize(samples, phase, row);
  return row;
}

// ---- options and output ------------------------------------------------------------------

template <typename T>
bool parseNumber(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::optional<Options> parseOptions(int argc, char** argv, int& exitCode) {
  Options o;
  o.processes = uv_available_parallelism();
  exitCode = kExitUsage;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage.data(), stdout);
      exitCode = kExitOk;
      return std::nullopt;
    }
    if (arg == "--pin") {
      o.pin = true;
      continue;
    }
    std::string_view flag = arg, value;
    bool hasValue = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      hasValue = true;
    }
    if (flag != "--workers" && flag != "--seconds" && flag != "--window" && flag != "--json") {
      std::fprintf(stderr, "switchyard-bench channel: unknown option '%s'\n\n%s", argv[i],
                   kUsage.data());
      return std::nullopt;
    }
    if (!hasValue) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "switchyard-bench channel: %s needs a value\n", argv[i]);
        return std::nullopt;
      }
      value = argv[++i];
    }
    bool ok = true;
    if (flag == "--workers") {
      ok = parseNumber(value, o.processes) && o.processes >= 1 && o.processes <= kMaxProcesses;
    } else if (flag == "--seconds") {
      ok = parseNumber(value, o.seconds) && o.seconds > 0 && o.seconds <= kMaxSecondsPerRow;
    } else if (flag == "--window") {
      unsigned w = 0;
      ok = parseNumber(value, w) && w >= 1 && w <= kMaxWindow;
      o.windows = {w};
    } else {
      o.jsonPath = value;
      ok = !value.empty();
    }
    if (!ok) {
      std::fprintf(stderr, "switchyard-bench channel: bad value '%.*s' for %.*s\n",
                   static_cast<int>(value.size()), value.data(), static_cast<int>(flag.size()),
                   flag.data());
      return std::nullopt;
    }
  }
  if (o.windows.empty()) o.windows.assign(std::begin(kDefaultWindows), std::end(kDefaultWindows));
  return o;
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

std::string formatNumber(double v, int decimals) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

void printTable(const std::vector<Row>& rows) {
  std::printf(
      "| row | procs | window | req/s | vs echo | p50 µs | p99 µs | max µs | p50 over echo µs "
      "| client CPU µs/req | child CPU µs/req |\n"
      "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  for (const auto& r : rows) {
    if (!r.failure.empty()) {
      std::printf("| %s | %u | %u | failed: %s | | | | | | | |\n", r.name.c_str(), r.processes,
                  r.window, r.failure.c_str());
      continue;
    }
    std::printf("| %s | %u | %u | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name.c_str(),
                r.processes, r.window, formatNumber(r.rate, 0).c_str(),
                formatNumber(r.ratioToEcho, 2).c_str(), formatNumber(r.p50Us, 1).c_str(),
                formatNumber(r.p99Us, 1).c_str(), formatNumber(r.maxUs, 0).c_str(),
                formatNumber(r.p50OverEchoUs, 1).c_str(),
                formatNumber(r.clientCpuUsPerRequest, 2).c_str(),
                formatNumber(r.childCpuUsPerRequest, 2).c_str());
  }
}

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string jsonNumber(double v) {
  if (std::isnan(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.3f", v);
  return buf;
}

bool writeJson(const std::string& path, const Options& o, const std::string& workerBinary,
               const std::vector<Row>& rows) {
  std::ofstream out(path);
  out << "{\n  \"benchmark\": \"channel\",\n"
      << "  \"machine\": {\"nproc\": " << uv_available_parallelism()
      << ", \"cpu\": " << jsonString(cpuModel()) << "},\n"
      << "  \"worker\": " << jsonString(workerBinary) << ",\n"
      << "  \"secondsPerRow\": " << jsonNumber(o.seconds) << ",\n"
      << "  \"pinned\": " << (o.pin ? "true" : "false") << ",\n"
      << "  \"warmupFraction\": " << jsonNumber(kWarmupFraction) << ",\n"
      << "  \"request\": \"WORKER_DUMP\",\n  \"rows\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    out << "    {\"row\": " << jsonString(r.key) << ", \"name\": " << jsonString(r.name)
        << ", \"processes\": " << r.processes << ", \"window\": " << r.window
        << ", \"measuredSeconds\": " << jsonNumber(r.measuredSeconds)
        << ", \"requests\": " << r.completed << ", \"errors\": " << r.errors
        << ", \"requestsPerSecond\": " << jsonNumber(r.rate)
        << ", \"ratioToEcho\": " << jsonNumber(r.ratioToEcho)
        << ", \"p50Us\": " << jsonNumber(r.p50Us) << ", \"p99Us\": " << jsonNumber(r.p99Us)
        << ", \"p999Us\": " << jsonNumber(r.p999Us) << ", \"maxUs\": " << jsonNumber(r.maxUs)
        << ", \"p50OverEchoUs\": " << jsonNumber(r.p50OverEchoUs)
        << ", \"clientCpuUsPerRequest\": " << jsonNumber(r.clientCpuUsPerRequest)
        << ", \"childCpuUsPerRequest\": " << jsonNumber(r.childCpuUsPerRequest)
        << ", \"failure\": " << (r.failure.empty() ? "null" : jsonString(r.failure)) << "}"
        << (i + 1 < rows.size() ? ",\n" : "\n");
  }
  out << "  ]\n}\n";
  return static_cast<bool>(out);
}

}  // namespace

int runChannelBench(int argc, char** argv) {
  int exitCode = kExitOk;
  auto options = parseOptions(argc, argv, exitCode);
  if (!options) return exitCode;
  // A child that dies mid-row must fail the row's writes, not kill the benchmark.
  std::signal(SIGPIPE, SIG_IGN);

  std::string workerBinary = control::defaultWorkerBinary();
  std::vector<unsigned> parallelism = {1};
  if (options->processes > 1) parallelism.push_back(options->processes);

  Pinning pinning(options->pin);
  std::vector<Row> rows;
  for (unsigned window : options->windows) {
    for (unsigned processes : parallelism) {
      std::fprintf(stderr, "channel: %u process(es), window %u ...\n", processes, window);
      Row echo = runEchoRow(processes, window, options->seconds, pinning);
      Row raw = runRawRow(workerBinary, processes, window, options->seconds, pinning);
      Row library = runLibraryRow(workerBinary, processes, window, options->seconds, pinning);
      for (Row* r : {&echo, &raw, &library}) {
        if (echo.failure.empty() && r->failure.empty() && echo.rate > 0) {
          r->ratioToEcho = r->rate / echo.rate;
          r->p50OverEchoUs = r->p50Us - echo.p50Us;
        }
        if (r->errors > 0) {
          std::fprintf(stderr, "warning: %s (%u, window %u): %llu failed requests\n",
                       r->name.c_str(), r->processes, r->window,
                       static_cast<unsigned long long>(r->errors));
        }
      }
      rows.insert(rows.end(), {std::move(echo), std::move(raw), std::move(library)});
    }
  }

  std::printf(
      "Control channel, WORKER_DUMP round trips; %.1f s per row (%.0f%% warm-up); "
      "%u cores, %s; %s\n\n",
      options->seconds, kWarmupFraction * 100, uv_available_parallelism(), cpuModel().c_str(),
      pinning.enabled() ? "pinned (each client with its child on one CPU)" : "not pinned");
  printTable(rows);
  if (!options->jsonPath.empty() && !writeJson(options->jsonPath, *options, workerBinary, rows)) {
    std::fprintf(stderr, "switchyard-bench channel: cannot write %s\n", options->jsonPath.c_str());
    return kExitFailed;
  }
  bool failed = std::any_of(rows.begin(), rows.end(),
                            [](const Row& r) { return !r.failure.empty() || r.errors > 0; });
  return failed ? kExitFailed : kExitOk;
}

}  // namespace switchyard::bench
