#include "transport/DtlsCertificate.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <ctime>

namespace switchyard::transport {

namespace {

// RFC 8827 section 6.5 / RFC 8122: ECDSA with P-256 is what every WebRTC stack accepts.
constexpr const char* kCurve = "P-256";
// Validity: a month back covers peers whose clocks lag; a year ahead outlives any worker.
// Peers do not check dates (they check the fingerprint), but some log or refuse expired ones.
constexpr std::chrono::seconds kValidBefore = std::chrono::hours(24 * 30);
constexpr std::chrono::seconds kValidAfter = std::chrono::hours(24 * 365);
// RFC 5280 section 4.1.2.2: a positive serial of at most 20 octets; 64 random bits suffice.
constexpr size_t kSerialBytes = 8;
constexpr size_t kCommonNameRandomBytes = 8;
constexpr std::string_view kCommonNamePrefix = "switchyard-";

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct BignumDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};

// Drains OpenSSL's error queue into one line, so that nothing stays for the next caller.
std::string drainErrors(std::string_view what) {
  std::string out(what);
  while (unsigned long e = ERR_get_error()) {
    std::array<char, 256> buf{};
    ERR_error_string_n(e, buf.data(), buf.size());
    out += out.empty() ? "" : ": ";
    out += buf.data();
  }
  return out;
}

std::string randomHex(size_t bytes) {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<uint8_t, 32> raw{};
  if (bytes > raw.size() || RAND_bytes(raw.data(), static_cast<int>(bytes)) != 1) return {};
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    out.push_back(kHex[raw[i] >> 4]);
    out.push_back(kHex[raw[i] & 0x0F]);
  }
  return out;
}

std::string bioContents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

std::chrono::system_clock::time_point toTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

DtlsCertificate::DtlsCertificate(KeyPtr key, CertificatePtr certificate,
                                 DtlsFingerprint fingerprint)
    : key_(std::move(key)), certificate_(std::move(certificate)), fingerprint_(fingerprint) {}

DtlsCertificate::Result DtlsCertificate::generate() {
  ERR_clear_error();
  KeyPtr key(EVP_EC_gen(kCurve));
  if (!key) return {nullptr, drainErrors("key generation failed")};

  CertificatePtr cert(X509_new());
  if (!cert) return {nullptr, drainErrors("X509_new failed")};

  std::array<uint8_t, kSerialBytes> serialBytes{};
  if (RAND_bytes(serialBytes.data(), static_cast<int>(serialBytes.size())) != 1) {
    return {nullptr, drainErrors("RAND_bytes failed")};
  }
  serialBytes[0] &= 0x7F;  // positive
  serialBytes[0] |= 0x01;  // and never zero
  std::unique_ptr<BIGNUM, BignumDeleter> serial(
      BN_bin2bn(serialBytes.data(), static_cast<int>(serialBytes.size()), nullptr));
  const std::string commonName = std::string(kCommonNamePrefix) + randomHex(kCommonNameRandomBytes);

  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool ok =
      serial != nullptr && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -static_cast<long>(kValidBefore.count())) !=
          nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(kValidAfter.count())) !=
          nullptr &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1 && X509_set_pubkey(cert.get(), key.get()) == 1 &&
      X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return {nullptr, drainErrors("certificate creation failed")};

  auto fingerprint = DtlsFingerprint::compute(DtlsFingerprint::Algorithm::kSha256, cert.get());
  if (!fingerprint) return {nullptr, drainErrors("fingerprint failed")};
  return {std::shared_ptr<const DtlsCertificate>(
              new DtlsCertificate(std::move(key), std::move(cert), *fingerprint)),
          {}};
}

DtlsCertificate::Result DtlsCertificate::fromPem(std::string_view certificatePem,
                                                 std::string_view privateKeyPem) {
  ERR_clear_error();
  BioPtr certBio(BIO_new_mem_buf(certificatePem.data(), static_cast<int>(certificatePem.size())));
  BioPtr keyBio(BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size())));
  if (!certBio || !keyBio) return {nullptr, drainErrors("BIO_new_mem_buf failed")};
  CertificatePtr cert(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
  if (!cert) return {nullptr, drainErrors("bad certificate PEM")};
  // An empty passphrase callback: an encrypted key fails instead of prompting on a terminal.
  KeyPtr key(PEM_read_bio_PrivateKey(
      keyBio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!key) return {nullptr, drainErrors("bad private key PEM")};
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return {nullptr, drainErrors("private key does not match the certificate")};
  }
  auto fingerprint = DtlsFingerprint::compute(DtlsFingerprint::Algorithm::kSha256, cert.get());
  if (!fingerprint) return {nullptr, drainErrors("fingerprint failed")};
  return {std::shared_ptr<const DtlsCertificate>(
              new DtlsCertificate(std::move(key), std::move(cert), *fingerprint)),
          {}};
}

std::string DtlsCertificate::commonName() const {
  std::array<char, 256> buf{};
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(certificate_.get()), NID_commonName,
                                          buf.data(), static_cast<int>(buf.size()));
  return n > 0 ? std::string(buf.data(), static_cast<size_t>(n)) : std::string();
}

std::chrono::system_clock::time_point DtlsCertificate::notBefore() const {
  return toTimePoint(X509_get0_notBefore(certificate_.get()));
}

std::chrono::system_clock::time_point DtlsCertificate::notAfter() const {
  return toTimePoint(X509_get0_notAfter(certificate_.get()));
}

std::string DtlsCertificate::certificatePem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate_.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  return bioContents(bio.get());
}

std::string DtlsCertificate::privateKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return bioContents(bio.get());
}

}  // namespace switchyard::transport
