#pragma once
// A producer: one incoming media stream (audio or video, one encoding in this version) on a
// transport. It knows its SSRC (signaled, or learned from the first packet that carries its
// mid), keeps the receive statistics that go into RR, tells keyframes apart, and paces the
// keyframe requests (PLI or FIR) that consumers ask for. No I/O: the transport sends what it
// asks for.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "control/channel/RtpParameters.hpp"
#include "router/KeyframeDetector.hpp"
#include "router/MediaCodec.hpp"
#include "rtp/KeyframeRequestManager.hpp"
#include "rtp/ReceiveStatistics.hpp"
#include "rtp/RtpPacket.hpp"

namespace switchyard::router {

class Producer {
 public:
  struct Counters {
    uint64_t packetsReceived = 0;
    uint64_t bytesReceived = 0;
    uint64_t packetsDiscarded = 0;  // unknown payload type
    uint64_t keyframesReceived = 0;
    uint64_t pliSent = 0;
    uint64_t firSent = 0;
  };
  // What one received packet means for routing.
  struct Received {
    bool forward = false;   // route it to the consumers
    bool keyframe = false;  // it starts a keyframe
  };

  Producer(std::string id, MediaKind kind, control::RtpParameters parameters, bool paused);

  const std::string& id() const { return id_; }
  MediaKind kind() const { return kind_; }
  const control::RtpParameters& rtpParameters() const { return parameters_; }
  bool paused() const { return paused_; }
  void setPaused(bool paused) { paused_ = paused; }

  // The media SSRC: signaled in the encodings, or learned.
  std::optional<uint32_t> ssrc() const { return ssrc_; }
  void learnSsrc(uint32_t ssrc);
  // Whether payloadType is one of this producer's media codecs (not RTX or FEC).
  bool hasMediaPayloadType(uint8_t payloadType) const;
  std::optional<uint32_t> rtxSsrc() const { return rtxSsrc_; }
  uint32_t clockRate() const { return clockRate_; }

  Received onRtp(const rtp::RtpPacket& packet, int64_t nowUs);
  void onSenderReport(uint32_t ntpMiddle32, int64_t arrivalUs);

  // A consumer needs a keyframe; the request goes out through pollKeyFrameRequest.
  void requestKeyFrame(int64_t nowMs);
  std::optional<rtp::KeyframeRequest> pollKeyFrameRequest(int64_t nowMs);

  // The RR block for this stream, when there is something to report.
  std::optional<rtp::ReportBlockFields> makeReportBlock(int64_t nowUs);

  const Counters& counters() const { return counters_; }
  const rtp::ReceiveStatistics* statistics() const;
  std::optional<std::string> mediaMimeType(uint8_t payloadType) const;

 private:
  static constexpr size_t kPayloadTypes = 128;
  // What a payload type of this producer is; kUnknown packets are discarded.
  enum class PayloadKind : uint8_t { kUnknown, kMedia };

  std::string id_;
  MediaKind kind_;
  control::RtpParameters parameters_;
  bool paused_;
  std::optional<uint32_t> ssrc_;
  std::optional<uint32_t> rtxSsrc_;
  uint32_t clockRate_ = 0;
  std::array<PayloadKind, kPayloadTypes> payloadKinds_{};
  std::array<VideoCodec, kPayloadTypes> videoCodecs_{};
  std::optional<rtp::ReceiveStatistics> stats_;
  rtp::KeyframeRequestManager keyframes_;
  Counters counters_;
};

}  // namespace switchyard::router
