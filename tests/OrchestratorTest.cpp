// The orchestrator library against real switchyard-worker processes.

#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <chrono>

#include "control/orchestrator/Router.hpp"
#include "control/orchestrator/WorkerPool.hpp"
#include "support/OrchestratorFixture.hpp"
#include "support/ProcessCpus.hpp"

namespace switchyard::test {
namespace {

using control::ErrorKind;
using control::Result;
using Clock = std::chrono::steady_clock;

class Orchestrator : public OrchestratorFixture {};

TEST_F(Orchestrator, SpawnedWorkerAnnouncesItselfAndAnswersDump) {
  auto w = spawn(workerOptions(3));
  ASSERT_TRUE(w);
  bool running = false;
  w->setRunningHandler([&] { running = true; });
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return running; }, 5000));
  auto dump = await<control::WorkerDump>([&](auto cb) { w->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  EXPECT_EQ(dump->value().workerId, 3u);
  EXPECT_EQ(dump->value().pid, static_cast<uint32_t>(w->pid()));
  EXPECT_TRUE(dump->value().routerIds.empty());
  EXPECT_EQ(dump->value().logLevel, "info");
}

TEST_F(Orchestrator, NotificationSubscriptionsDeliverUntilReset) {
  auto w = spawn(workerOptions(2));
  ASSERT_TRUE(w);
  // Subscribed before the loop runs, so the worker's first notification is still to come.
  int kept = 0, dropped = 0;
  uint32_t workerIdSeen = 99;
  auto keep = w->channel().subscribe("", [&](const fbs::notification::Notification& n) {
    ++kept;
    if (auto* body = n.body_as_Worker_RunningNotification()) workerIdSeen = body->worker_id();
  });
  auto drop =
      w->channel().subscribe("", [&](const fbs::notification::Notification&) { ++dropped; });
  auto other = w->channel().subscribe("some-transport",
                                      [&](const fbs::notification::Notification&) { ++dropped; });
  drop.reset();
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return kept == 1; }, 5000));
  EXPECT_EQ(workerIdSeen, 2u);
  EXPECT_EQ(dropped, 0);
  EXPECT_EQ(w->channel().counters().notifications, 1u);
}

TEST_F(Orchestrator, RouterLifecycleShowsInDumps) {
  auto w = spawn(workerOptions());
  control::RouterOptions ro;
  ro.mediaCodecs = {
      {control::MediaKind::kAudio, "audio/opus", 111, 48000, 2, {{"useinbandfec", "1"}}},
      {control::MediaKind::kVideo, "video/VP8", 96, 90000, 1, {}},
  };
  auto created = await<std::shared_ptr<control::Router>>([&](auto cb) { w->createRouter(ro, cb); });
  ASSERT_TRUE(created && created->ok()) << created->error().describe();
  auto router = created->value();
  EXPECT_EQ(router->id().size(), 32u);

  auto wd = await<control::WorkerDump>([&](auto cb) { w->dump(cb); });
  ASSERT_TRUE(wd && wd->ok());
  EXPECT_EQ(wd->value().routerIds, std::vector<std::string>{router->id()});

  auto rd = await<control::RouterDump>([&](auto cb) { router->dump(cb); });
  ASSERT_TRUE(rd && rd->ok());
  EXPECT_EQ(rd->value().id, router->id());
  ASSERT_EQ(rd->value().mediaCodecs.size(), 2u);
  EXPECT_EQ(rd->value().mediaCodecs[0].mimeType, "audio/opus");
  EXPECT_EQ(rd->value().mediaCodecs[0].channels, 2);
  EXPECT_EQ(rd->value().mediaCodecs[0].parameters[0].second, "1");
  EXPECT_EQ(rd->value().mediaCodecs[1].kind, control::MediaKind::kVideo);

  // The same id twice is refused.
  control::RouterOptions dup;
  dup.id = router->id();
  auto again = await<std::shared_ptr<control::Router>>([&](auto cb) { w->createRouter(dup, cb); });
  ASSERT_TRUE(again);
  ASSERT_FALSE(again->ok());
  EXPECT_EQ(again->error().kind, ErrorKind::kInvalidState);

  auto closed = await<void>([&](auto cb) { router->close(cb); });
  ASSERT_TRUE(closed && closed->ok());
  auto after = await<control::WorkerDump>([&](auto cb) { w->dump(cb); });
  ASSERT_TRUE(after && after->ok());
  EXPECT_TRUE(after->value().routerIds.empty());
  auto gone = await<control::RouterDump>([&](auto cb) { router->dump(cb); });
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->error().kind, ErrorKind::kNotFound);
}

