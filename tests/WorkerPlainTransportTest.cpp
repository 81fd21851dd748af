// Plain RTP transports in a real worker, driven through the orchestrator library, with loopback
// UDP sockets as the far ends: a publisher (comedia) sends VP8 to its transport's port and a
// viewer socket receives it rewritten by the consumer, in clear and with SRTP of both crypto
// suites (keys passed as base64 over the control channel); the comedia tuple is notified,
// counted and dumped; and creating or connecting refuses what cannot work with a clear error.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/orchestrator/PlainTransport.hpp"
#include "control/orchestrator/Router.hpp"
#include "support/OrchestratorFixture.hpp"
#include "support/UdpPeer.hpp"
#include "transport/SrtpParameters.hpp"
#include "transport/SrtpSession.hpp"

namespace {

using namespace switchyard;
using switchyard::test::OrchestratorFixture;
using switchyard::test::runUntil;
using Bytes = std::vector<uint8_t>;

constexpr const char* kLoopback = "127.0.0.1";
constexpr uint8_t kProducerPayloadType = 96;
constexpr uint8_t kConsumerPayloadType = 100;
constexpr uint32_t kProducerSsrc = 0x0A0B0C0D;
constexpr uint32_t kConsumerSsrc = 0x01020304;
constexpr size_t kPackets = 12;
// Starts just before the 16-bit wrap: continuity must hold across it (and SRTP's rollover
// counter must follow, RFC 3711 section 3.3.1).
constexpr uint16_t kFirstSequence = 65530;
constexpr size_t kPayloadSize = 300;
// RTCP packet types (RFC 5761 section 4): what a viewer socket gets besides RTP.
constexpr uint8_t kRtcpTypeFirst = 192;
constexpr uint8_t kRtcpTypeLast = 223;
constexpr uint64_t kForwardTimeoutMs = 3000;

using switchyard::test::UdpPeer;

bool isRtcp(const Bytes& d) {
  return d.size() >= 2 && d[1] >= kRtcpTypeFirst && d[1] <= kRtcpTypeLast;
}

uint16_t readU16(const Bytes& d, size_t at) {
  return static_cast<uint16_t>(d[at] << 8 | d[at + 1]);
}

uint32_t readU32(const Bytes& d, size_t at) {
  return static_cast<uint32_t>(d[at]) << 24 | static_cast<uint32_t>(d[at + 1]) << 16 |
         static_cast<uint32_t>(d[at + 2]) << 8 | d[at + 3];
}

// A VP8 RTP payload (RFC 7741): a 1-byte descriptor starting partition 0 (S=1, no picture id,
// so the consumer leaves it as it is), then a keyframe header (RFC 6386 section 9.1: P bit 0,
// start code, 640x480) or an interframe's (P bit 1), then bytes particular to the packet.
Bytes vp8Payload(size_t index) {
  Bytes p = {0x10};
  if (index == 0) {
    p.insert(p.end(), {0x00, 0x00, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01});
  } else {
    p.insert(p.end(), {0x01, 0x00, 0x00});
  }
  while (p.size() < kPayloadSize)
    p.push_back(static_cast<uint8_t>(p.size() * 3 + index * 11));
  return p;
}

// RTP by hand (RFC 3550 section 5.1): V=2, no padding, extension or CSRCs.
Bytes rtpPacket(uint16_t seq, uint32_t timestamp, const Bytes& payload) {
  constexpr size_t kHeaderSize = 12;
  Bytes p(kHeaderSize + payload.size());
  p[0] = 0x80;
  p[1] = kProducerPayloadType;
  auto put = [&](size_t at, uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
      p[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
  };
  put(2, seq, 2);
  put(4, timestamp, 4);
  put(8, kProducerSsrc, 4);
  std::copy(payload.begin(), payload.end(), p.begin() + kHeaderSize);
  return p;
}

transport::SrtpProfile profileOf(control::SrtpCryptoSuite suite) {
  return suite == control::SrtpCryptoSuite::kAeadAes128Gcm
             ? transport::SrtpProfile::kAeadAes128Gcm
             : transport::SrtpProfile::kAes128CmHmacSha1_80;
}

std::unique_ptr<transport::SrtpSession> session(transport::SrtpSession::Direction direction,
                                                const transport::SrtpParameters& key) {
  auto s = transport::SrtpSession::create(direction, key.profile(), key.keyAndSalt());
  EXPECT_TRUE(s.ok());
  return s.ok() ? std::move(*s) : nullptr;
}

// The transport dump straight from the worker (TRANSPORT_DUMP): the tuples as they are now.
struct PlainDump {
  control::TupleInfo tuple;
  std::optional<control::TupleInfo> rtcpTuple;
  bool comedia = false;
  std::optional<std::string> srtpKey;
};

control::TupleInfo tupleOf(const fbs::common::TransportTuple& t) {
  control::TupleInfo out;
  out.localAddress = t.local_address()->str();
  out.localPort = t.local_port();
  out.remoteIp = t.remote_ip() ? t.remote_ip()->str() : "";
  out.remotePort = t.remote_port();
  return out;
}

class WorkerPlainTransport : public OrchestratorFixture {
 protected:
  void SetUp() override {
    OrchestratorFixture::SetUp();
    worker_ = spawn(workerOptions(1));
    ASSERT_TRUE(worker_);
    control::RouterOptions ro;
    ro.mediaCodecs.push_back({control::MediaKind::kVideo, "video/VP8", 96, 90000, 1, {}});
    ro.mediaCodecs.push_back({control::MediaKind::kAudio, "audio/opus", 111, 48000, 2, {}});
    auto router =
        await<std::shared_ptr<control::Router>>([&](auto cb) { worker_->createRouter(ro, cb); });
    ASSERT_TRUE(router && router->ok());
    router_ = router->value();
  }
  void TearDown() override {
    router_.reset();
    if (worker_) {
      await<void>([&](auto cb) { worker_->close(cb); });
      runUntil(
          &loop_, [&] { return !worker_->alive(); }, 5000);
    }
    worker_.reset();
    OrchestratorFixture::TearDown();
  }

  control::PlainTransportOptions plainOptions(bool comedia,
                                              std::optional<control::SrtpCryptoSuite> srtp) {
    control::PlainTransportOptions o;
    o.listen = {kLoopback, ""};
    o.comedia = comedia;
    o.srtp = srtp;
    return o;
  }
  std::optional<control::Result<std::shared_ptr<control::PlainTransport>>> tryCreate(
      control::PlainTransportOptions o) {
    return await<std::shared_ptr<control::PlainTransport>>(
        [&](auto cb) { router_->createPlainTransport(o, cb); });
  }
  std::shared_ptr<control::PlainTransport> create(control::PlainTransportOptions o) {
    auto t = tryCreate(std::move(o));
    EXPECT_TRUE(t && t->ok()) << (t && !t->ok() ? t->error().describe() : "timeout");
    return t && t->ok() ? t->value() : nullptr;
  }
  std::optional<control::Result<void>> connect(control::PlainTransport& t,
                                               control::PlainConnectOptions o) {
    return await<void>([&](auto cb) { t.connect(o, cb); });
  }
  control::TransportStats stats(control::Transport& t) {
    auto s = await<control::TransportStats>([&](auto cb) { t.getStats(cb); });
    EXPECT_TRUE(s && s->ok());
    return s && s->ok() ? s->value() : control::TransportStats{};
  }
  std::optional<PlainDump> dump(const control::Transport& t) {
    std::optional<PlainDump> out;
    bool done = false;
    worker_->channel().request(fbs::request::Method::TRANSPORT_DUMP, t.id(), {},
                               [&](const control::Error* e, const fbs::response::Response* r) {
                                 done = true;
                                 EXPECT_EQ(e, nullptr) << (e ? e->describe() : "");
                                 if (e) return;
                                 const auto* body = r->body_as_Transport_DumpResponse();
                                 const auto* plain = body ? body->dump_as_Plain() : nullptr;
                                 ASSERT_TRUE(plain && plain->tuple());
                                 PlainDump d;
                                 d.tuple = tupleOf(*plain->tuple());
                                 if (plain->rtcp_tuple())
                                   d.rtcpTuple = tupleOf(*plain->rtcp_tuple());
                                 d.comedia = plain->comedia();
                                 if (plain->srtp_parameters())
                                   d.srtpKey = plain->srtp_parameters()->key_base64()->str();
                                 out = d;
                               });
    runUntil(
        &loop_, [&] { return done; }, 5000);
    return out;
  }
  // Lets the worker read what was sent.
  void settle() {
    runUntil(
        &loop_, [] { return false; }, 100);
  }

  std::shared_ptr<control::Worker> worker_;
  std::shared_ptr<control::Router> router_;
};

// The suite under test: none (plain RTP) or one of the two SRTP crypto suites.
class WorkerPlainTransportMedia
    : public WorkerPlainTransport,
      public ::testing::WithParamInterface<std::optional<control::SrtpCryptoSuite>> {};

INSTANTIATE_TEST_SUITE_P(Suites, WorkerPlainTransportMedia,
                         ::testing::Values(std::nullopt,
                                           control::SrtpCryptoSuite::kAesCm128HmacSha1_80,
                                           control::SrtpCryptoSuite::kAeadAes128Gcm),
                         [](const auto& p) -> std::string {
                           if (!p.param) return "Rtp";
                           return *p.param == control::SrtpCryptoSuite::kAeadAes128Gcm
                                      ? "AeadAes128Gcm"
                                      : "AesCm128HmacSha1_80";
                         });

TEST_P(WorkerPlainTransportMedia, ForwardsFromAComediaPublisherToAConnectedViewer) {
  const auto suite = GetParam();
  auto publisher = create(plainOptions(true, suite));
  auto viewer = create(plainOptions(false, suite));
  ASSERT_TRUE(publisher && viewer);

  // What creation announces: our address and port, no peer yet, and with SRTP our key.
  for (const auto* t : {publisher.get(), viewer.get()}) {
    const auto& info = t->info();
    EXPECT_EQ(info.id, t->id());
    EXPECT_EQ(info.tuple.localAddress, kLoopback);
    EXPECT_NE(info.tuple.localPort, 0);
    EXPECT_TRUE(info.tuple.remoteIp.empty());
    EXPECT_EQ(info.tuple.remotePort, 0);
    EXPECT_FALSE(info.rtcpTuple.has_value());  // rtcp-mux
    ASSERT_EQ(info.srtp.has_value(), suite.has_value());
    if (suite) {
      EXPECT_EQ(info.srtp->cryptoSuite, *suite);
      EXPECT_TRUE(transport::SrtpParameters::fromBase64(profileOf(*suite), info.srtp->keyBase64))
          << info.srtp->keyBase64;
    }
  }
  EXPECT_TRUE(publisher->info().comedia);
  EXPECT_FALSE(viewer->info().comedia);
  EXPECT_NE(publisher->info().tuple.localPort, viewer->info().tuple.localPort);
  if (suite) {
    EXPECT_NE(publisher->info().srtp->keyBase64, viewer->info().srtp->keyBase64);
  }

  std::vector<control::TupleInfo> tuples;
  std::vector<std::string> events;
  auto sub = publisher->subscribe(publisher->id(), [&](const fbs::notification::Notification& n) {
    events.push_back(fbs::notification::EnumNameEvent(n.event()));
    if (const auto* b = n.body_as_Transport_TupleNotification())
      tuples.push_back(tupleOf(*b->tuple()));
  });

  UdpPeer publisherPeer, viewerPeer, stranger;
  // With SRTP each far end picks its own key and hands it over with connect; it decrypts what
  // the worker sends with the key the transport announced.
  std::unique_ptr<transport::SrtpSession> publisherOut, viewerIn;
  if (suite) {
    auto publisherKey = transport::SrtpParameters::generate(profileOf(*suite));
    auto viewerPeerKey = transport::SrtpParameters::generate(profileOf(*suite));
    ASSERT_TRUE(publisherKey && viewerPeerKey);
    publisherOut = session(transport::SrtpSession::Direction::kOutbound, *publisherKey);
    auto viewerKey =
        transport::SrtpParameters::fromBase64(profileOf(*suite), viewer->info().srtp->keyBase64);
    ASSERT_TRUE(viewerKey);
    viewerIn = session(transport::SrtpSession::Direction::kInbound, *viewerKey);
    ASSERT_TRUE(publisherOut && viewerIn);
    control::PlainConnectOptions pc;
    pc.srtp = control::SrtpKeyInfo{*suite, publisherKey->toBase64()};
    auto r = connect(*publisher, pc);
    ASSERT_TRUE(r && r->ok()) << (r && !r->ok() ? r->error().describe() : "timeout");
    control::PlainConnectOptions vc{kLoopback, viewerPeer.port(), 0,
                                    control::SrtpKeyInfo{*suite, viewerPeerKey->toBase64()}};
    r = connect(*viewer, vc);
    ASSERT_TRUE(r && r->ok()) << (r && !r->ok() ? r->error().describe() : "timeout");
  } else {
    // comedia without SRTP needs no connect: the first packet names the publisher.
    auto r = connect(*viewer, {kLoopback, viewerPeer.port(), 0, std::nullopt});
    ASSERT_TRUE(r && r->ok()) << (r && !r->ok() ? r->error().describe() : "timeout");
  }

  control::ProduceOptions po;
  po.kind = control::MediaKind::kVideo;
  po.rtpParameters.codecs.push_back({"video/VP8", kProducerPayloadType, 90000, 1, {}, {}});
  po.rtpParameters.encodings.push_back({kProducerSsrc, "", std::nullopt});
  auto produced = await<std::string>([&](auto cb) { publisher->produce(po, cb); });
  ASSERT_TRUE(produced && produced->ok()) << produced->error().describe();
  control::ConsumeOptions co;
  co.producerId = produced->value();
  co.rtpParameters.codecs.push_back({"video/VP8", kConsumerPayloadType, 90000, 1, {}, {}});
  co.rtpParameters.encodings.push_back({kConsumerSsrc, "", std::nullopt});
  auto consumed = await<std::string>([&](auto cb) { viewer->consume(co, cb); });
  ASSERT_TRUE(consumed && consumed->ok()) << consumed->error().describe();

  // The publisher sends a keyframe and what follows it to its transport's port.
  const uint16_t publisherPort = publisher->info().tuple.localPort;
  std::vector<Bytes> payloads;
  size_t bytesSent = 0;
  for (size_t i = 0; i < kPackets; ++i) {
    payloads.push_back(vp8Payload(i));
    Bytes packet = rtpPacket(static_cast<uint16_t>(kFirstSequence + i),
                             static_cast<uint32_t>(1000 + i * 3000), payloads.back());
    if (publisherOut) {
      const size_t length = packet.size();
      packet.resize(length + transport::SrtpSession::kMaxTrailer);
      auto n = publisherOut->protectRtp(packet, length);
      ASSERT_TRUE(n.ok());
      packet.resize(*n);
    }
    bytesSent += packet.size();
    publisherPeer.send(packet, publisherPort);
  }

  // The viewer socket gets each of them, as the consumer's stream.
  std::vector<Bytes> received;
  size_t rtcpSeen = 0;
  runUntil(
      &loop_,
      [&] {
        while (auto d = viewerPeer.poll()) {
          if (isRtcp(*d)) {
            ++rtcpSeen;  // sender reports
            continue;
          }
          if (viewerIn) {
            auto n = viewerIn->unprotectRtp(*d);
            EXPECT_TRUE(n.ok()) << "the viewer cannot decrypt what the worker sent";
            if (!n.ok()) continue;
            d->resize(*n);
          }
          received.push_back(std::move(*d));
        }
        return received.size() >= kPackets && !tuples.empty();
      },
      kForwardTimeoutMs);
  ASSERT_EQ(received.size(), kPackets);
  for (size_t i = 0; i < kPackets; ++i) {
    SCOPED_TRACE(i);
    const Bytes& p = received[i];
    ASSERT_GE(p.size(), 12u);
    EXPECT_EQ(p[0], 0x80);  // V=2, nothing added
    EXPECT_EQ(p[1] & 0x7F, kConsumerPayloadType);
    EXPECT_EQ(readU32(p, 8), kConsumerSsrc);
    EXPECT_EQ(readU32(p, 4), 1000 + i * 3000);
    EXPECT_EQ(Bytes(p.begin() + 12, p.end()), payloads[i]);
    if (i > 0) {
      EXPECT_EQ(readU16(p, 2), static_cast<uint16_t>(readU16(received[i - 1], 2) + 1));
    }
  }

  // The comedia tuple was notified once, for the publisher's port and socket.
  ASSERT_EQ(tuples.size(), 1u);
  EXPECT_EQ(events, std::vector<std::string>{"TRANSPORT_TUPLE"});
  EXPECT_EQ(tuples[0].localAddress, kLoopback);
  EXPECT_EQ(tuples[0].localPort, publisherPort);
  EXPECT_EQ(tuples[0].remoteIp, kLoopback);
  EXPECT_EQ(tuples[0].remotePort, publisherPeer.port());

  // A stranger sending to the publisher's port is not taken.
  stranger.send(rtpPacket(1, 1, payloads[1]), publisherPort);
  settle();

  const auto ps = stats(*publisher);
  EXPECT_EQ(ps.rtpReceived, kPackets);
  EXPECT_EQ(ps.droppedUnknownTuple, 1u);
  EXPECT_EQ(ps.packetsDropped, 1u);
  EXPECT_EQ(ps.droppedUnknownSsrc, 0u);
  EXPECT_EQ(ps.droppedSrtpAuth + ps.droppedSrtpReplay + ps.droppedSrtpOther, 0u);
  EXPECT_EQ(ps.bytesReceived, bytesSent + 12 + payloads[1].size());
  const auto vs = stats(*viewer);
  EXPECT_EQ(vs.rtpSent, kPackets);
  EXPECT_EQ(vs.sendFailures, 0u);
  EXPECT_GE(vs.bytesSent, bytesSent);
  EXPECT_EQ(vs.packetsDropped, 0u);

  // The dump has both tuples as they are now, and the key announced at creation.
  auto pd = dump(*publisher);
  ASSERT_TRUE(pd.has_value());
  EXPECT_TRUE(pd->comedia);
  EXPECT_EQ(pd->tuple.localAddress, kLoopback);
  EXPECT_EQ(pd->tuple.localPort, publisherPort);
  EXPECT_EQ(pd->tuple.remoteIp, kLoopback);
  EXPECT_EQ(pd->tuple.remotePort, publisherPeer.port());
  EXPECT_FALSE(pd->rtcpTuple.has_value());
  auto vd = dump(*viewer);
  ASSERT_TRUE(vd.has_value());
  EXPECT_FALSE(vd->comedia);
  EXPECT_EQ(vd->tuple.localPort, viewer->info().tuple.localPort);
  EXPECT_EQ(vd->tuple.remoteIp, kLoopback);
  EXPECT_EQ(vd->tuple.remotePort, viewerPeer.port());
  EXPECT_EQ(vd->srtpKey.has_value(), suite.has_value());
  if (suite) {
    EXPECT_EQ(*vd->srtpKey, viewer->info().srtp->keyBase64);
  }
  sub.reset();
}

// RTCP on a port of its own, asked through the orchestrator: announced and dumped apart.
TEST_F(WorkerPlainTransport, AnnouncesTheRtcpTupleWithoutRtcpMux) {
  control::PlainTransportOptions o = plainOptions(false, std::nullopt);
  o.rtcpMux = false;
  auto t = create(o);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->info().rtcpTuple.has_value());
  EXPECT_EQ(t->info().rtcpTuple->localAddress, kLoopback);
  EXPECT_NE(t->info().rtcpTuple->localPort, 0);
  EXPECT_NE(t->info().rtcpTuple->localPort, t->info().tuple.localPort);
  UdpPeer peer;
  auto r = connect(*t, {kLoopback, peer.port(), 0, std::nullopt});
  ASSERT_TRUE(r && r->ok()) << (r && !r->ok() ? r->error().describe() : "timeout");
  auto d = dump(*t);
  ASSERT_TRUE(d && d->rtcpTuple);
  EXPECT_EQ(d->rtcpTuple->localPort, t->info().rtcpTuple->localPort);
  EXPECT_EQ(d->rtcpTuple->remoteIp, kLoopback);
  EXPECT_EQ(d->rtcpTuple->remotePort, peer.port() + 1);  // RFC 3550 section 11
}

TEST_F(WorkerPlainTransport, CreatingOnAPortInUseFailsClearly) {
  UdpPeer busy;
  ASSERT_TRUE(busy.bound());
  control::PlainTransportOptions o = plainOptions(false, std::nullopt);
  o.port = busy.port();
  auto r = tryCreate(o);
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().kind, control::ErrorKind::kError);
  EXPECT_NE(r->error().reason.find("cannot bind UDP on 127.0.0.1"), std::string::npos)
      << r->error().reason;
  EXPECT_NE(r->error().reason.find("in use"), std::string::npos) << r->error().reason;
  // Nothing was left behind in the router.
  auto d = await<control::RouterDump>([&](auto cb) { router_->dump(cb); });
  ASSERT_TRUE(d && d->ok());
  EXPECT_TRUE(d->value().transportIds.empty());
}

