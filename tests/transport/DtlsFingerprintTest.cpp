// DtlsFingerprint: the SDP a=fingerprint value (RFC 8122 section 5) parsed and formatted, and
// certificate fingerprints computed for every hash WebRTC stacks use. The certificate and its
// fingerprints below come from other implementations, not from this code:
//   - certificate: made by aiortc 1.4.0 (Debian python3-aiortc),
//   RTCCertificate.generateCertificate()
//     and dumped as PEM with pyOpenSSL; its sha-256 value is aiortc's getFingerprints();
//   - sha-1/224/384/512: `openssl x509 -in cert.pem -noout -fingerprint -sha1` (and -sha224...).

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport/DtlsFingerprint.hpp"

namespace switchyard::transport {
namespace {

using Algorithm = DtlsFingerprint::Algorithm;
using rtp::ParseError;

constexpr std::string_view kAiortcCertificatePem = R"(-----BEGIN CERTIFICATE-----
MIIBVDCB/KADAgECAhRaib/mi0WdhTWtfT3gWqOQGtHIVjAKBggqhkjOPQQDAjAr
MSkwJwYDVQQDDCBmMDljNDEwMjY1NzAzYTBjYTVkMmY5OGNlODA2NDE3ZjAeFw0y
NjExMjMxMjM0NDVaFw0yNjEyMjQxMjM0NDVaMCsxKTAnBgNVBAMMIGYwOWM0MTAy
NjU3MDNhMGNhNWQyZjk4Y2U4MDY0MTdmMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD
QgAEm9spagdsBMiKUHXX45NzkpUe1gQxaXqZO7gCnTZooARjxf4JPrqUzUwT90Tv
jB9KCG2nN9Q1pwbPtaDhu/UQGjAKBggqhkjOPQQDAgNHADBEAiBT5eqDpqnUH+aH
h0e8vQPkq9nWsWQZ3+Wm3sxSud/v+wIgDTa3HIw7FL3y9sGDEuiOwtoEdA4FGA+H
m7InSDRRTgU=
-----END CERTIFICATE-----
)";

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

std::unique_ptr<X509, X509Deleter> loadCertificate(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                &BIO_free);
  return std::unique_ptr<X509, X509Deleter>(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::vector<uint8_t> der(X509* cert) {
  unsigned char* out = nullptr;
  const int size = i2d_X509(cert, &out);
  std::vector<uint8_t> bytes(out, out + size);
  OPENSSL_free(out);
  return bytes;
}

struct KnownFingerprint {
  Algorithm algorithm;
  std::string sdpValue;  // what we write: lower-case name, upper-case hex
};

const KnownFingerprint kAiortcFingerprints[] = {
    {Algorithm::kSha1, "sha-1 4D:04:49:72:B6:D3:5C:D0:49:55:21:DE:85:7B:94:43:DE:10:7C:5D"},
    {Algorithm::kSha224,
     "sha-224 04:26:84:38:A1:A4:48:62:42:74:58:03:8B:4B:9E:07:95:E5:3A:E4:94:C1:A4:59:78:63:CF:"
     "3B"},
    {Algorithm::kSha256,
     "sha-256 57:9C:E5:6A:A5:1D:00:B2:9B:B1:6D:6D:EA:98:DA:F7:B7:5C:FD:C4:37:ED:B6:02:FB:26:F9:"
     "C6:3A:EF:AC:DB"},
    {Algorithm::kSha384,
     "sha-384 CF:39:72:43:6E:D0:B6:2C:BA:7A:33:53:8B:B1:84:84:DC:7D:3F:79:32:7E:F9:31:F9:70:0D:"
     "1E:F8:D2:3E:64:1D:C4:8A:4D:72:59:9D:F8:D6:45:8C:CB:4A:CE:E9:4C"},
    {Algorithm::kSha512,
     "sha-512 F0:C6:AF:79:B7:8E:36:8C:7A:7C:94:74:E4:E2:BA:4F:3D:9B:82:09:73:0B:11:69:88:0B:4C:"
     "59:C6:49:B9:1C:1F:8C:C7:FC:35:7E:8E:B7:A6:47:E3:13:22:4D:69:6C:11:19:80:89:67:2B:E5:1D:69:"
     "DE:F3:AF:A6:6E:40:CA"},
};

TEST(DtlsFingerprintTest, ComputesWhatOpenSslCliAndAiortcComputed) {
  auto cert = loadCertificate(kAiortcCertificatePem);
  ASSERT_TRUE(cert);
  const auto bytes = der(cert.get());
  for (const auto& known : kAiortcFingerprints) {
    SCOPED_TRACE(known.sdpValue);
    const auto fromCert = DtlsFingerprint::compute(known.algorithm, cert.get());
    const auto fromDer = DtlsFingerprint::compute(known.algorithm, bytes);
    ASSERT_TRUE(fromCert && fromDer);
    EXPECT_EQ(fromCert->format(), known.sdpValue);
    EXPECT_EQ(*fromCert, *fromDer);
    EXPECT_EQ(fromCert->digest().size(), DtlsFingerprint::digestSize(known.algorithm));
    // parse(format()) is the identity.
    const auto parsed = DtlsFingerprint::parse(known.sdpValue);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, *fromCert);
  }
}

TEST(DtlsFingerprintTest, ParsesRfc8122Example) {
  // RFC 8122 section 5 (the attribute value, line folding removed).
  const auto parsed = DtlsFingerprint::parse(
      "SHA-256 12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:"
      "E5:7C:AB:4A:AD");
  ASSERT_TRUE(parsed.ok()) << rtp::parseErrorName(parsed.error());
  EXPECT_EQ(parsed->algorithm(), Algorithm::kSha256);
  ASSERT_EQ(parsed->digest().size(), 32u);
  EXPECT_EQ(parsed->digest()[0], 0x12);
  EXPECT_EQ(parsed->digest()[31], 0xAD);
  EXPECT_EQ(parsed->format(),
            "sha-256 12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:"
            "6B:19:E5:7C:AB:4A:AD");
}

TEST(DtlsFingerprintTest, AcceptsCaseVariantsAndSurroundingBlanks) {
  const std::string canonical = kAiortcFingerprints[0].sdpValue;
  const std::vector<std::string> variants = {
      "SHA-1 4D:04:49:72:B6:D3:5C:D0:49:55:21:DE:85:7B:94:43:DE:10:7C:5D",
      "Sha-1 4d:04:49:72:b6:d3:5c:d0:49:55:21:de:85:7b:94:43:de:10:7c:5d",
      "sha-1  4D:04:49:72:B6:D3:5C:D0:49:55:21:DE:85:7B:94:43:DE:10:7C:5D",
      " sha-1 4D:04:49:72:B6:D3:5C:D0:49:55:21:DE:85:7B:94:43:DE:10:7C:5D\r\n",
      "sha-1\t4D:04:49:72:B6:D3:5C:D0:49:55:21:DE:85:7B:94:43:DE:10:7C:5D",
  };
  for (const auto& v : variants) {
    SCOPED_TRACE(v);
    const auto parsed = DtlsFingerprint::parse(v);
    ASSERT_TRUE(parsed.ok()) << rtp::parseErrorName(parsed.error());
    EXPECT_EQ(parsed->format(), canonical);
  }
}

TEST(DtlsFingerprintTest, RejectsBadValuesWithAReason) {
  const std::string sha256Digest =
      "57:9C:E5:6A:A5:1D:00:B2:9B:B1:6D:6D:EA:98:DA:F7:B7:5C:FD:C4:37:ED:B6:02:FB:26:F9:C6:3A:EF:"
      "AC:DB";
  std::string tooLong = "sha-512 00";
  for (int i = 0; i < 64; ++i)
    tooLong += ":00";  // 65 bytes
  const struct {
    std::string value;
    ParseError error;
  } kCases[] = {
      {"", ParseError::kTooShort},
      {"   ", ParseError::kTooShort},
      {"sha-256", ParseError::kTooShort},
      {"sha-256 ", ParseError::kTooShort},
      {"md5 " + sha256Digest.substr(0, 47), ParseError::kUnsupported},
      {"MD2 00:11", ParseError::kUnsupported},
      {"sha-3 " + sha256Digest, ParseError::kUnsupported},
      {"blake2b " + sha256Digest, ParseError::kUnsupported},
      {"sha(256) " + sha256Digest, ParseError::kMalformed},
      {"sha-256 " + sha256Digest.substr(0, 47), ParseError::kBadLength},  // 16 bytes
      {"sha-1 " + sha256Digest, ParseError::kBadLength},                  // 32 bytes for sha-1
      {tooLong, ParseError::kBadLength},
      {"sha-256 " + sha256Digest + ":", ParseError::kMalformed},
      {"sha-256 :" + sha256Digest, ParseError::kMalformed},
      {"sha-256 " + sha256Digest.substr(0, 2) + "::" + sha256Digest.substr(3),
       ParseError::kMalformed},
      {"sha-256 579CE56A", ParseError::kMalformed},
      {"sha-256 5:79:CE", ParseError::kMalformed},
      {"sha-256 GG:" + sha256Digest.substr(3), ParseError::kMalformed},
      {"sha-256 " + sha256Digest.substr(0, 50) + " " + sha256Digest.substr(51),
       ParseError::kMalformed},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.value);
    const auto parsed = DtlsFingerprint::parse(c.value);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error(), c.error) << rtp::parseErrorName(parsed.error());
  }
}

