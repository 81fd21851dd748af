// DtlsTransport: two associations on one libuv loop, wired to each other through loop-posted
// queues (or directly), doing real OpenSSL DTLS 1.2 handshakes: both role assignments, SRTP
// profile negotiation (server preference), key split agreement, fingerprint checks, loss and
// retransmission with the real timer, handshake timeout, close_notify, garbage input, MTU.
// Then the same against independent stacks: aiortc (its own DTLS driver over pyOpenSSL, its
// own SRTP key split, libsrtp through pylibsrtp) over real UDP, SRTP packets checked end to end.

#include <arpa/inet.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <srtp2/srtp.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "tests/support/LoopRunner.hpp"
#include "transport/DtlsTransport.hpp"

namespace switchyard::transport {
namespace {

using Bytes = std::vector<uint8_t>;
using Role = DtlsTransport::Role;
using State = DtlsTransport::State;
using Options = DtlsTransport::Options;

constexpr uint64_t kHandshakeWaitMs = 5000;
constexpr uint8_t kHandshakeContentType = 22;
constexpr uint8_t kClientHello = 1;
constexpr size_t kRecordHeaderSize = 13;

Bytes toBytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

Bytes textBytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

bool isClientHello(const Bytes& d) {
  return d.size() > kRecordHeaderSize && d[0] == kHandshakeContentType &&
         d[kRecordHeaderSize] == kClientHello;
}

// Datagrams posted to the loop, delivered on the next iteration: the way a socket would.
class Link {
 public:
  explicit Link(uv_loop_t* loop) : timer_(loop, [this] { deliver(); }) {}
  void setTarget(DtlsTransport* target) { target_ = target; }
  void post(std::span<const uint8_t> datagram) {
    queue_.emplace_back(datagram.begin(), datagram.end());
    timer_.start(0);
  }

 private:
  void deliver() {
    std::deque<Bytes> batch;
    batch.swap(queue_);
    for (const auto& d : batch)
      if (target_ != nullptr) target_->onPacket(d);
  }
  UvTimer timer_;
  DtlsTransport* target_ = nullptr;
  std::deque<Bytes> queue_;
};

// Records everything a transport reports; forwards datagrams through `out` unless `drop` says no.
struct Endpoint : DtlsTransport::Listener {
  std::function<void(std::span<const uint8_t>)> out;
  std::function<bool(const Bytes&)> drop;
  DtlsTransport* self = nullptr;
  std::vector<Bytes> sent;
  std::vector<Bytes> dropped;
  std::vector<State> states;
  std::optional<SrtpProfile> profile;
  Bytes local, remote;
  std::vector<Bytes> received;
  int closedCalls = 0;
  std::function<void()> onConnected;

  void onDtlsSend(std::span<const uint8_t> datagram) override {
    Bytes d = toBytes(datagram);
    sent.push_back(d);
    if (drop && drop(d)) {
      dropped.push_back(d);
      return;
    }
    if (out) out(datagram);
  }
  void onDtlsStateChange(State state) override { states.push_back(state); }
  void onDtlsConnected(SrtpProfile p, std::span<const uint8_t> l,
                       std::span<const uint8_t> r) override {
    EXPECT_TRUE(states.empty() || states.back() == State::kConnecting);
    profile = p;
    local = toBytes(l);
    remote = toBytes(r);
    if (onConnected) onConnected();
  }
  void onDtlsApplicationData(std::span<const uint8_t> data) override {
    received.push_back(toBytes(data));
  }
  void onDtlsClosed() override { ++closedCalls; }
  State state() const { return states.empty() ? State::kNew : states.back(); }
};

class DtlsTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto a = DtlsCertificate::generate();
    auto b = DtlsCertificate::generate();
    auto c = DtlsCertificate::generate();
    ASSERT_TRUE(a && b && c);
    certA_ = a.certificate;
    certB_ = b.certificate;
    certOther_ = c.certificate;
  }
  static void TearDownTestSuite() {
    certA_.reset();
    certB_.reset();
    certOther_.reset();
  }

  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    linkAB_ = std::make_unique<Link>(&loop_);
    linkBA_ = std::make_unique<Link>(&loop_);
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    linkAB_.reset();
    linkBA_.reset();
    EXPECT_EQ(test::drainAndClose(&loop_), 0);
    EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL errors left in the queue";
  }

  // A uses certA_, B certB_. Datagrams cross through the loop unless `direct`.
  void makePair(Options optionsA = {}, Options optionsB = {}, bool direct = false) {
    a_ = std::make_unique<DtlsTransport>(&loop_, certA_, epA_, std::move(optionsA));
    b_ = std::make_unique<DtlsTransport>(&loop_, certB_, epB_, std::move(optionsB));
    epA_.self = a_.get();
    epB_.self = b_.get();
    if (direct) {
      epA_.out = [this](std::span<const uint8_t> d) { b_->onPacket(d); };
      epB_.out = [this](std::span<const uint8_t> d) { a_->onPacket(d); };
    } else {
      linkAB_->setTarget(b_.get());
      linkBA_->setTarget(a_.get());
      epA_.out = [this](std::span<const uint8_t> d) { linkAB_->post(d); };
      epB_.out = [this](std::span<const uint8_t> d) { linkBA_->post(d); };
    }
  }

  // The server starts first, as an SFU answering does; the client's ClientHello follows.
  void start(Role roleA) {
    const Role roleB = roleA == Role::kServer ? Role::kClient : Role::kServer;
    DtlsTransport& server = roleA == Role::kServer ? *a_ : *b_;
    DtlsTransport& client = roleA == Role::kServer ? *b_ : *a_;
    const auto& serverExpects = roleA == Role::kServer ? expectedByA_ : expectedByB_;
    const auto& clientExpects = roleA == Role::kServer ? expectedByB_ : expectedByA_;
    ASSERT_TRUE(server.start(Role::kServer, serverExpects.value_or(peerFingerprint(&server))));
    ASSERT_TRUE(client.start(Role::kClient, clientExpects.value_or(peerFingerprint(&client))));
    EXPECT_EQ(a_->role(), roleA);
    EXPECT_EQ(b_->role(), roleB);
  }
  DtlsFingerprint peerFingerprint(const DtlsTransport* t) const {
    return (t == a_.get() ? certB_ : certA_)->fingerprint();
  }

  bool runUntil(const std::function<bool()>& done, uint64_t timeoutMs = kHandshakeWaitMs) {
    return test::runUntil(&loop_, done, timeoutMs);
  }
  bool bothSettled() {
    auto settled = [](State s) { return s != State::kNew && s != State::kConnecting; };
    return settled(a_->state()) && settled(b_->state());
  }
  bool connect(Role roleA) {
    start(roleA);
    return runUntil(
        [this] { return a_->state() == State::kConnected && b_->state() == State::kConnected; });
  }
  void expectAgreedKeys(SrtpProfile profile) {
    const auto lengths = srtpKeyLengths(profile);
    ASSERT_EQ(epA_.profile, profile);
    ASSERT_EQ(epB_.profile, profile);
    EXPECT_EQ(epA_.local.size(), lengths.masterKey + lengths.masterSalt);
    EXPECT_EQ(epA_.local, epB_.remote);
    EXPECT_EQ(epA_.remote, epB_.local);
    EXPECT_NE(epA_.local, epA_.remote);
    EXPECT_EQ(a_->stats().srtpProfile, profile);
    EXPECT_EQ(b_->stats().srtpProfile, profile);
  }
  // Application data both ways, proving the association works.
  void expectDataFlows(std::string_view tag) {
    const size_t beforeA = epA_.received.size();
    const size_t beforeB = epB_.received.size();
    const Bytes ping = textBytes(std::string("ping ") + std::string(tag));
    const Bytes pong = textBytes(std::string("pong ") + std::string(tag));
    ASSERT_TRUE(a_->sendApplicationData(ping));
    ASSERT_TRUE(b_->sendApplicationData(pong));
    ASSERT_TRUE(
        runUntil([&] { return epA_.received.size() > beforeA && epB_.received.size() > beforeB; }));
    EXPECT_EQ(epB_.received.back(), ping);
    EXPECT_EQ(epA_.received.back(), pong);
  }

  static std::shared_ptr<const DtlsCertificate> certA_, certB_, certOther_;
  uv_loop_t loop_{};
  Endpoint epA_, epB_;
  std::unique_ptr<Link> linkAB_, linkBA_;
  std::unique_ptr<DtlsTransport> a_, b_;
  std::optional<DtlsFingerprint> expectedByA_, expectedByB_;
};

