#pragma once
// The CPUs a process may run on, as the kernel reports them: for tests of worker pinning.

#include <fstream>
#include <string>

namespace switchyard::test {

// Cpus_allowed_list from /proc/PID/status ("0-1", "1"), or "" when the process is gone.
inline std::string allowedCpus(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Cpus_allowed_list:")) {
      return line.substr(line.find_first_not_of(" \t", line.find(':') + 1));
    }
  }
  return "";
}

}  // namespace switchyard::test
