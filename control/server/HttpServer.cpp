#include "control/server/HttpServer.hpp"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_map>

namespace switchyard::control {

namespace {

// Request head limit per connection; lws refuses larger heads (431 or close).
constexpr unsigned kMaxHeaderBytes = 8192;
// Connections that may hold a header buffer at once; the rest wait in the kernel backlog.
constexpr unsigned kHeaderPoolSize = 64;
// A peer that stalls mid-request (slowloris, truncated request) is dropped after this.
constexpr unsigned kStalledRequestTimeoutSecs = 10;
// Idle keep-alive connections are closed after this.
constexpr int kKeepAliveTimeoutSecs = 30;
// An async handler that never responds must not pin its connection forever.
constexpr int kHandlerTimeoutSecs = 60;
// Response body bytes per writeable callback, so one big body cannot starve the loop.
constexpr size_t kBodyChunkBytes = 16 * 1024;
// Room for the status line and per-header framing when serialising response headers.
constexpr size_t kHeaderBlockSlack = 512;
constexpr size_t kPerHeaderSlack = 8;
// lws logs at these levels always; LLL_INFO only when spdlog is at trace (it is very chatty).
constexpr int kLwsLogLevels = LLL_ERR | LLL_WARN | LLL_NOTICE;
constexpr int kLwsTraceLogLevels = LLL_INFO;
// During teardown, how often we check whether lws has left the loop (normally ~3 iterations),
// and when to give up and leak the context rather than wait forever (only on an lws bug).
constexpr uint64_t kTeardownPollMs = 1;
constexpr uint64_t kTeardownGiveUpMs = 5000;
constexpr const char* kProtocolName = "switchyard-http";

void lwsLogToSpdlog(int level, const char* line) {
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (level & LLL_ERR) {
    spdlog::error("lws: {}", text);
  } else if (level & LLL_WARN) {
    spdlog::warn("lws: {}", text);
  } else {
    spdlog::debug("lws: {}", text);
  }
}

std::string lowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Prefix match at a path-segment boundary: "/whip" matches "/whip" and "/whip/x", not "/whipx".
bool prefixMatches(std::string_view prefix, std::string_view path) {
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || prefix.ends_with('/') || path[prefix.size()] == '/';
}

const char* methodName(int lwsMethod) {
  switch (lwsMethod) {
    case LWSHUMETH_GET:
      return "GET";
    case LWSHUMETH_POST:
      return "POST";
    case LWSHUMETH_OPTIONS:
      return "OPTIONS";
    case LWSHUMETH_PUT:
      return "PUT";
    case LWSHUMETH_PATCH:
      return "PATCH";
    case LWSHUMETH_DELETE:
      return "DELETE";
    case LWSHUMETH_HEAD:
      return "HEAD";
    default:
      return nullptr;  // CONNECT and h2 pseudo-methods are not served
  }
}

HttpResponse textResponse(int status, std::string body) {
  return HttpResponse{status, {{"content-type", "text/plain"}}, std::move(body)};
}

// Copies a header from lws's table; lws joins repeated headers with ',' (URI args with '&').
std::optional<std::string> copyToken(lws* wsi, lws_token_indexes token) {
  int len = lws_hdr_total_length(wsi, token);
  if (len <= 0) return std::nullopt;
  std::string value(static_cast<size_t>(len) + 1, '\0');
  int copied = lws_hdr_copy(wsi, value.data(), len + 1, token);
  if (copied < 0) return std::nullopt;
  value.resize(static_cast<size_t>(copied));
  return value;
}

std::optional<std::string> copyCustom(lws* wsi, const std::string& lowerName) {
  std::string key = lowerName + ":";  // lws keys custom headers by "name:"
  int keyLen = static_cast<int>(key.size());
  int len = lws_hdr_custom_length(wsi, key.c_str(), keyLen);
  if (len < 0) return std::nullopt;
  std::string value(static_cast<size_t>(len) + 1, '\0');
  int copied = lws_hdr_custom_copy(wsi, value.data(), len + 1, key.c_str(), keyLen);
  if (copied < 0) return std::nullopt;
  value.resize(static_cast<size_t>(copied));
  return value;
}

// lws hands out URI args already url-decoded, one fragment per arg; re-encode them so the
// query stays unambiguous (a decoded '&' or '=' inside a value would otherwise split it).
std::string rebuildQuery(lws* wsi) {
  std::string query;
  for (int i = 0;; ++i) {
    int len = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (len <= 0) break;
    std::string arg(static_cast<size_t>(len) + 1, '\0');
    if (lws_hdr_copy_fragment(wsi, arg.data(), len + 1, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) break;
    arg.resize(static_cast<size_t>(len));
    if (!query.empty()) query += '&';
    size_t eq = arg.find('=');
    for (size_t j = 0; j < arg.size(); ++j) {
      auto c = static_cast<unsigned char>(arg[j]);
      if (std::isalnum(c) || std::strchr("-._~", c) || j == eq) {
        query += static_cast<char>(c);
      } else {
        query += fmt::format("%{:02X}", c);
      }
    }
  }
  return query;
}

// lws only logs why it could not listen; repeat the bind to tell the caller the reason.
std::string bindFailureReason(const std::string& host, uint16_t port) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(*v6);
  } else {
    return "'" + host + "' is not an IPv4 or IPv6 address";  // start() checks this first
  }
  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // as lws does
  int rc = fd < 0 ? -1 : bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  std::string reason = rc == 0 ? "lws could not listen" : std::strerror(errno);
  if (fd >= 0) close(fd);
  return reason;
}

std::vector<uv_handle_t*> loopHandles(uv_loop_t* loop) {
  std::vector<uv_handle_t*> handles;
  uv_walk(
      loop,
      [](uv_handle_t* h, void* arg) { static_cast<std::vector<uv_handle_t*>*>(arg)->push_back(h); },
      &handles);
  return handles;
}

}  // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view lowerName) const {
  for (const auto& [name, value] : headers) {
    if (name == lowerName) return std::string_view(value);
  }
  return std::nullopt;
}

