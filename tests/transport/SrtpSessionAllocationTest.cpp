// SrtpSession allocates nothing per packet once an SSRC has been seen, for both profiles, RTP
// and RTCP, protect and unprotect, failures included. libsrtp, NSS and OpenSSL call malloc
// directly, so this executable interposes malloc and its relatives (forwarding to glibc's
// __libc_* entry points) and counts calls while a counting window is open; operator new ends
// in malloc too. Under AddressSanitizer, which owns malloc, the tests skip.
//
// SWITCHYARD_SRTP_TEST_BACKEND=libsrtp-builtin makes this process use libsrtp's builtin (NSS)
// crypto instead of OpenSSL: the zero-allocation tests must then fail, and
// ForcingTheBuiltinBackendFailsTheZeroAllocationTests checks that they do.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transport/SrtpSession.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define SWITCHYARD_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SWITCHYARD_TEST_ASAN 1
#endif
#endif

namespace {

constexpr const char* kBackendVariable = "SWITCHYARD_SRTP_TEST_BACKEND";
[[maybe_unused]] constexpr const char* kAsanSkipMessage =
    "AddressSanitizer replaces malloc; the counting interposer is compiled out";

std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

}  // namespace

#ifndef SWITCHYARD_TEST_ASAN
// glibc's own allocator entry points, which its public malloc family calls.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* pointer);

void* malloc(size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  return __libc_realloc(pointer, size);
}
void* memalign(size_t alignment, size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(size_t alignment, size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* pointer) {
  __libc_free(pointer);
}
}  // extern "C"
#endif

namespace {

using switchyard::transport::SrtpCryptoBackend;
using switchyard::transport::SrtpError;
using switchyard::transport::srtpErrorName;
using switchyard::transport::SrtpProfile;
using switchyard::transport::SrtpSession;
using Direction = SrtpSession::Direction;

constexpr std::array kProfiles = {SrtpProfile::kAes128CmHmacSha1_80, SrtpProfile::kAeadAes128Gcm};
constexpr std::array<uint32_t, 2> kSsrcs = {0x0A0B0C0D, 0x1A1B1C1D};
constexpr std::array<size_t, 2> kPacketSizes = {200, 1200};  // audio-like, video-like
constexpr int kRounds = 300;

// Heap allocations made by fn, counted on this thread's calls and any other's meanwhile.
long allocationsDuring(const std::function<void()>& fn) {
  allocations.store(0);
  counting.store(true);
  fn();
  counting.store(false);
  return allocations.load();
}

// Applies SWITCHYARD_SRTP_TEST_BACKEND before any test creates a session.
class BackendFromEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* value = std::getenv(kBackendVariable);
    if (value != nullptr && std::string(value) == "libsrtp-builtin") {
      SrtpSession::selectCryptoBackend(SrtpCryptoBackend::kLibsrtpBuiltin);
    }
  }
};
const auto* const kBackendEnvironment =
    ::testing::AddGlobalTestEnvironment(new BackendFromEnvironment);

void writeRtp(std::vector<uint8_t>& buffer, size_t length, uint16_t seq, uint32_t ssrc) {
  const uint8_t header[12] = {0x80,
                              96,
                              static_cast<uint8_t>(seq >> 8),
                              static_cast<uint8_t>(seq),
                              0,
                              0,
                              static_cast<uint8_t>(seq >> 4),
                              0,
                              static_cast<uint8_t>(ssrc >> 24),
                              static_cast<uint8_t>(ssrc >> 16),
                              static_cast<uint8_t>(ssrc >> 8),
                              static_cast<uint8_t>(ssrc)};
  std::memcpy(buffer.data(), header, sizeof header);
  for (size_t i = sizeof header; i < length; ++i)
    buffer[i] = static_cast<uint8_t>(i + seq);
}

