#pragma once
// What arrived on a WebRTC media port: one UDP port carries STUN, DTLS, RTP and RTCP, told
// apart by the first byte (RFC 7983 section 7) and, for RTP against RTCP, by the second
// (RFC 5761 section 4).

#include <cstdint>
#include <span>

namespace switchyard::transport {

enum class PacketKind : uint8_t {
  kStun,
  kDtls,
  kRtp,
  kRtcp,
  kUnknown,  // ZRTP, TURN channel data, or anything else: dropped and counted
};

PacketKind classifyPacket(std::span<const uint8_t> bytes);

const char* packetKindName(PacketKind kind);

}  // namespace switchyard::transport
