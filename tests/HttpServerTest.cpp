// Tests for control/server/HttpServer: a real lws server on the test's own uv loop, with
// blocking-socket clients on a helper thread.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "control/server/HttpServer.hpp"

namespace switchyard::control {
namespace {

constexpr int kWatchdogMs = 10000;         // a hung test fails instead of blocking CI
constexpr int kClientRecvTimeoutSecs = 5;  // blocking reads never wait forever
constexpr uint64_t kAsyncDelayMs = 50;

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Blocking HTTP/1.1 client over one TCP connection.
class Client {
 public:
  explicit Client(uint16_t port, const char* host = "127.0.0.1") {
    bool v6 = std::string_view(host).find(':') != std::string_view::npos;
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    timeval tv{kClientRecvTimeoutSecs, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      inet_pton(AF_INET6, host, &a->sin6_addr);
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&addr);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      inet_pton(AF_INET, host, &a->sin_addr);
      len = sizeof(*a);
    }
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) disconnect();
  }
  ~Client() { disconnect(); }
  void disconnect() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response; a HEAD response carries content-length but no body.
  std::optional<Response> read(bool head = false) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    Response r;
    std::string block = buffer_.substr(0, end);
    if (block.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    r.status = std::stoi(block.substr(9, 3));
    for (size_t pos = block.find("\r\n"); pos != std::string::npos;) {
      size_t next = block.find("\r\n", pos + 2);
      std::string line = block.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      pos = next;
    }
    size_t length =
        head || !r.headers.count("content-length") ? 0 : std::stoul(r.headers["content-length"]);
    while (buffer_.size() < end + 4 + length) {
      if (!fill()) return std::nullopt;
    }
    r.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return r;
  }

