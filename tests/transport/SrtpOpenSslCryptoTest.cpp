// transport/SrtpOpenSslCrypto: the OpenSSL cipher and HMAC types SrtpSession installs into
// libsrtp. Published vectors through each type, the default install, registration refusing a
// wrong implementation, whole sessions, and a cross-check against libsrtp's builtin (NSS)
// crypto running in a child process: each side must read what the other protects, and both
// must produce the same bytes.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/Fixtures.hpp"
#include "tests/support/Hex.hpp"
#include "transport/SrtpOpenSslCrypto.hpp"
#include "transport/SrtpSession.hpp"

// libsrtp2 exports these but declares them only in its private headers: the builtin (NSS on
// Debian) types with their self-test data, and the kernel's lookup by id.
extern "C" {
extern const srtp_cipher_type_t srtp_aes_icm_128;
extern const srtp_cipher_type_t srtp_aes_icm_256;
extern const srtp_cipher_type_t srtp_aes_gcm_128;
extern const srtp_cipher_type_t srtp_aes_gcm_256;
extern const srtp_auth_type_t srtp_hmac;
const srtp_cipher_type_t* srtp_crypto_kernel_get_cipher_type(srtp_cipher_type_id_t id);
const srtp_auth_type_t* srtp_crypto_kernel_get_auth_type(srtp_auth_type_id_t id);
}

namespace {

using switchyard::test::hex;
using switchyard::test::loadFixture;
using switchyard::transport::installSrtpCryptoTypes;
using switchyard::transport::openSslAesGcm128;
using switchyard::transport::openSslAesGcm256;
using switchyard::transport::openSslAesIcm128;
using switchyard::transport::openSslAesIcm256;
using switchyard::transport::openSslHmacSha1;
using switchyard::transport::SrtpCryptoBackend;
using switchyard::transport::SrtpError;
using switchyard::transport::srtpErrorName;
using switchyard::transport::SrtpProfile;
using switchyard::transport::SrtpResult;
using switchyard::transport::SrtpSession;
using Bytes = std::vector<uint8_t>;
using Direction = SrtpSession::Direction;

constexpr size_t kRtpHeaderSize = 12;
constexpr size_t kRtcpHeaderSize = 8;  // RTCP header + sender SSRC, in clear (RFC 3711 3.4)
constexpr size_t kSrtcpTrailerSize = 4;
// Room after a packet for any suite's trailer (libsrtp's own bound, SRTP_MAX_TRAILER_LEN).
constexpr size_t kTrailerRoom = SRTP_MAX_TRAILER_LEN;

Bytes slice(const Bytes& b, size_t from, size_t to) {
  return Bytes(b.begin() + static_cast<ptrdiff_t>(from), b.begin() + static_cast<ptrdiff_t>(to));
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// --- suites: SrtpSession's two profiles, and libsrtp's 256-bit ones through its own API ----

// The 256-bit suites have no SrtpSession profile; they run on a raw libsrtp session with the
// same policy as SrtpSession's, so that the AES-ICM-256 and AES-GCM-256 types are exercised
// by libsrtp's protocol code too.
enum class Suite : uint8_t {
  kAesCm128HmacSha1_80,
  kAeadAes128Gcm,
  kAesCm256HmacSha1_80,
  kAeadAes256Gcm,
};
constexpr std::array kSuites = {Suite::kAesCm128HmacSha1_80, Suite::kAeadAes128Gcm,
                                Suite::kAesCm256HmacSha1_80, Suite::kAeadAes256Gcm};

std::string suiteName(Suite suite) {
  switch (suite) {
    case Suite::kAesCm128HmacSha1_80:
      return "AES_CM_128_HMAC_SHA1_80";
    case Suite::kAeadAes128Gcm:
      return "AEAD_AES_128_GCM";
    case Suite::kAesCm256HmacSha1_80:
      return "AES_256_CM_HMAC_SHA1_80";
    case Suite::kAeadAes256Gcm:
      return "AEAD_AES_256_GCM";
  }
  return "?";
}

void PrintTo(Suite suite, std::ostream* os) {
  *os << suiteName(suite);
}

size_t keyAndSaltLength(Suite suite) {
  switch (suite) {
    case Suite::kAesCm128HmacSha1_80:
      return 30;
    case Suite::kAeadAes128Gcm:
      return 28;
    case Suite::kAesCm256HmacSha1_80:
      return 46;
    case Suite::kAeadAes256Gcm:
      return 44;
  }
  return 0;
}

Bytes keyFor(Suite suite, uint8_t seed) {
  Bytes key(keyAndSaltLength(suite));
  for (size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<uint8_t>(seed * 37 + i * 11 + 3);
  return key;
}

SrtpError errorFrom(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_auth_fail:
      return SrtpError::kAuthFailed;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return SrtpError::kReplay;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
      return SrtpError::kBadLength;
    default:
      return SrtpError::kOther;
  }
}

struct RawSessionDeleter {
  void operator()(srtp_ctx_t_* s) const { srtp_dealloc(s); }
};

// One direction of one suite.
class Endpoint {
 public:
  static std::unique_ptr<Endpoint> create(Suite suite, Direction direction, const Bytes& key) {
    auto e = std::unique_ptr<Endpoint>(new Endpoint);
    if (suite == Suite::kAesCm128HmacSha1_80 || suite == Suite::kAeadAes128Gcm) {
      auto created =
          SrtpSession::create(direction,
                              suite == Suite::kAeadAes128Gcm ? SrtpProfile::kAeadAes128Gcm
                                                             : SrtpProfile::kAes128CmHmacSha1_80,
                              key);
      if (!created.ok()) return nullptr;
      e->session_ = std::move(*created);
      return e;
    }
    if (SrtpSession::initializeLibrary() != nullptr) return nullptr;
    srtp_policy_t policy{};
    if (suite == Suite::kAeadAes256Gcm) {
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
    } else {
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy.rtcp);
    }
    policy.ssrc.type = direction == Direction::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
    Bytes keyCopy = key;
    policy.key = keyCopy.data();
    policy.window_size = SrtpSession::kReplayWindowPackets;
    policy.allow_repeat_tx = direction == Direction::kOutbound ? 1 : 0;
    srtp_t raw = nullptr;
    if (srtp_create(&raw, &policy) != srtp_err_status_ok) return nullptr;
    e->raw_.reset(raw);
    return e;
  }

  SrtpResult<Bytes> protect(const Bytes& plain, bool rtcp) {
    Bytes buffer = plain;
    buffer.resize(plain.size() + kTrailerRoom);
    if (session_) {
      auto r = rtcp ? session_->protectRtcp(buffer, plain.size())
                    : session_->protectRtp(buffer, plain.size());
      if (!r.ok()) return r.error();
      buffer.resize(*r);
      return buffer;
    }
    int length = static_cast<int>(plain.size());
    const srtp_err_status_t status = rtcp ? srtp_protect_rtcp(raw_.get(), buffer.data(), &length)
                                          : srtp_protect(raw_.get(), buffer.data(), &length);
    if (status != srtp_err_status_ok) return errorFrom(status);
    buffer.resize(static_cast<size_t>(length));
    return buffer;
  }

  SrtpResult<Bytes> unprotect(Bytes wire, bool rtcp) {
    if (session_) {
      auto r = rtcp ? session_->unprotectRtcp(wire) : session_->unprotectRtp(wire);
      if (!r.ok()) return r.error();
      wire.resize(*r);
      return wire;
    }
    int length = static_cast<int>(wire.size());
    const srtp_err_status_t status = rtcp ? srtp_unprotect_rtcp(raw_.get(), wire.data(), &length)
                                          : srtp_unprotect(raw_.get(), wire.data(), &length);
    if (status != srtp_err_status_ok) return errorFrom(status);
    wire.resize(static_cast<size_t>(length));
    return wire;
  }

 private:
  Endpoint() = default;
  std::unique_ptr<SrtpSession> session_;
  std::unique_ptr<srtp_ctx_t_, RawSessionDeleter> raw_;
};

Bytes rtpPacket(uint16_t seq, uint32_t ssrc, size_t payloadSize) {
  Bytes p = {0x80,
             111,
             static_cast<uint8_t>(seq >> 8),
             static_cast<uint8_t>(seq),
             0x00,
             0x01,
             static_cast<uint8_t>(seq >> 3),
             static_cast<uint8_t>(seq * 7),
             static_cast<uint8_t>(ssrc >> 24),
             static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),
             static_cast<uint8_t>(ssrc)};
  for (size_t i = 0; i < payloadSize; ++i)
    p.push_back(static_cast<uint8_t>(i * 29 + seq * 3 + 1));
  return p;
}

