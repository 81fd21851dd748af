// The echo reference's child: the least a process can do per request (read, write back), so the
// round trip it allows is the floor any worker is measured against.

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>

#include "bench/ChannelBench.hpp"

namespace switchyard::bench {

namespace {

// One read takes whatever the client has sent, however many frames that is (a window of 16
// WORKER_DUMP requests is well under 1 KiB).
constexpr size_t kEchoBufferBytes = 64 * 1024;

constexpr int kExitOk = 0;
constexpr int kExitIoError = 1;

bool writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

int runEchoChild(int /*argc*/, char** /*argv*/) {
  // The client closing first must end the loop with an error, not kill us mid-write.
  std::signal(SIGPIPE, SIG_IGN);
  static char buffer[kEchoBufferBytes];
  for (;;) {
    ssize_t n = ::read(kChildChannelFd, buffer, sizeof(buffer));
    if (n == 0) return kExitOk;  // the client is done
    if (n < 0) {
      if (errno == EINTR) continue;
      return kExitIoError;
    }
    if (!writeAll(kChildChannelFd, buffer, static_cast<size_t>(n))) return kExitIoError;
  }
}

}  // namespace switchyard::bench
