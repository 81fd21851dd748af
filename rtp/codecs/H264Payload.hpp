#pragma once
// The H.264 RTP payload structure (RFC 6184 section 5) in packetization mode 1
// (non-interleaved, section 6.3): a single NAL unit (types 1-23), an STAP-A (24) or an FU-A
// (28). A view over the payload: parse() walks every aggregated NAL unit size and records
// which parameter sets and IDR slices the packet carries.
//
// Keyframe rule (what SFUs commonly use, e.g. mediasoup): a packet starts a keyframe when it
// carries an IDR slice (type 5), or both an SPS (7) and a PPS (8). An FU-A tells its NAL unit
// type only through its start fragment (S = 1): middle and end fragments count for nothing.
//
//  +---------------+
//  |0|1|2|3|4|5|6|7|   NAL unit header / payload header (section 5.3)
//  +-+-+-+-+-+-+-+-+
//  |F|NRI|  Type   |
//  +---------------+

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/ByteIo.hpp"
#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

class H264Payload {
 public:
  // RFC 6184 Table 3 (payload structure types) and H.264 Table 7-1 (NAL unit types).
  static constexpr uint8_t kSliceIdr = 5;
  static constexpr uint8_t kSps = 7;
  static constexpr uint8_t kPps = 8;
  static constexpr uint8_t kFirstSingleNalu = 1;
  static constexpr uint8_t kLastSingleNalu = 23;
  static constexpr uint8_t kStapA = 24;
  static constexpr uint8_t kStapB = 25;
  static constexpr uint8_t kMtap16 = 26;
  static constexpr uint8_t kMtap24 = 27;
  static constexpr uint8_t kFuA = 28;
  static constexpr uint8_t kFuB = 29;
  // STAP-A aggregation unit: 16-bit NAL unit size, then the NAL unit (section 5.7.1).
  static constexpr size_t kStapANaluSizeBytes = 2;
  // FU-A: FU indicator + FU header; the FU payload may be empty (section 5.8).
  static constexpr size_t kFuAHeaderSize = 2;

  enum class Kind : uint8_t { kSingleNalu, kStapA, kFuA };

  // Walks the complete NAL units of a single NAL unit packet or an STAP-A (none for an FU-A),
  // each as its bytes from the NAL unit header on.
  class NaluIterator {
   public:
    std::span<const uint8_t> operator*() const;
    NaluIterator& operator++();
    bool operator==(const NaluIterator& o) const { return p_ == o.p_; }

   private:
    friend class H264Payload;
    NaluIterator(const uint8_t* p, const uint8_t* end, bool aggregated)
        : p_(p), end_(end), aggregated_(aggregated) {}
    const uint8_t* p_;
    const uint8_t* end_;
    bool aggregated_;
  };
  struct Nalus {
    NaluIterator b, e;
    NaluIterator begin() const { return b; }
    NaluIterator end() const { return e; }
  };

  // Parses payload. kTooShort for an empty payload or an FU-A shorter than its two header
  // bytes; kBadLength when an STAP-A NAL unit size is 0, runs past the payload, or leaves a
  // stray byte; kMalformed for reserved types (0, 30, 31), an aggregated or fragmented NAL
  // unit whose own type is not 1-23 (sections 5.7, 5.8), and an FU-A with both S and E set
  // (section 5.8); kUnsupported for STAP-B, MTAP16, MTAP24 and FU-B, which packetization
  // mode 1 does not use (section 6.3).
  static Parsed<H264Payload> parse(std::span<const uint8_t> payload);

  Kind kind() const { return kind_; }
  // The payload header's fields (section 5.3); type() is 24 for STAP-A, 28 for FU-A.
  bool forbiddenBit() const { return (bytes_[0] & 0x80) != 0; }
  uint8_t nri() const { return static_cast<uint8_t>((bytes_[0] >> 5) & 0x03); }
  uint8_t type() const { return bytes_[0] & 0x1F; }
  // The carried NAL unit's type: the single NAL unit's, the FU-A's original type (from the FU
  // header, in every fragment), or the first aggregated NAL unit's in an STAP-A.
  uint8_t naluType() const { return naluType_; }
  // Complete NAL units carried (1 for a single NAL unit, >= 1 for an STAP-A, 0 for an FU-A).
  size_t naluCount() const { return naluCount_; }
  Nalus nalus() const;

  // FU-A header bits (section 5.8); false for other kinds.
  bool fuStart() const { return kind_ == Kind::kFuA && (bytes_[1] & 0x80) != 0; }
  bool fuEnd() const { return kind_ == Kind::kFuA && (bytes_[1] & 0x40) != 0; }
  // The fragment's bytes after the FU header (empty for other kinds).
  std::span<const uint8_t> fuPayload() const {
    return kind_ == Kind::kFuA ? bytes_.subspan(kFuAHeaderSize) : std::span<const uint8_t>();
  }

  // What the packet starts: an FU-A counts only in its start fragment.
  bool hasSps() const { return hasSps_; }
  bool hasPps() const { return hasPps_; }
  bool hasIdr() const { return hasIdr_; }
  // See the keyframe rule at the top of this file.
  bool isKeyframe() const { return hasIdr_ || (hasSps_ && hasPps_); }

 private:
  H264Payload() = default;
  void note(uint8_t naluType);

  std::span<const uint8_t> bytes_;
  size_t naluCount_ = 0;
  Kind kind_ = Kind::kSingleNalu;
  uint8_t naluType_ = 0;
  bool hasSps_ = false;
  bool hasPps_ = false;
  bool hasIdr_ = false;
};

}  // namespace switchyard::rtp
