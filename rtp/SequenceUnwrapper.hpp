#pragma once
// Extends wrapping RTP counters (16-bit sequence numbers, 32-bit timestamps) to int64 so that
// ordering and distances stay correct across wrap-around, in either direction. RFC 3550 A.1
// keeps a cycle count for the same reason; here the reference is the highest value seen, and a
// new value is taken as the int64 nearest to it (a later packet moves the reference forward, a
// reordered one does not).

#include <cstdint>
#include <type_traits>

namespace switchyard::rtp {

template <typename T>
class Unwrapper {
  static_assert(std::is_unsigned_v<T> && sizeof(T) < sizeof(int64_t), "unsigned, narrower than 64");
  using Signed = std::make_signed_t<T>;

 public:
  // Distance at which a value counts as behind the reference rather than ahead: exactly half the
  // range is read as backwards (as a signed cast of the difference does).
  static constexpr int64_t kHalfRange = int64_t{1} << (8 * sizeof(T) - 1);

  // Unwraps value and moves the reference forward when value is the newest seen. The first value
  // unwraps to itself; values before it may unwrap to negative numbers.
  int64_t unwrap(T value) {
    const int64_t ext = peek(value);
    if (!has_ || ext > highest_) {
      highest_ = ext;
      has_ = true;
    }
    return ext;
  }

  // What unwrap() would return, without changing the reference.
  int64_t peek(T value) const {
    if (!has_) return static_cast<int64_t>(value);
    const T delta = static_cast<T>(value - static_cast<T>(highest_));
    return highest_ + static_cast<Signed>(delta);
  }

  bool hasValue() const { return has_; }
  // Highest unwrapped value so far; meaningful only when hasValue().
  int64_t highest() const { return highest_; }

  void reset() {
    has_ = false;
    highest_ = 0;
  }

 private:
  int64_t highest_ = 0;
  bool has_ = false;
};

using SeqNumUnwrapper = Unwrapper<uint16_t>;
using TimestampUnwrapper = Unwrapper<uint32_t>;

}  // namespace switchyard::rtp
