#pragma once
// The load generator's own header inside every RTP payload it sends, right after the codec's
// descriptor (see LoadPacketLayout.hpp): a magic, the send time (CLOCK_MONOTONIC, ns) and a
// per-stream packet counter, all in network byte order. Receivers read it for the added latency
// and, where every packet is readable, for loss and reordering by counter.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace switchyard::bench {

struct LoadPayloadHeader {
  static constexpr uint32_t kMagic = 0x53594c44;  // "SYLD"
  static constexpr size_t kSize = 16;             // magic 4, send time 8, counter 4

  uint64_t sendNs = 0;
  uint32_t counter = 0;

  // Writes kSize bytes; false when `out` is shorter.
  bool write(std::span<uint8_t> out) const {
    if (out.size() < kSize) return false;
    putBig(out.data(), kMagic, 4);
    putBig(out.data() + 4, sendNs, 8);
    putBig(out.data() + 12, counter, 4);
    return true;
  }

  // nullopt when `in` is shorter than kSize or does not start with the magic.
  static std::optional<LoadPayloadHeader> read(std::span<const uint8_t> in) {
    if (in.size() < kSize || getBig(in.data(), 4) != kMagic) return std::nullopt;
    LoadPayloadHeader h;
    h.sendNs = getBig(in.data() + 4, 8);
    h.counter = static_cast<uint32_t>(getBig(in.data() + 12, 4));
    return h;
  }

 private:
  static void putBig(uint8_t* p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      p[i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
    }
  }
  static uint64_t getBig(const uint8_t* p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v = (v << 8) | p[i];
    }
    return v;
  }
};

}  // namespace switchyard::bench