std::shared_ptr<const DtlsCertificate> DtlsTransportTest::certA_;
std::shared_ptr<const DtlsCertificate> DtlsTransportTest::certB_;
std::shared_ptr<const DtlsCertificate> DtlsTransportTest::certOther_;

// --- Handshake -----------------------------------------------------------------------------

TEST_F(DtlsTransportTest, HandshakesInBothRoleAssignments) {
  for (Role roleA : {Role::kServer, Role::kClient}) {
    SCOPED_TRACE(DtlsTransport::roleName(roleA));
    epA_ = {};
    epB_ = {};
    makePair();
    EXPECT_EQ(a_->state(), State::kNew);
    ASSERT_TRUE(connect(roleA)) << a_->failureReason() << " / " << b_->failureReason();
    expectAgreedKeys(SrtpProfile::kAeadAes128Gcm);
    EXPECT_EQ(epA_.states, (std::vector<State>{State::kConnecting, State::kConnected}));
    EXPECT_EQ(epB_.states, (std::vector<State>{State::kConnecting, State::kConnected}));
    for (const auto* t : {a_.get(), b_.get()}) {
      EXPECT_EQ(t->stats().cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
      EXPECT_TRUE(t->stats().handshakeDurationMs.has_value());
      EXPECT_TRUE(t->failureReason().empty());
    }
    // Only the client sends a ClientHello.
    const auto& client = roleA == Role::kClient ? epA_ : epB_;
    const auto& server = roleA == Role::kClient ? epB_ : epA_;
    ASSERT_FALSE(client.sent.empty());
    EXPECT_TRUE(isClientHello(client.sent.front()));
    for (const auto& d : server.sent)
      EXPECT_FALSE(isClientHello(d));
    // Nothing lost on the way: what one sent the other received.
    EXPECT_EQ(a_->stats().datagramsOut, b_->stats().datagramsIn);
    EXPECT_EQ(b_->stats().bytesOut, a_->stats().bytesIn);
    EXPECT_EQ(a_->stats().datagramsDropped + b_->stats().datagramsDropped, 0u);
    expectDataFlows("roles");
  }
}

TEST_F(DtlsTransportTest, KeysAreFreshForEveryAssociation) {
  makePair();
  ASSERT_TRUE(connect(Role::kServer));
  const Bytes firstLocal = epA_.local;
  a_.reset();
  b_.reset();
  epA_ = {};
  epB_ = {};
  makePair();
  ASSERT_TRUE(connect(Role::kServer));
  EXPECT_NE(epA_.local, firstLocal);
  EXPECT_EQ(epA_.local, epB_.remote);
}

TEST_F(DtlsTransportTest, HandshakesWithDirectSynchronousWiring) {
  // Each transport feeds the other from inside onDtlsSend: the whole handshake runs within the
  // client's start() call, without the loop, and must not re-enter OpenSSL.
  for (Role roleA : {Role::kServer, Role::kClient}) {
    SCOPED_TRACE(DtlsTransport::roleName(roleA));
    epA_ = {};
    epB_ = {};
    makePair({}, {}, /*direct=*/true);
    start(roleA);
    EXPECT_EQ(a_->state(), State::kConnected) << a_->failureReason();
    EXPECT_EQ(b_->state(), State::kConnected) << b_->failureReason();
    expectAgreedKeys(SrtpProfile::kAeadAes128Gcm);
    const size_t before = epB_.received.size();
    ASSERT_TRUE(a_->sendApplicationData(textBytes("direct")));
    ASSERT_EQ(epB_.received.size(), before + 1);
    EXPECT_EQ(epB_.received.back(), textBytes("direct"));
  }
}

// --- SRTP profiles -------------------------------------------------------------------------

TEST_F(DtlsTransportTest, NegotiatesSrtpProfilesWithServerPreference) {
  using P = SrtpProfile;
  const struct {
    const char* name;
    std::vector<P> client;
    std::vector<P> server;
    std::optional<P> expected;  // nullopt: nothing in common, both fail
  } kCases[] = {
      {"defaults: GCM preferred",
       {P::kAeadAes128Gcm, P::kAes128CmHmacSha1_80},
       {P::kAeadAes128Gcm, P::kAes128CmHmacSha1_80},
       P::kAeadAes128Gcm},
      // The client prefers CM but the server's order wins (OpenSSL walks the server's list).
      {"client prefers CM",
       {P::kAes128CmHmacSha1_80, P::kAeadAes128Gcm},
       {P::kAeadAes128Gcm, P::kAes128CmHmacSha1_80},
       P::kAeadAes128Gcm},
      {"client offers only CM (aiortc, wrtc)",
       {P::kAes128CmHmacSha1_80},
       {P::kAeadAes128Gcm, P::kAes128CmHmacSha1_80},
       P::kAes128CmHmacSha1_80},
      {"server restricted to CM",
       {P::kAeadAes128Gcm, P::kAes128CmHmacSha1_80},
       {P::kAes128CmHmacSha1_80},
       P::kAes128CmHmacSha1_80},
      {"server restricted to GCM",
       {P::kAes128CmHmacSha1_80, P::kAeadAes128Gcm},
       {P::kAeadAes128Gcm},
       P::kAeadAes128Gcm},
      {"nothing in common", {P::kAeadAes128Gcm}, {P::kAes128CmHmacSha1_80}, std::nullopt},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    for (Role roleA : {Role::kServer, Role::kClient}) {
      SCOPED_TRACE(DtlsTransport::roleName(roleA));
      epA_ = {};
      epB_ = {};
      Options forA, forB;
      (roleA == Role::kServer ? forA : forB).srtpProfiles = c.server;
      (roleA == Role::kServer ? forB : forA).srtpProfiles = c.client;
      makePair(forA, forB);
      start(roleA);
      ASSERT_TRUE(runUntil([this] { return bothSettled(); }));
      if (c.expected) {
        ASSERT_EQ(a_->state(), State::kConnected) << a_->failureReason();
        ASSERT_EQ(b_->state(), State::kConnected) << b_->failureReason();
        expectAgreedKeys(*c.expected);
      } else {
        EXPECT_EQ(a_->state(), State::kFailed);
        EXPECT_EQ(b_->state(), State::kFailed);
        EXPECT_NE(a_->failureReason().find("SRTP"), std::string::npos) << a_->failureReason();
        EXPECT_FALSE(epA_.profile.has_value());
        EXPECT_FALSE(epB_.profile.has_value());
      }
    }
  }
}

// --- Fingerprints --------------------------------------------------------------------------

TEST_F(DtlsTransportTest, FingerprintMismatchFailsTheCheckingSide) {
  for (Role checker : {Role::kServer, Role::kClient}) {
    SCOPED_TRACE(std::string("checker ") + DtlsTransport::roleName(checker));
    epA_ = {};
    epB_ = {};
    makePair();
    expectedByA_ = certOther_->fingerprint();  // A expects someone else
    expectedByB_.reset();
    start(checker);
    ASSERT_TRUE(runUntil([this] { return bothSettled(); }));
    EXPECT_EQ(a_->state(), State::kFailed);
    EXPECT_NE(a_->failureReason().find("does not match the fingerprint"), std::string::npos)
        << a_->failureReason();
    EXPECT_FALSE(epA_.profile.has_value()) << "no keys for a wrong peer";
    // A refused during the handshake with a fatal alert: B never connects either.
    EXPECT_EQ(b_->state(), State::kFailed) << b_->failureReason();
    EXPECT_FALSE(epB_.profile.has_value());
    EXPECT_NE(b_->failureReason().find("peer sent alert"), std::string::npos)
        << b_->failureReason();
    EXPECT_FALSE(a_->sendApplicationData(textBytes("x")));
  }
}

TEST_F(DtlsTransportTest, FingerprintOfAnyAlgorithmFromSdpIsChecked) {
  using A = DtlsFingerprint::Algorithm;
  for (auto [algorithmA, algorithmB] :
       {std::pair{A::kSha1, A::kSha512}, std::pair{A::kSha224, A::kSha384}}) {
    epA_ = {};
    epB_ = {};
    makePair();
    expectedByA_ = DtlsFingerprint::compute(algorithmA, certB_->x509());
    expectedByB_ = DtlsFingerprint::compute(algorithmB, certA_->x509());
    ASSERT_TRUE(connect(Role::kServer)) << a_->failureReason() << " / " << b_->failureReason();
    // The same digest under a different algorithm name is no match.
    epA_ = {};
    epB_ = {};
    makePair();
    const auto digest = DtlsFingerprint::compute(A::kSha512, certB_->x509());
    Bytes truncated(digest->digest().begin(), digest->digest().begin() + 48);
    expectedByA_ = DtlsFingerprint::fromDigest(A::kSha384, truncated);
    start(Role::kClient);
    ASSERT_TRUE(runUntil([this] { return bothSettled(); }));
    EXPECT_EQ(a_->state(), State::kFailed);
  }
}

// --- Loss and timers -----------------------------------------------------------------------

TEST_F(DtlsTransportTest, RetransmissionRecoversALostFirstFlight) {
  Options fast;
  fast.initialRetransmitMs = 100;
  for (Role roleA : {Role::kClient, Role::kServer}) {
    SCOPED_TRACE(std::string("A (dropping its first datagram) is ") +
                 DtlsTransport::roleName(roleA));
    epA_ = {};
    epB_ = {};
    makePair(fast, fast);
    int dropped = 0;
    epA_.drop = [&dropped](const Bytes&) { return dropped++ == 0; };
    if (roleA == Role::kServer) {
      // The server's first flight is lost: the client's timer resends its ClientHello, which
      // makes the server resend its flight.
      ASSERT_TRUE(connect(roleA)) << a_->failureReason() << " / " << b_->failureReason();
      EXPECT_GE(b_->stats().retransmissions, 1u);
    } else {
      ASSERT_TRUE(connect(roleA)) << a_->failureReason() << " / " << b_->failureReason();
      EXPECT_GE(a_->stats().retransmissions, 1u);
      ASSERT_EQ(epA_.dropped.size(), 1u);
      EXPECT_TRUE(isClientHello(epA_.dropped.front()));
      // The ClientHello went out twice: once lost, once resent by the timer.
      EXPECT_TRUE(isClientHello(epA_.sent.at(1)));
    }
    expectAgreedKeys(SrtpProfile::kAeadAes128Gcm);
  }
}

TEST_F(DtlsTransportTest, RetransmissionRecoversALostFinalFlight) {
  // The server's last flight (ChangeCipherSpec + Finished) is lost after the server is done:
  // the client resends its flight, and the connected server answers with its last flight.
  Options fast;
  fast.initialRetransmitMs = 100;
  makePair(fast, fast);
  bool droppedOnce = false;
  epA_.drop = [this, &droppedOnce](const Bytes&) {
    if (droppedOnce || a_->state() != State::kConnected) return false;
    droppedOnce = true;
    return true;
  };
  ASSERT_TRUE(connect(Role::kServer)) << a_->failureReason() << " / " << b_->failureReason();
  EXPECT_TRUE(droppedOnce);
  EXPECT_GE(b_->stats().retransmissions, 1u);
  expectAgreedKeys(SrtpProfile::kAeadAes128Gcm);
  expectDataFlows("after loss");
}

TEST_F(DtlsTransportTest, SilentPeerTimesOutTheHandshake) {
  Options shortTimeout;
  shortTimeout.handshakeTimeoutMs = 300;
  shortTimeout.initialRetransmitMs = 50;
  for (Role role : {Role::kClient, Role::kServer}) {
    SCOPED_TRACE(DtlsTransport::roleName(role));
    epA_ = {};
    epB_ = {};
    makePair(shortTimeout);
    epA_.out = nullptr;  // nothing reaches B, B never starts
    ASSERT_TRUE(a_->start(role, certB_->fingerprint()));
    ASSERT_TRUE(runUntil([this] { return a_->state() == State::kFailed; }));
    EXPECT_NE(a_->failureReason().find("not done after 300 ms"), std::string::npos)
        << a_->failureReason();
    EXPECT_EQ(epA_.states, (std::vector<State>{State::kConnecting, State::kFailed}));
    if (role == Role::kClient) {
      // 50, 100 and 200 ms timeouts within 300 ms: the ClientHello went out at least 3 times.
      EXPECT_GE(a_->stats().retransmissions, 2u);
      EXPECT_GE(epA_.sent.size(), 3u);
      for (const auto& d : epA_.sent)
        EXPECT_TRUE(isClientHello(d));
    } else {
      EXPECT_TRUE(epA_.sent.empty());
    }
    // Later input is dropped; the transport stays failed.
    const uint64_t sentBefore = a_->stats().datagramsOut;
    a_->onPacket(epA_.sent.empty() ? Bytes{22, 0xFE, 0xFD} : epA_.sent.front());
    EXPECT_EQ(a_->state(), State::kFailed);
    EXPECT_EQ(a_->stats().datagramsDropped, 1u);
    EXPECT_EQ(a_->stats().datagramsOut, sentBefore);
  }
}

// --- Close ---------------------------------------------------------------------------------

TEST_F(DtlsTransportTest, CloseNotifyReachesThePeer) {
  for (Role closer : {Role::kServer, Role::kClient}) {
    SCOPED_TRACE(std::string("closer ") + DtlsTransport::roleName(closer));
    epA_ = {};
    epB_ = {};
    makePair();
    ASSERT_TRUE(connect(closer));
    a_->close();
    EXPECT_EQ(a_->state(), State::kClosed);
    EXPECT_EQ(epA_.states.back(), State::kClosed);
    ASSERT_TRUE(runUntil([this] { return b_->state() == State::kClosed; }));
    EXPECT_EQ(epB_.closedCalls, 1);
    EXPECT_EQ(epA_.closedCalls, 0) << "the closing side is not told of a peer close";
    EXPECT_EQ(epB_.states,
              (std::vector<State>{State::kConnecting, State::kConnected, State::kClosed}));
    EXPECT_FALSE(a_->sendApplicationData(textBytes("late")));
    EXPECT_FALSE(b_->sendApplicationData(textBytes("late")));
    a_->close();  // idempotent
    EXPECT_EQ(epA_.states.back(), State::kClosed);
    EXPECT_EQ(std::count(epA_.states.begin(), epA_.states.end(), State::kClosed), 1);
  }
}

TEST_F(DtlsTransportTest, StartIsOnceOnlyAndCloseBeforeStartCloses) {
  makePair();
  a_->close();
  EXPECT_EQ(a_->state(), State::kClosed);
  EXPECT_FALSE(a_->start(Role::kServer, certB_->fingerprint()));
  EXPECT_TRUE(epA_.sent.empty());
  ASSERT_TRUE(b_->start(Role::kServer, certA_->fingerprint()));
  EXPECT_FALSE(b_->start(Role::kClient, certA_->fingerprint()));
  EXPECT_EQ(b_->role(), Role::kServer);
  EXPECT_FALSE(b_->sendApplicationData(textBytes("too early")));
}

// --- Bad input -----------------------------------------------------------------------------

// The explicit nonce and tag of an AES-GCM record (RFC 5288 section 3): the suite these tests
// negotiate.
constexpr size_t kGcmRecordOverhead = 8 + 16;

// One DTLS record with sequence number 9.
Bytes record(uint8_t type, uint8_t minor, uint16_t epoch, const Bytes& body) {
  Bytes r = {type, 0xFE, minor, uint8_t(epoch >> 8),       uint8_t(epoch),      0, 0, 0,
             0,    0,    9,     uint8_t(body.size() >> 8), uint8_t(body.size())};
  r.insert(r.end(), body.begin(), body.end());
  return r;
}

// Datagrams that are not DTLS records, or whose plaintext records would trip OpenSSL's fatal
// paths: each must be dropped and counted.
std::vector<Bytes> malformedDatagrams() {
  std::vector<Bytes> out;
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    Bytes random(1 + rng() % 300);
    for (auto& b : random)
      b = static_cast<uint8_t>(rng());
    random[0] = static_cast<uint8_t>(20 + rng() % 44);  // RFC 7983 says DTLS: 20..63
    out.push_back(random);
  }
  const Bytes header = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0};
  out.push_back({});
  out.push_back(header);                             // truncated record header
  out.push_back(record(24, 0xFD, 1, Bytes(40, 1)));  // heartbeat / unknown type
  out.push_back(record(23, 0xFC, 1, Bytes(40, 1)));  // not DTLS 1.0/1.2
  out.push_back(record(23, 0xFD, 1, {}));            // empty record
  out.push_back(record(23, 0xFD, 0, Bytes(40, 1)));  // cleartext application data
  out.push_back(record(20, 0xFD, 0, {1, 1}));        // ChangeCipherSpec of 2 bytes
  out.push_back(record(21, 0xFD, 0, {2}));           // alert of 1 byte
  out.push_back(record(22, 0xFD, 0, Bytes(11, 0)));  // short handshake header
  out.push_back(record(22, 0xFD, 0, {1, 0, 0, 10, 0, 0, 0, 0, 8, 0, 0, 4, 1, 2, 3, 4}));
  out.push_back(record(22, 0xFD, 0, {1, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4}));
  out.push_back(record(22, 0xFD, 0, {1, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0}));  // 16 MB
  Bytes lengthBeyond = record(23, 0xFD, 1, Bytes(40, 1));
  lengthBeyond.pop_back();  // length field says one byte more than there is
  out.push_back(lengthBeyond);
  Bytes trailing = record(23, 0xFD, 1, Bytes(40, 1));
  trailing.push_back(0);  // a stray byte after a whole record
  out.push_back(trailing);
  out.push_back(record(23, 0xFD, 1, Bytes(20000, 1)));  // more than OpenSSL's record buffer
  return out;
}

