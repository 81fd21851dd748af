#pragma once
// The worker's DTLS identity: an ECDSA P-256 key and a self-signed X.509 certificate, made once
// at start and shared by every DtlsTransport of the worker (shared_ptr<const DtlsCertificate>).
// WebRTC authenticates it by the fingerprint in SDP, not by a CA (RFC 5763 section 5,
// RFC 8827 section 6.5), so the name and dates only need to be well formed.

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "transport/DtlsFingerprint.hpp"

namespace switchyard::transport {

class DtlsCertificate {
 public:
  struct EvpPkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  };
  struct X509Deleter {
    void operator()(X509* certificate) const { X509_free(certificate); }
  };
  using KeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
  using CertificatePtr = std::unique_ptr<X509, X509Deleter>;

  // A certificate, or why there is none (OpenSSL's error queue, drained).
  struct Result {
    std::shared_ptr<const DtlsCertificate> certificate;
    std::string error;
    explicit operator bool() const { return certificate != nullptr; }
  };

  // A fresh P-256 key and a self-signed certificate: random 64-bit serial, random CN,
  // valid from kValidBefore ago to kValidAfter ahead, signed with ECDSA-SHA256.
  static Result generate();
  // Loads a PEM certificate and its PEM private key (PKCS#8 or traditional); fails when the
  // key does not match the certificate. For a configured identity and for tests.
  static Result fromPem(std::string_view certificatePem, std::string_view privateKeyPem);

  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

  // Borrowed handles, valid for the life of this object. OpenSSL's setters take them
  // non-const and add their own reference.
  X509* x509() const { return certificate_.get(); }
  EVP_PKEY* privateKey() const { return key_.get(); }

  // The SHA-256 fingerprint, what our SDP carries (computed once).
  const DtlsFingerprint& fingerprint() const { return fingerprint_; }
  std::string commonName() const;
  // Validity (whole seconds, as in the certificate).
  std::chrono::system_clock::time_point notBefore() const;
  std::chrono::system_clock::time_point notAfter() const;

  std::string certificatePem() const;
  std::string privateKeyPem() const;  // PKCS#8; for handing to a test peer, never logged

 private:
  DtlsCertificate(KeyPtr key, CertificatePtr certificate, DtlsFingerprint fingerprint);

  KeyPtr key_;
  CertificatePtr certificate_;
  DtlsFingerprint fingerprint_;
};

}  // namespace switchyard::transport
