#include "rtp/ReceiveStatistics.hpp"

#include <algorithm>
#include <limits>

namespace switchyard::rtp {

namespace {

constexpr uint32_t kSeqMod = 1u << 16;       // RFC 3550 A.1 RTP_SEQ_MOD
constexpr uint32_t kNoBadSeq = kSeqMod + 1;  // bad_seq value no 16-bit seq can equal
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr uint8_t kMaxFractionLost = 255;         // 8-bit field; 256/256 is reported as 255
constexpr int64_t kDlsrUnitsPerSecond = 1 << 16;  // RFC 3550 6.4.1: DLSR in 1/65536 s

}  // namespace

ReceiveStatistics::ReceiveStatistics(uint32_t ssrc, uint32_t clockRateHz)
    : ssrc_(ssrc), clockRate_(clockRateHz) {}

void ReceiveStatistics::reset() {
  *this = ReceiveStatistics(ssrc_, clockRate_);
}

// RFC 3550 A.1 init_seq.
void ReceiveStatistics::initSeq(uint16_t seq) {
  baseSeq_ = seq;
  maxSeq_ = seq;
  badSeq_ = kNoBadSeq;
  cycles_ = 0;
  received_ = 0;
  receivedPrior_ = 0;
  expectedPrior_ = 0;
  // A restarted sender may also have a new timestamp base: do not diff across it.
  haveJitterSample_ = false;
}

// RFC 3550 A.1 update_seq, also telling whether the packet is the newest so far.
ReceiveStatistics::SeqVerdict ReceiveStatistics::updateSeq(uint16_t seq) {
  if (!seen_) {
    seen_ = true;
    initSeq(seq);
    maxSeq_ = static_cast<uint16_t>(seq - 1);
    probation_ = kMinSequential;
  }
  const uint16_t udelta = static_cast<uint16_t>(seq - maxSeq_);

  if (probation_ > 0) {
    // The RFC compares with max_seq + 1 in int; compare in 16 bits so probation crosses a wrap.
    if (seq == static_cast<uint16_t>(maxSeq_ + 1)) {
      --probation_;
      maxSeq_ = seq;
      if (probation_ == 0) {
        initSeq(seq);
        ++received_;
        valid_ = true;
        return SeqVerdict::kNewest;
      }
    } else {
      probation_ = kMinSequential - 1;
      maxSeq_ = seq;
    }
    return SeqVerdict::kInvalid;
  }

  SeqVerdict verdict = SeqVerdict::kOlder;
  if (udelta < kMaxDropout) {
    // In order, with a permissible gap (or a duplicate of the highest).
    if (seq < maxSeq_) cycles_ += kSeqMod;
    maxSeq_ = seq;
    if (udelta != 0) verdict = SeqVerdict::kNewest;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // A very large jump: accept it only when the next packet follows it (the sender restarted
    // without changing SSRC); until then the packet is not counted.
    if (seq != badSeq_) {
      badSeq_ = (seq + 1u) & (kSeqMod - 1);
      return SeqVerdict::kInvalid;
    }
    initSeq(seq);
    ++restarts_;
    verdict = SeqVerdict::kNewest;
  }
  // Otherwise a duplicate or reordered packet: counted, highest unchanged.
  ++received_;
  return verdict;
}

int64_t ReceiveStatistics::toRtpUnits(int64_t us) const {
  // Split at whole seconds so that us * rate cannot overflow; round to nearest.
  const bool negative = us < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(us) : static_cast<uint64_t>(us);
  const uint64_t whole = magnitude / kMicrosPerSecond * clockRate_;
  const uint64_t frac =
      (magnitude % kMicrosPerSecond * clockRate_ + kMicrosPerSecond / 2) / kMicrosPerSecond;
  const int64_t units = static_cast<int64_t>(whole + frac);
  return negative ? -units : units;
}

// RFC 3550 A.8. Sampled on the first in-order packet of each RTP timestamp: the packets of one
// video frame share a timestamp but are paced out over time, which is not network jitter.
void ReceiveStatistics::updateJitter(uint32_t rtpTimestamp, int64_t arrivalUs) {
  if (clockRate_ == 0) return;
  if (haveJitterSample_) {
    if (rtpTimestamp == lastJitterTimestamp_) return;
    const int64_t arrivalDelta = toRtpUnits(arrivalUs - lastJitterArrivalUs_);
    const int64_t timestampDelta = static_cast<int32_t>(rtpTimestamp - lastJitterTimestamp_);
    int64_t d = arrivalDelta - timestampDelta;
    if (d < 0) d = -d;
    // J += (|D| - J) / 16, with J kept scaled by 16 (the RFC's integer form).
    jitterQ4_ = jitterQ4_ - ((jitterQ4_ + 8) >> 4) + static_cast<uint64_t>(d);
  }
  haveJitterSample_ = true;
  lastJitterTimestamp_ = rtpTimestamp;
  lastJitterArrivalUs_ = arrivalUs;
}

bool ReceiveStatistics::onPacket(uint16_t seq, uint32_t rtpTimestamp, int64_t arrivalUs) {
  const SeqVerdict verdict = updateSeq(seq);
  if (verdict == SeqVerdict::kInvalid) {
    ++invalid_;
    return false;
  }
  if (verdict == SeqVerdict::kNewest) updateJitter(rtpTimestamp, arrivalUs);
  return true;
}

void ReceiveStatistics::onSenderReport(uint32_t ntpMiddle32, int64_t arrivalUs) {
  haveSr_ = true;
  lastSrNtpMiddle_ = ntpMiddle32;
  lastSrArrivalUs_ = arrivalUs;
}

uint32_t ReceiveStatistics::jitter() const {
  return static_cast<uint32_t>(
      std::min<uint64_t>(jitterQ4_ >> 4, std::numeric_limits<uint32_t>::max()));
}

// RFC 3550 A.3.
int64_t ReceiveStatistics::expected() const {
  if (!valid_) return 0;
  return static_cast<int64_t>(cycles_ + maxSeq_) - static_cast<int64_t>(baseSeq_) + 1;
}

int64_t ReceiveStatistics::cumulativeLost() const {
  return expected() - static_cast<int64_t>(received_);
}

std::optional<ReportBlockFields> ReceiveStatistics::makeReportBlock(int64_t nowUs) {
  if (!valid_) return std::nullopt;
  ReportBlockFields block;
  block.ssrc = ssrc_;

  // RFC 3550 A.3: fraction lost over the interval since the previous report.
  const int64_t expectedNow = expected();
  const int64_t expectedInterval = expectedNow - expectedPrior_;
  const int64_t receivedInterval = static_cast<int64_t>(received_ - receivedPrior_);
  expectedPrior_ = expectedNow;
  receivedPrior_ = received_;
  const int64_t lostInterval = expectedInterval - receivedInterval;
  if (expectedInterval > 0 && lostInterval > 0) {
    block.fractionLost = static_cast<uint8_t>(
        std::min<int64_t>((lostInterval << 8) / expectedInterval, kMaxFractionLost));
  }

  block.cumulativeLost = static_cast<int32_t>(
      std::clamp<int64_t>(cumulativeLost(), kMinCumulativeLost, kMaxCumulativeLost));
  block.extendedHighestSeq = extendedHighestSeq();
  block.jitter = jitter();

  // RFC 3550 6.4.1 LSR/DLSR; both zero until an SR has been received.
  if (haveSr_) {
    block.lastSr = lastSrNtpMiddle_;
    const int64_t delayUs = std::max<int64_t>(nowUs - lastSrArrivalUs_, 0);
    const int64_t units = delayUs / kMicrosPerSecond * kDlsrUnitsPerSecond +
                          delayUs % kMicrosPerSecond * kDlsrUnitsPerSecond / kMicrosPerSecond;
    block.delaySinceLastSr =
        static_cast<uint32_t>(std::min<int64_t>(units, std::numeric_limits<uint32_t>::max()));
  }
  return block;
}

}  // namespace switchyard::rtp
