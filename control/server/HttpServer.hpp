// HTTP/1.1 server for the control plane (WHIP/WHEP, REST), built on libwebsockets and driven
// entirely by the caller's libuv loop: lws gets no thread and no loop of its own.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::control {

struct HttpRequest {
  std::string method;  // "GET", "POST", "PATCH", "DELETE", "OPTIONS", "PUT", "HEAD"
  std::string path;    // without query string, e.g. "/whip/room1" (lws url-decodes it)
  std::string query;   // query string without '?', may be empty (lws url-decodes each arg)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string peerAddress;  // remote IP as text
  std::optional<std::string_view> header(std::string_view lowerName) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"content-type","text/plain"}
  std::string body;
};

// Handed to a handler; respond() may be called later (asynchronously, from the same loop thread),
// at most once. If the connection closed meanwhile, respond() is a harmless no-op.
class HttpResponder {
 public:
  virtual ~HttpResponder() = default;
  virtual void respond(HttpResponse response) = 0;
  virtual bool connectionAlive() const = 0;
};

using HttpHandler = std::function<void(const HttpRequest&, std::shared_ptr<HttpResponder>)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // IPv4 or IPv6 literal to bind
  uint16_t port = 8080;            // 0 = ephemeral
  size_t maxBodyBytes = 1 << 20;   // larger bodies -> 413
  // lws 4.1 can enumerate only the ~90 headers it knows (content-type, authorization, if-match,
  // etag, link, ...). Any other request header a handler needs must be named here (lower-case).
  std::vector<std::string> extraHeaders;
};

class HttpServer {
 public:
  HttpServer(uv_loop_t* loop, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // nullopt on success, else a readable error (e.g. "Address already in use"). After a failed
  // start the server is stopped; its lws teardown completes once the loop runs.
  std::optional<std::string> start();
  uint16_t boundPort() const;  // the real port after start (also when 0 was asked)
  // Routes match on method and path prefix; the longest matching prefix wins.
  // Unknown path -> 404; path known for other methods only -> 405 with an Allow header.
  // Prefixes match at '/' boundaries ("/whip" covers "/whip/x", not "/whipx"). The longest
  // matching prefix owns the path, so a catch-all "/" never answers under "/whip" (405 instead).
  // HEAD uses the GET handler (body dropped) unless a HEAD route exists. Register routes before
  // start() or from the loop thread.
  void route(std::string method, std::string pathPrefix, HttpHandler handler);
  // Stops listening, closes connections and tears down the lws context so that the
  // caller's uv loop can finish (uv_run returns) once its own handles are closed.
  // Call from the loop thread, inside or outside uv_run (also from a handler). lws leaves the
  // loop over the next few iterations, so the loop must run afterwards. A server starts once.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared: lws's teardown keeps it alive after ~HttpServer
};

}  // namespace switchyard::control
