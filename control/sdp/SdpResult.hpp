#pragma once
// The result of an SDP operation: the value, or an error a person can read. Parse errors name
// the 1-based line of the input they refer to ("line 7: bad m= line"); nothing here throws.

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace switchyard::control::sdp {

struct SdpError {
  size_t line = 0;  // 1-based line of the input; 0 when not tied to one line
  std::string message;

  // "line 7: bad m= line", or the bare message when line is 0.
  std::string toString() const {
    return line == 0 ? message : "line " + std::to_string(line) + ": " + message;
  }
};

template <typename T, typename E = SdpError>
class SdpResult {
 public:
  SdpResult(const T& value) : v_(value) {}        // NOLINT: implicit by design
  SdpResult(T&& value) : v_(std::move(value)) {}  // NOLINT
  SdpResult(const E& error) : v_(error) {}        // NOLINT
  SdpResult(E&& error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

inline SdpError sdpError(size_t line, std::string message) {
  return SdpError{line, std::move(message)};
}

}  // namespace switchyard::control::sdp
