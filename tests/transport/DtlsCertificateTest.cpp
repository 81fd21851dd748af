// DtlsCertificate: the generated identity is what WebRTC peers expect (ECDSA P-256, self-signed
// X.509v3 with ECDSA-SHA256, validity around now), random per worker, and its fingerprint is
// the certificate's SHA-256. Loading PEM accepts a certificate made by aiortc and refuses a
// key of another certificate.

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "transport/DtlsCertificate.hpp"

namespace switchyard::transport {
namespace {

using namespace std::chrono_literals;

// Made by aiortc 1.4.0 (RTCCertificate.generateCertificate(), dumped with pyOpenSSL); the
// fingerprint is aiortc's getFingerprints() value.
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
constexpr std::string_view kAiortcKeyPem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAq3eJkXN9tPXkBFx
LkIhupOWaqn0MWdhRnkLGRwMxdehRANCAASb2ylqB2wEyIpQddfjk3OSlR7WBDFp
epk7uAKdNmigBGPF/gk+upTNTBP3RO+MH0oIbac31DWnBs+1oOG79RAa
-----END PRIVATE KEY-----
)";
constexpr std::string_view kAiortcSha256 =
    "sha-256 57:9C:E5:6A:A5:1D:00:B2:9B:B1:6D:6D:EA:98:DA:F7:B7:5C:FD:C4:37:ED:B6:02:FB:26:F9:C6:"
    "3A:EF:AC:DB";

std::string serialHex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out(hex);
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

TEST(DtlsCertificateTest, GeneratesASelfSignedEcdsaP256Certificate) {
  const auto result = DtlsCertificate::generate();
  ASSERT_TRUE(result) << result.error;
  const DtlsCertificate& c = *result.certificate;
  X509* x = c.x509();

  EXPECT_TRUE(EVP_PKEY_is_a(c.privateKey(), "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(c.privateKey()), 256);
  char group[64] = {};
  size_t groupLength = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(c.privateKey(), group, sizeof(group), &groupLength), 1);
  EXPECT_STREQ(group, "prime256v1");

  EXPECT_EQ(X509_get_version(x), X509_VERSION_3);
  EXPECT_EQ(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
  EXPECT_EQ(X509_verify(x, c.privateKey()), 1);  // signed by its own key
  EXPECT_EQ(X509_check_private_key(x, c.privateKey()), 1);

  const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  EXPECT_FALSE(BN_is_negative(bn));
  EXPECT_FALSE(BN_is_zero(bn));
  EXPECT_LE(BN_num_bytes(bn), 20);  // RFC 5280 section 4.1.2.2
  BN_free(bn);

  EXPECT_EQ(c.commonName().rfind("switchyard-", 0), 0u) << c.commonName();
  const auto now = std::chrono::system_clock::now();
  EXPECT_LE(c.notBefore(), now - 24h * 29);
  EXPECT_GE(c.notAfter(), now + 24h * 364);
  EXPECT_LE(c.notAfter(), now + 24h * 366);

  const auto fingerprint = DtlsFingerprint::compute(DtlsFingerprint::Algorithm::kSha256, x);
  ASSERT_TRUE(fingerprint);
  EXPECT_EQ(c.fingerprint(), *fingerprint);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(DtlsCertificateTest, EachGenerationIsDifferent) {
  const auto a = DtlsCertificate::generate();
  const auto b = DtlsCertificate::generate();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a.certificate->fingerprint(), b.certificate->fingerprint());
  EXPECT_NE(a.certificate->commonName(), b.certificate->commonName());
  EXPECT_NE(serialHex(a.certificate->x509()), serialHex(b.certificate->x509()));
  EXPECT_EQ(EVP_PKEY_eq(a.certificate->privateKey(), b.certificate->privateKey()), 0);
}

TEST(DtlsCertificateTest, PemRoundTripKeepsTheIdentity) {
  const auto generated = DtlsCertificate::generate();
  ASSERT_TRUE(generated);
  const auto& c = *generated.certificate;
  const std::string certPem = c.certificatePem();
  const std::string keyPem = c.privateKeyPem();
  EXPECT_EQ(certPem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ(keyPem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  const auto loaded = DtlsCertificate::fromPem(certPem, keyPem);
  ASSERT_TRUE(loaded) << loaded.error;
  EXPECT_EQ(loaded.certificate->fingerprint(), c.fingerprint());
  EXPECT_EQ(EVP_PKEY_eq(loaded.certificate->privateKey(), c.privateKey()), 1);
}

TEST(DtlsCertificateTest, LoadsACertificateMadeByAiortc) {
  const auto loaded = DtlsCertificate::fromPem(kAiortcCertificatePem, kAiortcKeyPem);
  ASSERT_TRUE(loaded) << loaded.error;
  EXPECT_EQ(loaded.certificate->fingerprint().format(), kAiortcSha256);
  EXPECT_EQ(loaded.certificate->commonName(), "f09c410265703a0ca5d2f98ce806417f");
}

TEST(DtlsCertificateTest, RefusesBadPemAndAKeyOfAnotherCertificate) {
  const auto other = DtlsCertificate::generate();
  ASSERT_TRUE(other);
  const auto mismatched =
      DtlsCertificate::fromPem(kAiortcCertificatePem, other.certificate->privateKeyPem());
  EXPECT_FALSE(mismatched);
  EXPECT_NE(mismatched.error.find("does not match"), std::string::npos) << mismatched.error;

  const auto garbage = DtlsCertificate::fromPem("not a certificate", kAiortcKeyPem);
  EXPECT_FALSE(garbage);
  EXPECT_NE(garbage.error.find("bad certificate PEM"), std::string::npos) << garbage.error;

  const auto noKey = DtlsCertificate::fromPem(kAiortcCertificatePem, "");
  EXPECT_FALSE(noKey);
  EXPECT_NE(noKey.error.find("bad private key PEM"), std::string::npos) << noKey.error;
  // Failures leave nothing in the thread's error queue for the next caller.
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(DtlsCertificateTest, GenerationCostIsReported) {
  constexpr int kRounds = 20;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i)
    ASSERT_TRUE(DtlsCertificate::generate());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Information only (one certificate per worker at start): no assertion on time.
  std::printf("[ info ] certificate generation: %.3f ms each (%d rounds)\n",
              std::chrono::duration<double, std::milli>(elapsed).count() / kRounds, kRounds);
}

}  // namespace
}  // namespace switchyard::transport
