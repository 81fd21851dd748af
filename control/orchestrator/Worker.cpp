#include "control/orchestrator/Worker.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstring>

#include "control/orchestrator/ResponseReaders.hpp"
#include "control/orchestrator/Router.hpp"

namespace switchyard::control {

namespace {

// After the channel hits EOF, how long to wait for the exit status before failing pending
// requests with a less precise reason. SIGCHLD normally arrives within microseconds.
constexpr uint64_t kExitStatusWaitMs = 1000;

constexpr char kWorkerBinaryName[] = "switchyard-worker";

}  // namespace

std::string WorkerExit::describe() const {
  if (termSignal != 0) {
    return "killed by signal " + std::to_string(termSignal) + " (" + strsignal(termSignal) + ")";
  }
  return "exited with code " + std::to_string(exitStatus);
}

std::string defaultWorkerBinary() {
  if (const char* env = std::getenv("SWITCHYARD_WORKER_BIN"); env && *env) return env;
  char path[PATH_MAX];
  size_t size = sizeof(path);
  if (uv_exepath(path, &size) == 0) {
    std::string exe(path, size);
    auto slash = exe.rfind('/');
    if (slash != std::string::npos) {
      std::string sibling = exe.substr(0, slash + 1) + kWorkerBinaryName;
      if (access(sibling.c_str(), X_OK) == 0) return sibling;
    }
  }
  return kWorkerBinaryName;
}

struct Worker::Process {
  uv_process_t handle;
  Worker* owner;
  uv_timer_t* exitWait = nullptr;  // armed when the channel closed before the exit status came
};

Worker::Worker(uv_loop_t* loop, WorkerOptions options)
    : loop_(loop),
      options_(std::move(options)),
      channel_(std::make_unique<WorkerChannel>(loop, options_.channel)) {}

Worker::~Worker() {
  runningSub_.reset();
  if (process_) {
    // The process handle outlives us until the child exits, so it is reaped, not left a zombie.
    process_->owner = nullptr;
    if (process_->exitWait) {
      uv_close(reinterpret_cast<uv_handle_t*>(process_->exitWait),
               [](uv_handle_t* t) { delete reinterpret_cast<uv_timer_t*>(t); });
      process_->exitWait = nullptr;
    }
    if (alive_) uv_process_kill(&process_->handle, SIGTERM);
  }
  channel_->close({ErrorKind::kChannelClosed, "the worker handle was destroyed"});
}

Result<std::shared_ptr<Worker>> Worker::spawn(uv_loop_t* loop, WorkerOptions options) {
  std::shared_ptr<Worker> w(new Worker(loop, std::move(options)));
  const auto& o = w->options_;

  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Error{ErrorKind::kSpawnFailed, std::string("socketpair: ") + std::strerror(errno)};
  }
  constexpr int kChildChannelFd = 3;

  std::string binary = o.binary.empty() ? defaultWorkerBinary() : o.binary;
  std::vector<std::string> args = {
      binary,
      "--worker-id=" + std::to_string(o.id),
      "--log-level=" + o.logLevel,
      "--log-stderr=" + std::string(o.workerLogsToStderr ? "true" : "false"),
      "--rtc-min-port=" + std::to_string(o.rtcMinPort),
      "--rtc-max-port=" + std::to_string(o.rtcMaxPort),
      "--channel-fd=" + std::to_string(kChildChannelFd),
  };
  if (!o.logTags.empty()) {
    std::string tags;
    for (const auto& t : o.logTags)
      tags += (tags.empty() ? "" : ",") + t;
    args.push_back("--log-tags=" + tags);
  }
  for (const auto& ip : o.listenIps)
    args.push_back("--listen-ip=" + ip);
  if (o.cpu >= 0) args.push_back("--cpu=" + std::to_string(o.cpu));
  for (const auto& a : o.extraArgs)
    args.push_back(a);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  uv_stdio_container_t stdio[4];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 1;
  // Inherited so sanitizer reports and messages from before the channel opens are seen.
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  stdio[3].flags = UV_INHERIT_FD;
  stdio[3].data.fd = fds[1];

