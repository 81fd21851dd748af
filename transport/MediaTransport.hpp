#pragma once
// What the router needs from any transport kind (WebRTC, plain RTP): hand received media up
// parsed, and send RTP and RTCP, protecting them in place when the transport uses SRTP. The
// kinds differ in how they find their peer and their keys (ICE + DTLS, or given over the
// control channel), not in how media flows.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/RtpPacket.hpp"
#include "transport/SrtpSession.hpp"

namespace switchyard::transport {

class MediaTransport {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // Decrypted and parsed; the buffer may be modified (it is the socket's receive buffer).
    virtual void onRtp(rtp::RtpPacket& packet) = 0;
    // A decrypted RTCP compound.
    virtual void onRtcp(std::span<const uint8_t> compound) = 0;
  };

  // Room a send buffer keeps after its packet for any kind's protection (the SRTCP trailer).
  static constexpr size_t kMaxTrailer = SrtpSession::kMaxTrailer;

  virtual ~MediaTransport() = default;

  // Whether media can be sent now: the peer's address and, with SRTP, the keys are known.
  virtual bool canSend() const = 0;
  // Protects the packet in place when needed (its buffer has kMaxTrailer spare capacity) and
  // sends it. False when it could not be sent (counted by the transport).
  virtual bool sendRtp(const rtp::RtpPacket& packet) = 0;
  // buffer holds `length` bytes of RTCP compound and room for the SRTCP trailer.
  virtual bool sendRtcp(std::span<uint8_t> buffer, size_t length) = 0;
  // Datagrams sendRtp/sendRtcp queued that the kernel refused later (send batching).
  virtual uint64_t queuedSendFailures() const = 0;
};

// Counts an SRTP/SRTCP failure by cause in a kind's counters (fields droppedSrtpAuth,
// droppedSrtpReplay, droppedSrtpOther).
template <typename Counters>
void countSrtpDrop(Counters& counters, SrtpError error) {
  switch (error) {
    case SrtpError::kAuthFailed:
      ++counters.droppedSrtpAuth;
      return;
    case SrtpError::kReplay:
      ++counters.droppedSrtpReplay;
      return;
    default:
      ++counters.droppedSrtpOther;
      return;
  }
}

}  // namespace switchyard::transport