// An RTCP receiver report with `blocks` report blocks (RFC 3550 section 6.4.2).
Bytes rtcpPacket(uint32_t ssrc, size_t blocks) {
  const size_t words = 1 + blocks * 6;
  Bytes p = {static_cast<uint8_t>(0x80 | blocks), 201,
             static_cast<uint8_t>(words >> 8),    static_cast<uint8_t>(words),
             static_cast<uint8_t>(ssrc >> 24),    static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),     static_cast<uint8_t>(ssrc)};
  for (size_t i = 0; i < blocks * 24; ++i)
    p.push_back(static_cast<uint8_t>(i * 13 + 5));
  return p;
}

// The traffic both processes run through each suite: two SSRCs, a sequence-number wrap, audio-
// and video-sized packets, RTCP with 0 to 31 report blocks.
struct Traffic {
  std::vector<std::pair<bool, Bytes>> packets;  // (rtcp, plaintext)
};

Traffic trafficFor(Suite suite) {
  Traffic t;
  const size_t sizes[] = {0, 1, 16, 17, 160, 1000, 1200 - kRtpHeaderSize - 16};
  uint16_t seq = 65530;
  for (int round = 0; round < 3; ++round) {
    for (size_t size : sizes) {
      t.packets.emplace_back(false, rtpPacket(seq, 0x11223344, size));
      t.packets.emplace_back(false, rtpPacket(static_cast<uint16_t>(seq * 3), 0x55667788, size));
      ++seq;
    }
    for (size_t blocks : {0, 1, 31})
      t.packets.emplace_back(true, rtcpPacket(0x11223344 + static_cast<uint32_t>(suite), blocks));
  }
  return t;
}

// --- the builtin-crypto peer (a child process) ---------------------------------------------

// Requests and replies on two pipes: a fixed header, then `length` bytes.
enum class PeerOp : uint8_t { kCreate, kProtect, kUnprotect, kDescribe };
struct PeerRequest {
  PeerOp op;
  Suite suite;
  uint8_t rtcp;
  uint8_t pad = 0;
  uint32_t length;
};
struct PeerReply {
  int32_t status;  // 0 ok, else 1 + SrtpError
  uint32_t length;
};