  auto* process = new Process{};
  process->owner = w.get();
  process->handle.data = process;
  uv_process_options_t po{};
  po.file = binary.c_str();
  po.args = argv.data();
  po.stdio = stdio;
  po.stdio_count = 4;
  po.exit_cb = [](uv_process_t* h, int64_t exitStatus, int termSignal) {
    auto* p = static_cast<Process*>(h->data);
    if (p->exitWait) {
      uv_close(reinterpret_cast<uv_handle_t*>(p->exitWait),
               [](uv_handle_t* t) { delete reinterpret_cast<uv_timer_t*>(t); });
      p->exitWait = nullptr;
    }
    Worker* owner = p->owner;
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* hh) { delete static_cast<Process*>(hh->data); });
    if (owner) {
      owner->process_ = nullptr;
      owner->onProcessExit(exitStatus, termSignal);
    }
  };
  int err = uv_spawn(loop, &process->handle, &po);
  ::close(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    uv_close(reinterpret_cast<uv_handle_t*>(&process->handle),
             [](uv_handle_t* hh) { delete static_cast<Process*>(hh->data); });
    return Error{ErrorKind::kSpawnFailed,
                 "cannot start " + binary + ": " + std::string(uv_strerror(err))};
  }
  w->process_ = process;
  w->pid_ = process->handle.pid;
  w->alive_ = true;

  if (auto openError = w->channel_->open(fds[0])) {
    w->kill(SIGKILL);
    return *openError;
  }
  Worker* raw = w.get();
  w->channel_->setPeerClosedHandler([raw](std::string reason) {
    if (!raw->process_) return;
    // Wait briefly for the exit status: "killed by signal 9" beats "closed the channel".
    auto* t = new uv_timer_t;
    uv_timer_init(raw->loop_, t);
    t->data = raw;
    raw->process_->exitWait = t;
    uv_timer_start(
        t,
        [](uv_timer_t* timer) {
          auto* self = static_cast<Worker*>(timer->data);
          if (self->process_) self->process_->exitWait = nullptr;
          uv_close(reinterpret_cast<uv_handle_t*>(timer),
                   [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
          self->channel_->close(
              {ErrorKind::kChannelClosed, "worker " + std::to_string(self->id()) +
                                              " closed its channel but is still running"});
        },
        kExitStatusWaitMs, 0);
    (void)reason;
  });
  w->channel_->setLogHandler([raw](const fbs::log::Log& log) {
    if (!raw->onLog_) return;
    raw->onLog_(LogLine{log.worker_id(), static_cast<int>(log.level()),
                        log.tag() ? log.tag()->str() : "", log.text()->str()});
  });
  w->runningSub_ = w->channel_->subscribe("", [raw](const fbs::notification::Notification& n) {
    if (n.event() != fbs::notification::Event::WORKER_RUNNING) return;
    raw->running_ = true;
    if (raw->onRunning_) raw->onRunning_();
  });
  return w;
}

void Worker::onProcessExit(int64_t exitStatus, int termSignal) {
  alive_ = false;
  running_ = false;
  WorkerExit exit{exitStatus, termSignal};
  std::string why =
      "worker " + std::to_string(id()) + " (pid " + std::to_string(pid_) + ") " + exit.describe();
  auto self = shared_from_this();  // handlers may drop the last reference
  channel_->close({ErrorKind::kWorkerDied, why});
  if (onExit_) {
    auto cb = std::move(onExit_);
    onExit_ = nullptr;
    cb(exit);
  }
}

void Worker::kill(int signum) {
  if (process_ && alive_) uv_process_kill(&process_->handle, signum);
}

void Worker::close(Callback<void> cb) {
  channel_->request(fbs::request::Method::WORKER_CLOSE, "", {},
                    [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
                      if (!cb) return;
                      if (e) {
                        cb(*e);
                      } else {
                        cb(Result<void>());
                      }
                    });
}

void Worker::dump(Callback<WorkerDump> cb) {
  channel_->request(fbs::request::Method::WORKER_DUMP, "", {},
                    [cb = std::move(cb)](const Error* e, const fbs::response::Response* r) {
                      if (e) return cb(*e);
                      const auto* body = r->body_as_Worker_DumpResponse();
                      if (!body) return cb(Error{ErrorKind::kBadResponse, "no DumpResponse"});
                      cb(readWorkerDump(*body));
                    });
}

void Worker::getResourceUsage(Callback<ResourceUsage> cb) {
  channel_->request(fbs::request::Method::WORKER_GET_RESOURCE_USAGE, "", {},
                    [cb = std::move(cb)](const Error* e, const fbs::response::Response* r) {
                      if (e) return cb(*e);
                      const auto* body = r->body_as_Worker_ResourceUsageResponse();
                      if (!body) {
                        return cb(Error{ErrorKind::kBadResponse, "no ResourceUsageResponse"});
                      }
                      cb(readResourceUsage(*body));
                    });
}

void Worker::updateSettings(std::string logLevel, std::vector<std::string> logTags,
                            Callback<void> cb) {
  channel_->request(
      fbs::request::Method::WORKER_UPDATE_SETTINGS, "",
      [&](flatbuffers::FlatBufferBuilder& b) {
        std::vector<flatbuffers::Offset<flatbuffers::String>> tags;
        for (const auto& t : logTags)
          tags.push_back(b.CreateString(t));
        auto body = fbs::worker::CreateUpdateSettingsRequestDirect(
            b, logLevel.empty() ? nullptr : logLevel.c_str(), &tags);
        return std::pair{fbs::request::Body::Worker_UpdateSettingsRequest, body.Union()};
      },
      [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
        if (e) return cb(*e);
        cb(Result<void>());
      });
}

std::string Worker::newId() {
  return newObjectId(idRng_);
}

void Worker::createRouter(RouterOptions options, Callback<std::shared_ptr<Router>> cb) {
  if (options.id.empty()) options.id = newObjectId(idRng_);
  std::string id = options.id;
  std::weak_ptr<Worker> weak = weak_from_this();
  channel_->request(
      fbs::request::Method::WORKER_CREATE_ROUTER, "",
      [&](flatbuffers::FlatBufferBuilder& b) {
        auto codecs = writeCodecCapabilities(b, options.mediaCodecs);
        auto body = fbs::worker::CreateCreateRouterRequestDirect(b, id.c_str(), &codecs);
        return std::pair{fbs::request::Body::Worker_CreateRouterRequest, body.Union()};
      },
      [cb = std::move(cb), id, weak](const Error* e, const fbs::response::Response*) {
        if (e) return cb(*e);
        auto w = weak.lock();
        if (!w) return cb(Error{ErrorKind::kChannelClosed, "the worker handle is gone"});
        cb(std::shared_ptr<Router>(new Router(w, id)));
      });
}

}  // namespace switchyard::control
