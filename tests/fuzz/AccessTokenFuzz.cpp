// libFuzzer target: arbitrary bytes as an access token, verified against fixed keys. Random
// bytes almost never carry a valid HMAC, so each input is also used as the payload JSON and as
// the header JSON of a token this target signs itself (OpenSSL HMAC), which takes it past the
// signature check into the claims. Beyond not crashing: errors are short printable sentences
// (they go into 401 bodies and logs), and an accepted grant is one the keys and the clock
// allow, and minting it again verifies to the same grant.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "control/server/AccessToken.hpp"
#include "tests/fuzz/FuzzCheck.hpp"

namespace {

using namespace switchyard::control;

constexpr int64_t kNow = 1767225600;  // the time of tests/fixtures/tokens/pyjwt_tokens.json
constexpr size_t kMaxErrorLength = 160;
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kPayload =
    R"({"iss":"fixture-key","exp":4102444800,"stream":"cam1","permissions":["publish"]})";

// The keys of the fixture tokens, which are the seeds.
const std::map<std::string, std::string>& keys() {
  static const std::map<std::string, std::string> k = {
      {"fixture-key", "fixture-secret-0123456789abcdef"},
      {"other-key", "other-secret-fedcba9876543210!!"},
      {"utf8-key",
       "s\xC3\xA9"
       "cret-\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-0123456789"},
      {"key-1", "secret-0123456789abcdef"},
  };
  return k;
}

using switchyard::fuzz::check;

std::string b64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (char& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string sign(std::string_view header, std::string_view payload) {
  const std::string& secret = keys().at("fixture-key");
  const std::string input = b64url(header) + "." + b64url(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return input + "." + b64url(std::string_view(reinterpret_cast<const char*>(mac), length));
}

void verifyAndCheck(std::string_view token) {
  const auto result = verifyAccessToken(token, keys(), kNow);
  if (!result) {
    const std::string& e = result.error();
    check(!e.empty() && e.size() <= kMaxErrorLength);
    for (char c : e)
      check(c >= 0x20 && c < 0x7F);
    return;
  }
  check(token.size() <= kMaxAccessTokenSize);
  const AccessGrant& g = *result;
  auto key = keys().find(g.apiKey);
  check(key != keys().end());
  check(!g.stream.empty() && (g.publish || g.subscribe));
  check(g.expiresAt > kNow - kAccessTokenLeewaySeconds);
  check(g.allows(g.stream, true) == g.publish && g.allows(g.stream, false) == g.subscribe);
  // Grants whose re-minted token would exceed the size limit cannot round-trip.
  const std::string again = mintAccessToken(g, key->second);
  if (again.size() > kMaxAccessTokenSize) return;
  const auto second = verifyAccessToken(again, keys(), kNow);
  check(second.ok());
  check(second->apiKey == g.apiKey && second->stream == g.stream && second->subject == g.subject &&
        second->publish == g.publish && second->subscribe == g.subscribe &&
        second->expiresAt == g.expiresAt);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  verifyAndCheck(input);
  verifyAndCheck(sign(kHeader, input));
  verifyAndCheck(sign(input, kPayload));
  return 0;
}