bool writeAll(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool readAll(int fd, void* data, size_t size) {
  auto* p = static_cast<uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The child's loop: SrtpSessions on libsrtp's builtin crypto, one outbound and one inbound
// endpoint per suite, keyed by kCreate. Ends at end of input.
[[noreturn]] void servePeer(int in, int out) {
  const bool selected = SrtpSession::selectCryptoBackend(SrtpCryptoBackend::kLibsrtpBuiltin);
  std::map<Suite, std::pair<std::unique_ptr<Endpoint>, std::unique_ptr<Endpoint>>> endpoints;
  for (;;) {
    PeerRequest request{};
    if (!readAll(in, &request, sizeof request)) ::_exit(0);
    Bytes body(request.length);
    if (!readAll(in, body.data(), body.size())) ::_exit(1);
    PeerReply reply{0, 0};
    Bytes answer;
    switch (request.op) {
      case PeerOp::kCreate: {
        auto outbound = Endpoint::create(request.suite, Direction::kOutbound, body);
        auto inbound = Endpoint::create(request.suite, Direction::kInbound, body);
        if (!outbound || !inbound) reply.status = 1 + static_cast<int32_t>(SrtpError::kOther);
        endpoints[request.suite] = {std::move(outbound), std::move(inbound)};
        break;
      }
      case PeerOp::kProtect:
      case PeerOp::kUnprotect: {
        auto& pair = endpoints[request.suite];
        Endpoint* e = request.op == PeerOp::kProtect ? pair.first.get() : pair.second.get();
        if (e == nullptr) {
          reply.status = 1 + static_cast<int32_t>(SrtpError::kOther);
          break;
        }
        auto r = request.op == PeerOp::kProtect ? e->protect(body, request.rtcp != 0)
                                                : e->unprotect(body, request.rtcp != 0);
        if (r.ok()) {
          answer = std::move(*r);
        } else {
          reply.status = 1 + static_cast<int32_t>(r.error());
        }
        break;
      }
      case PeerOp::kDescribe: {
        // Which implementation the peer's libsrtp kernel holds, after initialising it.
        const char* failure = SrtpSession::initializeLibrary();
        std::string text = failure != nullptr ? failure : "";
        if (failure == nullptr) {
          text = std::string(selected ? "selected " : "NOT selected ") +
                 srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128)->description + "|" +
                 srtp_crypto_kernel_get_cipher_type(SRTP_AES_GCM_128)->description + "|" +
                 srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1)->description;
        }
        answer.assign(text.begin(), text.end());
        break;
      }
    }
    reply.length = static_cast<uint32_t>(answer.size());
    if (!writeAll(out, &reply, sizeof reply) || !writeAll(out, answer.data(), answer.size())) {
      ::_exit(1);
    }
  }
}

// Forked before any test runs, so before this process initialises libsrtp: the child's
// libsrtp is fresh and takes the builtin backend, this one the default (OpenSSL).
class BuiltinPeer : public ::testing::Environment {
 public:
  static BuiltinPeer* instance;

  void SetUp() override {
    int toChild[2];
    int fromChild[2];
    if (::pipe2(toChild, O_CLOEXEC) != 0 || ::pipe2(fromChild, O_CLOEXEC) != 0) return;
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(toChild[1]);
      ::close(fromChild[0]);
      servePeer(toChild[0], fromChild[1]);
    }
    ::close(toChild[0]);
    ::close(fromChild[1]);
    if (pid < 0) {
      ::close(toChild[1]);
      ::close(fromChild[0]);
      return;
    }
    pid_ = pid;
    to_ = toChild[1];
    from_ = fromChild[0];
  }

  void TearDown() override {
    if (to_ >= 0) ::close(to_);
    if (from_ >= 0) ::close(from_);
    to_ = from_ = -1;
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  bool running() const { return pid_ > 0; }

  // Sends one request; the reply's error, or its bytes.
  SrtpResult<Bytes> call(PeerOp op, Suite suite, bool rtcp, const Bytes& body) {
    const PeerRequest request{op, suite, static_cast<uint8_t>(rtcp ? 1 : 0), 0,
                              static_cast<uint32_t>(body.size())};
    PeerReply reply{};
    if (!writeAll(to_, &request, sizeof request) || !writeAll(to_, body.data(), body.size()) ||
        !readAll(from_, &reply, sizeof reply)) {
      return SrtpError::kOther;
    }
    Bytes answer(reply.length);
    if (!readAll(from_, answer.data(), answer.size())) return SrtpError::kOther;
    if (reply.status != 0) return static_cast<SrtpError>(reply.status - 1);
    return answer;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
};

BuiltinPeer* BuiltinPeer::instance =
    static_cast<BuiltinPeer*>(::testing::AddGlobalTestEnvironment(new BuiltinPeer));

// --- the install ---------------------------------------------------------------------------

TEST(SrtpOpenSslCryptoTest, TheOpenSslTypesAreInstalledByDefault) {
  ASSERT_EQ(SrtpSession::initializeLibrary(), nullptr);
  EXPECT_EQ(SrtpSession::cryptoBackend(), SrtpCryptoBackend::kOpenSsl);
  EXPECT_EQ(srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128), &openSslAesIcm128());
  EXPECT_EQ(srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_256), &openSslAesIcm256());
  EXPECT_EQ(srtp_crypto_kernel_get_cipher_type(SRTP_AES_GCM_128), &openSslAesGcm128());
  EXPECT_EQ(srtp_crypto_kernel_get_cipher_type(SRTP_AES_GCM_256), &openSslAesGcm256());
  EXPECT_EQ(srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1), &openSslHmacSha1());
  // Once initialised, the choice is fixed.
  EXPECT_FALSE(SrtpSession::selectCryptoBackend(SrtpCryptoBackend::kLibsrtpBuiltin));
  EXPECT_TRUE(SrtpSession::selectCryptoBackend(SrtpCryptoBackend::kOpenSsl));
  EXPECT_EQ(SrtpSession::cryptoBackend(), SrtpCryptoBackend::kOpenSsl);
  EXPECT_STREQ(switchyard::transport::srtpCryptoBackendName(SrtpCryptoBackend::kOpenSsl),
               "openssl");
  EXPECT_STREQ(switchyard::transport::srtpCryptoBackendName(SrtpCryptoBackend::kLibsrtpBuiltin),
               "libsrtp-builtin");
}

