// UdpMuxSet: one shared socket per listen IP and port, bound on first use and found again.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/LoopRunner.hpp"
#include "transport/UdpMuxSet.hpp"

namespace switchyard::transport {
namespace {

constexpr uint16_t kMinPort = 43000;
constexpr uint16_t kMaxPort = 43999;

struct Loop {
  uv_loop_t loop;
  Loop() { uv_loop_init(&loop); }
  ~Loop() { EXPECT_EQ(test::drainAndClose(&loop), 0); }
};

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

}  // namespace
}  // namespace switchyard::transport
