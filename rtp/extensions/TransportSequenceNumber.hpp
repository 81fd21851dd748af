#pragma once
// Transport-wide sequence number header extension
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2): 16 bits, one counter per
// transport across all its media streams, echoed back in transport-cc feedback.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

struct TransportSequenceNumber {
  static constexpr size_t kSize = 2;

  uint16_t value = 0;

  static Parsed<TransportSequenceNumber> parse(std::span<const uint8_t> data);
  bool write(std::span<uint8_t> out) const;  // out.size() == kSize
  static constexpr size_t size() { return kSize; }
};

}  // namespace switchyard::rtp
