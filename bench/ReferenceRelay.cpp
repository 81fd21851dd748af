#include "bench/ReferenceRelay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::bench {

namespace {

constexpr int kExitUsage = 2;
// Datagrams read per recvmmsg, and sent per sendmmsg (the kernel caps a call at UIO_MAXIOV).
constexpr size_t kReceiveBatch = 64;
constexpr size_t kSendBatch = 1024;
constexpr size_t kMaxDatagram = 1500;
// SRTP-like work per copy: AES-128 key and CTR IV, HMAC-SHA1 key; tag truncated to 80 bits
// (RFC 3711 section 4.2 and its default transform).
constexpr size_t kAesKeySize = 16;
constexpr size_t kHmacKeySize = 20;
constexpr size_t kTagSize = 10;
constexpr size_t kRtpHeaderSize = 12;  // the part left in the clear
constexpr int kPollTimeoutMs = 100;

struct Options {
  std::string listen = "127.0.0.1";
  uint16_t port = 0;
  std::string destination = "127.0.0.1";
  uint16_t destinationPort = 0;  // outputs go to destinationPort .. destinationPort + outputs - 1
  size_t outputs = 1;
  bool srtp = false;
  bool socketPerOutput = false;
  double seconds = 0;  // 0: until the first datagram after idle for --idle seconds
  double idle = 2;
  int cpu = -1;
};

void usage(std::FILE* out) {
  std::fputs(
      "usage: switchyard-bench relay --port P --dest-port Q [--outputs N] [--srtp]\n"
      "                              [--listen IP] [--dest IP] [--seconds S] [--idle S] [--cpu K]\n"
      "                              [--socket-per-output]\n"
      "Receives UDP on IP:P and sends each datagram to IP:Q .. IP:Q+N-1. --srtp encrypts each\n"
      "copy (AES-128-CTR + HMAC-SHA1-80, a key per output). Stops after --seconds, or after\n"
      "--idle seconds without input once something arrived. --socket-per-output sends each\n"
      "output's copies from a socket of its own, one sendmsg each (what a port per viewer costs).\n"
      "Prints one JSON line of counters.\n",
      out);
}

struct EvpCipherFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct EvpMacFree {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct EvpMacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

// One output's keys and OpenSSL contexts, set up once; per packet only the IV changes.
struct OutputCrypto {
  std::unique_ptr<EVP_CIPHER_CTX, EvpCipherFree> cipher{EVP_CIPHER_CTX_new()};
  std::unique_ptr<EVP_MAC_CTX, EvpMacCtxFree> mac;  // keyed once, re-initialised per packet
  std::array<uint8_t, kAesKeySize> key{};
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--srtp") {
      o.srtp = true;
    } else if (a == "--socket-per-output") {
      o.socketPerOutput = true;
    } else if (a == "--help") {
      usage(stdout);
      std::exit(0);
    } else if ((v = value()) == nullptr) {
      return false;
    } else if (a == "--port") {
      o.port = static_cast<uint16_t>(std::atoi(v));
    } else if (a == "--dest-port") {
      o.destinationPort = static_cast<uint16_t>(std::atoi(v));
    } else if (a == "--outputs") {
      o.outputs = static_cast<size_t>(std::atol(v));
    } else if (a == "--listen") {
      o.listen = v;
    } else if (a == "--dest") {
      o.destination = v;
    } else if (a == "--seconds") {
      o.seconds = std::atof(v);
    } else if (a == "--idle") {
      o.idle = std::atof(v);
    } else if (a == "--cpu") {
      o.cpu = std::atoi(v);
    } else {
      return false;
    }
  }
  return o.port != 0 && o.destinationPort != 0 && o.outputs >= 1 &&
         o.outputs <= 65535u - o.destinationPort;
}

}  // namespace

