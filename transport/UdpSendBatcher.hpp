#pragma once
// Batched UDP sends for one worker loop. A fan-out writes one datagram per consumer per
// packet; sending each with its own syscall makes the syscall, not the forwarding, the cost.
// Sockets that use the batcher queue their datagrams here (into slots of one pool, no heap
// allocation per datagram), and the batcher sends them at the end of each batch a socket
// reads (UdpSocket calls flush), just before the loop would block and after each round of I/O
// callbacks (libuv prepare and check handles), or when the pool is full: one sendmmsg per
// socket, and, where consecutive datagrams of a socket go to the same destination with the
// same size, one UDP GSO message for the run (UDP_SEGMENT, Linux 4.18+), which the kernel
// routes once for the whole run. A socket shared by many peers (UdpMux) queues its datagrams in
// fan-out order, destinations interleaved; the flush regroups them per destination, keeping
// each destination's order, so that each peer still gets one GSO run and the whole socket one
// sendmmsg.
//
// A caller may also write a datagram in place into buffer() and then hand that span to
// UdpSocket::send, which takes the slot without copying.

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "transport/SocketAddress.hpp"

namespace switchyard::transport {

class UdpSocket;

class UdpSendBatcher {
 public:
  // Datagrams held between flushes by default, and the largest one a slot takes (bigger ones
  // are sent at once, unbatched). The pool size bounds the delay batching adds: a datagram
  // waits at most for the pool to fill (each slot costs ~1-1.5 us of forwarding work), and the
  // more datagrams per socket in a flush, the fewer syscalls and the longer the GSO runs.
  static constexpr size_t kDefaultSlots = 1024;
  static constexpr size_t kMaxSlots = 4096;
  static constexpr size_t kSlotSize = 2048;
  // UDP GSO limits (linux/udp.h UDP_MAX_SEGMENTS; the IP datagram length).
  static constexpr size_t kMaxGsoSegments = 64;
  static constexpr size_t kMaxGsoBytes = 65000;
  // sendmmsg takes at most UIO_MAXIOV messages per call.
  static constexpr size_t kMaxMessagesPerCall = 1024;

  struct Counters {
    uint64_t flushes = 0;        // rounds that sent something
    uint64_t syscalls = 0;       // sendmmsg / sendmsg calls
    uint64_t datagrams = 0;      // queued datagrams handed to the kernel
    uint64_t gsoMessages = 0;    // messages that carried more than one datagram
    uint64_t earlyFlushes = 0;   // the pool filled up before the round ended
    uint64_t copiesAvoided = 0;  // datagrams written in place into buffer()
  };

  // slots: clamped to [1, kMaxSlots].
  explicit UdpSendBatcher(uv_loop_t* loop, bool useGso = true, size_t slots = kDefaultSlots);
  ~UdpSendBatcher();
  UdpSendBatcher(const UdpSendBatcher&) = delete;
  UdpSendBatcher& operator=(const UdpSendBatcher&) = delete;

  // The slot the next queued datagram will use; write a datagram into it and pass that span
  // to UdpSocket::send to queue it without a copy.
  std::span<uint8_t> buffer();
  // Sends everything queued now.
  void flush();

  const Counters& counters() const { return counters_; }
  size_t slots() const { return slotCount_; }
  bool gsoEnabled() const { return useGso_; }

 private:
  friend class UdpSocket;

  struct Entry {
    UdpSocket* socket;
    uint32_t next;  // the socket's next entry, or kNone
    uint16_t length;
    SocketAddress to;
  };
  static constexpr uint32_t kNone = UINT32_MAX;
  // One destination's datagrams in a socket's queue, while regrouping.
  struct Group {
    uint32_t head;
    uint32_t tail;
    uint32_t bucket;  // its place in groupTable_
  };

  // Called by UdpSocket: queue (false when the datagram cannot be queued: too large), and
  // send a socket's queue now (before it closes).
  bool enqueue(UdpSocket& socket, std::span<const uint8_t> datagram, const SocketAddress& to);
  void flushSocket(UdpSocket& socket);
  void sendQueue(UdpSocket& socket);
  // Relinks a queue (from head) so that each destination's datagrams are consecutive, in
  // their order, destinations in order of first appearance; returns the new head.
  uint32_t groupByDestination(uint32_t head);
  size_t sendMessages(UdpSocket& socket, size_t first, size_t count);
  uint8_t* slot(size_t index) { return slots_.get() + index * kSlotSize; }
  static void onLoopPhase(uv_handle_t* handle);

  uv_prepare_t* prepare_;
  uv_check_t* check_;
  bool useGso_;
  size_t slotCount_;
  std::unique_ptr<uint8_t[]> slots_;
  std::vector<Entry> entries_;
  std::vector<UdpSocket*> pendingSockets_;
  // Per flush of one socket: its messages, their iovecs and GSO control data.
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iovecs_;
  struct GsoControl {
    alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(uint16_t))> bytes;
  };
  std::vector<GsoControl> controls_;
  std::vector<uint32_t> messageSizes_;  // datagrams in each message
  // groupByDestination's state: an open-addressing table (2x the slots, a power of two) from
  // destination to group, reset per use.
  std::vector<Group> groups_;
  std::vector<uint32_t> groupTable_;
  Counters counters_;
};

}  // namespace switchyard::transport