TEST_F(DtlsTransportTest, GarbageBeforeAndAfterConnectIsDroppedAndCounted) {
  const auto garbage = malformedDatagrams();
  for (const auto& g : garbage)
    EXPECT_FALSE(DtlsTransport::isWellFormedDatagram(g, kGcmRecordOverhead));

  makePair();
  // Before: the server is waiting for a ClientHello.
  ASSERT_TRUE(a_->start(Role::kServer, certB_->fingerprint()));
  for (const auto& g : garbage)
    a_->onPacket(g);
  EXPECT_EQ(a_->stats().datagramsDropped, garbage.size());
  EXPECT_EQ(a_->stats().datagramsIn, garbage.size());
  EXPECT_EQ(a_->state(), State::kConnecting);
  EXPECT_TRUE(epA_.sent.empty());

  ASSERT_TRUE(b_->start(Role::kClient, certA_->fingerprint()));
  // During: the client is waiting for the server's flight.
  for (const auto& g : garbage)
    b_->onPacket(g);
  EXPECT_EQ(b_->stats().datagramsDropped, garbage.size());
  ASSERT_TRUE(runUntil([this] {
    return a_->state() == State::kConnected && b_->state() == State::kConnected;
  })) << a_->failureReason()
      << " / " << b_->failureReason();

  // After: both sides get the garbage again, and well-framed records they must ignore.
  for (const auto& g : garbage) {
    a_->onPacket(g);
    b_->onPacket(g);
  }
  EXPECT_EQ(a_->stats().datagramsDropped, 2 * garbage.size());
  EXPECT_EQ(b_->stats().datagramsDropped, 2 * garbage.size());
  const uint64_t droppedA = a_->stats().datagramsDropped;
  // A replayed ClientHello does not restart the association. Its record is DTLS 1.0, which an
  // established DTLS 1.2 association drops and counts
  // (ARecordOfAnotherVersionCannotCarryOneInOnceConnected says why).
  const Bytes clientHello = epB_.sent.front();
  ASSERT_TRUE(isClientHello(clientHello));
  ASSERT_EQ(clientHello[2], 0xFF);
  a_->onPacket(clientHello);
  EXPECT_EQ(a_->stats().datagramsDropped, droppedA + 1);
  std::vector<Bytes> wellFramed = {
      {21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 50, 0, 2, 2, 40},  // cleartext fatal alert
      {23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 99, 0, 40},        // forged epoch-1 data
  };
  wellFramed.back().resize(13 + 40, 0x5A);
  for (const auto& d : wellFramed) {
    ASSERT_TRUE(
        DtlsTransport::isWellFormedDatagram(d, a_->minProtectedRecord(), a_->recordVersion()));
    a_->onPacket(d);
  }
  EXPECT_EQ(a_->stats().datagramsDropped, droppedA + 1);  // OpenSSL discards these silently
  EXPECT_EQ(a_->state(), State::kConnected) << a_->failureReason();
  EXPECT_EQ(b_->state(), State::kConnected) << b_->failureReason();
  EXPECT_TRUE(epA_.received.empty());
  EXPECT_TRUE(epB_.received.empty());
  expectDataFlows("after garbage");
}

