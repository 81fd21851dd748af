#include "transport/SocketAddress.hpp"

#include <arpa/inet.h>

namespace switchyard::transport {

std::optional<SocketAddress> SocketAddress::fromSockaddr(const sockaddr* address, size_t length) {
  if (address == nullptr) return std::nullopt;
  SocketAddress out;
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    std::memcpy(&out.storage_, address, sizeof(sockaddr_in));
    return out;
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    std::memcpy(&out.storage_, address, sizeof(sockaddr_in6));
    return out;
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::fromIp(std::string_view ip, uint16_t port) {
  char text[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof text) return std::nullopt;
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  SocketAddress out;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage_);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return out;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage_);
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return out;
  }
  return std::nullopt;
}

uint16_t SocketAddress::port() const {
  if (isV4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (isV6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string_view SocketAddress::ipBytes() const {
  if (isV4()) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&storage_);
    return {reinterpret_cast<const char*>(&a->sin_addr), 4};
  }
  if (isV6()) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage_);
    return {reinterpret_cast<const char*>(&a->sin6_addr), 16};
  }
  return {};
}

std::string SocketAddress::ip() const {
  char text[INET6_ADDRSTRLEN] = "";
  if (isV4()) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text,
              sizeof text);
  } else if (isV6()) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text,
              sizeof text);
  }
  return text;
}

std::string SocketAddress::toString() const {
  if (empty()) return "(none)";
  std::string out;
  if (isV6()) out.push_back('[');
  out.append(ip());
  if (isV6()) out.push_back(']');
  out.push_back(':');
  out.append(std::to_string(port()));
  return out;
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
  if (a.storage_.ss_family != b.storage_.ss_family) return false;
  return a.port() == b.port() && a.ipBytes() == b.ipBytes();
}

}  // namespace switchyard::transport
