#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "transport/SocketAddress.hpp"

namespace {

using switchyard::transport::SocketAddress;

TEST(SocketAddressTest, ParsesAndPrintsBothFamilies) {
  auto v4 = SocketAddress::fromIp("192.0.2.7", 5004);
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(v4->isV4());
  EXPECT_EQ(v4->port(), 5004);
  EXPECT_EQ(v4->toString(), "192.0.2.7:5004");
  EXPECT_EQ(v4->ipBytes(), std::string_view("\xc0\x00\x02\x07", 4));
  EXPECT_EQ(v4->sockaddrLength(), sizeof(sockaddr_in));

  auto v6 = SocketAddress::fromIp("2001:db8::1", 443);
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->isV6());
  EXPECT_EQ(v6->toString(), "[2001:db8::1]:443");
  EXPECT_EQ(v6->ipBytes().size(), 16u);
}

TEST(SocketAddressTest, RejectsWhatIsNotALiteralAddress) {
  for (const char* bad : {"", "localhost", "1.2.3", "1.2.3.4.5", "::g", "1.2.3.4:5"}) {
    EXPECT_FALSE(SocketAddress::fromIp(bad, 1).has_value()) << bad;
  }
  {
    sockaddr sa{};
    sa.sa_family = AF_UNIX;
    EXPECT_FALSE(SocketAddress::fromSockaddr(&sa, sizeof sa).has_value());
  }
  sockaddr_in short4{};
  short4.sin_family = AF_INET;
  EXPECT_FALSE(
      SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&short4), sizeof short4 - 1));
}

TEST(SocketAddressTest, EqualityIsFamilyIpAndPort) {
  auto a = *SocketAddress::fromIp("127.0.0.1", 1000);
  EXPECT_EQ(a, *SocketAddress::fromIp("127.0.0.1", 1000));
  EXPECT_FALSE(a == *SocketAddress::fromIp("127.0.0.1", 1001));
  EXPECT_FALSE(a == *SocketAddress::fromIp("127.0.0.2", 1000));
  EXPECT_FALSE(a == *SocketAddress::fromIp("::ffff:127.0.0.1", 1000));
  auto copy = SocketAddress::fromSockaddr(a.sockaddrPtr(), a.sockaddrLength());
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(*copy, a);
  EXPECT_TRUE(SocketAddress().empty());
}

}  // namespace
