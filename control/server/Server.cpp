#include "control/server/Server.hpp"

#include <sched.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "control/orchestrator/ResponseReaders.hpp"
#include "control/server/WebAssets.hpp"

namespace switchyard::control {

namespace {

// A shared UDP port as /api/workers shows it: drops on it belong to no session.
nlohmann::json sharedPortJson(const SharedPortStats& p) {
  return {{"ip", p.ip},
          {"port", p.port},
          {"tuples", p.tuples},
          {"iceUfrags", p.iceUfrags},
          {"datagramsReceived", p.datagramsReceived},
          {"bytesReceived", p.bytesReceived},
          {"datagramsSent", p.datagramsSent},
          {"bytesSent", p.bytesSent},
          {"routedByTuple", p.routedByTuple},
          {"routedByUfrag", p.routedByUfrag},
          {"dropped",
           {{"unknownTuple", p.droppedUnknownTuple},
            {"unknownUfrag", p.droppedUnknownUfrag},
            {"malformedStun", p.droppedMalformedStun}}},
          {"sendFailures", p.sendFailures}};
}

// How often the server asks each worker for its resource usage and dump, for /metrics.
constexpr uint64_t kWorkerPollMs = 1000;

spdlog::level::level_enum toSpdlog(int fbsLevel) {
  switch (static_cast<fbs::log::LogLevel>(fbsLevel)) {
    case fbs::log::LogLevel::TRACE:
      return spdlog::level::trace;
    case fbs::log::LogLevel::DEBUG:
      return spdlog::level::debug;
    case fbs::log::LogLevel::INFO:
      return spdlog::level::info;
    case fbs::log::LogLevel::WARN:
      return spdlog::level::warn;
    case fbs::log::LogLevel::ERROR:
      return spdlog::level::err;
    default:
      return spdlog::level::critical;
  }
}

// The first non-loopback address of this host in the family asked for, or "".
std::string firstHostAddress(bool ipv6) {
  uv_interface_address_t* list = nullptr;
  int count = 0;
  if (uv_interface_addresses(&list, &count) != 0) return "";
  std::string out;
  for (int i = 0; i < count && out.empty(); ++i) {
    const auto& a = list[i];
    if (a.is_internal) continue;
    char text[INET6_ADDRSTRLEN] = "";
    if (!ipv6 && a.address.address4.sin_family == AF_INET) {
      uv_ip4_name(&a.address.address4, text, sizeof text);
    } else if (ipv6 && a.address.address6.sin6_family == AF_INET6 &&
               !IN6_IS_ADDR_LINKLOCAL(&a.address.address6.sin6_addr)) {
      uv_ip6_name(&a.address.address6, text, sizeof text);
    }
    out = text;
  }
  uv_free_interface_addresses(list, count);
  return out;
}

// Every CPU workers are pinned to must be one this process may run on: a clear error here
// beats workers that exit at once and respawn in a loop.
std::optional<std::string> checkWorkerCpus(const std::vector<int>& cpus) {
  if (cpus.empty()) return std::nullopt;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return std::nullopt;
  for (int cpu : cpus) {
    if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
      std::string list;
      for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (!CPU_ISSET(c, &allowed)) continue;
        if (!list.empty()) list += ',';
        list += std::to_string(c);
      }
      return "CPU " + std::to_string(cpu) + " is not one this process may run on (" + list + ")";
    }
  }
  return std::nullopt;
}

}  // namespace

Server::Server(uv_loop_t* loop, ServerConfig config)
    : loop_(loop), config_(std::move(config)), self_(std::make_shared<Server*>(this)) {}

