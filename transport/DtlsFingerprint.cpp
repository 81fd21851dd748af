#include "transport/DtlsFingerprint.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace switchyard::transport {

namespace {

using rtp::ParseError;
using Algorithm = DtlsFingerprint::Algorithm;

// RFC 8122 section 5: each digest byte is two hex digits, bytes separated by ':'.
constexpr size_t kHexDigitsPerByte = 2;
constexpr char kByteSeparator = ':';
constexpr char kHexDigits[] = "0123456789ABCDEF";

struct AlgorithmInfo {
  Algorithm algorithm;
  std::string_view name;
  size_t digestSize;
};

constexpr AlgorithmInfo kAlgorithms[] = {
    {Algorithm::kSha1, "sha-1", 20},     {Algorithm::kSha224, "sha-224", 28},
    {Algorithm::kSha256, "sha-256", 32}, {Algorithm::kSha384, "sha-384", 48},
    {Algorithm::kSha512, "sha-512", 64},
};

// RFC 8122 section 5 lists them for compatibility only; a peer offering them is refused.
constexpr std::string_view kRefusedAlgorithms[] = {"md2", "md5"};

const AlgorithmInfo& info(Algorithm algorithm) {
  return kAlgorithms[static_cast<size_t>(algorithm)];
}

const EVP_MD* evpDigest(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kSha1:
      return EVP_sha1();
    case Algorithm::kSha224:
      return EVP_sha224();
    case Algorithm::kSha256:
      return EVP_sha256();
    case Algorithm::kSha384:
      return EVP_sha384();
    case Algorithm::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isBlank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back()))
    s.remove_suffix(1);
  return s;
}

}  // namespace

size_t DtlsFingerprint::digestSize(Algorithm algorithm) {
  return info(algorithm).digestSize;
}

std::string_view DtlsFingerprint::algorithmName(Algorithm algorithm) {
  return info(algorithm).name;
}

std::optional<Algorithm> DtlsFingerprint::algorithmFromName(std::string_view name) {
  for (const auto& a : kAlgorithms) {
    if (equalsIgnoreCase(a.name, name)) return a.algorithm;
  }
  return std::nullopt;
}

rtp::Parsed<DtlsFingerprint> DtlsFingerprint::parse(std::string_view value) {
  value = trim(value);
  if (value.empty()) return ParseError::kTooShort;
  // RFC 8122 section 5: hash-func SP fingerprint. Extra blanks between them are tolerated.
  const size_t space = value.find_first_of(" \t");
  if (space == std::string_view::npos) return ParseError::kTooShort;
  const std::string_view name = value.substr(0, space);
  const std::string_view hex = trim(value.substr(space));
  for (auto refused : kRefusedAlgorithms) {
    if (equalsIgnoreCase(name, refused)) return ParseError::kUnsupported;
  }
  const auto algorithm = algorithmFromName(name);
  if (!algorithm) {
    // A token (RFC 8122 grammar) we do not know, or not a token at all.
    const bool token = std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             std::string_view("!#$%&'*+-.^_`{|}~").find(c) != std::string_view::npos;
    });
    return token ? ParseError::kUnsupported : ParseError::kMalformed;
  }
  if (hex.empty()) return ParseError::kTooShort;

  DtlsFingerprint fp;
  fp.algorithm_ = *algorithm;
  size_t count = 0;
  size_t pos = 0;
  while (true) {
    if (pos + kHexDigitsPerByte > hex.size()) return ParseError::kMalformed;
    const int high = hexValue(hex[pos]);
    const int low = hexValue(hex[pos + 1]);
    if (high < 0 || low < 0) return ParseError::kMalformed;
    if (count == kMaxDigestSize) return ParseError::kBadLength;
    fp.digest_[count++] = static_cast<uint8_t>(high << 4 | low);
    pos += kHexDigitsPerByte;
    if (pos == hex.size()) break;
    if (hex[pos] != kByteSeparator) return ParseError::kMalformed;
    ++pos;
  }
  if (count != digestSize(*algorithm)) return ParseError::kBadLength;
  return fp;
}

std::optional<DtlsFingerprint> DtlsFingerprint::fromDigest(Algorithm algorithm,
                                                           std::span<const uint8_t> digest) {
  if (digest.size() != digestSize(algorithm)) return std::nullopt;
  DtlsFingerprint fp;
  fp.algorithm_ = algorithm;
  std::copy(digest.begin(), digest.end(), fp.digest_.begin());
  return fp;
}

std::optional<DtlsFingerprint> DtlsFingerprint::compute(Algorithm algorithm,
                                                        std::span<const uint8_t> der) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (EVP_Digest(der.data(), der.size(), md.data(), &size, evpDigest(algorithm), nullptr) != 1) {
    return std::nullopt;
  }
  return fromDigest(algorithm, std::span<const uint8_t>(md.data(), size));
}

std::optional<DtlsFingerprint> DtlsFingerprint::compute(Algorithm algorithm,
                                                        const X509* certificate) {
  if (certificate == nullptr) return std::nullopt;
  // X509_digest hashes the certificate's DER encoding, as RFC 8122 section 5 asks.
  std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (X509_digest(certificate, evpDigest(algorithm), md.data(), &size) != 1) return std::nullopt;
  return fromDigest(algorithm, std::span<const uint8_t>(md.data(), size));
}

std::string DtlsFingerprint::format() const {
  const auto bytes = digest();
  std::string out(algorithmName(algorithm_));
  out.reserve(out.size() + 1 + bytes.size() * 3);
  out.push_back(' ');
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out.push_back(kByteSeparator);
    out.push_back(kHexDigits[bytes[i] >> 4]);
    out.push_back(kHexDigits[bytes[i] & 0x0F]);
  }
  return out;
}

bool DtlsFingerprint::operator==(const DtlsFingerprint& other) const {
  const auto a = digest();
  const auto b = other.digest();
  return algorithm_ == other.algorithm_ && std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace switchyard::transport
