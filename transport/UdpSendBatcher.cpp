#include "transport/UdpSendBatcher.hpp"

#include <netinet/udp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transport/UdpSocket.hpp"

namespace switchyard::transport {

namespace {

size_t tableSizeFor(size_t slots) {
  size_t n = 1;
  while (n < 2 * slots)
    n <<= 1;
  return n;
}

}  // namespace

UdpSendBatcher::UdpSendBatcher(uv_loop_t* loop, bool useGso, size_t slots)
    : prepare_(new uv_prepare_t),
      check_(new uv_check_t),
      useGso_(useGso),
      slotCount_(std::clamp<size_t>(slots, 1, kMaxSlots)),
      slots_(new uint8_t[slotCount_ * kSlotSize]) {
  entries_.reserve(slotCount_);
  pendingSockets_.reserve(slotCount_);
  messages_.reserve(slotCount_);
  iovecs_.reserve(slotCount_);
  controls_.reserve(slotCount_);
  messageSizes_.reserve(slotCount_);
  groups_.reserve(slotCount_);
  groupTable_.assign(tableSizeFor(slotCount_), kNone);
  // Before the loop blocks (what timers queued must not wait for the next packet) and after
  // each round of I/O callbacks (what a receive batch fanned out).
  uv_prepare_init(loop, prepare_);
  uv_check_init(loop, check_);
  prepare_->data = this;
  check_->data = this;
  uv_prepare_start(prepare_,
                   [](uv_prepare_t* h) { onLoopPhase(reinterpret_cast<uv_handle_t*>(h)); });
  uv_check_start(check_, [](uv_check_t* h) { onLoopPhase(reinterpret_cast<uv_handle_t*>(h)); });
  // Neither handle should keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(check_));
}

UdpSendBatcher::~UdpSendBatcher() {
  flush();  // sockets using the batcher are gone by now (see UdpSocket::setSendBatcher)
  uv_close(reinterpret_cast<uv_handle_t*>(prepare_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_prepare_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(check_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
}

void UdpSendBatcher::onLoopPhase(uv_handle_t* handle) {
  static_cast<UdpSendBatcher*>(handle->data)->flush();
}

std::span<uint8_t> UdpSendBatcher::buffer() {
  if (entries_.size() == slotCount_) {
    ++counters_.earlyFlushes;
    flush();
  }
  return {slot(entries_.size()), kSlotSize};
}

bool UdpSendBatcher::enqueue(UdpSocket& socket, std::span<const uint8_t> datagram,
                             const SocketAddress& to) {
  if (datagram.size() > kSlotSize) return false;
  if (entries_.size() == slotCount_) {
    ++counters_.earlyFlushes;
    flush();
  }
  const auto index = static_cast<uint32_t>(entries_.size());
  uint8_t* destination = slot(index);
  if (datagram.data() == destination) {
    ++counters_.copiesAvoided;
  } else {
    std::memcpy(destination, datagram.data(), datagram.size());
  }
  entries_.push_back({&socket, kNone, static_cast<uint16_t>(datagram.size()), to});
  if (socket.batchTail_ == kNone) {
    socket.batchHead_ = index;
    socket.batchMixed_ = false;
    pendingSockets_.push_back(&socket);
  } else {
    Entry& tail = entries_[socket.batchTail_];
    tail.next = index;
    if (!(tail.to == to)) socket.batchMixed_ = true;
  }
  socket.batchTail_ = index;
  return true;
}

void UdpSendBatcher::flush() {
  if (entries_.empty()) return;
  ++counters_.flushes;
  for (UdpSocket* socket : pendingSockets_)
    sendQueue(*socket);
  pendingSockets_.clear();
  entries_.clear();
}

void UdpSendBatcher::flushSocket(UdpSocket& socket) {
  if (socket.batchHead_ == kNone) return;
  sendQueue(socket);
  std::erase(pendingSockets_, &socket);
  // Its entries stay in the pool, unreachable, until the round ends.
}

void UdpSendBatcher::sendQueue(UdpSocket& socket) {
  // Group the socket's datagrams into messages: a run to one destination of equal sizes (the
  // last may be shorter, RFC-free kernel rule: every segment but the last is gso_size long)
  // becomes one GSO message.
  messages_.clear();
  iovecs_.clear();
  controls_.clear();
  messageSizes_.clear();
  uint32_t index = socket.batchHead_;
  // Without GSO a run is one datagram anyway, and the order of the queue is kept.
  if (socket.batchMixed_ && useGso_ && socket.gso_) index = groupByDestination(index);
  socket.batchHead_ = socket.batchTail_ = kNone;
  while (index != kNone) {
    const Entry& first = entries_[index];
    size_t segments = 0;
    size_t bytes = 0;
    uint32_t cursor = index;
    while (cursor != kNone) {
      const Entry& e = entries_[cursor];
      const bool joins = segments == 0 ||
                         (useGso_ && socket.gso_ && e.to == first.to && e.length <= first.length &&
                          segments < kMaxGsoSegments && bytes + e.length <= kMaxGsoBytes);
      if (!joins) break;
      iovecs_.push_back({slot(cursor), e.length});
      ++segments;
      bytes += e.length;
      cursor = e.next;
      if (e.length < first.length) break;  // a shorter segment ends the run
    }
    mmsghdr m{};
    m.msg_hdr.msg_name = const_cast<sockaddr*>(first.to.sockaddrPtr());
    m.msg_hdr.msg_namelen = first.to.sockaddrLength();
    m.msg_hdr.msg_iovlen = segments;
    messages_.push_back(m);
    messageSizes_.push_back(static_cast<uint32_t>(segments));
    controls_.push_back({});
    index = cursor;
  }
  // Pointers into the vectors are set once they no longer grow.
  size_t iov = 0;
  for (size_t i = 0; i < messages_.size(); ++i) {
    auto& h = messages_[i].msg_hdr;
    h.msg_iov = &iovecs_[iov];
    iov += h.msg_iovlen;
    if (h.msg_iovlen > 1) {
      auto& control = controls_[i].bytes;
      h.msg_control = control.data();
      h.msg_controllen = control.size();
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const auto gsoSize = static_cast<uint16_t>(h.msg_iov[0].iov_len);
      std::memcpy(CMSG_DATA(c), &gsoSize, sizeof gsoSize);
      ++counters_.gsoMessages;
    }
  }
  size_t done = 0;
  while (done < messages_.size()) {
    const size_t count = std::min(messages_.size() - done, kMaxMessagesPerCall);
    const size_t sent = sendMessages(socket, done, count);
    if (sent == 0) {
      // The kernel refused (a full socket buffer, an unreachable destination): drop what is
      // left rather than queue it, media is real time.
      for (; done < messages_.size(); ++done)
        socket.counters_.queuedSendFailures += messageSizes_[done];
      break;
    }
    done += sent;
  }
}

uint32_t UdpSendBatcher::groupByDestination(uint32_t head) {
  groups_.clear();
  const size_t mask = groupTable_.size() - 1;
  for (uint32_t index = head; index != kNone;) {
    Entry& e = entries_[index];
    const uint32_t next = e.next;
    e.next = kNone;
    size_t bucket = SocketAddressHash{}(e.to) & mask;
    while (groupTable_[bucket] != kNone &&
           !(entries_[groups_[groupTable_[bucket]].head].to == e.to))
      bucket = (bucket + 1) & mask;
    if (groupTable_[bucket] == kNone) {
      groupTable_[bucket] = static_cast<uint32_t>(groups_.size());
      groups_.push_back({index, index, static_cast<uint32_t>(bucket)});
    } else {
      Group& g = groups_[groupTable_[bucket]];
      entries_[g.tail].next = index;
      g.tail = index;
    }
    index = next;
  }
  // Chain the groups, and clear only the buckets used.
  for (size_t g = 0; g + 1 < groups_.size(); ++g)
    entries_[groups_[g].tail].next = groups_[g + 1].head;
  for (const Group& g : groups_)
    groupTable_[g.bucket] = kNone;
  return groups_.front().head;
}

size_t UdpSendBatcher::sendMessages(UdpSocket& socket, size_t first, size_t count) {
  ++counters_.syscalls;
  const int n = ::sendmmsg(socket.fd_, &messages_[first], static_cast<unsigned>(count), 0);
  if (n < 0 && (errno == EIO || errno == EINVAL) && messages_[first].msg_hdr.msg_iovlen > 1) {
    // EIO: the route's device cannot segment (no checksum offload), so this socket sends single
    // datagrams from now on. EINVAL: a segment larger than the path MTU allows. Either way
    // this run goes out one datagram at a time.
    if (errno == EIO) socket.gso_ = false;
    auto& h = messages_[first].msg_hdr;
    size_t sent = 0;
    for (size_t k = 0; k < h.msg_iovlen; ++k) {
      msghdr one{};
      one.msg_name = h.msg_name;
      one.msg_namelen = h.msg_namelen;
      one.msg_iov = &h.msg_iov[k];
      one.msg_iovlen = 1;
      ++counters_.syscalls;
      if (::sendmsg(socket.fd_, &one, 0) >= 0) {
        ++sent;
        socket.counters_.bytesSent += h.msg_iov[k].iov_len;
      }
    }
    socket.counters_.datagramsSent += sent;
    socket.counters_.queuedSendFailures += h.msg_iovlen - sent;
    counters_.datagrams += sent;
    return 1;
  }
  if (n <= 0) return 0;
  for (int i = 0; i < n; ++i) {
    const auto& h = messages_[first + static_cast<size_t>(i)].msg_hdr;
    socket.counters_.datagramsSent += h.msg_iovlen;
    socket.counters_.bytesSent += messages_[first + static_cast<size_t>(i)].msg_len;
    counters_.datagrams += h.msg_iovlen;
  }
  return static_cast<size_t>(n);
}

}  // namespace switchyard::transport
