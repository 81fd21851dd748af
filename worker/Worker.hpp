#pragma once
// The worker process's root object: the loop's owner of the channel, the routers and the
// signal handlers, and the dispatcher of worker-level requests.

#include <uv.h>

#include <map>
#include <memory>
#include <string>

#include "router/Router.hpp"
#include "worker/ChannelEndpoint.hpp"
#include "worker/Logging.hpp"
#include "worker/Settings.hpp"

namespace switchyard::worker {

class Worker {
 public:
  Worker(uv_loop_t* loop, Settings settings);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs the loop until the worker closes; returns the process exit code.
  int run();

 private:
  void handleRequest(control::ChannelRequest& request);
  void dump(control::ChannelRequest& request);
  void resourceUsage(control::ChannelRequest& request);
  void updateSettings(control::ChannelRequest& request);
  void createRouter(control::ChannelRequest& request);
  void closeRouter(control::ChannelRequest& request);
  void close(std::string_view reason);

  uv_loop_t* loop_;
  Settings settings_;
  Logging logging_;
  ChannelEndpoint channel_;
  router::TransportContext transportContext_;
  // Declared before the routers: their sockets use it, so it is destroyed after them.
  std::unique_ptr<transport::UdpSendBatcher> sendBatcher_;
  std::unique_ptr<transport::UdpReceiveArena> receiveArena_;
  // Shared sockets use the batcher and arena: declared after them, reset before them.
  std::unique_ptr<transport::UdpMuxSet> udpMuxes_;
  std::map<std::string, std::unique_ptr<router::Router>, std::less<>> routers_;
  uv_signal_t sigterm_{};
  uv_signal_t sigint_{};
  uv_timer_t shutdownTimer_{};
  uint64_t startMs_ = 0;
  uint32_t pid_ = 0;  // cached: glibc does not cache getpid(), and dump asks for it
  bool closing_ = false;
  int exitCode_ = kExitOk;
};

}  // namespace switchyard::worker
