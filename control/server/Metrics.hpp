#pragma once
// Prometheus text exposition (version 0.0.4) of the server's and its workers' state.

#include <cstdint>
#include <string>
#include <vector>

#include "control/orchestrator/Types.hpp"

namespace switchyard::control {

struct WorkerMetrics {
  uint32_t id = 0;
  int pid = 0;
  bool up = false;
  bool haveUsage = false;
  ResourceUsage usage;
  uint64_t requests = 0;       // sent to this worker slot, over all its restarts
  uint64_t requestErrors = 0;  // error responses, timeouts, failures
  uint64_t restarts = 0;
  uint64_t routers = 0;
};

struct ServerMetrics {
  std::vector<WorkerMetrics> workers;
  uint64_t httpRequests = 0;
  uint64_t uptimeSeconds = 0;
};

std::string renderPrometheus(const ServerMetrics& m);

}  // namespace switchyard::control
