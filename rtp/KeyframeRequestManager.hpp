#pragma once
// When to send a keyframe request (PLI, RFC 4585 6.3.1, or FIR, RFC 5104 4.3.1) for one
// stream. At most one request is outstanding: needs that arise while it is are served by the
// keyframe it asks for. Requests go out at most once per interval unless a keyframe arrived in
// between (then the previous request was answered and a new need is real), and an outstanding
// request is repeated each interval until a keyframe arrives or the retries run out. FIR
// sequence numbers advance per new request, not per repetition (RFC 5104 4.3.1.1). Times are
// caller-given milliseconds.

#include <cstdint>
#include <optional>

namespace switchyard::rtp {

// Least time between two requests with no keyframe in between, and so also how long to wait for
// the keyframe before repeating a request: a keyframe is large and the sender's encoder needs
// time, so this is several RTTs.
inline constexpr int64_t kDefaultKeyframeRequestIntervalMs = 1000;
// Repetitions of one request before it is dropped; a later need starts a new one.
inline constexpr int kDefaultKeyframeMaxRetries = 4;

enum class KeyframeRequestKind : uint8_t { kPli, kFir };

struct KeyframeRequestConfig {
  KeyframeRequestKind kind = KeyframeRequestKind::kPli;
  int64_t intervalMs = kDefaultKeyframeRequestIntervalMs;
  int maxRetries = kDefaultKeyframeMaxRetries;
};

// A request to send now.
struct KeyframeRequest {
  KeyframeRequestKind kind = KeyframeRequestKind::kPli;
  uint8_t firSeq = 0;   // the FIR command sequence number (meaningful for kFir)
  bool repeat = false;  // a repetition of the previous request

  bool operator==(const KeyframeRequest&) const = default;
};

class KeyframeRequestManager {
 public:
  explicit KeyframeRequestManager(const KeyframeRequestConfig& config = {});

  // Something needs a keyframe (a decoder, a new subscriber, unrepairable loss).
  void request(int64_t nowMs);
  // A keyframe of this stream arrived: any outstanding request is answered.
  void onKeyframe(int64_t nowMs);
  // The request to send at nowMs, if any. Call after request() and on a timer.
  std::optional<KeyframeRequest> poll(int64_t nowMs);
  // When poll() will next return a request, if nothing else happens; empty when nothing is
  // pending. May be in the past: poll now.
  std::optional<int64_t> nextPollMs() const;

  bool pending() const { return state_ != State::kIdle; }
  void setKind(KeyframeRequestKind kind) { config_.kind = kind; }

  // Counters.
  uint64_t requestsSent() const { return requestsSent_; }
  uint64_t repeatsSent() const { return repeatsSent_; }
  uint64_t coalesced() const { return coalesced_; }
  uint64_t abandoned() const { return abandoned_; }

 private:
  // kWanted: a need not yet sent; kAwaiting: sent, keyframe not yet here.
  enum class State : uint8_t { kIdle, kWanted, kAwaiting };

  KeyframeRequestConfig config_;
  State state_ = State::kIdle;
  int64_t wantedSinceMs_ = 0;
  int64_t lastSentMs_ = 0;
  int retries_ = 0;
  uint8_t firSeq_ = 0;

  uint64_t requestsSent_ = 0;
  uint64_t repeatsSent_ = 0;
  uint64_t coalesced_ = 0;
  uint64_t abandoned_ = 0;
};

}  // namespace switchyard::rtp