Server::~Server() {
  if (pollTimer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(pollTimer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

uint64_t Server::errorsOf(const WorkerChannelCounters& c) {
  return c.errorResponses + c.timeouts + c.rejected + c.failedOnClose;
}

std::optional<std::string> Server::start() {
  startedMs_ = uv_now(loop_);
  if (auto e = checkWorkerCpus(config_.workerCpus)) return "workers.cpus: " + *e;
  WorkerPoolOptions po;
  po.count = config_.workers;
  po.cpus = config_.workerCpus;
  po.worker.binary = config_.workerBinary;
  po.worker.logLevel = config_.workerLogLevel;
  po.worker.logTags = config_.workerLogTags;
  po.worker.rtcMinPort = config_.rtcMinPort;
  po.worker.rtcMaxPort = config_.rtcMaxPort;
  po.worker.listenIps = config_.listenIps;
  pool_ = std::make_unique<WorkerPool>(loop_, po);
  slotCounters_.resize(pool_->slots().size());
  pool_->setLogHandler([](const LogLine& l) {
    spdlog::log(toSpdlog(l.level), "[worker {}] [{}] {}", l.workerId, l.tag, l.text);
  });
  pool_->setDiedHandler(
      [this](const WorkerPool::Slot& slot, const WorkerExit&, const Worker& dead) {
        // Metrics are per slot over restarts: keep what the dead worker's channel counted.
        auto& sc = slotCounters_[slot.id];
        sc.requestsBefore += dead.channel().counters().requestsSent;
        sc.errorsBefore += errorsOf(dead.channel().counters());
        sc.usage.reset();
        if (whipWhep_) whipWhep_->onWorkerDied(dead);
      });
  if (auto r = pool_->start(); !r) return "cannot start workers: " + r.error().describe();

  WhipWhepOptions wo;
  for (const auto& ip : config_.listenIps) {
    std::string announced = config_.announcedIp;
    // A wildcard address is not something a client can send to: announce a real one.
    if (announced.empty() && (ip == "0.0.0.0" || ip == "::")) {
      announced = firstHostAddress(ip == "::");
      if (announced.empty()) return "listen IP " + ip + " needs --announced-ip: no usable address";
      spdlog::info("media on {} announced as {} (set --announced-ip to change)", ip, announced);
    }
    wo.listenIps.push_back({ip, announced, config_.rtcSharedPort});
  }
  wo.openLoopbackAccess = config_.openLoopbackAccess;
  wo.apiKeys = config_.apiKeys;
  wo.iceServerLinks = iceServerLinks(config_.iceServers);
  wo.ingestIdleTimeoutS = config_.ingestIdleTimeoutS;
  whipWhep_ = std::make_unique<WhipWhepService>(loop_, *pool_, wo);

  HttpServerOptions ho;
  ho.host = config_.httpHost;
  ho.port = config_.httpPort;
  http_ = std::make_unique<HttpServer>(loop_, ho);
  routeHttp();
  if (auto e = http_->start())
    return "cannot serve HTTP on " + config_.httpHost + ":" + std::to_string(config_.httpPort) +
           ": " + *e;

  pollTimer_ = new uv_timer_t;
  uv_timer_init(loop_, pollTimer_);
  pollTimer_->data = this;
  uv_timer_start(
      pollTimer_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->pollWorkers(); }, 0,
      kWorkerPollMs);
  spdlog::info("switchyard listening on http://{}:{} with {} workers (media ports {}-{} on {})",
               config_.httpHost, http_->boundPort(), pool_->slots().size(), config_.rtcMinPort,
               config_.rtcMaxPort, fmt::join(config_.listenIps, ","));
  return std::nullopt;
}

void Server::pollWorkers() {
  std::weak_ptr<Server*> alive = self_;
  for (const auto& slot : pool_->slots()) {
    if (!slot.worker || !slot.worker->alive()) continue;
    uint32_t id = slot.id;
    slot.worker->getResourceUsage([this, alive, id](Result<ResourceUsage> r) {
      if (alive.expired() || !r.ok()) return;
      slotCounters_[id].usage = r.value();
    });
    slot.worker->dump([this, alive, id](Result<WorkerDump> r) {
      if (alive.expired() || !r.ok()) return;
      slotCounters_[id].routers = r.value().routerIds.size();
    });
  }
}

ServerMetrics Server::metrics() const {
  ServerMetrics m;
  m.uptimeSeconds = (uv_now(loop_) - startedMs_) / 1000;
  m.httpRequests = httpRequests_;
  for (const auto& slot : pool_->slots()) {
    const auto& sc = slotCounters_[slot.id];
    WorkerMetrics w;
    w.id = slot.id;
    w.restarts = slot.restarts;
    w.requests = sc.requestsBefore;
    w.requestErrors = sc.errorsBefore;
    if (slot.worker) {
      w.pid = slot.worker->pid();
      w.up = slot.worker->alive();
      w.requests += slot.worker->channel().counters().requestsSent;
      w.requestErrors += errorsOf(slot.worker->channel().counters());
    }
    if (sc.usage && w.up) {
      w.haveUsage = true;
      w.usage = *sc.usage;
    }
    w.routers = w.up ? sc.routers : 0;
    m.workers.push_back(w);
  }
  return m;
}

void Server::routeHttp() {
  whipWhep_->registerRoutes(*http_);
  auto count = [this](auto handler) {
    return [this, handler](const HttpRequest& req, std::shared_ptr<HttpResponder> res) {
      ++httpRequests_;
      handler(req, std::move(res));
    };
  };
  http_->route(
      "GET", "/healthz", count([this](const HttpRequest&, std::shared_ptr<HttpResponder> res) {
        nlohmann::json workers = nlohmann::json::array();
        bool allUp = true;
        for (const auto& slot : pool_->slots()) {
          bool up = slot.worker && slot.worker->alive();
          allUp = allUp && up;
          workers.push_back({{"id", slot.id},
                             {"pid", up ? slot.worker->pid() : 0},
                             {"up", up},
                             {"restarts", slot.restarts}});
        }
        nlohmann::json body = {{"status", allUp ? "ok" : "degraded"}, {"workers", workers}};
        res->respond(
            {allUp ? 200 : 503, {{"content-type", "application/json"}}, body.dump() + "\n"});
      }));
  // Every worker's routers with their transports, producers and consumers, read from the
  // workers themselves: what is really allocated, not what the server believes.
  http_->route(
      "GET", "/api/workers",
      count([this](const HttpRequest& req, std::shared_ptr<HttpResponder> res) {
        if (!whipWhep_->adminAllowed(req)) {
          res->respond({401,
                        {{"content-type", "text/plain"}, {"www-authenticate", "Bearer"}},
                        "admin access needs a token for stream '*'\n"});
          return;
        }
        struct Gather {
          nlohmann::json workers = nlohmann::json::array();
          size_t pending = 0;
          std::shared_ptr<HttpResponder> res;
          void done() {
            if (--pending == 0) {
              res->respond({200,
                            {{"content-type", "application/json"}},
                            nlohmann::json{{"workers", workers}}.dump(2) + "\n"});
            }
          }
        };
        auto g = std::make_shared<Gather>();
        g->res = std::move(res);
        g->pending = 1;
        for (const auto& slot : pool_->slots()) {
          if (!slot.worker || !slot.worker->alive()) continue;
          g->workers.push_back(
              {{"id", slot.id}, {"pid", slot.worker->pid()}, {"routers", nlohmann::json::array()}});
          const size_t wi = g->workers.size() - 1;
          auto worker = slot.worker;
          ++g->pending;
          worker->dump([g, wi, worker](Result<WorkerDump> d) {
            if (d) {
              auto& ports = g->workers[wi]["sharedPorts"] = nlohmann::json::array();
              for (const auto& p : d.value().sharedPorts)
                ports.push_back(sharedPortJson(p));
              for (const auto& routerId : d.value().routerIds) {
                ++g->pending;
                worker->channel().request(
                    fbs::request::Method::ROUTER_DUMP, routerId, {},
                    [g, wi, routerId](const Error* e, const fbs::response::Response* r) {
                      nlohmann::json j = {{"id", routerId}};
                      const auto* body = r ? r->body_as_Router_DumpResponse() : nullptr;
                      if (e || !body) {
                        j["error"] = e ? e->describe() : "no dump";
                      } else {
                        auto dump = readRouterDump(*body);
                        j["transports"] = dump.transportIds;
                        j["producers"] = dump.producerIds;
                        j["consumers"] = dump.consumerIds;
                      }
                      g->workers[wi]["routers"].push_back(std::move(j));
                      g->done();
                    });
              }
            } else {
              g->workers[wi]["error"] = d.error().describe();
            }
            g->done();
          });
        }
        g->done();
      }));
  http_->route("GET", "/metrics",
               count([this](const HttpRequest&, std::shared_ptr<HttpResponder> res) {
                 res->respond({200,
                               {{"content-type", "text/plain; version=0.0.4; charset=utf-8"}},
                               renderPrometheus(metrics())});
               }));
  http_->route(
      "GET", "/", count([](const HttpRequest& req, std::shared_ptr<HttpResponder> res) {
        if (req.path != "/" && req.path != "/index.html") {
          res->respond({404, {{"content-type", "text/plain"}}, "not found\n"});
          return;
        }
        res->respond(
            {200, {{"content-type", "text/html; charset=utf-8"}}, std::string(kIndexHtml)});
      }));
}

uint16_t Server::httpPort() const {
  return http_ ? http_->boundPort() : 0;
}

void Server::stop(std::function<void()> done) {
  if (stopping_) return;
  stopping_ = true;
  spdlog::info("switchyard stopping");
  if (pollTimer_) uv_timer_stop(pollTimer_);
  if (http_) http_->stop();
  if (!pool_) {  // start() failed before any worker was spawned
    if (done) done();
    return;
  }
  pool_->close([done = std::move(done)] {
    spdlog::info("all workers exited");
    if (done) done();
  });
}

}  // namespace switchyard::control
