#pragma once
// Loss, duplicate and reordering accounting for one received stream, from a wrapping counter:
// the 16-bit RTP sequence number or the 32-bit packet counter of the load generator's payload
// header. Tracking starts at the first packet seen, whatever its value, because a forwarder may
// rewrite sequence numbers with a constant offset per output. Counters are extended to 64 bits
// by the nearest distance to the highest one seen (RFC 3550 appendix A.1 in spirit), and a
// bitmap of the last kWindow indices tells a late packet from a duplicate. Fixed size, no
// allocation.
//
// Definitions: unique = packets counted once; duplicates = a repeat of an index still in the
// window; reordered = an index below the highest already seen (arrived late), not a duplicate;
// lost = indices between the lowest and highest seen that never arrived. A packet older than the
// window cannot be checked for repeats: it counts as reordered and unique (tooOld() says how
// many).

#include <array>
#include <cstddef>
#include <cstdint>

namespace switchyard::bench {

class SequenceTracker {
 public:
  static constexpr size_t kWindow = 2048;  // indices remembered below the highest
  static constexpr size_t kWords = kWindow / 64;

  // One packet with a 16-bit (RTP sequence number) or a 32-bit counter.
  void onSequence16(uint16_t sequence) { onValue(sequence, 16); }
  void onCounter32(uint32_t counter) { onValue(counter, 32); }

  uint64_t received() const { return received_; }
  uint64_t unique() const { return received_ - duplicates_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t reordered() const { return reordered_; }
  uint64_t tooOld() const { return tooOld_; }
  uint64_t expected() const { return received_ == 0 ? 0 : uint64_t(highest_ - lowest_) + 1; }
  uint64_t lost() const {
    const uint64_t e = expected(), u = unique();
    return e > u ? e - u : 0;
  }

 private:
  void onValue(uint64_t value, unsigned bits) {
    ++received_;
    const uint64_t modulus = uint64_t{1} << bits;
    if (received_ == 1) {
      // Start far from zero so that packets "before" the first (reordered) stay positive.
      highest_ = lowest_ = kOrigin + int64_t(value);
      mark(highest_);
      return;
    }
    // Distance from the highest index, taken the short way round the wrap.
    const uint64_t lowBits = uint64_t(highest_) & (modulus - 1);
    int64_t delta = int64_t((value - lowBits) & (modulus - 1));
    if (delta >= int64_t(modulus / 2)) delta -= int64_t(modulus);
    const int64_t index = highest_ + delta;
    if (delta > 0) {
      advance(uint64_t(delta));
      highest_ = index;
      mark(index);
      return;
    }
    if (index < lowest_) lowest_ = index;
    if (uint64_t(-delta) >= kWindow) {
      ++tooOld_;
      ++reordered_;
      return;
    }
    if (isMarked(index)) {
      ++duplicates_;
    } else {
      ++reordered_;
      mark(index);
    }
  }

  // The window moves up by `by`: the bits of indices falling out below are dropped, those of
  // the new indices start clear. Bit (index % kWindow) belongs to index while it is in the window.
  void advance(uint64_t by) {
    if (by >= kWindow) {
      bits_.fill(0);
      return;
    }
    for (uint64_t i = 1; i <= by; ++i) {
      clear(highest_ + int64_t(i));
    }
  }

  static size_t slot(int64_t index) { return size_t(uint64_t(index) % kWindow); }
  void mark(int64_t index) { bits_[slot(index) / 64] |= uint64_t{1} << (slot(index) % 64); }
  void clear(int64_t index) { bits_[slot(index) / 64] &= ~(uint64_t{1} << (slot(index) % 64)); }
  bool isMarked(int64_t index) const { return (bits_[slot(index) / 64] >> (slot(index) % 64)) & 1; }

  static constexpr int64_t kOrigin = int64_t{1} << 40;

  std::array<uint64_t, kWords> bits_{};
  int64_t highest_ = 0;
  int64_t lowest_ = 0;
  uint64_t received_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t reordered_ = 0;
  uint64_t tooOld_ = 0;
};

}  // namespace switchyard::bench
