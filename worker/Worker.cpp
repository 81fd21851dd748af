#include "worker/Worker.hpp"

#include <unistd.h>

#include <csignal>

#include "transport/SrtpSession.hpp"

namespace switchyard::worker {

namespace {

using fbs::request::Method;
using fbs::response::ErrorType;

// How long a closing worker waits for the orchestrator to read its last messages.
constexpr uint64_t kShutdownGraceMs = 2000;

constexpr std::string_view kVersion = "0.1.0";

}  // namespace

Worker::Worker(uv_loop_t* loop, Settings settings)
    : loop_(loop),
      settings_(std::move(settings)),
      logging_(settings_.workerId, settings_.logToStderr),
      channel_(loop, settings_.channelReadFd, settings_.channelWriteFd, settings_.workerId) {
  logging_.apply(settings_.logLevel, settings_.logTags);
}

Worker::~Worker() {
  logging_.detachChannel();
}

int Worker::run() {
  startMs_ = uv_now(loop_);
  pid_ = static_cast<uint32_t>(getpid());
  // A write to a closed channel must fail with EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  uv_signal_init(loop_, &sigterm_);
  uv_signal_init(loop_, &sigint_);
  sigterm_.data = sigint_.data = this;
  auto onSignal = [](uv_signal_t* h, int signum) {
    static_cast<Worker*>(h->data)->close(signum == SIGTERM ? "SIGTERM" : "SIGINT");
  };
  uv_signal_start(&sigterm_, onSignal, SIGTERM);
  uv_signal_start(&sigint_, onSignal, SIGINT);
  uv_timer_init(loop_, &shutdownTimer_);
  shutdownTimer_.data = this;

  auto error = channel_.open([this](control::ChannelRequest& r) { handleRequest(r); },
                             [this](std::string_view reason) { close(reason); });
  if (error) {
    spdlog::error("{}", *error);
    closing_ = true;
    channel_.forceClose();
    for (auto* h :
         {reinterpret_cast<uv_handle_t*>(&sigterm_), reinterpret_cast<uv_handle_t*>(&sigint_),
          reinterpret_cast<uv_handle_t*>(&shutdownTimer_)}) {
      uv_close(h, nullptr);
    }
    uv_run(loop_, UV_RUN_DEFAULT);
    return kExitRuntimeError;
  }
  logging_.attachChannel(channel_);

  // One DTLS certificate per worker (RFC 8827 section 6.5 allows reuse across sessions): its
  // fingerprint goes into every answer this worker's transports make.
  auto certificate = transport::DtlsCertificate::generate();
  if (!certificate) {
    spdlog::error("cannot create the DTLS certificate: {}", certificate.error);
    close("no DTLS certificate");
    uv_run(loop_, UV_RUN_DEFAULT);
    return kExitRuntimeError;
  }
  // libsrtp's crypto kernel, with OpenSSL's ciphers installed in it, is set up now (its
  // known-answer tests run) rather than at the first session, so a failure stops the worker
  // at start instead of failing every session.
  if (const char* failure = transport::SrtpSession::initializeLibrary()) {
    spdlog::error("SRTP is unavailable: {}", failure);
    close("no SRTP");
    uv_run(loop_, UV_RUN_DEFAULT);
    return kExitRuntimeError;
  }
  spdlog::debug("SRTP crypto: {}",
                transport::srtpCryptoBackendName(transport::SrtpSession::cryptoBackend()));
  transportContext_.loop = loop_;
  transportContext_.channel = &channel_;
  transportContext_.certificate = certificate.certificate;
  transportContext_.minPort = settings_.rtcMinPort;
  transportContext_.maxPort = settings_.rtcMaxPort;
  if (settings_.udpReceiveBatching) {
    receiveArena_ = std::make_unique<transport::UdpReceiveArena>();
    transportContext_.receiveArena = receiveArena_.get();
  }
  if (settings_.udpSendBatching) {
    sendBatcher_ = std::make_unique<transport::UdpSendBatcher>(loop_, settings_.udpGso,
                                                               settings_.udpSendBatchSlots);
    transportContext_.sendBatcher = sendBatcher_.get();
  }
  udpMuxes_ = std::make_unique<transport::UdpMuxSet>(
      loop_, settings_.rtcMinPort, settings_.rtcMaxPort, transportContext_.sendBatcher,
      transportContext_.receiveArena, settings_.workerId);
  transportContext_.udpMuxes = udpMuxes_.get();
  // Bind each listen IP's shared port now, so that it is the predictable one (the range's first
  // port + worker id) rather than whatever a plain transport left free.
  for (const auto& ip : settings_.listenIps) {
    std::string bindError;
    if (auto* mux = udpMuxes_->get(ip, 0, &bindError)) {
      if (mux->localAddress().port() != udpMuxes_->preferredPort()) {
        spdlog::warn("worker {}: port {} is taken; shared UDP port {} instead", settings_.workerId,
                     udpMuxes_->preferredPort(), mux->localAddress().toString());
      } else {
        spdlog::info("worker {} shared UDP port {}", settings_.workerId,
                     mux->localAddress().toString());
      }
    } else {
      spdlog::warn("worker {}: no shared UDP port on {} yet: {}", settings_.workerId, ip,
                   bindError);
    }
  }

  channel_.notify("", fbs::notification::Event::WORKER_RUNNING,
                  fbs::notification::Body::Worker_RunningNotification,
                  [&](flatbuffers::FlatBufferBuilder& b) {
                    return fbs::worker::CreateRunningNotificationDirect(b, settings_.workerId, pid_,
                                                                        kVersion.data());
                  });
  spdlog::info("worker {} running (pid {}, rtc ports {}-{})", settings_.workerId, getpid(),
               settings_.rtcMinPort, settings_.rtcMaxPort);

  uv_run(loop_, UV_RUN_DEFAULT);
  return exitCode_;
}

void Worker::close(std::string_view reason) {
  if (closing_) return;
  closing_ = true;
  spdlog::info("worker {} closing: {}", settings_.workerId, reason);
  routers_.clear();
  // After the routers, whose transports use them; before the batcher they flush into.
  transportContext_.udpMuxes = nullptr;
  udpMuxes_.reset();
  // After the routers (their sockets flush into it on close); its handles close with the loop.
  transportContext_.sendBatcher = nullptr;
  transportContext_.receiveArena = nullptr;
  sendBatcher_.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  // From here on log lines go to stderr only: the channel is flushing and then closes.
  logging_.detachChannel();
  uv_timer_start(
      &shutdownTimer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Worker*>(t->data);
        spdlog::warn("the orchestrator did not read the last messages in time; closing anyway");
        self->channel_.forceClose();
      },
      kShutdownGraceMs, 0);
  channel_.close([this] { uv_close(reinterpret_cast<uv_handle_t*>(&shutdownTimer_), nullptr); });
}