// Found by DtlsTransportFuzz (corpus regression-short-protected-record): OpenSSL 3.0 ends an
// AES-GCM association with an internal_error alert when a protected record is shorter than the
// explicit nonce and tag, so one forged 14-byte datagram used to tear a session down.
TEST_F(DtlsTransportTest, ProtectedRecordsShorterThanNonceAndTagAreDropped) {
  makePair();
  ASSERT_TRUE(connect(Role::kClient)) << a_->failureReason() << " / " << b_->failureReason();
  ASSERT_EQ(a_->minProtectedRecord(), kGcmRecordOverhead) << a_->stats().cipher;
  uint64_t dropped = a_->stats().datagramsDropped;
  for (uint8_t type : {20, 21, 22, 23}) {
    for (size_t length = 1; length < a_->minProtectedRecord(); ++length) {
      const Bytes d = record(type, 0xFD, 1, Bytes(length, 0x01));
      EXPECT_FALSE(DtlsTransport::isWellFormedDatagram(d, a_->minProtectedRecord()));
      a_->onPacket(d);
      ASSERT_EQ(a_->state(), State::kConnected)
          << "type " << int(type) << " length " << length << ": " << a_->failureReason();
      EXPECT_EQ(a_->stats().datagramsDropped, ++dropped);
    }
  }
  // At the bound the record reaches OpenSSL, which fails to authenticate it and discards it.
  const Bytes atBound = record(23, 0xFD, 1, Bytes(a_->minProtectedRecord(), 0x01));
  a_->onPacket(atBound);
  EXPECT_EQ(a_->state(), State::kConnected) << a_->failureReason();
  EXPECT_EQ(a_->stats().datagramsDropped, dropped);
  EXPECT_TRUE(epA_.received.empty());
  expectDataFlows("after short records");
}