TEST_F(WorkerPlainTransport, ConnectRefusesBadKeysAndMissingAddresses) {
  auto t = create(plainOptions(false, control::SrtpCryptoSuite::kAesCm128HmacSha1_80));
  ASSERT_TRUE(t);
  UdpPeer peer;
  auto goodKey = transport::SrtpParameters::generate(transport::SrtpProfile::kAes128CmHmacSha1_80);
  auto gcmKey = transport::SrtpParameters::generate(transport::SrtpProfile::kAeadAes128Gcm);
  ASSERT_TRUE(goodKey && gcmKey);
  auto attempt = [&](std::string ip, uint16_t port, std::optional<control::SrtpKeyInfo> key) {
    auto r = connect(*t, {std::move(ip), port, 0, std::move(key)});
    EXPECT_TRUE(r.has_value());
    return r ? *r : control::Result<void>(control::Error{control::ErrorKind::kTimeout, ""});
  };
  using control::SrtpCryptoSuite;
  std::string bad = goodKey->toBase64();
  bad[5] = '*';
  for (const auto& [text, why] :
       {std::pair<std::string, const char*>{"not base64 at all", "not base64"},
        {bad, "a character outside the alphabet"},
        {goodKey->toBase64() + "AAAA", "too long"},
        {gcmKey->toBase64(), "a GCM key's text given as AES-CM"}}) {
    auto r = attempt(kLoopback, peer.port(),
                     control::SrtpKeyInfo{SrtpCryptoSuite::kAesCm128HmacSha1_80, text});
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.error().kind, control::ErrorKind::kTypeError)
        << why << ": " << r.error().describe();
    EXPECT_NE(r.error().reason.find("key_base64"), std::string::npos) << r.error().reason;
  }
  // Valid keys that the transport cannot use, and addresses: the transport's state refuses.
  auto r = attempt(kLoopback, peer.port(),
                   control::SrtpKeyInfo{SrtpCryptoSuite::kAeadAes128Gcm, gcmKey->toBase64()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, control::ErrorKind::kInvalidState) << r.error().describe();
  r = attempt(kLoopback, peer.port(), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, control::ErrorKind::kInvalidState) << r.error().describe();
  r = attempt("", 0,
              control::SrtpKeyInfo{SrtpCryptoSuite::kAesCm128HmacSha1_80, goodKey->toBase64()});
  ASSERT_FALSE(r.ok()) << "no address without comedia";
  EXPECT_EQ(r.error().kind, control::ErrorKind::kInvalidState) << r.error().describe();
  r = attempt("localhost", peer.port(),
              control::SrtpKeyInfo{SrtpCryptoSuite::kAesCm128HmacSha1_80, goodKey->toBase64()});
  ASSERT_FALSE(r.ok()) << "not an IP literal";
  EXPECT_EQ(r.error().kind, control::ErrorKind::kTypeError) << r.error().describe();

  // After all that, the right connect works, once.
  r = attempt(kLoopback, peer.port(),
              control::SrtpKeyInfo{SrtpCryptoSuite::kAesCm128HmacSha1_80, goodKey->toBase64()});
  EXPECT_TRUE(r.ok()) << r.error().describe();
  r = attempt(kLoopback, peer.port(),
              control::SrtpKeyInfo{SrtpCryptoSuite::kAesCm128HmacSha1_80, goodKey->toBase64()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, control::ErrorKind::kInvalidState);
}

// ffmpeg and most RTP tools pick a random SSRC per run: a plain transport's producer created
// without one takes the first stream that carries one of its payload types, and only that one.
TEST_F(WorkerPlainTransport, AProducerWithoutSsrcTakesTheFirstStreamOfItsPayloadType) {
  auto publisher = create(plainOptions(true, std::nullopt));
  auto viewer = create(plainOptions(false, std::nullopt));
  ASSERT_TRUE(publisher && viewer);
  UdpPeer publisherPeer, viewerPeer;
  auto r = connect(*viewer, {kLoopback, viewerPeer.port(), 0, std::nullopt});
  ASSERT_TRUE(r && r->ok());
  control::ProduceOptions po;
  po.kind = control::MediaKind::kVideo;
  po.rtpParameters.codecs.push_back({"video/VP8", kProducerPayloadType, 90000, 1, {}, {}});
  auto produced = await<std::string>([&](auto cb) { publisher->produce(po, cb); });
  ASSERT_TRUE(produced && produced->ok()) << produced->error().describe();
  control::ConsumeOptions co;
  co.producerId = produced->value();
  co.rtpParameters.codecs.push_back({"video/VP8", kConsumerPayloadType, 90000, 1, {}, {}});
  co.rtpParameters.encodings.push_back({kConsumerSsrc, "", std::nullopt});
  auto consumed = await<std::string>([&](auto cb) { viewer->consume(co, cb); });
  ASSERT_TRUE(consumed && consumed->ok()) << consumed->error().describe();

  auto withSsrc = [](Bytes packet, uint32_t ssrc, uint8_t payloadType) {
    packet[1] = payloadType;
    for (int i = 0; i < 4; ++i)
      packet[8 + static_cast<size_t>(i)] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    return packet;
  };
  constexpr uint32_t kRandomSsrc = 0x5EED1234;
  constexpr uint32_t kOtherSsrc = 0x0BADF00D;
  constexpr uint8_t kUnknownPayloadType = 120;
  const uint16_t port = publisher->info().tuple.localPort;
  // A stream of a payload type the producer does not have binds nothing.
  publisherPeer.send(withSsrc(rtpPacket(1, 1000, vp8Payload(0)), kOtherSsrc, kUnknownPayloadType),
                     port);
  settle();
  EXPECT_EQ(stats(*publisher).droppedUnknownSsrc, 1u);
  // The first VP8 stream is the producer's; a second one is not.
  for (uint16_t i = 0; i < 3; ++i) {
    publisherPeer.send(withSsrc(rtpPacket(static_cast<uint16_t>(10 + i), 2000, vp8Payload(i)),
                                kRandomSsrc, kProducerPayloadType),
                       port);
  }
  settle();
  publisherPeer.send(withSsrc(rtpPacket(50, 3000, vp8Payload(0)), kOtherSsrc, kProducerPayloadType),
                     port);
  settle();
  std::vector<Bytes> media;
  runUntil(
      &loop_,
      [&] {
        while (auto d = viewerPeer.poll()) {
          if (!isRtcp(*d)) media.push_back(std::move(*d));
        }
        return media.size() >= 3;
      },
      2000);
  settle();
  while (auto d = viewerPeer.poll()) {
    if (!isRtcp(*d)) media.push_back(std::move(*d));
  }
  ASSERT_EQ(media.size(), 3u);
  for (const auto& m : media)
    EXPECT_EQ(readU32(m, 8), kConsumerSsrc);
  const auto s = stats(*publisher);
  EXPECT_EQ(s.rtpReceived, 5u);
  EXPECT_EQ(s.droppedUnknownSsrc, 2u);
  auto pstats = await<std::vector<control::RtpStreamStats>>([&](auto cb) {
    publisher->getRtpStreamStats(fbs::request::Method::PRODUCER_GET_STATS, produced->value(), cb);
  });
  ASSERT_TRUE(pstats && pstats->ok());
  EXPECT_EQ(pstats->value()[0].ssrc, kRandomSsrc);
}

}  // namespace

