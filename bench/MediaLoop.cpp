#include "bench/MediaLoop.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace switchyard::bench {

namespace {

constexpr uint64_t kSenderTag = UINT64_MAX;
constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr unsigned long kIntervalTimerSlackNs = 1;

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

}  // namespace

int64_t monotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSecond + ts.tv_nsec;
}

int64_t realtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSecond + ts.tv_nsec;
}

namespace {

// The SO_TIMESTAMPNS time (CLOCK_REALTIME) of a received message, or -1.
int64_t kernelReceiveNs(const msghdr& m) {
  for (const cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&m), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return static_cast<int64_t>(ts.tv_sec) * kNsPerSecond + ts.tv_nsec;
    }
  }
  return -1;
}

}  // namespace

bool awaitKernelReceiveStamps(int64_t timeoutNs) {
  constexpr int64_t kProbeWaitNs = 2'000'000;  // between a probe's send and its read
  constexpr int64_t kStampedBeforeReadNs = kProbeWaitNs / 2;
  UniqueFd rx(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  UniqueFd tx(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const int on = 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (!rx.valid() || !tx.valid() ||
      setsockopt(rx.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0 ||
      bind(rx.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(rx.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return false;
  }
  const int64_t deadline = monotonicNs() + timeoutNs;
  while (monotonicNs() < deadline) {
    const uint8_t probe = 0;
    sendto(tx.get(), &probe, 1, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    const timespec pause{0, kProbeWaitNs};
    nanosleep(&pause, nullptr);
    uint8_t byte = 0;
    iovec iov{&byte, 1};
    std::array<uint8_t, CMSG_SPACE(sizeof(timespec))> control{};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.data();
    m.msg_controllen = control.size();
    if (recvmsg(rx.get(), &m, 0) < 0) continue;
    const int64_t stamped = kernelReceiveNs(m);
    if (stamped >= 0 && realtimeNs() - stamped >= kStampedBeforeReadNs) return true;
  }
  return false;
}

MediaLoop::MediaLoop(int cpu, Wait wait, int64_t intervalNs)
    : cpu_(cpu),
      wait_(wait),
      intervalNs_(intervalNs),
      epoll_(epoll_create1(EPOLL_CLOEXEC)),
      buffers_(kReceiveBatch) {
  for (size_t i = 0; i < kReceiveBatch; ++i) {
    iov_[i] = {buffers_[i].data(), buffers_[i].size()};
    messages_[i].msg_hdr = {};
    messages_[i].msg_hdr.msg_iov = &iov_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
}

bool MediaLoop::addReceiver(LoadReceiver* receiver, std::string* error) {
  const int on = 1;
  if (setsockopt(receiver->fd(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
    *error = std::string("SO_TIMESTAMPNS: ") + std::strerror(errno);
    return false;
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = receivers_.size();
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, receiver->fd(), &event) != 0) {
    *error = std::string("epoll_ctl: ") + std::strerror(errno);
    return false;
  }
  receivers_.push_back(receiver);
  return true;
}

bool MediaLoop::setSender(LoadSender* sender, std::string* error) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kSenderTag;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sender->fd(), &event) != 0) {
    *error = std::string("epoll_ctl: ") + std::strerror(errno);
    return false;
  }
  sender_ = sender;
  return true;
}

void MediaLoop::addPeriodic(int64_t intervalNs, std::function<void()> task) {
  periodic_.push_back({intervalNs, monotonicNs() + intervalNs, std::move(task)});
}

void MediaLoop::drain(LoadReceiver& receiver) {
  for (int batch = 0; batch < kMaxBatchesPerWake; ++batch) {
    for (size_t k = 0; k < kReceiveBatch; ++k) {  // the kernel shortens msg_controllen
      messages_[k].msg_hdr.msg_control = control_[k].data();
      messages_[k].msg_hdr.msg_controllen = control_[k].size();
    }
    const int n = recvmmsg(receiver.fd(), messages_.data(), kReceiveBatch, MSG_DONTWAIT, nullptr);
    ++counters_.receiveCalls;
    if (n <= 0) return;
    const int64_t now = monotonicNs();  // one reading per batch: all arrived by now
    // Kernel stamps are CLOCK_REALTIME; payloads carry CLOCK_MONOTONIC.
    const int64_t realtimeOffset = realtimeNs() - now;
    for (int k = 0; k < n; ++k) {
      const auto& m = messages_[size_t(k)];
      const int64_t stamped = kernelReceiveNs(m.msg_hdr);
      receiver.onDatagram(std::span<uint8_t>(buffers_[size_t(k)].data(), m.msg_len), now,
                          stamped < 0 ? -1 : stamped - realtimeOffset);
    }
    if (static_cast<size_t>(n) < kReceiveBatch) return;
  }
}

void MediaLoop::run(int64_t sendUntilNs, int64_t stopNs) {
  if (cpu_ >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_, &set);
    sched_setaffinity(0, sizeof set, &set);  // 0: the calling thread
  }
  // Timer slack (50 us by default) would stretch every interval sleep.
  if (wait_ == Wait::kInterval) prctl(PR_SET_TIMERSLACK, kIntervalTimerSlackNs);
  rusage before{};
  getrusage(RUSAGE_THREAD, &before);
  std::array<epoll_event, kMaxEvents> events{};
  int64_t workNs = 0;
  for (;;) {
    int64_t now = monotonicNs();
    if (now >= stopNs) break;
    int64_t wakeAt = stopNs;
    if (sender_ != nullptr && now < sendUntilNs) {
      if (sender_->nextDueNs() <= now) {
        sender_->sendDue(now);
        workNs += monotonicNs() - now;
      }
      wakeAt = std::min(wakeAt, std::min(sendUntilNs, sender_->nextDueNs()));
    }
    for (auto& p : periodic_) {
      if (p.nextNs <= now) {
        p.task();
        p.nextNs = now + p.intervalNs;
      }
      wakeAt = std::min(wakeAt, p.nextNs);
    }
    now = monotonicNs();
    int64_t waitNs = std::max<int64_t>(0, wakeAt - now);
    if (wait_ == Wait::kPoll) {
      waitNs = 0;
    } else if (wait_ == Wait::kInterval) {
      const int64_t sleepNs = std::min(waitNs, intervalNs_);
      const timespec pause{static_cast<time_t>(sleepNs / kNsPerSecond),
                           static_cast<long>(sleepNs % kNsPerSecond)};
      clock_nanosleep(CLOCK_MONOTONIC, 0, &pause, nullptr);
      waitNs = 0;
    }
    const timespec timeout{static_cast<time_t>(waitNs / kNsPerSecond),
                           static_cast<long>(waitNs % kNsPerSecond)};
    const int n = epoll_pwait2(epoll_.get(), events.data(), kMaxEvents, &timeout, nullptr);
    ++counters_.wakeups;
    if (n <= 0) continue;
    const int64_t workStart = monotonicNs();
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[size_t(i)].data.u64;
      if (tag == kSenderTag) {
        sender_->onReadable(workStart);
      } else {
        drain(*receivers_[tag]);
      }
    }
    workNs += monotonicNs() - workStart;
  }
  counters_.workS = static_cast<double>(workNs) / kNsPerSecond;
  rusage after{};
  getrusage(RUSAGE_THREAD, &after);
  counters_.cpuUserS = seconds(after.ru_utime) - seconds(before.ru_utime);
  counters_.cpuSystemS = seconds(after.ru_stime) - seconds(before.ru_stime);
}

}  // namespace switchyard::bench
