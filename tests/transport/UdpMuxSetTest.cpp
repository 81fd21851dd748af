// UdpMuxSet: one shared socket per listen IP and port, bound on first use and found again.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/TestLoop.hpp"
#include "tests/support/UdpPeer.hpp"
#include "transport/UdpMuxSet.hpp"

namespace switchyard::transport {
namespace {

constexpr uint16_t kMinPort = 43000;
constexpr uint16_t kMaxPort = 43999;

using Loop = test::TestLoop;

TEST(UdpMuxSetTest, OneSocketPerIpAndPortBoundOnFirstUse) {
  Loop l;
  UdpMuxSet set(&l.loop, kMinPort, kMaxPort, nullptr, nullptr);
  std::string error;
  UdpMux* first = set.get("127.0.0.1", 0, &error);
  ASSERT_TRUE(first) << error;
  EXPECT_EQ(set.get("127.0.0.1", 0, &error), first);
  // Asking for the default port by its number finds the same socket.
  EXPECT_EQ(set.get("127.0.0.1", first->localAddress().port(), &error), first);
  const uint16_t other = first->localAddress().port() == kMaxPort ? kMinPort : kMaxPort;
  UdpMux* second = set.get("127.0.0.1", other, &error);
  ASSERT_TRUE(second) << error;
  EXPECT_NE(second, first);
  EXPECT_EQ(second->localAddress().port(), other);
  EXPECT_EQ(set.muxes().size(), 2u);
  EXPECT_EQ(set.get("not-an-ip", 0, &error), nullptr);
  EXPECT_NE(error.find("not an IP address"), std::string::npos) << error;
}

TEST(UdpMuxSetTest, TheDefaultPortIsTheRangesFirstPlusTheSlotWhenFree) {
  Loop l;
  // A port of the range that is free now, and the slot that names it.
  uint16_t free = 0;
  {
    for (uint16_t p = kMinPort + 100; p < kMinPort + 200 && free == 0; ++p) {
      test::UdpPeer probe(p);
      if (probe.bound()) free = p;
    }
  }
  ASSERT_NE(free, 0);
  std::string error;
  {
    UdpMuxSet set(&l.loop, kMinPort, kMaxPort, nullptr, nullptr, free - kMinPort);
    UdpMux* mux = set.get("127.0.0.1", 0, &error);
    ASSERT_TRUE(mux) << error;
    EXPECT_EQ(mux->localAddress().port(), free);
  }
  // Taken by someone else: another port of the range.
  test::UdpPeer squatter(free);
  ASSERT_TRUE(squatter.bound());
  UdpMuxSet set(&l.loop, kMinPort, kMaxPort, nullptr, nullptr, free - kMinPort);
  UdpMux* mux = set.get("127.0.0.1", 0, &error);
  ASSERT_TRUE(mux) << error;
  EXPECT_NE(mux->localAddress().port(), free);
  EXPECT_GE(mux->localAddress().port(), kMinPort);
  EXPECT_LE(mux->localAddress().port(), kMaxPort);
}

}  // namespace
}  // namespace switchyard::transport
