// UdpSocket on a real loop with real loopback sockets.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/TestLoop.hpp"
#include "transport/UdpReceiveArena.hpp"
#include "transport/UdpSendBatcher.hpp"
#include "transport/UdpSocket.hpp"

namespace {

using switchyard::transport::SocketAddress;
using switchyard::transport::UdpSocket;

using Loop = switchyard::test::TestLoop;

TEST(UdpSocketTest, BindsInTheRangeAndEchoesDatagrams) {
  Loop l;
  std::vector<std::string> received;
  SocketAddress lastFrom;
  std::string error;
  UdpSocket* self = nullptr;
  auto socket = UdpSocket::bind(
      &l.loop, "127.0.0.1", 41000, 41999,
      [&](std::span<uint8_t> d, const SocketAddress& from) {
        received.emplace_back(d.begin(), d.end());
        lastFrom = from;
        self->send(d, from);  // echo
      },
      &error);
  ASSERT_TRUE(socket) << error;
  self = socket.get();
  EXPECT_GE(socket->localAddress().port(), 41000);
  EXPECT_LE(socket->localAddress().port(), 41999);

  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  const std::string payload = "hello switchyard";
  ASSERT_EQ(sendto(fd, payload.data(), payload.size(), 0, socket->localAddress().sockaddrPtr(),
                   socket->localAddress().sockaddrLength()),
            static_cast<ssize_t>(payload.size()));
  l.runUntil([&] { return !received.empty(); });
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0], payload);
  EXPECT_EQ(lastFrom.ip(), "127.0.0.1");
  char echo[64];
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ssize_t n = recv(fd, echo, sizeof echo, 0);
  ASSERT_EQ(n, static_cast<ssize_t>(payload.size()));
  EXPECT_EQ(std::string(echo, static_cast<size_t>(n)), payload);
  EXPECT_EQ(socket->counters().datagramsReceived, 1u);
  EXPECT_EQ(socket->counters().datagramsSent, 1u);
  close(fd);
}

TEST(UdpSocketTest, TakesTheNextFreePortAndFailsWhenTheRangeIsFull) {
  Loop l;
  std::string error;
  auto noop = [](std::span<uint8_t>, const SocketAddress&) {};
  auto a = UdpSocket::bind(&l.loop, "127.0.0.1", 42010, 42011, noop, &error);
  auto b = UdpSocket::bind(&l.loop, "127.0.0.1", 42010, 42011, noop, &error);
  ASSERT_TRUE(a && b) << error;
  EXPECT_NE(a->localAddress().port(), b->localAddress().port());
  auto c = UdpSocket::bind(&l.loop, "127.0.0.1", 42010, 42011, noop, &error);
  EXPECT_FALSE(c);
  EXPECT_NE(error.find("cannot bind"), std::string::npos) << error;
  EXPECT_FALSE(UdpSocket::bind(&l.loop, "not-an-ip", 42010, 42011, noop, &error));
  EXPECT_FALSE(UdpSocket::bind(&l.loop, "203.0.113.9", 42010, 42011, noop, &error));  // not local
}