// Found by DtlsTransportFuzz (corpus regression-other-version-record): OpenSSL 3.0 skips only
// the header of an established association's record whose version is not the negotiated one,
// and reads its body as more records. A DTLS 1.0 handshake record that passed every other check
// could so carry a short epoch-1 record in its body, which ends the association. Once
// connected, a record of any other version is dropped before OpenSSL sees it.
TEST_F(DtlsTransportTest, ARecordOfAnotherVersionCannotCarryOneInOnceConnected) {
  makePair();
  ASSERT_TRUE(connect(Role::kClient)) << a_->failureReason() << " / " << b_->failureReason();
  ASSERT_EQ(a_->recordVersion(), 0xFEFD);
  // A ClientHello fragment of 135 zero bytes in a DTLS 1.0 record. OpenSSL skips 13 bytes at a
  // time through it (zero headers are no version), so the forged record goes at offset 5 x 13.
  constexpr size_t kMessage = 135;
  constexpr size_t kForgedAt = 5 * 13;
  Bytes body = {1, 0, 0, kMessage, 0, 0, 0, 0, 0, 0, 0, kMessage};
  body.resize(body.size() + kMessage, 0);
  Bytes d = record(22, 0xFF, 0, body);
  const Bytes forged = record(23, 0xFD, 1, {0x5A, 0x5A});
  std::copy(forged.begin(), forged.end(), d.begin() + kForgedAt);
  ASSERT_TRUE(DtlsTransport::isWellFormedDatagram(d, a_->minProtectedRecord()));
  EXPECT_FALSE(
      DtlsTransport::isWellFormedDatagram(d, a_->minProtectedRecord(), a_->recordVersion()));

  const uint64_t dropped = a_->stats().datagramsDropped;
  a_->onPacket(d);
  EXPECT_EQ(a_->state(), State::kConnected) << a_->failureReason();
  EXPECT_EQ(a_->stats().datagramsDropped, dropped + 1);
  expectDataFlows("after a DTLS 1.0 record");
}

TEST_F(DtlsTransportTest, AStaleOpenSslErrorDoesNotFailAnotherAssociation) {
  makePair();
  // Some other code on this thread left an error behind.
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PACKET_LENGTH);
  ASSERT_TRUE(connect(Role::kClient)) << a_->failureReason() << " / " << b_->failureReason();
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PACKET_LENGTH);
  expectDataFlows("stale error");
}

TEST_F(DtlsTransportTest, FailureDrainsOpenSslErrors) {
  makePair();
  expectedByB_ = certOther_->fingerprint();
  start(Role::kServer);
  ASSERT_TRUE(runUntil([this] { return bothSettled(); }));
  EXPECT_EQ(b_->state(), State::kFailed);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

// --- Application data and MTU --------------------------------------------------------------

TEST_F(DtlsTransportTest, ApplicationDataFlowsAndIsCounted) {
  makePair();
  ASSERT_TRUE(connect(Role::kServer));
  size_t total = 0;
  std::vector<Bytes> messages;
  for (size_t size : {1u, 100u, 1000u, 1100u}) {
    Bytes m(size);
    for (size_t i = 0; i < size; ++i)
      m[i] = static_cast<uint8_t>(i * 7 + size);
    messages.push_back(m);
    ASSERT_TRUE(b_->sendApplicationData(m));
    total += size;
  }
  ASSERT_TRUE(runUntil([&] { return epA_.received.size() == messages.size(); }));
  EXPECT_EQ(epA_.received, messages);
  EXPECT_EQ(a_->stats().applicationBytesIn, total);
  EXPECT_EQ(b_->stats().applicationBytesOut, total);
  EXPECT_FALSE(b_->sendApplicationData({}));
  EXPECT_FALSE(b_->sendApplicationData(Bytes(16385)));
}

TEST_F(DtlsTransportTest, FlightsFitTheMtuAndRecordsShareDatagrams) {
  for (uint16_t mtu : {uint16_t{1200}, uint16_t{300}}) {
    SCOPED_TRACE(mtu);
    epA_ = {};
    epB_ = {};
    Options options;
    options.mtu = mtu;
    makePair(options, options);
    ASSERT_TRUE(connect(Role::kServer)) << a_->failureReason() << " / " << b_->failureReason();
    for (const auto* ep : {&epA_, &epB_})
      for (const auto& d : ep->sent)
        EXPECT_LE(d.size(), mtu) << int(d[0]) << " " << int(d[3]) << int(d[4]) << " hs "
                                 << int(d[13]) << " reclen " << (d[11] * 256 + d[12]);
    if (mtu == 1200 && a_->stats().retransmissions == 0 && b_->stats().retransmissions == 0) {
      // Each flight is one datagram of several records: the server's ServerHello..Done and
      // its ChangeCipherSpec + Finished; the client's ClientHello and Certificate..Finished.
      EXPECT_EQ(epA_.sent.size(), 2u);
      EXPECT_EQ(epB_.sent.size(), 2u);
    } else if (mtu == 300) {
      EXPECT_GT(epA_.sent.size(), 2u);  // the certificate needed fragments
    }
    expectDataFlows("mtu");
  }
}

// --- Interop: aiortc -----------------------------------------------------------------------

// aiortc's RTCDtlsTransport over real UDP with a stand-in for its ICE transport. It drives
// pyOpenSSL itself (memory BIO, records merged into one datagram per flush), splits the keying
// material with its own code and protects SRTP with libsrtp through pylibsrtp. It prints its
// fingerprint and port, sends one SRTP packet and one application message once connected, and
// reports what it received from us before closing with close_notify.
constexpr const char* kAiortcPeer = R"PY(
import asyncio, socket, sys
try:
    import aioice  # noqa: F401  (aiortc imports it)
    from aiortc.rtcdtlstransport import (RTCCertificate, RTCDtlsFingerprint,
                                         RTCDtlsParameters, RTCDtlsTransport)
    from aiortc.rtp import RtpPacket
except Exception as exc:
    print("skip", exc, flush=True)
    sys.exit(0)

our_port, switchyard_fp, role = int(sys.argv[1]), sys.argv[2], sys.argv[3]

class Ice:  # the few members RTCDtlsTransport uses
    role = "controlled"
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
    async def _send(self, data):
        self.sock.sendto(data, ("127.0.0.1", our_port))
    async def _recv(self):
        return await asyncio.get_event_loop().sock_recv(self.sock, 65536)

class DataReceiver:
    got = []
    async def _handle_data(self, data):
        self.got.append(data)

async def main():
    ice = Ice()
    cert = RTCCertificate.generateCertificate()
    dtls = RTCDtlsTransport(ice, [cert])
    dtls._set_role(role)
    receiver = DataReceiver()
    dtls._register_data_receiver(receiver)
    rtp = []
    async def on_rtp(data, arrival_time_ms):
        rtp.append(data)
    dtls._handle_rtp_data = on_rtp
    fp = cert.getFingerprints()[0]
    print(fp.algorithm + " " + fp.value, ice.sock.getsockname()[1], flush=True)
    algorithm, value = switchyard_fp.split(" ")
    await asyncio.wait_for(dtls.start(RTCDtlsParameters(
        fingerprints=[RTCDtlsFingerprint(algorithm=algorithm, value=value)])), 5)
    print("state", dtls.state, flush=True)
    if dtls.state != "connected":
        return
    packet = RtpPacket(payload_type=96, sequence_number=7, timestamp=1234, ssrc=0x11223344,
                       payload=b"from aiortc")
    await dtls._send_rtp(packet.serialize())
    await dtls._send_data(b"data from aiortc")
    for _ in range(300):
        if rtp and receiver.got:
            break
        await asyncio.sleep(0.01)
    for p in rtp:
        print("rtp", RtpPacket.parse(p).payload.decode(errors="replace"), flush=True)
    for d in receiver.got:
        print("data", d.decode(errors="replace"), flush=True)
    await dtls.stop()
    await asyncio.sleep(0.1)

asyncio.run(main())
print("done", flush=True)
)PY";

