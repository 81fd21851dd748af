#pragma once
// A compound RTCP packet (RFC 3550 6.1): individual packets laid end to end, each delimited by
// its header's length field. parse() walks and checks every header before anything is
// iterated, so a length running past the buffer rejects the whole datagram.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

class RtcpCompound {
 public:
  // One packet of the compound: its header and its bytes, header and padding included. Hand
  // `bytes` to the parse() of the class for header.packetType() (and fmt()).
  struct Packet {
    RtcpHeader header;
    std::span<const uint8_t> bytes;
  };

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Packet;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    explicit Iterator(std::span<const uint8_t> rest) : rest_(rest) { load(); }
    Packet operator*() const { return {header_, rest_.first(header_.packetSize())}; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& o) const { return rest_.data() == o.rest_.data(); }

   private:
    void load();
    std::span<const uint8_t> rest_;  // from the current packet to the end of the compound
    RtcpHeader header_;              // of the current packet
  };

  // Checks every header of `bytes` (version, length within the buffer, padding count). An
  // empty buffer is kTooShort. Policy such as which packet comes first is left to the caller.
  static Parsed<RtcpCompound> parse(std::span<const uint8_t> bytes);

  size_t packetCount() const { return packetCount_; }
  std::span<const uint8_t> bytes() const { return bytes_; }
  // RFC 3550 6.1 wants an SR or RR first; RFC 5506 reduced-size RTCP does without.
  bool startsWithReport() const;
  Iterator begin() const { return Iterator(bytes_); }
  Iterator end() const { return Iterator(bytes_.subspan(bytes_.size())); }

 private:
  std::span<const uint8_t> bytes_;
  size_t packetCount_ = 0;
};

}  // namespace switchyard::rtp
