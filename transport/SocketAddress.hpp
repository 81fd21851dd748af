#pragma once
// An IPv4 or IPv6 UDP endpoint as the kernel gives it (sockaddr_in / sockaddr_in6), small
// enough to copy per packet and compare cheaply: the ICE tuple of a transport is one of these.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::transport {

class SocketAddress {
 public:
  SocketAddress() { std::memset(&storage_, 0, sizeof storage_); }
  // From a kernel address; nullopt unless it is AF_INET or AF_INET6 of the right length.
  static std::optional<SocketAddress> fromSockaddr(const sockaddr* address, size_t length);
  // From text: "1.2.3.4" or "::1" plus a port. nullopt when ip is not a literal address.
  static std::optional<SocketAddress> fromIp(std::string_view ip, uint16_t port);

  bool isV4() const { return storage_.ss_family == AF_INET; }
  bool isV6() const { return storage_.ss_family == AF_INET6; }
  bool empty() const { return storage_.ss_family == AF_UNSPEC; }
  uint16_t port() const;
  // Network-order address bytes: 4 for IPv4, 16 for IPv6, empty otherwise.
  std::string_view ipBytes() const;
  std::string ip() const;        // "1.2.3.4" or "::1"
  std::string toString() const;  // "1.2.3.4:5" or "[::1]:5"

  const sockaddr* sockaddrPtr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t sockaddrLength() const {
    return isV4() ? sizeof(sockaddr_in) : isV6() ? sizeof(sockaddr_in6) : 0;
  }

  friend bool operator==(const SocketAddress& a, const SocketAddress& b);

 private:
  sockaddr_storage storage_;
};

// FNV-1a over the address bytes and the port, for hash tables keyed by peer address (a shared
// socket's routing, the send batcher's grouping): cheap, and peers that differ only in the
// port's low bits still spread.
struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const {
    constexpr uint32_t kFnvOffset = 2166136261u;
    constexpr uint32_t kFnvPrime = 16777619u;
    uint32_t h = kFnvOffset;
    for (const char c : a.ipBytes())
      h = (h ^ static_cast<uint8_t>(c)) * kFnvPrime;
    const uint16_t port = a.port();
    h = (h ^ (port & 0xff)) * kFnvPrime;
    h = (h ^ (port >> 8)) * kFnvPrime;
    return h;
  }
};

}  // namespace switchyard::transport
