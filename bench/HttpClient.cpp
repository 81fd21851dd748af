#include "bench/HttpClient.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "bench/UniqueFd.hpp"

namespace switchyard::bench {

namespace {

constexpr std::string_view kScheme = "http://";
constexpr size_t kReadChunk = 16 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

UniqueFd connectTo(const std::string& host, uint16_t port, int timeoutMs, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    error = "resolve " + host + ": " + gai_strerror(rc);
    return UniqueFd();
  }
  UniqueFd fd;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    UniqueFd candidate(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!candidate.valid()) continue;
    timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
    setsockopt(candidate.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(candidate.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(candidate.get(), a->ai_addr, a->ai_addrlen) == 0) {
      fd = std::move(candidate);
      break;
    }
    error = "connect " + host + ":" + service + ": " + std::strerror(errno);
  }
  freeaddrinfo(found);
  return fd;
}

}  // namespace

bool HttpUrl::parse(std::string_view text, HttpUrl& out) {
  if (text.substr(0, kScheme.size()) != kScheme) return false;
  text.remove_prefix(kScheme.size());
  const size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  const size_t colon = authority.rfind(':');
  const bool bracketed = !authority.empty() && authority.front() == '[';
  if (colon != std::string_view::npos && (!bracketed || authority[colon - 1] == ']')) {
    unsigned port = 0;
    auto portText = authority.substr(colon + 1);
    auto [p, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc() || p != portText.data() + portText.size() || port == 0 || port > 65535) {
      return false;
    }
    out.port = static_cast<uint16_t>(port);
    authority = authority.substr(0, colon);
  } else {
    out.port = 80;
  }
  if (bracketed) {
    if (authority.size() < 2 || authority.back() != ']') return false;
    authority = authority.substr(1, authority.size() - 2);
  }
  out.host = std::string(authority);
  return !out.host.empty();
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

HttpClient::HttpClient(std::string host, uint16_t port, std::string bearerToken, int timeoutMs)
    : host_(std::move(host)),
      port_(port),
      bearerToken_(std::move(bearerToken)),
      timeoutMs_(timeoutMs) {}

HttpResponse HttpClient::request(std::string_view method, std::string_view path,
                                 std::string_view contentType, std::string_view body) const {
  HttpResponse response;
  UniqueFd fd = connectTo(host_, port_, timeoutMs_, response.error);
  if (!fd.valid()) return response;

  std::string head;
  head.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  head.append("Host: ").append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  head.append("Connection: close\r\n");
  if (!bearerToken_.empty()) {
    head.append("Authorization: Bearer ").append(bearerToken_).append("\r\n");
  }
  if (!contentType.empty()) head.append("Content-Type: ").append(contentType).append("\r\n");
  head.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  const std::string message = head + std::string(body);
  for (size_t sent = 0; sent < message.size();) {
    const ssize_t n = send(fd.get(), message.data() + sent, message.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      response.error = std::string("send: ") + std::strerror(errno);
      return response;
    }
    sent += static_cast<size_t>(n);
  }

  std::string raw;
  size_t headEnd = std::string::npos;
  size_t contentLength = std::string::npos;
  char chunk[kReadChunk];
  for (;;) {
    if (headEnd != std::string::npos && contentLength != std::string::npos &&
        raw.size() >= headEnd + contentLength) {
      break;
    }
    const ssize_t n = recv(fd.get(), chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      response.error = std::string("recv: ") + std::strerror(errno);
      return response;
    }
    if (n == 0) break;  // closed: the body ends here
    raw.append(chunk, static_cast<size_t>(n));
    if (raw.size() > kMaxResponseBytes) {
      response.error = "response too large";
      return response;
    }
    if (headEnd == std::string::npos) {
      const size_t end = raw.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      headEnd = end + 4;
      // Status line, then headers.
      std::string_view headText(raw.data(), end);
      size_t lineEnd = headText.find("\r\n");
      std::string_view status = headText.substr(0, lineEnd);
      if (status.substr(0, 5) != "HTTP/" || status.size() < 12) {
        response.error = "malformed status line";
        return response;
      }
      response.status = std::atoi(std::string(status.substr(9, 3)).c_str());
      while (lineEnd != std::string_view::npos) {
        const size_t next = headText.find("\r\n", lineEnd + 2);
        std::string_view line =
            headText.substr(lineEnd + 2, next == std::string_view::npos ? std::string_view::npos
                                                                        : next - lineEnd - 2);
        lineEnd = next;
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                      std::string(trim(line.substr(colon + 1))));
      }
      if (auto cl = response.header("content-length"); !cl.empty()) {
        contentLength = static_cast<size_t>(std::strtoull(cl.c_str(), nullptr, 10));
      }
    }
  }
  if (headEnd == std::string::npos) {
    response.status = 0;
    response.error = "connection closed before the response head";
    return response;
  }
  response.body = raw.substr(headEnd, contentLength == std::string::npos
                                          ? std::string::npos
                                          : std::min(contentLength, raw.size() - headEnd));
  return response;
}

}  // namespace switchyard::bench