// libsrtp session for one direction of the interop check.
class SrtpSession {
 public:
  SrtpSession(SrtpProfile profile, const Bytes& keySalt, bool inbound) {
    static const bool initialized = srtp_init() == srtp_err_status_ok;
    EXPECT_TRUE(initialized);
    srtp_policy_t policy{};
    if (profile == SrtpProfile::kAes128CmHmacSha1_80) {
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    } else {
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    }
    policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    key_ = keySalt;
    policy.key = key_.data();
    policy.window_size = 1024;
    ok_ = srtp_create(&session_, &policy) == srtp_err_status_ok;
  }
  ~SrtpSession() {
    if (ok_) srtp_dealloc(session_);
  }
  // Protects in place (the buffer grows by the tag); false on error.
  bool protect(Bytes& packet) {
    int size = static_cast<int>(packet.size());
    packet.resize(packet.size() + SRTP_MAX_TRAILER_LEN);
    const bool ok = srtp_protect(session_, packet.data(), &size) == srtp_err_status_ok;
    packet.resize(static_cast<size_t>(size));
    return ok;
  }
  bool unprotect(Bytes& packet) {
    int size = static_cast<int>(packet.size());
    const bool ok = srtp_unprotect(session_, packet.data(), &size) == srtp_err_status_ok;
    packet.resize(static_cast<size_t>(size));
    return ok;
  }
  bool ok() const { return ok_; }

 private:
  srtp_t session_ = nullptr;
  Bytes key_;
  bool ok_ = false;
};

// One UDP socket on the loop, feeding DTLS to a transport and keeping SRTP aside.
class UdpPeer {
 public:
  explicit UdpPeer(uv_loop_t* loop) : udp_(new uv_udp_t) {
    uv_udp_init(loop, udp_);
    udp_->data = this;
    sockaddr_in any{};
    uv_ip4_addr("127.0.0.1", 0, &any);
    uv_udp_bind(udp_, reinterpret_cast<const sockaddr*>(&any), 0);
    uv_udp_recv_start(
        udp_,
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          auto* self = static_cast<UdpPeer*>(h->data);
          buf->base = reinterpret_cast<char*>(self->buffer_.data());
          buf->len = self->buffer_.size();
        },
        [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr*, unsigned) {
          auto* self = static_cast<UdpPeer*>(h->data);
          if (self == nullptr || n <= 0) return;
          std::span<const uint8_t> d(reinterpret_cast<const uint8_t*>(buf->base), size_t(n));
          if (d[0] >= 128 && d[0] <= 191) {
            self->srtp.push_back(toBytes(d));
          } else if (self->transport != nullptr) {
            self->transport->onPacket(d);
          }
        });
  }
  // The handle outlives us until libuv's close callback frees it.
  ~UdpPeer() {
    udp_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(udp_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_udp_t*>(h); });
  }
  int port() {
    sockaddr_in addr{};
    int len = sizeof(addr);
    uv_udp_getsockname(udp_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  }
  void sendTo(int port, std::span<const uint8_t> d) {
    sockaddr_in to{};
    uv_ip4_addr("127.0.0.1", port, &to);
    uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(d.data())),
                               static_cast<unsigned>(d.size()));
    uv_udp_try_send(udp_, &buf, 1, reinterpret_cast<const sockaddr*>(&to));
  }
  DtlsTransport* transport = nullptr;
  std::vector<Bytes> srtp;

 private:
  uv_udp_t* udp_;
  std::array<uint8_t, 65536> buffer_{};
};

std::string readLine(FILE* f) {
  std::string line;
  for (int c; (c = std::fgetc(f)) != EOF && c != '\n';)
    line.push_back(static_cast<char>(c));
  return line;
}

