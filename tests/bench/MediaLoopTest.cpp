// MediaLoop on real loopback sockets: every datagram's latency is measured twice, to when the
// loop read it and to the kernel's receive stamp (SO_TIMESTAMPNS), and the stamp leaves out
// the time the datagram waited in the socket for the reader (once the kernel stamps at all: the
// first socket to ask switches that on a moment later, and this test may be that socket).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <thread>
#include <vector>

#include "bench/MediaLoop.hpp"
#include "bench/MediaSource.hpp"
#include "bench/UniqueFd.hpp"

namespace switchyard::bench {
namespace {

constexpr int64_t kUs = 1'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSentAgoNs = 5 * kMs;     // the payloads' send time, before the real send
constexpr int64_t kUnreadForNs = 20 * kMs;  // how long the datagrams wait for the reader
constexpr int64_t kLoopRunsForNs = 20 * kMs;
constexpr int64_t kStampWaitNs = 2'000 * kMs;
// The histogram reports a bucket's bound, within a few percent of the value.
constexpr double kBucketTolerance = 0.9;

TEST(MediaLoop, KernelStampsLeaveOutTheReadersDelay) {
  UniqueFd rx(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  UniqueFd tx(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(rx.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(rx.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);

  LoadReceiver receiver(rx.get(), ntohs(addr.sin_port), nullptr, LoadReceiverOptions{});
  MediaLoop loop(-1, MediaLoop::Wait::kPoll, 0);
  ASSERT_TRUE(loop.ok());
  std::string error;
  ASSERT_TRUE(loop.addReceiver(&receiver, &error)) << error;
  ASSERT_TRUE(awaitKernelReceiveStamps(kStampWaitNs)) << "the kernel never stamped a probe";

  // A few video packets stamped kSentAgoNs ago, sent now, then left unread for kUnreadForNs.
  const int64_t stampedAt = monotonicNs() - kSentAgoNs;
  MediaSource source(MediaSourceConfig{}, stampedAt);
  std::vector<std::array<uint8_t, 1500>> storage(4);
  std::vector<std::span<uint8_t>> buffers(storage.begin(), storage.end());
  std::vector<size_t> lengths(buffers.size());
  const size_t n = source.produce(stampedAt, buffers, lengths);
  ASSERT_GT(n, 0u);
  const int64_t sentAt = monotonicNs();
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(sendto(tx.get(), storage[i].data(), lengths[i], 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof addr),
              static_cast<ssize_t>(lengths[i]));
  }
  std::this_thread::sleep_for(std::chrono::nanoseconds(kUnreadForNs));
  loop.run(0, monotonicNs() + kLoopRunsForNs);

  ASSERT_EQ(receiver.counters().rtpPackets, n);
  ASSERT_EQ(receiver.latency().count(), n);
  ASSERT_EQ(receiver.kernelLatency().count(), n);
  const uint64_t sendDelayUs = static_cast<uint64_t>((sentAt - stampedAt) / kUs);
  // The stamp: after the send, well before the read.
  EXPECT_GE(static_cast<double>(receiver.kernelLatency().percentile(0.0)),
            kBucketTolerance * static_cast<double>(sendDelayUs));
  EXPECT_LT(receiver.kernelLatency().max(),
            static_cast<uint64_t>(kSentAgoNs + kUnreadForNs / 2) / kUs);
  // The reader saw them only after the wait.
  EXPECT_GE(static_cast<double>(receiver.latency().percentile(0.0)),
            kBucketTolerance * static_cast<double>((kSentAgoNs + kUnreadForNs) / kUs));
}

}  // namespace
}  // namespace switchyard::bench