// Viewers on the worker's shared port: one port for all, each gets the stream, and what a
// viewer sends to that port (a PLI here) reaches its own transport only.
class WorkerPlainTransportSharedPort : public WorkerPlainTransport {
 protected:
  control::PlainTransportOptions sharedOptions() {
    control::PlainTransportOptions o = plainOptions(false, std::nullopt);
    o.listen.shared = true;
    return o;
  }

  // A comedia publisher with a VP8 producer, and `count` viewers on the shared port, each
  // connected to a socket of its own and consuming the producer as SSRC kConsumerSsrc + i. A
  // failure inside is fatal: the caller checks HasFatalFailure().
  void startFanout(size_t count) {
    publisher_ = create(plainOptions(true, std::nullopt));
    ASSERT_TRUE(publisher_);
    control::ProduceOptions po;
    po.kind = control::MediaKind::kVideo;
    po.rtpParameters.codecs.push_back({"video/VP8", kProducerPayloadType, 90000, 1, {}, {}});
    po.rtpParameters.encodings.push_back({kProducerSsrc, "", std::nullopt});
    auto produced = await<std::string>([&](auto cb) { publisher_->produce(po, cb); });
    ASSERT_TRUE(produced && produced->ok());
    for (size_t i = 0; i < count; ++i) {
      viewers_.push_back(create(sharedOptions()));
      ASSERT_TRUE(viewers_.back());
      peers_.push_back(std::make_unique<UdpPeer>());
      auto r = connect(*viewers_.back(), {kLoopback, peers_.back()->port(), 0, std::nullopt});
      ASSERT_TRUE(r && r->ok()) << (r && !r->ok() ? r->error().describe() : "timeout");
      control::ConsumeOptions co;
      co.producerId = produced->value();
      co.rtpParameters.codecs.push_back({"video/VP8", kConsumerPayloadType, 90000, 1, {}, {}});
      co.rtpParameters.encodings.push_back({kConsumerSsrc + uint32_t(i), "", std::nullopt});
      auto consumed = await<std::string>([&](auto cb) { viewers_.back()->consume(co, cb); });
      ASSERT_TRUE(consumed && consumed->ok());
    }
  }

