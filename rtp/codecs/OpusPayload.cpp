#include "rtp/codecs/OpusPayload.hpp"

namespace switchyard::rtp {

namespace {
// RFC 6716 3.2.5 frame count byte: |v|p|   M   |
constexpr uint8_t kVbrBit = 0x80;
constexpr uint8_t kPaddingBit = 0x40;
constexpr uint8_t kFrameCountMask = 0x3F;
// RFC 6716 3.2.5: a padding length byte of 255 means 254 bytes plus another length byte.
constexpr uint8_t kPaddingContinue = 255;
constexpr size_t kPaddingContinueBytes = 254;

// RFC 6716 Table 2: frame sizes at 48 kHz per config group.
constexpr uint32_t kSilkSamples[4] = {480, 960, 1920, 2880};  // 10, 20, 40, 60 ms
constexpr uint32_t kHybridSamples[2] = {480, 960};            // 10, 20 ms
constexpr uint32_t kCeltSamples[4] = {120, 240, 480, 960};    // 2.5, 5, 10, 20 ms

// RFC 6716 3.2.1 frame length coding: 0..251 in one byte, else 4 * second + first.
// Returns bytes used (0 when the bytes end first).
size_t readFrameLength(std::span<const uint8_t> bytes, size_t* length) {
  if (bytes.empty()) return 0;
  if (bytes[0] < OpusPayload::kTwoByteLengthThreshold) {
    *length = bytes[0];
    return 1;
  }
  if (bytes.size() < 2) return 0;
  *length = static_cast<size_t>(bytes[1]) * 4 + bytes[0];
  return 2;
}
}  // namespace

OpusPayload::Mode OpusPayload::mode() const {
  const uint8_t c = config();
  if (c < 12) return Mode::kSilk;
  if (c < 16) return Mode::kHybrid;
  return Mode::kCelt;
}

OpusPayload::Bandwidth OpusPayload::bandwidth() const {
  const uint8_t c = config();
  if (c < 12) return static_cast<Bandwidth>(c / 4);  // NB, MB, WB
  if (c < 16) return c < 14 ? Bandwidth::kSuperWide : Bandwidth::kFull;
  switch ((c - 16) / 4) {  // CELT: NB, WB, SWB, FB
    case 0:
      return Bandwidth::kNarrow;
    case 1:
      return Bandwidth::kWide;
    case 2:
      return Bandwidth::kSuperWide;
    default:
      return Bandwidth::kFull;
  }
}

uint32_t OpusPayload::samplesPerFrame48k() const {
  const uint8_t c = config();
  if (c < 12) return kSilkSamples[c % 4];
  if (c < 16) return kHybridSamples[c % 2];
  return kCeltSamples[c % 4];
}

Parsed<OpusPayload> OpusPayload::parse(std::span<const uint8_t> payload) {
  const size_t n = payload.size();
  if (n == 0) return ParseError::kTooShort;  // [R1]
  OpusPayload o;
  o.size_ = n;
  o.toc_ = payload[0];
  switch (o.frameCountCode()) {
    case 0:  // one frame
      o.frameCount_ = 1;
      if (n - 1 > kMaxFrameSize) return ParseError::kBadLength;  // [R2]
      return o;
    case 1:  // two frames of equal size
      o.frameCount_ = 2;
      if ((n - 1) % 2 != 0) return ParseError::kBadLength;             // [R3]
      if ((n - 1) / 2 > kMaxFrameSize) return ParseError::kBadLength;  // [R2]
      return o;
    case 2: {  // two frames, the first's length coded
      o.frameCount_ = 2;
      size_t first = 0;
      const size_t used = readFrameLength(payload.subspan(1), &first);
      if (used == 0) return ParseError::kTooShort;
      const size_t rest = n - 1 - used;
      if (first > rest) return ParseError::kBadLength;                  // [R4]
      if (rest - first > kMaxFrameSize) return ParseError::kBadLength;  // [R2]
      return o;
    }
    default:
      break;
  }
  // Code 3: frame count byte, optional padding lengths, then CBR or VBR frames.
  if (n < 2) return ParseError::kTooShort;  // [R6], [R7]
  const uint8_t fc = payload[1];
  o.vbr_ = (fc & kVbrBit) != 0;
  const size_t frames = fc & kFrameCountMask;
  if (frames == 0) return ParseError::kMalformed;  // [R5]
  o.frameCount_ = static_cast<uint8_t>(frames);
  if (o.durationSamples48k() > kMaxPacketSamples48k) return ParseError::kMalformed;  // [R5]
  size_t pos = 2;
  if (fc & kPaddingBit) {
    uint8_t b = kPaddingContinue;
    while (b == kPaddingContinue) {
      if (pos >= n) return ParseError::kTooShort;
      b = payload[pos++];
      o.padding_ += b == kPaddingContinue ? kPaddingContinueBytes : b;
    }
  }
  if (o.padding_ > n - pos) return ParseError::kBadLength;  // [R6], [R7]
  size_t remaining = n - pos - o.padding_;                  // frame lengths and frame data
  if (!o.vbr_) {
    // [R6]: the data divides evenly into M frames of at most 1275 bytes.
    if (remaining % frames != 0) return ParseError::kBadLength;
    if (remaining / frames > kMaxFrameSize) return ParseError::kBadLength;
    return o;
  }
  // [R7]: M - 1 coded lengths, then the last frame takes what is left.
  for (size_t i = 0; i + 1 < frames; ++i) {
    size_t length = 0;
    const size_t used = readFrameLength(payload.subspan(pos, remaining), &length);
    if (used == 0) return ParseError::kTooShort;
    pos += used;
    remaining -= used;
    if (length > kMaxFrameSize) return ParseError::kBadLength;
    if (length > remaining) return ParseError::kBadLength;
    remaining -= length;
  }
  if (remaining > kMaxFrameSize) return ParseError::kBadLength;
  return o;
}

}  // namespace switchyard::rtp
