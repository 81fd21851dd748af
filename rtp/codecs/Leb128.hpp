#pragma once
// Unsigned LEB128 as AV1 uses it (AV1 bitstream spec section 4.10.5): little-endian groups of
// 7 bits, high bit set on every byte but the last. The AV1 RTP payload (OBU element sizes) and
// OBU headers (obu_size) both use it.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

// AV1 spec 4.10.5: at most 8 bytes are read, and a conformant value fits in 32 bits.
constexpr size_t kLeb128MaxBytes = 8;
constexpr uint64_t kLeb128MaxValue = 0xFFFFFFFFu;

struct Leb128 {
  uint32_t value;
  uint8_t size;  // bytes the encoding took, 1..kLeb128MaxBytes

  // Decodes from the start of bytes. kTooShort when the bytes end inside the number;
  // kMalformed when the 8th byte still has its continuation bit set or the value needs more
  // than 32 bits (AV1 spec 4.10.5 conformance requirements).
  static Parsed<Leb128> read(std::span<const uint8_t> bytes) {
    uint64_t value = 0;
    for (size_t i = 0; i < kLeb128MaxBytes; ++i) {
      if (i == bytes.size()) return ParseError::kTooShort;
      uint8_t b = bytes[i];
      value |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        if (value > kLeb128MaxValue) return ParseError::kMalformed;
        return Leb128{static_cast<uint32_t>(value), static_cast<uint8_t>(i + 1)};
      }
    }
    return ParseError::kMalformed;
  }

  // Bytes the shortest encoding of value takes (1..5).
  static size_t encodedSize(uint32_t value) {
    size_t n = 1;
    while (value >= 0x80) {
      value >>= 7;
      ++n;
    }
    return n;
  }

  // Writes the shortest encoding of value; out must hold encodedSize(value) bytes.
  static size_t write(uint32_t value, uint8_t* out) {
    size_t n = 0;
    while (value >= 0x80) {
      out[n++] = static_cast<uint8_t>(0x80 | (value & 0x7F));
      value >>= 7;
    }
    out[n++] = static_cast<uint8_t>(value);
    return n;
  }
};

}  // namespace switchyard::rtp