  // What startFanout made goes before the worker, as a test's own locals would.
  void TearDown() override {
    viewers_.clear();
    peers_.clear();
    publisher_.reset();
    WorkerPlainTransport::TearDown();
  }

  std::shared_ptr<control::PlainTransport> publisher_;
  std::vector<std::shared_ptr<control::PlainTransport>> viewers_;
  std::vector<std::unique_ptr<UdpPeer>> peers_;
};

TEST_F(WorkerPlainTransportSharedPort, ViewersShareOnePortAndFeedbackReachesItsOwnTransport) {
  constexpr size_t kViewers = 3;
  startFanout(kViewers);
  ASSERT_FALSE(HasFatalFailure());
  auto& publisher = publisher_;
  auto& viewers = viewers_;
  auto& peers = peers_;
  const uint16_t sharedPort = viewers[0]->info().tuple.localPort;
  for (const auto& v : viewers)
    EXPECT_EQ(v->info().tuple.localPort, sharedPort);
  EXPECT_NE(publisher->info().tuple.localPort, sharedPort);

  UdpPeer publisherPeer;
  for (size_t i = 0; i < kPackets; ++i) {
    publisherPeer.send(rtpPacket(static_cast<uint16_t>(kFirstSequence + i),
                                 static_cast<uint32_t>(1000 + i * 3000), vp8Payload(i)),
                       publisher->info().tuple.localPort);
  }
  std::vector<size_t> received(kViewers, 0);
  runUntil(
      &loop_,
      [&] {
        for (size_t i = 0; i < kViewers; ++i) {
          while (auto d = peers[i]->poll()) {
            if (isRtcp(*d)) continue;
            EXPECT_EQ(readU32(*d, 8), kConsumerSsrc + i) << "viewer " << i;
            ++received[i];
          }
        }
        return std::all_of(received.begin(), received.end(),
                           [](size_t n) { return n >= kPackets; });
      },
      kForwardTimeoutMs);
  EXPECT_EQ(received, std::vector<size_t>(kViewers, kPackets));

  // Viewer 1 asks for a keyframe (RFC 4585 section 6.3.1 PLI) on the shared port: it goes to
  // its transport, whose consumer asks the publisher.
  const uint32_t media = kConsumerSsrc + 1;
  const Bytes pli = {0x81,
                     206,
                     0,
                     2,
                     0,
                     0,
                     0,
                     9,
                     uint8_t(media >> 24),
                     uint8_t(media >> 16),
                     uint8_t(media >> 8),
                     uint8_t(media)};
  peers[1]->send(pli, sharedPort);
  bool publisherGotPli = false;
  runUntil(
      &loop_,
      [&] {
        while (auto d = publisherPeer.poll())
          if (d->size() >= 12 && (*d)[1] == 206 && ((*d)[0] & 0x1F) == 1 &&
              readU32(*d, 8) == kProducerSsrc)
            publisherGotPli = true;
        return publisherGotPli;
      },
      kForwardTimeoutMs);
  EXPECT_TRUE(publisherGotPli);
  for (size_t i = 0; i < kViewers; ++i) {
    EXPECT_EQ(stats(*viewers[i]).rtcpReceived, i == 1 ? 1u : 0u) << "viewer " << i;
  }

  // A stranger on the shared port reaches no transport.
  UdpPeer stranger;
  stranger.send(pli, sharedPort);
  settle();
  for (size_t i = 0; i < kViewers; ++i)
    EXPECT_EQ(stats(*viewers[i]).rtcpReceived, i == 1 ? 1u : 0u) << "viewer " << i;
}

