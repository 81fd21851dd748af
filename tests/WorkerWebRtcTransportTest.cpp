// A real worker's WebRTC transport on a real UDP port, driven through the orchestrator library,
// and poked from a plain socket: ICE-lite answers checks with the right credentials, and every
// kind of bad traffic is dropped and counted by cause.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "control/orchestrator/Router.hpp"
#include "control/orchestrator/WebRtcTransport.hpp"
#include "support/OrchestratorFixture.hpp"
#include "support/UdpPeer.hpp"
#include "transport/StunMessage.hpp"

namespace {

using namespace switchyard;
using switchyard::test::OrchestratorFixture;
using switchyard::test::runUntil;

using switchyard::test::UdpPeer;

std::vector<uint8_t> bindingRequest(const std::string& username, const std::string& password,
                                    bool useCandidate) {
  transport::StunBindingRequestParams p;
  RAND_bytes(p.transactionId.data(), static_cast<int>(p.transactionId.size()));
  p.username = username;
  p.priority = 0x6E0001FF;
  p.tieBreaker = 0x0102030405060708ULL;
  p.useCandidate = useCandidate;
  std::vector<uint8_t> out(512);
  auto key = transport::StunKey::fromPassword(password);
  out.resize(transport::buildStunBindingRequest(out, p, *key));
  return out;
}

class WorkerWebRtcTransport : public OrchestratorFixture {
 protected:
  void SetUp() override {
    OrchestratorFixture::SetUp();
    worker_ = spawn(workerOptions(1));
    ASSERT_TRUE(worker_);
    control::RouterOptions ro;
    ro.mediaCodecs.push_back({control::MediaKind::kVideo, "video/VP8", 96, 90000, 1, {}});
    auto router =
        await<std::shared_ptr<control::Router>>([&](auto cb) { worker_->createRouter(ro, cb); });
    ASSERT_TRUE(router && router->ok());
    router_ = router->value();
    auto t = await<std::shared_ptr<control::WebRtcTransport>>([&](auto cb) {
      router_->createWebRtcTransport({{"127.0.0.1", ""}}, cb);
    });
    ASSERT_TRUE(t && t->ok()) << (t && !t->ok() ? t->error().describe() : "timeout");
    transport_ = t->value();
  }
  void TearDown() override {
    transport_.reset();
    router_.reset();
    if (worker_) {
      await<void>([&](auto cb) { worker_->close(cb); });
      runUntil(
          &loop_, [&] { return !worker_->alive(); }, 5000);
    }
    worker_.reset();
    OrchestratorFixture::TearDown();
  }
  control::TransportStats stats() {
    auto s = await<control::TransportStats>([&](auto cb) { transport_->getStats(cb); });
    EXPECT_TRUE(s && s->ok());
    return s && s->ok() ? s->value() : control::TransportStats{};
  }
  // Lets the worker read what was sent.
  void settle() {
    runUntil(
        &loop_, [] { return false; }, 100);
  }

