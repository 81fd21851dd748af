#include "rtp/NackGenerator.hpp"

#include <algorithm>
#include <bit>

namespace switchyard::rtp {

NackGenerator::NackGenerator(const NackGeneratorConfig& config) : config_(config) {
  config_.maxEntries = std::max<size_t>(config_.maxEntries, 1);
  // Twice the live bound, so a compaction always frees at least half the ring.
  const size_t capacity = std::bit_ceil(config_.maxEntries * 2);
  ring_.resize(capacity);
  ringMask_ = capacity - 1;
}

void NackGenerator::reset() {
  started_ = false;
  newest_ = 0;
  unwrapper_.reset();
  clearEntries();
  head_ = tail_ = 0;
  keyframeHead_ = keyframeCount_ = 0;
  recoveredCount_ = recoveredNext_ = 0;
  staleRun_ = 0;
}

uint64_t NackGenerator::lowerBound(int64_t ext) const {
  uint64_t lo = head_;
  uint64_t hi = tail_;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (at(mid).ext < ext) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void NackGenerator::popDeadFront() {
  while (head_ < tail_ && !at(head_).live)
    ++head_;
}

void NackGenerator::compact() {
  uint64_t write = head_;
  for (uint64_t read = head_; read < tail_; ++read) {
    if (at(read).live) {
      if (write != read) at(write) = at(read);
      ++write;
    }
  }
  tail_ = write;
}

void NackGenerator::append(int64_t ext, int64_t nowMs) {
  if (tail_ - head_ == ring_.size()) compact();
  Entry& e = at(tail_++);
  e.ext = ext;
  e.detectedMs = nowMs;
  e.lastSentMs = nowMs;
  e.retries = 0;
  e.live = true;
  ++live_;
}

void NackGenerator::kill(uint64_t pos) {
  at(pos).live = false;
  --live_;
}

size_t NackGenerator::dropBefore(int64_t bound) {
  size_t dropped = 0;
  while (head_ < tail_ && at(head_).ext < bound) {
    if (at(head_).live) {
      at(head_).live = false;
      --live_;
      ++dropped;
    }
    ++head_;
  }
  popDeadFront();
  return dropped;
}

void NackGenerator::clearEntries() {
  for (uint64_t pos = head_; pos < tail_; ++pos)
    at(pos).live = false;
  head_ = tail_;
  live_ = 0;
}

bool NackGenerator::isMissing(uint16_t seq) const {
  if (!started_) return false;
  const int64_t ext = unwrapper_.peek(seq);
  const uint64_t pos = lowerBound(ext);
  return pos < tail_ && at(pos).ext == ext && at(pos).live;
}

void NackGenerator::recordKeyframe(int64_t ext) {
  if (keyframeCount_ > 0) {
    const size_t last = (keyframeHead_ + keyframeCount_ - 1) % kMaxTrackedKeyframes;
    if (keyframes_[last] >= ext) return;  // keep the list ascending
  }
  if (keyframeCount_ == kMaxTrackedKeyframes) {
    keyframeHead_ = (keyframeHead_ + 1) % kMaxTrackedKeyframes;
    --keyframeCount_;
  }
  keyframes_[(keyframeHead_ + keyframeCount_) % kMaxTrackedKeyframes] = ext;
  ++keyframeCount_;
}

bool NackGenerator::isRecoveredAhead(int64_t ext) const {
  for (size_t i = 0; i < recoveredCount_; ++i) {
    if (recovered_[i] == ext) return true;
  }
  return false;
}

void NackGenerator::rememberRecovered(int64_t ext) {
  if (isRecoveredAhead(ext)) return;
  if (recoveredCount_ < kMaxTrackedRecovered) {
    recovered_[recoveredCount_++] = ext;
  } else {
    // Full: forget one; the worst outcome is one needless NACK.
    recovered_[recoveredNext_] = ext;
    recoveredNext_ = (recoveredNext_ + 1) % kMaxTrackedRecovered;
  }
}

void NackGenerator::forgetRecoveredUpTo(int64_t ext) {
  for (size_t i = 0; i < recoveredCount_;) {
    if (recovered_[i] <= ext) {
      recovered_[i] = recovered_[--recoveredCount_];
    } else {
      ++i;
    }
  }
  if (recoveredNext_ >= recoveredCount_) recoveredNext_ = 0;
}

void NackGenerator::startOver(uint16_t seq) {
  reset();
  started_ = true;
  newest_ = unwrapper_.unwrap(seq);
  ++restarts_;
}

bool NackGenerator::advanceTo(int64_t ext, int64_t nowMs) {
  bool beyondRepair = false;

  // Entries that fell out of the packet-age window are lost for good.
  const size_t aged = dropBefore(ext - config_.maxAgePackets);
  if (aged > 0) {
    givenUp_ += aged;
    beyondRepair = true;
  }

  const int64_t gap = ext - newest_ - 1;
  bool addGap = gap > 0;
  if (addGap && live_ + static_cast<uint64_t>(gap) > config_.maxEntries) {
    // Too many to track: first forget what only frames before a keyframe needed.
    for (size_t i = 0; i < keyframeCount_; ++i) {
      if (live_ + static_cast<uint64_t>(gap) <= config_.maxEntries) break;
      dropBefore(keyframes_[(keyframeHead_ + i) % kMaxTrackedKeyframes]);
    }
    if (live_ + static_cast<uint64_t>(gap) > config_.maxEntries) {
      const bool startsKeyframe =
          keyframeCount_ > 0 &&
          keyframes_[(keyframeHead_ + keyframeCount_ - 1) % kMaxTrackedKeyframes] == ext;
      if (!startsKeyframe) {
        // Nothing short of a keyframe repairs this.
        ++overflows_;
        givenUp_ += live_;
        beyondRepair = true;
      }
      // A keyframe starting right here makes the whole gap unnecessary.
      clearEntries();
      addGap = false;
    }
  }
  if (addGap) {
    for (int64_t missing = newest_ + 1; missing < ext; ++missing) {
      if (recoveredCount_ == 0 || !isRecoveredAhead(missing)) append(missing, nowMs);
    }
  }

  newest_ = unwrapper_.unwrap(static_cast<uint16_t>(ext));
  if (recoveredCount_ > 0) forgetRecoveredUpTo(newest_);
  return beyondRepair;
}

NackPacketResult NackGenerator::onPacket(uint16_t seq, int64_t nowMs, NackPacketInfo info) {
  NackPacketResult result;
  if (!started_) {
    started_ = true;
    newest_ = unwrapper_.unwrap(seq);
    if (info.keyframe) recordKeyframe(newest_);
    return result;
  }

  const int64_t ext = unwrapper_.peek(seq);
  if (ext == newest_) return result;  // duplicate of the newest

  if (ext < newest_) {
    if (newest_ - ext > config_.maxAgePackets) {
      // Far behind: a few of these in sequence mean the sender restarted its numbering.
      if (!info.retransmitted) {
        staleRun_ = (staleRun_ > 0 && ext == staleNext_) ? staleRun_ + 1 : 1;
        staleNext_ = ext + 1;
        if (staleRun_ >= kRestartSequentialPackets) startOver(seq);
      }
      return result;
    }
    staleRun_ = 0;
    // Late, repaired or duplicate: take it off the list if it is there.
    const uint64_t pos = lowerBound(ext);
    if (pos < tail_ && at(pos).ext == ext && at(pos).live) {
      result.wasMissing = true;
      result.nacksSent = at(pos).retries;
      if (at(pos).retries > 0) ++repaired_;
      kill(pos);
      popDeadFront();
    }
    return result;
  }

  staleRun_ = 0;
  if (info.retransmitted) {
    // Repaired ahead of the newest: it says nothing about what was lost before it, so do not
    // move the newest; just keep it out of the gap when that is filled.
    rememberRecovered(ext);
    return result;
  }
  if (info.keyframe) recordKeyframe(ext);
  result.keyframeRequired = advanceTo(ext, nowMs);
  return result;
}

NackBatch NackGenerator::collect(int64_t nowMs, std::span<uint16_t> out) {
  NackBatch batch;
  const int64_t retryIntervalMs = std::max(rttMs_, kMinNackRetryIntervalMs);
  for (uint64_t pos = head_; pos < tail_; ++pos) {
    Entry& e = at(pos);
    if (!e.live) continue;
    const bool lastChancePassed =
        e.retries >= config_.maxRetries && nowMs - e.lastSentMs >= retryIntervalMs;
    if (lastChancePassed || nowMs - e.detectedMs > config_.maxAgeMs) {
      kill(pos);
      ++givenUp_;
      batch.keyframeRequired = true;
      continue;
    }
    if (e.retries >= config_.maxRetries) continue;
    const bool due = e.retries == 0 ? (newest_ - e.ext >= config_.reorderPackets ||
                                       nowMs - e.detectedMs >= config_.reorderDelayMs)
                                    : nowMs - e.lastSentMs >= retryIntervalMs;
    if (!due || batch.count == out.size()) continue;
    out[batch.count++] = static_cast<uint16_t>(e.ext);
    ++e.retries;
    e.lastSentMs = nowMs;
    ++nacksSent_;
  }
  popDeadFront();
  return batch;
}

void NackGenerator::clearOlderThan(uint16_t seq) {
  if (!started_) return;
  dropBefore(unwrapper_.peek(seq));
}

}  // namespace switchyard::rtp