// A receiver report with one report block (RFC 3550 section 6.4.2): 32 bytes.
constexpr size_t kRtcpSize = 32;
void writeRtcp(std::vector<uint8_t>& buffer, uint32_t ssrc, uint8_t fill) {
  const uint8_t header[8] = {0x81,
                             201,
                             0,
                             7,
                             static_cast<uint8_t>(ssrc >> 24),
                             static_cast<uint8_t>(ssrc >> 16),
                             static_cast<uint8_t>(ssrc >> 8),
                             static_cast<uint8_t>(ssrc)};
  std::memcpy(buffer.data(), header, sizeof header);
  for (size_t i = sizeof header; i < kRtcpSize; ++i)
    buffer[i] = static_cast<uint8_t>(i * fill);
}

std::string profileName(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

std::string paramName(const ::testing::TestParamInfo<SrtpProfile>& param) {
  return profileName(param.param);
}

class SrtpSessionAllocationTest : public ::testing::TestWithParam<SrtpProfile> {
 protected:
  void SetUp() override {
#ifdef SWITCHYARD_TEST_ASAN
    GTEST_SKIP() << kAsanSkipMessage;
#endif
  }
};

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpSessionAllocationTest, ::testing::ValuesIn(kProfiles),
                         paramName);

TEST(SrtpSessionAllocationCounterTest, CountsMallocFromThisProgramAndFromLibraries) {
#ifdef SWITCHYARD_TEST_ASAN
  GTEST_SKIP() << kAsanSkipMessage;
#endif
  void* (*volatile allocate)(size_t) = std::malloc;  // not elided by the optimiser
  void* p = nullptr;
  EXPECT_EQ(allocationsDuring([&] { p = allocate(64); }), 1);
  std::free(p);
  std::unique_ptr<std::string> s;
  EXPECT_GE(allocationsDuring([&] { s = std::make_unique<std::string>(100, 'x'); }), 1);
  // Creating a session: libsrtp allocates its context and ciphers, OpenSSL its contexts.
  std::vector<uint8_t> key(30, 0x11);
  EXPECT_GT(allocationsDuring([&] {
              auto created =
                  SrtpSession::create(Direction::kOutbound, SrtpProfile::kAes128CmHmacSha1_80, key);
              EXPECT_TRUE(created.ok());
            }),
            10);
}

