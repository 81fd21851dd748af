// UdpSendBatcher on a real loop with real loopback sockets: what is queued arrives once the
// loop turns, byte for byte and in order, to the right destinations, with fewer syscalls than
// datagrams; runs to one destination go out as GSO messages yet arrive as separate datagrams.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/TestLoop.hpp"
#include "transport/UdpSendBatcher.hpp"
#include "transport/UdpSocket.hpp"

namespace {

using switchyard::transport::SocketAddress;
using switchyard::transport::UdpSendBatcher;
using switchyard::transport::UdpSocket;
using Bytes = std::vector<uint8_t>;

constexpr uint16_t kMinPort = 42000;
constexpr uint16_t kMaxPort = 42999;

using Loop = switchyard::test::TestLoop;

// A receiving socket on the same loop that keeps what arrives.
struct Sink {
  std::vector<Bytes> received;
  std::unique_ptr<UdpSocket> socket;
  explicit Sink(uv_loop_t* loop) {
    std::string error;
    socket = UdpSocket::bind(
        loop, "127.0.0.1", kMinPort, kMaxPort,
        [this](std::span<uint8_t> d, const SocketAddress&) {
          received.emplace_back(d.begin(), d.end());
        },
        &error);
    EXPECT_TRUE(socket) << error;
  }
  const SocketAddress& address() const { return socket->localAddress(); }
};

std::unique_ptr<UdpSocket> sender(uv_loop_t* loop, UdpSendBatcher* batcher) {
  std::string error;
  auto s = UdpSocket::bind(
      loop, "127.0.0.1", kMinPort, kMaxPort, [](std::span<uint8_t>, const SocketAddress&) {},
      &error);
  EXPECT_TRUE(s) << error;
  if (s) s->setSendBatcher(batcher);
  return s;
}

Bytes datagram(uint8_t tag, size_t size) {
  Bytes d(size);
  for (size_t i = 0; i < size; ++i)
    d[i] = static_cast<uint8_t>(tag + i);
  return d;
}

class UdpSendBatcherTest : public ::testing::TestWithParam<bool> {};

TEST_P(UdpSendBatcherTest, QueuedDatagramsArriveInOrderAtTheirDestinations) {
  Loop l;
  UdpSendBatcher batcher(&l.loop, GetParam());
  Sink a(&l.loop), b(&l.loop);
  auto s1 = sender(&l.loop, &batcher);
  auto s2 = sender(&l.loop, &batcher);
  std::vector<Bytes> toA, toB;
  // Interleaved like a fan-out: each packet to both viewers, from two sockets; equal sizes
  // (a GSO run) then a shorter one that ends the run, then other sizes.
  const size_t sizes[] = {1200, 1200, 1200, 1200, 700, 1200, 300, 1200, 1200};
  for (size_t i = 0; i < std::size(sizes); ++i) {
    toA.push_back(datagram(static_cast<uint8_t>(i), sizes[i]));
    toB.push_back(datagram(static_cast<uint8_t>(100 + i), sizes[i]));
    ASSERT_TRUE(s1->send(toA.back(), a.address()));
    ASSERT_TRUE(s2->send(toB.back(), b.address()));
  }
  // Nothing is sent before the loop turns.
  EXPECT_EQ(s1->counters().datagramsSent, 0u);
  l.runUntil([&] { return a.received.size() == toA.size() && b.received.size() == toB.size(); });
  EXPECT_EQ(a.received, toA);
  EXPECT_EQ(b.received, toB);
  EXPECT_EQ(s1->counters().datagramsSent, toA.size());
  EXPECT_EQ(s2->counters().datagramsSent, toB.size());
  EXPECT_EQ(s1->counters().queuedSendFailures, 0u);
  const auto& c = batcher.counters();
  EXPECT_EQ(c.datagrams, toA.size() + toB.size());
  // One sendmmsg per socket in the round.
  EXPECT_EQ(c.syscalls, 2u);
  if (GetParam()) {
    // Per socket: [1200 x4, 700] [1200, 300] [1200 x2] -> three GSO messages.
    EXPECT_EQ(c.gsoMessages, 6u);
  } else {
    EXPECT_EQ(c.gsoMessages, 0u);
  }
}

TEST_P(UdpSendBatcherTest, OneSocketFanningOutSendsEachDestinationARunInOneCall) {
  // A shared socket (UdpMux) queues packet by packet, destinations interleaved: the flush
  // regroups them so that each destination still gets one GSO run, in its own order.
  Loop l;
  UdpSendBatcher batcher(&l.loop, GetParam());
  constexpr size_t kSinks = 5;
  constexpr size_t kPackets = 4;
  std::vector<std::unique_ptr<Sink>> sinks;
  for (size_t i = 0; i < kSinks; ++i)
    sinks.push_back(std::make_unique<Sink>(&l.loop));
  auto shared = sender(&l.loop, &batcher);
  std::vector<std::vector<Bytes>> expected(kSinks);
  for (size_t p = 0; p < kPackets; ++p) {
    for (size_t i = 0; i < kSinks; ++i) {
      expected[i].push_back(datagram(static_cast<uint8_t>(16 * i + p), 1000));
      ASSERT_TRUE(shared->send(expected[i].back(), sinks[i]->address()));
    }
  }
  l.runUntil([&] {
    for (const auto& sink : sinks)
      if (sink->received.size() < kPackets) return false;
    return true;
  });
  for (size_t i = 0; i < kSinks; ++i)
    EXPECT_EQ(sinks[i]->received, expected[i]) << "destination " << i;
  const auto& c = batcher.counters();
  EXPECT_EQ(c.datagrams, kSinks * kPackets);
  EXPECT_EQ(c.syscalls, 1u);
  EXPECT_EQ(c.gsoMessages, GetParam() ? kSinks : 0u);
}

TEST_P(UdpSendBatcherTest, ADatagramWrittenIntoTheBufferIsSentWithoutACopy) {
  Loop l;
  UdpSendBatcher batcher(&l.loop, GetParam());
  Sink a(&l.loop);
  auto s = sender(&l.loop, &batcher);
  const Bytes expected = datagram(7, 500);
  auto room = batcher.buffer();
  ASSERT_GE(room.size(), expected.size());
  std::copy(expected.begin(), expected.end(), room.begin());
  ASSERT_TRUE(s->send(room.first(expected.size()), a.address()));
  EXPECT_EQ(batcher.counters().copiesAvoided, 1u);
  // A second datagram from elsewhere is copied.
  const Bytes other = datagram(9, 40);
  ASSERT_TRUE(s->send(other, a.address()));
  EXPECT_EQ(batcher.counters().copiesAvoided, 1u);
  l.runUntil([&] { return a.received.size() == 2; });
  ASSERT_EQ(a.received.size(), 2u);
  EXPECT_EQ(a.received[0], expected);
  EXPECT_EQ(a.received[1], other);
}

TEST_P(UdpSendBatcherTest, AFullPoolIsSentEarlyAndNothingIsLost) {
  Loop l;
  UdpSendBatcher batcher(&l.loop, GetParam());
  Sink a(&l.loop);
  auto s = sender(&l.loop, &batcher);
  const size_t total = UdpSendBatcher::kDefaultSlots + 10;
  for (size_t i = 0; i < total; ++i) {
    Bytes d = datagram(static_cast<uint8_t>(i), 20);
    d[0] = static_cast<uint8_t>(i >> 8);
    d[1] = static_cast<uint8_t>(i);
    ASSERT_TRUE(s->send(d, a.address()));
  }
  EXPECT_EQ(batcher.counters().earlyFlushes, 1u);
  EXPECT_EQ(s->counters().datagramsSent, UdpSendBatcher::kDefaultSlots);  // the first pool, at once
  l.runUntil(
      [&] { return s->counters().datagramsSent + s->counters().queuedSendFailures == total; });
  EXPECT_EQ(s->counters().datagramsSent + s->counters().queuedSendFailures, total);
  l.runUntil([&] { return a.received.size() == s->counters().datagramsSent; });
  // Small datagrams fit the receive buffer: all arrived, in order.
  ASSERT_EQ(a.received.size(), total);
  for (size_t i = 0; i < total; ++i) {
    ASSERT_EQ(a.received[i][0] << 8 | a.received[i][1], static_cast<int>(i & 0xFFFF)) << i;
  }
}

TEST_P(UdpSendBatcherTest, ClosingASocketSendsWhatItQueued) {
  Loop l;
  UdpSendBatcher batcher(&l.loop, GetParam());
  Sink a(&l.loop);
  auto s = sender(&l.loop, &batcher);
  const Bytes last = datagram(3, 60);  // e.g. a DTLS close_notify
  ASSERT_TRUE(s->send(last, a.address()));
  auto keep = sender(&l.loop, &batcher);
  ASSERT_TRUE(keep->send(datagram(4, 60), a.address()));
  s.reset();
  l.runUntil([&] { return a.received.size() == 2; });
  ASSERT_EQ(a.received.size(), 2u);
  EXPECT_EQ(a.received[0], last);
}

TEST_P(UdpSendBatcherTest, ADatagramTooLargeForASlotIsSentAtOnce) {
  Loop l;
  UdpSendBatcher batcher(&l.loop, GetParam());
  Sink a(&l.loop);
  auto s = sender(&l.loop, &batcher);
  const Bytes big = datagram(1, UdpSendBatcher::kSlotSize + 1);
  ASSERT_TRUE(s->send(big, a.address()));
  EXPECT_EQ(s->counters().datagramsSent, 1u);
  EXPECT_EQ(batcher.counters().datagrams, 0u);
  l.runUntil([&] { return a.received.size() == 1; });
  ASSERT_EQ(a.received.size(), 1u);
  EXPECT_EQ(a.received[0], big);
}

INSTANTIATE_TEST_SUITE_P(Gso, UdpSendBatcherTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "WithGso" : "WithoutGso"; });

}  // namespace
