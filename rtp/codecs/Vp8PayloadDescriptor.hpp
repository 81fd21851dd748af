#pragma once
// The VP8 payload descriptor (RFC 7741 section 4.2) at the start of a VP8 RTP payload, plus the
// keyframe bit of the VP8 payload header behind it (section 4.3). A view over the payload:
// parsing records where each optional field sits so that an SFU can rewrite PictureID and
// TL0PICIDX in place per consumer without parsing again.
//
//       0 1 2 3 4 5 6 7
//      +-+-+-+-+-+-+-+-+
//      |X|R|N|S|R| PID | (REQUIRED)
//      +-+-+-+-+-+-+-+-+
// X:   |I|L|T|K| RSV   | (OPTIONAL)
//      +-+-+-+-+-+-+-+-+
// I:   |M| PictureID   | (OPTIONAL)
//      +-+-+-+-+-+-+-+-+
// M:   |   PictureID   | (present when M = 1: 15-bit PictureID)
//      +-+-+-+-+-+-+-+-+
// L:   |   TL0PICIDX   | (OPTIONAL)
//      +-+-+-+-+-+-+-+-+
// T/K: |TID|Y| KEYIDX  | (OPTIONAL)
//      +-+-+-+-+-+-+-+-+

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

class Vp8PayloadDescriptor {
 public:
  // Mandatory byte, extension byte, 2-byte PictureID, TL0PICIDX, T/K byte.
  static constexpr size_t kMaxSize = 6;
  // RFC 7741 4.2: a PictureID is 7 bits (M = 0) or 15 bits (M = 1); rewrites wrap at these.
  static constexpr uint16_t kPictureId7Modulus = 128;
  static constexpr uint16_t kPictureId15Modulus = 32768;
  // RFC 6386 section 9.1: a keyframe starts with a 3-byte frame tag, the 3-byte start code and
  // 2 + 2 bytes of width and height; a keyframe shorter than that cannot be decoded.
  static constexpr size_t kKeyframeHeaderSize = 10;

  // Parses the descriptor at the start of payload. Rejects (kTooShort) a payload that ends
  // inside the descriptor or has no VP8 data after it, and a keyframe start shorter than
  // kKeyframeHeaderSize.
  static Parsed<Vp8PayloadDescriptor> parse(std::span<const uint8_t> payload);

  bool extended() const { return (b0_ & 0x80) != 0; }          // X
  bool nonReference() const { return (b0_ & 0x20) != 0; }      // N
  bool startOfPartition() const { return (b0_ & 0x10) != 0; }  // S
  uint8_t partitionId() const { return b0_ & 0x07; }           // PID (3 bits)

  bool hasPictureId() const { return pictureIdOffset_ != 0; }  // I
  bool hasTl0PicIdx() const { return tl0PicIdxOffset_ != 0; }  // L
  bool hasTemporalId() const { return (x_ & 0x20) != 0; }      // T
  bool hasKeyIdx() const { return (x_ & 0x10) != 0; }          // K

  // Valid when hasPictureId(); pictureIdIs15Bit() is the M bit.
  uint16_t pictureId() const { return pictureId_; }
  bool pictureIdIs15Bit() const { return longPictureId_; }
  // Valid when hasTl0PicIdx().
  uint8_t tl0PicIdx() const { return tl0PicIdx_; }
  // Valid when hasTemporalId(): TID and the layer sync bit Y.
  uint8_t temporalId() const { return static_cast<uint8_t>(tk_ >> 6); }
  bool layerSync() const { return (tk_ & 0x20) != 0; }
  // Valid when hasKeyIdx().
  uint8_t keyIdx() const { return tk_ & 0x1F; }

  // Bytes of descriptor; the VP8 payload starts here.
  size_t size() const { return size_; }
  // First packet of a frame: S = 1 and PID = 0 (RFC 7741 4.2).
  bool startsFrame() const { return startOfPartition() && partitionId() == 0; }
  // RFC 7741 4.3: the payload header's P bit (inverse key frame flag) is 0 on the first
  // packet of a key frame; it is only present when S = 1 and PID = 0.
  bool isKeyframe() const { return keyframe_; }
  // Valid when isKeyframe(): the 14-bit frame size of RFC 6386 9.1 (scaling bits dropped).
  uint16_t width() const { return width_; }
  uint16_t height() const { return height_; }

  // In-place rewrites over the same bytes parse() accepted (a mutable view of them). The field
  // keeps its width: a 7-bit PictureID takes pictureId mod 128, a 15-bit one mod 32768. False,
  // with nothing written, when the field is absent or payload is shorter than the descriptor.
  bool rewritePictureId(std::span<uint8_t> payload, uint16_t pictureId);
  bool rewriteTl0PicIdx(std::span<uint8_t> payload, uint8_t tl0PicIdx);

 private:
  Vp8PayloadDescriptor() = default;

  uint16_t pictureId_ = 0;
  uint16_t width_ = 0;
  uint16_t height_ = 0;
  uint8_t b0_ = 0;
  uint8_t x_ = 0;
  uint8_t tl0PicIdx_ = 0;
  uint8_t tk_ = 0;
  uint8_t size_ = 0;
  uint8_t pictureIdOffset_ = 0;  // 0 = absent (offset 0 is the mandatory byte)
  uint8_t tl0PicIdxOffset_ = 0;
  bool longPictureId_ = false;
  bool keyframe_ = false;
};

}  // namespace switchyard::rtp
