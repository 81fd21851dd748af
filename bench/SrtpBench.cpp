// switchyard-srtp-bench: Google Benchmark rows for SRTP, in ns per packet. SrtpSession protect
// and unprotect of one RTP packet for AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM, 200-byte
// (audio-like) and 1200-byte (video-like) packets, with libsrtp running OpenSSL's crypto
// (transport/SrtpOpenSslCrypto, the default) and with its builtin crypto (NSS on Debian); plus
// the same work done with OpenSSL alone, without libsrtp, for reference.
//
// libsrtp's crypto kernel is process-wide and SrtpSession chooses the backend once, so each
// backend runs in its own process: main() forks before anything touches libsrtp, the child
// selects the builtin and runs its rows first, then this process runs the OpenSSL rows and the
// references. With --benchmark_out=FILE the child writes FILE.libsrtp-builtin.
// bench/README.md explains the rows and holds the figures.

// The reference rows use the SHA1_* functions the OpenSSL backend uses (deprecated in 3.0).
#define OPENSSL_SUPPRESS_DEPRECATED

#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <srtp2/cipher.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "transport/SrtpSession.hpp"

// Exported by libsrtp2, declared only in its private crypto_kernel.h: the type registered for
// an id, whose description says which implementation runs.
extern "C" const srtp_cipher_type_t* srtp_crypto_kernel_get_cipher_type(srtp_cipher_type_id_t id);

