#include "bench/SfuFanout.hpp"

#include <sched.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/orchestrator/PlainTransport.hpp"
#include "control/orchestrator/Router.hpp"
#include "control/orchestrator/Worker.hpp"

namespace switchyard::bench {

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitSetup = 1;
// How long one setup request may take before the run is abandoned.
constexpr uint64_t kRequestTimeoutMs = 10'000;
constexpr uint64_t kStdinPollMs = 100;

struct Options {
  size_t viewers = 1;
  std::string listenIp = "127.0.0.1";
  std::string receiverIp = "127.0.0.1";
  uint16_t receiverPort = 0;  // viewers send to receiverPort .. receiverPort + viewers - 1
  std::optional<control::SrtpCryptoSuite> srtp;
  std::string sendKeyBase64;     // the load tool's key, for the publisher transport to decrypt
  std::optional<uint32_t> ssrc;  // absent: the producer takes the first stream of its type
  uint8_t payloadType = 96;
  std::string mimeType = "video/VP8";
  uint32_t clockRate = 90000;
  int cpu = -1;
  double seconds = 0;  // 0: until stdin closes
  bool batching = true;
  bool gso = true;
  size_t batchSlots = 0;    // 0: the worker's default
  bool sharedPort = false;  // viewers on the worker's shared port instead of a port each
  uint16_t minPort = 40000;
  uint16_t maxPort = 49999;
};

void usage(std::FILE* out) {
  std::fputs(
      "usage: switchyard-bench sfu --viewers N --recv-port P [--recv-ip IP] [--listen-ip IP]\n"
      "         [--srtp aes128-cm-sha1-80|aead-aes-128-gcm --send-key BASE64] [--ssrc N]\n"
      "         [--pt N] [--codec video/VP8|audio/opus] [--cpu K] [--seconds S]\n"
      "         [--batching true|false] [--gso true|false] [--batch SLOTS] [--ports MIN-MAX]\n"
      "         [--shared-port true|false]\n"
      "Starts a worker with one publisher plain transport (comedia) and N viewer plain\n"
      "transports sending to IP:P .. IP:P+N-1. Prints a JSON line when ready:\n"
      "  {\"ready\":true,\"port\":PUBLISHER_PORT,\"workerPid\":PID,\"recvKeys\":[BASE64,...]}\n"
      "and, at the end (--seconds, or stdin closed), one with the worker's counters.\n",
      out);
}

bool parseBool(std::string_view v, bool& out) {
  if (v == "true" || v == "1") return out = true, true;
  if (v == "false" || v == "0") return out = false, true;
  return false;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (a == "--viewers") {
      o.viewers = std::strtoul(v, nullptr, 10);
    } else if (a == "--recv-port") {
      o.receiverPort = static_cast<uint16_t>(std::atoi(v));
    } else if (a == "--recv-ip") {
      o.receiverIp = v;
    } else if (a == "--listen-ip") {
      o.listenIp = v;
    } else if (a == "--srtp") {
      std::string_view s = v;
      if (s == "aes128-cm-sha1-80") {
        o.srtp = control::SrtpCryptoSuite::kAesCm128HmacSha1_80;
      } else if (s == "aead-aes-128-gcm") {
        o.srtp = control::SrtpCryptoSuite::kAeadAes128Gcm;
      } else {
        return false;
      }
    } else if (a == "--send-key") {
      o.sendKeyBase64 = v;
    } else if (a == "--ssrc") {
      o.ssrc = static_cast<uint32_t>(std::strtoul(v, nullptr, 0));
    } else if (a == "--pt") {
      o.payloadType = static_cast<uint8_t>(std::atoi(v));
    } else if (a == "--codec") {
      o.mimeType = v;
      o.clockRate = o.mimeType == "audio/opus" ? 48000 : 90000;
    } else if (a == "--cpu") {
      o.cpu = std::atoi(v);
    } else if (a == "--seconds") {
      o.seconds = std::atof(v);
    } else if (a == "--batching") {
      if (!parseBool(v, o.batching)) return false;
    } else if (a == "--shared-port") {
      if (!parseBool(v, o.sharedPort)) return false;
    } else if (a == "--batch") {
      o.batchSlots = std::strtoul(v, nullptr, 10);
    } else if (a == "--gso") {
      if (!parseBool(v, o.gso)) return false;
    } else if (a == "--ports") {
      std::string_view r = v;
      const auto dash = r.find('-');
      if (dash == std::string_view::npos) return false;
      o.minPort = static_cast<uint16_t>(std::atoi(std::string(r.substr(0, dash)).c_str()));
      o.maxPort = static_cast<uint16_t>(std::atoi(std::string(r.substr(dash + 1)).c_str()));
    } else {
      return false;
    }
  }
  return o.viewers > 0 && o.receiverPort != 0 && (!o.srtp || !o.sendKeyBase64.empty());
}

