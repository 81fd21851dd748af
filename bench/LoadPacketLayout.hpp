#pragma once
// The wire layout of the load generator's RTP packets, written by MediaSource and read by the
// receivers:
//
//   video: RTP header (12) | VP8 payload descriptor (4) | VP8 frame header (first packet of a
//          frame: 3, or 10 on a keyframe) | LoadPayloadHeader (16) | filler
//   audio: RTP header (12) | Opus TOC byte (1) | LoadPayloadHeader (16) | filler
//
// The VP8 parts are real enough for an SFU's keyframe detection and PictureID rewriting:
// descriptor with X = 1, I = 1 and a 15-bit PictureID, S = 1 and partition 0 on a frame's first
// packet (RFC 7741 section 4.2); the frame tag with P = 0 on keyframes, followed there by the
// start code and the frame size (RFC 6386 section 9.1). The filler is not VP8 data: nothing
// here is meant to be decoded.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bench/LoadPayloadHeader.hpp"
#include "rtp/codecs/Vp8PayloadDescriptor.hpp"

namespace switchyard::bench {

struct RtpHeaderFields {
  uint8_t payloadType = 0;
  bool marker = false;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
};

class LoadPacketLayout {
 public:
  static constexpr size_t kRtpHeaderSize = 12;  // RFC 3550 section 5.1, no CSRC, no extension
  static constexpr uint8_t kRtpVersionBits = 0x80;
  static constexpr size_t kVp8DescriptorSize = 4;       // mandatory + X byte + 15-bit PictureID
  static constexpr size_t kVp8DeltaHeaderSize = 3;      // RFC 6386 section 9.1: frame tag
  static constexpr size_t kVp8KeyframeHeaderSize = 10;  // frame tag + start code + sizes
  static constexpr uint32_t kVp8MaxFirstPartitionSize = (1u << 19) - 1;  // 19-bit field
  static constexpr uint16_t kVp8MaxDimension = (1u << 14) - 1;           // 14-bit field
  // Opus TOC (RFC 6716 section 3.1): config 31 (CELT-only, fullband, 20 ms), mono, one frame.
  static constexpr uint8_t kOpusToc = 31 << 3;
  static constexpr size_t kOpusTocSize = 1;

  // Writes the 12-byte RTP header; `out` must hold kRtpHeaderSize bytes.
  static void writeRtpHeader(uint8_t* out, const RtpHeaderFields& f) {
    out[0] = kRtpVersionBits;
    out[1] = static_cast<uint8_t>((f.marker ? 0x80 : 0) | (f.payloadType & 0x7f));
    out[2] = static_cast<uint8_t>(f.sequence >> 8);
    out[3] = static_cast<uint8_t>(f.sequence);
    for (int i = 0; i < 4; ++i) {
      out[4 + i] = static_cast<uint8_t>(f.timestamp >> (24 - 8 * i));
      out[8 + i] = static_cast<uint8_t>(f.ssrc >> (24 - 8 * i));
    }
  }

  // Where the payload of the RTP packet starts (after CSRCs and the header extension, RFC 3550
  // section 5.3.1), or nullopt when the header runs past the packet or is not version 2.
  static std::optional<size_t> rtpPayloadOffset(std::span<const uint8_t> packet) {
    if (packet.size() < kRtpHeaderSize || (packet[0] & 0xc0) != kRtpVersionBits) {
      return std::nullopt;
    }
    size_t offset = kRtpHeaderSize + 4 * size_t(packet[0] & 0x0f);
    if ((packet[0] & 0x10) != 0) {
      if (packet.size() < offset + 4) return std::nullopt;
      offset += 4 + 4 * ((size_t(packet[offset + 2]) << 8) | packet[offset + 3]);
    }
    if (offset > packet.size()) return std::nullopt;
    return offset;
  }

  // The VP8 prefix of a video packet: descriptor, and on a frame's first packet the frame
  // header. Returns the bytes written (vp8PrefixSize), 0 when `out` is too short.
  static size_t writeVp8Prefix(std::span<uint8_t> out, uint16_t pictureId, bool firstPacket,
                               bool keyframe, uint32_t firstPartitionSize, uint16_t width,
                               uint16_t height) {
    const size_t size = vp8PrefixSize(firstPacket, keyframe);
    if (out.size() < size) return 0;
    uint8_t* p = out.data();
    p[0] = static_cast<uint8_t>(0x80 | (firstPacket ? 0x10 : 0));   // X, S; N = 0, PID = 0
    p[1] = 0x80;                                                    // I
    p[2] = static_cast<uint8_t>(0x80 | ((pictureId >> 8) & 0x7f));  // M = 1: 15-bit PictureID
    p[3] = static_cast<uint8_t>(pictureId);
    if (!firstPacket) return size;
    // Frame tag, little endian: P (0 = keyframe), version 0, show_frame 1, first_part_size.
    const uint32_t partition = firstPartitionSize > kVp8MaxFirstPartitionSize
                                   ? kVp8MaxFirstPartitionSize
                                   : firstPartitionSize;
    const uint32_t tag = (keyframe ? 0u : 1u) | (1u << 4) | (partition << 5);
    p[4] = static_cast<uint8_t>(tag);
    p[5] = static_cast<uint8_t>(tag >> 8);
    p[6] = static_cast<uint8_t>(tag >> 16);
    if (!keyframe) return size;
    p[7] = 0x9d;  // start code
    p[8] = 0x01;
    p[9] = 0x2a;
    width &= kVp8MaxDimension;  // horizontal and vertical scale 0
    height &= kVp8MaxDimension;
    p[10] = static_cast<uint8_t>(width);
    p[11] = static_cast<uint8_t>(width >> 8);
    p[12] = static_cast<uint8_t>(height);
    p[13] = static_cast<uint8_t>(height >> 8);
    return size;
  }

  static constexpr size_t vp8PrefixSize(bool firstPacket, bool keyframe) {
    return kVp8DescriptorSize +
           (firstPacket ? (keyframe ? kVp8KeyframeHeaderSize : kVp8DeltaHeaderSize) : 0);
  }

  // Where the LoadPayloadHeader sits in a VP8 payload written by any VP8 sender that follows the
  // layout above, after an SFU rewrote its descriptor in place: parsed, not assumed.
  static std::optional<size_t> vp8HeaderOffset(std::span<const uint8_t> payload) {
    auto d = rtp::Vp8PayloadDescriptor::parse(payload);
    if (!d) return std::nullopt;
    if (!d->startsFrame()) return d->size();
    return d->size() + (d->isKeyframe() ? kVp8KeyframeHeaderSize : kVp8DeltaHeaderSize);
  }

  // The LoadPayloadHeader of an RTP payload of the given kind, if it is there.
  static std::optional<LoadPayloadHeader> readHeader(std::span<const uint8_t> payload, bool video) {
    if (!video) {
      if (payload.size() < kOpusTocSize) return std::nullopt;
      return LoadPayloadHeader::read(payload.subspan(kOpusTocSize));
    }
    auto offset = vp8HeaderOffset(payload);
    if (!offset || *offset > payload.size()) return std::nullopt;
    return LoadPayloadHeader::read(payload.subspan(*offset));
  }
};

}  // namespace switchyard::bench
