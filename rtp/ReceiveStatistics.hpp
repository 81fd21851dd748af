#pragma once
// Reception statistics of one incoming RTP source (one SSRC), as RFC 3550 A.1 (sequence
// validity, probation, restarts), A.3 (expected and lost packets) and A.8 (interarrival jitter)
// describe them, and the fields of the RTCP report block (RFC 3550 6.4.1) that carries them.
// Times are given by the caller; nothing here reads a clock. A new SSRC gets a new instance (or
// reset()).

#include <cstdint>
#include <optional>

namespace switchyard::rtp {

// RFC 3550 A.1: packets in sequence before a new source counts as valid.
inline constexpr int kMinSequential = 2;
// RFC 3550 A.1: largest forward jump still taken as loss rather than a restart.
inline constexpr uint16_t kMaxDropout = 3000;
// RFC 3550 A.1: largest backward distance still taken as reordering rather than a restart.
inline constexpr uint16_t kMaxMisorder = 100;
// RFC 3550 6.4.1: cumulative number of packets lost is a signed 24-bit field.
inline constexpr int32_t kMaxCumulativeLost = 0x7FFFFF;
inline constexpr int32_t kMinCumulativeLost = -0x800000;

// The fields of one RTCP reception report block (RFC 3550 6.4.1), ready to serialize.
struct ReportBlockFields {
  uint32_t ssrc = 0;
  uint8_t fractionLost = 0;    // lost since the previous report, in 1/256
  int32_t cumulativeLost = 0;  // clamped to [kMinCumulativeLost, kMaxCumulativeLost]
  uint32_t extendedHighestSeq = 0;
  uint32_t jitter = 0;            // RTP timestamp units
  uint32_t lastSr = 0;            // middle 32 bits of the last SR's NTP timestamp, 0 if none
  uint32_t delaySinceLastSr = 0;  // 1/65536 s since that SR arrived, 0 if none

  bool operator==(const ReportBlockFields&) const = default;
};

class ReceiveStatistics {
 public:
  // clockRateHz converts arrival times to RTP timestamp units for jitter; 0 disables jitter.
  ReceiveStatistics(uint32_t ssrc, uint32_t clockRateHz);

  // One arriving packet. Returns true when it counts as a valid packet of the source (A.1):
  // false while on probation and for the first packet after a large jump. arrivalUs is any
  // monotonic time in microseconds.
  bool onPacket(uint16_t seq, uint32_t rtpTimestamp, int64_t arrivalUs);

  // An RTCP sender report from this source arrived: remembers its NTP middle 32 bits for LSR.
  void onSenderReport(uint32_t ntpMiddle32, int64_t arrivalUs);

  // The report block for this source at nowUs, and starts a new fraction-lost interval (A.3).
  // Empty while no valid packet has been received.
  std::optional<ReportBlockFields> makeReportBlock(int64_t nowUs);

  uint32_t ssrc() const { return ssrc_; }
  uint32_t clockRate() const { return clockRate_; }
  // Whether any packet has been validated since construction or reset().
  bool valid() const { return valid_; }
  // Valid packets counted since the last (re)initialization, duplicates included (A.3).
  uint64_t received() const { return received_; }
  // Packets counted since the previous makeReportBlock().
  bool receivedSinceLastReport() const { return received_ != receivedPrior_; }
  uint32_t extendedHighestSeq() const { return static_cast<uint32_t>(cycles_ + maxSeq_); }
  int64_t expected() const;
  // expected - received, unclamped; negative when duplicates outnumber losses.
  int64_t cumulativeLost() const;
  // Interarrival jitter estimate in RTP timestamp units (A.8).
  uint32_t jitter() const;
  // Times a large jump was accepted as a restart of the sequence.
  uint64_t restarts() const { return restarts_; }
  // Packets not counted (probation, unconfirmed large jumps).
  uint64_t invalidPackets() const { return invalid_; }

  void reset();

 private:
  void initSeq(uint16_t seq);
  enum class SeqVerdict : uint8_t { kInvalid, kNewest, kOlder };
  SeqVerdict updateSeq(uint16_t seq);
  void updateJitter(uint32_t rtpTimestamp, int64_t arrivalUs);
  int64_t toRtpUnits(int64_t us) const;

  uint32_t ssrc_;
  uint32_t clockRate_;

  // RFC 3550 A.1 source state.
  bool seen_ = false;
  bool valid_ = false;
  uint16_t maxSeq_ = 0;
  uint64_t cycles_ = 0;  // count of wraps, shifted left 16 (so cycles_ + maxSeq_ is extended)
  uint32_t baseSeq_ = 0;
  uint32_t badSeq_ = 0;  // RTP_SEQ_MOD + 1 when no jump is pending
  int probation_ = 0;
  uint64_t received_ = 0;
  uint64_t receivedPrior_ = 0;
  int64_t expectedPrior_ = 0;

  // RFC 3550 A.8, jitter kept scaled by 16 as the RFC's integer form does.
  uint64_t jitterQ4_ = 0;
  bool haveJitterSample_ = false;
  uint32_t lastJitterTimestamp_ = 0;
  int64_t lastJitterArrivalUs_ = 0;

  bool haveSr_ = false;
  uint32_t lastSrNtpMiddle_ = 0;
  int64_t lastSrArrivalUs_ = 0;

  uint64_t restarts_ = 0;
  uint64_t invalid_ = 0;
};

}  // namespace switchyard::rtp