// RFC 3550 section 6.3.1: each report interval is the nominal second times a random factor in
// [0.5, 1.5]. Viewers created together must not keep reporting together: with a fixed period
// every interval here would be the same second.
TEST_F(WorkerPlainTransportSharedPort, ReportIntervalsAreRandomisedPerTransport) {
  constexpr size_t kViewers = 8;
  constexpr uint8_t kSenderReport = 200;
  constexpr uint64_t kWatchMs = 3300;
  // The random factor's range with room for the test loop's 5 ms tick and scheduling.
  constexpr int64_t kShortestMs = 450;
  constexpr int64_t kLongestMs = 1600;
  // Fixed timers would keep every interval within a few ms of the others.
  constexpr int64_t kLeastSpreadMs = 100;

  startFanout(kViewers);
  ASSERT_FALSE(HasFatalFailure());
  auto& publisher = publisher_;
  auto& peers = peers_;
  // Every consumer sends, so every transport has a sender report to make.
  UdpPeer publisherPeer;
  for (size_t i = 0; i < kPackets; ++i) {
    publisherPeer.send(rtpPacket(static_cast<uint16_t>(kFirstSequence + i),
                                 static_cast<uint32_t>(1000 + i * 3000), vp8Payload(i)),
                       publisher->info().tuple.localPort);
  }

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<int64_t>> reportsAtMs(kViewers);
  runUntil(
      &loop_,
      [&] {
        const int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count();
        for (size_t i = 0; i < kViewers; ++i) {
          while (auto d = peers[i]->poll())
            if (isRtcp(*d) && (*d)[1] == kSenderReport) reportsAtMs[i].push_back(nowMs);
        }
        return false;
      },
      kWatchMs);

  int64_t shortest = INT64_MAX;
  int64_t longest = 0;
  for (size_t i = 0; i < kViewers; ++i) {
    // The first report comes within 1.5 s of the transport's creation, the next within 1.5 s
    // of that.
    ASSERT_GE(reportsAtMs[i].size(), 2u) << "viewer " << i;
    for (size_t k = 1; k < reportsAtMs[i].size(); ++k) {
      const int64_t interval = reportsAtMs[i][k] - reportsAtMs[i][k - 1];
      EXPECT_GE(interval, kShortestMs) << "viewer " << i << ", report " << k;
      EXPECT_LE(interval, kLongestMs) << "viewer " << i << ", report " << k;
      shortest = std::min(shortest, interval);
      longest = std::max(longest, interval);
    }
  }
  EXPECT_GE(longest - shortest, kLeastSpreadMs)
      << "report intervals from " << shortest << " to " << longest << " ms: not randomised";
}

