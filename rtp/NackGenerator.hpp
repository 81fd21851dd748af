#pragma once
// Receiver-side NACK policy for one RTP stream (RFC 4585 6.2.1 generic NACK; the policy follows
// libwebrtc's NackRequester and mediasoup's NackGenerator in spirit). Fed every arriving
// sequence number, it keeps the missing ones in a bounded list, lets a reorder tolerance pass
// before the first NACK, repeats a NACK at most maxRetries times spaced by the RTT, gives up on
// entries that are too old, and reports when the loss is beyond repair so that the caller asks
// for a keyframe. Times are caller-given milliseconds; the list is preallocated, so steady state
// allocates nothing.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "rtp/SequenceUnwrapper.hpp"

namespace switchyard::rtp {

// Missing packets tracked at once; beyond this the list is trimmed to a keyframe or cleared.
inline constexpr size_t kDefaultMaxNackEntries = 1000;
// Missing packets further behind the newest sequence number than this are given up. Keep it
// under half the sequence space (32768) so that far-behind packets can be told apart.
inline constexpr int64_t kDefaultMaxNackAgePackets = 10000;
// Missing packets first detected longer ago than this are given up: a late retransmission is
// no use to a jitter buffer.
inline constexpr int64_t kDefaultMaxNackAgeMs = 1500;
// NACKs sent for one packet before giving up on it.
inline constexpr uint8_t kDefaultMaxNackRetries = 10;
// RTT assumed until the caller provides one.
inline constexpr int64_t kDefaultNackRttMs = 100;
// Floor on the spacing of repeated NACKs for one packet, whatever the RTT.
inline constexpr int64_t kMinNackRetryIntervalMs = 20;
// Reorder tolerance: a gap is NACKed once this many newer packets have arrived after it...
inline constexpr int64_t kDefaultReorderPackets = 3;
// ...or once this long has passed since it was noticed, whichever comes first.
inline constexpr int64_t kDefaultReorderDelayMs = 10;
// Keyframe starts remembered for trimming an overfull list.
inline constexpr size_t kMaxTrackedKeyframes = 32;
// Recovered or retransmitted packets ahead of the newest, remembered so the gap they sit in does
// not NACK them.
inline constexpr size_t kMaxTrackedRecovered = 64;
// Packets that are far behind the newest and consecutive in this number mean the sender
// restarted its sequence numbers: start over from them.
inline constexpr int kRestartSequentialPackets = 2;

struct NackGeneratorConfig {
  size_t maxEntries = kDefaultMaxNackEntries;
  int64_t maxAgePackets = kDefaultMaxNackAgePackets;
  int64_t maxAgeMs = kDefaultMaxNackAgeMs;
  uint8_t maxRetries = kDefaultMaxNackRetries;
  int64_t reorderPackets = kDefaultReorderPackets;
  int64_t reorderDelayMs = kDefaultReorderDelayMs;
};

// How an arriving packet got here.
struct NackPacketInfo {
  bool keyframe = false;       // first packet of a keyframe
  bool retransmitted = false;  // came by RTX/NACK resend or FEC/RED recovery, not in sequence
};

struct NackPacketResult {
  bool wasMissing = false;        // it was on the NACK list (late arrival or repaired)
  uint8_t nacksSent = 0;          // NACKs sent for it before it arrived
  bool keyframeRequired = false;  // loss beyond repair was found while handling it
};

struct NackBatch {
  size_t count = 0;               // sequence numbers written to the output
  bool keyframeRequired = false;  // some entries were given up
};

// keyframeRequired means packets the decoder still needs are lost for good (given up, or the
// list overflowed): a video stream should ask for a keyframe; an audio stream can ignore it.

class NackGenerator {
 public:
  explicit NackGenerator(const NackGeneratorConfig& config = {});

  // One arriving packet at nowMs.
  NackPacketResult onPacket(uint16_t seq, int64_t nowMs, NackPacketInfo info = {});

  // Writes the sequence numbers to NACK now into out (oldest first) and marks them sent. When
  // out is too small the rest stay due for the next call. Call after onPacket() and on a timer.
  NackBatch collect(int64_t nowMs, std::span<uint16_t> out);

  // The decoder no longer needs packets before seq (e.g. a keyframe starting at seq was
  // decoded or forwarded): forget missing packets older than it.
  void clearOlderThan(uint16_t seq);

  void setRtt(int64_t rttMs) { rttMs_ = rttMs; }
  int64_t rtt() const { return rttMs_; }

  // Back to the state of a new stream (e.g. the SSRC changed); counters and RTT are kept.
  void reset();

  size_t missingCount() const { return live_; }
  // Whether seq is on the list now.
  bool isMissing(uint16_t seq) const;

  // Counters.
  uint64_t nacksSent() const { return nacksSent_; }
  uint64_t packetsRepaired() const { return repaired_; }
  uint64_t packetsGivenUp() const { return givenUp_; }
  uint64_t overflows() const { return overflows_; }
  uint64_t restarts() const { return restarts_; }

 private:
  struct Entry {
    int64_t ext = 0;
    int64_t detectedMs = 0;
    int64_t lastSentMs = 0;
    uint8_t retries = 0;
    bool live = false;
  };

  Entry& at(uint64_t pos) { return ring_[pos & ringMask_]; }
  const Entry& at(uint64_t pos) const { return ring_[pos & ringMask_]; }
  // First ring position whose ext is >= ext.
  uint64_t lowerBound(int64_t ext) const;
  void popDeadFront();
  void compact();
  void append(int64_t ext, int64_t nowMs);
  void kill(uint64_t pos);
  // Forgets entries with ext < bound; returns how many live ones went.
  size_t dropBefore(int64_t bound);
  void clearEntries();
  bool isRecoveredAhead(int64_t ext) const;
  void forgetRecoveredUpTo(int64_t ext);
  // Adds the gap (newest_, ext) and makes ext the newest; true if the loss is beyond repair.
  bool advanceTo(int64_t ext, int64_t nowMs);
  void startOver(uint16_t seq);
  void recordKeyframe(int64_t ext);
  void rememberRecovered(int64_t ext);

  NackGeneratorConfig config_;
  int64_t rttMs_ = kDefaultNackRttMs;

  SeqNumUnwrapper unwrapper_;
  bool started_ = false;
  int64_t newest_ = 0;

  // Missing packets in ascending ext order between head_ and tail_ (monotonic positions, masked
  // into ring_); removed entries stay as dead tombstones until popped or compacted.
  std::vector<Entry> ring_;
  uint64_t ringMask_ = 0;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
  size_t live_ = 0;

  int64_t keyframes_[kMaxTrackedKeyframes] = {};  // ascending, oldest at keyframeHead_
  size_t keyframeHead_ = 0;
  size_t keyframeCount_ = 0;

  int64_t recovered_[kMaxTrackedRecovered] = {};  // unordered set of exts ahead of newest_
  size_t recoveredCount_ = 0;
  size_t recoveredNext_ = 0;  // slot to overwrite when the set is full

  int64_t staleNext_ = 0;  // ext expected next in a run of stale packets
  int staleRun_ = 0;

  uint64_t nacksSent_ = 0;
  uint64_t repaired_ = 0;
  uint64_t givenUp_ = 0;
  uint64_t overflows_ = 0;
  uint64_t restarts_ = 0;
};

}  // namespace switchyard::rtp
