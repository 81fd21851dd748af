#pragma once
// WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) endpoints: publish into a named stream and
// watch it, each session one WebRTC transport in the stream's router.
//
//   POST   /whip/{stream}            SDP offer -> 201 + answer, Location, ETag
//   POST   /whep/{stream}            SDP offer -> 201 + answer, Location, ETag
//   PATCH  /whip|whep/{stream}/{id}  trickle-ice-sdpfrag: candidates (204) or ICE restart (200)
//   DELETE /whip|whep/{stream}/{id}  ends the session and frees its worker objects
//   OPTIONS on all of them           CORS preflight, Accept-Post
//   POST   /api/ingest/{stream}      JSON (IngestRequest.hpp) -> 201 + JSON: a plain RTP
//                                    transport per track for ffmpeg, GStreamer, ... to send to
//   DELETE /api/ingest/{stream}/{id} ends the ingest
//
// A stream lives on one router of one worker, created with its first session and closed with
// its last. One publisher per stream at a time (a WHIP session or an RTP ingest); any number
// of viewers.

#include <uv.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/orchestrator/PlainTransport.hpp"
#include "control/orchestrator/Router.hpp"
#include "control/orchestrator/WebRtcTransport.hpp"
#include "control/orchestrator/WorkerPool.hpp"
#include "control/sdp/SdpNegotiation.hpp"
#include "control/server/HttpServer.hpp"
#include "control/server/IngestRequest.hpp"

namespace switchyard::control {

struct WhipWhepOptions {
  std::vector<ListenIp> listenIps;
  // Loopback clients need no token (development mode).
  bool openLoopbackAccess = false;
  std::map<std::string, std::string> apiKeys;  // key -> secret for access tokens
  // RFC 9725 section 4.4: Link headers naming STUN/TURN servers, already formatted.
  std::vector<std::string> iceServerLinks;
  // An ingest that receives no RTP for this long ends (0: never), unless its request says.
  uint32_t ingestIdleTimeoutS = 30;
};

struct WhipWhepCounters {
  uint64_t sessionsCreated = 0;
  uint64_t sessionsRejected = 0;  // 4xx/5xx answers to POST
  uint64_t sessionsDeleted = 0;
  uint64_t sessionsExpired = 0;  // DTLS failed or closed, ICE consent lost, or ingest idle
};

class WhipWhepService {
 public:
  WhipWhepService(uv_loop_t* loop, WorkerPool& pool, WhipWhepOptions options);
  ~WhipWhepService();
  WhipWhepService(const WhipWhepService&) = delete;
  WhipWhepService& operator=(const WhipWhepService&) = delete;

  void registerRoutes(HttpServer& http);
  // Whether the request may use the admin API (/api/...): loopback in development mode, or a
  // token for any stream ("*") with both permissions.
  bool adminAllowed(const HttpRequest& request) const;
  // Sessions on a dead worker are gone with it: forget them and their streams.
  void onWorkerDied(const Worker& dead);

  size_t sessionCount() const { return sessions_.size(); }
  size_t streamCount() const { return streams_.size(); }
  const WhipWhepCounters& counters() const { return counters_; }

 private:
  enum class Kind : uint8_t { kWhip, kWhep, kIngest };
  struct Session;
  struct Stream;
  using Responder = std::shared_ptr<HttpResponder>;

  void post(Kind kind, const HttpRequest& request, Responder responder);
  void patch(Kind kind, const HttpRequest& request, Responder responder);
  void remove(Kind kind, const HttpRequest& request, Responder responder);
  void options(const HttpRequest& request, Responder responder);
  void postIngest(const HttpRequest& request, Responder responder);
  void removeIngest(const HttpRequest& request, Responder responder);
  // GET /api/streams: every stream and session with its transport's stats (JSON).
  void listStreams(const HttpRequest& request, Responder responder);

  // Runs `then` with the stream's router, creating both when needed.
  void withRouter(const std::string& stream,
                  std::function<void(std::shared_ptr<Router>, std::optional<Error>)> then);
  void startSession(Kind kind, std::string stream, sdp::NegotiatedSession negotiated,
                    std::shared_ptr<Router> router, Responder responder);
  void finishSession(std::shared_ptr<Session> session, Responder responder);
  // Sets up the ingest's tracks one after the other (transport, connect, producer), then
  // answers with where to send.
  void continueIngest(std::shared_ptr<Session> session, Responder responder);
  void finishIngest(const std::shared_ptr<Session>& session, const Responder& responder);
  void watchIngestSender(const std::shared_ptr<Session>& session, size_t index);
  // The stream's publisher is set up: viewers may come.
  void publish(Session& session, Stream& stream);
  void failSession(std::shared_ptr<Session> session, Responder responder, int status,
                   const std::string& message);
  void closeSession(const std::string& id);
  void watchTransport(const std::shared_ptr<Session>& session);
  void deferClose(const std::string& id);
  void sweep();
  // Asks an ingest's transports how much RTP came; ends the ingest after its idle timeout.
  void checkIngestActivity(const std::shared_ptr<Session>& session, uint64_t now);
  void maybeCloseStream(const std::string& stream);
  std::optional<std::string> authorize(const HttpRequest& request, const std::string& stream,
                                       bool publish) const;
  void respond(const Responder& responder, HttpResponse response);
  HttpResponse error(int status, const std::string& message) const;

  uv_loop_t* loop_;
  WorkerPool& pool_;
  WhipWhepOptions options_;
  std::map<std::string, std::unique_ptr<Stream>> streams_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  WhipWhepCounters counters_;
  static constexpr uint64_t kSweepIntervalMs = 1000;
  uv_timer_t* sweepTimer_ = nullptr;
  std::vector<std::string> pendingCloses_;
  std::shared_ptr<WhipWhepService*> self_;  // callbacks check it is still alive
};

}  // namespace switchyard::control
