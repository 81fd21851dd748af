#include "bench/LoadSender.hpp"

#include <cerrno>

#include "transport/PacketKind.hpp"

namespace switchyard::bench {

namespace {

// RFC 4585 section 6.1: payload-specific feedback; FMT 1 = PLI (section 6.3.1), FMT 4 = FIR
// (RFC 5104 section 4.3.1).
constexpr uint8_t kRtcpPayloadSpecificFeedback = 206;
constexpr uint8_t kFmtPli = 1;
constexpr uint8_t kFmtFir = 4;
constexpr size_t kRtcpHeaderSize = 4;
// Datagrams read per readiness event before going back to sending.
constexpr int kMaxReadsPerWake = 64;

}  // namespace

LoadSender::LoadSender(int fd, const sockaddr_storage* destination, socklen_t destinationLength,
                       MediaSource& source, transport::SrtpSession* outbound,
                       transport::SrtpSession* inbound)
    : fd_(fd),
      destinationLength_(destinationLength),
      source_(source),
      outbound_(outbound),
      inbound_(inbound),
      buffers_(kBatch) {
  if (destination != nullptr) destination_ = *destination;
  for (size_t i = 0; i < kBatch; ++i) {
    spans_[i] = buffers_[i];
  }
}

void LoadSender::sendDue(int64_t nowNs) {
  for (;;) {
    const size_t produced = source_.produce(nowNs, spans_, lengths_);
    if (produced == 0) return;
    counters_.produced += produced;
    size_t count = 0;
    for (size_t i = 0; i < produced; ++i) {
      size_t length = lengths_[i];
      if (outbound_ != nullptr) {
        auto protectedLength = outbound_->protectRtp(spans_[i], length);
        if (!protectedLength) {
          ++counters_.protectFailures;
          continue;
        }
        length = *protectedLength;
      }
      iov_[count] = {spans_[i].data(), length};
      msghdr& h = messages_[count].msg_hdr;
      h = {};
      if (destination_) {
        h.msg_name = &*destination_;
        h.msg_namelen = destinationLength_;
      }
      h.msg_iov = &iov_[count];
      h.msg_iovlen = 1;
      ++count;
    }
    size_t done = 0;
    while (done < count) {
      ++counters_.sendCalls;
      const int n =
          sendmmsg(fd_, messages_.data() + done, static_cast<unsigned>(count - done), MSG_DONTWAIT);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        // The kernel refused the first datagram left: count it and go on with the rest.
        ++counters_.sendFailures;
        ++done;
        continue;
      }
      for (int k = 0; k < n; ++k) {
        counters_.sentBytes += iov_[done + size_t(k)].iov_len;
      }
      counters_.sent += static_cast<uint64_t>(n);
      if (nowNs >= steadyFromNs_ && nowNs < steadyToNs_) counters_.steadySent += uint64_t(n);
      done += static_cast<size_t>(n);
    }
    if (produced < kBatch) return;
  }
}

void LoadSender::onReadable(int64_t nowNs) {
  for (int i = 0; i < kMaxReadsPerWake; ++i) {
    const ssize_t n = recv(fd_, receiveBuffer_.data(), receiveBuffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN, or an ICMP error reported on the socket: nothing to read
    }
    std::span<uint8_t> datagram(receiveBuffer_.data(), static_cast<size_t>(n));
    if (transport::classifyPacket(datagram) != transport::PacketKind::kRtcp) {
      ++counters_.otherReceived;  // STUN consent answers, stray DTLS
      continue;
    }
    ++counters_.rtcpPackets;
    if (inbound_ != nullptr) {
      auto length = inbound_->unprotectRtcp(datagram);
      if (!length) {
        ++counters_.rtcpFailures;
        continue;
      }
      datagram = datagram.first(*length);
    }
    onRtcp(datagram, nowNs);
  }
}

void LoadSender::onRtcp(std::span<const uint8_t> compound, int64_t nowNs) {
  // RFC 3550 section 6.4: each packet's length field is its size in 32-bit words minus one.
  size_t offset = 0;
  while (offset + kRtcpHeaderSize <= compound.size()) {
    const uint8_t* p = compound.data() + offset;
    const size_t size = (((size_t(p[2]) << 8) | p[3]) + 1) * 4;
    if ((p[0] & 0xc0) != 0x80 || offset + size > compound.size()) return;
    if (p[1] == kRtcpPayloadSpecificFeedback) {
      const uint8_t fmt = p[0] & 0x1f;
      if (fmt == kFmtPli) {
        ++counters_.pliReceived;
        source_.requestKeyframe(nowNs);
      } else if (fmt == kFmtFir) {
        ++counters_.firReceived;
        source_.requestKeyframe(nowNs);
      }
    }
    offset += size;
  }
}

}  // namespace switchyard::bench
