#include "rtp/KeyframeRequestManager.hpp"

namespace switchyard::rtp {

KeyframeRequestManager::KeyframeRequestManager(const KeyframeRequestConfig& config)
    : config_(config) {}

void KeyframeRequestManager::request(int64_t nowMs) {
  if (state_ == State::kIdle) {
    // A new need. The interval since the last request has always passed here: the state only
    // returns to idle through a keyframe or after a full interval without one.
    state_ = State::kWanted;
    wantedSinceMs_ = nowMs;
  } else {
    ++coalesced_;  // the outstanding request's keyframe serves this need too
  }
}

void KeyframeRequestManager::onKeyframe(int64_t /*nowMs*/) {
  state_ = State::kIdle;
  retries_ = 0;
}

std::optional<int64_t> KeyframeRequestManager::nextPollMs() const {
  switch (state_) {
    case State::kIdle:
      return std::nullopt;
    case State::kWanted:
      return wantedSinceMs_;
    case State::kAwaiting:
      return lastSentMs_ + config_.intervalMs;
  }
  return std::nullopt;
}

std::optional<KeyframeRequest> KeyframeRequestManager::poll(int64_t nowMs) {
  if (state_ == State::kIdle) return std::nullopt;
  KeyframeRequest out;
  out.kind = config_.kind;
  if (state_ == State::kWanted) {
    // RFC 5104 4.3.1.1: a new request gets the next sequence number.
    ++firSeq_;
    state_ = State::kAwaiting;
    retries_ = 0;
    ++requestsSent_;
  } else {
    if (nowMs - lastSentMs_ < config_.intervalMs) return std::nullopt;
    if (retries_ >= config_.maxRetries) {
      // The sender does not answer; stop until something needs a keyframe again.
      state_ = State::kIdle;
      ++abandoned_;
      return std::nullopt;
    }
    // A repetition keeps the sequence number, so the sender does not make two keyframes.
    ++retries_;
    ++repeatsSent_;
    out.repeat = true;
  }
  lastSentMs_ = nowMs;
  out.firSeq = firSeq_;
  return out;
}

}  // namespace switchyard::rtp