TEST_F(Orchestrator, UpdateSettingsChangesLogLevelAtRunTimeAndLogsArriveTagged) {
  auto w = spawn(workerOptions(5));
  std::vector<control::LogLine> logs;
  w->setLogHandler([&](const control::LogLine& l) { logs.push_back(l); });
  auto ok = await<void>([&](auto cb) { w->updateSettings("debug", {"ice", "rtp"}, cb); });
  ASSERT_TRUE(ok && ok->ok());
  auto dump = await<control::WorkerDump>([&](auto cb) { w->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  EXPECT_EQ(dump->value().logLevel, "debug");
  EXPECT_EQ(dump->value().logTags, (std::vector<std::string>{"ice", "rtp"}));
  // Router creation logs at debug, which is now on: it must reach us over the channel.
  auto r = await<std::shared_ptr<control::Router>>([&](auto cb) { w->createRouter({}, cb); });
  ASSERT_TRUE(r && r->ok());
  ASSERT_TRUE(runUntil(
      &loop_,
      [&] {
        for (const auto& l : logs) {
          if (l.tag == "router" && l.text.find(r->value()->id()) != std::string::npos) return true;
        }
        return false;
      },
      3000));
  for (const auto& l : logs)
    EXPECT_EQ(l.workerId, 5u);

  auto bad = await<void>([&](auto cb) { w->updateSettings("verbose", {}, cb); });
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->error().kind, ErrorKind::kTypeError);
}

TEST_F(Orchestrator, ResourceUsageReportsCpuAndMemory) {
  auto w = spawn(workerOptions());
  auto ru = await<control::ResourceUsage>([&](auto cb) { w->getResourceUsage(cb); });
  ASSERT_TRUE(ru && ru->ok());
  EXPECT_GT(ru->value().rssBytes, 1024u * 1024u);
  EXPECT_GT(ru->value().maxRssKb, 0u);
  EXPECT_GT(ru->value().userCpuUs + ru->value().systemCpuUs, 0u);
}

TEST_F(Orchestrator, RequestTimesOutWhenTheWorkerDoesNotAnswer) {
  auto w = spawn(workerOptions());
  ASSERT_TRUE(await<control::WorkerDump>([&](auto cb) { w->dump(cb); }));
  kill(w->pid(), SIGSTOP);
  std::optional<control::Error> error;
  auto start = Clock::now();
  w->channel().request(
      fbs::request::Method::WORKER_DUMP, "", {},
      [&](const control::Error* e, const fbs::response::Response*) {
        error = e ? *e : control::Error{ErrorKind::kError, "answered"};
      },
      200);
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return error.has_value(); }, 3000));
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(error->kind, ErrorKind::kTimeout);
  EXPECT_GE(elapsed, std::chrono::milliseconds(190));
  EXPECT_EQ(w->channel().pendingRequests(), 0u);
  kill(w->pid(), SIGCONT);
  // The late answer is dropped and counted; the next request works.
  auto dump = await<control::WorkerDump>([&](auto cb) { w->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  EXPECT_TRUE(runUntil(
      &loop_, [&] { return w->channel().counters().lateResponses == 1; }, 2000));
}

TEST_F(Orchestrator, BoundedQueueFailsRequestsClearlyWhenTheWorkerStopsReading) {
  auto o = workerOptions();
  o.channel.maxQueuedBytes = 256 * 1024;
  auto w = spawn(o);
  ASSERT_TRUE(await<control::WorkerDump>([&](auto cb) { w->dump(cb); }));
  kill(w->pid(), SIGSTOP);

  // Big requests fill the socket buffers, then the bounded queue.
  control::RouterOptions big;
  for (int i = 0; i < 100; ++i) {
    big.mediaCodecs.push_back({control::MediaKind::kVideo,
                               "video/VP8",
                               static_cast<uint8_t>(i),
                               90000,
                               1,
                               {{"x-padding", std::string(200, 'p')}}});
  }
  int answered = 0, queueFull = 0, otherErrors = 0, sent = 0;
  std::string queueFullReason;
  for (int i = 0; i < 2000 && queueFull == 0; ++i) {
    ++sent;
    big.id = "r";
    big.id += std::to_string(i);
    w->createRouter(big, [&](Result<std::shared_ptr<control::Router>> r) {
      if (r.ok()) {
        ++answered;
      } else if (r.error().kind == ErrorKind::kQueueFull) {
        ++queueFull;
        queueFullReason = r.error().reason;
      } else {
        ++otherErrors;
      }
    });
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  ASSERT_EQ(queueFull, 1) << "the queue never filled after " << sent << " requests";
  EXPECT_NE(queueFullReason.find("not reading"), std::string::npos) << queueFullReason;
  EXPECT_LE(w->channel().queuedBytes(), o.channel.maxQueuedBytes);

  // Once the worker reads again, every request that was accepted is answered.
  kill(w->pid(), SIGCONT);
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return answered + otherErrors == sent - 1; }, 10000))
      << answered << " answered of " << sent - 1;
  EXPECT_EQ(otherErrors, 0);
  EXPECT_EQ(w->channel().queuedBytes(), 0u);
}

