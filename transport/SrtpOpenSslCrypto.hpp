#pragma once
// OpenSSL 3 implementations of the libsrtp2 crypto primitives SrtpSession's profiles use, for
// libsrtp's own crypto kernel: AES-ICM-128/256 (RFC 3711 section 4.1.1; the KDF of section 4.3
// runs on it too), AES-GCM-128/256 (RFC 7714) and HMAC-SHA1 (RFC 3711 section 4.2.1). libsrtp
// keeps the protocol (key derivation, replay database, ROC, the RTP/RTCP transforms); these
// replace only the primitives, which in Debian's libsrtp2 are NSS's and allocate on every call.
// Every OpenSSL context is made when libsrtp allocates and keys a cipher; a packet allocates
// nothing (docs/srtp.md). Each type carries published known-answer vectors as its libsrtp
// self-test data, run by libsrtp when the type is registered.

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include <span>

namespace switchyard::transport {

// The type tables, to register with libsrtp (installOpenSslSrtpCrypto) or to test directly.
const srtp_cipher_type_t& openSslAesIcm128();  // SRTP_AES_ICM_128: key 16 + salt 14 bytes
const srtp_cipher_type_t& openSslAesIcm256();  // SRTP_AES_ICM_256: key 32 + salt 14 bytes
const srtp_cipher_type_t& openSslAesGcm128();  // SRTP_AES_GCM_128: key 16 + salt 12; tag 8, 16
const srtp_cipher_type_t& openSslAesGcm256();  // SRTP_AES_GCM_256: key 32 + salt 12; tag 8, 16
const srtp_auth_type_t& openSslHmacSha1();     // SRTP_HMAC_SHA1: tags of 1 to 20 bytes

// What registering a set of types gave: ok, or the libsrtp status and the description of the
// first type refused (its own vectors, or those of the type it replaces, did not match).
struct SrtpCryptoInstallResult {
  srtp_err_status_t status = srtp_err_status_ok;
  const char* refusedType = nullptr;  // static text; nullptr when ok
  bool ok() const { return status == srtp_err_status_ok; }
};

// Replaces each type in libsrtp's crypto kernel under its own id, in order, stopping at the
// first refusal (libsrtp leaves a refused id as it was). libsrtp runs the new type's self-test
// data and the replaced type's before accepting it. srtp_init must have succeeded. Process-wide
// and not thread-safe: SrtpSession calls it once (SrtpSession::initializeLibrary).
SrtpCryptoInstallResult installSrtpCryptoTypes(std::span<const srtp_cipher_type_t* const> ciphers,
                                               std::span<const srtp_auth_type_t* const> auths);

// installSrtpCryptoTypes with the five types above.
SrtpCryptoInstallResult installOpenSslSrtpCrypto();

}  // namespace switchyard::transport
