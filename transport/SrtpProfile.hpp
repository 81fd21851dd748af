#pragma once
// The DTLS-SRTP protection profiles Switchyard negotiates (RFC 5764 section 4.1.2, RFC 7714
// section 14.2), with their master key and salt lengths. Shared by DtlsTransport (which
// negotiates one and exports the keying material) and SrtpSession (which uses it).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace switchyard::transport {

enum class SrtpProfile : uint8_t {
  kAeadAes128Gcm,        // SRTP_AEAD_AES_128_GCM (RFC 7714): preferred
  kAes128CmHmacSha1_80,  // SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764): what aiortc and wrtc offer
};

struct SrtpKeyLengths {
  size_t masterKey;
  size_t masterSalt;
};

constexpr SrtpKeyLengths srtpKeyLengths(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? SrtpKeyLengths{16, 12} : SrtpKeyLengths{16, 14};
}

// The profile names OpenSSL's SSL_CTX_set_tlsext_use_srtp takes and SSL_get_selected_srtp_profile
// reports.
constexpr std::string_view srtpProfileOpenSslName(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? "SRTP_AEAD_AES_128_GCM"
                                                : "SRTP_AES128_CM_SHA1_80";
}

std::optional<SrtpProfile> srtpProfileFromOpenSslName(std::string_view name);

}  // namespace switchyard::transport