int runReferenceRelay(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    usage(stderr);
    return kExitUsage;
  }
  if (o.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(o.cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(o.port);
  if (fd < 0 || inet_pton(AF_INET, o.listen.c_str(), &local.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    std::perror("relay: bind");
    return 1;
  }
  int buffer = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);

  std::vector<sockaddr_in> destinations(o.outputs);
  for (size_t i = 0; i < o.outputs; ++i) {
    auto& d = destinations[i];
    d.sin_family = AF_INET;
    d.sin_port = htons(static_cast<uint16_t>(o.destinationPort + i));
    if (inet_pton(AF_INET, o.destination.c_str(), &d.sin_addr) != 1) {
      std::fprintf(stderr, "relay: bad --dest\n");
      return kExitUsage;
    }
  }

  std::vector<int> outputFds;
  if (o.socketPerOutput) {
    for (size_t i = 0; i < o.outputs; ++i) {
      const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_in any = local;
      any.sin_port = 0;
      if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) {
        std::perror("relay: bind output");
        return 1;
      }
      setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
      outputFds.push_back(s);
    }
  }
  std::vector<size_t> outputOf(kSendBatch);

  std::vector<OutputCrypto> crypto;
  std::unique_ptr<EVP_MAC, EvpMacFree> hmac;
  if (o.srtp) {
    hmac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    char digest[] = "SHA1";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                           OSSL_PARAM_construct_end()};
    crypto.resize(o.outputs);
    for (auto& c : crypto) {
      std::array<uint8_t, kHmacKeySize> macKey{};
      RAND_bytes(c.key.data(), static_cast<int>(c.key.size()));
      RAND_bytes(macKey.data(), static_cast<int>(macKey.size()));
      c.mac.reset(EVP_MAC_CTX_new(hmac.get()));
      if (!c.mac || EVP_MAC_init(c.mac.get(), macKey.data(), macKey.size(), params) != 1 ||
          EVP_EncryptInit_ex(c.cipher.get(), EVP_aes_128_ctr(), nullptr, c.key.data(), nullptr) !=
              1) {
        std::fprintf(stderr, "relay: OpenSSL setup failed\n");
        return 1;
      }
    }
  }

  // Receive side: one buffer per batch slot.
  std::vector<std::array<uint8_t, kMaxDatagram>> in(kReceiveBatch);
  std::vector<iovec> inIov(kReceiveBatch);
  std::vector<mmsghdr> inMsgs(kReceiveBatch);
  for (size_t i = 0; i < kReceiveBatch; ++i) {
    inIov[i] = {in[i].data(), in[i].size()};
    inMsgs[i].msg_hdr = {};
    inMsgs[i].msg_hdr.msg_iov = &inIov[i];
    inMsgs[i].msg_hdr.msg_iovlen = 1;
  }
  // Send side: with --srtp each copy has its own buffer; plain copies point at the input.
  std::vector<std::array<uint8_t, kMaxDatagram + kTagSize>> out(o.srtp ? kSendBatch : 0);
  std::vector<iovec> outIov(kSendBatch);
  std::vector<mmsghdr> outMsgs(kSendBatch);

  uint64_t datagramsIn = 0, datagramsOut = 0, sendFailures = 0, batches = 0;
  size_t pending = 0;
  auto flush = [&] {
    size_t done = 0;
    if (o.socketPerOutput) {
      for (size_t i = 0; i < pending; ++i) {
        if (sendmsg(outputFds[outputOf[i]], &outMsgs[i].msg_hdr, 0) < 0) {
          ++sendFailures;
        } else {
          ++datagramsOut;
        }
      }
      pending = 0;
      return;
    }
    while (done < pending) {
      int n = sendmmsg(fd, outMsgs.data() + done, static_cast<unsigned>(pending - done), 0);
      if (n <= 0) {
        sendFailures += pending - done;  // the kernel refused: count and drop, like an SFU
        break;
      }
      done += static_cast<size_t>(n);
      datagramsOut += static_cast<uint64_t>(n);
    }
    pending = 0;
  };

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto lastInput = start;
  std::array<uint8_t, 16> iv{};
  bool started = false;
  for (;;) {
    const auto now = Clock::now();
    if (o.seconds > 0 && std::chrono::duration<double>(now - start).count() >= o.seconds) break;
    if (o.seconds <= 0 && started &&
        std::chrono::duration<double>(now - lastInput).count() >= o.idle) {
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, kPollTimeoutMs) <= 0) continue;
    const int n = recvmmsg(fd, inMsgs.data(), kReceiveBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) continue;
    started = true;
    lastInput = Clock::now();
    ++batches;
    datagramsIn += static_cast<uint64_t>(n);
    for (int k = 0; k < n; ++k) {
      const size_t length = inMsgs[static_cast<size_t>(k)].msg_len;
      uint8_t* data = in[static_cast<size_t>(k)].data();
      for (size_t d = 0; d < o.outputs; ++d) {
        if (pending == kSendBatch) flush();
        size_t outLength = length;
        uint8_t* payload = data;
        if (o.srtp && length > kRtpHeaderSize) {
          auto& buf = out[pending];
          auto& c = crypto[d];
          std::memcpy(buf.data(), data, kRtpHeaderSize);
          std::memcpy(iv.data(), data + 4, 8);  // timestamp + SSRC stand in for the SRTP IV
          int written = 0;
          EVP_EncryptInit_ex(c.cipher.get(), nullptr, nullptr, nullptr, iv.data());
          EVP_EncryptUpdate(c.cipher.get(), buf.data() + kRtpHeaderSize, &written,
                            data + kRtpHeaderSize, static_cast<int>(length - kRtpHeaderSize));
          std::array<uint8_t, 20> tag{};
          size_t tagLength = 0;
          // A null key re-initialises with the key set up front (OpenSSL 3): no allocation.
          EVP_MAC_init(c.mac.get(), nullptr, 0, nullptr);
          EVP_MAC_update(c.mac.get(), buf.data(), length);
          EVP_MAC_final(c.mac.get(), tag.data(), &tagLength, tag.size());
          std::memcpy(buf.data() + length, tag.data(), kTagSize);
          outLength = length + kTagSize;
          payload = buf.data();
        }
        outIov[pending] = {payload, outLength};
        auto& h = outMsgs[pending].msg_hdr;
        h = {};
        h.msg_name = &destinations[d];
        h.msg_namelen = sizeof(sockaddr_in);
        h.msg_iov = &outIov[pending];
        h.msg_iovlen = 1;
        outputOf[pending] = d;
        ++pending;
      }
    }
    flush();  // before the input buffers are reused by the next recvmmsg
  }
  close(fd);
  for (const int s : outputFds)
    close(s);
  const double elapsed = std::chrono::duration<double>(lastInput - start).count();
  std::printf(
      "{\"relay\": \"%s\", \"outputs\": %zu, \"datagrams_in\": %llu, \"datagrams_out\": %llu, "
      "\"send_failures\": %llu, \"receive_batches\": %llu, \"seconds_to_last_input\": %.3f}\n",
      o.srtp ? "srtp" : "plain", o.outputs, static_cast<unsigned long long>(datagramsIn),
      static_cast<unsigned long long>(datagramsOut), static_cast<unsigned long long>(sendFailures),
      static_cast<unsigned long long>(batches), elapsed);
  return 0;
}

}  // namespace switchyard::bench
