// The switchyard server as a real process: health, metrics, worker restarts, shutdown, and
// what happens to its workers when it is killed.

#include <gtest/gtest.h>
#include <sched.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "support/ProcessCpus.hpp"
#include "support/ServerProcess.hpp"

namespace switchyard::test {
namespace {

std::vector<std::string> serverArgs(uint16_t port, int workers = 2) {
  return {"--http-listen", "127.0.0.1:" + std::to_string(port),
          "--workers",     std::to_string(workers),
          "--listen-ip",   "127.0.0.1",
          "--rtc-ports",   "41000-41999"};
}

std::vector<int> workerPids(uint16_t port) {
  std::vector<int> pids;
  auto r = httpRequest(port, "GET", "/healthz");
  if (!r) return pids;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return pids;
  for (const auto& w : j["workers"])
    pids.push_back(w["pid"].get<int>());
  return pids;
}

// The value of one sample line in Prometheus text, or -1.
double metric(const std::string& text, const std::string& nameAndLabels) {
  auto pos = text.find("\n" + nameAndLabels + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + nameAndLabels.size() + 2));
}

TEST(Server, HealthAndMetricsDescribeEveryWorker) {
  uint16_t port = freePort();
  ServerProcess server(serverArgs(port));
  ASSERT_TRUE(server.waitHealthy(port)) << server.output();
  auto pids = workerPids(port);
  ASSERT_EQ(pids.size(), 2u);
  for (int pid : pids)
    EXPECT_GT(pid, 0);

  // Usage is polled every second; wait for the first poll of both workers to land (slow under
  // ASan on a busy machine: one local ASan run missed it within 4 s).
  std::string text;
  for (int i = 0; i < 150; ++i) {
    auto m = httpRequest(port, "GET", "/metrics");
    ASSERT_TRUE(m);
    ASSERT_EQ(m->status, 200);
    text = m->body;
    if (metric(text, "switchyard_worker_memory_rss_bytes{worker=\"0\"}") > 0 &&
        metric(text, "switchyard_worker_memory_rss_bytes{worker=\"1\"}") > 0) {
      break;
    }
    usleep(100000);
  }
  EXPECT_GT(metric(text, "switchyard_worker_memory_rss_bytes{worker=\"0\"}"), 1e6) << text;
  EXPECT_GE(metric(text, "switchyard_worker_cpu_seconds_total{worker=\"1\",mode=\"user\"}"), 0);
  EXPECT_EQ(metric(text, "switchyard_worker_up{worker=\"0\"}"), 1);
  EXPECT_GT(metric(text, "switchyard_worker_requests_total{worker=\"0\"}"), 0);
  EXPECT_EQ(metric(text, "switchyard_worker_restarts_total{worker=\"1\"}"), 0);
  EXPECT_NE(text.find("# TYPE switchyard_worker_restarts_total counter"), std::string::npos);
  // Every sample line is `name{labels} value` or `name value`.
  std::regex sample(R"(^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$)");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << "bad sample line: " << line;
  }

  auto page = httpRequest(port, "GET", "/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>Switchyard</title>"), std::string::npos);
  auto missing = httpRequest(port, "GET", "/no/such/page");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST(Server, KilledWorkerIsRespawnedAndMetricsShowTheRestart) {
  uint16_t port = freePort();
  ServerProcess server(serverArgs(port));
  ASSERT_TRUE(server.waitHealthy(port)) << server.output();
  auto pids = workerPids(port);
  ASSERT_EQ(pids.size(), 2u);
  kill(pids[1], SIGKILL);

  double restarts = -1;
  for (int i = 0; i < 100 && restarts < 1; ++i) {
    usleep(20000);
    auto m = httpRequest(port, "GET", "/metrics");
    if (m) restarts = metric(m->body, "switchyard_worker_restarts_total{worker=\"1\"}");
  }
  EXPECT_EQ(restarts, 1);
  ASSERT_TRUE(server.waitHealthy(port, 3000));
  auto after = workerPids(port);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0], pids[0]);
  EXPECT_NE(after[1], pids[1]);
  EXPECT_NE(server.output().find("killed by signal 9"), std::string::npos) << server.output();
}

TEST(Server, WorkerCpusPinOneWorkerPerListedCpu) {
  cpu_set_t mine;
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  int last = -1;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &mine)) last = c;
  }
  ASSERT_GE(last, 0);
  uint16_t port = freePort();
  // No --workers: the list says how many.
  ServerProcess server({"--http-listen", "127.0.0.1:" + std::to_string(port), "--listen-ip",
                        "127.0.0.1", "--rtc-ports", "41000-41999", "--worker-cpus",
                        std::to_string(last)});
  ASSERT_TRUE(server.waitHealthy(port)) << server.output();
  auto pids = workerPids(port);
  ASSERT_EQ(pids.size(), 1u);
  // Health lists a worker once it is spawned; it pins itself a moment later (slower under ASan).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (allowedCpus(pids[0]) != std::to_string(last) &&
         std::chrono::steady_clock::now() < deadline) {
    usleep(10000);
  }
  EXPECT_EQ(allowedCpus(pids[0]), std::to_string(last));

  // A CPU this machine does not offer stops the server before any worker starts.
  ServerProcess absent({"--http-listen", "127.0.0.1:" + std::to_string(freePort()), "--listen-ip",
                        "127.0.0.1", "--worker-cpus", "1023"});
  auto status = absent.waitExit(3000);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_NE(absent.output().find("workers.cpus: CPU 1023 is not one this process may run on"),
            std::string::npos)
      << absent.output();
}

