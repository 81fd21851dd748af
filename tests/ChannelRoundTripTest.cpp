// 100,000 request/response round trips through a real worker: every one answered, nothing
// pending afterwards, the worker's memory flat, and (under -DSANITIZE=address) no leak in
// either process: LeakSanitizer fails this test or the worker's exit code.

#include <signal.h>

#include "control/orchestrator/Router.hpp"
#include "support/OrchestratorFixture.hpp"

namespace switchyard::test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

constexpr int kRoundTrips = 100000;
constexpr int kInFlight = 64;
// After warm-up the worker's resident memory may wobble by allocator noise, not grow.
constexpr uint64_t kMaxRssGrowthBytes = 2 * 1024 * 1024;

class ChannelRoundTrip : public OrchestratorFixture {};

TEST_F(ChannelRoundTrip, HundredThousandRoundTripsWithoutLeaks) {
  auto w = spawn(workerOptions());
  ASSERT_TRUE(w);
  int sent = 0, answered = 0, failed = 0;
  uint64_t rssAfterWarmup = 0;
  std::function<void()> sendOne = [&] {
    int n = sent++;
    // Mix methods so requests with and without bodies, and routers made and freed, all run.
    auto done = [&](bool ok) {
      ++answered;
      if (!ok) ++failed;
      if (sent < kRoundTrips) sendOne();
    };
    switch (n % 4) {
      case 0:
        w->dump([done](control::Result<control::WorkerDump> r) { done(r.ok()); });
        break;
      case 1:
        w->getResourceUsage([&, done, n](control::Result<control::ResourceUsage> r) {
          if (r.ok() && n == 10001) rssAfterWarmup = r.value().rssBytes;
          done(r.ok());
        });
        break;
      case 2: {
        control::RouterOptions ro;
        ro.id = "rt" + std::to_string(n);
        ro.mediaCodecs = {{control::MediaKind::kAudio, "audio/opus", 111, 48000, 2, {}}};
        w->createRouter(ro, [done](control::Result<std::shared_ptr<control::Router>> r) {
          if (!r.ok()) return done(false);
          // Close it again: the round trip completes when the close is answered.
          r.value()->close([done](control::Result<void> c) { done(c.ok()); });
        });
        break;
      }
      default:
        w->updateSettings("info", {}, [done](control::Result<void> r) { done(r.ok()); });
    }
  };
  for (int i = 0; i < kInFlight; ++i)
    sendOne();
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return answered == kRoundTrips; }, 120000))
      << answered << " of " << kRoundTrips << " answered";
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(w->channel().pendingRequests(), 0u);
  EXPECT_EQ(w->channel().counters().timeouts, 0u);

  auto dump = await<control::WorkerDump>([&](auto cb) { w->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  EXPECT_TRUE(dump->value().routerIds.empty()) << "routers leaked in the worker";
  EXPECT_EQ(dump->value().channel.droppedInvalid, 0u);
  // Each round trip of kind 2 is two requests.
  EXPECT_GE(dump->value().channel.messagesIn, static_cast<uint64_t>(kRoundTrips));

  auto ru = await<control::ResourceUsage>([&](auto cb) { w->getResourceUsage(cb); });
  ASSERT_TRUE(ru && ru->ok());
  ASSERT_GT(rssAfterWarmup, 0u);
  // AddressSanitizer quarantines freed memory, so RSS grows by design there; LeakSanitizer
  // does the leak check in that build instead.
  if (!kAddressSanitizer) {
    EXPECT_LT(ru->value().rssBytes, rssAfterWarmup + kMaxRssGrowthBytes)
        << "worker RSS grew from " << rssAfterWarmup << " to " << ru->value().rssBytes;
  }

  // A clean close: under LeakSanitizer a leak in the worker makes its exit code non-zero.
  std::optional<control::WorkerExit> exit;
  w->setExitHandler([&](const control::WorkerExit& e) { exit = e; });
  w->close();
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return exit.has_value(); }, 10000));
  EXPECT_EQ(exit->termSignal, 0);
  EXPECT_EQ(exit->exitStatus, 0) << "worker exit: " << exit->describe();
}

}  // namespace
}  // namespace switchyard::test
