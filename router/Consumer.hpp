#pragma once
// A consumer: one producer's stream as one viewer receives it. It has its own SSRC, the
// viewer's payload types and header extension ids, and sequence numbers that stay continuous
// for the viewer across pauses (RFC 3550 section 5.1: a gap means loss). A video consumer
// starts, and restarts after a resume, at a keyframe: before it there is nothing a decoder can
// use. No I/O: rewrite() writes the packet the transport will encrypt and send.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "control/channel/RtpParameters.hpp"
#include "router/MediaCodec.hpp"
#include "rtp/RtpPacket.hpp"
#include "rtp/rtcp/RtcpSenderReport.hpp"

namespace switchyard::router {

class Consumer {
 public:
  struct Counters {
    uint64_t packetsSent = 0;
    uint64_t bytesSent = 0;
    uint64_t payloadBytesSent = 0;
    uint64_t droppedPaused = 0;
    uint64_t droppedWaitingForKeyframe = 0;
    uint64_t droppedUnknownPayloadType = 0;
    uint64_t droppedTooOld = 0;  // from before the point the consumer (re)started at
    uint64_t pliReceived = 0;
    uint64_t firReceived = 0;
    uint64_t nackReceived = 0;
  };

  // consumerParameters: what the viewer negotiated (its payload types, extension ids, and the
  // SSRC this consumer sends with in encodings[0]). producerParameters: the producer's, to
  // map payload types and extensions across by codec and URI.
  Consumer(std::string id, std::string producerId, MediaKind kind,
           control::RtpParameters consumerParameters,
           const control::RtpParameters& producerParameters, bool paused, uint32_t initialSequence);

  const std::string& id() const { return id_; }
  const std::string& producerId() const { return producerId_; }
  MediaKind kind() const { return kind_; }
  uint32_t ssrc() const { return ssrc_; }
  const control::RtpParameters& rtpParameters() const { return parameters_; }
  uint32_t clockRate() const { return clockRate_; }

  bool paused() const { return paused_; }
  bool producerPaused() const { return producerPaused_; }
  // Both return whether the consumer now needs a keyframe from the producer (it is active
  // again and video).
  bool setPaused(bool paused);
  bool setProducerPaused(bool paused);
  // Video that has not yet sent a keyframe since it (re)started.
  bool waitingForKeyFrame() const { return kind_ == MediaKind::kVideo && !synced_; }
  bool active() const { return !paused_ && !producerPaused_; }

  // Writes this consumer's copy of `in` into `out` (which needs in.size() bytes plus whatever
  // trailer the transport appends later) and returns it, or nullopt when the viewer must not
  // get it (counted). nowUs stamps abs-send-time when the viewer negotiated it.
  std::optional<rtp::RtpPacket> rewrite(const rtp::RtpPacket& in, bool keyframe,
                                        std::span<uint8_t> out, int64_t nowUs);

  // RFC 3550 section 6.4.1 sender info as of nowUs; ntpNow is the same instant in NTP format.
  // nullopt before the first packet.
  std::optional<rtp::RtcpSenderInfo> makeSenderInfo(int64_t nowUs, uint64_t ntpNow) const;

  void onPli() { ++counters_.pliReceived; }
  void onFir() { ++counters_.firReceived; }
  void onNack() { ++counters_.nackReceived; }
  const Counters& counters() const { return counters_; }

 private:
  static constexpr size_t kPayloadTypes = 128;
  static constexpr uint8_t kNoPayloadType = 0xFF;
  static constexpr size_t kExtensionIds = 256;

  std::string id_;
  std::string producerId_;
  MediaKind kind_;
  control::RtpParameters parameters_;
  uint32_t ssrc_ = 0;
  uint32_t clockRate_ = 0;
  bool paused_;
  bool producerPaused_ = false;
  // Producer payload type -> the viewer's; kNoPayloadType for codecs the viewer lacks.
  std::array<uint8_t, kPayloadTypes> payloadTypeMap_;
  // Producer extension id -> the viewer's id for the same URI; 0: blanked to padding.
  std::array<uint8_t, kExtensionIds> extensionMap_{};
  uint8_t absSendTimeId_ = 0;  // the viewer's, stamped with our send time

  bool synced_ = false;
  uint16_t syncInputSequence_ = 0;  // the producer sequence number the consumer restarted at
  uint16_t sequenceOffset_ = 0;     // output = input + offset
  uint16_t nextSequence_;           // the sequence number the next restart continues from
  bool sentAny_ = false;
  uint32_t lastTimestamp_ = 0;
  int64_t lastSendUs_ = 0;
  Counters counters_;
};

}  // namespace switchyard::router
