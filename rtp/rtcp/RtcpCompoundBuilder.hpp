#pragma once
// Packs RTCP packets into compounds (RFC 3550 6.1) of at most `mtu` bytes each, back to back in
// a caller buffer, opening a new compound when the next packet does not fit the current one.
// With a prefix (SR or RR first, usually SDES CNAME too) every compound starts with a copy of
// it, as RFC 3550 6.1 requires of the compounds we send. Without one the compounds are
// reduced-size RTCP (RFC 5506) and take feedback packets (RTPFB, PSFB) only.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

// Compound boundaries are kept in a fixed array: no allocation while building.
constexpr size_t kRtcpCompoundBuilderMaxCompounds = 16;

class RtcpCompoundBuilder {
 public:
  // `mtu` is the budget for one compound's RTCP bytes (leave room for the SRTCP trailer).
  // A non-empty `prefix` must be whole packets starting with SR or RR and fit in `mtu`; the
  // first compound is opened with it at once, so it is sent even if nothing is appended.
  RtcpCompoundBuilder(std::span<uint8_t> buffer, size_t mtu, std::span<const uint8_t> prefix = {});

  // False when the prefix is unusable or does not fit; every append then fails.
  bool ok() const { return ok_; }
  bool reducedSize() const { return prefix_.empty(); }

  // Copies whole packets (one or more) into the current compound, or into a new one when they
  // do not fit. False when they are malformed, not allowed here, larger than a compound can
  // hold, or when the buffer or the compound slots are exhausted; nothing is added then.
  bool append(std::span<const uint8_t> packets);

  // Builds in place: `write(std::span<uint8_t> room)` writes whole packets into `room` and
  // returns the bytes written, or 0 when they do not fit, in which case it is called again with
  // the room of a new compound. Fits the static build() functions of the packet classes.
  template <typename Write>
  bool appendWith(Write&& write) {
    if (!ok_) return false;
    if (count_ > 0) {
      size_t n = write(room());
      if (n > 0) return commit(n);
    }
    if (!openCompound()) return false;
    size_t n = write(room());
    if (n > 0 && commit(n)) return true;
    dropLastCompound();
    return false;
  }

  size_t compoundCount() const { return count_; }
  std::span<const uint8_t> compound(size_t i) const;
  size_t size() const { return used_; }  // bytes of the buffer in use

 private:
  std::span<uint8_t> room() const;  // free bytes of the current compound
  bool commit(size_t n);            // accepts n bytes written at room()
  bool openCompound();
  void dropLastCompound();

  std::span<uint8_t> buffer_;
  size_t mtu_;
  std::span<const uint8_t> prefix_;
  bool ok_ = true;
  std::array<size_t, kRtcpCompoundBuilderMaxCompounds> starts_{};
  size_t count_ = 0;
  size_t used_ = 0;
};

}  // namespace switchyard::rtp