// Each type passes its own vectors and those libsrtp's builtin type carries (which libsrtp
// also ran when the type replaced it); and the builtin passes ours, so our vectors are right.
TEST(SrtpOpenSslCryptoTest, TypesPassTheirOwnAndTheBuiltinsKnownAnswerTests) {
  ASSERT_EQ(SrtpSession::initializeLibrary(), nullptr);
  const std::pair<const srtp_cipher_type_t*, const srtp_cipher_type_t*> ciphers[] = {
      {&openSslAesIcm128(), &srtp_aes_icm_128},
      {&openSslAesIcm256(), &srtp_aes_icm_256},
      {&openSslAesGcm128(), &srtp_aes_gcm_128},
      {&openSslAesGcm256(), &srtp_aes_gcm_256}};
  for (auto [ours, builtin] : ciphers) {
    SCOPED_TRACE(ours->description);
    EXPECT_EQ(ours->id, builtin->id);
    ASSERT_NE(ours->test_data, nullptr);
    EXPECT_EQ(srtp_cipher_type_self_test(ours), srtp_err_status_ok);
    EXPECT_EQ(srtp_cipher_type_test(ours, builtin->test_data), srtp_err_status_ok);
    EXPECT_EQ(srtp_cipher_type_test(builtin, ours->test_data), srtp_err_status_ok)
        << builtin->description;
  }
  EXPECT_EQ(srtp_auth_type_self_test(&openSslHmacSha1()), srtp_err_status_ok);
  EXPECT_EQ(srtp_auth_type_test(&openSslHmacSha1(), srtp_hmac.test_data), srtp_err_status_ok);
  EXPECT_EQ(srtp_auth_type_test(&srtp_hmac, openSslHmacSha1().test_data), srtp_err_status_ok);
  // The GCM vectors include the 8-byte tag and SRTCP; the HMAC ones the 80- and 32-bit cuts.
  int gcmCases = 0;
  bool shortTag = false;
  for (auto* c = openSslAesGcm128().test_data; c != nullptr; c = c->next_test_case) {
    ++gcmCases;
    shortTag |= c->tag_length_octets == 8;
  }
  EXPECT_EQ(gcmCases, 3);
  EXPECT_TRUE(shortTag);
  std::vector<int> tagLengths;
  for (auto* c = openSslHmacSha1().test_data; c != nullptr; c = c->next_test_case)
    tagLengths.push_back(c->tag_length_octets);
  EXPECT_EQ(tagLengths, (std::vector<int>{20, 20, 20, 10, 4}));
}

// Broken copies of our types. A cipher object dispatches through the table its alloc put in
// it, so each copy's alloc points its objects at the copy. Static: libsrtp would keep a pointer
// if one were wrongly accepted.
srtp_cipher_type_t brokenGcm;
srtp_auth_type_t brokenHmac;

srtp_err_status_t brokenGcmAlloc(srtp_cipher_t** c, int keyLength, int tagLength) {
  const srtp_err_status_t status = openSslAesGcm128().alloc(c, keyLength, tagLength);
  if (status == srtp_err_status_ok) (*c)->type = &brokenGcm;
  return status;
}

srtp_err_status_t brokenHmacAlloc(srtp_auth_t** a, int keyLength, int tagLength) {
  const srtp_err_status_t status = openSslHmacSha1().alloc(a, keyLength, tagLength);
  if (status == srtp_err_status_ok) (*a)->type = &brokenHmac;
  return status;
}

// Registration runs the vectors: a type whose vector or whose implementation is wrong is
// refused, named, and the kernel keeps what it had.
TEST(SrtpOpenSslCryptoTest, RegistrationRefusesATypeThatFailsItsVectors) {
  ASSERT_EQ(SrtpSession::initializeLibrary(), nullptr);

  // A wrong vector: the first keystream byte of RFC 3711 B.2 changed.
  srtp_cipher_test_case_t badCase = *openSslAesIcm128().test_data;
  Bytes ciphertext(badCase.ciphertext, badCase.ciphertext + badCase.ciphertext_length_octets);
  ciphertext[0] ^= 0x01;
  badCase.ciphertext = ciphertext.data();
  srtp_cipher_type_t badVectors = openSslAesIcm128();
  badVectors.test_data = &badCase;
  badVectors.description = "ICM with a wrong vector";
  const srtp_cipher_type_t* ciphers[] = {&badVectors};
  auto result = installSrtpCryptoTypes(ciphers, {});
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status, srtp_err_status_algo_fail);
  EXPECT_STREQ(result.refusedType, "ICM with a wrong vector");

  // A wrong implementation with the right vectors: GCM that does not decrypt.
  brokenGcm = openSslAesGcm128();
  brokenGcm.alloc = brokenGcmAlloc;
  brokenGcm.decrypt = [](void*, uint8_t*, unsigned int*) { return srtp_err_status_ok; };
  brokenGcm.description = "GCM that does not decrypt";
  ciphers[0] = &brokenGcm;
  result = installSrtpCryptoTypes(ciphers, {});
  EXPECT_EQ(result.status, srtp_err_status_algo_fail);
  EXPECT_STREQ(result.refusedType, "GCM that does not decrypt");

  // An HMAC whose tags are zeros.
  brokenHmac = openSslHmacSha1();
  brokenHmac.alloc = brokenHmacAlloc;
  brokenHmac.compute = [](void*, const uint8_t*, int, int tagLength, uint8_t* tag) {
    std::memset(tag, 0, static_cast<size_t>(tagLength));
    return srtp_err_status_ok;
  };
  brokenHmac.description = "HMAC with zero tags";
  const srtp_auth_type_t* auths[] = {&brokenHmac};
  result = installSrtpCryptoTypes({}, auths);
  EXPECT_EQ(result.status, srtp_err_status_algo_fail);
  EXPECT_STREQ(result.refusedType, "HMAC with zero tags");

  EXPECT_EQ(srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128), &openSslAesIcm128());
  EXPECT_EQ(srtp_crypto_kernel_get_cipher_type(SRTP_AES_GCM_128), &openSslAesGcm128());
  EXPECT_EQ(srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1), &openSslHmacSha1());
}

