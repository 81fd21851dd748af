// libFuzzer target: arbitrary text as the base64 SRTP key of a plain transport's connect
// (srtp_parameters.key_base64), for both profiles. A text that decodes is canonical: it
// encodes back to itself (one key, one text), and the key has the profile's length.

#include <cstdint>
#include <string_view>

#include "tests/fuzz/FuzzCheck.hpp"
#include "transport/SrtpParameters.hpp"

namespace {

using switchyard::fuzz::check;
using switchyard::transport::srtpKeyLengths;
using switchyard::transport::SrtpParameters;
using switchyard::transport::SrtpProfile;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto profile : {SrtpProfile::kAes128CmHmacSha1_80, SrtpProfile::kAeadAes128Gcm}) {
    const auto key = SrtpParameters::fromBase64(profile, text);
    if (!key) continue;
    const auto lengths = srtpKeyLengths(profile);
    check(key->profile() == profile);
    check(key->keyAndSalt().size() == lengths.masterKey + lengths.masterSalt);
    check(key->toBase64() == text);
  }
  return 0;
}
