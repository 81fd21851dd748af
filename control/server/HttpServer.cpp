#include "HttpServer.hpp"

#include <libwebsockets.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace switchyard::control {
static lws_context* probeCtx;

namespace {

// Header block limit per connection: larger request heads are refused by lws (431 or close).
constexpr unsigned kMaxHeaderBytes = 8192;
// Connections that may be parsing headers at once; more wait in the kernel backlog.
constexpr unsigned kHeaderPoolSize = 64;
// A peer that stalls mid-request (slowloris, truncated request) is dropped after this.
constexpr unsigned kStalledRequestTimeoutSecs = 10;
// Idle keep-alive connections are closed after this.
constexpr int kKeepAliveTimeoutSecs = 30;
// An async handler that never responds must not pin the connection forever.
constexpr int kHandlerTimeoutSecs = 60;
// Response body bytes written per writeable callback, so one big body can't starve the loop.
constexpr size_t kBodyChunkBytes = 16 * 1024;
// Room for the status line plus per-header framing when serialising response headers.
constexpr size_t kHeaderBlockSlack = 512;
constexpr size_t kPerHeaderSlack = 8;
// lws log levels we route into spdlog; LLL_INFO and below are too chatty for production.
constexpr int kLwsLogLevels = LLL_ERR | LLL_WARN | LLL_NOTICE;
constexpr const char* kProtocolName = "switchyard-http";

void lwsLogToSpdlog(int level, const char* line) {
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
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

// Copies a header lws has parsed into its table; lws joins repeated headers with ','.
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
  std::string key = lowerName + ":";  // lws stores custom names with their colon
  int len = lws_hdr_custom_length(wsi, key.c_str(), static_cast<int>(key.size()));
  if (len < 0) return std::nullopt;
  std::string value(static_cast<size_t>(len) + 1, '\0');
  int copied =
      lws_hdr_custom_copy(wsi, value.data(), len + 1, key.c_str(), static_cast<int>(key.size()));
  if (copied < 0) return std::nullopt;
  value.resize(static_cast<size_t>(copied));
  return value;
}

}  // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view lowerName) const {
  for (const auto& [name, value] : headers) {
    if (name == lowerName) return std::string_view(value);
  }
  return std::nullopt;
}

// One request/response exchange on a connection. Shared with the responder, which may outlive
// the connection: wsi becomes null when lws closes it, turning respond() into a no-op.
struct Exchange {
  lws* wsi = nullptr;
  HttpRequest request;
  bool headOnly = false;
  bool dispatched = false;
  bool bodyTooLarge = false;
  bool closeAfterResponse = false;
  std::optional<HttpResponse> response;
  bool headersSent = false;
  size_t bodyOffset = 0;
};

struct HttpServer::Impl {
  struct Route {
    std::string method;
    std::string prefix;
    HttpHandler handler;
  };

  uv_loop_t* loop;
  HttpServerOptions options;
  std::vector<Route> routes;
  lws_context* context = nullptr;
  lws_vhost* vhost = nullptr;
  uint16_t port = 0;
  std::unordered_map<lws*, std::shared_ptr<Exchange>> exchanges;
  lws_protocols protocols[2]{};

  static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  int onHttp(lws* wsi, std::string_view uri);
  int onBody(lws* wsi, const char* data, size_t len);
  int onWriteable(lws* wsi);
  void dispatch(const std::shared_ptr<Exchange>& exchange);
  void forget(lws* wsi);
};

namespace {

class Responder final : public HttpResponder {
 public:
  explicit Responder(std::shared_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}
  void respond(HttpResponse response) override {
    if (!exchange_->wsi || exchange_->response) return;
    exchange_->response = std::move(response);
    lws_callback_on_writable(exchange_->wsi);
  }
  bool connectionAlive() const override { return exchange_->wsi != nullptr; }

 private:
  std::shared_ptr<Exchange> exchange_;
};

}  // namespace

void HttpServer::Impl::forget(lws* wsi) {
  auto it = exchanges.find(wsi);
  if (it == exchanges.end()) return;
  it->second->wsi = nullptr;
  exchanges.erase(it);
}

