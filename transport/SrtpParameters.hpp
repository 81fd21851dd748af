#pragma once
// SRTP keys given over the control channel rather than by DTLS: what a plain transport with
// SRTP uses (as SDES, RFC 4568, would carry them in SDP). One profile, and one master key +
// salt for one direction, carried as base64 (RFC 4648 section 4) in the schema.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "transport/SrtpProfile.hpp"

namespace switchyard::transport {

class SrtpParameters {
 public:
  // The largest master key + salt of the supported profiles (AES-CM: 16 + 14).
  static constexpr size_t kMaxKeySaltSize = 30;

  // A fresh random key for profile; nullopt when the random generator fails.
  static std::optional<SrtpParameters> generate(SrtpProfile profile);
  // Decodes base64 text into a key; nullopt unless it is valid base64 of exactly the profile's
  // key + salt length.
  static std::optional<SrtpParameters> fromBase64(SrtpProfile profile, std::string_view text);

  SrtpParameters(const SrtpParameters&) = default;
  SrtpParameters& operator=(const SrtpParameters&) = default;
  ~SrtpParameters();  // wipes the key

  SrtpProfile profile() const { return profile_; }
  std::span<const uint8_t> keyAndSalt() const { return std::span(key_).first(size_); }
  std::string toBase64() const;

 private:
  explicit SrtpParameters(SrtpProfile profile);

  SrtpProfile profile_;
  size_t size_;
  std::array<uint8_t, kMaxKeySaltSize> key_{};
};

}  // namespace switchyard::transport
