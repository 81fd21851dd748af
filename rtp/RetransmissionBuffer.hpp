#pragma once
// Sender-side memory of sent RTP packets of one stream, to answer NACKs (RFC 4585 6.2.1) with a
// resend or an RTX packet (RFC 4588). A ring indexed by sequence number (O(1) store and
// lookup, wrap-safe through an unwrapper), bounded in packets and in age. Packets live in
// PacketPool buffers, so storing moves a handle and allocates nothing. Each packet counts its
// resends and is not resent again within one RTT of the previous resend.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "rtp/PacketPool.hpp"
#include "rtp/SequenceUnwrapper.hpp"

namespace switchyard::rtp {

// Packets kept (rounded up to a power of two): about 2 s of 5 Mbps video in 1200-byte packets.
inline constexpr size_t kDefaultRetransmissionCapacity = 1024;
// Packets older than this are not resent: a NACK answered later arrives too late to be played.
inline constexpr int64_t kDefaultRetransmissionMaxAgeMs = 1000;
// Resends of one packet before further NACKs for it are refused.
inline constexpr uint8_t kDefaultMaxResendsPerPacket = 10;
// Floor on the spacing of two resends of one packet, whatever the RTT.
inline constexpr int64_t kMinResendIntervalMs = 5;

struct RetransmissionBufferConfig {
  size_t capacity = kDefaultRetransmissionCapacity;
  int64_t maxAgeMs = kDefaultRetransmissionMaxAgeMs;
  uint8_t maxResendsPerPacket = kDefaultMaxResendsPerPacket;
};

enum class ResendStatus : uint8_t {
  kOk,              // resend the packet
  kUnknown,         // never stored, already overwritten, or ahead of the newest stored
  kExpired,         // stored, but older than maxAgeMs
  kTooSoon,         // resent less than one RTT ago
  kTooManyResends,  // resent maxResendsPerPacket times already
};

struct ResendResult {
  ResendStatus status = ResendStatus::kUnknown;
  const PooledPacket* packet = nullptr;  // set when status is kOk; valid until the next store
  uint8_t resendCount = 0;               // resends so far, this one included
};

class RetransmissionBuffer {
 public:
  // pool supplies buffers for store(seq, bytes, ...) and must outlive the buffer.
  explicit RetransmissionBuffer(PacketPool& pool, const RetransmissionBufferConfig& config = {});

  // Keeps a sent packet. False (and the packet dropped) if the handle is empty or seq is older
  // than the window. A packet already stored under seq is replaced. Sequence numbers are
  // expected to advance (a sender's own); one more than half the range behind the newest
  // counts as old.
  bool store(uint16_t seq, PooledPacket packet, int64_t nowMs);
  // Copies bytes into a pool buffer and keeps it. False also when the pool refuses.
  bool store(uint16_t seq, std::span<const uint8_t> bytes, int64_t nowMs);

  // Answers a NACK for seq: the packet when it may be resent now, counting the resend.
  ResendResult resend(uint16_t seq, int64_t nowMs, int64_t rttMs);

  // The stored, unexpired packet for seq, without counting anything.
  const PooledPacket* find(uint16_t seq, int64_t nowMs) const;

  // Packets held now (expired ones are released as newer packets are stored).
  size_t size() const { return stored_; }
  size_t capacity() const { return slots_.size(); }
  void clear();

  // Counters.
  uint64_t resends() const { return resends_; }
  uint64_t refusedTooSoon() const { return refusedTooSoon_; }
  uint64_t refusedTooMany() const { return refusedTooMany_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Slot {
    PooledPacket packet;
    int64_t ext = 0;
    int64_t storedMs = 0;
    int64_t lastResendMs = 0;
    uint8_t resendCount = 0;
  };

  // The slot holding ext, or nullptr.
  Slot* lookup(int64_t ext);
  const Slot* lookup(int64_t ext) const;
  int64_t extOf(uint16_t seq) const;
  void releaseExpired(int64_t nowMs);

  PacketPool& pool_;
  RetransmissionBufferConfig config_;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  SeqNumUnwrapper unwrapper_;
  int64_t oldest_ = 0;  // no live packet below this ext
  size_t stored_ = 0;

  uint64_t resends_ = 0;
  uint64_t refusedTooSoon_ = 0;
  uint64_t refusedTooMany_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace switchyard::rtp
