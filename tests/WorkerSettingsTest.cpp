// switchyard-worker's command line, checked against the real executable.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "worker/Settings.hpp"

namespace switchyard::worker {
namespace {

struct Run {
  int exitCode;
  std::string output;
};

// Runs the worker with stdin closed and no fd 3 unless `withChannel`; merges stderr.
Run runWorker(const std::string& args, bool withChannel = true) {
  std::string cmd = std::string(SWITCHYARD_BIN_DIR) + "/switchyard-worker " + args;
  // With a channel on fd 3 that is at once closed by `true`, a valid command line starts the
  // loop and exits when the channel reads EOF.
  cmd = withChannel ? "true | " + cmd + " 3<&0 2>&1" : cmd + " 3<&- 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 256> buf;
  while (fgets(buf.data(), buf.size(), p))
    out += buf.data();
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

struct BadCase {
  const char* args;
  const char* expectInMessage;
};

TEST(WorkerSettings, InvalidSettingsExitWithUsageCodeAndClearMessage) {
  const BadCase cases[] = {
      {"--bogus=1", "unknown option '--bogus'"},
      {"--log-level=loud", "--log-level='loud'"},
      {"--log-tags=ice,nope", "unknown tag 'nope'"},
      {"--rtc-min-port=80", "--rtc-min-port='80'"},
      {"--rtc-max-port=70000", "--rtc-max-port='70000'"},
      {"--rtc-min-port=20000 --rtc-max-port=10000", "is above --rtc-max-port"},
      {"--listen-ip=300.1.1.1", "not an IPv4 or IPv6 address"},
      {"--worker-id=abc", "--worker-id='abc'"},
      {"--log-level", "needs a value"},
      {"stray", "unexpected argument 'stray'"},
      {"--channel-fds=3", "READ_FD,WRITE_FD"},
      {"--cpu=-1", "a CPU number from 0 to 1023"},
      {"--cpu=1024", "a CPU number from 0 to 1023"},
      // A CPU the mask can hold but the machine does not have: refused by the kernel.
      {"--cpu=1023", "--cpu=1023: cannot run on CPU 1023"},
  };
  for (const auto& c : cases) {
    auto r = runWorker(c.args);
    EXPECT_EQ(r.exitCode, kExitUsage) << c.args;
    EXPECT_NE(r.output.find(c.expectInMessage), std::string::npos)
        << c.args << " printed: " << r.output;
  }
}

TEST(WorkerSettings, MissingChannelFdIsAClearErrorBeforeTheLoop) {
  auto r = runWorker("--log-level=info", /*withChannel=*/false);
  EXPECT_EQ(r.exitCode, kExitUsage);
  EXPECT_NE(r.output.find("control channel fd 3 is not open"), std::string::npos) << r.output;
}

TEST(WorkerSettings, ValidSettingsRunAndExitCleanlyWhenTheChannelCloses) {
  auto r = runWorker(
      "--worker-id=7 --log-level=debug --log-tags=ice,dtls --rtc-min-port=20000 "
      "--rtc-max-port=20100 --listen-ip=127.0.0.1 --listen-ip=::1");
  EXPECT_EQ(r.exitCode, kExitOk) << r.output;
  EXPECT_NE(r.output.find("[worker 7]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rtc ports 20000-20100"), std::string::npos) << r.output;
}

TEST(WorkerSettings, HelpAndVersion) {
  auto help = runWorker("--help");
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_NE(help.output.find("--rtc-min-port"), std::string::npos);
  auto version = runWorker("--version");
  EXPECT_EQ(version.exitCode, 0);
  EXPECT_NE(version.output.find("switchyard-worker "), std::string::npos);
}

TEST(WorkerSettings, ParserFillsEveryField) {
  const char* argv[] = {"w",
                        "--worker-id=3",
                        "--log-level=warn",
                        "--log-tags=rtp,rtcp",
                        "--log-stderr=false",
                        "--rtc-min-port=40000",
                        "--rtc-max-port=40010",
                        "--listen-ip=10.0.0.1",
                        "--cpu=1",
                        "--channel-fds=5,6"};
  auto r = parseSettings(10, const_cast<char**>(argv));
  ASSERT_TRUE(std::holds_alternative<Settings>(r));
  const auto& s = std::get<Settings>(r);
  EXPECT_EQ(s.workerId, 3u);
  EXPECT_EQ(s.logLevel, "warn");
  EXPECT_EQ(s.logTags, (std::vector<std::string>{"rtp", "rtcp"}));
  EXPECT_FALSE(s.logToStderr);
  EXPECT_EQ(s.rtcMinPort, 40000);
  EXPECT_EQ(s.rtcMaxPort, 40010);
  EXPECT_EQ(s.listenIps, (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_EQ(s.cpu, 1);
  EXPECT_EQ(Settings{}.cpu, -1);  // not pinned unless asked
  EXPECT_EQ(s.channelReadFd, 5);
  EXPECT_EQ(s.channelWriteFd, 6);
}

}  // namespace
}  // namespace switchyard::worker