void Worker::handleRequest(control::ChannelRequest& request) {
  if (closing_) {
    request.error(ErrorType::INVALID_STATE, "the worker is closing");
    return;
  }
  switch (request.method()) {
    case Method::WORKER_CLOSE:
      request.accept();
      close("requested by the orchestrator");
      return;
    case Method::WORKER_DUMP:
      dump(request);
      return;
    case Method::WORKER_GET_RESOURCE_USAGE:
      resourceUsage(request);
      return;
    case Method::WORKER_UPDATE_SETTINGS:
      updateSettings(request);
      return;
    case Method::WORKER_CREATE_ROUTER:
      createRouter(request);
      return;
    case Method::WORKER_CLOSE_ROUTER:
      closeRouter(request);
      return;
    default:
      break;
  }
  // An id this enum does not name comes from a newer orchestrator or a corrupt message.
  if (request.methodName().empty() || request.method() == Method::NONE) {
    request.error(ErrorType::UNKNOWN_METHOD,
                  "unknown method " + std::to_string(static_cast<unsigned>(request.method())));
    return;
  }
  auto handlerId = request.handlerId();
  if (auto it = routers_.find(handlerId); it != routers_.end()) {
    it->second->handleRequest(request);
    return;
  }
  // Transports, producers and consumers: routers are few, so asking each is cheap enough for
  // the control plane.
  for (auto& [id, router] : routers_) {
    if (router->ownsHandler(handlerId)) {
      router->handleRequest(request);
      return;
    }
  }
  request.error(ErrorType::NOT_FOUND, std::string(request.methodName()) + ": no object with id '" +
                                          std::string(handlerId) + "'");
}