// --- published vectors through the types ----------------------------------------------------

struct CipherDeleter {
  void operator()(srtp_cipher_t* c) const { srtp_cipher_dealloc(c); }
};
using Cipher = std::unique_ptr<srtp_cipher_t, CipherDeleter>;

Cipher makeCipher(const srtp_cipher_type_t& type, const Bytes& keyAndSalt, int tagLength) {
  srtp_cipher_t* c = nullptr;
  EXPECT_EQ(srtp_cipher_type_alloc(&type, &c, static_cast<int>(keyAndSalt.size()), tagLength),
            srtp_err_status_ok);
  Cipher cipher(c);
  if (c != nullptr) {
    EXPECT_EQ(srtp_cipher_init(c, keyAndSalt.data()), srtp_err_status_ok);
  }
  return cipher;
}

Bytes ctrKeystream(const srtp_cipher_type_t& type, const Bytes& keyAndSalt, size_t length) {
  auto c = makeCipher(type, keyAndSalt, 0);
  if (!c) return {};
  uint8_t iv[16] = {};
  EXPECT_EQ(srtp_cipher_set_iv(c.get(), iv, srtp_direction_encrypt), srtp_err_status_ok);
  Bytes keystream(length, 0);
  uint32_t n = static_cast<uint32_t>(length);
  EXPECT_EQ(srtp_cipher_encrypt(c.get(), keystream.data(), &n), srtp_err_status_ok);
  return keystream;
}

TEST(SrtpOpenSslCryptoTest, AesIcmKeystreamsOfRfc3711AppendixB2AndRfc6188Section7) {
  // RFC 3711 B.2: session key and salt; the IV's index part is zero, so the counter starts at
  // salt * 2^16.
  EXPECT_EQ(ctrKeystream(openSslAesIcm128(),
                         hex("2B7E151628AED2A6ABF7158809CF4F3C F0F1F2F3F4F5F6F7F8F9FAFBFCFD"), 48),
            hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB"
                "41E95B3BB0A2E8DD477901E4FCA894C0"));
  // RFC 6188 section 7, AES-256.
  EXPECT_EQ(ctrKeystream(openSslAesIcm256(),
                         hex("57f82fe3613fd170a85ec93c40b1f092 2ec4cb0dc025b58272147cc438944a98"
                             "f0f1f2f3f4f5f6f7f8f9fafbfcfd"),
                         32),
            hex("92bdd28a93c3f52511c677d08b5515a4 9da71b2378a854f67050756ded165bac"));
  // A key of the other size is refused at allocation.
  srtp_cipher_t* c = nullptr;
  EXPECT_EQ(srtp_cipher_type_alloc(&openSslAesIcm128(), &c, 46, 0), srtp_err_status_bad_param);
  EXPECT_EQ(srtp_cipher_type_alloc(&openSslAesIcm256(), &c, 30, 0), srtp_err_status_bad_param);
}

// RFC 7714 section 8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt.
Bytes rtpIv(const Bytes& salt, const Bytes& packet, uint32_t roc) {
  Bytes iv(12, 0);
  std::copy_n(packet.begin() + 8, 4, iv.begin() + 2);  // SSRC
  iv[6] = static_cast<uint8_t>(roc >> 24);
  iv[7] = static_cast<uint8_t>(roc >> 16);
  iv[8] = static_cast<uint8_t>(roc >> 8);
  iv[9] = static_cast<uint8_t>(roc);
  iv[10] = packet[2];  // SEQ
  iv[11] = packet[3];
  for (size_t i = 0; i < 12; ++i)
    iv[i] ^= salt[i];
  return iv;
}

// RFC 7714 section 9.1: IV = (0x0000 || SSRC || 0x0000 || 0 || SRTCP index) XOR salt.
Bytes rtcpIv(const Bytes& salt, const Bytes& packet, const Bytes& eAndIndex) {
  Bytes iv(12, 0);
  std::copy_n(packet.begin() + 4, 4, iv.begin() + 2);  // sender SSRC
  std::copy_n(eAndIndex.begin(), 4, iv.begin() + 8);
  iv[8] &= 0x7F;  // the E flag is not part of the index
  for (size_t i = 0; i < 12; ++i)
    iv[i] ^= salt[i];
  return iv;
}

// Seals with the type through libsrtp's cipher API, as srtp.c calls it: IV, AAD in one or two
// parts, encrypt in place, tag after the ciphertext.
Bytes gcmSeal(const srtp_cipher_type_t& type, const Bytes& keyAndSalt, Bytes iv,
              const std::vector<Bytes>& aad, Bytes payload, int tagLength) {
  auto c = makeCipher(type, keyAndSalt, tagLength);
  if (!c) return {};
  EXPECT_EQ(srtp_cipher_set_iv(c.get(), iv.data(), srtp_direction_encrypt), srtp_err_status_ok);
  for (const Bytes& part : aad) {
    EXPECT_EQ(srtp_cipher_set_aad(c.get(), part.data(), static_cast<uint32_t>(part.size())),
              srtp_err_status_ok);
  }
  uint32_t length = static_cast<uint32_t>(payload.size());
  payload.resize(payload.size() + 16);
  EXPECT_EQ(srtp_cipher_encrypt(c.get(), payload.data(), &length), srtp_err_status_ok);
  uint32_t tagWritten = 0;
  EXPECT_EQ(srtp_cipher_get_tag(c.get(), payload.data() + length, &tagWritten), srtp_err_status_ok);
  EXPECT_EQ(tagWritten, static_cast<uint32_t>(tagLength));
  payload.resize(length + tagWritten);
  return payload;
}

