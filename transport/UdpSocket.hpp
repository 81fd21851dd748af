#pragma once
// One UDP socket on the worker's libuv loop, bound to an IP and a port from the worker's RTC
// port range. Datagrams are read into a buffer of the socket's own, or in batches into the
// loop's shared UdpReceiveArena, and handed to the owner as a mutable span (decryption happens
// in place); sends are immediate (uv_udp_try_send) and a
// datagram the kernel will not take now is dropped and counted, never queued: media is
// real-time and a queue would only add delay.

#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "transport/SocketAddress.hpp"
#include "transport/UdpReceiveArena.hpp"
#include "transport/UdpSendBatcher.hpp"

namespace switchyard::transport {

class UdpSocket {
 public:
  // Large enough for any UDP datagram libuv reads in one call.
  static constexpr size_t kReceiveBufferSize = 65536;

  using OnDatagram = std::function<void(std::span<uint8_t> datagram, const SocketAddress& from)>;

  struct Counters {
    uint64_t datagramsReceived = 0;
    uint64_t bytesReceived = 0;
    uint64_t datagramsSent = 0;
    uint64_t bytesSent = 0;
    uint64_t sendFailures = 0;  // EAGAIN/ENOBUFS/unreachable at send(): dropped
    // Datagrams send() queued in the batcher that the kernel then refused: dropped. The
    // owner learns of these only here (its send() had returned true).
    uint64_t queuedSendFailures = 0;
    uint64_t receiveErrors = 0;
  };

  // Binds to ip on the first free port of [minPort, maxPort], starting at a random one so
  // that workers sharing a range do not all probe the same ports. nullopt-like result with a
  // reason when no port is free or ip is not a local address.
  static std::unique_ptr<UdpSocket> bind(uv_loop_t* loop, const std::string& ip, uint16_t minPort,
                                         uint16_t maxPort, OnDatagram onDatagram,
                                         std::string* error);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // False when the datagram was not sent (counted in sendFailures). With a send batcher the
  // datagram is queued and goes out with the batch; failures then show in the counters only.
  bool send(std::span<const uint8_t> datagram, const SocketAddress& to);
  // Queue sends in the worker loop's batcher from now on (null: send at once). The socket
  // also flushes the batcher at the end of each batch it reads, so that what one read fanned
  // out does not wait for the next. The batcher must outlive the socket or be reset first.
  void setSendBatcher(UdpSendBatcher* batcher);
  // Read into the loop's shared arena from now on, a batch of datagrams per recvmmsg (null:
  // the socket's own buffer, one datagram per read). The arena must outlive the socket.
  void setReceiveArena(UdpReceiveArena* arena);

  const SocketAddress& localAddress() const { return local_; }
  const Counters& counters() const { return counters_; }

 private:
  // The libuv handle and the receive buffer live apart from the UdpSocket so that uv_close can
  // finish after the owner is gone.
  struct Handle {
    uv_udp_t udp;
    UdpSocket* owner = nullptr;
    UdpReceiveArena* arena = nullptr;
    // Allocated at the first read without an arena: a worker's thousands of sockets share
    // the arena and need none.
    std::unique_ptr<uint8_t[]> buffer;
  };

  UdpSocket(Handle* handle, SocketAddress local, OnDatagram onDatagram);
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onReceive(uv_udp_t* udp, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                        unsigned flags);

  friend class UdpSendBatcher;

  Handle* handle_;
  int fd_ = -1;
  SocketAddress local_;
  // The batcher's queue of this socket's datagrams (entry indexes) while it has some.
  UdpSendBatcher* batcher_ = nullptr;
  uint32_t batchHead_ = UINT32_MAX;
  uint32_t batchTail_ = UINT32_MAX;
  bool batchMixed_ = false;  // the queue has more than one destination
  bool gso_ = true;          // cleared when the kernel cannot segment for this socket's route
  OnDatagram onDatagram_;
  Counters counters_;
};

}  // namespace switchyard::transport