Bytes rtpPacket(std::string_view payload) {
  Bytes p = {0x80, 96, 0, 9, 0, 0, 0x10, 0, 0xAA, 0xBB, 0xCC, 0xDD};
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

TEST_F(DtlsTransportTest, InteroperatesWithAiortc) {
  constexpr const char* kPython = "/usr/bin/python3";
  if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " not installed";
  char scriptPath[] = "/tmp/switchyard-dtls-aiortc-XXXXXX";
  const int fd = mkstemp(scriptPath);
  ASSERT_GE(fd, 0);
  { std::ofstream(scriptPath) << kAiortcPeer; }
  ::close(fd);

  // aiortc as DTLS client (what it is as answerer, setup:active) and as server.
  for (Role ourRole : {Role::kServer, Role::kClient}) {
    SCOPED_TRACE(std::string("switchyard is ") + DtlsTransport::roleName(ourRole));
    Endpoint ep;
    UdpPeer udp(&loop_);
    const std::string command = std::string(kPython) + " " + scriptPath + " " +
                                std::to_string(udp.port()) + " '" + certA_->fingerprint().format() +
                                "' " + (ourRole == Role::kServer ? "client" : "server") + " 2>&1";
    FILE* python = popen(command.c_str(), "r");
    ASSERT_NE(python, nullptr);
    const std::string first = readLine(python);
    if (first.rfind("skip", 0) == 0) {
      pclose(python);
      std::remove(scriptPath);
      GTEST_SKIP() << "aiortc not available: " << first;
    }
    const size_t split = first.rfind(' ');
    ASSERT_NE(split, std::string::npos) << first;
    const auto aiortcFingerprint = DtlsFingerprint::parse(first.substr(0, split));
    ASSERT_TRUE(aiortcFingerprint.ok()) << first;
    const int aiortcPort = std::stoi(first.substr(split + 1));

    Options options;  // defaults: GCM preferred, CM accepted; aiortc offers CM only
    auto transport = std::make_unique<DtlsTransport>(&loop_, certA_, ep, options);
    udp.transport = transport.get();
    ep.out = [&](std::span<const uint8_t> d) { udp.sendTo(aiortcPort, d); };
    std::unique_ptr<SrtpSession> inbound, outbound;
    ep.onConnected = [&] {
      inbound = std::make_unique<SrtpSession>(*ep.profile, ep.remote, true);
      outbound = std::make_unique<SrtpSession>(*ep.profile, ep.local, false);
      Bytes packet = rtpPacket("from switchyard");
      ASSERT_TRUE(outbound->protect(packet));
      udp.sendTo(aiortcPort, packet);
      transport->sendApplicationData(textBytes("data from switchyard"));
    };
    ASSERT_TRUE(transport->start(ourRole, *aiortcFingerprint));
    ASSERT_TRUE(runUntil([&] { return ep.closedCalls > 0; }, 8000))
        << DtlsTransport::stateName(transport->state()) << " " << transport->failureReason();

    EXPECT_EQ(ep.profile, SrtpProfile::kAes128CmHmacSha1_80);
    EXPECT_EQ(transport->state(), State::kClosed);
    // aiortc's SRTP packet, protected with the keys aiortc derived, opens with ours.
    ASSERT_EQ(udp.srtp.size(), 1u);
    ASSERT_TRUE(inbound && inbound->unprotect(udp.srtp[0]));
    const std::string payload(udp.srtp[0].begin() + 12, udp.srtp[0].end());
    EXPECT_EQ(payload, "from aiortc");
    ASSERT_EQ(ep.received.size(), 1u);
    EXPECT_EQ(ep.received[0], textBytes("data from aiortc"));

    std::vector<std::string> report;
    for (std::string line; !(line = readLine(python)).empty();)
      report.push_back(line);
    const int status = pclose(python);
    EXPECT_EQ(status, 0);
    auto has = [&](const std::string& line) {
      return std::find(report.begin(), report.end(), line) != report.end();
    };
    EXPECT_TRUE(has("state connected"));
    EXPECT_TRUE(has("rtp from switchyard")) << "aiortc could not open our SRTP";
    EXPECT_TRUE(has("data data from switchyard"));
    EXPECT_TRUE(has("done"));
    transport.reset();
    udp.transport = nullptr;
  }
  std::remove(scriptPath);
}

// --- Interop: GnuTLS ------------------------------------------------------------------------

// GnuTLS is a DTLS implementation that shares no code with OpenSSL. It is loaded at run time
// (libgnutls.so.30 is on every Debian system: apt depends on it; its headers are not), so the
// few entry points used are declared here from GnuTLS 3.7's gnutls.h.
namespace gnutls {

struct SessionSt;
struct CredentialsSt;
using Session = SessionSt*;
using Credentials = CredentialsSt*;
struct Datum {
  unsigned char* data;
  unsigned int size;
};
constexpr unsigned kServer = 1, kClient = 1 << 1, kDatagram = 1 << 2, kNonblock = 1 << 3;
constexpr int kErrorAgain = -28, kErrorInterrupted = -52;
constexpr int kCredentialsCertificate = 1;  // GNUTLS_CRD_CERTIFICATE
constexpr int kCertificateRequire = 2;      // GNUTLS_CERT_REQUIRE
constexpr int kFormatPem = 1;               // GNUTLS_X509_FMT_PEM
constexpr int kDigestSha256 = 6;            // GNUTLS_DIG_SHA256
constexpr int kShutdownWrite = 1;           // GNUTLS_SHUT_WR

using PushFunction = ssize_t (*)(void*, const void*, size_t);
using PullFunction = ssize_t (*)(void*, void*, size_t);
using PullTimeoutFunction = int (*)(void*, unsigned int);

struct Api {
  int (*init)(Session*, unsigned int);
  void (*deinit)(Session);
  int (*priority_set_direct)(Session, const char*, const char**);
  int (*certificate_allocate_credentials)(Credentials*);
  void (*certificate_free_credentials)(Credentials);
  int (*certificate_set_x509_key_mem)(Credentials, const Datum*, const Datum*, int);
  int (*credentials_set)(Session, int, void*);
  void (*certificate_server_set_request)(Session, int);
  int (*srtp_set_profile_direct)(Session, const char*, const char**);
  int (*srtp_get_keys)(Session, void*, unsigned int, Datum*, Datum*, Datum*, Datum*);
  void (*transport_set_ptr)(Session, void*);
  void (*transport_set_push_function)(Session, PushFunction);
  void (*transport_set_pull_function)(Session, PullFunction);
  void (*transport_set_pull_timeout_function)(Session, PullTimeoutFunction);
  void (*transport_set_errno)(Session, int);
  void (*dtls_set_mtu)(Session, unsigned int);
  int (*handshake)(Session);
  ssize_t (*record_send)(Session, const void*, size_t);
  ssize_t (*record_recv)(Session, void*, size_t);
  int (*bye)(Session, int);
  const char* (*strerror)(int);
  const Datum* (*certificate_get_peers)(Session, unsigned int*);
  int (*fingerprint)(int, const Datum*, void*, size_t*);

  // nullopt when the library or a symbol is missing.
  static std::optional<Api> load() {
    void* lib = dlopen("libgnutls.so.30", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return std::nullopt;
    Api api{};
    bool ok = true;
    auto get = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      ok = ok && fn != nullptr;
    };
    get(api.init, "gnutls_init");
    get(api.deinit, "gnutls_deinit");
    get(api.priority_set_direct, "gnutls_priority_set_direct");
    get(api.certificate_allocate_credentials, "gnutls_certificate_allocate_credentials");
    get(api.certificate_free_credentials, "gnutls_certificate_free_credentials");
    get(api.certificate_set_x509_key_mem, "gnutls_certificate_set_x509_key_mem");
    get(api.credentials_set, "gnutls_credentials_set");
    get(api.certificate_server_set_request, "gnutls_certificate_server_set_request");
    get(api.srtp_set_profile_direct, "gnutls_srtp_set_profile_direct");
    get(api.srtp_get_keys, "gnutls_srtp_get_keys");
    get(api.transport_set_ptr, "gnutls_transport_set_ptr");
    get(api.transport_set_push_function, "gnutls_transport_set_push_function");
    get(api.transport_set_pull_function, "gnutls_transport_set_pull_function");
    get(api.transport_set_pull_timeout_function, "gnutls_transport_set_pull_timeout_function");
    get(api.transport_set_errno, "gnutls_transport_set_errno");
    get(api.dtls_set_mtu, "gnutls_dtls_set_mtu");
    get(api.handshake, "gnutls_handshake");
    get(api.record_send, "gnutls_record_send");
    get(api.record_recv, "gnutls_record_recv");
    get(api.bye, "gnutls_bye");
    get(api.strerror, "gnutls_strerror");
    get(api.certificate_get_peers, "gnutls_certificate_get_peers");
    get(api.fingerprint, "gnutls_fingerprint");
    if (!ok) return std::nullopt;
    return api;  // the library stays loaded for the process
  }
};

// A GnuTLS DTLS session whose datagrams go straight into `target` and come from `inbound`.
class Peer {
 public:
  Peer(const Api& api, bool server, const DtlsCertificate& identity, DtlsTransport& target,
       const char* srtpProfiles)
      : api_(api), target_(target) {
    const std::string certPem = identity.certificatePem();
    const std::string keyPem = identity.privateKeyPem();
    Datum cert{reinterpret_cast<unsigned char*>(const_cast<char*>(certPem.data())),
               static_cast<unsigned int>(certPem.size())};
    Datum key{reinterpret_cast<unsigned char*>(const_cast<char*>(keyPem.data())),
              static_cast<unsigned int>(keyPem.size())};
    ok_ = api_.certificate_allocate_credentials(&credentials_) == 0 &&
          api_.certificate_set_x509_key_mem(credentials_, &cert, &key, kFormatPem) == 0 &&
          api_.init(&session_, (server ? kServer : kClient) | kDatagram | kNonblock) == 0 &&
          api_.priority_set_direct(session_, "NORMAL:-VERS-ALL:+VERS-DTLS1.2", nullptr) == 0 &&
          api_.credentials_set(session_, kCredentialsCertificate, credentials_) == 0 &&
          api_.srtp_set_profile_direct(session_, srtpProfiles, nullptr) == 0;
    if (!ok_) return;
    if (server) api_.certificate_server_set_request(session_, kCertificateRequire);
    api_.transport_set_ptr(session_, this);
    api_.transport_set_push_function(session_, push);
    api_.transport_set_pull_function(session_, pull);
    api_.transport_set_pull_timeout_function(session_, pullTimeout);
    api_.dtls_set_mtu(session_, DtlsTransport::kDefaultMtu);
  }
  ~Peer() {
    if (session_ != nullptr) api_.deinit(session_);
    if (credentials_ != nullptr) api_.certificate_free_credentials(credentials_);
  }
  bool ok() const { return ok_; }

  // Runs the handshake as far as the queued datagrams allow; 0 when done.
  int handshake() {
    int rc = kErrorAgain;
    for (int i = 0; i < 20 && (rc == kErrorAgain || rc == kErrorInterrupted); ++i)
      rc = api_.handshake(session_);
    return rc;
  }
  // Master key + salt for each direction, split by GnuTLS (RFC 5764 section 4.2).
  bool keys(Bytes& client, Bytes& server) {
    uint8_t material[128];
    Datum ck{}, cs{}, sk{}, ss{};
    if (api_.srtp_get_keys(session_, material, sizeof(material), &ck, &cs, &sk, &ss) < 0) {
      return false;
    }
    client.assign(ck.data, ck.data + ck.size);
    client.insert(client.end(), cs.data, cs.data + cs.size);
    server.assign(sk.data, sk.data + sk.size);
    server.insert(server.end(), ss.data, ss.data + ss.size);
    return true;
  }
  // SHA-256 of the certificate the peer (switchyard) presented, computed by GnuTLS.
  Bytes peerCertificateSha256() {
    unsigned int count = 0;
    const Datum* list = api_.certificate_get_peers(session_, &count);
    if (list == nullptr || count == 0) return {};
    Bytes digest(32);
    size_t size = digest.size();
    if (api_.fingerprint(kDigestSha256, &list[0], digest.data(), &size) != 0) return {};
    digest.resize(size);
    return digest;
  }
  bool send(std::string_view text) {
    return api_.record_send(session_, text.data(), text.size()) == ssize_t(text.size());
  }
  // One record, or "" with eof set on close_notify.
  std::string receive(bool& eof) {
    char buf[2048];
    const ssize_t n = api_.record_recv(session_, buf, sizeof(buf));
    eof = n == 0;
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  }
  void bye() { api_.bye(session_, kShutdownWrite); }
  const char* error(int rc) const { return api_.strerror(rc); }

  std::deque<Bytes> inbound;

 private:
  static ssize_t push(void* p, const void* data, size_t size) {
    auto* self = static_cast<Peer*>(p);
    self->target_.onPacket({static_cast<const uint8_t*>(data), size});
    return ssize_t(size);
  }
  static ssize_t pull(void* p, void* out, size_t size) {
    auto* self = static_cast<Peer*>(p);
    if (self->inbound.empty()) {
      self->api_.transport_set_errno(self->session_, EAGAIN);
      return -1;
    }
    Bytes d = std::move(self->inbound.front());
    self->inbound.pop_front();
    const size_t n = std::min(size, d.size());
    std::copy_n(d.begin(), n, static_cast<uint8_t*>(out));
    return ssize_t(n);
  }
  static int pullTimeout(void* p, unsigned int) {
    return static_cast<Peer*>(p)->inbound.empty() ? 0 : 1;
  }

  const Api& api_;
  DtlsTransport& target_;
  Session session_ = nullptr;
  Credentials credentials_ = nullptr;
  bool ok_ = false;
};

}  // namespace gnutls

TEST_F(DtlsTransportTest, InteroperatesWithGnuTls) {
  static const auto api = gnutls::Api::load();
  if (!api) GTEST_SKIP() << "libgnutls.so.30 not available";
  for (Role ourRole : {Role::kServer, Role::kClient}) {
    SCOPED_TRACE(std::string("switchyard is ") + DtlsTransport::roleName(ourRole));
    epA_ = {};
    a_ = std::make_unique<DtlsTransport>(&loop_, certA_, epA_);
    // GnuTLS 3.7 knows no GCM SRTP profile; it leads with one we do not support.
    gnutls::Peer peer(*api, ourRole == Role::kClient, *certB_, *a_,
                      "SRTP_AES128_CM_HMAC_SHA1_32:SRTP_AES128_CM_HMAC_SHA1_80");
    ASSERT_TRUE(peer.ok());
    epA_.out = [&peer](std::span<const uint8_t> d) { peer.inbound.push_back(toBytes(d)); };
    ASSERT_TRUE(a_->start(ourRole, certB_->fingerprint()));
    int rc = gnutls::kErrorAgain;
    for (int round = 0; round < 10 && rc != 0; ++round) {
      rc = peer.handshake();
      ASSERT_TRUE(rc == 0 || rc == gnutls::kErrorAgain) << peer.error(rc);
    }
    ASSERT_EQ(rc, 0) << peer.error(rc);
    ASSERT_EQ(a_->state(), State::kConnected) << a_->failureReason();
    EXPECT_EQ(epA_.profile, SrtpProfile::kAes128CmHmacSha1_80);

    // GnuTLS's own exporter and split give the same keys, each direction.
    Bytes client, server;
    ASSERT_TRUE(peer.keys(client, server));
    EXPECT_EQ(client.size(), 30u);
    EXPECT_EQ(epA_.local, ourRole == Role::kClient ? client : server);
    EXPECT_EQ(epA_.remote, ourRole == Role::kClient ? server : client);
    // And GnuTLS hashes our certificate to our fingerprint.
    const auto digest = certA_->fingerprint().digest();
    EXPECT_EQ(peer.peerCertificateSha256(), Bytes(digest.begin(), digest.end()));

    ASSERT_TRUE(peer.send("from gnutls"));
    ASSERT_EQ(epA_.received.size(), 1u);
    EXPECT_EQ(epA_.received[0], textBytes("from gnutls"));
    ASSERT_TRUE(a_->sendApplicationData(textBytes("from switchyard")));
    bool eof = false;
    EXPECT_EQ(peer.receive(eof), "from switchyard");

    if (ourRole == Role::kServer) {
      peer.bye();  // close_notify from GnuTLS
      EXPECT_EQ(epA_.closedCalls, 1);
      EXPECT_EQ(a_->state(), State::kClosed);
    } else {
      a_->close();  // close_notify from us
      peer.receive(eof);
      EXPECT_TRUE(eof);
    }
    a_.reset();
  }
}

}  // namespace
}  // namespace switchyard::transport