std::pair<srtp_err_status_t, Bytes> gcmOpen(const srtp_cipher_type_t& type, const Bytes& keyAndSalt,
                                            Bytes iv, const std::vector<Bytes>& aad, Bytes sealed,
                                            int tagLength) {
  auto c = makeCipher(type, keyAndSalt, tagLength);
  if (!c) return {srtp_err_status_fail, {}};
  EXPECT_EQ(srtp_cipher_set_iv(c.get(), iv.data(), srtp_direction_decrypt), srtp_err_status_ok);
  for (const Bytes& part : aad) {
    EXPECT_EQ(srtp_cipher_set_aad(c.get(), part.data(), static_cast<uint32_t>(part.size())),
              srtp_err_status_ok);
  }
  uint32_t length = static_cast<uint32_t>(sealed.size());
  const auto status = srtp_cipher_decrypt(c.get(), sealed.data(), &length);
  sealed.resize(status == srtp_err_status_ok ? length : 0);
  return {status, sealed};
}

struct Rfc7714Case {
  const char* name;
  const srtp_cipher_type_t& type;
  Bytes key;
  Bytes srtp;   // section 16.x.1: the whole SRTP packet
  Bytes srtcp;  // section 17.x.1: the whole SRTCP packet
};

// RFC 7714 sections 16 and 17: the SRTP and SRTCP packets, byte for byte, for both key sizes.
// The RFC gives session keys, which SrtpSession cannot take (libsrtp always derives them from
// a master key), so they run through the type libsrtp's sessions use, with the IV computed
// here from the packet (sections 8.1 and 9.1) and the AAD of sections 8.2 and 9.2.
TEST(SrtpOpenSslCryptoTest, Rfc7714Sections16And17PacketsForBothKeySizes) {
  ASSERT_EQ(SrtpSession::initializeLibrary(), nullptr);
  std::map<std::string, Bytes> v;
  for (auto& p : loadFixture("srtp/rfc7714-vectors.hex"))
    v[p.name] = p.bytes;
  const Bytes& salt = v.at("session salt");
  const Bytes& rtp = v.at("rtp plain");
  const Bytes& rtcp = v.at("rtcp plain");
  const Rfc7714Case cases[] = {
      {"AEAD_AES_128_GCM (16.1.1, 17.1.1)", openSslAesGcm128(), v.at("session key"),
       v.at("rtp protected"), v.at("rtcp protected")},
      {"AEAD_AES_256_GCM (16.2.1, 17.2.1)", openSslAesGcm256(),
       hex("000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f"),
       hex("8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3"
           "b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13"),
       hex("81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1"
           "110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Bytes keyAndSalt = concat(c.key, salt);

    // SRTP: ROC 0; the IV must be the RFC's (section 16.1.1 prints it).
    const Bytes iv = rtpIv(salt, rtp, 0);
    EXPECT_EQ(iv, v.at("rtp iv"));
    const Bytes header = slice(rtp, 0, kRtpHeaderSize);
    const Bytes sealed =
        gcmSeal(c.type, keyAndSalt, iv, {header}, slice(rtp, kRtpHeaderSize, rtp.size()), 16);
    EXPECT_EQ(concat(header, sealed), c.srtp);
    auto opened =
        gcmOpen(c.type, keyAndSalt, iv, {header}, slice(c.srtp, kRtpHeaderSize, c.srtp.size()), 16);
    EXPECT_EQ(opened.first, srtp_err_status_ok);
    EXPECT_EQ(concat(header, opened.second), rtp);
    // An 8-byte tag is the leftmost half of the 16.
    EXPECT_EQ(gcmSeal(c.type, keyAndSalt, iv, {header}, slice(rtp, kRtpHeaderSize, rtp.size()), 8),
              slice(c.srtp, kRtpHeaderSize, c.srtp.size() - 8));
    // Section 16.1.2: any change fails the tag (ciphertext, tag, AAD).
    for (size_t at : {size_t{0}, sealed.size() - 1}) {
      Bytes tampered = slice(c.srtp, kRtpHeaderSize, c.srtp.size());
      tampered[at] ^= 0x80;
      EXPECT_EQ(gcmOpen(c.type, keyAndSalt, iv, {header}, tampered, 16).first,
                srtp_err_status_auth_fail);
    }
    Bytes otherHeader = header;
    otherHeader[1] ^= 0x01;
    EXPECT_EQ(gcmOpen(c.type, keyAndSalt, iv, {otherHeader},
                      slice(c.srtp, kRtpHeaderSize, c.srtp.size()), 16)
                  .first,
              srtp_err_status_auth_fail);

    // SRTCP: header || ciphertext || tag || E+index; the AAD is the first 8 octets then the
    // E+index word, passed in two parts as libsrtp does.
    const Bytes trailer = slice(c.srtcp, c.srtcp.size() - kSrtcpTrailerSize, c.srtcp.size());
    const Bytes rtcpIvBytes = rtcpIv(salt, rtcp, trailer);
    EXPECT_EQ(rtcpIvBytes, v.at("rtcp iv"));
    const Bytes rtcpHeader = slice(rtcp, 0, kRtcpHeaderSize);
    const Bytes rtcpSealed = gcmSeal(c.type, keyAndSalt, rtcpIvBytes, {rtcpHeader, trailer},
                                     slice(rtcp, kRtcpHeaderSize, rtcp.size()), 16);
    EXPECT_EQ(concat(concat(rtcpHeader, rtcpSealed), trailer), c.srtcp);
    opened = gcmOpen(c.type, keyAndSalt, rtcpIvBytes, {rtcpHeader, trailer},
                     slice(c.srtcp, kRtcpHeaderSize, c.srtcp.size() - kSrtcpTrailerSize), 16);
    EXPECT_EQ(opened.first, srtp_err_status_ok);
    EXPECT_EQ(concat(rtcpHeader, opened.second), rtcp);
    Bytes otherTrailer = trailer;
    otherTrailer[3] ^= 0x01;  // another SRTCP index: the AAD no longer matches
    EXPECT_EQ(gcmOpen(c.type, keyAndSalt, rtcpIvBytes, {rtcpHeader, otherTrailer},
                      slice(c.srtcp, kRtcpHeaderSize, c.srtcp.size() - kSrtcpTrailerSize), 16)
                  .first,
              srtp_err_status_auth_fail);
  }
}

TEST(SrtpOpenSslCryptoTest, GcmRefusesOtherKeyAndTagLengthsAndMisuse) {
  srtp_cipher_t* c = nullptr;
  EXPECT_EQ(srtp_cipher_type_alloc(&openSslAesGcm128(), &c, 44, 16), srtp_err_status_bad_param);
  EXPECT_EQ(srtp_cipher_type_alloc(&openSslAesGcm256(), &c, 28, 16), srtp_err_status_bad_param);
  EXPECT_EQ(srtp_cipher_type_alloc(&openSslAesGcm128(), &c, 28, 12), srtp_err_status_bad_param);
  // A tag is produced once per IV: encrypting again needs a new one.
  auto cipher = makeCipher(openSslAesGcm128(), Bytes(28, 7), 16);
  ASSERT_TRUE(cipher);
  uint8_t iv[12] = {};
  uint8_t buffer[32] = {};
  uint32_t length = 16;
  uint32_t tagLength = 0;
  ASSERT_EQ(srtp_cipher_set_iv(cipher.get(), iv, srtp_direction_encrypt), srtp_err_status_ok);
  ASSERT_EQ(srtp_cipher_encrypt(cipher.get(), buffer, &length), srtp_err_status_ok);
  ASSERT_EQ(srtp_cipher_get_tag(cipher.get(), buffer + 16, &tagLength), srtp_err_status_ok);
  EXPECT_EQ(srtp_cipher_encrypt(cipher.get(), buffer, &length), srtp_err_status_bad_param);
  EXPECT_EQ(srtp_cipher_get_tag(cipher.get(), buffer + 16, &tagLength), srtp_err_status_bad_param);
  // Decrypting on an encrypt IV, or input shorter than the tag, is refused.
  ASSERT_EQ(srtp_cipher_set_iv(cipher.get(), iv, srtp_direction_encrypt), srtp_err_status_ok);
  length = 32;
  EXPECT_EQ(srtp_cipher_decrypt(cipher.get(), buffer, &length), srtp_err_status_bad_param);
  ASSERT_EQ(srtp_cipher_set_iv(cipher.get(), iv, srtp_direction_decrypt), srtp_err_status_ok);
  length = 15;
  EXPECT_EQ(srtp_cipher_decrypt(cipher.get(), buffer, &length), srtp_err_status_bad_param);
}

// --- whole sessions ---------------------------------------------------------------------------

// libsrtp's whole-packet reference vectors under a master key (tests/fixtures/srtp/README.md),
// now through the OpenSSL types: key derivation (AES-ICM), then AES-CM + HMAC-SHA1 or GCM.
TEST(SrtpOpenSslCryptoTest, SessionsReproduceTheReferenceVectorsByteForByte) {
  ASSERT_EQ(SrtpSession::initializeLibrary(), nullptr);
  ASSERT_EQ(SrtpSession::cryptoBackend(), SrtpCryptoBackend::kOpenSsl);
  std::map<std::string, Bytes> v;
  for (auto& p : loadFixture("srtp/reference-vectors.hex"))
    v[p.name] = p.bytes;
  for (auto [prefix, suite] : {std::pair{"aes-cm-80", Suite::kAesCm128HmacSha1_80},
                               std::pair{"aead-gcm", Suite::kAeadAes128Gcm}}) {
    SCOPED_TRACE(prefix);
    const std::string p = prefix;
    auto out = Endpoint::create(suite, Direction::kOutbound, v.at(p + " master key+salt"));
    auto in = Endpoint::create(suite, Direction::kInbound, v.at(p + " master key+salt"));
    ASSERT_TRUE(out && in);
    for (const char* kind : {"rtp", "rtcp"}) {
      const bool rtcp = std::string(kind) == "rtcp";
      auto wire = out->protect(v.at(p + " " + kind + " plain"), rtcp);
      ASSERT_TRUE(wire.ok());
      EXPECT_EQ(*wire, v.at(p + " " + kind + " protected")) << kind;
      auto plain = in->unprotect(v.at(p + " " + kind + " protected"), rtcp);
      ASSERT_TRUE(plain.ok()) << kind << ": " << srtpErrorName(plain.error());
      EXPECT_EQ(*plain, v.at(p + " " + kind + " plain")) << kind;
    }
  }
}

class SuiteTest : public ::testing::TestWithParam<Suite> {};

std::string suiteParamName(const ::testing::TestParamInfo<Suite>& param) {
  return suiteName(param.param);
}

INSTANTIATE_TEST_SUITE_P(Suites, SuiteTest, ::testing::ValuesIn(kSuites), suiteParamName);

TEST_P(SuiteTest, RoundTripsRtpAndRtcp) {
  const Suite suite = GetParam();
  const Bytes key = keyFor(suite, 1);
  auto out = Endpoint::create(suite, Direction::kOutbound, key);
  auto in = Endpoint::create(suite, Direction::kInbound, key);
  ASSERT_TRUE(out && in);
  for (const auto& [rtcp, plain] : trafficFor(suite).packets) {
    SCOPED_TRACE(::testing::Message() << (rtcp ? "rtcp " : "rtp ") << plain.size());
    auto wire = out->protect(plain, rtcp);
    ASSERT_TRUE(wire.ok()) << srtpErrorName(wire.error());
    const size_t clear = rtcp ? kRtcpHeaderSize : kRtpHeaderSize;
    EXPECT_EQ(slice(*wire, 0, clear), slice(plain, 0, clear));
    if (plain.size() >= clear + 16) {
      EXPECT_NE(slice(*wire, clear, plain.size()), slice(plain, clear, plain.size()));
    }
    auto back = in->unprotect(*wire, rtcp);
    ASSERT_TRUE(back.ok()) << srtpErrorName(back.error());
    EXPECT_EQ(*back, plain);
    EXPECT_EQ(in->unprotect(*wire, rtcp).error(), SrtpError::kReplay);
  }
}

// Every byte of an RTP and an RTCP packet flipped in turn: kAuthFailed, and the genuine packet
// still passes afterwards. (SrtpSessionTest flips every bit of smaller packets.)
TEST_P(SuiteTest, TamperedPacketsFailAuthentication) {
  const Suite suite = GetParam();
  const Bytes key = keyFor(suite, 2);
  auto out = Endpoint::create(suite, Direction::kOutbound, key);
  auto in = Endpoint::create(suite, Direction::kInbound, key);
  ASSERT_TRUE(out && in);
  for (bool rtcp : {false, true}) {
    auto wire =
        out->protect(rtcp ? rtcpPacket(0xABCDEF01, 2) : rtpPacket(7, 0xABCDEF01, 200), rtcp);
    ASSERT_TRUE(wire.ok());
    // 0x40 leaves the CSRC count and X bit of RTP byte 0 alone, which could otherwise push the
    // header past the packet (kBadLength, not an authentication question).
    for (size_t i = 0; i < wire.value().size(); ++i) {
      Bytes tampered = *wire;
      tampered[i] ^= 0x40;
      auto result = in->unprotect(tampered, rtcp);
      ASSERT_FALSE(result.ok()) << (rtcp ? "rtcp" : "rtp") << " byte " << i;
      EXPECT_EQ(result.error(), SrtpError::kAuthFailed) << (rtcp ? "rtcp" : "rtp") << " byte " << i;
    }
    Bytes wrongTag = *wire;
    wrongTag.back() ^= 0x01;
    EXPECT_EQ(in->unprotect(wrongTag, rtcp).error(), SrtpError::kAuthFailed);
    EXPECT_TRUE(in->unprotect(*wire, rtcp).ok());
  }
  // Under another key nothing verifies.
  auto stranger = Endpoint::create(suite, Direction::kInbound, keyFor(suite, 3));
  ASSERT_TRUE(stranger);
  auto wire = out->protect(rtpPacket(8, 0xABCDEF01, 1000), false);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(stranger->unprotect(*wire, false).error(), SrtpError::kAuthFailed);
}

// --- cross-check with libsrtp's builtin crypto --------------------------------------------

TEST(SrtpOpenSslCryptoTest, ThePeerRunsLibsrtpsBuiltinCrypto) {
  ASSERT_TRUE(BuiltinPeer::instance->running());
  auto described = BuiltinPeer::instance->call(PeerOp::kDescribe, Suite::kAeadAes128Gcm, false, {});
  ASSERT_TRUE(described.ok());
  const std::string text(described.value().begin(), described.value().end());
  EXPECT_EQ(text, std::string("selected ") + srtp_aes_icm_128.description + "|" +
                      srtp_aes_gcm_128.description + "|" + srtp_hmac.description);
  EXPECT_NE(text.find("NSS"), std::string::npos) << text;  // Debian builds libsrtp2 on NSS
  ASSERT_EQ(SrtpSession::initializeLibrary(), nullptr);
  EXPECT_EQ(srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128), &openSslAesIcm128());
}

// The same keys and packets on both sides: libsrtp's transform is deterministic (the SRTCP
// index starts at 1 on both), so the protected bytes must be identical, and each side must
// unprotect what the other protected.
TEST_P(SuiteTest, BuiltinAndOpenSslProduceAndAcceptTheSameBytes) {
  const Suite suite = GetParam();
  BuiltinPeer& peer = *BuiltinPeer::instance;
  ASSERT_TRUE(peer.running());
  const Bytes key = keyFor(suite, 4);
  ASSERT_TRUE(peer.call(PeerOp::kCreate, suite, false, key).ok());
  auto out = Endpoint::create(suite, Direction::kOutbound, key);
  auto in = Endpoint::create(suite, Direction::kInbound, key);
  ASSERT_TRUE(out && in);
  size_t checked = 0;
  for (const auto& [rtcp, plain] : trafficFor(suite).packets) {
    SCOPED_TRACE(::testing::Message() << (rtcp ? "rtcp " : "rtp ") << plain.size());
    auto ours = out->protect(plain, rtcp);
    auto theirs = peer.call(PeerOp::kProtect, suite, rtcp, plain);
    ASSERT_TRUE(ours.ok() && theirs.ok());
    EXPECT_EQ(*ours, *theirs);
    // NSS-protected → OpenSSL unprotect, OpenSSL-protected → NSS unprotect.
    auto mine = in->unprotect(*theirs, rtcp);
    ASSERT_TRUE(mine.ok()) << srtpErrorName(mine.error());
    EXPECT_EQ(*mine, plain);
    auto peers = peer.call(PeerOp::kUnprotect, suite, rtcp, *ours);
    ASSERT_TRUE(peers.ok()) << srtpErrorName(peers.error());
    EXPECT_EQ(*peers, plain);
    ++checked;
  }
  EXPECT_EQ(checked, trafficFor(suite).packets.size());
  // A packet tampered on our side fails on theirs, and the other way round.
  auto ours = out->protect(rtpPacket(100, 0x11223344, 300), false);
  auto theirs = peer.call(PeerOp::kProtect, suite, false, rtpPacket(101, 0x11223344, 300));
  ASSERT_TRUE(ours.ok() && theirs.ok());
  (*ours)[50] ^= 0x04;
  (*theirs)[50] ^= 0x04;
  EXPECT_EQ(peer.call(PeerOp::kUnprotect, suite, false, *ours).error(), SrtpError::kAuthFailed);
  EXPECT_EQ(in->unprotect(*theirs, false).error(), SrtpError::kAuthFailed);
}

}  // namespace
