#pragma once
// A certificate fingerprint as carried in SDP (a=fingerprint, RFC 8122 section 5): a hash
// function name and the digest of the certificate's DER encoding, written "sha-256 AB:CD:...".
// A value type (no allocation); parse() reads the attribute value, format() writes it, and
// compute() hashes a certificate. DTLS-SRTP checks the peer's certificate against it
// (RFC 5763 section 5).

#include <openssl/x509.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rtp/Parsed.hpp"

namespace switchyard::transport {

class DtlsFingerprint {
 public:
  // RFC 8122 section 5 hash-func values we accept. md2 and md5 are refused (RFC 8122
  // section 5: not to be used); other tokens are unknown.
  enum class Algorithm : uint8_t { kSha1, kSha224, kSha256, kSha384, kSha512 };

  static constexpr size_t kMaxDigestSize = 64;  // SHA-512

  DtlsFingerprint() = default;  // sha-256, all-zero digest: matches no certificate in practice

  // `value` is the attribute value after "a=fingerprint:", e.g. "sha-256 12:DF:...". The hash
  // name is matched case-insensitively; hex digits may be either case (RFC 8122 asks for upper
  // case, but accepting lower case costs nothing). Errors: kTooShort (empty or no digest),
  // kUnsupported (md2, md5, unknown hash), kBadLength (digest size wrong for the hash),
  // kMalformed (anything else).
  static rtp::Parsed<DtlsFingerprint> parse(std::string_view value);

  // The digest of `der` (a certificate's DER encoding) or of `certificate` with `algorithm`.
  // nullopt only if OpenSSL fails (it does not for these digests).
  static std::optional<DtlsFingerprint> compute(Algorithm algorithm, std::span<const uint8_t> der);
  static std::optional<DtlsFingerprint> compute(Algorithm algorithm, const X509* certificate);

  // nullopt when `digest` is not the algorithm's size.
  static std::optional<DtlsFingerprint> fromDigest(Algorithm algorithm,
                                                   std::span<const uint8_t> digest);

  Algorithm algorithm() const { return algorithm_; }
  std::span<const uint8_t> digest() const { return {digest_.data(), digestSize(algorithm_)}; }

  // "sha-256 12:DF:..." (lower-case name, upper-case hex as RFC 8122 section 5 writes it).
  std::string format() const;

  bool operator==(const DtlsFingerprint& other) const;

  static size_t digestSize(Algorithm algorithm);
  static std::string_view algorithmName(Algorithm algorithm);                // "sha-256"
  static std::optional<Algorithm> algorithmFromName(std::string_view name);  // case-insensitive

 private:
  Algorithm algorithm_ = Algorithm::kSha256;
  std::array<uint8_t, kMaxDigestSize> digest_{};
};

}  // namespace switchyard::transport
