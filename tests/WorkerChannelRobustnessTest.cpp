// A live worker fed corrupt buffers, wrong bodies and unknown methods survives and answers the
// next valid request; every drop is counted in its dump.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <random>

#include "support/RawWorker.hpp"

namespace switchyard::test {
namespace {

using fbs::request::Method;
using fbs::response::ErrorType;

const fbs::worker::DumpResponse* dumpOf(const std::vector<uint8_t>& frame) {
  return RawWorker::asResponse(frame)->body_as_Worker_DumpResponse();
}

// Sends WORKER_DUMP and returns the response frame: the worker is alive and in sync.
std::vector<uint8_t> dumpNow(RawWorker& w, uint32_t id) {
  w.sendRequest(id, Method::WORKER_DUMP);
  auto r = w.nextResponse();
  EXPECT_TRUE(r.has_value()) << "no answer to a valid request";
  if (!r) return {};
  EXPECT_EQ(RawWorker::asResponse(*r)->id(), id);
  EXPECT_NE(dumpOf(*r), nullptr);
  return *r;
}

TEST(WorkerChannelRobustness, AnnouncesItselfRunning) {
  RawWorker w({"--worker-id=4"});
  auto n = w.next(fbs::message::Body::Notification);
  ASSERT_TRUE(n);
  auto* notification = control::verifyMessage(*n)->body_as_Notification();
  EXPECT_EQ(notification->event(), fbs::notification::Event::WORKER_RUNNING);
  auto* body = notification->body_as_Worker_RunningNotification();
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->worker_id(), 4u);
  EXPECT_EQ(body->pid(), static_cast<uint32_t>(w.pid()));
}

TEST(WorkerChannelRobustness, CorruptFramesAreCountedDrops) {
  RawWorker w;
  std::mt19937 rng(1234);
  const int kCorrupt = 200;
  for (int i = 0; i < kCorrupt; ++i) {
    std::vector<uint8_t> junk(4 + rng() % 300);
    for (auto& b : junk)
      b = static_cast<uint8_t>(rng());
    control::writeLengthPrefix(junk.data(), static_cast<uint32_t>(junk.size() - 4));
    w.writeBytes(junk.data(), junk.size());
  }
  // A real message truncated: its length is right but its offsets point outside.
  flatbuffers::FlatBufferBuilder b;
  control::finishRequest(b, 1, Method::WORKER_DUMP, "", fbs::request::Body::NONE, 0);
  auto real = b.GetBufferSpan();
  std::vector<uint8_t> truncated(real.begin(), real.begin() + 12);
  control::writeLengthPrefix(truncated.data(), 8);
  w.writeBytes(truncated.data(), truncated.size());
  // An empty frame.
  uint8_t empty[4] = {0, 0, 0, 0};
  w.writeBytes(empty, 4);

  auto frame = dumpNow(w, 42);
  auto* dump = dumpOf(frame);
  ASSERT_NE(dump, nullptr);
  // Random bytes can, rarely, verify as a message; none of them is a valid request.
  EXPECT_GE(dump->channel()->dropped_invalid(), static_cast<uint64_t>(kCorrupt + 2 - 5));
  EXPECT_EQ(dump->channel()->messages_in(), static_cast<uint64_t>(kCorrupt + 2 + 1));
}

TEST(WorkerChannelRobustness, OversizeFrameIsSkippedAndTheNextRequestAnswered) {
  RawWorker w;
  const uint32_t kLength = control::kMaxMessageSize + 1;
  uint8_t prefix[4];
  control::writeLengthPrefix(prefix, kLength);
  w.writeBytes(prefix, 4);
  std::vector<uint8_t> body(kLength, 0x5A);
  w.writeBytes(body.data(), body.size());
  auto frame = dumpNow(w, 7);
  ASSERT_FALSE(frame.empty());
  EXPECT_EQ(dumpOf(frame)->channel()->dropped_oversize(), 1u);
}

TEST(WorkerChannelRobustness, NonRequestMessagesAreDropped) {
  RawWorker w;
  flatbuffers::FlatBufferBuilder b;
  control::finishErrorResponse(b, 5, ErrorType::ERROR, "a worker never takes responses");
  w.writeFrame(b);
  b.Clear();
  control::finishLog(b, fbs::log::LogLevel::INFO, 0, "x", "nor logs", 0);
  w.writeFrame(b);
  auto frame = dumpNow(w, 8);
  ASSERT_FALSE(frame.empty());
  EXPECT_EQ(dumpOf(frame)->channel()->dropped_invalid(), 2u);
}

struct ErrorCase {
  const char* name;
  std::function<void(flatbuffers::FlatBufferBuilder&, uint32_t id)> build;
  ErrorType expected;
};

TEST(WorkerChannelRobustness, BadRequestsGetErrorResponsesWithTheirId) {
  const ErrorCase cases[] = {
      {"unknown method value",
       [](auto& b, uint32_t id) {
         control::finishRequest(b, id, static_cast<Method>(9999), "", fbs::request::Body::NONE, 0);
       },
       ErrorType::UNKNOWN_METHOD},
      {"method NONE",
       [](auto& b, uint32_t id) {
         control::finishRequest(b, id, Method::NONE, "", fbs::request::Body::NONE, 0);
       },
       ErrorType::UNKNOWN_METHOD},
      {"create router without a body",
       [](auto& b, uint32_t id) {
         control::finishRequest(b, id, Method::WORKER_CREATE_ROUTER, "", fbs::request::Body::NONE,
                                0);
       },
       ErrorType::TYPE_ERROR},
      {"create router with the wrong body type",
       [](auto& b, uint32_t id) {
         auto body = fbs::worker::CreateCloseRouterRequestDirect(b, "r1");
         control::finishRequest(b, id, Method::WORKER_CREATE_ROUTER, "",
                                fbs::request::Body::Worker_CloseRouterRequest, body.Union());
       },
       ErrorType::TYPE_ERROR},
      {"update settings with a bad level",
       [](auto& b, uint32_t id) {
         auto body = fbs::worker::CreateUpdateSettingsRequestDirect(b, "shouting");
         control::finishRequest(b, id, Method::WORKER_UPDATE_SETTINGS, "",
                                fbs::request::Body::Worker_UpdateSettingsRequest, body.Union());
       },
       ErrorType::TYPE_ERROR},
      {"router method on an unknown handler id",
       [](auto& b, uint32_t id) {
         control::finishRequest(b, id, Method::ROUTER_DUMP, "no-such-router",
                                fbs::request::Body::NONE, 0);
       },
       ErrorType::NOT_FOUND},
      {"consumer method on an unknown handler id",
       [](auto& b, uint32_t id) {
         control::finishRequest(b, id, Method::CONSUMER_PAUSE, "c1", fbs::request::Body::NONE, 0);
       },
       ErrorType::NOT_FOUND},
      {"close an unknown router",
       [](auto& b, uint32_t id) {
         auto body = fbs::worker::CreateCloseRouterRequestDirect(b, "ghost");
         control::finishRequest(b, id, Method::WORKER_CLOSE_ROUTER, "",
                                fbs::request::Body::Worker_CloseRouterRequest, body.Union());
       },
       ErrorType::NOT_FOUND},
      {"router with a codec of the wrong kind",
       [](auto& b, uint32_t id) {
         std::vector<flatbuffers::Offset<fbs::common::RtpCodecCapability>> codecs = {
             fbs::common::CreateRtpCodecCapabilityDirect(b, fbs::common::MediaKind::VIDEO,
                                                         "audio/opus", 100, 48000, 2)};
         auto body = fbs::worker::CreateCreateRouterRequestDirect(b, "r-bad", &codecs);
         control::finishRequest(b, id, Method::WORKER_CREATE_ROUTER, "",
                                fbs::request::Body::Worker_CreateRouterRequest, body.Union());
       },
       ErrorType::TYPE_ERROR},
  };
  RawWorker w;
  uint32_t id = 100;
  for (const auto& c : cases) {
    flatbuffers::FlatBufferBuilder b;
    c.build(b, ++id);
    w.writeFrame(b);
    auto r = w.nextResponse();
    ASSERT_TRUE(r) << c.name;
    auto* response = RawWorker::asResponse(*r);
    EXPECT_EQ(response->id(), id) << c.name;
    ASSERT_NE(response->error(), nullptr) << c.name;
    EXPECT_EQ(response->error()->type(), c.expected)
        << c.name << ": " << response->error()->reason()->str();
    EXPECT_FALSE(response->error()->reason()->str().empty());
  }
  auto frame = dumpNow(w, 999);
  ASSERT_FALSE(frame.empty());
  EXPECT_EQ(dumpOf(frame)->channel()->error_responses(), std::size(cases));
}

TEST(WorkerChannelRobustness, RouterMethodsCheckTheirBody) {
  RawWorker w;
  flatbuffers::FlatBufferBuilder b;
  auto body = fbs::worker::CreateCreateRouterRequestDirect(b, "room");
  control::finishRequest(b, 1, Method::WORKER_CREATE_ROUTER, "",
                         fbs::request::Body::Worker_CreateRouterRequest, body.Union());
  w.writeFrame(b);
  auto created = w.nextResponse();
  ASSERT_TRUE(created);
  EXPECT_EQ(RawWorker::asResponse(*created)->error(), nullptr);
  // A WebRTC transport needs its CreateWebRtcTransportRequest body.
  w.sendRequest(2, Method::ROUTER_CREATE_WEBRTC_TRANSPORT, "room");
  auto r = w.nextResponse();
  ASSERT_TRUE(r);
  ASSERT_NE(RawWorker::asResponse(*r)->error(), nullptr);
  EXPECT_EQ(RawWorker::asResponse(*r)->error()->type(), ErrorType::TYPE_ERROR);
  // So does a plain one.
  w.sendRequest(3, Method::ROUTER_CREATE_PLAIN_TRANSPORT, "room");
  auto p = w.nextResponse();
  ASSERT_TRUE(p);
  ASSERT_NE(RawWorker::asResponse(*p)->error(), nullptr);
  EXPECT_EQ(RawWorker::asResponse(*p)->error()->type(), ErrorType::TYPE_ERROR);
}

TEST(WorkerChannelRobustness, ExitsCleanlyWhenTheChannelCloses) {
  RawWorker w;
  ASSERT_TRUE(w.next(fbs::message::Body::Notification));
  w.closeChannel();
  auto status = w.waitExit(2000);
  ASSERT_TRUE(status) << "worker still running after its channel closed";
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(WorkerChannelRobustness, ExitsCleanlyOnSigterm) {
  RawWorker w;
  ASSERT_TRUE(w.next(fbs::message::Body::Notification));
  kill(w.pid(), SIGTERM);
  auto status = w.waitExit(3000);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(WorkerChannelRobustness, CloseRequestIsAnsweredThenTheWorkerExits) {
  RawWorker w;
  w.sendRequest(3, Method::WORKER_CLOSE);
  auto r = w.nextResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(RawWorker::asResponse(*r)->id(), 3u);
  EXPECT_EQ(RawWorker::asResponse(*r)->error(), nullptr);
  auto status = w.waitExit(3000);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

}  // namespace
}  // namespace switchyard::test
