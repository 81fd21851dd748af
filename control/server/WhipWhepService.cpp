#include "control/server/WhipWhepService.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "control/sdp/IceSdpFragment.hpp"
#include "control/sdp/SdpAnswerBuilder.hpp"
#include "control/sdp/WebRtcSessionDescription.hpp"
#include "control/server/AccessToken.hpp"
#include "control/server/MediaPolicy.hpp"

namespace switchyard::control {

namespace {

constexpr std::string_view kWhipPrefix = "/whip";
constexpr std::string_view kWhepPrefix = "/whep";
constexpr std::string_view kIngestPrefix = "/api/ingest";
constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kSdpType = "application/sdp";
constexpr std::string_view kSdpFragType = "application/trickle-ice-sdpfrag";
// Stream names become URL path segments and log fields: keep them to a safe alphabet.
constexpr size_t kMaxStreamNameLength = 64;
constexpr size_t kMaxSessionsPerStream = 1000;
// How long a session may stay without ICE consent (RFC 7675, itself 30 s of silence) before
// the server ends it: a roaming client gets this long to come back.
constexpr uint64_t kDisconnectedGraceMs = 15'000;

uint64_t random64() {
  uint64_t v = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
  return v;
}

uint32_t randomSsrc() {
  uint32_t v = 0;
  while (v == 0)
    RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
  return v;
}

std::string randomToken(size_t bytes) {
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes; ++i) {
    unsigned char b = 0;
    RAND_bytes(&b, 1);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// A fresh SRTP master key + salt for a sender that brought none, base64 (RFC 4648 section 4).
std::string randomSrtpKey(SrtpCryptoSuite suite) {
  std::vector<unsigned char> raw(srtpMasterLength(suite));
  RAND_bytes(raw.data(), static_cast<int>(raw.size()));
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), raw.data(),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool validStreamName(std::string_view s) {
  if (s.empty() || s.size() > kMaxStreamNameLength) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// "/whip/<stream>" or "/whip/<stream>/<session>" -> the segments after the prefix.
std::vector<std::string> segments(std::string_view path, std::string_view prefix) {
  std::vector<std::string> out;
  path.remove_prefix(prefix.size());
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

bool contentTypeIs(const HttpRequest& request, std::string_view type) {
  auto ct = request.header("content-type");
  if (!ct) return false;
  std::string_view v = *ct;
  const auto semi = v.find(';');
  v = v.substr(0, semi);
  while (!v.empty() && v.back() == ' ')
    v.remove_suffix(1);
  if (v.size() != type.size()) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(v[i])) != type[i]) return false;
  }
  return true;
}

bool isLoopback(const std::string& ip) {
  return ip.rfind("127.", 0) == 0 || ip == "::1" || ip.rfind("::ffff:127.", 0) == 0;
}

void addCors(HttpResponse& r) {
  r.headers.emplace_back("access-control-allow-origin", "*");
  r.headers.emplace_back("access-control-expose-headers",
                         "Location, ETag, Link, Accept-Patch, Accept-Post");
}

nlohmann::json statsJson(const TransportStats& st) {
  return {{"iceState", st.iceState},
          {"dtlsState", st.dtlsState},
          {"bytesReceived", st.bytesReceived},
          {"bytesSent", st.bytesSent},
          {"rtpReceived", st.rtpReceived},
          {"rtpSent", st.rtpSent},
          {"rtcpReceived", st.rtcpReceived},
          {"rtcpSent", st.rtcpSent},
          {"packetsDropped", st.packetsDropped},
          {"dropped",
           {{"unknownKind", st.droppedUnknownKind},
            {"stun", st.droppedStun},
            {"unknownTuple", st.droppedUnknownTuple},
            {"notConnected", st.droppedNotConnected},
            {"srtpAuth", st.droppedSrtpAuth},
            {"srtpReplay", st.droppedSrtpReplay},
            {"srtpOther", st.droppedSrtpOther},
            {"malformedRtp", st.droppedMalformedRtp},
            {"unknownSsrc", st.droppedUnknownSsrc}}},
          {"sendFailures", st.sendFailures}};
}

}  // namespace

struct WhipWhepService::Stream {
  std::string name;
  std::shared_ptr<Router> router;
  bool creatingRouter = false;
  std::vector<std::function<void(std::shared_ptr<Router>, std::optional<Error>)>> waiting;
  std::string publisherSession;  // empty: nobody publishes
  std::vector<sdp::NegotiatedSection> publisherSections;
  std::vector<std::pair<MediaKind, std::string>> producers;  // kind, producer id
  std::set<std::string> viewers;
};

struct WhipWhepService::Session {
  std::string id;
  Kind kind = Kind::kWhip;
  std::string stream;
  std::string etag;
  std::shared_ptr<WebRtcTransport> transport;  // WHIP, WHEP
  // An ingest: one plain transport per track, and the key each track's sender encrypts with.
  IngestRequest ingest;
  std::vector<std::shared_ptr<PlainTransport>> plainTransports;
  std::vector<SrtpKeyInfo> senderKeys;
  std::vector<std::string> senders;  // per track, "ip:port" once comedia has learned it
  std::vector<WorkerChannel::Subscription> tupleEvents;
  sdp::NegotiatedSession negotiated;
  std::vector<std::pair<MediaKind, std::string>> producers;
  std::vector<std::string> consumers;
  std::vector<sdp::AnswerSendStream> sendStreams;
  std::string remoteUfrag;
  std::string remotePwd;
  bool ready = false;  // answered with 201
  WorkerChannel::Subscription transportEvents;
  uint64_t disconnectedSinceMs = 0;  // 0: ICE has consent
  // An ingest's idle watch: its timeout (0: none), when its RTP count last grew (or it was
  // created), that count over all tracks, and whether a stats round is out.
  uint64_t idleTimeoutMs = 0;
  uint64_t lastRtpMs = 0;
  uint64_t rtpReceived = 0;
  bool activityCheckPending = false;

