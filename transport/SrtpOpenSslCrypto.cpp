// The HMAC below runs on OpenSSL's SHA1_* block functions, deprecated in OpenSSL 3.0 but still
// exported by libcrypto.so.3: they are the only OpenSSL SHA-1 interface whose state can be
// copied without allocating. In 3.0 (Debian 12 has 3.0.19) every EVP route allocates per
// message: EVP_MAC_init without a key, EVP_MD_CTX_copy_ex and EVP_DigestInit_ex each free and
// re-create the provider context (2 allocations per packet, measured; docs/srtp.md).
#define OPENSSL_SUPPRESS_DEPRECATED

#include "transport/SrtpOpenSslCrypto.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string_view>

namespace switchyard::transport {

namespace {

// RFC 3711 section 4.1.1: AES-CM takes a 112-bit salt; the counter block is 128 bits.
constexpr size_t kIcmSaltSize = 14;
constexpr size_t kIcmBlockSize = 16;
// RFC 7714 section 8.1: a 96-bit salt and a 96-bit IV. libsrtp builds the IV itself from the
// session salt, SSRC, ROC and sequence number, so the cipher never reads the salt.
constexpr size_t kGcmSaltSize = 12;
constexpr int kGcmIvSize = 12;
// RFC 7714 section 14.2 uses the full 16-byte tag; libsrtp also offers an 8-byte one.
constexpr int kGcmTagSize = 16;
constexpr int kGcmShortTagSize = 8;
constexpr size_t kAes128KeySize = 16;
constexpr size_t kAes256KeySize = 32;
// RFC 2104 section 2 with SHA-1: block B = 64 bytes, output L = 20 bytes, ipad 0x36, opad 0x5c.
constexpr size_t kSha1BlockSize = 64;
constexpr int kSha1DigestSize = 20;
constexpr uint8_t kHmacInnerPad = 0x36;
constexpr uint8_t kHmacOuterPad = 0x5c;
// RFC 3711 section 4.2.1 keys HMAC-SHA1 with 160 bits; libsrtp asks for that. Longer keys than
// one block would need hashing first (RFC 2104), which no SRTP profile uses.
constexpr int kMaxHmacKeySize = static_cast<int>(kSha1BlockSize);

// Key + salt lengths as libsrtp passes them to alloc (its *_KEY_LEN_WSALT constants).
constexpr int kIcm128KeyAndSalt = static_cast<int>(kAes128KeySize + kIcmSaltSize);  // 30
constexpr int kIcm256KeyAndSalt = static_cast<int>(kAes256KeySize + kIcmSaltSize);  // 46
constexpr int kGcm128KeyAndSalt = static_cast<int>(kAes128KeySize + kGcmSaltSize);  // 28
constexpr int kGcm256KeyAndSalt = static_cast<int>(kAes256KeySize + kGcmSaltSize);  // 44

// --- known-answer vectors --------------------------------------------------------------------

// Bytes from hex at compile time; spaces are skipped, anything else is a compile error.
template <size_t N>
consteval std::array<uint8_t, N> hexBytes(std::string_view text) {
  std::array<uint8_t, N> out{};
  size_t count = 0;
  int high = -1;
  for (char ch : text) {
    if (ch == ' ') continue;
    int v = 0;
    if (ch >= '0' && ch <= '9') {
      v = ch - '0';
    } else if (ch >= 'a' && ch <= 'f') {
      v = ch - 'a' + 10;
    } else {
      throw "hexBytes: not a lower-case hex digit";
    }
    if (high < 0) {
      high = v;
    } else {
      if (count == N) throw "hexBytes: more bytes than declared";
      out[count++] = static_cast<uint8_t>(high << 4 | v);
      high = -1;
    }
  }
  if (count != N || high >= 0) throw "hexBytes: fewer bytes than declared";
  return out;
}

// RFC 3711 appendix B.2: the AES-CM keystream of session key 2b7e..3c and salt f0f1..fd,
// counters 0 to 2 (the packet index part of the IV is zero).
constexpr auto kIcm128Key =
    hexBytes<kIcm128KeyAndSalt>("2b7e151628aed2a6abf7158809cf4f3c f0f1f2f3f4f5f6f7f8f9fafbfcfd");
constexpr auto kIcm128Zeros = std::array<uint8_t, 48>{};
constexpr auto kIcm128Keystream = hexBytes<48>(
    "e03ead0935c95e80e166b16dd92b4eb4 d23513162b02d0f72a43a2fe4a5f97ab"
    "41e95b3bb0a2e8dd477901e4fca894c0");
// RFC 6188 section 7: the AES-256-CM keystream, the same salt and IV.
constexpr auto kIcm256Key = hexBytes<kIcm256KeyAndSalt>(
    "57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98"
    "f0f1f2f3f4f5f6f7f8f9fafbfcfd");
constexpr auto kIcm256Zeros = std::array<uint8_t, 32>{};
constexpr auto kIcm256Keystream =
    hexBytes<32>("92bdd28a93c3f52511c677d08b5515a4 9da71b2378a854f67050756ded165bac");
// libsrtp's test-case IV pointer is not const (it never writes through it; neither do we).
std::array<uint8_t, kIcmBlockSize> icmZeroIv{};

// RFC 7714 sections 16.1.1/16.2.1 (SRTP) and 17.1.1/17.2.1 (SRTCP): the session key and salt,
// the IV of sections 8.1/9.1, the AAD of sections 8.2/9.2 (RTP header; SRTCP's first 8 bytes
// then the E flag and SRTCP index), the plaintext after the AAD, and ciphertext || tag.
constexpr auto kGcm128Key =
    hexBytes<kGcm128KeyAndSalt>("000102030405060708090a0b0c0d0e0f 517569642070726f2071756f");
constexpr auto kGcm256Key = hexBytes<kGcm256KeyAndSalt>(
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "517569642070726f2071756f");
std::array<uint8_t, kGcmIvSize> gcmRtpIv = hexBytes<kGcmIvSize>("51753c6580c2726f20718414");
std::array<uint8_t, kGcmIvSize> gcmRtcpIv = hexBytes<kGcmIvSize>("517524055203726f207170bb");
constexpr auto kGcmRtpAad = hexBytes<12>("8040f17b 8041f8d3 5501a0b2");
constexpr auto kGcmRtpPlain = hexBytes<38>(
    "47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573");
constexpr auto kGcm128RtpSealed = hexBytes<38 + kGcmTagSize>(
    "f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf"
    "8833899d 7f27beb1 6a9152cf 765ee439 0cce");
constexpr auto kGcm256RtpSealed = hexBytes<38 + kGcmTagSize>(
    "32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799"
    "b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13");
constexpr auto kGcmRtcpAad = hexBytes<12>("81c8000d 4d617273 800005d4");
constexpr auto kGcmRtcpPlain = hexBytes<44>(
    "4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
    "deadbeef");
constexpr auto kGcm128RtcpSealed = hexBytes<44 + kGcmTagSize>(
    "63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded"
    "0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade");
constexpr auto kGcm256RtcpSealed = hexBytes<44 + kGcmTagSize>(
    "d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1 110555be 8415f658 c61de047"
    "6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be");

// RFC 2202 section 3, HMAC-SHA-1 test cases 1 to 3, and case 2 cut to SRTP's 80- and 32-bit
// tags (RFC 3711 section 4.2.1 keeps the leftmost bits).
template <size_t N>
consteval std::array<uint8_t, N - 1> asciiBytes(const char (&text)[N]) {
  std::array<uint8_t, N - 1> out{};
  for (size_t i = 0; i + 1 < N; ++i)
    out[i] = static_cast<uint8_t>(text[i]);
  return out;
}
template <size_t N>
consteval std::array<uint8_t, N> repeated(uint8_t value) {
  std::array<uint8_t, N> out{};
  out.fill(value);
  return out;
}
constexpr auto kHmacKey1 = repeated<20>(0x0b);
constexpr auto kHmacData1 = asciiBytes("Hi There");
constexpr auto kHmacTag1 = hexBytes<20>("b617318655057264e28bc0b6fb378c8ef146be00");
constexpr auto kHmacKey2 = asciiBytes("Jefe");
constexpr auto kHmacData2 = asciiBytes("what do ya want for nothing?");
constexpr auto kHmacTag2 = hexBytes<20>("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
constexpr auto kHmacKey3 = repeated<20>(0xaa);
constexpr auto kHmacData3 = repeated<50>(0xdd);
constexpr auto kHmacTag3 = hexBytes<20>("125d7342b9ac11cd91a39af48aa17b4f63f175d3");

// Aggregate initialisation in libsrtp's field order, with the lengths taken from the arrays.
template <size_t K, size_t P, size_t C>
constexpr srtp_cipher_test_case_t ctrCase(const std::array<uint8_t, K>& key,
                                          std::array<uint8_t, kIcmBlockSize>& iv,
                                          const std::array<uint8_t, P>& plain,
                                          const std::array<uint8_t, C>& cipher,
                                          const srtp_cipher_test_case_t* next) {
  return {static_cast<int>(K),
          key.data(),
          iv.data(),
          static_cast<unsigned>(P),
          plain.data(),
          static_cast<unsigned>(C),
          cipher.data(),
          0,
          nullptr,
          0,
          next};
}

// tagLength may be 8: the ciphertext is then followed by the leftmost 8 bytes of the 16-byte tag.
template <size_t K, size_t A, size_t P, size_t C>
constexpr srtp_cipher_test_case_t gcmCase(const std::array<uint8_t, K>& key,
                                          std::array<uint8_t, kGcmIvSize>& iv,
                                          const std::array<uint8_t, A>& aad,
                                          const std::array<uint8_t, P>& plain,
                                          const std::array<uint8_t, C>& sealed, int tagLength,
                                          const srtp_cipher_test_case_t* next) {
  return {static_cast<int>(K),
          key.data(),
          iv.data(),
          static_cast<unsigned>(P),
          plain.data(),
          static_cast<unsigned>(P + static_cast<size_t>(tagLength)),
          sealed.data(),
          static_cast<int>(A),
          aad.data(),
          tagLength,
          next};
}

constexpr srtp_cipher_test_case_t kIcm128Case =
    ctrCase(kIcm128Key, icmZeroIv, kIcm128Zeros, kIcm128Keystream, nullptr);
constexpr srtp_cipher_test_case_t kIcm256Case =
    ctrCase(kIcm256Key, icmZeroIv, kIcm256Zeros, kIcm256Keystream, nullptr);

constexpr srtp_cipher_test_case_t kGcm128RtcpCase = gcmCase(
    kGcm128Key, gcmRtcpIv, kGcmRtcpAad, kGcmRtcpPlain, kGcm128RtcpSealed, kGcmTagSize, nullptr);
constexpr srtp_cipher_test_case_t kGcm128ShortTagCase =
    gcmCase(kGcm128Key, gcmRtpIv, kGcmRtpAad, kGcmRtpPlain, kGcm128RtpSealed, kGcmShortTagSize,
            &kGcm128RtcpCase);
constexpr srtp_cipher_test_case_t kGcm128Case =
    gcmCase(kGcm128Key, gcmRtpIv, kGcmRtpAad, kGcmRtpPlain, kGcm128RtpSealed, kGcmTagSize,
            &kGcm128ShortTagCase);

constexpr srtp_cipher_test_case_t kGcm256RtcpCase = gcmCase(
    kGcm256Key, gcmRtcpIv, kGcmRtcpAad, kGcmRtcpPlain, kGcm256RtcpSealed, kGcmTagSize, nullptr);
constexpr srtp_cipher_test_case_t kGcm256ShortTagCase =
    gcmCase(kGcm256Key, gcmRtpIv, kGcmRtpAad, kGcmRtpPlain, kGcm256RtpSealed, kGcmShortTagSize,
            &kGcm256RtcpCase);
constexpr srtp_cipher_test_case_t kGcm256Case =
    gcmCase(kGcm256Key, gcmRtpIv, kGcmRtpAad, kGcmRtpPlain, kGcm256RtpSealed, kGcmTagSize,
            &kGcm256ShortTagCase);

template <size_t K, size_t D>
constexpr srtp_auth_test_case_t hmacCase(const std::array<uint8_t, K>& key,
                                         const std::array<uint8_t, D>& data,
                                         const std::array<uint8_t, kSha1DigestSize>& tag,
                                         int tagLength, const srtp_auth_test_case_t* next) {
  return {static_cast<int>(K), key.data(), static_cast<int>(D), data.data(), tagLength,
          tag.data(),          next};
}

constexpr srtp_auth_test_case_t kHmacCase2Short32 =
    hmacCase(kHmacKey2, kHmacData2, kHmacTag2, 4, nullptr);
constexpr srtp_auth_test_case_t kHmacCase2Short80 =
    hmacCase(kHmacKey2, kHmacData2, kHmacTag2, 10, &kHmacCase2Short32);
constexpr srtp_auth_test_case_t kHmacCase3 =
    hmacCase(kHmacKey3, kHmacData3, kHmacTag3, kSha1DigestSize, &kHmacCase2Short80);
constexpr srtp_auth_test_case_t kHmacCase2 =
    hmacCase(kHmacKey2, kHmacData2, kHmacTag2, kSha1DigestSize, &kHmacCase3);
constexpr srtp_auth_test_case_t kHmacCase1 =
    hmacCase(kHmacKey1, kHmacData1, kHmacTag1, kSha1DigestSize, &kHmacCase2);

// --- shared helpers --------------------------------------------------------------------------

struct EvpCipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using EvpCipherCtx = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxFree>;

// A failure OpenSSL may have queued must not stay behind for the DTLS code on the same thread,
// whose SSL_get_error reads the queue. (A GCM tag mismatch queues nothing.)
srtp_err_status_t openSslFailure(srtp_err_status_t status) {
  ERR_clear_error();
  return status;
}

bool fitsInt(unsigned int length) {
  return length <= static_cast<unsigned int>(INT_MAX);
}

// --- AES-ICM (AES counter mode, RFC 3711 section 4.1.1) -------------------------------------

struct IcmCipher {
  srtp_cipher_t base{};  // what libsrtp holds; base.state points back at this object
  EvpCipherCtx ctx;
  const EVP_CIPHER* evp = nullptr;
  size_t keySize = 0;
  bool keyed = false;
  // salt * 2^16: the counter block is this XOR the IV libsrtp passes, which holds the SSRC
  // and the packet index already shifted into place (RFC 3711 section 4.1.1).
  std::array<uint8_t, kIcmBlockSize> offset{};

  ~IcmCipher() { OPENSSL_cleanse(offset.data(), offset.size()); }
};

srtp_err_status_t icmAllocate(srtp_cipher_t** out, int keyAndSaltLength, int expected,
                              const srtp_cipher_type_t& type, size_t keySize,
                              const EVP_CIPHER* evp) {
  if (out == nullptr || keyAndSaltLength != expected) return srtp_err_status_bad_param;
  auto cipher = std::unique_ptr<IcmCipher>(new (std::nothrow) IcmCipher);
  if (!cipher) return srtp_err_status_alloc_fail;
  cipher->ctx.reset(EVP_CIPHER_CTX_new());
  if (!cipher->ctx) return openSslFailure(srtp_err_status_alloc_fail);
  cipher->evp = evp;
  cipher->keySize = keySize;
  cipher->base.type = &type;
  cipher->base.state = cipher.get();
  cipher->base.key_len = keyAndSaltLength;
  cipher->base.algorithm = static_cast<int>(type.id);
  *out = &cipher.release()->base;
  return srtp_err_status_ok;
}

srtp_err_status_t icm128Alloc(srtp_cipher_t** out, int keyAndSaltLength, int /*tagLength*/) {
  return icmAllocate(out, keyAndSaltLength, kIcm128KeyAndSalt, openSslAesIcm128(), kAes128KeySize,
                     EVP_aes_128_ctr());
}

srtp_err_status_t icm256Alloc(srtp_cipher_t** out, int keyAndSaltLength, int /*tagLength*/) {
  return icmAllocate(out, keyAndSaltLength, kIcm256KeyAndSalt, openSslAesIcm256(), kAes256KeySize,
                     EVP_aes_256_ctr());
}

srtp_err_status_t icmDealloc(srtp_cipher_t* cipher) {
  if (cipher == nullptr) return srtp_err_status_bad_param;
  delete static_cast<IcmCipher*>(cipher->state);  // EVP_CIPHER_CTX_free cleanses the key
  return srtp_err_status_ok;
}

// key is the session key followed by the 14-byte session salt.
srtp_err_status_t icmInit(void* state, const uint8_t* key) {
  auto& c = *static_cast<IcmCipher*>(state);
  std::copy_n(key + c.keySize, kIcmSaltSize, c.offset.begin());
  std::fill(c.offset.begin() + kIcmSaltSize, c.offset.end(), uint8_t{0});
  // Re-keying keeps the context and its provider state (no allocation after the first time).
  if (EVP_CipherInit_ex(c.ctx.get(), c.keyed ? nullptr : c.evp, nullptr, key, nullptr, 1) != 1) {
    return openSslFailure(srtp_err_status_init_fail);
  }
  c.keyed = true;
  return srtp_err_status_ok;
}

srtp_err_status_t icmSetIv(void* state, uint8_t* iv, srtp_cipher_direction_t /*direction*/) {
  auto& c = *static_cast<IcmCipher*>(state);
  if (!c.keyed) return srtp_err_status_init_fail;
  std::array<uint8_t, kIcmBlockSize> counter;
  for (size_t i = 0; i < kIcmBlockSize; ++i)
    counter[i] = static_cast<uint8_t>(c.offset[i] ^ iv[i]);
  // A new IV on the keyed context restarts the keystream without allocating.
  const int done = EVP_CipherInit_ex(c.ctx.get(), nullptr, nullptr, nullptr, counter.data(), 1);
  OPENSSL_cleanse(counter.data(), counter.size());
  return done == 1 ? srtp_err_status_ok : openSslFailure(srtp_err_status_cipher_fail);
}

// Counter mode is its own inverse: libsrtp's decrypt entry is this function too.
srtp_err_status_t icmEncrypt(void* state, uint8_t* buffer, unsigned int* length) {
  auto& c = *static_cast<IcmCipher*>(state);
  if (!fitsInt(*length)) return srtp_err_status_bad_param;
  if (*length == 0) return srtp_err_status_ok;
  int written = 0;
  if (EVP_CipherUpdate(c.ctx.get(), buffer, &written, buffer, static_cast<int>(*length)) != 1 ||
      written != static_cast<int>(*length)) {
    return openSslFailure(srtp_err_status_cipher_fail);
  }
  return srtp_err_status_ok;
}

// --- AES-GCM (RFC 7714) ----------------------------------------------------------------------

struct GcmCipher {
  srtp_cipher_t base{};
  EvpCipherCtx ctx;
  const EVP_CIPHER* evp = nullptr;
  int tagLength = 0;
  bool keyed = false;
  // Set by set_iv, back to `any` once a tag is produced or checked: every message needs a
  // fresh IV (a repeated GCM nonce would give the authentication key away).
  srtp_cipher_direction_t direction = srtp_direction_any;
};

srtp_err_status_t gcmAllocate(srtp_cipher_t** out, int keyAndSaltLength, int expected,
                              int tagLength, const srtp_cipher_type_t& type,
                              const EVP_CIPHER* evp) {
  if (out == nullptr || keyAndSaltLength != expected) return srtp_err_status_bad_param;
  if (tagLength != kGcmTagSize && tagLength != kGcmShortTagSize) return srtp_err_status_bad_param;
  auto cipher = std::unique_ptr<GcmCipher>(new (std::nothrow) GcmCipher);
  if (!cipher) return srtp_err_status_alloc_fail;
  cipher->ctx.reset(EVP_CIPHER_CTX_new());
  if (!cipher->ctx) return openSslFailure(srtp_err_status_alloc_fail);
  cipher->evp = evp;
  cipher->tagLength = tagLength;
  cipher->base.type = &type;
  cipher->base.state = cipher.get();
  cipher->base.key_len = keyAndSaltLength;
  // srtp.c takes its AEAD code path when algorithm is SRTP_AES_GCM_128 or _256.
  cipher->base.algorithm = static_cast<int>(type.id);
  *out = &cipher.release()->base;
  return srtp_err_status_ok;
}

srtp_err_status_t gcm128Alloc(srtp_cipher_t** out, int keyAndSaltLength, int tagLength) {
  return gcmAllocate(out, keyAndSaltLength, kGcm128KeyAndSalt, tagLength, openSslAesGcm128(),
                     EVP_aes_128_gcm());
}

srtp_err_status_t gcm256Alloc(srtp_cipher_t** out, int keyAndSaltLength, int tagLength) {
  return gcmAllocate(out, keyAndSaltLength, kGcm256KeyAndSalt, tagLength, openSslAesGcm256(),
                     EVP_aes_256_gcm());
}

srtp_err_status_t gcmDealloc(srtp_cipher_t* cipher) {
  if (cipher == nullptr) return srtp_err_status_bad_param;
  delete static_cast<GcmCipher*>(cipher->state);
  return srtp_err_status_ok;
}

// key is the session key followed by the 12-byte salt, which libsrtp itself folds into the IV.
srtp_err_status_t gcmInit(void* state, const uint8_t* key) {
  auto& c = *static_cast<GcmCipher*>(state);
  c.direction = srtp_direction_any;
  if (EVP_CipherInit_ex(c.ctx.get(), c.keyed ? nullptr : c.evp, nullptr, key, nullptr, 1) != 1) {
    return openSslFailure(srtp_err_status_init_fail);
  }
  if (!c.keyed &&
      EVP_CIPHER_CTX_ctrl(c.ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, kGcmIvSize, nullptr) != 1) {
    return openSslFailure(srtp_err_status_init_fail);
  }
  c.keyed = true;
  return srtp_err_status_ok;
}

srtp_err_status_t gcmSetIv(void* state, uint8_t* iv, srtp_cipher_direction_t direction) {
  auto& c = *static_cast<GcmCipher*>(state);
  if (!c.keyed) return srtp_err_status_init_fail;
  if (direction != srtp_direction_encrypt && direction != srtp_direction_decrypt) {
    return srtp_err_status_bad_param;
  }
  const int encrypt = direction == srtp_direction_encrypt ? 1 : 0;
  if (EVP_CipherInit_ex(c.ctx.get(), nullptr, nullptr, nullptr, iv, encrypt) != 1) {
    c.direction = srtp_direction_any;
    return openSslFailure(srtp_err_status_init_fail);
  }
  c.direction = direction;
  return srtp_err_status_ok;
}

// May be called more than once before the payload: SRTCP passes its header, then its trailer.
srtp_err_status_t gcmSetAad(void* state, const uint8_t* aad, uint32_t length) {
  auto& c = *static_cast<GcmCipher*>(state);
  if (c.direction == srtp_direction_any) return srtp_err_status_bad_param;
  if (!fitsInt(length)) return srtp_err_status_bad_param;
  if (length == 0) return srtp_err_status_ok;
  int written = 0;
  if (EVP_CipherUpdate(c.ctx.get(), nullptr, &written, aad, static_cast<int>(length)) != 1) {
    return openSslFailure(srtp_err_status_algo_fail);
  }
  return srtp_err_status_ok;
}

// Encrypts in place; the tag comes from get_tag.
srtp_err_status_t gcmEncrypt(void* state, uint8_t* buffer, unsigned int* length) {
  auto& c = *static_cast<GcmCipher*>(state);
  if (c.direction != srtp_direction_encrypt) return srtp_err_status_bad_param;
  if (!fitsInt(*length)) return srtp_err_status_bad_param;
  if (*length == 0) return srtp_err_status_ok;  // SRTCP without encryption: tag over AAD only
  int written = 0;
  if (EVP_CipherUpdate(c.ctx.get(), buffer, &written, buffer, static_cast<int>(*length)) != 1 ||
      written != static_cast<int>(*length)) {
    return openSslFailure(srtp_err_status_cipher_fail);
  }
  return srtp_err_status_ok;
}

// Writes the tag (tagLength bytes, the leftmost of GCM's 16) and sets *length to its size.
srtp_err_status_t gcmGetTag(void* state, uint8_t* tag, uint32_t* length) {
  auto& c = *static_cast<GcmCipher*>(state);
  if (c.direction != srtp_direction_encrypt) return srtp_err_status_bad_param;
  c.direction = srtp_direction_any;
  uint8_t none[1];
  int written = 0;
  if (EVP_CipherFinal_ex(c.ctx.get(), none, &written) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx.get(), EVP_CTRL_AEAD_GET_TAG, c.tagLength, tag) != 1) {
    return openSslFailure(srtp_err_status_algo_fail);
  }
  *length = static_cast<uint32_t>(c.tagLength);
  return srtp_err_status_ok;
}

// buffer holds ciphertext || tag, *length both; on success *length is the plaintext's length.
srtp_err_status_t gcmDecrypt(void* state, uint8_t* buffer, unsigned int* length) {
  auto& c = *static_cast<GcmCipher*>(state);
  if (c.direction != srtp_direction_decrypt) return srtp_err_status_bad_param;
  c.direction = srtp_direction_any;
  if (!fitsInt(*length) || *length < static_cast<unsigned int>(c.tagLength)) {
    return srtp_err_status_bad_param;
  }
  const int payload = static_cast<int>(*length) - c.tagLength;
  if (EVP_CIPHER_CTX_ctrl(c.ctx.get(), EVP_CTRL_AEAD_SET_TAG, c.tagLength, buffer + payload) != 1) {
    return openSslFailure(srtp_err_status_algo_fail);
  }
  int written = 0;
  if (payload > 0 && (EVP_CipherUpdate(c.ctx.get(), buffer, &written, buffer, payload) != 1 ||
                      written != payload)) {
    return openSslFailure(srtp_err_status_cipher_fail);
  }
  uint8_t none[1];
  if (EVP_CipherFinal_ex(c.ctx.get(), none, &written) != 1) {
    return openSslFailure(srtp_err_status_auth_fail);
  }
  *length = static_cast<unsigned int>(payload);
  return srtp_err_status_ok;
}

// --- HMAC-SHA1 (RFC 2104, RFC 3711 section 4.2.1) ------------------------------------------

struct HmacAuth {
  srtp_auth_t base{};
  // SHA-1 state after the key XOR ipad block, and after the key XOR opad block: computed once
  // per key, copied (a plain struct copy) at the start of every message.
  SHA_CTX inner{};
  SHA_CTX outer{};
  SHA_CTX running{};