TEST_F(Orchestrator, KilledWorkerIsNoticedWithinOneSecondAndPendingRequestsFail) {
  auto w = spawn(workerOptions(9));
  ASSERT_TRUE(await<control::WorkerDump>([&](auto cb) { w->dump(cb); }));
  std::optional<control::WorkerExit> exit;
  w->setExitHandler([&](const control::WorkerExit& e) { exit = e; });
  // Pending requests: stop the worker so they stay unanswered, then kill it.
  kill(w->pid(), SIGSTOP);
  std::vector<control::Error> failures;
  for (int i = 0; i < 10; ++i) {
    w->dump([&](Result<control::WorkerDump> r) {
      ASSERT_FALSE(r.ok());
      failures.push_back(r.error());
    });
  }
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(w->channel().pendingRequests(), 10u);
  auto killedAt = Clock::now();
  kill(w->pid(), SIGKILL);
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return exit.has_value() && failures.size() == 10; }, 1000));
  auto noticedIn = Clock::now() - killedAt;
  EXPECT_LT(noticedIn, std::chrono::seconds(1));
  EXPECT_EQ(exit->termSignal, SIGKILL);
  EXPECT_FALSE(w->alive());
  for (const auto& f : failures) {
    EXPECT_EQ(f.kind, ErrorKind::kWorkerDied);
    EXPECT_NE(f.reason.find("killed by signal 9"), std::string::npos) << f.reason;
  }
  // Requests after death fail at once.
  auto after = await<control::WorkerDump>([&](auto cb) { w->dump(cb); }, 100);
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->ok());
}

TEST_F(Orchestrator, SpawnOfAMissingBinaryFailsClearly) {
  auto o = workerOptions();
  o.binary = "/nonexistent/switchyard-worker";
  auto r = control::Worker::spawn(&loop_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kSpawnFailed);
  EXPECT_NE(r.error().reason.find("/nonexistent/switchyard-worker"), std::string::npos);
}

TEST_F(Orchestrator, WorkerRejectingItsCommandLineIsReportedAsAnExit) {
  auto o = workerOptions();
  o.extraArgs = {"--rtc-min-port=1"};
  auto w = spawn(o);
  std::optional<control::WorkerExit> exit;
  w->setExitHandler([&](const control::WorkerExit& e) { exit = e; });
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return exit.has_value(); }, 3000));
  EXPECT_EQ(exit->exitStatus, 64);
}