void Worker::dump(control::ChannelRequest& request) {
  request.accept(fbs::response::Body::Worker_DumpResponse, [&](flatbuffers::FlatBufferBuilder& b) {
    std::vector<flatbuffers::Offset<flatbuffers::String>> ids;
    for (const auto& [id, router] : routers_)
      ids.push_back(b.CreateString(id));
    const auto& c = channel_.counters();
    auto stats = fbs::worker::CreateChannelStats(
        b, c.messagesIn, channel_.messagesOut(), c.bytesIn, channel_.bytesOut(), c.droppedInvalid,
        c.droppedOversize, c.errorResponses, c.logsDropped, channel_.writeQueueBytes());
    std::vector<flatbuffers::Offset<flatbuffers::String>> tags;
    for (const auto& t : logging_.tags())
      tags.push_back(b.CreateString(t));
    std::vector<flatbuffers::Offset<fbs::worker::SharedPortStats>> ports;
    if (udpMuxes_) {
      for (const auto& mux : udpMuxes_->muxes()) {
        const auto& m = mux->counters();
        const auto& s = mux->socket().counters();
        ports.push_back(fbs::worker::CreateSharedPortStatsDirect(
            b, mux->localAddress().ip().c_str(), mux->localAddress().port(),
            static_cast<uint32_t>(mux->tupleCount()),
            static_cast<uint32_t>(mux->usernameFragmentCount()), s.datagramsReceived,
            s.bytesReceived, s.datagramsSent, s.bytesSent, m.routedByTuple, m.routedByUfrag,
            m.droppedUnknownTuple, m.droppedUnknownUfrag, m.droppedMalformedStun,
            s.sendFailures + s.queuedSendFailures));
      }
    }
    return fbs::worker::CreateDumpResponseDirect(b, settings_.workerId, pid_, &ids, stats,
                                                 logging_.level().c_str(), &tags, &ports);
  });
}

void Worker::resourceUsage(control::ChannelRequest& request) {
  uv_rusage_t ru{};
  if (int err = uv_getrusage(&ru); err != 0) {
    request.error(ErrorType::ERROR, std::string("uv_getrusage failed: ") + uv_strerror(err));
    return;
  }
  size_t rss = 0;
  uv_resident_set_memory(&rss);
  auto us = [](const uv_timeval_t& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000000 + static_cast<uint64_t>(t.tv_usec);
  };
  request.accept(fbs::response::Body::Worker_ResourceUsageResponse,
                 [&](flatbuffers::FlatBufferBuilder& b) {
                   return fbs::worker::CreateResourceUsageResponse(
                       b, us(ru.ru_utime), us(ru.ru_stime), ru.ru_maxrss, ru.ru_minflt,
                       ru.ru_majflt, ru.ru_nvcsw, ru.ru_nivcsw, rss, uv_now(loop_) - startMs_);
                 });
}

void Worker::updateSettings(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::worker::UpdateSettingsRequest>();
  if (!body) {
    request.error(ErrorType::TYPE_ERROR, "WORKER_UPDATE_SETTINGS needs an UpdateSettingsRequest");
    return;
  }
  std::string level = logging_.level();
  std::vector<std::string> tags = logging_.tags();
  if (body->log_level()) {
    level = body->log_level()->str();
    if (!isValidLogLevel(level)) {
      request.error(ErrorType::TYPE_ERROR, "invalid log level '" + level + "'");
      return;
    }
  }
  if (body->log_tags()) {
    tags.clear();
    for (const auto* t : *body->log_tags()) {
      if (!isValidLogTag(t->string_view())) {
        request.error(ErrorType::TYPE_ERROR, "unknown log tag '" + t->str() + "'");
        return;
      }
      tags.push_back(t->str());
    }
  }
  logging_.apply(level, tags);
  spdlog::info("log level {} with {} debug tags", level, tags.size());
  request.accept();
}

void Worker::createRouter(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::worker::CreateRouterRequest>();
  if (!body) {
    request.error(ErrorType::TYPE_ERROR, "WORKER_CREATE_ROUTER needs a CreateRouterRequest");
    return;
  }
  std::string id = body->router_id()->str();
  if (id.empty()) {
    request.error(ErrorType::TYPE_ERROR, "router_id is empty");
    return;
  }
  if (routers_.contains(id)) {
    request.error(ErrorType::INVALID_STATE, "a router with id '" + id + "' exists");
    return;
  }
  auto codecs = router::parseMediaCodecs(body->media_codecs());
  if (codecs.error) {
    request.error(ErrorType::TYPE_ERROR, *codecs.error);
    return;
  }
  routers_.emplace(
      id, std::make_unique<router::Router>(id, std::move(codecs.codecs), transportContext_));
  request.accept();
}

void Worker::closeRouter(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::worker::CloseRouterRequest>();
  if (!body) {
    request.error(ErrorType::TYPE_ERROR, "WORKER_CLOSE_ROUTER needs a CloseRouterRequest");
    return;
  }
  auto it = routers_.find(body->router_id()->string_view());
  if (it == routers_.end()) {
    request.error(ErrorType::NOT_FOUND, "no router with id '" + body->router_id()->str() + "'");
    return;
  }
  routers_.erase(it);
  request.accept();
}

}  // namespace switchyard::worker
