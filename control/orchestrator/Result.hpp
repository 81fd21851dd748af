#pragma once
// Results of orchestrator operations: a value or an explicit error, never a silent failure.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace switchyard::control {

enum class ErrorKind : uint8_t {
  // Reported by the worker (fbs::response::ErrorType).
  kError,
  kTypeError,
  kNotFound,
  kUnknownMethod,
  kNotImplemented,
  kInvalidState,
  // Raised on the orchestrator side.
  kTimeout,        // no response within the request's timeout
  kWorkerDied,     // the worker exited or was killed with the request pending
  kChannelClosed,  // the channel is closed (worker closing or gone)
  kQueueFull,      // the channel's bounded write queue or pending-request table is full
  kTooLarge,       // the request exceeds the maximum message size
  kBadResponse,    // the worker answered with an unexpected body
  kSpawnFailed,
};

const char* errorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kError;
  std::string reason;

  std::string describe() const { return std::string(errorKindName(kind)) + ": " + reason; }
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace switchyard::control
