#pragma once
// An Opus RTP payload: exactly one Opus packet (RFC 7587 section 4.2), whose TOC byte and
// framing are defined by RFC 6716 section 3.1-3.2 and checked against the packet length by the
// requirements [R1]-[R7] of section 3.4.
//
// TOC byte (RFC 6716 3.1):
//   0 1 2 3 4 5 6 7
//  +-+-+-+-+-+-+-+-+
//  | config  |s| c |   config: mode, bandwidth and frame size; s: stereo; c: frame count code
//  +-+-+-+-+-+-+-+-+
//
// DTX: with discontinuous transmission (RFC 7587 3.1.3, RFC 6716 2.1.9) the encoder sends
// payloads of at most kMaxDtxPayloadSize bytes (the TOC byte and at most one more) during
// silence. libwebrtc treats exactly these as DTX (OpusFrame::IsDtxPacket() in
// audio_coder_opus_common.h: size <= 2; WebRtcOpus_Encode() in opus_interface.cc marks
// "res <= 2" output as DTX), and mediasoup follows it.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

class OpusPayload {
 public:
  static constexpr size_t kMaxDtxPayloadSize = 2;
  // RFC 6716 3.2.1 and 3.4 [R2]: no frame is longer than 1275 bytes.
  static constexpr size_t kMaxFrameSize = 1275;
  // RFC 6716 3.4 [R5]: a packet holds at most 120 ms of audio (5760 samples at 48 kHz).
  static constexpr uint32_t kMaxPacketSamples48k = 5760;
  // RFC 6716 3.2.1: a frame length of 252..255 takes a second byte.
  static constexpr uint8_t kTwoByteLengthThreshold = 252;

  enum class Mode : uint8_t { kSilk, kHybrid, kCelt };  // RFC 6716 Table 2
  enum class Bandwidth : uint8_t { kNarrow, kMedium, kWide, kSuperWide, kFull };

  // Parses payload. kTooShort for an empty payload or one that ends inside a frame length,
  // the frame count byte or padding lengths; kBadLength when the frames' lengths disagree with
  // the bytes present ([R2]-[R4], [R6], [R7]); kMalformed for a code 3 packet with no frames or
  // more than 120 ms of audio ([R5]).
  static Parsed<OpusPayload> parse(std::span<const uint8_t> payload);

  uint8_t config() const { return static_cast<uint8_t>(toc_ >> 3); }
  bool stereo() const { return (toc_ & 0x04) != 0; }
  uint8_t frameCountCode() const { return toc_ & 0x03; }
  Mode mode() const;
  Bandwidth bandwidth() const;
  // Samples per frame at 48 kHz (120 for 2.5 ms ... 2880 for 60 ms).
  uint32_t samplesPerFrame48k() const;
  // Frames in the packet (1 for code 0, 2 for codes 1 and 2, M for code 3).
  uint8_t frameCount() const { return frameCount_; }
  uint32_t durationSamples48k() const { return samplesPerFrame48k() * frameCount_; }
  // Code 3 only: variable-bitrate flag and padding bytes.
  bool vbr() const { return vbr_; }
  size_t paddingSize() const { return padding_; }

  bool isDtx() const { return size_ <= kMaxDtxPayloadSize; }
  size_t size() const { return size_; }

 private:
  OpusPayload() = default;

  size_t size_ = 0;
  size_t padding_ = 0;
  uint8_t toc_ = 0;
  uint8_t frameCount_ = 0;
  bool vbr_ = false;
};

}  // namespace switchyard::rtp
