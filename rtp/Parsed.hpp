#pragma once
// The result of parsing a wire-format element: the value, or why the bytes were rejected.
// Reasons are specific enough to count drops by cause; they never carry allocated text.

#include <cstdint>
#include <utility>
#include <variant>

namespace switchyard::rtp {

enum class ParseError : uint8_t {
  kTooShort,        // fewer bytes than the fixed header or a declared length needs
  kBadVersion,      // RTP/RTCP version is not 2
  kBadLength,       // a length field disagrees with the bytes present
  kBadPadding,      // padding count of zero or beyond the payload
  kBadExtension,    // RTP header extension block malformed (RFC 8285)
  kBadPayloadType,  // value not allowed here (e.g. RTCP type in an RTP packet)
  kUnsupported,     // well-formed but of a kind this parser does not handle
  kMalformed,       // any other inconsistency inside the element
};

const char* parseErrorName(ParseError e);

template <typename T>
class Parsed {
 public:
  // Two overloads rather than one by-value parameter: a by-value parameter costs a second copy
  // of types without a move constructor (RtpPacket copies only its used slots, by design).
  Parsed(const T& value) : v_(value) {}        // NOLINT: implicit by design
  Parsed(T&& value) : v_(std::move(value)) {}  // NOLINT
  Parsed(ParseError error) : v_(error) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  ParseError error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ParseError> v_;
};

}  // namespace switchyard::rtp
