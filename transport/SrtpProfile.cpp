#include "transport/SrtpProfile.hpp"

namespace switchyard::transport {

std::optional<SrtpProfile> srtpProfileFromOpenSslName(std::string_view name) {
  for (auto profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    if (srtpProfileOpenSslName(profile) == name) return profile;
  }
  return std::nullopt;
}

}  // namespace switchyard::transport
