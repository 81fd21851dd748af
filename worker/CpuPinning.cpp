#include "worker/CpuPinning.hpp"

#include <sched.h>

#include <cerrno>
#include <cstring>

namespace switchyard::worker {

std::optional<std::string> pinToCpu(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return "CPU " + std::to_string(cpu) + " is out of range";
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) {
    return "cannot run on CPU " + std::to_string(cpu) + ": " + std::strerror(errno);
  }
  return std::nullopt;
}

}  // namespace switchyard::worker
