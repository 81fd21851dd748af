#include "transport/PacketKind.hpp"

namespace switchyard::transport {

namespace {

// RFC 7983 section 7: ranges of the first byte.
constexpr uint8_t kStunLast = 3;
constexpr uint8_t kDtlsFirst = 20;
constexpr uint8_t kDtlsLast = 63;
constexpr uint8_t kRtpFirst = 128;
constexpr uint8_t kRtpLast = 191;
// RFC 5761 section 4: RTCP packet types 192..223 in the second byte.
constexpr uint8_t kRtcpTypeFirst = 192;
constexpr uint8_t kRtcpTypeLast = 223;
// The shortest datagram of each kind worth looking at: a STUN header is 20 bytes, a DTLS
// record header 13, an RTCP header 4 (RTP's 12 is checked by its parser).
constexpr size_t kMinStunSize = 20;
constexpr size_t kMinDtlsSize = 13;
constexpr size_t kMinRtcpSize = 4;

}  // namespace

PacketKind classifyPacket(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return PacketKind::kUnknown;
  const uint8_t first = bytes[0];
  if (first <= kStunLast) {
    return bytes.size() >= kMinStunSize ? PacketKind::kStun : PacketKind::kUnknown;
  }
  if (first >= kDtlsFirst && first <= kDtlsLast) {
    return bytes.size() >= kMinDtlsSize ? PacketKind::kDtls : PacketKind::kUnknown;
  }
  if (first >= kRtpFirst && first <= kRtpLast && bytes.size() >= kMinRtcpSize) {
    const uint8_t second = bytes[1];
    return second >= kRtcpTypeFirst && second <= kRtcpTypeLast ? PacketKind::kRtcp
                                                               : PacketKind::kRtp;
  }
  return PacketKind::kUnknown;
}

const char* packetKindName(PacketKind kind) {
  switch (kind) {
    case PacketKind::kStun:
      return "stun";
    case PacketKind::kDtls:
      return "dtls";
    case PacketKind::kRtp:
      return "rtp";
    case PacketKind::kRtcp:
      return "rtcp";
    case PacketKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace switchyard::transport
