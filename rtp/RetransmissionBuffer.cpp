#include "rtp/RetransmissionBuffer.hpp"

#include <algorithm>
#include <bit>
#include <utility>

namespace switchyard::rtp {

RetransmissionBuffer::RetransmissionBuffer(PacketPool& pool,
                                           const RetransmissionBufferConfig& config)
    : pool_(pool), config_(config) {
  const size_t capacity = std::bit_ceil(std::max<size_t>(config_.capacity, 1));
  config_.capacity = capacity;
  slots_.resize(capacity);
  mask_ = capacity - 1;
}

void RetransmissionBuffer::clear() {
  for (Slot& s : slots_)
    s.packet.release();
  stored_ = 0;
  oldest_ = 0;
  unwrapper_.reset();
}

const RetransmissionBuffer::Slot* RetransmissionBuffer::lookup(int64_t ext) const {
  if (!unwrapper_.hasValue() || ext > unwrapper_.highest() || ext < oldest_) return nullptr;
  const Slot& s = slots_[static_cast<uint64_t>(ext) & mask_];
  return (s.packet && s.ext == ext) ? &s : nullptr;
}

RetransmissionBuffer::Slot* RetransmissionBuffer::lookup(int64_t ext) {
  return const_cast<Slot*>(std::as_const(*this).lookup(ext));
}

void RetransmissionBuffer::releaseExpired(int64_t nowMs) {
  const int64_t highest = unwrapper_.highest();
  const int64_t capacity = static_cast<int64_t>(slots_.size());
  const int64_t floor = highest - capacity + 1;
  if (oldest_ < floor) {
    // Out of the window: release what newer packets have not overwritten (a gap kept them).
    if (floor - oldest_ >= capacity) {
      for (Slot& s : slots_) {
        if (s.packet && s.ext < floor) {
          s.packet.release();
          --stored_;
        }
      }
    } else {
      for (int64_t ext = oldest_; ext < floor; ++ext) {
        Slot& s = slots_[static_cast<uint64_t>(ext) & mask_];
        if (s.packet && s.ext == ext) {
          s.packet.release();
          --stored_;
        }
      }
    }
    oldest_ = floor;
  }
  // Release from the old end while expired; each position is passed once, so O(1) amortized.
  while (oldest_ <= highest) {
    Slot& s = slots_[static_cast<uint64_t>(oldest_) & mask_];
    if (s.packet && s.ext == oldest_) {
      if (nowMs - s.storedMs <= config_.maxAgeMs) break;
      s.packet.release();
      --stored_;
    }
    ++oldest_;
  }
}

bool RetransmissionBuffer::store(uint16_t seq, PooledPacket packet, int64_t nowMs) {
  if (!packet) return false;
  const int64_t capacity = static_cast<int64_t>(slots_.size());
  const bool first = !unwrapper_.hasValue();
  const int64_t ext = unwrapper_.peek(seq);
  if (!first && ext <= unwrapper_.highest() - capacity) return false;
  unwrapper_.unwrap(seq);
  if (first || ext < oldest_) oldest_ = ext;

  Slot& s = slots_[static_cast<uint64_t>(ext) & mask_];
  if (s.packet) --stored_;  // replaced: a re-store of seq, or a packet a gap left behind
  s.packet = std::move(packet);
  s.ext = ext;
  s.storedMs = nowMs;
  s.lastResendMs = 0;
  s.resendCount = 0;
  ++stored_;
  releaseExpired(nowMs);
  return true;
}

bool RetransmissionBuffer::store(uint16_t seq, std::span<const uint8_t> bytes, int64_t nowMs) {
  PooledPacket packet = pool_.acquire(bytes);
  if (!packet) return false;
  return store(seq, std::move(packet), nowMs);
}

ResendResult RetransmissionBuffer::resend(uint16_t seq, int64_t nowMs, int64_t rttMs) {
  ResendResult result;
  Slot* s = unwrapper_.hasValue() ? lookup(unwrapper_.peek(seq)) : nullptr;
  if (s == nullptr) {
    ++misses_;
    return result;
  }
  result.resendCount = s->resendCount;
  if (nowMs - s->storedMs > config_.maxAgeMs) {
    ++misses_;
    result.status = ResendStatus::kExpired;
    return result;
  }
  if (s->resendCount >= config_.maxResendsPerPacket) {
    ++refusedTooMany_;
    result.status = ResendStatus::kTooManyResends;
    return result;
  }
  // The previous resend may still be in flight: another NACK within an RTT is its echo.
  if (s->resendCount > 0 && nowMs - s->lastResendMs < std::max(rttMs, kMinResendIntervalMs)) {
    ++refusedTooSoon_;
    result.status = ResendStatus::kTooSoon;
    return result;
  }
  ++s->resendCount;
  s->lastResendMs = nowMs;
  ++resends_;
  result.status = ResendStatus::kOk;
  result.packet = &s->packet;
  result.resendCount = s->resendCount;
  return result;
}

const PooledPacket* RetransmissionBuffer::find(uint16_t seq, int64_t nowMs) const {
  const Slot* s = unwrapper_.hasValue() ? lookup(unwrapper_.peek(seq)) : nullptr;
  if (s == nullptr || nowMs - s->storedMs > config_.maxAgeMs) return nullptr;
  return &s->packet;
}

}  // namespace switchyard::rtp
