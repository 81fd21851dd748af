#pragma once
// Control-channel framing: each message is a 4-byte little-endian length followed by that many
// bytes of a flatbuffers Message. See docs/control-channel.md.

#include <cstddef>
#include <cstdint>
#include <span>

namespace switchyard::control {

// Same width and byte order as flatbuffers' size prefix (FinishSizePrefixed), so a builder's
// finished buffer is already a complete frame and is written without a copy.
constexpr size_t kLengthPrefixSize = 4;

// Largest message either side accepts or sends. Large enough for a dump of a busy router,
// small enough that a corrupt length cannot make a peer buffer gigabytes.
constexpr size_t kMaxMessageSize = 4 * 1024 * 1024;

inline uint32_t readLengthPrefix(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

inline void writeLengthPrefix(uint8_t* p, uint32_t length) {
  p[0] = static_cast<uint8_t>(length);
  p[1] = static_cast<uint8_t>(length >> 8);
  p[2] = static_cast<uint8_t>(length >> 16);
  p[3] = static_cast<uint8_t>(length >> 24);
}

}  // namespace switchyard::control
