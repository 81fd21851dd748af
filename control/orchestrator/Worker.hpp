#pragma once
// One switchyard-worker process as the orchestrator sees it: spawned with uv_spawn, driven over
// its control channel through a typed asynchronous API, watched for exit.

#include <uv.h>

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "control/orchestrator/Result.hpp"
#include "control/orchestrator/Types.hpp"
#include "control/orchestrator/WorkerChannel.hpp"

namespace switchyard::control {

class Router;

struct WorkerOptions {
  std::string binary;  // empty: switchyard-worker beside the running executable
  uint32_t id = 0;
  std::string logLevel = "info";
  std::vector<std::string> logTags;
  bool workerLogsToStderr = false;  // its log lines come over the channel either way
  uint16_t rtcMinPort = 10000;
  uint16_t rtcMaxPort = 59999;
  std::vector<std::string> listenIps;
  int cpu = -1;  // >= 0: the worker pins itself to this CPU (--cpu)
  WorkerChannelOptions channel;
  std::vector<std::string> extraArgs;  // appended to the command line (tests)
};

// Where to find switchyard-worker when no binary is configured: $SWITCHYARD_WORKER_BIN, else
// beside the running executable, else the PATH.
std::string defaultWorkerBinary();

class Worker : public std::enable_shared_from_this<Worker> {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  using ExitHandler = std::function<void(const WorkerExit&)>;
  using LogHandler = std::function<void(const LogLine&)>;

  // Starts the process. Requests may be sent at once: the socket holds them until the
  // worker reads.
  static Result<std::shared_ptr<Worker>> spawn(uv_loop_t* loop, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  uint32_t id() const { return options_.id; }
  int pid() const { return pid_; }
  bool alive() const { return alive_; }
  bool running() const { return running_; }  // the worker said it is ready

  void dump(Callback<WorkerDump> cb);
  void getResourceUsage(Callback<ResourceUsage> cb);
  void updateSettings(std::string logLevel, std::vector<std::string> logTags, Callback<void> cb);
  void createRouter(RouterOptions options, Callback<std::shared_ptr<Router>> cb);
  // Asks the worker to exit; the exit handler runs when it has.
  void close(Callback<void> cb = {});
  void kill(int signum);

  // Runs once, when the process has exited (pending requests have failed by then).
  void setExitHandler(ExitHandler h) { onExit_ = std::move(h); }
  void setRunningHandler(std::function<void()> h) { onRunning_ = std::move(h); }
  void setLogHandler(LogHandler h) { onLog_ = std::move(h); }

  // A fresh random object id (routers, transports, producers, consumers).
  std::string newId();

  WorkerChannel& channel() { return *channel_; }
  const WorkerChannel& channel() const { return *channel_; }
  // Requests the orchestrator library has made of this worker, answered or not.
  uint64_t requestCount() const { return channel_->counters().requestsSent; }

 private:
  struct Process;
  Worker(uv_loop_t* loop, WorkerOptions options);
  void onProcessExit(int64_t exitStatus, int termSignal);

  uv_loop_t* loop_;
  WorkerOptions options_;
  std::unique_ptr<WorkerChannel> channel_;
  WorkerChannel::Subscription runningSub_;
  Process* process_ = nullptr;
  int pid_ = 0;
  bool alive_ = false;
  bool running_ = false;
  ExitHandler onExit_;
  std::function<void()> onRunning_;
  LogHandler onLog_;
  std::mt19937_64 idRng_{std::random_device{}()};
};

}  // namespace switchyard::control