namespace {

// One request/response exchange. Shared with the responder, which may outlive the connection:
// wsi becomes null when lws closes it, turning respond() into a no-op.
struct Exchange {
  lws* wsi = nullptr;
  HttpRequest request;
  bool headOnly = false;
  bool dispatched = false;
  bool closeAfterResponse = false;
  std::optional<HttpResponse> response;
  bool headersSent = false;
  size_t bodyOffset = 0;
};

class Responder final : public HttpResponder {
 public:
  explicit Responder(std::shared_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}
  void respond(HttpResponse response) override {
    if (!exchange_->wsi || exchange_->response) return;
    exchange_->response = std::move(response);
    lws_callback_on_writable(exchange_->wsi);
  }
  // lws 4.1 does not watch a connection for input while its response is pending, so a peer
  // that hung up is only noticed when we write. Peek at the socket to find out sooner.
  bool connectionAlive() const override {
    if (!exchange_->wsi) return false;
    char byte;
    ssize_t n = recv(lws_get_socket_fd(exchange_->wsi), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
  }

 private:
  std::shared_ptr<Exchange> exchange_;
};

}  // namespace

struct HttpServer::Impl {
  struct Route {
    std::string method;
    std::string prefix;
    HttpHandler handler;
  };

  uv_loop_t* loop = nullptr;
  HttpServerOptions options;
  std::vector<Route> routes;
  lws_protocols protocols[2]{};
  lws_context* context = nullptr;  // live context; null once teardown has begun
  uint16_t port = 0;
  bool used = false;  // a server runs once: lws's teardown outlives stop()
  std::unordered_map<lws*, std::shared_ptr<Exchange>> exchanges;