TEST_F(Orchestrator, PoolRespawnsADeadWorkerAndCountsTheRestart) {
  control::WorkerPoolOptions po;
  po.count = 2;
  po.worker = workerOptions();
  control::WorkerPool pool(&loop_, po);
  ASSERT_TRUE(pool.start().ok());
  ASSERT_EQ(pool.slots().size(), 2u);
  int victimPid = pool.slots()[1].worker->pid();
  std::optional<control::WorkerExit> died;
  pool.setDiedHandler([&](const control::WorkerPool::Slot& s, const control::WorkerExit& e,
                          const control::Worker& dead) {
    EXPECT_EQ(dead.pid(), victimPid);
    EXPECT_EQ(s.id, 1u);
    died = e;
  });
  kill(victimPid, SIGKILL);
  ASSERT_TRUE(runUntil(
      &loop_,
      [&] { return died.has_value() && pool.slots()[1].worker && pool.slots()[1].worker->alive(); },
      3000));
  EXPECT_EQ(pool.totalRestarts(), 1u);
  EXPECT_EQ(pool.slots()[1].restarts, 1u);
  EXPECT_NE(pool.slots()[1].worker->pid(), victimPid);
  auto w = pool.slots()[1].worker;
  auto dump = await<control::WorkerDump>([&](auto cb) { w->dump(cb); });
  ASSERT_TRUE(dump && dump->ok());
  EXPECT_EQ(dump->value().workerId, 1u);

  bool closed = false;
  pool.close([&] { closed = true; });
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return closed; }, 5000));
  for (const auto& s : pool.slots())
    EXPECT_TRUE(!s.worker || !s.worker->alive());
}

TEST_F(Orchestrator, PoolPinsEachWorkerToItsCpuAcrossRespawns) {
  cpu_set_t mine;
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  std::vector<int> cpus;
  for (int c = CPU_SETSIZE - 1; c >= 0; --c) {
    if (CPU_ISSET(c, &mine)) cpus.push_back(c);  // highest first: not just 0, 1, ...
  }
  ASSERT_FALSE(cpus.empty());
  control::WorkerPoolOptions po;
  po.worker = workerOptions();
  po.cpus = {cpus.front()};
  if (cpus.size() > 1) po.cpus.push_back(cpus[1]);
  control::WorkerPool pool(&loop_, po);
  // No count given: one worker per listed CPU.
  ASSERT_EQ(pool.slots().size(), po.cpus.size());
  ASSERT_TRUE(pool.start().ok());
  // A worker pins itself before its loop starts, so once it says it runs, it is pinned.
  ASSERT_TRUE(runUntil(
      &loop_,
      [&] {
        return std::all_of(pool.slots().begin(), pool.slots().end(),
                           [](const auto& s) { return s.worker && s.worker->running(); });
      },
      3000));
  for (size_t i = 0; i < po.cpus.size(); ++i) {
    EXPECT_EQ(allowedCpus(pool.slots()[i].worker->pid()), std::to_string(po.cpus[i])) << i;
  }
  int victimPid = pool.slots()[0].worker->pid();
  kill(victimPid, SIGKILL);
  ASSERT_TRUE(runUntil(
      &loop_,
      [&] {
        auto& w = pool.slots()[0].worker;
        return w && w->running() && w->pid() != victimPid;
      },
      3000));
  EXPECT_EQ(allowedCpus(pool.slots()[0].worker->pid()), std::to_string(po.cpus[0]));

  bool closed = false;
  pool.close([&] { closed = true; });
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return closed; }, 5000));
}

TEST_F(Orchestrator, PoolPlacesRoutersOnTheLeastLoadedWorker) {
  control::WorkerPoolOptions po;
  po.count = 2;
  po.worker = workerOptions();
  control::WorkerPool pool(&loop_, po);
  ASSERT_TRUE(pool.start().ok());
  auto a = pool.pick();
  auto b = pool.pick();
  auto c = pool.pick();
  EXPECT_NE(a, b);
  EXPECT_EQ(a, c);
  bool closed = false;
  pool.close([&] { closed = true; });
  ASSERT_TRUE(runUntil(
      &loop_, [&] { return closed; }, 5000));
}

}  // namespace
}  // namespace switchyard::test