TEST_P(SrtpSessionAllocationTest, NothingAllocatesPerPacketAfterTheFirstOfAnSsrc) {
  const SrtpProfile profile = GetParam();
  const auto lengths = switchyard::transport::srtpKeyLengths(profile);
  std::vector<uint8_t> key(lengths.masterKey + lengths.masterSalt);
  for (size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<uint8_t>(i * 17 + 5);
  auto out = SrtpSession::create(Direction::kOutbound, profile, key);
  auto in = SrtpSession::create(Direction::kInbound, profile, key);
  ASSERT_TRUE(out.ok() && in.ok());
  SrtpSession& sender = **out;
  SrtpSession& receiver = **in;
  std::cout << "[ backend  ] "
            << switchyard::transport::srtpCryptoBackendName(SrtpSession::cryptoBackend()) << "\n";

  std::vector<uint8_t> buffer(1200 + SrtpSession::kMaxTrailer);
  std::vector<uint8_t> rtcp(kRtcpSize + SrtpSession::kMaxTrailer);
  // Half-way through, the sequence numbers cross 65535 -> 0 (a rollover-counter change).
  uint16_t seq = static_cast<uint16_t>(65536 - kRounds * kSsrcs.size() * kPacketSizes.size() / 2);
  bool ok = true;
  // The first packet of each SSRC, both ways: libsrtp clones its template stream then.
  for (uint32_t ssrc : kSsrcs) {
    writeRtp(buffer, 200, seq, ssrc);
    auto p = sender.protectRtp(buffer, 200);
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE(receiver.unprotectRtp({buffer.data(), *p}).ok());
    writeRtcp(rtcp, ssrc, 1);
    auto r = sender.protectRtcp(rtcp, kRtcpSize);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(receiver.unprotectRtcp({rtcp.data(), *r}).ok());
  }
  ++seq;

  // Each kind of call in its own window, so that a failure names it.
  std::vector<size_t> protectedLengths;
  protectedLengths.reserve(4);
  std::vector<uint8_t> wire(buffer.size());
  long protectRtp = 0;
  long unprotectRtp = 0;
  long protectRtcp = 0;
  long unprotectRtcp = 0;
  long failures = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (uint32_t ssrc : kSsrcs) {
      for (size_t size : kPacketSizes) {
        writeRtp(buffer, size, seq++, ssrc);
        size_t length = 0;
        protectRtp += allocationsDuring([&] {
          auto p = sender.protectRtp(buffer, size);
          ok &= p.ok();
          length = p.ok() ? *p : 0;
        });
        // A tampered copy first (refused, and the index stays unused), then the packet, then
        // the packet again (a replay): none may allocate.
        std::memcpy(wire.data(), buffer.data(), length);
        wire[length / 2] ^= 0x20;
        failures += allocationsDuring([&] {
          ok &= receiver.unprotectRtp({wire.data(), length}).error() == SrtpError::kAuthFailed;
        });
        std::memcpy(wire.data(), buffer.data(), length);
        unprotectRtp += allocationsDuring([&] {
          auto u = receiver.unprotectRtp({wire.data(), length});
          ok &= u.ok() && *u == size;
        });
        std::memcpy(wire.data(), buffer.data(), length);
        failures += allocationsDuring([&] {
          ok &= receiver.unprotectRtp({wire.data(), length}).error() == SrtpError::kReplay;
        });
      }
      writeRtcp(rtcp, ssrc, static_cast<uint8_t>(round));
      size_t length = 0;
      protectRtcp += allocationsDuring([&] {
        auto p = sender.protectRtcp(rtcp, kRtcpSize);
        ok &= p.ok();
        length = p.ok() ? *p : 0;
      });
      unprotectRtcp += allocationsDuring([&] {
        auto u = receiver.unprotectRtcp({rtcp.data(), length});
        ok &= u.ok() && *u == kRtcpSize;
      });
    }
  }
  EXPECT_TRUE(ok) << "a packet was not transformed as expected";
  const int rtpPackets = kRounds * static_cast<int>(kSsrcs.size() * kPacketSizes.size());
  const int rtcpPackets = kRounds * static_cast<int>(kSsrcs.size());
  EXPECT_EQ(protectRtp, 0) << "heap allocations in " << rtpPackets << " protectRtp calls";
  EXPECT_EQ(unprotectRtp, 0) << "heap allocations in " << rtpPackets << " unprotectRtp calls";
  EXPECT_EQ(protectRtcp, 0) << "heap allocations in " << rtcpPackets << " protectRtcp calls";
  EXPECT_EQ(unprotectRtcp, 0) << "heap allocations in " << rtcpPackets << " unprotectRtcp calls";
  EXPECT_EQ(failures, 0) << "heap allocations in " << 2 * rtpPackets
                         << " refused unprotectRtp calls (tampered, replayed)";
}

// Runs this executable again with the builtin (NSS) backend forced: the zero-allocation tests
// must fail there, or the counting would prove nothing.
TEST(SrtpSessionAllocationCounterTest, ForcingTheBuiltinBackendFailsTheZeroAllocationTests) {
#ifdef SWITCHYARD_TEST_ASAN
  GTEST_SKIP() << kAsanSkipMessage;
#endif
  int output[2];
  ASSERT_EQ(::pipe(output), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(output[1], STDOUT_FILENO);
    ::dup2(output[1], STDERR_FILENO);
    ::close(output[0]);
    ::close(output[1]);
    ::setenv(kBackendVariable, "libsrtp-builtin", 1);
    ::execl("/proc/self/exe", "srtp-allocation-test-builtin",
            "--gtest_filter=Profiles/SrtpSessionAllocationTest.*", "--gtest_color=no",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(output[1]);
  std::string text;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(output[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  ::close(output[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << text;
  EXPECT_NE(WEXITSTATUS(status), 0) << text;
  EXPECT_NE(text.find("[ backend  ] libsrtp-builtin"), std::string::npos) << text;
  const std::string protectFailure = "heap allocations in " +
                                     std::to_string(kRounds * kSsrcs.size() * kPacketSizes.size()) +
                                     " protectRtp calls";
  EXPECT_NE(text.find(protectFailure), std::string::npos) << text;
  EXPECT_NE(text.find("2 FAILED TESTS"), std::string::npos) << text;
}

}  // namespace