TEST(DtlsFingerprintTest, EqualityNeedsTheSameAlgorithmAndDigest) {
  std::vector<uint8_t> digest(32, 0xAB);
  const auto a = DtlsFingerprint::fromDigest(Algorithm::kSha256, digest);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, *DtlsFingerprint::fromDigest(Algorithm::kSha256, digest));
  digest[31] = 0xAC;
  EXPECT_NE(*a, *DtlsFingerprint::fromDigest(Algorithm::kSha256, digest));
  // Same bytes under another name: sha-256 and a truncated sha-384 never compare equal.
  std::vector<uint8_t> longer(48, 0xAB);
  EXPECT_NE(*a, *DtlsFingerprint::fromDigest(Algorithm::kSha384, longer));
  EXPECT_FALSE(DtlsFingerprint::fromDigest(Algorithm::kSha1, digest));  // 32 bytes, not 20
}

TEST(DtlsFingerprintTest, NamesRoundTrip) {
  for (auto a : {Algorithm::kSha1, Algorithm::kSha224, Algorithm::kSha256, Algorithm::kSha384,
                 Algorithm::kSha512}) {
    const auto name = DtlsFingerprint::algorithmName(a);
    EXPECT_EQ(DtlsFingerprint::algorithmFromName(name), a);
  }
  EXPECT_EQ(DtlsFingerprint::algorithmFromName("SHA-384"), Algorithm::kSha384);
  EXPECT_FALSE(DtlsFingerprint::algorithmFromName("sha256"));  // RFC 8122 names have a dash
  EXPECT_FALSE(DtlsFingerprint::algorithmFromName("md5"));
}

}  // namespace
}  // namespace switchyard::transport
