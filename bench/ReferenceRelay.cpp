#include "bench/ReferenceRelay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/HexBytes.hpp"

namespace switchyard::bench {

namespace {

constexpr int kExitUsage = 2;
// Datagrams read per recvmmsg, and sent per sendmmsg (the kernel caps a call at UIO_MAXIOV).
constexpr size_t kReceiveBatch = 64;
constexpr size_t kSendBatch = 1024;
constexpr size_t kMaxDatagram = 1500;
// SRTP per copy, AES_CM_128_HMAC_SHA1_80 (RFC 3711): a 16-byte master key and 14-byte master
// salt per output, session keys derived once (section 4.3), then per packet AES-128 in counter
// mode over the payload and an HMAC-SHA1 tag cut to 80 bits (sections 4.1.1 and 4.2).
constexpr size_t kAesKeySize = 16;
constexpr size_t kSaltSize = 14;
constexpr size_t kMasterSize = kAesKeySize + kSaltSize;
constexpr size_t kHmacKeySize = 20;
constexpr size_t kTagSize = 10;
constexpr size_t kRocSize = 4;
constexpr size_t kRtpHeaderSize = 12;  // the fixed header; CSRCs and extensions follow
// Key derivation labels (RFC 3711 section 4.3.1): RTP encryption key, auth key, salt.
constexpr uint8_t kLabelRtpEncryption = 0x00;
constexpr uint8_t kLabelRtpAuth = 0x01;
constexpr uint8_t kLabelRtpSalt = 0x02;
// Input streams whose rollover counter the relay keeps (RFC 3711 section 3.3.1); the load tool
// sends one or two.
constexpr size_t kMaxStreams = 8;
constexpr int kPollTimeoutMs = 100;

struct Options {
  std::string listen = "127.0.0.1";
  uint16_t port = 0;
  std::string destination = "127.0.0.1";
  uint16_t destinationPort = 0;  // outputs go to destinationPort .. destinationPort + outputs - 1
  size_t outputs = 1;
  bool srtp = false;
  std::array<uint8_t, kMasterSize> srtpKey{};  // output d's: bytes 0 and 1 XOR d's two bytes
  bool srtpKeyGiven = false;
  bool socketPerOutput = false;
  double seconds = 0;  // 0: until the first datagram after idle for --idle seconds
  double idle = 2;
  int cpu = -1;
};

void usage(std::FILE* out) {
  std::fputs(
      "usage: switchyard-bench relay --port P --dest-port Q [--outputs N] [--srtp]\n"
      "                              [--srtp-key HEX] [--listen IP] [--dest IP] [--seconds S]\n"
      "                              [--idle S] [--cpu K] [--socket-per-output]\n"
      "Receives UDP on IP:P and sends each datagram to IP:Q .. IP:Q+N-1. --srtp protects each\n"
      "copy of an RTP packet as SRTP (AES_CM_128_HMAC_SHA1_80, OpenSSL EVP) with a master key\n"
      "per output: --srtp-key (30 bytes of key and salt, hex; default random) with its first\n"
      "two bytes XORed with the output's index (little end first). Stops after --seconds, or "
      "after\n"
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

// One output's session keys and OpenSSL contexts, set up once; per packet only the IV changes.
struct OutputCrypto {
  std::unique_ptr<EVP_CIPHER_CTX, EvpCipherFree> cipher{EVP_CIPHER_CTX_new()};
  std::unique_ptr<EVP_MAC_CTX, EvpMacCtxFree> mac;  // keyed once, re-initialised per packet
  std::array<uint8_t, kAesKeySize> key{};
  std::array<uint8_t, kSaltSize> salt{};
};

// An input stream's rollover counter, kept as a sender keeps it: the index is ROC || SEQ.
struct StreamIndex {
  uint32_t ssrc = 0;
  uint16_t lastSequence = 0;
  uint32_t roc = 0;
  bool used = false;
};

// RFC 3711 section 4.3.3, the AES-CM PRF: the key stream under the master key from the IV
// (label << 48 XOR master salt) * 2^16, with key_derivation_rate 0.
bool deriveSessionKey(const uint8_t* master, uint8_t label, uint8_t* out, size_t length) {
  std::array<uint8_t, 16> iv{};
  std::memcpy(iv.data(), master + kAesKeySize, kSaltSize);
  iv[7] ^= label;
  std::unique_ptr<EVP_CIPHER_CTX, EvpCipherFree> c{EVP_CIPHER_CTX_new()};
  std::array<uint8_t, kHmacKeySize> zeros{};
  int written = 0;
  return c && length <= zeros.size() &&
         EVP_EncryptInit_ex(c.get(), EVP_aes_128_ctr(), nullptr, master, iv.data()) == 1 &&
         EVP_EncryptUpdate(c.get(), out, &written, zeros.data(), static_cast<int>(length)) == 1;
}

bool parseHexKey(std::string_view hex, std::array<uint8_t, kMasterSize>& out) {
  std::vector<uint8_t> bytes;
  if (!parseHexBytes(hex, bytes) || bytes.size() != kMasterSize) return false;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return true;
}

// The RTP header's length with its CSRCs and extension (RFC 3550 section 5.3.1), or 0 when
// the datagram is not that long.
size_t rtpHeaderLength(const uint8_t* data, size_t length) {
  if (length < kRtpHeaderSize) return 0;
  size_t header = kRtpHeaderSize + 4 * (data[0] & 0x0f);
  if (data[0] & 0x10) {
    if (length < header + 4) return 0;
    header += 4 + 4 * ((size_t{data[header + 2]} << 8) | data[header + 3]);
  }
  return header <= length ? header : 0;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--srtp") {
      o.srtp = true;
    } else if (a == "--srtp-key") {
      if ((v = value()) == nullptr || !parseHexKey(v, o.srtpKey)) return false;
      o.srtpKeyGiven = true;
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
    if (!o.srtpKeyGiven) RAND_bytes(o.srtpKey.data(), static_cast<int>(o.srtpKey.size()));
    crypto.resize(o.outputs);
    for (size_t d = 0; d < o.outputs; ++d) {
      auto& c = crypto[d];
      auto master = o.srtpKey;
      master[0] ^= static_cast<uint8_t>(d);
      master[1] ^= static_cast<uint8_t>(d >> 8);
      std::array<uint8_t, kHmacKeySize> macKey{};
      c.mac.reset(EVP_MAC_CTX_new(hmac.get()));
      if (!deriveSessionKey(master.data(), kLabelRtpEncryption, c.key.data(), c.key.size()) ||
          !deriveSessionKey(master.data(), kLabelRtpAuth, macKey.data(), macKey.size()) ||
          !deriveSessionKey(master.data(), kLabelRtpSalt, c.salt.data(), c.salt.size()) || !c.mac ||
          EVP_MAC_init(c.mac.get(), macKey.data(), macKey.size(), params) != 1 ||
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
  std::vector<std::array<uint8_t, kMaxDatagram + kRocSize + kTagSize>> out(o.srtp ? kSendBatch : 0);
  std::array<StreamIndex, kMaxStreams> streams{};
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
      // The packet index (RFC 3711 section 3.3.1), the same for every copy.
      const size_t header = o.srtp ? rtpHeaderLength(data, length) : 0;
      uint64_t index = 0;
      std::array<uint8_t, kRocSize> roc{};
      if (header != 0) {
        const uint32_t ssrc = (uint32_t{data[8]} << 24) | (uint32_t{data[9]} << 16) |
                              (uint32_t{data[10]} << 8) | data[11];
        const auto sequence = static_cast<uint16_t>((data[2] << 8) | data[3]);
        StreamIndex* stream = &streams[0];
        for (auto& st : streams) {
          if (st.used && st.ssrc == ssrc) {
            stream = &st;
            break;
          }
          if (!st.used) {
            st = {ssrc, sequence, 0, true};
            stream = &st;
            break;
          }
        }
        // A jump back by more than half the sequence space is a wrap, not reordering.
        if (sequence < stream->lastSequence && stream->lastSequence - sequence > 0x8000) {
          ++stream->roc;
        }
        stream->lastSequence = sequence;
        index = (uint64_t{stream->roc} << 16) | sequence;
        for (size_t b = 0; b < kRocSize; ++b)
          roc[b] = static_cast<uint8_t>(stream->roc >> (24 - 8 * b));
      }
      for (size_t d = 0; d < o.outputs; ++d) {
        if (pending == kSendBatch) flush();
        size_t outLength = length;
        uint8_t* payload = data;
        if (header != 0) {
          auto& buf = out[pending];
          auto& c = crypto[d];
          // IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16) (RFC 3711 section 4.1.1).
          iv.fill(0);
          std::memcpy(iv.data(), c.salt.data(), kSaltSize);
          for (size_t b = 0; b < 4; ++b)
            iv[4 + b] ^= data[8 + b];
          for (size_t b = 0; b < 6; ++b)
            iv[8 + b] ^= static_cast<uint8_t>(index >> (40 - 8 * b));
          std::memcpy(buf.data(), data, header);
          int written = 0;
          EVP_EncryptInit_ex(c.cipher.get(), nullptr, nullptr, nullptr, iv.data());
          EVP_EncryptUpdate(c.cipher.get(), buf.data() + header, &written, data + header,
                            static_cast<int>(length - header));
          std::array<uint8_t, kHmacKeySize> tag{};
          size_t tagLength = 0;
          // The tag covers the packet and then the ROC (RFC 3711 section 4.2): the ROC goes
          // where the tag will be, so that one update covers both. A null key re-initialises
          // with the key set up front (OpenSSL 3): no allocation.
          std::memcpy(buf.data() + length, roc.data(), roc.size());
          EVP_MAC_init(c.mac.get(), nullptr, 0, nullptr);
          EVP_MAC_update(c.mac.get(), buf.data(), length + roc.size());
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
