#include "control/server/Metrics.hpp"

#include <fmt/format.h>

namespace switchyard::control {

namespace {

constexpr const char* kVersion = "0.1.0";

void family(std::string& out, const char* name, const char* type, const char* help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string renderPrometheus(const ServerMetrics& m) {
  std::string out;
  auto line = [&](const char* name, const std::string& labels, auto value) {
    fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
  };
  family(out, "switchyard_build_info", "gauge", "Switchyard version.");
  line("switchyard_build_info", fmt::format("version=\"{}\"", kVersion), 1);
  family(out, "switchyard_uptime_seconds", "counter", "Seconds since the server started.");
  fmt::format_to(std::back_inserter(out), "switchyard_uptime_seconds {}\n", m.uptimeSeconds);
  family(out, "switchyard_http_requests_total", "counter", "HTTP requests served.");
  fmt::format_to(std::back_inserter(out), "switchyard_http_requests_total {}\n", m.httpRequests);

  family(out, "switchyard_worker_up", "gauge", "1 when the worker process is running.");
  for (const auto& w : m.workers)
    line("switchyard_worker_up", fmt::format("worker=\"{}\"", w.id), w.up ? 1 : 0);
  family(out, "switchyard_worker_cpu_seconds_total", "counter",
         "CPU time of the worker process; resets when the worker restarts.");
  for (const auto& w : m.workers) {
    if (!w.haveUsage) continue;
    line("switchyard_worker_cpu_seconds_total", fmt::format("worker=\"{}\",mode=\"user\"", w.id),
         fmt::format("{:.6f}", static_cast<double>(w.usage.userCpuUs) / 1e6));
    line("switchyard_worker_cpu_seconds_total", fmt::format("worker=\"{}\",mode=\"system\"", w.id),
         fmt::format("{:.6f}", static_cast<double>(w.usage.systemCpuUs) / 1e6));
  }
  family(out, "switchyard_worker_memory_rss_bytes", "gauge", "Resident memory of the worker.");
  for (const auto& w : m.workers) {
    if (w.haveUsage)
      line("switchyard_worker_memory_rss_bytes", fmt::format("worker=\"{}\"", w.id),
           w.usage.rssBytes);
  }
  family(out, "switchyard_worker_memory_max_rss_bytes", "gauge",
         "Peak resident memory of the worker.");
  for (const auto& w : m.workers) {
    if (w.haveUsage) {
      line("switchyard_worker_memory_max_rss_bytes", fmt::format("worker=\"{}\"", w.id),
           w.usage.maxRssKb * 1024);
    }
  }
  family(out, "switchyard_worker_requests_total", "counter",
         "Control-channel requests sent to the worker.");
  for (const auto& w : m.workers)
    line("switchyard_worker_requests_total", fmt::format("worker=\"{}\"", w.id), w.requests);
  family(out, "switchyard_worker_request_errors_total", "counter",
         "Requests that failed: error responses, timeouts, worker deaths.");
  for (const auto& w : m.workers) {
    line("switchyard_worker_request_errors_total", fmt::format("worker=\"{}\"", w.id),
         w.requestErrors);
  }
  family(out, "switchyard_worker_restarts_total", "counter",
         "Times the worker died and was started again.");
  for (const auto& w : m.workers)
    line("switchyard_worker_restarts_total", fmt::format("worker=\"{}\"", w.id), w.restarts);
  family(out, "switchyard_worker_routers", "gauge", "Routers (rooms, streams) on the worker.");
  for (const auto& w : m.workers)
    line("switchyard_worker_routers", fmt::format("worker=\"{}\"", w.id), w.routers);
  return out;
}

}  // namespace switchyard::control