TEST(UdpSocketTest, ReadsBatchesIntoASharedArena) {
  Loop l;
  switchyard::transport::UdpReceiveArena arena;
  std::vector<std::string> received;
  std::vector<const uint8_t*> where;
  std::string error;
  auto socket = UdpSocket::bind(
      &l.loop, "127.0.0.1", 42020, 42999,
      [&](std::span<uint8_t> d, const SocketAddress&) {
        received.emplace_back(d.begin(), d.end());
        where.push_back(d.data());
      },
      &error);
  ASSERT_TRUE(socket) << error;
  socket->setReceiveArena(&arena);
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  constexpr size_t kCount = 45;  // more than one recvmmsg batch
  std::vector<std::string> sent;
  for (size_t i = 0; i < kCount; ++i) {
    sent.push_back(std::string(100 + i, static_cast<char>('a' + i % 26)));
    ASSERT_GT(sendto(fd, sent.back().data(), sent.back().size(), 0,
                     socket->localAddress().sockaddrPtr(), socket->localAddress().sockaddrLength()),
              0);
  }
  l.runUntil([&] { return received.size() == kCount; });
  EXPECT_EQ(received, sent);
  // Datagrams of one read land in successive 64 KiB chunks of the arena: recvmmsg was used.
  const uint8_t* base = arena.bytes().data();
  bool laterChunk = false;
  for (const uint8_t* p : where) {
    ASSERT_GE(p, base);
    ASSERT_LT(p, base + switchyard::transport::UdpReceiveArena::kSize);
    EXPECT_EQ(
        static_cast<size_t>(p - base) % switchyard::transport::UdpReceiveArena::kBytesPerDatagram,
        0u);
    laterChunk |= p != base;
  }
  EXPECT_TRUE(laterChunk);
  EXPECT_EQ(socket->counters().datagramsReceived, kCount);
  close(fd);
}

// What one recvmmsg batch fanned out is sent before the next batch is read: a packet's copies
// do not wait for the processing of packets that arrived after it.
TEST(UdpSocketTest, SendsWhatEachReadBatchQueuedBeforeReadingTheNext) {
  Loop l;
  switchyard::transport::UdpReceiveArena arena;
  switchyard::transport::UdpSendBatcher batcher(&l.loop);
  // A plain socket stands for the viewers: what the forwarding socket sends lands here.
  int viewer = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(viewer, 0);
  auto viewerAddress = *SocketAddress::fromIp("127.0.0.1", 0);
  ASSERT_EQ(bind(viewer, viewerAddress.sockaddrPtr(), viewerAddress.sockaddrLength()), 0);
  sockaddr_storage bound{};
  socklen_t boundLength = sizeof bound;
  ASSERT_EQ(getsockname(viewer, reinterpret_cast<sockaddr*>(&bound), &boundLength), 0);
  viewerAddress = *SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&bound), boundLength);

  size_t forwarded = 0;
  size_t viewerGot = 0;
  // At the start of each batch after the first: datagrams forwarded so far, and how many of
  // their copies the viewer could already read.
  std::vector<std::pair<size_t, size_t>> atBatchStart;
  UdpSocket* self = nullptr;
  std::string error;
  auto socket = UdpSocket::bind(
      &l.loop, "127.0.0.1", 42020, 42999,
      [&](std::span<uint8_t> d, const SocketAddress&) {
        if (d.data() == arena.bytes().data() && forwarded > 0) {  // a new batch's first
          char sink[256];
          while (recv(viewer, sink, sizeof sink, MSG_DONTWAIT) > 0)
            ++viewerGot;
          atBatchStart.emplace_back(forwarded, viewerGot);
        }
        self->send(d, viewerAddress);
        ++forwarded;
      },
      &error);
  ASSERT_TRUE(socket) << error;
  self = socket.get();
  socket->setReceiveArena(&arena);
  socket->setSendBatcher(&batcher);

  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  // Queued before the loop runs, so that one turn of the loop reads them in several batches.
  constexpr size_t kCount = 2 * switchyard::transport::UdpReceiveArena::kDatagramsPerRead + 5;
  const std::string payload(100, 'x');
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_GT(sendto(fd, payload.data(), payload.size(), 0, socket->localAddress().sockaddrPtr(),
                     socket->localAddress().sockaddrLength()),
              0);
  }
  l.runUntil([&] { return forwarded == kCount; });
  ASSERT_EQ(forwarded, kCount);
  // Every batch found the copies of all the datagrams before it already sent.
  ASSERT_GE(atBatchStart.size(), 2u);
  for (const auto& [before, got] : atBatchStart)
    EXPECT_EQ(got, before);
  EXPECT_EQ(batcher.counters().datagrams, kCount);
  close(fd);
  close(viewer);
}

}  // namespace