TEST(Server, KilledOrchestratorLeavesNoWorkerBehind) {
  uint16_t port = freePort();
  ServerProcess server(serverArgs(port, 3));
  ASSERT_TRUE(server.waitHealthy(port)) << server.output();
  auto pids = workerPids(port);
  ASSERT_EQ(pids.size(), 3u);
  kill(server.pid(), SIGKILL);
  ASSERT_TRUE(server.waitExit(1000));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::vector<int> alive;
  do {
    alive.clear();
    for (int pid : pids) {
      if (!processGone(pid)) alive.push_back(pid);
    }
    if (alive.empty()) break;
    usleep(10000);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(alive.empty()) << alive.size() << " workers still running 2 s after kill -9";
}

TEST(Server, SigtermShutsDownCleanlyWithItsWorkers) {
  uint16_t port = freePort();
  ServerProcess server(serverArgs(port));
  ASSERT_TRUE(server.waitHealthy(port)) << server.output();
  auto pids = workerPids(port);
  kill(server.pid(), SIGTERM);
  auto status = server.waitExit(5000);
  ASSERT_TRUE(status) << "server still running 5 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0) << server.output();
  for (int pid : pids)
    EXPECT_TRUE(processGone(pid));
  EXPECT_NE(server.output().find("all workers exited"), std::string::npos) << server.output();
}

TEST(Server, DevModePrintsItsKeyAndSaysSoLoudly) {
  uint16_t port = freePort();
  ServerProcess server({"--dev", "--http-listen", "127.0.0.1:" + std::to_string(port), "--workers",
                        "1", "--rtc-ports", "42000-42099"});
  ASSERT_TRUE(server.waitHealthy(port)) << server.output();
  auto out = server.output();
  EXPECT_NE(out.find("DEVELOPMENT MODE"), std::string::npos) << out;
  EXPECT_NE(out.find("API key:    devkey"), std::string::npos) << out;
  EXPECT_NE(out.find("no token"), std::string::npos) << out;
}

struct BadCommandLine {
  std::vector<std::string> args;
  const char* message;
};

TEST(Server, InvalidConfigurationExitsWithAClearMessage) {
  std::string bad = "/tmp/switchyard-bad-config-" + std::to_string(getpid()) + ".json";
  std::string unknown = bad + ".unknown.json";
  std::ofstream(bad) << "{ \"http\": { \"listen\": \"127.0.0.1:80\" ";
  std::ofstream(unknown) << "{ \"htp\": {} }";
  const BadCommandLine cases[] = {
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"--workers", "zero"}, "--workers: 'zero'"},
      {{"--rtc-ports", "5000"}, "is not MIN-MAX"},
      {{"--rtc-ports", "100-200"}, "1024 <= MIN"},
      {{"--http-listen", "localhost:80"}, "is not an IP address"},
      {{"--listen-ip", "1.2.3"}, "'1.2.3' is not an IP address"},
      {{"--log-level", "chatty"}, "not a log level"},
      {{"--config", "/nonexistent.json"}, "cannot read config file"},
      {{"--config", bad}, "not valid JSON"},
      {{"--config", unknown}, "unknown key 'htp'"},
      {{"--worker-cpus", "0-"}, "is not a CPU list"},
  };
  for (const auto& c : cases) {
    ServerProcess server(c.args);
    auto status = server.waitExit(3000);
    ASSERT_TRUE(status);
    EXPECT_EQ(WEXITSTATUS(*status), 64) << c.message;
    EXPECT_NE(server.output().find(c.message), std::string::npos)
        << "expected '" << c.message << "' in: " << server.output();
  }
  unlink(bad.c_str());
  unlink(unknown.c_str());
}

TEST(Server, ConfigFileIsLoadedAndFlagsOverrideIt) {
  uint16_t port = freePort();
  uint16_t otherPort = freePort();
  std::string path = "/tmp/switchyard-config-" + std::to_string(getpid()) + ".json";
  std::ofstream(path) << "// comments are allowed\n{\n  \"http\": { \"listen\": \"127.0.0.1:" +
                             std::to_string(otherPort) +
                             "\" },\n  \"workers\": { \"count\": 3 },\n"
                             "  \"rtc\": { \"minPort\": 43000, \"maxPort\": 43099, "
                             "\"listenIps\": [\"127.0.0.1\"] }\n}\n";
  ServerProcess server({"--config", path, "--http-listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(server.waitHealthy(port)) << server.output();
  EXPECT_EQ(workerPids(port).size(), 3u);
  EXPECT_NE(server.output().find("media ports 43000-43099"), std::string::npos) << server.output();
  unlink(path.c_str());
}

}  // namespace
}  // namespace switchyard::test