int HttpServer::Impl::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                               size_t len) {
  auto* self = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
  fprintf(stderr, "PROBE cb reason %d wsi %p\n", (int)reason, (void*)wsi);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      return self->onHttp(wsi, std::string_view(static_cast<const char*>(in), len));
    case LWS_CALLBACK_HTTP_BODY:
      return self->onBody(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
      auto it = self->exchanges.find(wsi);
      if (it != self->exchanges.end() && !it->second->dispatched) self->dispatch(it->second);
      return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return self->onWriteable(wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_WSI_DESTROY:
      self->forget(wsi);
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

int HttpServer::Impl::onHttp(lws* wsi, std::string_view uri) {
  auto exchange = std::make_shared<Exchange>();
  exchange->wsi = wsi;
  forget(wsi);  // a keep-alive connection's previous exchange is finished
  exchanges[wsi] = exchange;

  char* uriPtr = nullptr;
  int uriLen = 0;
  const char* method = methodName(lws_http_get_uri_and_method(wsi, &uriPtr, &uriLen));
  HttpRequest& req = exchange->request;
  req.path = uri;
  if (auto query = copyToken(wsi, WSI_TOKEN_HTTP_URI_ARGS)) req.query = std::move(*query);
  char peer[64] = {};
  if (lws_get_peer_simple(wsi, peer, sizeof(peer))) req.peerAddress = peer;
  for (int t = 0; t < WSI_TOKEN_COUNT; ++t) {
    auto token = static_cast<lws_token_indexes>(t);
    const auto* name = reinterpret_cast<const char*>(lws_token_to_string(token));
    // Only real "name:" headers; skip request-line pseudo tokens like "get " and ":path".
    if (!name || !*name || name[0] == ':' || name[std::strlen(name) - 1] != ':') continue;
    if (auto value = copyToken(wsi, token)) {
      req.headers.emplace_back(std::string(name, std::strlen(name) - 1), std::move(*value));
    }
  }
  for (const auto& name : options.extraHeaders) {
    if (auto value = copyCustom(wsi, name)) req.headers.emplace_back(name, std::move(*value));
  }

  if (!method) {
    exchange->closeAfterResponse = true;
    exchange->response = textResponse(501, "method not implemented\n");
    lws_callback_on_writable(wsi);
    return 0;
  }
  req.method = method;
  exchange->headOnly = req.method == "HEAD";

  auto contentLength = req.header("content-length");
  bool chunked = req.header("transfer-encoding").has_value();
  if (contentLength) {
    unsigned long long declared = 0;
    auto [end, ec] = std::from_chars(contentLength->data(),
                                     contentLength->data() + contentLength->size(), declared);
    if (ec != std::errc() || end != contentLength->data() + contentLength->size()) {
      exchange->closeAfterResponse = true;
      exchange->response = textResponse(400, "bad content-length\n");
      lws_callback_on_writable(wsi);
      return 0;
    }
    if (declared > options.maxBodyBytes) {
      // Refuse up front; the connection is closed after the reply so the body is never read.
      exchange->bodyTooLarge = true;
      exchange->closeAfterResponse = true;
      exchange->response = textResponse(413, "request body too large\n");
      lws_callback_on_writable(wsi);
      return 0;
    }
    if (declared > 0) {
      exchange->request.body.reserve(declared);
      return 0;  // wait for LWS_CALLBACK_HTTP_BODY_COMPLETION
    }
  } else if (chunked) {
    return 0;
  }
  dispatch(exchange);
  return 0;
}

int HttpServer::Impl::onBody(lws* wsi, const char* data, size_t len) {
  auto it = exchanges.find(wsi);
  if (it == exchanges.end()) return 0;
  Exchange& ex = *it->second;
  if (ex.bodyTooLarge || ex.response) return 0;  // drop the excess, a 413 is on its way
  if (ex.request.body.size() + len > options.maxBodyBytes) {
    ex.bodyTooLarge = true;
    ex.closeAfterResponse = true;
    ex.request.body.clear();
    ex.response = textResponse(413, "request body too large\n");
    lws_callback_on_writable(wsi);
    return 0;
  }
  ex.request.body.append(data, len);
  return 0;
}

void HttpServer::Impl::dispatch(const std::shared_ptr<Exchange>& exchange) {
  exchange->dispatched = true;
  const HttpRequest& req = exchange->request;
  const Route* best = nullptr;
  const Route* bestGet = nullptr;
  std::vector<std::string> allowed;
  size_t allowedPrefixLen = 0;
  for (const auto& route : routes) {
    if (!prefixMatches(route.prefix, req.path)) continue;
    // Allow lists the methods of the most specific matching prefix.
    if (route.prefix.size() > allowedPrefixLen || allowed.empty()) {
      allowed.clear();
      allowedPrefixLen = route.prefix.size();
    }
    if (route.prefix.size() == allowedPrefixLen) allowed.push_back(route.method);
    if (route.method == req.method && (!best || route.prefix.size() > best->prefix.size())) {
      best = &route;
    }
    if (route.method == "GET" && (!bestGet || route.prefix.size() > bestGet->prefix.size())) {
      bestGet = &route;
    }
  }
  if (!best && exchange->headOnly) best = bestGet;

  lws_set_timeout(exchange->wsi, PENDING_TIMEOUT_HTTP_CONTENT, kHandlerTimeoutSecs);
  auto responder = std::make_shared<Responder>(exchange);
  if (!best) {
    if (allowed.empty()) {
      responder->respond(textResponse(404, "not found\n"));
      return;
    }
    std::string allow;
    for (const auto& m : allowed)
      allow += (allow.empty() ? "" : ", ") + m;
    HttpResponse response = textResponse(405, "method not allowed\n");
    response.headers.emplace_back("allow", std::move(allow));
    responder->respond(std::move(response));
    return;
  }
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
  bool sendBody = !exchange->headOnly && !response.body.empty();

  if (!exchange->headersSent) {
    size_t capacity = kHeaderBlockSlack;
    for (const auto& [name, value] : response.headers) {
      capacity += name.size() + value.size() + kPerHeaderSlack;
    }
    std::vector<unsigned char> buffer(LWS_PRE + capacity);
    unsigned char* start = buffer.data() + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer.data() + buffer.size();
    if (lws_add_http_header_status(wsi, static_cast<unsigned>(response.status), &p, end)) return -1;
    for (const auto& [name, value] : response.headers) {
      std::string key = lowerCase(name) + ":";
      if (key == "content-length:") continue;  // always derived from the body below
      if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(key.c_str()),
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), &p, end)) {
        return -1;
      }
    }
    if (exchange->closeAfterResponse &&
        lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                     reinterpret_cast<const unsigned char*>("close"), 5, &p, end)) {
      return -1;
    }
    if (lws_add_http_header_content_length(wsi, response.body.size(), &p, end) ||
        lws_finalize_http_header(wsi, &p, end)) {
      return -1;
    }
    exchange->headersSent = true;
    auto type = sendBody ? LWS_WRITE_HTTP_HEADERS : LWS_WRITE_HTTP_HEADERS;
    if (lws_write(wsi, start, static_cast<size_t>(p - start), type) < 0) return -1;
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
  // Response complete: close if asked to, otherwise let lws wait for the next keep-alive request.
  if (exchange->closeAfterResponse) return -1;
  forget(wsi);
  return lws_http_transaction_completed(wsi) ? -1 : 0;
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
  if (impl_->context) return "already started";
  lws_set_log_level(kLwsLogLevels, lwsLogToSpdlog);

  Impl& impl = *impl_;
  impl.protocols[0] = lws_protocols{};
  impl.protocols[0].name = kProtocolName;
  impl.protocols[0].callback = reinterpret_cast<lws_callback_function*>(&Impl::callback);

  void* foreignLoops[] = {impl.loop};
  lws_context_creation_info info{};
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.foreign_loops = foreignLoops;
  info.user = &impl;
  info.max_http_header_data = kMaxHeaderBytes;
  info.max_http_header_pool = kHeaderPoolSize;
  info.timeout_secs = kStalledRequestTimeoutSecs;
  info.keepalive_timeout = kKeepAliveTimeoutSecs;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.pcontext = &probeCtx;
  impl.context = lws_create_context(&info);
  probeCtx = impl.context;
  if (!impl.context) return "lws_create_context failed (is the libuv evlib plugin installed?)";

  lws_context_creation_info vinfo{};
  vinfo.options =
      impl.options.host.find(':') == std::string::npos ? LWS_SERVER_OPTION_DISABLE_IPV6 : 0;
  vinfo.port = impl.options.port;
  vinfo.iface = impl.options.host.c_str();
  vinfo.protocols = impl.protocols;
  vinfo.vhost_name = "default";
  vinfo.finalize = [](lws_vhost*, void*) { fprintf(stderr, "PROBE finalize\n"); };
  impl.vhost = lws_create_vhost(impl.context, &vinfo);
  if (!impl.vhost) {
    stop();
    return "cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port);
  }
  impl.port = static_cast<uint16_t>(lws_get_vhost_listen_port(impl.vhost));
  return std::nullopt;
}

void HttpServer::stop() {
  fprintf(stderr, "PROBE stop: probeCtx %p\n", (void*)probeCtx);
  if (!impl_->context) return;
  lws_context* context = impl_->context;
  impl_->context = nullptr;
  impl_->vhost = nullptr;
  fprintf(stderr, "PROBE destroy begin\n");
  lws_context_destroy(context);
  fprintf(stderr, "PROBE destroy end %p\n", (void*)probeCtx);
  auto* idle = new uv_idle_t;
  idle->data = context;
  uv_idle_init(impl_->loop, idle);
  uv_idle_start(idle, [](uv_idle_t* h) {
    static int n;
    fprintf(stderr, "PROBE idle %d ctx %p\n", n++, (void*)probeCtx);
    if (!probeCtx) {
      uv_close((uv_handle_t*)h, [](uv_handle_t* h) { delete (uv_idle_t*)h; });
      return;
    }
    lws_context_destroy(static_cast<lws_context*>(h->data));
  });
}

}  // namespace switchyard::control
