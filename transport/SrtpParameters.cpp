#include "transport/SrtpParameters.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

namespace switchyard::transport {

namespace {

static_assert(srtpKeyLengths(SrtpProfile::kAes128CmHmacSha1_80).masterKey +
                  srtpKeyLengths(SrtpProfile::kAes128CmHmacSha1_80).masterSalt <=
              SrtpParameters::kMaxKeySaltSize);
static_assert(srtpKeyLengths(SrtpProfile::kAeadAes128Gcm).masterKey +
                  srtpKeyLengths(SrtpProfile::kAeadAes128Gcm).masterSalt <=
              SrtpParameters::kMaxKeySaltSize);

// Base64 of kMaxKeySaltSize bytes, padded (RFC 4648 section 4): 4 characters per 3 bytes.
constexpr size_t kMaxBase64Size = (SrtpParameters::kMaxKeySaltSize + 2) / 3 * 4;

size_t keySaltSize(SrtpProfile profile) {
  const auto lengths = srtpKeyLengths(profile);
  return lengths.masterKey + lengths.masterSalt;
}

}  // namespace

SrtpParameters::SrtpParameters(SrtpProfile profile)
    : profile_(profile), size_(keySaltSize(profile)) {}

SrtpParameters::~SrtpParameters() {
  OPENSSL_cleanse(key_.data(), key_.size());
}

std::optional<SrtpParameters> SrtpParameters::generate(SrtpProfile profile) {
  SrtpParameters p(profile);
  if (RAND_bytes(p.key_.data(), static_cast<int>(p.size_)) != 1) return std::nullopt;
  return p;
}

std::optional<SrtpParameters> SrtpParameters::fromBase64(SrtpProfile profile,
                                                         std::string_view text) {
  SrtpParameters p(profile);
  const size_t expected = (p.size_ + 2) / 3 * 4;
  if (text.size() != expected) return std::nullopt;
  // EVP_DecodeBlock decodes whole 4-character groups and counts '=' padding as zero bytes;
  // the padding is checked here so that exactly one text maps to a key.
  std::array<uint8_t, kMaxBase64Size> decoded{};
  const int n = EVP_DecodeBlock(decoded.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  const size_t padding = expected - (p.size_ * 4 + 2) / 3;
  bool ok = n == static_cast<int>(expected / 4 * 3);
  for (size_t i = 0; ok && i < text.size(); ++i) {
    const bool isPad = text[i] == '=';
    ok = isPad == (i >= text.size() - padding);
  }
  // RFC 4648 section 3.5: the bits left over after the last byte (in the character before the
  // '=') are zero in a canonical text. They, and '=' as zero, decode into the bytes after the
  // key, which must then be zero for one key to have one text.
  for (size_t i = p.size_; ok && i < expected / 4 * 3; ++i)
    ok = decoded[i] == 0;
  if (ok) std::copy_n(decoded.begin(), p.size_, p.key_.begin());
  OPENSSL_cleanse(decoded.data(), decoded.size());
  if (!ok) return std::nullopt;
  return p;
}

std::string SrtpParameters::toBase64() const {
  std::array<unsigned char, kMaxBase64Size + 1> text{};  // EVP_EncodeBlock adds a NUL
  const int n = EVP_EncodeBlock(text.data(), key_.data(), static_cast<int>(size_));
  return std::string(reinterpret_cast<const char*>(text.data()), static_cast<size_t>(n));
}

}  // namespace switchyard::transport