  // Teardown state. lws 4.1 on a foreign uv loop needs two lws_context_destroy() calls: the first
  // uv_close()s lws's handles, the second frees the context and dlclose()s the uv evlib plugin.
  // The second must wait until libuv has run the close callbacks, which live in that plugin.
  // lws closes its per-thread idle/timer handles last, so their disappearance from the loop
  // signals that it is safe; they are embedded in the context, so their addresses stay valid.
  lws_context* dying = nullptr;  // lws nulls this (info.pcontext) once the context is freed
  std::vector<uv_handle_t*> lwsStaticHandles;
  uv_timer_t reaper{};
  uint64_t teardownStartMs = 0;
  std::shared_ptr<Impl> selfDuringTeardown;  // keeps lws's callback target alive until the end

  static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  int handle(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  int onHttp(lws* wsi, std::string_view path);
  int onBody(lws* wsi, const char* data, size_t len);
  int onWriteable(lws* wsi);
  void dispatch(const std::shared_ptr<Exchange>& exchange);
  void reply(const std::shared_ptr<Exchange>& exchange, HttpResponse response, bool close);
  void forget(lws* wsi);
  void beginTeardown(std::shared_ptr<Impl> self);
  bool lwsHandlesClosed() const;
  static void reap(uv_timer_t* timer);
};

void HttpServer::Impl::forget(lws* wsi) {
  auto it = exchanges.find(wsi);
  if (it == exchanges.end()) return;
  it->second->wsi = nullptr;
  exchanges.erase(it);
}

void HttpServer::Impl::reply(const std::shared_ptr<Exchange>& exchange, HttpResponse response,
                             bool close) {
  exchange->closeAfterResponse = exchange->closeAfterResponse || close;
  Responder(exchange).respond(std::move(response));
}

int HttpServer::Impl::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                               size_t len) {
  auto* self = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
  try {
    return self->handle(wsi, reason, user, in, len);
  } catch (const std::exception& e) {  // never let an exception unwind through C
    spdlog::error("http: internal error: {}", e.what());
    return -1;
  }
}

int HttpServer::Impl::handle(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                             size_t len) {
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      if (!context) return -1;  // tearing down
      return onHttp(wsi, std::string_view(static_cast<const char*>(in), len));
    case LWS_CALLBACK_HTTP_BODY:
      return onBody(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
      auto it = exchanges.find(wsi);
      if (it != exchanges.end() && !it->second->dispatched) dispatch(it->second);
      return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return onWriteable(wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_WSI_DESTROY:
      forget(wsi);
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

int HttpServer::Impl::onHttp(lws* wsi, std::string_view path) {
  forget(wsi);  // a keep-alive connection's previous exchange is over
  auto exchange = std::make_shared<Exchange>();
  exchange->wsi = wsi;
  exchanges[wsi] = exchange;

  HttpRequest& req = exchange->request;
  char* uri = nullptr;
  int uriLen = 0;
  const char* method = methodName(lws_http_get_uri_and_method(wsi, &uri, &uriLen));
  req.path = path;
  req.query = rebuildQuery(wsi);
  char peer[64] = {};
  if (lws_get_peer_simple(wsi, peer, sizeof(peer))) req.peerAddress = peer;
  for (int t = 0; t < WSI_TOKEN_COUNT; ++t) {
    auto token = static_cast<lws_token_indexes>(t);
    const auto* name = reinterpret_cast<const char*>(lws_token_to_string(token));
    // Only real "name:" headers; skip request-line tokens ("get ") and h2 pseudo-headers.
    size_t nameLen = name ? std::strlen(name) : 0;
    if (nameLen < 2 || name[0] == ':' || name[nameLen - 1] != ':') continue;
    if (auto value = copyToken(wsi, token)) {
      req.headers.emplace_back(std::string(name, nameLen - 1), std::move(*value));
    }
  }
  for (const auto& name : options.extraHeaders) {
    if (auto value = copyCustom(wsi, name)) req.headers.emplace_back(name, std::move(*value));
  }

  if (!method) {
    reply(exchange, textResponse(501, "method not implemented\n"), true);
    return 0;
  }
  req.method = method;
  exchange->headOnly = req.method == "HEAD";

  if (req.header("transfer-encoding")) {
    // lws 4.1 does not de-chunk request bodies; we only accept Content-Length framing.
    reply(exchange, textResponse(411, "content-length required\n"), true);
    return 0;
  }
  if (auto contentLength = req.header("content-length")) {
    unsigned long long declared = 0;
    const char* end = contentLength->data() + contentLength->size();
    auto [parsedEnd, ec] = std::from_chars(contentLength->data(), end, declared);
    if (ec != std::errc() || parsedEnd != end) {
      reply(exchange, textResponse(400, "bad content-length\n"), true);
      return 0;
    }
    if (declared > options.maxBodyBytes) {
      // Refuse before reading; closing afterwards means the body is never buffered.
      reply(exchange, textResponse(413, "request body too large\n"), true);
      return 0;
    }
    if (declared > 0) {
      req.body.reserve(declared);
      return 0;  // dispatched on LWS_CALLBACK_HTTP_BODY_COMPLETION
    }
  } else if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    // Without Content-Length lws 4.1 treats everything after the head as body, which would eat
    // the next keep-alive request: serve this one as body-less, then close.
    exchange->closeAfterResponse = true;
  }
  dispatch(exchange);
  return 0;
}

int HttpServer::Impl::onBody(lws* wsi, const char* data, size_t len) {
  auto it = exchanges.find(wsi);
  if (it == exchanges.end() || it->second->response) return 0;  // drop bytes after a reply
  Exchange& ex = *it->second;
  if (ex.request.body.size() + len > options.maxBodyBytes) {  // more than Content-Length said
    ex.request.body.clear();
    reply(it->second, textResponse(413, "request body too large\n"), true);
    return 0;
  }
  ex.request.body.append(data, len);
  return 0;
}

void HttpServer::Impl::dispatch(const std::shared_ptr<Exchange>& exchange) {
  exchange->dispatched = true;
  const HttpRequest& req = exchange->request;
  // The most specific prefix owns the path; its methods decide between handler and 405.
  const std::string* owner = nullptr;
  for (const auto& route : routes) {
    if (prefixMatches(route.prefix, req.path) && (!owner || route.prefix.size() > owner->size())) {
      owner = &route.prefix;
    }
  }
  if (!owner) return reply(exchange, textResponse(404, "not found\n"), false);
  const Route* best = nullptr;
  const Route* get = nullptr;
  std::string allow;
  for (const auto& route : routes) {
    if (route.prefix != *owner) continue;
    if (route.method == req.method) best = &route;
    if (route.method == "GET") get = &route;
    allow += (allow.empty() ? "" : ", ") + route.method;
  }
  if (!best && exchange->headOnly) best = get;
  if (!best) {
    HttpResponse response = textResponse(405, "method not allowed\n");
    response.headers.emplace_back("allow", std::move(allow));
    return reply(exchange, std::move(response), false);
  }
  lws_set_timeout(exchange->wsi, PENDING_TIMEOUT_HTTP_CONTENT, kHandlerTimeoutSecs);
  auto responder = std::make_shared<Responder>(exchange);
  try {
    best->handler(req, responder);
  } catch (const std::exception& e) {
    spdlog::error("http: handler for {} {} threw: {}", req.method, req.path, e.what());
    responder->respond(textResponse(500, "internal error\n"));
  }
}

int HttpServer::Impl::onWriteable(lws* wsi) {
  auto it = exchanges.find(wsi);
  if (it == exchanges.end() || !it->second->response) return 0;
  std::shared_ptr<Exchange> exchange = it->second;
  const HttpResponse& response = *exchange->response;
  const bool sendBody = !exchange->headOnly && !response.body.empty();

  if (!exchange->headersSent) {
    size_t capacity = kHeaderBlockSlack;
    for (const auto& [name, value] : response.headers) {
      capacity += name.size() + value.size() + kPerHeaderSlack;
    }
    std::vector<unsigned char> buffer(LWS_PRE + capacity);
    unsigned char* start = buffer.data() + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer.data() + buffer.size();
    auto add = [&](const std::string& key, std::string_view value) {
      return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(key.c_str()),
                                         reinterpret_cast<const unsigned char*>(value.data()),
                                         static_cast<int>(value.size()), &p, end) == 0;
    };
    bool ok = lws_add_http_header_status(wsi, static_cast<unsigned>(response.status), &p, end) == 0;
    for (const auto& [name, value] : response.headers) {
      std::string key = lowerCase(name) + ":";
      if (key.find_first_of("\r\n") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        spdlog::warn("http: dropping response header {:?} with a line break", name);
        continue;  // would let a handler bug inject headers or split the response
      }
      if (key != "content-length:" && key != "connection:") ok = ok && add(key, value);
    }
    if (exchange->closeAfterResponse) ok = ok && add("connection:", "close");
    // Set by hand rather than lws_add_http_header_content_length(): for HEAD no body follows.
    ok = ok && add("content-length:", std::to_string(response.body.size()));
    ok = ok && lws_finalize_http_header(wsi, &p, end) == 0;
    if (!ok || lws_write(wsi, start, static_cast<size_t>(p - start), LWS_WRITE_HTTP_HEADERS) < 0) {
      return -1;
    }
    exchange->headersSent = true;
    if (sendBody) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  } else if (sendBody) {
    size_t n = std::min(kBodyChunkBytes, response.body.size() - exchange->bodyOffset);
    std::vector<unsigned char> buffer(LWS_PRE + n);
    std::copy_n(response.body.data() + exchange->bodyOffset, n, buffer.data() + LWS_PRE);
    exchange->bodyOffset += n;
    bool last = exchange->bodyOffset == response.body.size();
    if (lws_write(wsi, buffer.data() + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
        0) {
      return -1;
    }
    if (!last) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  }
  // Response complete: close if asked to (lws flushes buffered output first), otherwise
  // let lws wait for the next request on this keep-alive connection.
  if (exchange->closeAfterResponse) return -1;
  forget(wsi);
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

// True once lws's static handles are gone and no handle on the loop is mid-close (the latter
// also covers lws's socket polls, and guards against an lws build without static handles).
bool HttpServer::Impl::lwsHandlesClosed() const {
  auto live = loopHandles(loop);
  return std::none_of(live.begin(), live.end(), [&](uv_handle_t* h) {
    return uv_is_closing(h) ||
           std::find(lwsStaticHandles.begin(), lwsStaticHandles.end(), h) != lwsStaticHandles.end();
  });
}

void HttpServer::Impl::beginTeardown(std::shared_ptr<Impl> self) {
  for (auto& entry : exchanges)
    entry.second->wsi = nullptr;  // responders go dead now
  exchanges.clear();
  dying = context;
  context = nullptr;
  lws_context_destroy(dying);  // first call: closes every wsi and lws handle asynchronously
  selfDuringTeardown = std::move(self);
  teardownStartMs = uv_now(loop);
  uv_timer_init(loop, &reaper);
  reaper.data = this;
  uv_timer_start(&reaper, &Impl::reap, kTeardownPollMs, kTeardownPollMs);
}

void HttpServer::Impl::reap(uv_timer_t* timer) {
  auto* self = static_cast<Impl*>(timer->data);
  if (self->dying) {
    bool giveUp = uv_now(self->loop) - self->teardownStartMs > kTeardownGiveUpMs;
    if (giveUp) {
      spdlog::error("http: lws did not leave the uv loop; leaking its context");
    } else if (!self->lwsHandlesClosed()) {
      return;
    } else {
      lws_context_destroy(self->dying);  // second call: frees the context and nulls `dying`
      if (self->dying) return;           // lws deferred the rest; try again
      spdlog::debug("http: lws context destroyed");
    }
  }
  uv_timer_stop(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* h) {
    // Drop the last reference once libuv is done with the handle embedded in Impl.
    auto keep = std::move(static_cast<Impl*>(h->data)->selfDuringTeardown);
  });
}

HttpServer::HttpServer(uv_loop_t* loop, HttpServerOptions options)
    : impl_(std::make_shared<Impl>()) {
  impl_->loop = loop;
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::route(std::string method, std::string pathPrefix, HttpHandler handler) {
  impl_->routes.push_back({std::move(method), std::move(pathPrefix), std::move(handler)});
}

uint16_t HttpServer::boundPort() const {
  return impl_->port;
}

std::optional<std::string> HttpServer::start() {
  Impl& impl = *impl_;
  if (impl.used) return "HttpServer::start() may be called only once";
  impl.used = true;
  in6_addr scratch{};
  if (inet_pton(AF_INET, impl.options.host.c_str(), &scratch) != 1 &&
      inet_pton(AF_INET6, impl.options.host.c_str(), &scratch) != 1) {
    // lws would take it as an interface name and quietly defer listening until one appears.
    return "'" + impl.options.host + "' is not an IPv4 or IPv6 address";
  }
  bool trace = spdlog::default_logger()->should_log(spdlog::level::trace);
  lws_set_log_level(kLwsLogLevels | (trace ? kLwsTraceLogLevels : 0), lwsLogToSpdlog);

  impl.protocols[0].name = kProtocolName;
  impl.protocols[0].callback = &Impl::callback;

  void* foreignLoops[] = {impl.loop};
  lws_context_creation_info info{};
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.foreign_loops = foreignLoops;
  info.pcontext = &impl.dying;
  info.user = &impl;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.max_http_header_data = kMaxHeaderBytes;
  info.max_http_header_pool = kHeaderPoolSize;
  info.timeout_secs = kStalledRequestTimeoutSecs;
  info.keepalive_timeout = kKeepAliveTimeoutSecs;

  auto before = loopHandles(impl.loop);
  impl.context = lws_create_context(&info);
  if (!impl.context) return "lws_create_context failed (is libwebsockets-evlib-uv installed?)";
  for (uv_handle_t* h : loopHandles(impl.loop)) {
    // Remember lws's per-thread idle/timer handles (not the heap-allocated socket polls).
    if (h->type != UV_POLL && std::find(before.begin(), before.end(), h) == before.end()) {
      impl.lwsStaticHandles.push_back(h);
    }
  }

  lws_context_creation_info vhostInfo{};
  bool ipv6 = impl.options.host.find(':') != std::string::npos;
  vhostInfo.options = ipv6 ? 0 : LWS_SERVER_OPTION_DISABLE_IPV6;  // else v4 peers show as ::ffff:
  vhostInfo.port = impl.options.port;
  vhostInfo.iface = impl.options.host.c_str();
  vhostInfo.protocols = impl.protocols;
  vhostInfo.vhost_name = kProtocolName;
  lws_vhost* vhost = lws_create_vhost(impl.context, &vhostInfo);
  if (!vhost || lws_get_vhost_listen_port(vhost) <= 0) {
    std::string reason = bindFailureReason(impl.options.host, impl.options.port);
    stop();
    return reason;
  }
  impl.port = static_cast<uint16_t>(lws_get_vhost_listen_port(vhost));
  return std::nullopt;
}

void HttpServer::stop() {
  if (impl_->context) impl_->beginTeardown(impl_);
}

}  // namespace switchyard::control