  ~HmacAuth() {
    OPENSSL_cleanse(&inner, sizeof inner);
    OPENSSL_cleanse(&outer, sizeof outer);
    OPENSSL_cleanse(&running, sizeof running);
  }
};

srtp_err_status_t hmacAlloc(srtp_auth_t** out, int keyLength, int tagLength) {
  if (out == nullptr || keyLength < 0 || keyLength > kMaxHmacKeySize || tagLength < 1 ||
      tagLength > kSha1DigestSize) {
    return srtp_err_status_bad_param;
  }
  auto auth = std::unique_ptr<HmacAuth>(new (std::nothrow) HmacAuth);
  if (!auth) return srtp_err_status_alloc_fail;
  auth->base.type = &openSslHmacSha1();
  auth->base.state = auth.get();
  auth->base.out_len = tagLength;
  auth->base.key_len = keyLength;
  auth->base.prefix_len = 0;  // no keystream prefix: that is for universal-hash MACs
  *out = &auth.release()->base;
  return srtp_err_status_ok;
}

srtp_err_status_t hmacDealloc(srtp_auth_t* auth) {
  if (auth == nullptr) return srtp_err_status_bad_param;
  delete static_cast<HmacAuth*>(auth->state);
  return srtp_err_status_ok;
}

// Leaves the state ready for a message, as libsrtp's self-test computes right after init.
srtp_err_status_t hmacInit(void* state, const uint8_t* key, int keyLength) {
  auto& h = *static_cast<HmacAuth*>(state);
  if (keyLength < 0 || keyLength > kMaxHmacKeySize) return srtp_err_status_bad_param;
  std::array<uint8_t, kSha1BlockSize> pad{};
  std::copy_n(key, keyLength, pad.begin());
  for (auto& b : pad)
    b ^= kHmacInnerPad;
  bool ok = SHA1_Init(&h.inner) == 1 && SHA1_Update(&h.inner, pad.data(), pad.size()) == 1;
  for (auto& b : pad)
    b ^= kHmacInnerPad ^ kHmacOuterPad;
  ok = ok && SHA1_Init(&h.outer) == 1 && SHA1_Update(&h.outer, pad.data(), pad.size()) == 1;
  OPENSSL_cleanse(pad.data(), pad.size());
  if (!ok) return openSslFailure(srtp_err_status_auth_fail);
  h.running = h.inner;
  return srtp_err_status_ok;
}

srtp_err_status_t hmacStart(void* state) {
  auto& h = *static_cast<HmacAuth*>(state);
  h.running = h.inner;
  return srtp_err_status_ok;
}

srtp_err_status_t hmacUpdate(void* state, const uint8_t* message, int length) {
  auto& h = *static_cast<HmacAuth*>(state);
  if (length < 0) return srtp_err_status_bad_param;
  if (SHA1_Update(&h.running, message, static_cast<size_t>(length)) != 1) {
    return openSslFailure(srtp_err_status_auth_fail);
  }
  return srtp_err_status_ok;
}

// Hashes the last part of the message and writes the leftmost tagLength bytes of the HMAC.
srtp_err_status_t hmacCompute(void* state, const uint8_t* message, int length, int tagLength,
                              uint8_t* tag) {
  auto& h = *static_cast<HmacAuth*>(state);
  if (length < 0 || tagLength < 0 || tagLength > kSha1DigestSize) {
    return srtp_err_status_bad_param;
  }
  std::array<uint8_t, kSha1DigestSize> digest;
  SHA_CTX outer = h.outer;
  const bool ok = SHA1_Update(&h.running, message, static_cast<size_t>(length)) == 1 &&
                  SHA1_Final(digest.data(), &h.running) == 1 &&
                  SHA1_Update(&outer, digest.data(), digest.size()) == 1 &&
                  SHA1_Final(digest.data(), &outer) == 1;
  if (!ok) return openSslFailure(srtp_err_status_auth_fail);
  std::copy_n(digest.begin(), tagLength, tag);
  return srtp_err_status_ok;
}

// --- the type tables -------------------------------------------------------------------------

constexpr char kIcm128Description[] = "AES-128 counter mode using OpenSSL EVP (switchyard)";
constexpr char kIcm256Description[] = "AES-256 counter mode using OpenSSL EVP (switchyard)";
constexpr char kGcm128Description[] = "AES-128 GCM using OpenSSL EVP (switchyard)";
constexpr char kGcm256Description[] = "AES-256 GCM using OpenSSL EVP (switchyard)";
constexpr char kHmacDescription[] = "HMAC-SHA1 using OpenSSL SHA1 (switchyard)";

// AES-ICM has no AAD and no tag: libsrtp reports no_such_op for those calls.
constexpr srtp_cipher_type_t kOpenSslAesIcm128 = {icm128Alloc,  icmDealloc,      icmInit,
                                                  nullptr,      icmEncrypt,      icmEncrypt,
                                                  icmSetIv,     nullptr,         kIcm128Description,
                                                  &kIcm128Case, SRTP_AES_ICM_128};
constexpr srtp_cipher_type_t kOpenSslAesIcm256 = {icm256Alloc,  icmDealloc,      icmInit,
                                                  nullptr,      icmEncrypt,      icmEncrypt,
                                                  icmSetIv,     nullptr,         kIcm256Description,
                                                  &kIcm256Case, SRTP_AES_ICM_256};
constexpr srtp_cipher_type_t kOpenSslAesGcm128 = {gcm128Alloc,  gcmDealloc,      gcmInit,
                                                  gcmSetAad,    gcmEncrypt,      gcmDecrypt,
                                                  gcmSetIv,     gcmGetTag,       kGcm128Description,
                                                  &kGcm128Case, SRTP_AES_GCM_128};
constexpr srtp_cipher_type_t kOpenSslAesGcm256 = {gcm256Alloc,  gcmDealloc,      gcmInit,
                                                  gcmSetAad,    gcmEncrypt,      gcmDecrypt,
                                                  gcmSetIv,     gcmGetTag,       kGcm256Description,
                                                  &kGcm256Case, SRTP_AES_GCM_256};
constexpr srtp_auth_type_t kOpenSslHmacSha1 = {hmacAlloc,        hmacDealloc, hmacInit,
                                               hmacCompute,      hmacUpdate,  hmacStart,
                                               kHmacDescription, &kHmacCase1, SRTP_HMAC_SHA1};

}  // namespace

const srtp_cipher_type_t& openSslAesIcm128() {
  return kOpenSslAesIcm128;
}
const srtp_cipher_type_t& openSslAesIcm256() {
  return kOpenSslAesIcm256;
}
const srtp_cipher_type_t& openSslAesGcm128() {
  return kOpenSslAesGcm128;
}
const srtp_cipher_type_t& openSslAesGcm256() {
  return kOpenSslAesGcm256;
}
const srtp_auth_type_t& openSslHmacSha1() {
  return kOpenSslHmacSha1;
}

SrtpCryptoInstallResult installSrtpCryptoTypes(std::span<const srtp_cipher_type_t* const> ciphers,
                                               std::span<const srtp_auth_type_t* const> auths) {
  for (const srtp_cipher_type_t* type : ciphers) {
    const srtp_err_status_t status = srtp_replace_cipher_type(type, type->id);
    if (status != srtp_err_status_ok) return {status, type->description};
  }
  for (const srtp_auth_type_t* type : auths) {
    const srtp_err_status_t status = srtp_replace_auth_type(type, type->id);
    if (status != srtp_err_status_ok) return {status, type->description};
  }
  return {};
}

SrtpCryptoInstallResult installOpenSslSrtpCrypto() {
  // The key-derivation cipher (AES-ICM) first: every session of every profile runs it.
  static constexpr std::array<const srtp_cipher_type_t*, 4> kCiphers = {
      &kOpenSslAesIcm128, &kOpenSslAesIcm256, &kOpenSslAesGcm128, &kOpenSslAesGcm256};
  static constexpr std::array<const srtp_auth_type_t*, 1> kAuths = {&kOpenSslHmacSha1};
  return installSrtpCryptoTypes(kCiphers, kAuths);
}

}  // namespace switchyard::transport
