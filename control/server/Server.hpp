#pragma once
// The switchyard server: supervises the worker pool and serves HTTP (health, metrics, the demo
// page; signaling in later issues) on one libuv loop.

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/orchestrator/WorkerPool.hpp"
#include "control/server/HttpServer.hpp"
#include "control/server/Metrics.hpp"
#include "control/server/ServerConfig.hpp"
#include "control/server/WhipWhepService.hpp"

namespace switchyard::control {

class Server {
 public:
  Server(uv_loop_t* loop, ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the workers and the HTTP listener; returns a readable error if either fails.
  std::optional<std::string> start();
  // Stops accepting, closes the workers gracefully; `done` runs when everything is closed.
  void stop(std::function<void()> done);

  uint16_t httpPort() const;
  ServerMetrics metrics() const;

 private:
  struct SlotCounters {
    uint64_t requestsBefore = 0;  // from earlier incarnations of the worker in this slot
    uint64_t errorsBefore = 0;
    std::optional<ResourceUsage> usage;
    uint64_t routers = 0;
  };

  void routeHttp();
  void pollWorkers();
  static uint64_t errorsOf(const WorkerChannelCounters& c);

  uv_loop_t* loop_;
  ServerConfig config_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<WhipWhepService> whipWhep_;
  std::vector<SlotCounters> slotCounters_;
  uv_timer_t* pollTimer_ = nullptr;
  uint64_t startedMs_ = 0;
  uint64_t httpRequests_ = 0;
  bool stopping_ = false;
  std::shared_ptr<Server*> self_;
};

}  // namespace switchyard::control
