#include "transport/UdpSocket.hpp"

#include <openssl/rand.h>

namespace switchyard::transport {

namespace {

// Socket buffers sized for bursts of video: a keyframe of a 2.5 Mbit/s stream is ~100
// packets arriving within a few ms, and a fan-out writes one packet per consumer at once.
constexpr int kSocketBufferBytes = 4 * 1024 * 1024;

uint32_t randomBelow(uint32_t n) {
  uint32_t r = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r) != 1) r = 0;
  return n == 0 ? 0 : r % n;
}

}  // namespace

std::unique_ptr<UdpSocket> UdpSocket::bind(uv_loop_t* loop, const std::string& ip, uint16_t minPort,
                                           uint16_t maxPort, OnDatagram onDatagram,
                                           std::string* error) {
  if (minPort == 0 || minPort > maxPort) {
    if (error) *error = "bad port range";
    return nullptr;
  }
  auto probe = SocketAddress::fromIp(ip, 0);
  if (!probe) {
    if (error) *error = "not an IP address: " + ip;
    return nullptr;
  }
  const uint32_t span = uint32_t{maxPort} - minPort + 1;
  const uint32_t first = randomBelow(span);
  int lastError = 0;
  for (uint32_t k = 0; k < span; ++k) {
    const auto port = static_cast<uint16_t>(minPort + (first + k) % span);
    auto address = *SocketAddress::fromIp(ip, port);
    auto* handle = new Handle;
    // RECVMMSG: libuv reads with recvmmsg when the buffer it is given holds several datagrams
    // (the shared arena); with the socket's own 64 KiB buffer it reads one at a time.
    uv_udp_init_ex(loop, &handle->udp, AF_UNSPEC | UV_UDP_RECVMMSG);
    lastError = uv_udp_bind(&handle->udp, address.sockaddrPtr(), 0);
    if (lastError == 0) {
      int size = kSocketBufferBytes;
      uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(&handle->udp), &size);
      size = kSocketBufferBytes;
      uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(&handle->udp), &size);
      std::unique_ptr<UdpSocket> socket(new UdpSocket(handle, address, std::move(onDatagram)));
      uv_udp_recv_start(&handle->udp, onAlloc, onReceive);
      return socket;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&handle->udp),
             [](uv_handle_t* h) { delete reinterpret_cast<Handle*>(h); });
    // Anything but "in use" will fail the same way on every port.
    if (lastError != UV_EADDRINUSE && lastError != UV_EACCES) break;
  }
  if (error) *error = std::string("cannot bind UDP on ") + ip + ": " + uv_strerror(lastError);
  return nullptr;
}

UdpSocket::UdpSocket(Handle* handle, SocketAddress local, OnDatagram onDatagram)
    : handle_(handle), local_(local), onDatagram_(std::move(onDatagram)) {
  handle_->owner = this;
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_->udp), &fd);
  fd_ = fd;
}

void UdpSocket::setReceiveArena(UdpReceiveArena* arena) {
  handle_->arena = arena;
}

void UdpSocket::setSendBatcher(UdpSendBatcher* batcher) {
  if (batcher_ != nullptr) batcher_->flushSocket(*this);
  batcher_ = batcher;
}

UdpSocket::~UdpSocket() {
  // What is queued (a DTLS close_notify, the last media) still goes out.
  if (batcher_ != nullptr) batcher_->flushSocket(*this);
  handle_->owner = nullptr;
  uv_udp_recv_stop(&handle_->udp);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->udp),
           [](uv_handle_t* h) { delete reinterpret_cast<Handle*>(h); });
}

bool UdpSocket::send(std::span<const uint8_t> datagram, const SocketAddress& to) {
  if (batcher_ != nullptr && batcher_->enqueue(*this, datagram, to)) return true;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(const_cast<uint8_t*>(datagram.data())),
                             static_cast<unsigned>(datagram.size()));
  const int rc = uv_udp_try_send(&handle_->udp, &buf, 1, to.sockaddrPtr());
  if (rc < 0) {
    ++counters_.sendFailures;
    return false;
  }
  ++counters_.datagramsSent;
  counters_.bytesSent += datagram.size();
  return true;
}

void UdpSocket::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* h = reinterpret_cast<Handle*>(handle);
  if (h->arena != nullptr) {
    const auto bytes = h->arena->bytes();
    *buf = uv_buf_init(reinterpret_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
    return;
  }
  if (!h->buffer) h->buffer.reset(new uint8_t[kReceiveBufferSize]);
  *buf = uv_buf_init(reinterpret_cast<char*>(h->buffer.get()), kReceiveBufferSize);
}

void UdpSocket::onReceive(uv_udp_t* udp, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                          unsigned flags) {
  auto* h = reinterpret_cast<Handle*>(udp);
  UdpSocket* self = h->owner;
  if (self == nullptr) return;
  if (nread < 0) {
    ++self->counters_.receiveErrors;
    return;
  }
  if (from == nullptr) {
    // The end of one recvmmsg batch, or nothing more to read. What the batch fanned out goes
    // now: left for the check phase, it would also wait for the processing of every batch
    // libuv reads next in this callback, which under load arrive while one is processed. A
    // busier loop still sends bigger rounds, because each read finds more datagrams waiting.
    if (self->batcher_ != nullptr) self->batcher_->flush();
    return;
  }
  if (flags & UV_UDP_PARTIAL) {
    ++self->counters_.receiveErrors;  // cannot happen with a 64 KiB buffer
    return;
  }
  auto address = SocketAddress::fromSockaddr(
      from, from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  if (!address) return;
  ++self->counters_.datagramsReceived;
  self->counters_.bytesReceived += static_cast<uint64_t>(nread);
  // buf->base is this datagram's chunk of the arena with recvmmsg, else the socket's buffer.
  self->onDatagram_(
      std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf->base), static_cast<size_t>(nread)),
      *address);
}

}  // namespace switchyard::transport