  std::shared_ptr<control::Worker> worker_;
  std::shared_ptr<control::Router> router_;
  std::shared_ptr<control::WebRtcTransport> transport_;
};

TEST_F(WorkerWebRtcTransport, AnnouncesIceAndDtlsParameters) {
  const auto& info = transport_->info();
  EXPECT_EQ(info.iceUsernameFragment.size(), 16u);
  EXPECT_EQ(info.icePassword.size(), 32u);
  ASSERT_EQ(info.candidates.size(), 1u);
  EXPECT_EQ(info.candidates[0].address, "127.0.0.1");
  EXPECT_GE(info.candidates[0].port, 10000);
  ASSERT_EQ(info.fingerprints.size(), 1u);
  EXPECT_EQ(info.fingerprints[0].algorithm, "sha-256");
  EXPECT_EQ(info.fingerprints[0].value.size(), 32u * 3 - 1);  // "AB:" x 32 minus the last ':'
  EXPECT_EQ(info.iceState, "NEW");
  EXPECT_EQ(info.dtlsState, "NEW");
  auto dump = await<control::RouterDump>([&](auto cb) { router_->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  EXPECT_EQ(dump->value().transportIds, std::vector<std::string>{info.id});
}

TEST_F(WorkerWebRtcTransport, AnswersValidChecksAndSelectsTheNominatedTuple) {
  const auto& info = transport_->info();
  std::vector<std::string> iceStates;
  auto sub = transport_->subscribe(info.id, [&](const fbs::notification::Notification& n) {
    if (const auto* b = n.body_as_Transport_IceStateChangeNotification()) {
      iceStates.push_back(fbs::transport::EnumNameIceState(b->ice_state()));
    }
  });
  UdpPeer peer;
  const uint16_t port = info.candidates[0].port;
  peer.send(bindingRequest(info.iceUsernameFragment + ":peer", info.icePassword, true), port);
  settle();
  auto response = peer.receive();
  ASSERT_TRUE(response.has_value());
  auto msg = transport::StunMessage::parse(*response);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(msg->messageClass(), transport::StunClass::kSuccess);
  EXPECT_TRUE(msg->verifyMessageIntegrity(*transport::StunKey::fromPassword(info.icePassword)));
  EXPECT_TRUE(msg->verifyFingerprint());
  auto mapped = msg->xorMappedAddress();
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(mapped->port(), peer.port());
  runUntil(
      &loop_, [&] { return !iceStates.empty(); }, 2000);
  EXPECT_EQ(iceStates, std::vector<std::string>{"COMPLETED"});
  EXPECT_EQ(stats().iceState, "COMPLETED");
}

TEST_F(WorkerWebRtcTransport, BadTrafficIsDroppedAndCountedByCause) {
  const auto& info = transport_->info();
  const uint16_t port = info.candidates[0].port;
  UdpPeer stranger;
  // Garbage outside every RFC 7983 range.
  stranger.send(std::vector<uint8_t>(100, 0x50), port);
  stranger.send(std::vector<uint8_t>{0xFF}, port);
  // STUN with the wrong password: a 401 answer, and no tuple is learned.
  stranger.send(
      bindingRequest(info.iceUsernameFragment + ":x", "wrong-password-wrong-password", true), port);
  // STUN with an unknown ufrag.
  stranger.send(bindingRequest("nobody:x", info.icePassword, true), port);
  // Truncated STUN header: malformed.
  auto good = bindingRequest(info.iceUsernameFragment + ":x", info.icePassword, false);
  stranger.send(std::span(good).first(good.size() - 7), port);
  // DTLS and RTP from an address ICE never validated.
  std::vector<uint8_t> dtls(60, 0);
  dtls[0] = 22;
  dtls[1] = 0xFE;
  dtls[2] = 0xFD;
  stranger.send(dtls, port);
  std::vector<uint8_t> rtp(200, 0);
  rtp[0] = 0x80;
  rtp[1] = 96;
  stranger.send(rtp, port);
  settle();
  int errors401 = 0;
  while (auto r = stranger.receive()) {
    auto m = transport::StunMessage::parse(*r);
    if (m && m->errorCode() && m->errorCode()->code == 401) ++errors401;
  }
  EXPECT_EQ(errors401, 2);
  auto s = stats();
  EXPECT_EQ(s.droppedUnknownKind, 2u);
  EXPECT_EQ(s.droppedStun, 3u);
  EXPECT_EQ(s.droppedUnknownTuple, 2u);
  EXPECT_EQ(s.iceState, "NEW");  // nothing bad moved the state

  // Now a real peer validates its tuple: its RTP before DTLS is "not connected", and the
  // stranger's traffic is still unknown.
  UdpPeer peer;
  peer.send(bindingRequest(info.iceUsernameFragment + ":p", info.icePassword, true), port);
  settle();
  ASSERT_TRUE(peer.receive().has_value());
  peer.send(rtp, port);
  stranger.send(rtp, port);
  settle();
  s = stats();
  EXPECT_EQ(s.droppedNotConnected, 1u);
  EXPECT_EQ(s.droppedUnknownTuple, 3u);
  EXPECT_EQ(s.iceState, "COMPLETED");
}

TEST_F(WorkerWebRtcTransport, ClosingTheTransportFreesIt) {
  auto closed = await<void>([&](auto cb) { transport_->close(cb); });
  ASSERT_TRUE(closed && closed->ok());
  auto dump = await<control::RouterDump>([&](auto cb) { router_->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  EXPECT_TRUE(dump->value().transportIds.empty());
}

TEST_F(WorkerWebRtcTransport, RejectsBadProduceAndConsumeRequests) {
  control::ProduceOptions noCodec;
  noCodec.kind = control::MediaKind::kVideo;
  auto r1 = await<std::string>([&](auto cb) { transport_->produce(noCodec, cb); });
  ASSERT_TRUE(r1 && !r1->ok());
  EXPECT_NE(r1->error().reason.find("no media codec"), std::string::npos) << r1->error().reason;

  control::ProduceOptions noSsrc;
  noSsrc.kind = control::MediaKind::kVideo;
  noSsrc.rtpParameters.codecs.push_back({"video/VP8", 96, 90000, 1, {}, {}});
  auto r2 = await<std::string>([&](auto cb) { transport_->produce(noSsrc, cb); });
  ASSERT_TRUE(r2 && !r2->ok());

  control::ConsumeOptions unknown;
  unknown.producerId = "nope";
  unknown.rtpParameters.codecs.push_back({"video/VP8", 96, 90000, 1, {}, {}});
  unknown.rtpParameters.encodings.push_back({1234, "", std::nullopt});
  auto r3 = await<std::string>([&](auto cb) { transport_->consume(unknown, cb); });
  ASSERT_TRUE(r3 && !r3->ok());
  EXPECT_EQ(r3->error().kind, control::ErrorKind::kNotFound) << r3->error().describe();

  control::ProduceOptions ok = noSsrc;
  ok.rtpParameters.encodings.push_back({5678, "", std::nullopt});
  auto r4 = await<std::string>([&](auto cb) { transport_->produce(ok, cb); });
  ASSERT_TRUE(r4 && r4->ok()) << r4->error().describe();
  auto dup = await<std::string>([&](auto cb) { transport_->produce(ok, cb); });
  ASSERT_TRUE(dup && !dup->ok());  // same SSRC twice
  auto dump = await<control::RouterDump>([&](auto cb) { router_->dump(cb); });
  EXPECT_EQ(dump->value().producerIds, std::vector<std::string>{r4->value()});
}

// Produce on one transport, consume on another, and drive both over the channel: pause and
// resume reach the consumer (and the producer's pause reaches its consumers as notifications),
// stats answer for each object, and closing the producer closes its consumer.
TEST_F(WorkerWebRtcTransport, ProducersAndConsumersAnswerTheirMethodsAndCloseTogether) {
  control::ProduceOptions po;
  po.kind = control::MediaKind::kVideo;
  po.rtpParameters.mid = "0";
  po.rtpParameters.codecs.push_back({"video/VP8", 96, 90000, 1, {}, {{"nack", "pli"}}});
  po.rtpParameters.encodings.push_back({5678u, "", std::nullopt});
  auto produced = await<std::string>([&](auto cb) { transport_->produce(po, cb); });
  ASSERT_TRUE(produced && produced->ok()) << produced->error().describe();
  const std::string producerId = produced->value();

  auto viewer = await<std::shared_ptr<control::WebRtcTransport>>([&](auto cb) {
    router_->createWebRtcTransport({{"127.0.0.1", ""}}, cb);
  });
  ASSERT_TRUE(viewer && viewer->ok());
  auto v = viewer->value();
  control::ConsumeOptions co;
  co.producerId = producerId;
  co.rtpParameters.codecs.push_back({"video/VP8", 100, 90000, 1, {}, {}});
  co.rtpParameters.encodings.push_back({4321u, "", std::nullopt});
  auto consumed = await<std::string>([&](auto cb) { v->consume(co, cb); });
  ASSERT_TRUE(consumed && consumed->ok()) << consumed->error().describe();
  const std::string consumerId = consumed->value();

  std::vector<std::string> consumerEvents;
  auto sub = v->subscribe(consumerId, [&](const fbs::notification::Notification& n) {
    consumerEvents.push_back(fbs::notification::EnumNameEvent(n.event()));
  });
  using fbs::request::Method;
  for (auto method :
       {Method::CONSUMER_PAUSE, Method::CONSUMER_RESUME, Method::CONSUMER_REQUEST_KEY_FRAME}) {
    auto r = await<void>([&](auto cb) { v->request(method, consumerId, cb); });
    ASSERT_TRUE(r && r->ok()) << fbs::request::EnumNameMethod(method);
  }
  for (auto method : {Method::PRODUCER_PAUSE, Method::PRODUCER_RESUME}) {
    auto r = await<void>([&](auto cb) { transport_->request(method, producerId, cb); });
    ASSERT_TRUE(r && r->ok()) << fbs::request::EnumNameMethod(method);
  }
  auto stats = await<std::vector<control::RtpStreamStats>>(
      [&](auto cb) { v->getRtpStreamStats(Method::CONSUMER_GET_STATS, consumerId, cb); });
  ASSERT_TRUE(stats && stats->ok());
  ASSERT_EQ(stats->value().size(), 1u);
  EXPECT_EQ(stats->value()[0].ssrc, 4321u);
  EXPECT_EQ(stats->value()[0].mimeType, "video/VP8");
  auto pstats = await<std::vector<control::RtpStreamStats>>(
      [&](auto cb) { transport_->getRtpStreamStats(Method::PRODUCER_GET_STATS, producerId, cb); });
  ASSERT_TRUE(pstats && pstats->ok());
  EXPECT_EQ(pstats->value()[0].ssrc, 5678u);
  // A producer method sent to a consumer id is a type error, not a crash.
  auto wrong = await<void>([&](auto cb) { v->request(Method::PRODUCER_PAUSE, consumerId, cb); });
  ASSERT_TRUE(wrong && !wrong->ok());
  EXPECT_EQ(wrong->error().kind, control::ErrorKind::kTypeError);

  auto closed = await<void>([&](auto cb) { transport_->closeProducer(producerId, cb); });
  ASSERT_TRUE(closed && closed->ok());
  runUntil(
      &loop_, [&] { return consumerEvents.size() >= 3; }, 2000);
  EXPECT_EQ(consumerEvents,
            (std::vector<std::string>{"CONSUMER_PRODUCER_PAUSE", "CONSUMER_PRODUCER_RESUME",
                                      "CONSUMER_PRODUCER_CLOSE"}));
  auto dump = await<control::RouterDump>([&](auto cb) { router_->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  EXPECT_TRUE(dump->value().producerIds.empty());
  EXPECT_TRUE(dump->value().consumerIds.empty());
  EXPECT_EQ(dump->value().transportIds.size(), 2u);
  sub.reset();
  v.reset();
}

}  // namespace

// WebRTC transports on the worker's shared port: one port, each transport's checks answered
// with its own credentials, media from a validated tuple routed to its transport only, and the
// port's own counters for what reached no transport.
TEST_F(WorkerWebRtcTransport, TransportsOnASharedPortAreToldApartByUfragThenTuple) {
  std::vector<std::shared_ptr<control::WebRtcTransport>> shared;
  for (int i = 0; i < 2; ++i) {
    auto t = await<std::shared_ptr<control::WebRtcTransport>>([&](auto cb) {
      control::ListenIp ip{"127.0.0.1", "", true};
      router_->createWebRtcTransport({ip}, cb);
    });
    ASSERT_TRUE(t && t->ok()) << (t && !t->ok() ? t->error().describe() : "timeout");
    shared.push_back(t->value());
  }
  const uint16_t port = shared[0]->info().candidates[0].port;
  EXPECT_EQ(shared[1]->info().candidates[0].port, port);
  EXPECT_NE(transport_->info().candidates[0].port, port);  // asked for a port of its own

  // Each peer's check reaches the transport its ufrag names, answered with that password.
  UdpPeer peers[2];
  for (int i = 0; i < 2; ++i) {
    const auto& info = shared[i]->info();
    peers[i].send(bindingRequest(info.iceUsernameFragment + ":peer", info.icePassword, true), port);
    auto response = peers[i].receive(1000);
    ASSERT_TRUE(response.has_value()) << "transport " << i;
    auto msg = transport::StunMessage::parse(*response);
    ASSERT_TRUE(msg.ok());
    EXPECT_EQ(msg->messageClass(), transport::StunClass::kSuccess);
    EXPECT_TRUE(msg->verifyMessageIntegrity(*transport::StunKey::fromPassword(info.icePassword)));
  }
  // SRTP-looking datagrams from peer 1's validated tuple reach transport 1 only (dropped there:
  // no DTLS keys yet); from a stranger they reach no transport.
  const std::vector<uint8_t> srtp(100, 0x80);
  for (int k = 0; k < 3; ++k)
    peers[1].send(srtp, port);
  UdpPeer stranger;
  stranger.send(srtp, port);
  stranger.send(bindingRequest("nosuchufrag:peer", "password-of-nobody-at-all-0123", true), port);
  settle();
  auto statsOf = [&](control::WebRtcTransport& t) {
    auto s = await<control::TransportStats>([&](auto cb) { t.getStats(cb); });
    EXPECT_TRUE(s && s->ok());
    return s && s->ok() ? s->value() : control::TransportStats{};
  };
  EXPECT_EQ(statsOf(*shared[1]).droppedNotConnected, 3u);
  EXPECT_EQ(statsOf(*shared[0]).droppedNotConnected, 0u);
  auto dump = await<control::WorkerDump>([&](auto cb) { worker_->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  ASSERT_EQ(dump->value().sharedPorts.size(), 1u);
  const auto& p = dump->value().sharedPorts[0];
  EXPECT_EQ(p.ip, "127.0.0.1");
  EXPECT_EQ(p.port, port);
  EXPECT_EQ(p.iceUfrags, 2u);
  EXPECT_EQ(p.tuples, 2u);
  EXPECT_EQ(p.routedByUfrag, 2u);
  EXPECT_EQ(p.routedByTuple, 3u);
  EXPECT_EQ(p.droppedUnknownTuple, 1u);
  EXPECT_EQ(p.droppedUnknownUfrag, 1u);
  EXPECT_EQ(p.datagramsReceived, 7u);
  EXPECT_EQ(p.datagramsSent, 2u);

  // Closing a transport takes its ufrag and tuples off the port.
  await<void>([&](auto cb) { shared[1]->close(cb); });
  dump = await<control::WorkerDump>([&](auto cb) { worker_->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  EXPECT_EQ(dump->value().sharedPorts[0].iceUfrags, 1u);
  EXPECT_EQ(dump->value().sharedPorts[0].tuples, 1u);
}