// Runs the loop until the request answers (or the timeout passes); nullopt on timeout.
template <typename T, typename Start>
std::optional<control::Result<T>> await(uv_loop_t* loop, Start start) {
  std::optional<control::Result<T>> out;
  start([&out](control::Result<T> r) { out.emplace(std::move(r)); });
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
  while (!out && std::chrono::steady_clock::now() < deadline)
    uv_run(loop, UV_RUN_ONCE);
  return out;
}

template <typename T>
bool ok(const std::optional<control::Result<T>>& r, const char* what) {
  if (r && r->ok()) return true;
  std::fprintf(stderr, "sfu: %s failed: %s\n", what, r ? r->error().describe().c_str() : "timeout");
  return false;
}

control::RtpParameters parameters(const Options& o, std::optional<uint32_t> ssrc) {
  control::RtpParameters p;
  p.codecs.push_back({o.mimeType,
                      o.payloadType,
                      o.clockRate,
                      static_cast<uint8_t>(o.mimeType == "audio/opus" ? 2 : 1),
                      {},
                      {}});
  p.encodings.push_back({ssrc, "", std::nullopt});
  return p;
}

bool stdinClosed() {
  char buffer[256];
  const ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
  return n == 0;
}

}  // namespace

int runSfuFanout(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    usage(stderr);
    return kExitUsage;
  }
  // The worker inherits this process's CPU set at spawn; this process then goes back to all.
  cpu_set_t all;
  sched_getaffinity(0, sizeof all, &all);
  if (o.cpu >= 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(o.cpu, &one);
    sched_setaffinity(0, sizeof one, &one);
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  control::WorkerOptions wo;
  wo.rtcMinPort = o.minPort;
  wo.rtcMaxPort = o.maxPort;
  wo.logLevel = "warn";
  wo.extraArgs = {std::string("--udp-send-batching=") + (o.batching ? "true" : "false"),
                  std::string("--udp-gso=") + (o.gso ? "true" : "false")};
  if (o.batchSlots > 0) wo.extraArgs.push_back("--udp-send-batch=" + std::to_string(o.batchSlots));
  auto spawned = control::Worker::spawn(&loop, wo);
  sched_setaffinity(0, sizeof all, &all);
  if (!spawned.ok()) {
    std::fprintf(stderr, "sfu: cannot start the worker: %s\n", spawned.error().describe().c_str());
    return kExitSetup;
  }
  std::shared_ptr<control::Worker> worker = spawned.value();

  control::RouterOptions ro;
  ro.mediaCodecs.push_back(
      {o.mimeType == "audio/opus" ? control::MediaKind::kAudio : control::MediaKind::kVideo,
       o.mimeType,
       o.payloadType,
       o.clockRate,
       static_cast<uint8_t>(o.mimeType == "audio/opus" ? 2 : 1),
       {}});
  auto router = await<std::shared_ptr<control::Router>>(
      &loop, [&](auto cb) { worker->createRouter(ro, cb); });
  if (!ok(router, "create router")) return kExitSetup;

  auto plainOptions = [&](bool comedia) {
    control::PlainTransportOptions p;
    // The publisher is comedia (it learns the load tool's address), so it has a port of its own.
    p.listen = {o.listenIp, "", !comedia && o.sharedPort};
    p.comedia = comedia;
    p.srtp = o.srtp;
    return p;
  };
  auto publisher = await<std::shared_ptr<control::PlainTransport>>(
      &loop, [&](auto cb) { router->value()->createPlainTransport(plainOptions(true), cb); });
  if (!ok(publisher, "create the publisher transport")) return kExitSetup;
  auto pub = publisher->value();
  if (o.srtp) {
    control::PlainConnectOptions c;
    c.srtp = control::SrtpKeyInfo{*o.srtp, o.sendKeyBase64};
    auto connected = await<void>(&loop, [&](auto cb) { pub->connect(c, cb); });
    if (!ok(connected, "connect the publisher transport")) return kExitSetup;
  }
  control::ProduceOptions po;
  po.kind = o.mimeType == "audio/opus" ? control::MediaKind::kAudio : control::MediaKind::kVideo;
  po.rtpParameters = parameters(o, o.ssrc);
  if (!o.ssrc) po.rtpParameters.encodings.clear();
  auto produced = await<std::string>(&loop, [&](auto cb) { pub->produce(po, cb); });
  if (!ok(produced, "produce")) return kExitSetup;

  std::vector<std::shared_ptr<control::PlainTransport>> viewers;
  std::string keys;
  for (size_t i = 0; i < o.viewers; ++i) {
    auto created = await<std::shared_ptr<control::PlainTransport>>(
        &loop, [&](auto cb) { router->value()->createPlainTransport(plainOptions(false), cb); });
    if (!ok(created, "create a viewer transport")) return kExitSetup;
    auto v = created->value();
    control::PlainConnectOptions c;
    c.ip = o.receiverIp;
    c.port = static_cast<uint16_t>(o.receiverPort + i);
    // The viewer's side of the key exchange: a plain peer would give its own key for what it
    // sends; these receivers send nothing, so any key of the suite serves.
    if (o.srtp) c.srtp = control::SrtpKeyInfo{*o.srtp, o.sendKeyBase64};
    auto connected = await<void>(&loop, [&](auto cb) { v->connect(c, cb); });
    if (!ok(connected, "connect a viewer transport")) return kExitSetup;
    control::ConsumeOptions co;
    co.producerId = produced->value();
    co.rtpParameters = parameters(o, static_cast<uint32_t>(0x50000000u + i));
    auto consumed = await<std::string>(&loop, [&](auto cb) { v->consume(co, cb); });
    if (!ok(consumed, "consume")) return kExitSetup;
    if (v->info().srtp) {
      keys += (keys.empty() ? "\"" : ",\"") + v->info().srtp->keyBase64 + "\"";
    }
    viewers.push_back(v);
  }
  std::printf("{\"ready\":true,\"port\":%u,\"workerPid\":%d,\"viewers\":%zu,\"recvKeys\":[%s]}\n",
              pub->info().tuple.localPort, worker->pid(), viewers.size(), keys.c_str());
  std::fflush(stdout);

  // Run: the worker forwards on its own; this process only waits.
  const auto start = std::chrono::steady_clock::now();
  uv_timer_t poll;
  uv_timer_init(&loop, &poll);
  bool stop = false;
  struct Stop {
    bool* stop;
    double seconds;
    std::chrono::steady_clock::time_point start;
  } stopState{&stop, o.seconds, start};
  poll.data = &stopState;
  uv_timer_start(
      &poll,
      [](uv_timer_t* t) {
        auto* s = static_cast<Stop*>(t->data);
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - s->start).count();
        if (s->seconds > 0 ? elapsed >= s->seconds : false) *s->stop = true;
      },
      kStdinPollMs, kStdinPollMs);
  if (o.seconds <= 0) {
    // Until stdin closes: read it on a thread-free poll of the descriptor.
    uv_poll_t in;
    uv_poll_init(&loop, &in, STDIN_FILENO);
    in.data = &stop;
    uv_poll_start(&in, UV_READABLE, [](uv_poll_t* h, int, int) {
      if (stdinClosed()) {
        *static_cast<bool*>(h->data) = true;
        uv_poll_stop(h);
      }
    });
    while (!stop)
      uv_run(&loop, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&in), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);  // the handle lives on this stack frame: finish closing it
  } else {
    while (!stop)
      uv_run(&loop, UV_RUN_ONCE);
  }
  uv_timer_stop(&poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll), nullptr);
  uv_run(&loop, UV_RUN_NOWAIT);

  uint64_t rtpSent = 0, sendFailures = 0, dropped = 0, rtpReceived = 0;
  for (auto& v : viewers) {
    auto s = await<control::TransportStats>(&loop, [&](auto cb) { v->getStats(cb); });
    if (s && s->ok()) {
      rtpSent += s->value().rtpSent;
      sendFailures += s->value().sendFailures;
    }
  }
  if (auto s = await<control::TransportStats>(&loop, [&](auto cb) { pub->getStats(cb); });
      s && s->ok()) {
    rtpReceived = s->value().rtpReceived;
    dropped = s->value().packetsDropped;
  }
  auto usage = await<control::ResourceUsage>(&loop, [&](auto cb) { worker->getResourceUsage(cb); });
  const uint64_t cpuUs =
      usage && usage->ok() ? usage->value().userCpuUs + usage->value().systemCpuUs : 0;
  const uint64_t rssKb = usage && usage->ok() ? usage->value().maxRssKb : 0;
  std::printf(
      "{\"done\":true,\"publisherRtpReceived\":%llu,\"publisherDropped\":%llu,"
      "\"viewersRtpSent\":%llu,\"viewersSendFailures\":%llu,\"workerCpuUs\":%llu,"
      "\"workerMaxRssKb\":%llu}\n",
      static_cast<unsigned long long>(rtpReceived), static_cast<unsigned long long>(dropped),
      static_cast<unsigned long long>(rtpSent), static_cast<unsigned long long>(sendFailures),
      static_cast<unsigned long long>(cpuUs), static_cast<unsigned long long>(rssKb));
  std::fflush(stdout);
  viewers.clear();
  pub.reset();
  await<void>(&loop, [&](auto cb) { worker->close(cb); });
  for (int i = 0; i < 100 && worker->alive(); ++i)
    uv_run(&loop, UV_RUN_NOWAIT), usleep(10'000);
  worker.reset();
  uv_run(&loop, UV_RUN_NOWAIT);
  return 0;
}

}  // namespace switchyard::bench