namespace switchyard::bench {
namespace {

using transport::SrtpCryptoBackend;
using transport::SrtpProfile;
using transport::SrtpSession;
using Direction = SrtpSession::Direction;

constexpr std::array<size_t, 2> kPacketSizes = {200, 1200};  // RTP packet before the trailer
constexpr size_t kRtpHeaderSize = 12;
// Packets per batch: each row walks this many buffers, about 600 KB for 1200-byte packets
// (within this machine's 1 MiB L2), so that no row runs on a single hot buffer. The unprotect
// rows protect a fresh batch, outside the timing, every kBatch packets.
constexpr size_t kBatch = 512;
constexpr size_t kSlotAlignment = 64;
constexpr uint32_t kSsrc = 0x5EC0DE01;
// The raw rows' SRTP-like work: AES-128 key and 16-byte CTR IV, 20-byte HMAC key cut to an
// 80-bit tag over packet || ROC (RFC 3711 section 4.2); GCM with a 12-byte IV and 16-byte tag.
constexpr size_t kAesKeySize = 16;
constexpr size_t kCtrIvSize = 16;
constexpr size_t kHmacKeySize = 20;
constexpr size_t kHmacTagSize = 10;
constexpr size_t kRocSize = 4;
constexpr size_t kGcmIvSize = 12;
constexpr size_t kGcmTagSize = 16;
constexpr size_t kSha1BlockSize = 64;

std::atomic<bool> rowFailed{false};

void fail(benchmark::State& state, const char* why) {
  rowFailed = true;
  state.SkipWithError(why);
}

std::vector<uint8_t> masterKey(SrtpProfile profile) {
  const auto lengths = transport::srtpKeyLengths(profile);
  std::vector<uint8_t> key(lengths.masterKey + lengths.masterSalt);
  for (size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<uint8_t>(0xA5 ^ (i * 29));
  return key;
}

void writeRtp(uint8_t* p, size_t size, uint16_t seq) {
  const uint8_t header[kRtpHeaderSize] = {0x80,
                                          96,
                                          static_cast<uint8_t>(seq >> 8),
                                          static_cast<uint8_t>(seq),
                                          0,
                                          0,
                                          0x10,
                                          0,
                                          static_cast<uint8_t>(kSsrc >> 24),
                                          static_cast<uint8_t>(kSsrc >> 16),
                                          static_cast<uint8_t>(kSsrc >> 8),
                                          static_cast<uint8_t>(kSsrc)};
  std::memcpy(p, header, sizeof header);
  for (size_t i = kRtpHeaderSize; i < size; ++i)
    p[i] = static_cast<uint8_t>(i * 7 + seq);
}

void setSequenceNumber(uint8_t* p, uint16_t seq) {
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
}

// kBatch packet buffers, each with room for the largest trailer.
struct Batch {
  explicit Batch(size_t packetSize)
      : stride((packetSize + SrtpSession::kMaxTrailer + kSlotAlignment - 1) / kSlotAlignment *
               kSlotAlignment),
        bytes(stride * kBatch),
        lengths(kBatch, 0) {}
  std::span<uint8_t> slot(size_t i) { return {bytes.data() + i * stride, stride}; }
  size_t stride;
  std::vector<uint8_t> bytes;
  std::vector<size_t> lengths;
};

std::unique_ptr<SrtpSession> makeSession(Direction direction, SrtpProfile profile) {
  auto created = SrtpSession::create(direction, profile, masterKey(profile));
  return created.ok() ? std::move(*created) : nullptr;
}

void srtpProtect(benchmark::State& state, SrtpProfile profile, size_t size) {
  auto out = makeSession(Direction::kOutbound, profile);
  if (!out) return fail(state, "SrtpSession::create failed");
  Batch batch(size);
  for (size_t i = 0; i < kBatch; ++i)
    writeRtp(batch.slot(i).data(), size, static_cast<uint16_t>(i));
  // The first packet of the SSRC (libsrtp clones its stream template) is not measured.
  if (!out->protectRtp(batch.slot(0), size).ok()) return fail(state, "protect failed");
  uint16_t seq = 1;
  size_t i = 0;
  for (auto _ : state) {
    const std::span<uint8_t> slot = batch.slot(i);
    setSequenceNumber(slot.data(), seq++);  // a new index every packet, as a sender has
    const auto protectedLength = out->protectRtp(slot, size);
    if (!protectedLength.ok()) return fail(state, "protect failed");
    benchmark::DoNotOptimize(slot.data());
    benchmark::ClobberMemory();
    if (++i == kBatch) i = 0;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

void srtpUnprotect(benchmark::State& state, SrtpProfile profile, size_t size) {
  auto out = makeSession(Direction::kOutbound, profile);
  auto in = makeSession(Direction::kInbound, profile);
  if (!out || !in) return fail(state, "SrtpSession::create failed");
  Batch batch(size);
  uint16_t seq = 0;
  // The receiver sees ever-increasing indexes (the sequence number wraps, the ROC follows), so
  // no packet is a replay.
  auto refill = [&]() -> bool {
    for (size_t i = 0; i < kBatch; ++i) {
      writeRtp(batch.slot(i).data(), size, seq++);
      const auto protectedLength = out->protectRtp(batch.slot(i), size);
      if (!protectedLength.ok()) return false;
      batch.lengths[i] = *protectedLength;
    }
    return true;
  };
  if (!refill()) return fail(state, "protect failed");
  // The SSRC's first packet (a stream clone in libsrtp) is not measured.
  if (!in->unprotectRtp(batch.slot(0).first(batch.lengths[0])).ok()) {
    return fail(state, "unprotect failed");
  }
  size_t i = 1;
  for (auto _ : state) {
    if (i == kBatch) {
      state.PauseTiming();
      const bool refilled = refill();
      state.ResumeTiming();
      if (!refilled) return fail(state, "protect failed");
      i = 0;
    }
    const auto plainLength = in->unprotectRtp(batch.slot(i).first(batch.lengths[i]));
    if (!plainLength.ok() || *plainLength != size) return fail(state, "unprotect failed");
    benchmark::DoNotOptimize(batch.slot(i).data());
    benchmark::ClobberMemory();
    ++i;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

// ---- OpenSSL alone ----

struct EvpCipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct EvpMacFree {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct EvpMacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

enum class RawHmac : uint8_t {
  kEvpMac,          // EVP_MAC keyed once, EVP_MAC_init(ctx, NULL, 0, NULL) per packet
  kSha1Precomputed  // SHA-1 states after key^ipad / key^opad, copied per packet
};

// The cipher and MAC of AES_CM_128_HMAC_SHA1_80 on one packet, as an SRTP sender does them:
// a counter IV per packet, CTR over the payload, HMAC-SHA1 over header, payload and ROC.
void rawCtrHmac(benchmark::State& state, RawHmac hmac, size_t size) {
  const std::array<uint8_t, kAesKeySize> aesKey{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  std::array<uint8_t, kHmacKeySize> macKey{};
  macKey.fill(0x5C);
  std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxFree> cipher(EVP_CIPHER_CTX_new());
  if (!cipher ||
      EVP_EncryptInit_ex(cipher.get(), EVP_aes_128_ctr(), nullptr, aesKey.data(), nullptr) != 1) {
    return fail(state, "EVP AES-128-CTR init failed");
  }
  std::unique_ptr<EVP_MAC, EvpMacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  std::unique_ptr<EVP_MAC_CTX, EvpMacCtxFree> macCtx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (!macCtx || EVP_MAC_init(macCtx.get(), macKey.data(), macKey.size(), params) != 1) {
    return fail(state, "EVP_MAC HMAC-SHA1 init failed");
  }
  SHA_CTX inner;
  SHA_CTX outer;
  std::array<uint8_t, kSha1BlockSize> pad{};
  std::copy(macKey.begin(), macKey.end(), pad.begin());
  for (auto& b : pad)
    b ^= 0x36;
  SHA1_Init(&inner);
  SHA1_Update(&inner, pad.data(), pad.size());
  for (auto& b : pad)
    b ^= 0x36 ^ 0x5c;
  SHA1_Init(&outer);
  SHA1_Update(&outer, pad.data(), pad.size());

  Batch batch(size);
  for (size_t i = 0; i < kBatch; ++i)
    writeRtp(batch.slot(i).data(), size, static_cast<uint16_t>(i));
  std::array<uint8_t, kCtrIvSize> iv{};
  const std::array<uint8_t, kRocSize> roc{};
  std::array<uint8_t, SHA_DIGEST_LENGTH> tag{};
  uint16_t seq = 0;
  size_t i = 0;
  for (auto _ : state) {
    uint8_t* p = batch.slot(i).data();
    setSequenceNumber(p, seq);
    iv[12] = static_cast<uint8_t>(seq >> 8);
    iv[13] = static_cast<uint8_t>(seq);
    ++seq;
    int written = 0;
    if (EVP_EncryptInit_ex(cipher.get(), nullptr, nullptr, nullptr, iv.data()) != 1 ||
        EVP_EncryptUpdate(cipher.get(), p + kRtpHeaderSize, &written, p + kRtpHeaderSize,
                          static_cast<int>(size - kRtpHeaderSize)) != 1) {
      return fail(state, "AES-CTR failed");
    }
    if (hmac == RawHmac::kEvpMac) {
      size_t tagLength = 0;
      if (EVP_MAC_init(macCtx.get(), nullptr, 0, nullptr) != 1 ||
          EVP_MAC_update(macCtx.get(), p, size) != 1 ||
          EVP_MAC_update(macCtx.get(), roc.data(), roc.size()) != 1 ||
          EVP_MAC_final(macCtx.get(), tag.data(), &tagLength, tag.size()) != 1) {
        return fail(state, "HMAC failed");
      }
    } else {
      SHA_CTX running = inner;
      SHA1_Update(&running, p, size);
      SHA1_Update(&running, roc.data(), roc.size());
      SHA1_Final(tag.data(), &running);
      running = outer;
      SHA1_Update(&running, tag.data(), SHA_DIGEST_LENGTH);
      SHA1_Final(tag.data(), &running);
    }
    std::memcpy(p + size, tag.data(), kHmacTagSize);
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
    if (++i == kBatch) i = 0;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

// AEAD_AES_128_GCM's work on one packet: a 12-byte IV per packet, the header as AAD, the
// payload encrypted, a 16-byte tag.
void rawGcm(benchmark::State& state, size_t size) {
  const std::array<uint8_t, kAesKeySize> key{9, 8, 7, 6, 5, 4, 3, 2, 1};
  std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxFree> cipher(EVP_CIPHER_CTX_new());
  if (!cipher ||
      EVP_EncryptInit_ex(cipher.get(), EVP_aes_128_gcm(), nullptr, key.data(), nullptr) != 1) {
    return fail(state, "EVP AES-128-GCM init failed");
  }
  Batch batch(size);
  for (size_t i = 0; i < kBatch; ++i)
    writeRtp(batch.slot(i).data(), size, static_cast<uint16_t>(i));
  std::array<uint8_t, kGcmIvSize> iv{};
  uint16_t seq = 0;
  size_t i = 0;
  for (auto _ : state) {
    uint8_t* p = batch.slot(i).data();
    setSequenceNumber(p, seq);
    iv[10] = static_cast<uint8_t>(seq >> 8);
    iv[11] = static_cast<uint8_t>(seq);
    ++seq;
    int written = 0;
    if (EVP_EncryptInit_ex(cipher.get(), nullptr, nullptr, nullptr, iv.data()) != 1 ||
        EVP_EncryptUpdate(cipher.get(), nullptr, &written, p, kRtpHeaderSize) != 1 ||
        EVP_EncryptUpdate(cipher.get(), p + kRtpHeaderSize, &written, p + kRtpHeaderSize,
                          static_cast<int>(size - kRtpHeaderSize)) != 1 ||
        EVP_EncryptFinal_ex(cipher.get(), p + size, &written) != 1 ||
        EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_AEAD_GET_TAG, kGcmTagSize, p + size) != 1) {
      return fail(state, "AES-GCM failed");
    }
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
    if (++i == kBatch) i = 0;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

// ---- registration and the two processes ----

std::string sizeName(size_t size) {
  return std::to_string(size) + "B";
}

void registerSrtpRows(SrtpCryptoBackend backend) {
  const std::string backendName = transport::srtpCryptoBackendName(backend);
  const std::pair<SrtpProfile, const char*> profiles[] = {
      {SrtpProfile::kAes128CmHmacSha1_80, "AES_CM_128_HMAC_SHA1_80"},
      {SrtpProfile::kAeadAes128Gcm, "AEAD_AES_128_GCM"}};
  for (const auto& entry : profiles) {
    const SrtpProfile profile = entry.first;  // a plain variable: lambdas capture it below
    const char* profileName = entry.second;
    // Says which implementation the rows ran: the description of libsrtp's registered cipher.
    const srtp_cipher_type_t* cipher = srtp_crypto_kernel_get_cipher_type(
        profile == SrtpProfile::kAeadAes128Gcm ? SRTP_AES_GCM_128 : SRTP_AES_ICM_128);
    const std::string label = cipher != nullptr ? cipher->description : "?";
    for (bool protect : {true, false}) {
      for (size_t size : kPacketSizes) {
        const std::string name = std::string("Srtp/") + profileName +
                                 (protect ? "/protect/" : "/unprotect/") + sizeName(size) + "/" +
                                 backendName;
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
          state.SetLabel(label);
          if (protect) {
            srtpProtect(state, profile, size);
          } else {
            srtpUnprotect(state, profile, size);
          }
        });
      }
    }
  }
}

void registerRawRows() {
  for (size_t size : kPacketSizes) {
    benchmark::RegisterBenchmark(
        ("Raw/EVP-AES-128-CTR+EVP_MAC-HMAC-SHA1-80/" + sizeName(size)).c_str(), rawCtrHmac,
        RawHmac::kEvpMac, size);
    benchmark::RegisterBenchmark(
        ("Raw/EVP-AES-128-CTR+SHA1-HMAC-SHA1-80/" + sizeName(size)).c_str(), rawCtrHmac,
        RawHmac::kSha1Precomputed, size);
    benchmark::RegisterBenchmark(("Raw/EVP-AES-128-GCM/" + sizeName(size)).c_str(), rawGcm, size);
  }
}

// Runs this process's rows; `args` are the command line, possibly adjusted for the child.
int runRows(std::vector<std::string> args, SrtpCryptoBackend backend) {
  if (!SrtpSession::selectCryptoBackend(backend)) {
    std::fprintf(stderr, "switchyard-srtp-bench: libsrtp was initialised before the choice\n");
    return 1;
  }
  if (const char* failure = SrtpSession::initializeLibrary()) {
    std::fprintf(stderr, "switchyard-srtp-bench: %s\n", failure);
    return 1;
  }
  registerSrtpRows(backend);
  if (backend == SrtpCryptoBackend::kOpenSsl) registerRawRows();
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  benchmark::Initialize(&argc, argv.data());
  if (benchmark::ReportUnrecognizedArguments(argc, argv.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return rowFailed ? 1 : 0;
}

}  // namespace
}  // namespace switchyard::bench

int main(int argc, char** argv) {
  using switchyard::transport::SrtpCryptoBackend;
  const std::vector<std::string> args(argv, argv + argc);
  std::fflush(stdout);
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("switchyard-srtp-bench: fork");
    return 1;
  }
  if (child == 0) {
    std::vector<std::string> childArgs = args;
    for (auto& a : childArgs) {
      if (a.starts_with("--benchmark_out=")) a += ".libsrtp-builtin";
    }
    const int code =
        switchyard::bench::runRows(std::move(childArgs), SrtpCryptoBackend::kLibsrtpBuiltin);
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(code);
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child) {
    std::perror("switchyard-srtp-bench: waitpid");
    return 1;
  }
  const bool childOk = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!childOk) std::fprintf(stderr, "switchyard-srtp-bench: the libsrtp-builtin rows failed\n");
  const int code = switchyard::bench::runRows(args, SrtpCryptoBackend::kOpenSsl);
  return code != 0 ? code : (childOk ? 0 : 1);
}
