// The server's config parsing: JSON file values, validation, and what bad input yields.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "control/server/ServerConfig.hpp"

namespace switchyard::control {
namespace {

TEST(ServerConfig, JsonValuesApplyOverDefaults) {
  ServerConfig c;
  auto e = applyConfigJson(c, R"(// comment
    { "http": { "listen": "[::1]:9000" },
      "workers": { "count": 3, "logLevel": "debug", "logTags": ["ice"], "cpus": [2, 3] },
      "rtc": { "minPort": 20000, "maxPort": 20100, "listenIps": ["127.0.0.1"],
               "announcedIp": "203.0.113.7", "sharedPort": false },
      "ingest": { "idleTimeout": 120 },
      "log": { "level": "warn" },
      "auth": { "keys": { "k1": "0123456789abcdef" } } })");
  ASSERT_FALSE(e) << *e;
  EXPECT_EQ(c.httpHost, "::1");
  EXPECT_EQ(c.httpPort, 9000);
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.workerCpus, (std::vector<int>{2, 3}));
  EXPECT_TRUE(ServerConfig{}.workerCpus.empty());  // not pinned unless asked
  EXPECT_EQ(c.workerLogLevel, "debug");
  EXPECT_EQ(c.workerLogTags, std::vector<std::string>{"ice"});
  EXPECT_EQ(c.rtcMinPort, 20000);
  EXPECT_EQ(c.listenIps, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(c.announcedIp, "203.0.113.7");
  EXPECT_FALSE(c.rtcSharedPort);
  EXPECT_TRUE(ServerConfig{}.rtcSharedPort);  // on unless turned off
  EXPECT_EQ(c.ingestIdleTimeoutS, 120u);
  EXPECT_EQ(ServerConfig{}.ingestIdleTimeoutS, 30u);
  EXPECT_EQ(c.logLevel, "warn");
  EXPECT_EQ(c.apiKeys.at("k1"), "0123456789abcdef");
  EXPECT_FALSE(c.openLoopbackAccess);
}

TEST(ServerConfig, DevKeyOpensLoopbackAccess) {
  ServerConfig c;
  ASSERT_FALSE(applyConfigJson(c, R"({"dev": true})"));
  EXPECT_TRUE(c.dev);
  EXPECT_TRUE(c.openLoopbackAccess);
  EXPECT_EQ(c.httpHost, "127.0.0.1");
  EXPECT_EQ(c.listenIps, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(c.apiKeys.count(kDevApiKey), 1u);
}

struct BadJson {
  const char* text;
  const char* expect;
};

TEST(ServerConfig, BadDocumentsAreErrorsNotCrashes) {
  const BadJson cases[] = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[1,2]", "top level must be an object"},
      {R"({"htp": {}})", "unknown key 'htp'"},
      {R"({"workers": {"count": "four"}})", "workers.count must be an integer"},
      {R"({"workers": {"count": -1}})", "workers.count is out of range"},
      {R"({"workers": {"count": 2.5}})", "workers.count must be an integer"},
      {R"({"rtc": {"minPort": 70000}})", "rtc.minPort is out of range"},
      {R"({"http": {"listen": "nohost"}})", "is not ADDR:PORT"},
      {R"({"http": {"listen": "1.2.3.4:99999"}})", "no valid port"},
      {R"({"auth": {"keys": {"k": 5}}})", "wrong type"},
      {R"({"rtc": {"sharedPort": "yes"}})", "rtc.sharedPort: true or false"},
      {R"({"ingest": {"idleTimeout": -5}})", "ingest.idleTimeout is out of range"},
      {R"({"workers": {"cpus": 2}})", "workers.cpus: a list of CPU numbers"},
      {R"({"workers": {"cpus": [-1]}})", "workers.cpus is out of range"},
      {R"({"workers": {"cpus": ["0"]}})", "workers.cpus must be an integer"},
      {R"({"ingest": {"idleTimeout": "30s"}})", "ingest.idleTimeout must be an integer"},
      // Found by ServerConfigFuzz: a number too large for any type threw out_of_range.
      {R"({"de:v":77777777e7777700})", "not valid JSON"},
      {"{\"a\":1e99999}", "not valid JSON"},
  };
  for (const auto& c : cases) {
    ServerConfig config;
    auto e = applyConfigJson(config, c.text);
    ASSERT_TRUE(e.has_value()) << "accepted: " << c.text;
    EXPECT_NE(e->find(c.expect), std::string::npos) << c.text << " -> " << *e;
  }
}

TEST(ServerConfig, CommandLineFlagsOverrideAndValidate) {
  const char* argv[] = {"switchyard",  "--dev",       "--http-listen=127.0.0.1:9999",
                        "--workers",   "2",           "--rtc-ports",
                        "30000-30010", "--listen-ip", "127.0.0.2"};
  auto r = parseServerCommandLine(9, const_cast<char**>(argv));
  ASSERT_TRUE(std::holds_alternative<ServerConfig>(r));
  const auto& c = std::get<ServerConfig>(r);
  EXPECT_TRUE(c.dev);
  EXPECT_EQ(c.httpPort, 9999);
  EXPECT_EQ(c.workers, 2u);
  EXPECT_EQ(c.rtcMinPort, 30000);
  EXPECT_EQ(c.rtcMaxPort, 30010);
  EXPECT_EQ(c.listenIps, std::vector<std::string>{"127.0.0.2"});

  const char* own[] = {"switchyard", "--rtc-shared-port", "off"};
  auto o = parseServerCommandLine(3, const_cast<char**>(own));
  ASSERT_TRUE(std::holds_alternative<ServerConfig>(o));
  EXPECT_FALSE(std::get<ServerConfig>(o).rtcSharedPort);
  const char* unclear[] = {"switchyard", "--rtc-shared-port=maybe"};
  auto u = parseServerCommandLine(2, const_cast<char**>(unclear));
  ASSERT_TRUE(std::holds_alternative<ConfigError>(u));
  EXPECT_EQ(std::get<ConfigError>(u).message, "--rtc-shared-port: on or off");

  const char* idle[] = {"switchyard", "--ingest-idle-timeout", "0"};
  auto i = parseServerCommandLine(3, const_cast<char**>(idle));
  ASSERT_TRUE(std::holds_alternative<ServerConfig>(i));
  EXPECT_EQ(std::get<ServerConfig>(i).ingestIdleTimeoutS, 0u);
  const char* longIdle[] = {"switchyard", "--ingest-idle-timeout=86401"};
  auto l = parseServerCommandLine(2, const_cast<char**>(longIdle));
  ASSERT_TRUE(std::holds_alternative<ConfigError>(l));
  EXPECT_EQ(std::get<ConfigError>(l).message, "ingest.idleTimeout: at most 86400 s");
  const char* wordy[] = {"switchyard", "--ingest-idle-timeout", "soon"};
  auto y = parseServerCommandLine(3, const_cast<char**>(wordy));
  ASSERT_TRUE(std::holds_alternative<ConfigError>(y));
  EXPECT_EQ(std::get<ConfigError>(y).message,
            "--ingest-idle-timeout: 'soon' is not a number of seconds");

  // --worker-cpus takes what taskset -c takes; each CPU once, within an affinity mask.
  const char* cpus[] = {"switchyard", "--worker-cpus", "0,2-4,7"};
  auto cp = parseServerCommandLine(3, const_cast<char**>(cpus));
  ASSERT_TRUE(std::holds_alternative<ServerConfig>(cp));
  EXPECT_EQ(std::get<ServerConfig>(cp).workerCpus, (std::vector<int>{0, 2, 3, 4, 7}));
  const std::pair<const char*, const char*> badCpus[] = {
      {"1,,2", "--worker-cpus: '1,,2' is not a CPU list like 0,2-3"},
      {"a-b", "--worker-cpus: 'a-b' is not a CPU list like 0,2-3"},
      {"3-1", "--worker-cpus: '3-1' is a range from high to low"},
      {"1024", "--worker-cpus: CPU 1024 is above 1023"},
      {"1,0-2", "workers.cpus: CPU 1 is listed twice"},
      {"0-1023,5", "--worker-cpus: more than 1024 CPUs"},
  };
  for (const auto& [list, message] : badCpus) {
    const char* args[] = {"switchyard", "--worker-cpus", list};
    auto b = parseServerCommandLine(3, const_cast<char**>(args));
    ASSERT_TRUE(std::holds_alternative<ConfigError>(b)) << list;
    EXPECT_EQ(std::get<ConfigError>(b).message, message);
  }

  // The same limits for the config file's list, checked after it is read.
  std::string everyCpu = "[0";
  for (int cpu = 1; cpu <= 1024; ++cpu) {
    everyCpu += ',';
    everyCpu += std::to_string(cpu);
  }
  everyCpu += "]";
  const std::pair<std::string, std::string> badFiles[] = {
      {"[3, 1, 3]", "workers.cpus: CPU 3 is listed twice"},
      {"[1024]", "workers.cpus: CPU 1024 is above 1023"},
      {everyCpu, "workers.cpus: more than 1024 CPUs"},
  };
  const std::string cpusFile = "/tmp/switchyard-cpus-" + std::to_string(getpid()) + ".json";
  for (const auto& [list, message] : badFiles) {
    std::ofstream(cpusFile) << R"({"workers": {"cpus": )" << list << "}}";
    const char* args[] = {"switchyard", "--config", cpusFile.c_str()};
    auto b = parseServerCommandLine(3, const_cast<char**>(args));
    ASSERT_TRUE(std::holds_alternative<ConfigError>(b)) << list;
    EXPECT_NE(std::get<ConfigError>(b).message.find(message), std::string::npos)
        << std::get<ConfigError>(b).message;
  }
  unlink(cpusFile.c_str());

  const char* weak[] = {"switchyard", "--announced-ip", "example.com"};
  auto w = parseServerCommandLine(3, const_cast<char**>(weak));
  ASSERT_TRUE(std::holds_alternative<ConfigError>(w));
  EXPECT_NE(std::get<ConfigError>(w).message.find("announcedIp"), std::string::npos);
}

TEST(ServerConfig, IceServersBecomeLinkHeaders) {
  ServerConfig c;
  ASSERT_FALSE(applyConfigJson(c, R"({"rtc": {"iceServers": [
      {"urls": "stun:stun.example.net"},
      {"urls": ["turn:turn.example.net?transport=udp", "turns:turn.example.net"],
       "username": "u\"1", "credential": "p\\w"}]}})"));
  ASSERT_EQ(c.iceServers.size(), 2u);
  EXPECT_EQ(iceServerLinks(c.iceServers),
            (std::vector<std::string>{
                R"(<stun:stun.example.net>; rel="ice-server")",
                R"(<turn:turn.example.net?transport=udp>; rel="ice-server"; username="u\"1"; )"
                R"(credential="p\\w"; credential-type="password")",
                R"(<turns:turn.example.net>; rel="ice-server"; username="u\"1"; )"
                R"(credential="p\\w"; credential-type="password")"}));
}

TEST(ServerConfig, BadIceServersAreRejected) {
  const std::string path = ::testing::TempDir() + "/ice-servers.json";
  for (const char* bad : {
           R"({"rtc": {"iceServers": [{"urls": "http://example.net"}]}})",
           R"({"rtc": {"iceServers": [{"urls": "stun:a b"}]}})",
           R"({"rtc": {"iceServers": [{"urls": "stun:x><evil"}]}})",
           R"({"rtc": {"iceServers": [{"urls": "turn:turn.example.net"}]}})",
           R"({"rtc": {"iceServers": [{"urls": []}]}})",
       }) {
    SCOPED_TRACE(bad);
    {
      std::ofstream out(path);
      out << bad;
    }
    const char* argv[] = {"switchyard", "--config", path.c_str()};
    auto r = parseServerCommandLine(3, const_cast<char**>(argv));
    ASSERT_TRUE(std::holds_alternative<ConfigError>(r));
    EXPECT_NE(std::get<ConfigError>(r).message.find("iceServers"), std::string::npos)
        << std::get<ConfigError>(r).message;
  }
}

}  // namespace
}  // namespace switchyard::control
