#pragma once
// Access tokens for the WHIP/WHEP endpoints: JSON Web Tokens (RFC 7519) signed with HMAC-SHA256
// (RFC 7518 section 3.2, JWS compact serialization of RFC 7515 section 7.1). The "iss" claim is
// the API key and selects the secret among the server's configured keys; the token grants
// publishing and/or subscribing on one stream (or "*", every stream) until "exp". Only HS256 is
// accepted, whatever the header asks for (RFC 8725 section 3.1). Nothing here throws.

#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace switchyard::control {

// Clock skew tolerated on "exp" and "nbf" (RFC 7519 sections 4.1.4 and 4.1.5 allow "some small
// leeway"), and the longest token looked at.
constexpr int64_t kAccessTokenLeewaySeconds = 30;
constexpr size_t kMaxAccessTokenSize = 4096;

// What a verified token allows.
struct AccessGrant {
  std::string apiKey;   // "iss": the key whose secret signed the token
  std::string stream;   // "stream": a stream name, or "*" for any
  std::string subject;  // "sub": who holds the token, free text for logs; may be empty
  bool publish = false;
  bool subscribe = false;
  int64_t expiresAt = 0;  // "exp", seconds since the epoch

  static constexpr std::string_view kAnyStream = "*";

  // Whether the grant covers publishing (publish = true) or watching `stream`.
  bool allows(std::string_view stream, bool publish) const;
};

// A verified grant, or why the token was refused, as a sentence fit for a 401 response body
// and a log line (no secret, no unbounded token text).
class AccessTokenResult {
 public:
  AccessTokenResult(AccessGrant grant) : v_(std::move(grant)) {}  // NOLINT: implicit by design
  static AccessTokenResult failure(std::string error) {
    return AccessTokenResult(std::move(error));
  }
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const AccessGrant& value() const { return std::get<0>(v_); }
  const AccessGrant* operator->() const { return &value(); }
  const AccessGrant& operator*() const { return value(); }
  const std::string& error() const { return std::get<1>(v_); }

 private:
  explicit AccessTokenResult(std::string error) : v_(std::move(error)) {}
  std::variant<AccessGrant, std::string> v_;
};

// Verifies `token` (the text after "Bearer ") against `keys` (API key -> secret) at
// `nowSeconds` since the epoch. Errors read "malformed token: ...", "unsupported algorithm ...",
// "unknown key '...'", "bad signature", "token expired", "token not yet valid", or name the
// claim that is missing or of the wrong type.
AccessTokenResult verifyAccessToken(std::string_view token,
                                    const std::map<std::string, std::string>& keys,
                                    int64_t nowSeconds);

// Signs `grant` with `secret` as an HS256 JWT: header {"alg":"HS256","typ":"JWT"}, claims
// exp, iss, permissions, stream and sub (left out when empty). Deterministic for a given grant
// and secret. A grant with neither permission yields a token that verification refuses.
// Invalid UTF-8 in the strings is replaced by U+FFFD.
std::string mintAccessToken(const AccessGrant& grant, std::string_view secret);

// `switchyard token --key K --secret S --stream NAME [--publish] [--subscribe]
// [--ttl SECONDS] [--sub ID]`: prints a token valid from now for SECONDS (default 3600) to `out`.
// argv[0] is the subcommand itself ("token"); main.cpp passes (argc - 1, argv + 1). Returns 0,
// or 64 with a message on `err` for invalid usage; --help prints the usage to `out`.
int runTokenCommand(int argc, char* argv[], std::ostream& out, std::ostream& err);

std::string tokenCommandUsageText();

}  // namespace switchyard::control