  std::vector<std::shared_ptr<Transport>> transports() const {
    std::vector<std::shared_ptr<Transport>> all(plainTransports.begin(), plainTransports.end());
    if (transport) all.insert(all.begin(), transport);
    return all;
  }
  const char* kindName() const {
    return kind == Kind::kWhip ? "whip" : kind == Kind::kWhep ? "whep" : "ingest";
  }
};

WhipWhepService::WhipWhepService(uv_loop_t* loop, WorkerPool& pool, WhipWhepOptions options)
    : loop_(loop),
      pool_(pool),
      options_(std::move(options)),
      self_(std::make_shared<WhipWhepService*>(this)) {
  sweepTimer_ = new uv_timer_t;
  uv_timer_init(loop_, sweepTimer_);
  sweepTimer_->data = this;
  uv_timer_start(
      sweepTimer_, [](uv_timer_t* h) { static_cast<WhipWhepService*>(h->data)->sweep(); },
      kSweepIntervalMs, kSweepIntervalMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(sweepTimer_));  // never keeps the loop alive alone
}

WhipWhepService::~WhipWhepService() {
  *self_ = nullptr;
  if (sweepTimer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(sweepTimer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

void WhipWhepService::registerRoutes(HttpServer& http) {
  for (const auto& entry :
       {std::pair{kWhipPrefix, Kind::kWhip}, std::pair{kWhepPrefix, Kind::kWhep}}) {
    const std::string prefix(entry.first);
    const Kind kind = entry.second;  // a plain variable: clang 14 cannot capture a binding
    http.route("POST", prefix, [this, kind](const HttpRequest& r, Responder res) {
      post(kind, r, std::move(res));
    });
    http.route("PATCH", prefix, [this, kind](const HttpRequest& r, Responder res) {
      patch(kind, r, std::move(res));
    });
    http.route("DELETE", prefix, [this, kind](const HttpRequest& r, Responder res) {
      remove(kind, r, std::move(res));
    });
    http.route("OPTIONS", prefix,
               [this](const HttpRequest& r, Responder res) { options(r, std::move(res)); });
  }
  const std::string ingest(kIngestPrefix);
  http.route("POST", ingest,
             [this](const HttpRequest& r, Responder res) { postIngest(r, std::move(res)); });
  http.route("DELETE", ingest,
             [this](const HttpRequest& r, Responder res) { removeIngest(r, std::move(res)); });
  http.route("OPTIONS", ingest,
             [this](const HttpRequest& r, Responder res) { options(r, std::move(res)); });
  http.route("GET", "/api/streams",
             [this](const HttpRequest& r, Responder res) { listStreams(r, std::move(res)); });
}

bool WhipWhepService::adminAllowed(const HttpRequest& request) const {
  if (!request.header("authorization")) {
    return options_.openLoopbackAccess && isLoopback(request.peerAddress);
  }
  return !authorize(request, std::string(AccessGrant::kAnyStream), true) &&
         !authorize(request, std::string(AccessGrant::kAnyStream), false);
}

void WhipWhepService::listStreams(const HttpRequest& request, Responder responder) {
  if (!adminAllowed(request))
    return respond(responder, error(401, "admin access needs a token for stream '*'"));
  struct Gather {
    nlohmann::json streams = nlohmann::json::array();
    size_t pending = 0;
    Responder responder;
    bool sent = false;
  };
  auto g = std::make_shared<Gather>();
  g->responder = responder;
  auto finish = [this, g] {
    if (g->pending != 0 || g->sent) return;
    g->sent = true;
    respond(g->responder, HttpResponse{200,
                                       {{"content-type", "application/json"}},
                                       nlohmann::json{{"streams", g->streams}}.dump(2) + "\n"});
  };
  for (const auto& [name, stream] : streams_) {
    nlohmann::json s = {{"name", name},
                        {"router", stream->router ? stream->router->id() : ""},
                        {"worker", stream->router && stream->router->worker()
                                       ? static_cast<int64_t>(stream->router->worker()->id())
                                       : -1},
                        {"sessions", nlohmann::json::array()}};
    g->streams.push_back(s);
    const size_t streamIndex = g->streams.size() - 1;
    std::vector<std::string> ids(stream->viewers.begin(), stream->viewers.end());
    if (!stream->publisherSession.empty()) ids.insert(ids.begin(), stream->publisherSession);
    for (const auto& id : ids) {
      auto it = sessions_.find(id);
      if (it == sessions_.end()) continue;
      auto session = it->second;
      const auto transports = session->transports();
      if (transports.empty()) continue;
      // The session's entry fills as its transports' stats come in: a WHIP/WHEP session has
      // one ("stats"), an ingest one per track ("tracks").
      auto entry =
          std::make_shared<nlohmann::json>(nlohmann::json{{"id", session->id},
                                                          {"kind", session->kindName()},
                                                          {"producers", nlohmann::json::array()},
                                                          {"consumers", session->consumers}});
      for (const auto& producer : session->producers)
        (*entry)["producers"].push_back(producer.second);
      if (session->kind == Kind::kIngest) {
        (*entry)["tracks"] = nlohmann::json::array();
        for (size_t i = 0; i < session->plainTransports.size(); ++i) {
          const auto& info = session->plainTransports[i]->info();
          nlohmann::json track = {
              {"kind", session->ingest.tracks[i].kind == MediaKind::kVideo ? "video" : "audio"},
              {"transport", info.id},
              {"port", info.tuple.localPort}};
          if (i < session->producers.size()) track["producer"] = session->producers[i].second;
          if (i < session->senders.size() && !session->senders[i].empty()) {
            track["sender"] = session->senders[i];
          }
          (*entry)["tracks"].push_back(std::move(track));
        }
      } else {
        (*entry)["transport"] = session->transport->id();
      }
      auto remaining = std::make_shared<size_t>(transports.size());
      ++g->pending;
      auto weak = std::weak_ptr<WhipWhepService*>(self_);
      for (size_t i = 0; i < transports.size(); ++i) {
        transports[i]->getStats([g, streamIndex, session, entry, remaining, i, finish,
                                 weak](Result<TransportStats> r) {
          nlohmann::json& target = session->kind == Kind::kIngest ? (*entry)["tracks"][i] : *entry;
          if (r) {
            target["stats"] = statsJson(r.value());
          } else {
            target["error"] = r.error().describe();
          }
          if (--*remaining != 0) return;
          g->streams[streamIndex]["sessions"].push_back(std::move(*entry));
          --g->pending;
          auto alive = weak.lock();
          if (alive && *alive) finish();
        });
      }
    }
  }
  finish();
}

void WhipWhepService::respond(const Responder& responder, HttpResponse response) {
  addCors(response);
  responder->respond(std::move(response));
}

HttpResponse WhipWhepService::error(int status, const std::string& message) const {
  HttpResponse r{status, {{"content-type", "text/plain; charset=utf-8"}}, message + "\n"};
  if (status == 401) r.headers.emplace_back("www-authenticate", "Bearer");
  return r;
}

std::optional<std::string> WhipWhepService::authorize(const HttpRequest& request,
                                                      const std::string& stream,
                                                      bool publish) const {
  auto header = request.header("authorization");
  if (!header) {
    if (options_.openLoopbackAccess && isLoopback(request.peerAddress)) return std::nullopt;
    return "an Authorization: Bearer token is required";
  }
  std::string_view value = *header;
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() || value.substr(0, kBearer.size()) != kBearer) {
    return "the Authorization header must be 'Bearer <token>'";
  }
  auto grant = verifyAccessToken(value.substr(kBearer.size()), options_.apiKeys,
                                 static_cast<int64_t>(std::time(nullptr)));
  if (!grant) return grant.error();
  if (!grant->allows(stream, publish)) {
    return std::string("the token does not allow ") + (publish ? "publishing" : "watching") +
           " stream '" + stream + "'";
  }
  return std::nullopt;
}

void WhipWhepService::options(const HttpRequest& request, Responder responder) {
  const bool ingest = request.path.starts_with(kIngestPrefix);
  HttpResponse r{204, {}, ""};
  r.headers.emplace_back("access-control-allow-methods",
                         ingest ? "POST, DELETE, OPTIONS" : "POST, PATCH, DELETE, OPTIONS");
  r.headers.emplace_back("access-control-allow-headers", "Authorization, Content-Type, If-Match");
  r.headers.emplace_back("access-control-max-age", "86400");
  r.headers.emplace_back("accept-post", std::string(ingest ? kJsonType : kSdpType));
  for (const auto& link : options_.iceServerLinks)
    r.headers.emplace_back("link", link);
  respond(responder, std::move(r));
}

void WhipWhepService::post(Kind kind, const HttpRequest& request, Responder responder) {
  const auto prefix = kind == Kind::kWhip ? kWhipPrefix : kWhepPrefix;
  auto parts = segments(request.path, prefix);
  auto reject = [&](int status, const std::string& message) {
    ++counters_.sessionsRejected;
    respond(responder, error(status, message));
  };
  if (parts.size() != 1) return reject(405, "POST goes to " + std::string(prefix) + "/{stream}");
  const std::string stream = parts[0];
  if (!validStreamName(stream)) {
    return reject(400, "stream names are 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  if (auto denied = authorize(request, stream, kind == Kind::kWhip)) return reject(401, *denied);
  if (!contentTypeIs(request, kSdpType)) return reject(415, "the offer must be application/sdp");
  auto offer = sdp::WebRtcSessionDescription::parse(request.body);
  if (!offer) return reject(400, "malformed SDP offer: " + offer.error().toString());

  auto it = streams_.find(stream);
  if (kind == Kind::kWhip && it != streams_.end() && !it->second->publisherSession.empty()) {
    return reject(409, "stream '" + stream + "' already has a publisher");
  }
  if (kind == Kind::kWhep) {
    // A publisher still being set up has nothing to watch yet.
    auto publisher =
        it == streams_.end() ? sessions_.end() : sessions_.find(it->second->publisherSession);
    if (publisher == sessions_.end() || !publisher->second->ready) {
      return reject(404, "no one publishes stream '" + stream + "'");
    }
  }
  if (it != streams_.end() && it->second->viewers.size() >= kMaxSessionsPerStream) {
    return reject(503, "stream '" + stream + "' has too many sessions");
  }
  const auto capabilities =
      kind == Kind::kWhip ? whipCapabilities() : whepCapabilities(it->second->publisherSections);
  auto negotiated =
      sdp::negotiate(*offer, capabilities,
                     kind == Kind::kWhip ? sdp::EndpointRole::kWhip : sdp::EndpointRole::kWhep);
  if (!negotiated) return reject(negotiated.error().httpStatus(), negotiated.error().message);
  // Simulcast arrives with the layer-selection work: answer without it, so the client sends
  // one encoding (RFC 8853 section 5.3: rids not in the answer are not sent).
  for (auto& section : negotiated->sections) {
    section.rids.clear();
    section.simulcast.reset();
  }
  if (negotiated->remote.fingerprints.empty()) return reject(400, "the offer has no a=fingerprint");

  auto weak = std::weak_ptr<WhipWhepService*>(self_);
  withRouter(stream, [this, weak, kind, stream, negotiated = std::move(*negotiated), responder](
                         std::shared_ptr<Router> router, std::optional<Error> e) mutable {
    auto alive = weak.lock();
    if (!alive || !*alive) return;
    if (e || !router) {
      ++counters_.sessionsRejected;
      return respond(responder, error(503, "no worker for the stream: " +
                                               (e ? e->describe() : std::string("unknown"))));
    }
    startSession(kind, stream, std::move(negotiated), std::move(router), responder);
  });
}

void WhipWhepService::withRouter(
    const std::string& name,
    std::function<void(std::shared_ptr<Router>, std::optional<Error>)> then) {
  auto& slot = streams_[name];
  if (!slot) {
    slot = std::make_unique<Stream>();
    slot->name = name;
  }
  Stream& stream = *slot;
  if (stream.router) return then(stream.router, std::nullopt);
  stream.waiting.push_back(std::move(then));
  if (stream.creatingRouter) return;
  auto worker = pool_.pick();
  if (!worker) {
    auto waiting = std::move(stream.waiting);
    streams_.erase(name);
    for (auto& w : waiting)
      w(nullptr, Error{ErrorKind::kChannelClosed, "no worker is running"});
    return;
  }
  stream.creatingRouter = true;
  RouterOptions options;
  options.mediaCodecs = routerMediaCodecs();
  auto weak = std::weak_ptr<WhipWhepService*>(self_);
  worker->createRouter(options, [this, weak, name](Result<std::shared_ptr<Router>> r) {
    auto alive = weak.lock();
    if (!alive || !*alive) return;
    auto it = streams_.find(name);
    if (it == streams_.end()) return;
    Stream& s = *it->second;
    s.creatingRouter = false;
    auto waiting = std::move(s.waiting);
    if (!r) {
      streams_.erase(it);
      for (auto& w : waiting)
        w(nullptr, r.error());
      return;
    }
    s.router = r.value();
    spdlog::info("stream '{}' on worker {} (router {})", name,
                 s.router->worker() ? s.router->worker()->id() : 0, s.router->id());
    for (auto& w : waiting)
      w(s.router, std::nullopt);
  });
}

void WhipWhepService::startSession(Kind kind, std::string streamName,
                                   sdp::NegotiatedSession negotiated,
                                   std::shared_ptr<Router> router, Responder responder) {
  auto session = std::make_shared<Session>();
  session->id = randomToken(16);
  session->kind = kind;
  session->stream = streamName;
  session->etag = "\"" + randomToken(8) + "\"";
  session->negotiated = std::move(negotiated);
  session->remoteUfrag = session->negotiated.remote.ice.ufrag;
  session->remotePwd = session->negotiated.remote.ice.pwd;
  sessions_[session->id] = session;
  Stream& stream = *streams_.at(streamName);
  if (kind == Kind::kWhip) {
    stream.publisherSession = session->id;  // reserved now: a second publisher gets 409
  } else {
    stream.viewers.insert(session->id);
  }

  auto weak = std::weak_ptr<WhipWhepService*>(self_);
  router->createWebRtcTransport(
      options_.listenIps,
      [this, weak, session, responder](Result<std::shared_ptr<WebRtcTransport>> t) {
        auto alive = weak.lock();
        if (!alive || !*alive) return;
        if (!t)
          return failSession(session, responder, 503,
                             "cannot create a transport: " + t.error().describe());
        session->transport = t.value();
        watchTransport(session);
        const auto& remote = session->negotiated.remote;
        // The offer's a=setup is the remote role: actpass/active make us the DTLS server.
        const DtlsRole remoteRole = session->negotiated.localSetup == sdp::DtlsSetup::kActive
                                        ? DtlsRole::kServer
                                        : DtlsRole::kClient;
        DtlsFingerprintInfo fp{remote.fingerprints[0].algorithm, remote.fingerprints[0].value};
        session->transport->connect(
            remoteRole, fp, remote.ice.ufrag, [this, weak, session, responder](Result<DtlsRole> c) {
              auto alive2 = weak.lock();
              if (!alive2 || !*alive2) return;
              if (!c)
                return failSession(session, responder, 400,
                                   "DTLS parameters refused: " + c.error().reason);
              finishSession(session, responder);
            });
      });
}

// Creates the producers (WHIP) or consumers (WHEP) one after the other, then answers.
// A session ends by itself when its DTLS association fails or closes (the client went away,
// or never came: the handshake timeout), or when ICE consent stays lost.
void WhipWhepService::watchTransport(const std::shared_ptr<Session>& session) {
  auto weak = std::weak_ptr<WhipWhepService*>(self_);
  std::weak_ptr<Session> weakSession = session;
  session->transportEvents = session->transport->subscribe(
      session->transport->id(),
      [this, weak, weakSession](const fbs::notification::Notification& n) {
        auto alive = weak.lock();
        auto s = weakSession.lock();
        if (!alive || !*alive || !s) return;
        if (const auto* d = n.body_as_Transport_DtlsStateChangeNotification()) {
          using fbs::transport::DtlsState;
          if (d->dtls_state() == DtlsState::FAILED || d->dtls_state() == DtlsState::CLOSED) {
            spdlog::info("session {} of stream '{}' ends: DTLS {}{}{}", s->id, s->stream,
                         fbs::transport::EnumNameDtlsState(d->dtls_state()),
                         d->reason() && d->reason()->size() ? ": " : "",
                         d->reason() ? d->reason()->str() : "");
            deferClose(s->id);
          }
        } else if (const auto* i = n.body_as_Transport_IceStateChangeNotification()) {
          s->disconnectedSinceMs =
              i->ice_state() == fbs::transport::IceState::DISCONNECTED ? uv_now(loop_) : 0;
        }
      });
}

// Closing from inside a channel callback would tear down the subscription that is running.
void WhipWhepService::deferClose(const std::string& id) {
  pendingCloses_.push_back(id);
  if (!sweepTimer_) return;
  uv_timer_start(
      sweepTimer_, [](uv_timer_t* h) { static_cast<WhipWhepService*>(h->data)->sweep(); }, 0,
      kSweepIntervalMs);
}

void WhipWhepService::sweep() {
  auto closes = std::move(pendingCloses_);
  pendingCloses_.clear();
  const uint64_t now = uv_now(loop_);
  for (const auto& [id, s] : sessions_) {
    if (s->disconnectedSinceMs != 0 && now - s->disconnectedSinceMs > kDisconnectedGraceMs) {
      spdlog::info("session {} of stream '{}' ends: ICE consent lost", id, s->stream);
      closes.push_back(id);
    }
    if (s->kind == Kind::kIngest && s->ready && s->idleTimeoutMs != 0) {
      checkIngestActivity(s, now);
    }
  }
  for (const auto& id : closes) {
    if (sessions_.contains(id)) {
      ++counters_.sessionsExpired;
      closeSession(id);
    }
  }
}

// An ingest has no connection to lose and its sender may never send RTCP: what shows it is
// alive is its RTP count growing. A round of stats per sweep, only for ingests.
void WhipWhepService::checkIngestActivity(const std::shared_ptr<Session>& session, uint64_t now) {
  if (session->activityCheckPending) return;
  if (now - session->lastRtpMs < kSweepIntervalMs) return;  // fresh enough
  session->activityCheckPending = true;
  auto weak = std::weak_ptr<WhipWhepService*>(self_);
  std::weak_ptr<Session> weakSession = session;
  auto remaining = std::make_shared<size_t>(session->plainTransports.size());
  auto total = std::make_shared<uint64_t>(0);
  auto failed = std::make_shared<bool>(false);
  for (const auto& transport : session->plainTransports) {
    transport->getStats(
        [this, weak, weakSession, remaining, total, failed](Result<TransportStats> r) {
          if (r) {
            *total += r.value().rtpReceived;
          } else {
            *failed = true;
          }
          if (--*remaining != 0) return;
          auto alive = weak.lock();
          auto s = weakSession.lock();
          if (!alive || !*alive || !s || !sessions_.contains(s->id)) return;
          s->activityCheckPending = false;
          const uint64_t at = uv_now(loop_);
          if (*failed) return;  // no answer is no evidence of silence; the next sweep asks again
          if (*total > s->rtpReceived) {
            s->rtpReceived = *total;
            s->lastRtpMs = at;
          } else if (at - s->lastRtpMs >= s->idleTimeoutMs) {
            spdlog::info("ingest {} of stream '{}' ends: no RTP for {} s", s->id, s->stream,
                         s->idleTimeoutMs / 1000);
            deferClose(s->id);
          }
        });
  }
}

void WhipWhepService::finishSession(std::shared_ptr<Session> session, Responder responder) {
  auto weak = std::weak_ptr<WhipWhepService*>(self_);
  auto streamIt = streams_.find(session->stream);
  if (streamIt == streams_.end() || !sessions_.contains(session->id)) {
    return failSession(session, responder, 410, "the stream ended while the session was set up");
  }
  Stream& stream = *streamIt->second;
  // The next section still to set up.
  const size_t done =
      session->kind == Kind::kWhip ? session->producers.size() : session->sendStreams.size();
  size_t index = 0, seen = 0;
  for (; index < session->negotiated.sections.size(); ++index) {
    if (!session->negotiated.sections[index].accepted) continue;
    if (seen++ == done) break;
  }
  if (index < session->negotiated.sections.size()) {
    const auto& section = session->negotiated.sections[index];
    if (session->kind == Kind::kWhip) {
      ProduceOptions po;
      po.kind = toMediaKind(section.kind);
      po.rtpParameters = producerParameters(section);
      session->transport->produce(
          po, [this, weak, session, responder, kind = po.kind](Result<std::string> r) {
            auto alive = weak.lock();
            if (!alive || !*alive) return;
            if (!r)
              return failSession(session, responder, 400, "cannot publish: " + r.error().reason);
            session->producers.emplace_back(kind, r.value());
            finishSession(session, responder);
          });
      return;
    }
    // WHEP: the publisher's producer of this kind.
    const MediaKind kind = toMediaKind(section.kind);
    auto producer = std::find_if(stream.producers.begin(), stream.producers.end(),
                                 [&](const auto& p) { return p.first == kind; });
    if (producer == stream.producers.end()) {
      return failSession(
          session, responder, 406,
          "the stream has no " + std::string(kind == MediaKind::kVideo ? "video" : "audio"));
    }
    ConsumeOptions co;
    co.producerId = producer->second;
    const uint32_t ssrc = randomSsrc();
    const std::string cname = "switchyard-" + session->stream;
    co.rtpParameters = consumerParameters(section, ssrc, cname);
    session->transport->consume(
        co, [this, weak, session, responder, section, ssrc, cname](Result<std::string> r) {
          auto alive = weak.lock();
          if (!alive || !*alive) return;
          if (!r)
            return failSession(session, responder, 500, "cannot consume: " + r.error().reason);
          session->consumers.push_back(r.value());
          sdp::AnswerSendStream s;
          s.mid = section.mid;
          s.ssrc = ssrc;
          s.cname = cname;
          s.streamId = session->stream;
          s.trackId = section.kind == sdp::MediaKind::kVideo ? "video" : "audio";
          session->sendStreams.push_back(std::move(s));
          finishSession(session, responder);
        });
    return;
  }

  // Everything is set up: answer.
  const auto& info = session->transport->info();
  sdp::AnswerParameters ap;
  ap.iceUfrag = info.iceUsernameFragment;
  ap.icePwd = info.icePassword;
  ap.fingerprintSha256 = info.fingerprints.empty() ? "" : info.fingerprints[0].value;
  for (const auto& c : info.candidates) {
    ap.candidates.push_back({c.address, c.port, c.priority, c.foundation, "udp"});
  }
  ap.sendStreams = session->sendStreams;
  ap.sessionId = random64() >> 2;  // RFC 8866 section 5.2: fits a 63-bit integer
  ap.originAddress = info.candidates.empty() ? "127.0.0.1" : info.candidates[0].address;
  ap.trickle = true;
  auto answer = sdp::buildAnswerText(session->negotiated, ap);
  if (!answer)
    return failSession(session, responder, 500,
                       "cannot build the answer: " + answer.error().toString());

  if (session->kind == Kind::kWhip) publish(*session, stream);
  session->ready = true;
  ++counters_.sessionsCreated;
  const std::string location =
      std::string(session->kind == Kind::kWhip ? kWhipPrefix : kWhepPrefix) + "/" +
      session->stream + "/" + session->id;
  spdlog::info("{} session {} for stream '{}' ({} {})",
               session->kind == Kind::kWhip ? "WHIP" : "WHEP", session->id, session->stream,
               session->kind == Kind::kWhip ? session->producers.size() : session->consumers.size(),
               session->kind == Kind::kWhip ? "producers" : "consumers");
  HttpResponse r{201, {{"content-type", std::string(kSdpType)}}, *answer};
  r.headers.emplace_back("location", location);
  r.headers.emplace_back("etag", session->etag);
  r.headers.emplace_back("accept-patch", std::string(kSdpFragType));
  for (const auto& link : options_.iceServerLinks)
    r.headers.emplace_back("link", link);
  respond(responder, std::move(r));
}

void WhipWhepService::publish(Session& session, Stream& stream) {
  stream.producers = session.producers;
  stream.publisherSections = session.negotiated.sections;
}

void WhipWhepService::postIngest(const HttpRequest& request, Responder responder) {
  auto parts = segments(request.path, kIngestPrefix);
  auto reject = [&](int status, const std::string& message) {
    ++counters_.sessionsRejected;
    respond(responder, error(status, message));
  };
  if (parts.size() != 1) return reject(405, "POST goes to /api/ingest/{stream}");
  const std::string stream = parts[0];
  if (!validStreamName(stream)) {
    return reject(400, "stream names are 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  if (auto denied = authorize(request, stream, true)) return reject(401, *denied);
  if (!contentTypeIs(request, kJsonType)) return reject(415, "the body must be application/json");
  auto parsed = parseIngestRequest(request.body);
  if (auto* e = std::get_if<std::string>(&parsed)) return reject(400, *e);
  auto it = streams_.find(stream);
  if (it != streams_.end() && !it->second->publisherSession.empty()) {
    return reject(409, "stream '" + stream + "' already has a publisher");
  }

  auto session = std::make_shared<Session>();
  session->id = randomToken(16);
  session->kind = Kind::kIngest;
  session->stream = stream;
  session->ingest = std::move(std::get<IngestRequest>(parsed));
  session->idleTimeoutMs =
      uint64_t{1000} * session->ingest.idleTimeoutS.value_or(options_.ingestIdleTimeoutS);
  for (const auto& track : session->ingest.tracks) {
    session->negotiated.sections.push_back(ingestSection(track));
    if (session->ingest.srtp) {
      session->senderKeys.push_back(
          {*session->ingest.srtp, track.srtpKey.value_or(randomSrtpKey(*session->ingest.srtp))});
    }
  }
  sessions_[session->id] = session;
  // Reserved now, as for WHIP: a second publisher gets 409 while this one is set up.
  auto& slot = streams_[stream];
  if (!slot) {
    slot = std::make_unique<Stream>();
    slot->name = stream;
  }
  slot->publisherSession = session->id;

  auto weak = std::weak_ptr<WhipWhepService*>(self_);
  withRouter(stream, [this, weak, session, responder](std::shared_ptr<Router> router,
                                                      std::optional<Error> e) {
    auto alive = weak.lock();
    if (!alive || !*alive) return;
    if (e || !router) {
      return failSession(session, responder, 503,
                         "no worker for the stream: " + (e ? e->describe() : "unknown"));
    }
    continueIngest(session, responder);
  });
}

void WhipWhepService::continueIngest(std::shared_ptr<Session> session, Responder responder) {
  auto streamIt = streams_.find(session->stream);
  if (streamIt == streams_.end() || !streamIt->second->router || !sessions_.contains(session->id)) {
    return failSession(session, responder, 410, "the stream ended while the ingest was set up");
  }
  const size_t transports = session->plainTransports.size();
  const size_t producers = session->producers.size();
  if (producers == session->ingest.tracks.size()) return finishIngest(session, responder);
  const IngestTrack& track = session->ingest.tracks[producers];
  auto weak = std::weak_ptr<WhipWhepService*>(self_);
  auto alive = [weak] {
    auto a = weak.lock();
    return a && *a;
  };

  if (transports == producers) {  // this track's transport: create and connect it
    PlainTransportOptions o;
    o.listen = options_.listenIps.empty() ? ListenIp{"127.0.0.1", ""} : options_.listenIps[0];
    // An ingest learns its sender (comedia) or has RTCP apart: a port of its own.
    o.listen.shared = false;
    o.rtcpMux = session->ingest.rtcpMux;
    o.comedia = !track.remote;
    o.srtp = session->ingest.srtp;
    streamIt->second->router->createPlainTransport(
        o, [this, alive, session, responder](Result<std::shared_ptr<PlainTransport>> t) {
          if (!alive()) return;
          if (!t) {
            return failSession(session, responder, 503,
                               "cannot create a transport: " + t.error().describe());
          }
          session->plainTransports.push_back(t.value());
          const size_t index = session->plainTransports.size() - 1;
          watchIngestSender(session, index);
          const auto& remote = session->ingest.tracks[index].remote;
          PlainConnectOptions c;
          if (remote) {
            c.ip = remote->ip;
            c.port = remote->port;
            c.rtcpPort = remote->rtcpPort;
          }
          if (index < session->senderKeys.size()) c.srtp = session->senderKeys[index];
          t.value()->connect(c, [this, alive, session, responder](Result<void> r) {
            if (!alive()) return;
            if (!r) {
              return failSession(session, responder, 400,
                                 "the transport refused its peer: " + r.error().reason);
            }
            continueIngest(session, responder);
          });
        });
    return;
  }

  ProduceOptions po;
  po.kind = track.kind;
  po.rtpParameters = producerParameters(session->negotiated.sections[producers]);
  session->plainTransports.back()->produce(
      po, [this, alive, session, responder, kind = track.kind](Result<std::string> r) {
        if (!alive()) return;
        if (!r) return failSession(session, responder, 400, "cannot ingest: " + r.error().reason);
        session->producers.emplace_back(kind, r.value());
        continueIngest(session, responder);
      });
}

// Comedia learns each track's sender from its first packet: logged, and shown in /api/streams.
void WhipWhepService::watchIngestSender(const std::shared_ptr<Session>& session, size_t index) {
  session->senders.resize(index + 1);
  std::weak_ptr<Session> weakSession = session;
  const auto& transport = session->plainTransports[index];
  session->tupleEvents.push_back(transport->subscribe(
      transport->id(), [weakSession, index](const fbs::notification::Notification& n) {
        auto s = weakSession.lock();
        const auto* body = n.body_as_Transport_TupleNotification();
        if (!s || !body || n.event() != fbs::notification::Event::TRANSPORT_TUPLE) return;
        const auto* tuple = body->tuple();
        s->senders[index] = (tuple->remote_ip() ? tuple->remote_ip()->str() : std::string()) + ":" +
                            std::to_string(tuple->remote_port());
        spdlog::info("ingest {} of stream '{}': {} comes from {}", s->id, s->stream,
                     s->ingest.tracks[index].kind == MediaKind::kVideo ? "video" : "audio",
                     s->senders[index]);
      }));
}

void WhipWhepService::finishIngest(const std::shared_ptr<Session>& session,
                                   const Responder& responder) {
  publish(*session, *streams_.at(session->stream));
  session->ready = true;
  session->lastRtpMs = uv_now(loop_);  // the sender gets the whole timeout to start
  ++counters_.sessionsCreated;
  const std::string location =
      std::string(kIngestPrefix) + "/" + session->stream + "/" + session->id;
  nlohmann::json body = {{"id", session->id},
                         {"stream", session->stream},
                         {"location", location},
                         {"idleTimeout", session->idleTimeoutMs / 1000}};
  for (size_t i = 0; i < session->ingest.tracks.size(); ++i) {
    const IngestTrack& track = session->ingest.tracks[i];
    const auto& info = session->plainTransports[i]->info();
    nlohmann::json t = {
        {"ip", info.tuple.localAddress},
        {"port", info.tuple.localPort},
        {"rtcpPort", info.rtcpTuple ? info.rtcpTuple->localPort : info.tuple.localPort},
        {"codec", track.codec},
        {"payloadType", track.payloadType},
        {"clockRate", track.clockRate},
        {"comedia", info.comedia},
        {"transport", info.id},
        {"producer", session->producers[i].second}};
    if (track.kind == MediaKind::kAudio) t["channels"] = track.channels;
    if (!track.fmtp.empty()) t["fmtp"] = track.fmtp;
    if (track.ssrc) t["ssrc"] = *track.ssrc;
    if (i < session->senderKeys.size()) {
      // The sender encrypts with "key"; what the server sends back (RTCP) uses "serverKey".
      t["srtp"] = {{"cryptoSuite", srtpSuiteName(session->senderKeys[i].cryptoSuite)},
                   {"key", session->senderKeys[i].keyBase64},
                   {"serverKey", info.srtp ? info.srtp->keyBase64 : ""}};
    }
    body[track.kind == MediaKind::kVideo ? "video" : "audio"] = std::move(t);
  }
  spdlog::info("ingest {} for stream '{}' ({} tracks{})", session->id, session->stream,
               session->ingest.tracks.size(), session->ingest.srtp ? ", SRTP" : "");
  HttpResponse r{201, {{"content-type", std::string(kJsonType)}}, body.dump(2) + "\n"};
  r.headers.emplace_back("location", location);
  respond(responder, std::move(r));
}

void WhipWhepService::removeIngest(const HttpRequest& request, Responder responder) {
  auto parts = segments(request.path, kIngestPrefix);
  if (parts.size() != 2) {
    return respond(responder, error(405, "DELETE goes to an ingest's Location"));
  }
  auto it = sessions_.find(parts[1]);
  if (it == sessions_.end() || it->second->stream != parts[0] ||
      it->second->kind != Kind::kIngest) {
    return respond(responder, error(404, "no such ingest"));
  }
  if (auto denied = authorize(request, parts[0], true)) {
    return respond(responder, error(401, *denied));
  }
  ++counters_.sessionsDeleted;
  spdlog::info("ingest {} of stream '{}' deleted", parts[1], parts[0]);
  closeSession(parts[1]);
  respond(responder, HttpResponse{200, {}, ""});
}

void WhipWhepService::failSession(std::shared_ptr<Session> session, Responder responder, int status,
                                  const std::string& message) {
  ++counters_.sessionsRejected;
  spdlog::warn("session for stream '{}' failed: {}", session->stream, message);
  closeSession(session->id);
  respond(responder, error(status, message));
}

void WhipWhepService::closeSession(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto session = it->second;
  sessions_.erase(it);
  session->transportEvents.reset();
  session->tupleEvents.clear();
  for (const auto& t : session->transports())
    t->close();
  auto s = streams_.find(session->stream);
  if (s != streams_.end()) {
    Stream& stream = *s->second;
    if (stream.publisherSession == id) {
      stream.publisherSession.clear();
      stream.producers.clear();
      stream.publisherSections.clear();
    }
    stream.viewers.erase(id);
  }
  maybeCloseStream(session->stream);
}

void WhipWhepService::maybeCloseStream(const std::string& name) {
  auto it = streams_.find(name);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  if (!s.publisherSession.empty() || !s.viewers.empty() || s.creatingRouter) return;
  if (s.router) s.router->close();
  streams_.erase(it);
}

void WhipWhepService::remove(Kind kind, const HttpRequest& request, Responder responder) {
  const auto prefix = kind == Kind::kWhip ? kWhipPrefix : kWhepPrefix;
  auto parts = segments(request.path, prefix);
  if (parts.size() != 2)
    return respond(responder, error(405, "DELETE goes to a session's Location"));
  auto it = sessions_.find(parts[1]);
  if (it == sessions_.end() || it->second->stream != parts[0] || it->second->kind != kind) {
    return respond(responder, error(404, "no such session"));
  }
  if (auto denied = authorize(request, parts[0], kind == Kind::kWhip)) {
    return respond(responder, error(401, *denied));
  }
  ++counters_.sessionsDeleted;
  spdlog::info("session {} of stream '{}' deleted", parts[1], parts[0]);
  closeSession(parts[1]);
  respond(responder, HttpResponse{200, {}, ""});
}

void WhipWhepService::patch(Kind kind, const HttpRequest& request, Responder responder) {
  const auto prefix = kind == Kind::kWhip ? kWhipPrefix : kWhepPrefix;
  auto parts = segments(request.path, prefix);
  if (parts.size() != 2)
    return respond(responder, error(405, "PATCH goes to a session's Location"));
  auto it = sessions_.find(parts[1]);
  if (it == sessions_.end() || it->second->stream != parts[0] || it->second->kind != kind) {
    return respond(responder, error(404, "no such session"));
  }
  if (auto denied = authorize(request, parts[0], kind == Kind::kWhip)) {
    return respond(responder, error(401, *denied));
  }
  if (!contentTypeIs(request, kSdpFragType)) {
    return respond(responder, error(415, "PATCH takes application/trickle-ice-sdpfrag"));
  }
  auto session = it->second;
  if (!session->ready) return respond(responder, error(409, "the session is still being set up"));
  auto frag = sdp::IceSdpFragment::parse(request.body);
  if (!frag) return respond(responder, error(400, "malformed sdpfrag: " + frag.error().toString()));
  std::optional<std::string> ufrag = frag->ufrag, pwd = frag->pwd;
  for (const auto& m : frag->media) {
    if (!ufrag && m.ufrag) ufrag = m.ufrag;
    if (!pwd && m.pwd) pwd = m.pwd;
  }
  const bool restart = ufrag && *ufrag != session->remoteUfrag;
  auto ifMatch = request.header("if-match");
  // RFC 9725 section 4.3.2: an ICE restart names the session's ETag ("*" is allowed).
  if (restart && (!ifMatch || (*ifMatch != "*" && *ifMatch != session->etag))) {
    return respond(responder, error(412, "an ICE restart needs If-Match with the session's ETag"));
  }
  if (!restart) {
    // Trickled candidates: an ICE-lite server learns the client's address from its checks.
    if (ifMatch && *ifMatch != "*" && *ifMatch != session->etag) {
      return respond(responder, error(412, "ETag mismatch"));
    }
    return respond(responder, HttpResponse{204, {}, ""});
  }
  session->remoteUfrag = *ufrag;
  if (pwd) session->remotePwd = *pwd;
  auto weak = std::weak_ptr<WhipWhepService*>(self_);
  session->transport->restartIce(
      *ufrag, [this, weak, session, responder](Result<std::pair<std::string, std::string>> r) {
        auto alive = weak.lock();
        if (!alive || !*alive) return;
        if (!r) return respond(responder, error(500, "ICE restart failed: " + r.error().reason));
        session->etag = "\"" + randomToken(8) + "\"";
        sdp::IceSdpFragment out;
        out.ufrag = r.value().first;
        out.pwd = r.value().second;
        sdp::IceSdpFragmentMedia m;
        const auto& mids = session->negotiated.bundleMids;
        m.mid = mids.empty() ? "0" : mids.front();
        m.mediaLine = "audio 9 UDP/TLS/RTP/SAVPF 0";
        for (const auto& c : session->transport->info().candidates) {
          sdp::IceCandidate cand;
          cand.foundation = c.foundation;
          cand.transport = "udp";
          cand.priority = c.priority;
          cand.address = c.address;
          cand.port = c.port;
          cand.type = "host";
          m.candidates.push_back(std::move(cand));
        }
        m.endOfCandidates = true;
        out.media.push_back(std::move(m));
        HttpResponse res{200, {{"content-type", std::string(kSdpFragType)}}, out.serialize()};
        res.headers.emplace_back("etag", session->etag);
        respond(responder, std::move(res));
      });
}

void WhipWhepService::onWorkerDied(const Worker& dead) {
  std::vector<std::string> doomed;
  for (const auto& [id, s] : sessions_) {
    const auto transports = s->transports();
    if (std::any_of(transports.begin(), transports.end(), [&](const auto& t) {
          const auto w = t->worker();
          return !w || w.get() == &dead;
        })) {
      doomed.push_back(id);
    }
  }
  for (const auto& id : doomed) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || !it->second->ready) continue;
    spdlog::warn("session {} of stream '{}' lost with its worker", id, it->second->stream);
    closeSession(id);
  }
  std::vector<std::string> streams;
  for (const auto& [name, s] : streams_) {
    if (s->router && (!s->router->worker() || s->router->worker().get() == &dead)) {
      streams.push_back(name);
    }
  }
  for (const auto& name : streams) {
    auto it = streams_.find(name);
    if (it != streams_.end() && !it->second->creatingRouter) {
      it->second->router.reset();
      maybeCloseStream(name);
    }
  }
}

}  // namespace switchyard::control
