#pragma once
// A tiny blocking HTTP/1.1 client for the load generator's WHIP/WHEP signaling: one request per
// connection ("Connection: close"), Content-Length or close-delimited bodies, no TLS, no
// redirects, no chunked bodies. Enough for POSTing an SDP offer, reading the 201 with its
// Location and answer, and DELETEing the session at the end.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::bench {

struct HttpUrl {
  std::string host;  // name or IP literal
  uint16_t port = 80;
  std::string path;  // "/..." (at least "/")

  // "http://host[:port][/path]"; false for anything else (https included).
  static bool parse(std::string_view text, HttpUrl& out);
};

struct HttpResponse {
  int status = 0;  // 0: no response (see error)
  std::string error;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The first header of that (lower-case) name, or empty.
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  static constexpr int kDefaultTimeoutMs = 10'000;
  static constexpr size_t kMaxResponseBytes = 1 << 20;

  HttpClient(std::string host, uint16_t port, std::string bearerToken = {},
             int timeoutMs = kDefaultTimeoutMs);

  HttpResponse request(std::string_view method, std::string_view path,
                       std::string_view contentType = {}, std::string_view body = {}) const;

 private:
  std::string host_;
  uint16_t port_;
  std::string bearerToken_;
  int timeoutMs_;
};

}  // namespace switchyard::bench
