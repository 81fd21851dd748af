// switchyard-worker: one media worker process, driven by the orchestrator over the control
// channel on inherited file descriptors.

#include <fcntl.h>
#include <uv.h>

#include <cstdio>
#include <variant>

#include "worker/CpuPinning.hpp"
#include "worker/Settings.hpp"
#include "worker/Worker.hpp"

int main(int argc, char* argv[]) {
  using namespace switchyard::worker;
  auto parsed = parseSettings(argc, argv);
  if (auto* info = std::get_if<SettingsInfo>(&parsed)) {
    std::fputs(info->text.c_str(), stdout);
    return kExitOk;
  }
  if (auto* error = std::get_if<SettingsError>(&parsed)) {
    std::fprintf(stderr, "switchyard-worker: %s\n(see switchyard-worker --help)\n",
                 error->message.c_str());
    return kExitUsage;
  }
  const auto& settings = std::get<Settings>(parsed);
  // Checked before uv_loop_init, which opens descriptors of its own that could take a free
  // channel fd number and make a missing channel look present.
  for (int fd : {settings.channelReadFd, settings.channelWriteFd}) {
    if (fcntl(fd, F_GETFD) == -1) {
      std::fprintf(stderr,
                   "switchyard-worker: control channel fd %d is not open (workers are started "
                   "by switchyard; see --help)\n",
                   fd);
      return kExitUsage;
    }
  }
  // Before the loop, so every thread libuv may start inherits the same CPU.
  if (settings.cpu >= 0) {
    if (auto error = pinToCpu(settings.cpu)) {
      std::fprintf(stderr, "switchyard-worker: --cpu=%d: %s\n", settings.cpu, error->c_str());
      return kExitUsage;
    }
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  int code;
  {
    Worker worker(&loop, std::get<Settings>(std::move(parsed)));
    code = worker.run();
  }
  // Every handle is closed by now; a non-zero result would be a leak worth knowing about.
  if (uv_loop_close(&loop) != 0) {
    std::fprintf(stderr, "switchyard-worker: handles left open at exit\n");
  }
  return code;
}