TEST_F(WorkerPlainTransportSharedPort, RefusesWhatItCannotDemultiplex) {
  // comedia: the port could not tell whose first packet it is.
  control::PlainTransportOptions comedia = sharedOptions();
  comedia.comedia = true;
  auto r = tryCreate(comedia);
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(r->ok());
  EXPECT_NE(r->error().reason.find("shared port needs rtcp-mux and no comedia"), std::string::npos)
      << r->error().reason;
  // Two transports connected to one remote address.
  auto a = create(sharedOptions());
  auto b = create(sharedOptions());
  ASSERT_TRUE(a && b);
  UdpPeer peer;
  auto ok = connect(*a, {kLoopback, peer.port(), 0, std::nullopt});
  ASSERT_TRUE(ok && ok->ok());
  auto clash = connect(*b, {kLoopback, peer.port(), 0, std::nullopt});
  ASSERT_TRUE(clash.has_value());
  ASSERT_FALSE(clash->ok());
  EXPECT_NE(clash->error().reason.find("another transport on the shared port"), std::string::npos)
      << clash->error().reason;
  // Once a is closed, its address is free again.
  await<void>([&](auto cb) { a->close(cb); });
  auto retry = connect(*b, {kLoopback, peer.port(), 0, std::nullopt});
  ASSERT_TRUE(retry && retry->ok()) << (retry && !retry->ok() ? retry->error().describe() : "");
}
