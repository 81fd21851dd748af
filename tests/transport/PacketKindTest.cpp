#include <gtest/gtest.h>

#include <vector>

#include "transport/PacketKind.hpp"

namespace {

using switchyard::transport::classifyPacket;
using switchyard::transport::PacketKind;

std::vector<uint8_t> datagram(uint8_t first, uint8_t second, size_t size) {
  std::vector<uint8_t> bytes(size, 0);
  bytes[0] = first;
  if (size > 1) bytes[1] = second;
  return bytes;
}

TEST(PacketKindTest, EveryFirstByteFallsInItsRfc7983Range) {
  for (int first = 0; first < 256; ++first) {
    SCOPED_TRACE(first);
    const auto kind = classifyPacket(datagram(static_cast<uint8_t>(first), 96, 100));
    if (first <= 3) {
      EXPECT_EQ(kind, PacketKind::kStun);
    } else if (first >= 20 && first <= 63) {
      EXPECT_EQ(kind, PacketKind::kDtls);
    } else if (first >= 128 && first <= 191) {
      EXPECT_EQ(kind, PacketKind::kRtp);
    } else {
      EXPECT_EQ(kind, PacketKind::kUnknown);  // ZRTP 16-19, TURN channels 64-79, the rest
    }
  }
}

TEST(PacketKindTest, RtcpIsToldFromRtpByTheSecondByte) {
  for (int second = 0; second < 256; ++second) {
    SCOPED_TRACE(second);
    const auto kind = classifyPacket(datagram(0x80, static_cast<uint8_t>(second), 100));
    EXPECT_EQ(kind, second >= 192 && second <= 223 ? PacketKind::kRtcp : PacketKind::kRtp);
  }
}

TEST(PacketKindTest, DatagramsTooShortForTheirKindAreUnknown) {
  EXPECT_EQ(classifyPacket({}), PacketKind::kUnknown);
  EXPECT_EQ(classifyPacket(datagram(0x00, 0x01, 19)), PacketKind::kUnknown);
  EXPECT_EQ(classifyPacket(datagram(0x00, 0x01, 20)), PacketKind::kStun);
  EXPECT_EQ(classifyPacket(datagram(22, 0xfe, 12)), PacketKind::kUnknown);
  EXPECT_EQ(classifyPacket(datagram(22, 0xfe, 13)), PacketKind::kDtls);
  EXPECT_EQ(classifyPacket(datagram(0x80, 200, 3)), PacketKind::kUnknown);
  EXPECT_EQ(classifyPacket(datagram(0x80, 200, 4)), PacketKind::kRtcp);
}

}  // namespace
