#pragma once
// Pinning the worker to one CPU: one worker per core, each on its own, is how the media plane
// is meant to run, and an isolated core (isolcpus, a cpuset) is only reached by pinning.

#include <optional>
#include <string>

namespace switchyard::worker {

// Restricts the calling process to `cpu`. nullopt on success, else why not (a CPU that does not
// exist, is offline, or is outside the process's cpuset).
std::optional<std::string> pinToCpu(int cpu);

}  // namespace switchyard::worker
