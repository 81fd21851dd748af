// UdpMux on a real loop with real loopback sockets: STUN reaches the transport its USERNAME
// names from any address, everything else only the transport that registered the sender's
// tuple; the rest is dropped and counted by cause. Replies go out of the one shared port.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/TestLoop.hpp"
#include "tests/support/UdpPeer.hpp"
#include "transport/StunMessage.hpp"
#include "transport/UdpMux.hpp"

namespace switchyard::transport {
namespace {

using test::UdpPeer;
using Bytes = std::vector<uint8_t>;

constexpr uint16_t kMinPort = 43000;
constexpr uint16_t kMaxPort = 43999;
constexpr int kQuietMs = 50;  // how long "nothing arrives" is watched

using Loop = test::TestLoop;

// A transport's side of the mux: keeps what it was given, and can answer on the socket.
struct Recorder final : UdpMux::Endpoint {
  std::vector<Bytes> received;
  std::vector<uint16_t> fromPorts;
  UdpSocket* socket = nullptr;
  void onMuxDatagram(UdpSocket& s, std::span<uint8_t> d, const SocketAddress& from) override {
    received.emplace_back(d.begin(), d.end());
    fromPorts.push_back(from.port());
    socket = &s;
  }
};

SocketAddress loopback(uint16_t port) {
  return SocketAddress::fromIp("127.0.0.1", port).value();
}

Bytes bindingRequest(std::string_view username) {
  Bytes out(512);
  const auto key = StunKey::fromPassword("any-password-the-mux-never-checks");
  StunBindingRequestParams p;
  p.username = username;
  p.transactionId = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  out.resize(buildStunBindingRequest(out, p, *key));
  EXPECT_FALSE(out.empty());
  return out;
}

// An RTP-looking datagram (RFC 7983: first byte 128..191).
Bytes rtp(uint8_t tag) {
  Bytes d(60, tag);
  d[0] = 0x80;
  d[1] = 96;
  return d;
}

std::unique_ptr<UdpMux> bindMux(uv_loop_t* loop) {
  std::string error;
  auto mux = UdpMux::bind(loop, "127.0.0.1", 0, kMinPort, kMaxPort, nullptr, nullptr, &error);
  EXPECT_TRUE(mux) << error;
  return mux;
}

void runQuietly(Loop& l) {
  l.runUntil([] { return false; }, kQuietMs);
}

TEST(UdpMuxTest, StunFindsItsTransportByUfragFromAnyAddress) {
  Loop l;
  auto mux = bindMux(&l.loop);
  Recorder a, b;
  ASSERT_TRUE(mux->addUsernameFragment("ufragA", a));
  ASSERT_TRUE(mux->addUsernameFragment("ufragB", b));
  UdpPeer peer;
  const uint16_t port = mux->localAddress().port();
  peer.send(bindingRequest("ufragB:remote"), port);
  peer.send(bindingRequest("ufragA:other"), port);
  ASSERT_TRUE(l.runUntil([&] { return a.received.size() == 1 && b.received.size() == 1; }));
  EXPECT_EQ(a.received[0], bindingRequest("ufragA:other"));
  EXPECT_EQ(b.fromPorts[0], peer.port());
  EXPECT_EQ(mux->counters().routedByUfrag, 2u);
  // A reply goes out of the shared port to the sender.
  ASSERT_EQ(a.socket, &mux->socket());
  const Bytes reply = {1, 2, 3};
  ASSERT_TRUE(a.socket->send(reply, loopback(peer.port())));
  EXPECT_EQ(peer.receive(), reply);
}

TEST(UdpMuxTest, MediaOnlyFromARegisteredTupleAndToItsOwner) {
  Loop l;
  auto mux = bindMux(&l.loop);
  Recorder a, b;
  UdpPeer peerA, peerB, stranger;
  const uint16_t port = mux->localAddress().port();
  peerA.send(rtp(1), port);  // before anyone registered it
  runQuietly(l);
  EXPECT_TRUE(a.received.empty());
  EXPECT_EQ(mux->counters().droppedUnknownTuple, 1u);

  mux->addTuple(loopback(peerA.port()), a);
  mux->addTuple(loopback(peerB.port()), b);
  peerA.send(rtp(2), port);
  peerB.send(rtp(3), port);
  stranger.send(rtp(4), port);
  ASSERT_TRUE(l.runUntil([&] { return a.received.size() == 1 && b.received.size() == 1; }));
  runQuietly(l);
  EXPECT_EQ(a.received, std::vector<Bytes>{rtp(2)});
  EXPECT_EQ(b.received, std::vector<Bytes>{rtp(3)});
  EXPECT_EQ(mux->counters().routedByTuple, 2u);
  EXPECT_EQ(mux->counters().droppedUnknownTuple, 2u);
}

TEST(UdpMuxTest, BadOrUnknownStunIsDroppedAndCountedByCause) {
  Loop l;
  auto mux = bindMux(&l.loop);
  Recorder a;
  ASSERT_TRUE(mux->addUsernameFragment("ufragA", a));
  UdpPeer peer;
  const uint16_t port = mux->localAddress().port();
  peer.send(bindingRequest("nobody:remote"), port);
  Bytes truncated = bindingRequest("ufragA:remote");
  truncated.resize(truncated.size() - 7);  // the header's length no longer matches
  peer.send(truncated, port);
  Bytes noUsername(512);
  StunMessageWriter w(noUsername, StunClass::kRequest, StunMessage::kMethodBinding, {});
  ASSERT_TRUE(w.addFingerprint());
  noUsername.resize(w.size());
  peer.send(noUsername, port);
  ASSERT_TRUE(l.runUntil([&] {
    const auto& c = mux->counters();
    return c.droppedUnknownUfrag == 1 && c.droppedMalformedStun == 2;
  }));
  EXPECT_TRUE(a.received.empty());
  // From a registered tuple, STUN without a USERNAME (a response, an indication) goes to the
  // tuple's owner, which judges it.
  mux->addTuple(loopback(peer.port()), a);
  peer.send(noUsername, port);
  ASSERT_TRUE(l.runUntil([&] { return a.received.size() == 1; }));
  EXPECT_EQ(mux->counters().droppedMalformedStun, 2u);
}

TEST(UdpMuxTest, TheLatestOwnerOfATupleWinsAndRemovalForgetsEverything) {
  Loop l;
  auto mux = bindMux(&l.loop);
  Recorder a, b;
  ASSERT_TRUE(mux->addUsernameFragment("ufragA", a));
  EXPECT_FALSE(mux->addUsernameFragment("ufragA", b));  // taken
  EXPECT_TRUE(mux->addUsernameFragment("ufragA", a));   // again by its owner: fine
  UdpPeer peer;
  const auto tuple = loopback(peer.port());
  mux->addTuple(tuple, a);
  mux->addTuple(tuple, b);  // a later valid check from the same address, for b
  EXPECT_EQ(mux->tupleOwner(tuple), &b);
  const uint16_t port = mux->localAddress().port();
  peer.send(rtp(5), port);
  ASSERT_TRUE(l.runUntil([&] { return b.received.size() == 1; }));
  EXPECT_TRUE(a.received.empty());

  // Removing a leaves what b took from it.
  mux->remove(a);
  EXPECT_EQ(mux->tupleOwner(tuple), &b);
  EXPECT_EQ(mux->usernameFragmentCount(), 0u);
  mux->remove(b);
  EXPECT_EQ(mux->tupleCount(), 0u);
  EXPECT_EQ(mux->usernameFragmentCount(), 0u);
  peer.send(rtp(6), port);
  peer.send(bindingRequest("ufragA:remote"), port);
  ASSERT_TRUE(l.runUntil([&] {
    return mux->counters().droppedUnknownTuple == 1 && mux->counters().droppedUnknownUfrag == 1;
  }));
  EXPECT_EQ(b.received.size(), 1u);
}

}  // namespace
}  // namespace switchyard::transport