  std::optional<Response> request(const std::string& method, const std::string& path,
                                  const std::string& body = "",
                                  const std::string& extraHeaders = "") {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: test\r\n" + extraHeaders;
    // Like browsers, send Content-Length: 0 for body-carrying methods without a body.
    bool bodyMethod = method == "POST" || method == "PUT" || method == "PATCH";
    if (!body.empty() || bodyMethod) {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    if (!send(req + "\r\n" + body)) return std::nullopt;
    return read(method == "HEAD");
  }

  // True if the server closes the connection (EOF or reset) before the receive timeout.
  bool waitForClose() {
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }
  const std::string& unparsed() const { return buffer_; }

 private:
  bool fill() {
    char buf[16384];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buffer_;
};

HttpResponse text(std::string body) {
  return HttpResponse{200, {{"content-type", "text/plain"}}, std::move(body)};
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }

  void TearDown() override {
    server_.reset();  // the destructor must also leave nothing behind
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left on the loop";
  }

  HttpServer& makeServer(HttpServerOptions options = {}) {
    options.port = 0;
    server_ = std::make_unique<HttpServer>(&loop_, std::move(options));
    return *server_;
  }

  uint16_t start() {
    auto error = server_->start();
    EXPECT_FALSE(error.has_value()) << *error;
    EXPECT_NE(server_->boundPort(), 0);
    return server_->boundPort();
  }

  // Runs `client` on a thread while this thread runs the loop; when the client is done the
  // server is stopped from the loop thread, and uv_run must then return by itself.
  void runClient(const std::function<void()>& client) {
    done_.data = this;
    uv_async_init(&loop_, &done_, [](uv_async_t* async) {
      auto* self = static_cast<HttpServerTest*>(async->data);
      self->server_->stop();
      uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&self->watchdog_))) {
        uv_close(reinterpret_cast<uv_handle_t*>(&self->watchdog_), nullptr);
      }
    });
    watchdog_.data = this;
    uv_timer_init(&loop_, &watchdog_);
    uv_timer_start(
        &watchdog_,
        [](uv_timer_t* timer) {
          ADD_FAILURE() << "watchdog fired";
          static_cast<HttpServerTest*>(timer->data)->server_->stop();  // unblocks the client
          uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
        },
        kWatchdogMs, 0);
    std::thread thread([&] {
      client();
      uv_async_send(&done_);
    });
    uv_run(&loop_, UV_RUN_DEFAULT);
    thread.join();
  }

  uv_loop_t loop_{};
  uv_async_t done_{};
  uv_timer_t watchdog_{};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, GetReturnsBodyAndContentLength) {
  HttpRequest seen;
  makeServer().route("GET", "/hello", [&](const HttpRequest& req, auto responder) {
    seen = req;
    responder->respond({200, {{"Content-Type", "text/plain"}, {"x-extra", "1"}}, "hi there"});
  });
  uint16_t port = start();
  std::optional<Response> r;
  runClient([&] {
    Client c(port);
    r = c.request("GET", "/hello/world?a=1&b=x%26y", "", "X-Token: t1\r\nAccept: text/plain\r\n");
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hi there");
  EXPECT_EQ(r->headers["content-length"], "8");
  EXPECT_EQ(r->headers["content-type"], "text/plain");
  EXPECT_EQ(r->headers["x-extra"], "1");
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/hello/world");
  EXPECT_EQ(seen.query, "a=1&b=x%26y");
  EXPECT_EQ(seen.peerAddress, "127.0.0.1");
  EXPECT_EQ(seen.header("accept"), "text/plain");
  EXPECT_EQ(seen.header("host"), "test");
  EXPECT_FALSE(seen.header("x-token")) << "custom headers are only captured when configured";
}

TEST_F(HttpServerTest, ConfiguredCustomHeaderIsCaptured) {
  std::optional<std::string> token;
  HttpServerOptions options;
  options.extraHeaders = {"x-token"};
  makeServer(options).route("GET", "/", [&](const HttpRequest& req, auto responder) {
    if (auto v = req.header("x-token")) token = std::string(*v);
    responder->respond(text("ok"));
  });
  uint16_t port = start();
  runClient([&] { Client(port).request("GET", "/", "", "X-Token: secret\r\n"); });
  EXPECT_EQ(token, "secret");
}

TEST_F(HttpServerTest, PostBodyIsEchoed) {
  makeServer().route("POST", "/echo", [](const HttpRequest& req, auto responder) {
    responder->respond(text(req.body));
  });
  uint16_t port = start();
  std::string big(200 * 1024, 'x');  // spans many lws body callbacks and response chunks
  for (size_t i = 0; i < big.size(); i += 7)
    big[i] = static_cast<char>('a' + i % 26);
  std::optional<Response> small, large;
  runClient([&] {
    Client c(port);
    small = c.request("POST", "/echo", "ping-data");
    large = c.request("POST", "/echo", big);
  });
  ASSERT_TRUE(small && large);
  EXPECT_EQ(small->status, 200);
  EXPECT_EQ(small->body, "ping-data");
  EXPECT_EQ(large->headers["content-length"], std::to_string(big.size()));
  EXPECT_TRUE(large->body == big);
}

TEST_F(HttpServerTest, EveryMethodReachesItsHandler) {
  std::vector<std::string> seen;
  HttpServer& server = makeServer();
  for (const char* m : {"PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}) {
    server.route(m, "/r", [&](const HttpRequest& req, auto responder) {
      seen.push_back(req.method + ":" + req.body);
      responder->respond(text("m=" + req.method));
    });
  }
  uint16_t port = start();
  std::vector<std::optional<Response>> rs;
  runClient([&] {
    Client c(port);  // all on one keep-alive connection, HEAD included
    for (const char* m : {"PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}) {
      rs.push_back(c.request(m, "/r", std::string(m) == "PATCH" ? "{\"a\":1}" : ""));
    }
  });
  ASSERT_EQ(rs.size(), 5u);
  for (auto& r : rs)
    ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(rs[0]->body, "m=PUT");
  EXPECT_EQ(rs[1]->body, "m=PATCH");
  EXPECT_EQ(rs[3]->body, "m=OPTIONS");
  EXPECT_EQ(rs[4]->body, "");                        // HEAD: no body...
  EXPECT_EQ(rs[4]->headers["content-length"], "6");  // ...but the real length
  EXPECT_EQ(seen,
            (std::vector<std::string>{"PUT:", "PATCH:{\"a\":1}", "DELETE:", "OPTIONS:", "HEAD:"}));
}

TEST_F(HttpServerTest, HeadFallsBackToGetRoute) {
  makeServer().route("GET", "/doc", [](const HttpRequest&, auto r) { r->respond(text("12345")); });
  uint16_t port = start();
  std::optional<Response> head, get;
  runClient([&] {
    Client c(port);
    head = c.request("HEAD", "/doc");
    get = c.request("GET", "/doc");  // proves no body bytes followed the HEAD response
  });
  ASSERT_TRUE(head && get);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["content-length"], "5");
  EXPECT_EQ(get->body, "12345");
}

TEST_F(HttpServerTest, PostWithoutContentLengthIsServedThenClosed) {
  makeServer().route("POST", "/p", [](const HttpRequest& req, auto r) {
    r->respond(text("len=" + std::to_string(req.body.size())));
  });
  uint16_t port = start();
  std::optional<Response> r;
  bool closed = false;
  runClient([&] {
    Client c(port);
    c.send("POST /p HTTP/1.1\r\nHost: t\r\n\r\n");
    r = c.read();
    closed = c.waitForClose();  // lws 4.1 would read what follows as body, so no keep-alive
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "len=0");
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, AsyncHandlerRespondsFromTimer) {
  makeServer().route("GET", "/slow", [this](const HttpRequest&, auto responder) {
    auto* timer = new uv_timer_t;
    timer->data = new std::shared_ptr<HttpResponder>(responder);
    uv_timer_init(&loop_, timer);
    uv_timer_start(
        timer,
        [](uv_timer_t* t) {
          auto* held = static_cast<std::shared_ptr<HttpResponder>*>(t->data);
          EXPECT_TRUE((*held)->connectionAlive());
          (*held)->respond(text("late"));
          (*held)->respond(text("twice"));  // second call is ignored
          delete held;
          uv_close(reinterpret_cast<uv_handle_t*>(t),
                   [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
        },
        kAsyncDelayMs, 0);
  });
  uint16_t port = start();
  std::optional<Response> r, again;
  std::chrono::milliseconds elapsed{};
  runClient([&] {
    Client c(port);
    auto t0 = std::chrono::steady_clock::now();
    r = c.request("GET", "/slow");
    elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    again = c.request("GET", "/slow");
  });
  ASSERT_TRUE(r && again);
  EXPECT_EQ(r->body, "late");
  EXPECT_EQ(again->body, "late");
  EXPECT_GE(elapsed.count(), static_cast<long>(kAsyncDelayMs) - 5);
}

TEST_F(HttpServerTest, RoutingNotFoundMethodNotAllowedAndLongestPrefix) {
  HttpServer& server = makeServer();
  auto reply = [](std::string body) {
    return [body](const HttpRequest&, auto r) { r->respond(text(body)); };
  };
  server.route("GET", "/", reply("root"));
  server.route("GET", "/api", reply("api-get"));
  server.route("DELETE", "/api", reply("api-delete"));
  server.route("GET", "/api/rooms", reply("rooms"));
  server.route("POST", "/whip", reply("whip"));
  uint16_t port = start();
  std::map<std::string, std::optional<Response>> rs;
  runClient([&] {
    Client c(port);
    rs["root"] = c.request("GET", "/elsewhere");
    rs["api"] = c.request("GET", "/api/x");
    rs["rooms"] = c.request("GET", "/api/rooms/7");
    rs["apix"] = c.request("GET", "/apix");  // segment boundary: falls back to "/"
    rs["405"] = c.request("PUT", "/api/x");
    rs["405whip"] = c.request("GET", "/whip/abc");
  });
  for (auto& [k, r] : rs)
    ASSERT_TRUE(r) << k;
  EXPECT_EQ(rs["root"]->body, "root");
  EXPECT_EQ(rs["api"]->body, "api-get");
  EXPECT_EQ(rs["rooms"]->body, "rooms");
  EXPECT_EQ(rs["apix"]->body, "root");
  EXPECT_EQ(rs["405"]->status, 405);
  EXPECT_EQ(rs["405"]->headers["allow"], "GET, DELETE");
  EXPECT_EQ(rs["405whip"]->status, 405);
  EXPECT_EQ(rs["405whip"]->headers["allow"], "POST");
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  makeServer().route("GET", "/api", [](const HttpRequest&, auto r) { r->respond(text("x")); });
  uint16_t port = start();
  std::optional<Response> r, after;
  runClient([&] {
    Client c(port);
    r = c.request("GET", "/nope");
    after = c.request("GET", "/api");  // connection stays usable after a 404
  });
  ASSERT_TRUE(r && after);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, TooLargeBodyIs413AndHandlerNotCalled) {
  bool called = false;
  HttpServerOptions options;
  options.maxBodyBytes = 1024;
  makeServer(options).route("POST", "/up", [&](const HttpRequest&, auto r) {
    called = true;
    r->respond(text("ok"));
  });
  uint16_t port = start();
  std::optional<Response> declared, ok;
  bool closed = false;
  runClient([&] {
    Client c(port);
    // Only the head is sent: the server must answer from Content-Length alone.
    c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n");
    declared = c.read();
    closed = c.waitForClose();
    ok = Client(port).request("POST", "/up", std::string(1024, 'a'));  // exactly the limit
  });
  ASSERT_TRUE(declared && ok);
  EXPECT_EQ(declared->status, 413);
  EXPECT_TRUE(closed);
  EXPECT_EQ(ok->status, 200);
  EXPECT_TRUE(called);
}

TEST_F(HttpServerTest, HandlerFaultsBecomeSafeResponses) {
  HttpServer& server = makeServer();
  server.route("GET", "/throw",
               [](const HttpRequest&, auto) -> void { throw std::runtime_error("boom"); });
  server.route("GET", "/inject", [](const HttpRequest&, auto r) {
    r->respond({200, {{"x-ok", "1"}, {"x-bad", "v\r\nx-injected: 1"}}, "body"});
  });
  uint16_t port = start();
  std::optional<Response> thrown, injected;
  runClient([&] {
    Client c(port);
    thrown = c.request("GET", "/throw");
    injected = c.request("GET", "/inject");
  });
  ASSERT_TRUE(thrown && injected);
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(injected->body, "body");
  EXPECT_EQ(injected->headers["x-ok"], "1");
  EXPECT_FALSE(injected->headers.count("x-bad") || injected->headers.count("x-injected"));
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  int count = 0;
  makeServer().route(
      "GET", "/n", [&](const HttpRequest&, auto r) { r->respond(text(std::to_string(++count))); });
  uint16_t port = start();
  std::optional<Response> a, b, c3;
  runClient([&] {
    Client c(port);
    a = c.request("GET", "/n");
    b = c.request("GET", "/n");
    // Two pipelined requests in one write are answered in order.
    c.send("GET /n HTTP/1.1\r\nHost: t\r\n\r\nGET /n HTTP/1.1\r\nHost: t\r\n\r\n");
    c.read();
    c3 = c.read();
  });
  ASSERT_TRUE(a && b && c3);
  EXPECT_EQ(a->body, "1");
  EXPECT_EQ(b->body, "2");
  EXPECT_EQ(c3->body, "4");
}

TEST_F(HttpServerTest, BadInputNeverBreaksTheServer) {
  makeServer().route("GET", "/ok", [](const HttpRequest&, auto r) { r->respond(text("fine")); });
  uint16_t port = start();
  // Each probe must end in a 4xx response or a closed connection.
  std::vector<std::string> probes = {
      std::string("\x00\x01\x02garbage\xff\xfe\r\n\r\n", 15),
      "NOT-HTTP AT ALL\r\n\r\n",
      "GET /ok HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n",
      "GET /ok HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n",
      "GET /ok HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  };
  std::vector<std::string> outcomes;
  std::optional<Response> after;
  runClient([&] {
    for (const auto& probe : probes) {
      Client c(port);
      c.send(probe);
      bool closed = c.waitForClose();
      const std::string& got = c.unparsed();
      bool is4xx = got.rfind("HTTP/1.1 4", 0) == 0 || got.rfind("HTTP/1.0 4", 0) == 0;
      outcomes.push_back(closed && (got.empty() || is4xx) ? "ok" : "bad: " + got.substr(0, 40));
    }
    {
      Client truncated(port);
      truncated.send("GET /ok HTT");  // then vanish mid-request
    }
    after = Client(port).request("GET", "/ok");
  });
  for (size_t i = 0; i < outcomes.size(); ++i)
    EXPECT_EQ(outcomes[i], "ok") << "probe " << i;
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "fine");
}

TEST_F(HttpServerTest, ClientGoneBeforeAsyncRespondIsHarmless) {
  std::shared_ptr<HttpResponder> parked;
  std::optional<bool> aliveAtRespond;
  uv_timer_t timer;
  makeServer().route("GET", "/park",
                     [&](const HttpRequest&, auto responder) { parked = responder; });
  uint16_t port = start();
  uv_timer_init(&loop_, &timer);
  struct Ctx {
    std::shared_ptr<HttpResponder>* parked;
    std::optional<bool>* alive;
    int ticksLeft;
  } ctx{&parked, &aliveAtRespond, 40};
  timer.data = &ctx;
  uv_timer_start(
      &timer,
      [](uv_timer_t* t) {
        auto* c = static_cast<Ctx*>(t->data);
        if (!*c->parked && --c->ticksLeft > 0) return;  // request not in yet; poll again
        if (*c->parked) {
          *c->alive = (*c->parked)->connectionAlive();
          (*c->parked)->respond(text("too late"));  // must be a no-op
          c->parked->reset();
        }
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
      },
      300, 50);
  runClient([&] {
    {
      Client c(port);
      c.send("GET /park HTTP/1.1\r\nHost: t\r\n\r\n");
    }  // closed right away, before any response
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
  });
  EXPECT_EQ(aliveAtRespond, false);
}

TEST_F(HttpServerTest, StartOnPortInUseReturnsErrorAndLogsViaSpdlog) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  spdlog::set_level(spdlog::level::debug);

  HttpServer& first = makeServer();
  uint16_t port = start();
  HttpServerOptions clash;
  clash.port = port;
  HttpServer second(&loop_, clash);
  testing::internal::CaptureStderr();
  auto error = second.start();
  std::string stderrText = testing::internal::GetCapturedStderr();
  spdlog::set_default_logger(previous);

  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(*error, "Address already in use");
  EXPECT_EQ(stderrText, "") << "lws must not print to stderr by itself";
  bool lwsLogged = false;
  for (const auto& line : sink->last_formatted())
    lwsLogged |= line.find("lws: ") != std::string::npos;
  EXPECT_TRUE(lwsLogged);
  second.stop();
  first.stop();
  EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);
}

TEST_F(HttpServerTest, StartWithInvalidHostReturnsError) {
  HttpServerOptions options;
  options.host = "not-an-address";
  auto error = makeServer(options).start();
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("not an IPv4 or IPv6 address"), std::string::npos) << *error;
}

TEST_F(HttpServerTest, LoopFinishesAfterStopWithOpenKeepAliveConnection) {
  makeServer().route("GET", "/", [](const HttpRequest&, auto r) { r->respond(text("x")); });
  uint16_t port = start();
  Client idle(port);  // stays connected across stop()
  bool closedByServer = false;
  runClient([&] {
    idle.request("GET", "/");  // now an idle keep-alive connection
  });
  // runClient returned: uv_run ended although the connection was still open.
  closedByServer = idle.waitForClose();
  EXPECT_TRUE(closedByServer);
  EXPECT_EQ(uv_loop_close(&loop_), 0);
  ASSERT_EQ(uv_loop_init(&loop_), 0);  // for TearDown
}

TEST_F(HttpServerTest, StopFromInsideAHandler) {
  makeServer().route("POST", "/shutdown", [this](const HttpRequest&, auto responder) {
    responder->respond(text("bye"));
    server_->stop();  // inside an lws callback
    EXPECT_FALSE(responder->connectionAlive());
  });
  uint16_t port = start();
  Client c(port);
  ASSERT_TRUE(c.send("POST /shutdown HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);  // returns on its own: nothing else on the loop
  EXPECT_TRUE(c.waitForClose());
}

TEST_F(HttpServerTest, StopOutsideTheLoopThenRunDrains) {
  makeServer();
  start();
  uv_run(&loop_, UV_RUN_NOWAIT);  // let lws settle in
  server_->stop();                // loop not running now
  server_.reset();                // server object gone before lws has left the loop
  EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);
  EXPECT_EQ(uv_loop_close(&loop_), 0);
  ASSERT_EQ(uv_loop_init(&loop_), 0);
}

TEST_F(HttpServerTest, DestructorAloneReleasesTheLoop) {
  makeServer();
  start();
  server_.reset();
  EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);
  EXPECT_EQ(uv_loop_close(&loop_), 0);
  ASSERT_EQ(uv_loop_init(&loop_), 0);
}

TEST_F(HttpServerTest, ServesOnIpv6Loopback) {
  int probe = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool haveV6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  if (probe >= 0) close(probe);
  if (!haveV6) GTEST_SKIP() << "no IPv6 loopback here";

  std::string peer;
  HttpServerOptions options;
  options.host = "::1";
  makeServer(options).route("GET", "/", [&](const HttpRequest& req, auto r) {
    peer = req.peerAddress;
    r->respond(text("v6"));
  });
  uint16_t port = start();
  std::optional<Response> r;
  runClient([&] { r = Client(port, "::1").request("GET", "/"); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "v6");
  EXPECT_EQ(peer, "::1");
}

}  // namespace
}  // namespace switchyard::control
