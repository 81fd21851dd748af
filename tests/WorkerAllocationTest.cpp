// The worker's forwarding path allocates nothing per packet. A real worker runs with a counting
// allocator preloaded (tests/support/AllocationCounter.c): a publisher plain transport fans a
// stream out to viewer plain transports, plain and with SRTP of both suites, and the count of
// heap allocations over thousands of forwarded packets, after a warm-up, stays at what the
// timers (RTCP reports once a second) account for. Skipped under AddressSanitizer, which
// replaces the allocator itself.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "control/orchestrator/PlainTransport.hpp"
#include "control/orchestrator/Router.hpp"
#include "support/OrchestratorFixture.hpp"
#include "support/UdpPeer.hpp"
#include "transport/SrtpParameters.hpp"
#include "transport/SrtpSession.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define SWITCHYARD_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SWITCHYARD_UNDER_ASAN 1
#endif
#endif

namespace {

using namespace switchyard;
using Bytes = std::vector<uint8_t>;
using switchyard::test::OrchestratorFixture;
using switchyard::test::runUntil;

constexpr size_t kViewers = 8;
constexpr size_t kWarmUpPackets = 300;
constexpr size_t kMeasuredPackets = 3000;
constexpr size_t kBurst = 30;  // packets sent back to back, so the worker batches
constexpr size_t kPayloadSize = 1000;
constexpr int kReceiveBuffer = 8 << 20;
constexpr uint8_t kPayloadType = 96;
constexpr uint32_t kSsrc = 0x01020304;
// What the timers may allocate while the measured packets flow (about a second): the RTCP
// reports and keyframe-request checks. Far below one per packet (kMeasuredPackets x kViewers
// datagrams are forwarded).
constexpr unsigned long kAllowedAllocations = 64;

using switchyard::test::UdpPeer;

// RTP datagrams waiting now at a viewer (RTCP, RFC 5761 types 192-223, is skipped).
size_t drainRtp(UdpPeer& peer) {
  size_t n = 0;
  while (auto d = peer.poll()) {
    if (d->size() >= 2 && ((*d)[1] < 192 || (*d)[1] > 223)) ++n;
  }
  return n;
}

Bytes rtp(uint16_t seq, bool keyframe) {
  Bytes p(12 + kPayloadSize, 0);
  p[0] = 0x80;
  p[1] = kPayloadType;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  const uint32_t ts = seq * 3000u;
  for (int i = 0; i < 4; ++i) {
    p[4 + static_cast<size_t>(i)] = static_cast<uint8_t>(ts >> (24 - 8 * i));
    p[8 + static_cast<size_t>(i)] = static_cast<uint8_t>(kSsrc >> (24 - 8 * i));
  }
  // VP8 (RFC 7741): descriptor starting partition 0, then a keyframe or interframe header.
  const Bytes head = keyframe
                         ? Bytes{0x10, 0x00, 0x00, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01}
                         : Bytes{0x10, 0x01, 0x00, 0x00};
  std::copy(head.begin(), head.end(), p.begin() + 12);
  return p;
}

// The SRTP suite (none: plain RTP), and whether the viewers share the worker's port.
class WorkerAllocation : public OrchestratorFixture,
                         public ::testing::WithParamInterface<
                             std::tuple<std::optional<control::SrtpCryptoSuite>, bool>> {
 protected:
  std::optional<control::SrtpCryptoSuite> suite() const { return std::get<0>(GetParam()); }
  bool sharedPort() const { return std::get<1>(GetParam()); }

  void SetUp() override {
#ifdef SWITCHYARD_UNDER_ASAN
    GTEST_SKIP() << "AddressSanitizer replaces the allocator: counted in the Release suite";
#endif
    OrchestratorFixture::SetUp();
    countFile_ = ::testing::TempDir() + "switchyard-allocations-" + std::to_string(getpid());
    // The worker inherits these at spawn; this process is not affected by LD_PRELOAD.
    setenv("LD_PRELOAD", SWITCHYARD_ALLOCATION_COUNTER, 1);
    setenv("SWITCHYARD_ALLOCATION_COUNT_FILE", countFile_.c_str(), 1);
    worker_ = spawn(workerOptions(1));
    unsetenv("LD_PRELOAD");
    unsetenv("SWITCHYARD_ALLOCATION_COUNT_FILE");
    ASSERT_TRUE(worker_);
    control::RouterOptions ro;
    ro.mediaCodecs.push_back({control::MediaKind::kVideo, "video/VP8", 96, 90000, 1, {}});
    auto router =
        await<std::shared_ptr<control::Router>>([&](auto cb) { worker_->createRouter(ro, cb); });
    ASSERT_TRUE(router && router->ok());
    router_ = router->value();
  }
  void TearDown() override {
    if (IsSkipped()) return;
    transports_.clear();
    router_.reset();
    if (worker_) {
      await<void>([&](auto cb) { worker_->close(cb); });
      runUntil(
          &loop_, [&] { return !worker_->alive(); }, 5000);
    }
    worker_.reset();
    std::remove(countFile_.c_str());
    OrchestratorFixture::TearDown();
  }

  // The worker's allocation count so far (it writes it on SIGUSR2).
  std::optional<unsigned long> allocations() {
    std::remove(countFile_.c_str());
    kill(worker_->pid(), SIGUSR2);
    for (int i = 0; i < 200; ++i) {
      std::ifstream in(countFile_);
      unsigned long v = 0;
      if (in >> v) return v;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
  }

  std::shared_ptr<control::PlainTransport> create(bool comedia) {
    control::PlainTransportOptions o;
    o.listen = {"127.0.0.1", "", !comedia && sharedPort()};
    o.comedia = comedia;
    o.srtp = suite();
    auto t = await<std::shared_ptr<control::PlainTransport>>(
        [&](auto cb) { router_->createPlainTransport(o, cb); });
    EXPECT_TRUE(t && t->ok());
    if (!t || !t->ok()) return nullptr;
    transports_.push_back(t->value());
    return t->value();
  }

  void connect(control::PlainTransport& t, control::PlainConnectOptions o) {
    auto r = await<void>([&](auto cb) { t.connect(o, cb); });
    ASSERT_TRUE(r && r->ok()) << (r && !r->ok() ? r->error().describe() : "timeout");
  }

  std::string countFile_;
  std::shared_ptr<control::Worker> worker_;
  std::shared_ptr<control::Router> router_;
  std::vector<std::shared_ptr<control::PlainTransport>> transports_;
};

TEST_P(WorkerAllocation, ForwardingAllocatesNothingPerPacket) {
  const auto suite = this->suite();
  const auto profile = suite == control::SrtpCryptoSuite::kAeadAes128Gcm
                           ? transport::SrtpProfile::kAeadAes128Gcm
                           : transport::SrtpProfile::kAes128CmHmacSha1_80;
  auto publisher = create(true);
  ASSERT_TRUE(publisher);
  std::unique_ptr<transport::SrtpSession> protect;
  std::optional<transport::SrtpParameters> peerKey;
  if (suite) {
    peerKey = transport::SrtpParameters::generate(profile);
    ASSERT_TRUE(peerKey);
    auto s = transport::SrtpSession::create(transport::SrtpSession::Direction::kOutbound, profile,
                                            peerKey->keyAndSalt());
    ASSERT_TRUE(s);
    protect = std::move(*s);
    connect(*publisher, {"", 0, 0, control::SrtpKeyInfo{*suite, peerKey->toBase64()}});
  }
  control::ProduceOptions po;
  po.kind = control::MediaKind::kVideo;
  po.rtpParameters.codecs.push_back({"video/VP8", kPayloadType, 90000, 1, {}, {}});
  po.rtpParameters.encodings.push_back({kSsrc, "", std::nullopt});
  auto produced = await<std::string>([&](auto cb) { publisher->produce(po, cb); });
  ASSERT_TRUE(produced && produced->ok());

  std::vector<std::unique_ptr<UdpPeer>> viewers;
  for (size_t i = 0; i < kViewers; ++i) {
    viewers.push_back(std::make_unique<UdpPeer>(0, kReceiveBuffer));
    auto v = create(false);
    ASSERT_TRUE(v);
    std::optional<control::SrtpKeyInfo> key;
    if (suite) key = control::SrtpKeyInfo{*suite, peerKey->toBase64()};
    connect(*v, {"127.0.0.1", viewers.back()->port(), 0, key});
    control::ConsumeOptions co;
    co.producerId = produced->value();
    co.rtpParameters.codecs.push_back({"video/VP8", kPayloadType, 90000, 1, {}, {}});
    co.rtpParameters.encodings.push_back({static_cast<uint32_t>(0x7000 + i), "", std::nullopt});
    auto consumed = await<std::string>([&](auto cb) { v->consume(co, cb); });
    ASSERT_TRUE(consumed && consumed->ok());
  }

  UdpPeer sender;
  const uint16_t port = publisher->info().tuple.localPort;
  uint16_t seq = 100;
  std::vector<size_t> received(kViewers, 0);
  auto sendAndDrain = [&](size_t count) {
    const size_t target = received[0] + count;
    for (size_t sent = 0; sent < count; sent += kBurst) {
      for (size_t k = 0; k < kBurst && sent + k < count; ++k) {
        Bytes packet = rtp(seq, seq == 100);
        ++seq;
        if (protect) {
          const size_t length = packet.size();
          packet.resize(length + transport::SrtpSession::kMaxTrailer);
          auto n = protect->protectRtp(packet, length);
          ASSERT_TRUE(n);
          packet.resize(*n);
        }
        sender.send(packet, port);
      }
      for (size_t i = 0; i < kViewers; ++i)
        received[i] += drainRtp(*viewers[i]);
      // Pace the bursts a little so that no socket buffer overflows.
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (size_t i = 0; i < kViewers; ++i) {
        received[i] += drainRtp(*viewers[i]);
        all = all && received[i] >= target;
      }
      if (all) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };

  // Warm-up: first packets of each SSRC (libsrtp's stream state), first keyframe, pools.
  sendAndDrain(kWarmUpPackets);
  for (size_t i = 0; i < kViewers; ++i)
    ASSERT_EQ(received[i], kWarmUpPackets) << "viewer " << i;
  const auto before = allocations();
  ASSERT_TRUE(before) << "the counting allocator did not answer (LD_PRELOAD "
                      << SWITCHYARD_ALLOCATION_COUNTER << ")";
  ASSERT_GT(*before, 0u);  // the counter is live: the worker allocated while starting

  sendAndDrain(kMeasuredPackets);
  const auto after = allocations();
  ASSERT_TRUE(after);
  for (size_t i = 0; i < kViewers; ++i)
    ASSERT_EQ(received[i], kWarmUpPackets + kMeasuredPackets) << "viewer " << i;
  const unsigned long during = *after - *before;
  RecordProperty("allocations", std::to_string(during));
  EXPECT_LE(during, kAllowedAllocations)
      << during << " heap allocations while " << kMeasuredPackets * kViewers
      << " datagrams were forwarded";
}

INSTANTIATE_TEST_SUITE_P(
    Suites, WorkerAllocation,
    ::testing::Combine(::testing::Values(std::nullopt,
                                         control::SrtpCryptoSuite::kAesCm128HmacSha1_80,
                                         control::SrtpCryptoSuite::kAeadAes128Gcm),
                       ::testing::Bool()),
    [](const auto& p) -> std::string {
      const auto& suite = std::get<0>(p.param);
      std::string name = !suite ? "Plain"
                         : *suite == control::SrtpCryptoSuite::kAeadAes128Gcm
                             ? "AeadAes128Gcm"
                             : "AesCm128HmacSha1_80";
      return name + (std::get<1>(p.param) ? "SharedPort" : "OwnPorts");
    });

}  // namespace
