#pragma once
// One thread of the load generator's media phase: an epoll loop over a set of LoadReceivers
// (recvmmsg in batches of kReceiveBatch, one clock read per batch), optionally with the
// LoadSender, whose due time bounds the wait (epoll_pwait2, nanosecond timeout), and optional
// periodic tasks (ICE consent checks). It runs until a fixed deadline; the sender stops at its own
// earlier deadline, the rest is the drain. Pinned to one CPU when asked.
//
// Each datagram also carries the kernel's receive time (SO_TIMESTAMPNS): on loopback that is
// taken when the forwarder's send hands the datagram to the loopback device, so it measures the
// forwarder's delay without this thread's own (how long it took to come around and read).
//
// How it waits matters on loopback, where the forwarder's send runs our socket's receive path
// on the forwarder's CPU, including waking this thread: a thread blocked in epoll costs the
// forwarder a wake-up (an IPI, and a VM exit on a guest whose idle vCPUs halt) per batch it
// delivers. kPoll never sleeps (the forwarder only queues), kInterval sleeps outside epoll and
// then collects what is ready (nobody to wake; latency readings gain up to one interval).

#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/LoadReceiver.hpp"
#include "bench/LoadSender.hpp"
#include "bench/UniqueFd.hpp"

namespace switchyard::bench {

int64_t monotonicNs();
int64_t realtimeNs();

// Linux turns receive stamping on for the whole system a moment after the first socket asks for
// it (a static key flipped from a work queue); until then a datagram is stamped when it is read.
// Sends probes between two sockets of its own until one's stamp is older than its reading, or
// timeoutNs passes (false).
bool awaitKernelReceiveStamps(int64_t timeoutNs);

class MediaLoop {
 public:
  static constexpr size_t kReceiveBatch = 64;
  static constexpr size_t kDatagramBufferSize = 2048;
  static constexpr int kMaxEvents = 128;
  // recvmmsg calls per ready socket per wake-up, so that one busy socket cannot starve the rest.
  static constexpr int kMaxBatchesPerWake = 4;

  struct Counters {
    uint64_t wakeups = 0;
    uint64_t receiveCalls = 0;
    double cpuUserS = 0;  // this thread's, over run()
    double cpuSystemS = 0;
    // Wall time spent sending and handling ready sockets, waits and empty polls left out: what
    // the thread's CPU time would be if it only woke for work (meaningful with Wait::kPoll).
    double workS = 0;
  };

  enum class Wait : uint8_t { kBlock, kPoll, kInterval };

  // cpu < 0: not pinned. intervalNs is for Wait::kInterval. False from ok() when epoll could not
  // be created.
  MediaLoop(int cpu, Wait wait, int64_t intervalNs);
  bool ok() const { return epoll_.valid(); }

  bool addReceiver(LoadReceiver* receiver, std::string* error);
  bool setSender(LoadSender* sender, std::string* error);
  void addPeriodic(int64_t intervalNs, std::function<void()> task);

  // Runs until stopNs (CLOCK_MONOTONIC); the sender sends while now < sendUntilNs.
  void run(int64_t sendUntilNs, int64_t stopNs);

  const Counters& counters() const { return counters_; }

 private:
  struct Periodic {
    int64_t intervalNs;
    int64_t nextNs;
    std::function<void()> task;
  };

  void drain(LoadReceiver& receiver);

  int cpu_;
  Wait wait_;
  int64_t intervalNs_;
  UniqueFd epoll_;
  std::vector<LoadReceiver*> receivers_;
  LoadSender* sender_ = nullptr;
  std::vector<Periodic> periodic_;
  Counters counters_;

  std::vector<std::array<uint8_t, kDatagramBufferSize>> buffers_;
  std::array<iovec, kReceiveBatch> iov_{};
  std::array<mmsghdr, kReceiveBatch> messages_{};
  static constexpr size_t kControlSize = CMSG_SPACE(sizeof(timespec));
  std::array<std::array<uint8_t, kControlSize>, kReceiveBatch> control_{};
};

}  // namespace switchyard::bench
