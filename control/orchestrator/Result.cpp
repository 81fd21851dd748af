#include "control/orchestrator/Result.hpp"

namespace switchyard::control {

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kError:
      return "error";
    case ErrorKind::kTypeError:
      return "type error";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kUnknownMethod:
      return "unknown method";
    case ErrorKind::kNotImplemented:
      return "not implemented";
    case ErrorKind::kInvalidState:
      return "invalid state";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kWorkerDied:
      return "worker died";
    case ErrorKind::kChannelClosed:
      return "channel closed";
    case ErrorKind::kQueueFull:
      return "queue full";
    case ErrorKind::kTooLarge:
      return "too large";
    case ErrorKind::kBadResponse:
      return "bad response";
    case ErrorKind::kSpawnFailed:
      return "spawn failed";
  }
  return "error";
}

}  // namespace switchyard::control
