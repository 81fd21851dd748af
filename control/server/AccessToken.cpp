#include "control/server/AccessToken.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>
#include <climits>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

namespace switchyard::control {

namespace {

using Json = nlohmann::json;

// RFC 7518 section 3.2: HS256 is HMAC with SHA-256, a 32-byte MAC, never truncated.
constexpr std::string_view kAlgorithm = "HS256";
constexpr size_t kMacSize = 32;
// The one header we emit. RFC 7515 section 4.1.9: "typ" is compared case-insensitively, and
// "application/" may be left out of a media type.
constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kType = "JWT";
constexpr std::string_view kMediaType = "application/jwt";
constexpr std::string_view kPermissionPublish = "publish";
constexpr std::string_view kPermissionSubscribe = "subscribe";
// Attacker-chosen text quoted in an error (alg, iss) is cut to this and made printable.
constexpr size_t kMaxQuotedLength = 64;

// The command line.
constexpr int kExitOk = 0;
constexpr int kExitUsage = 64;
constexpr int64_t kDefaultTtlSeconds = 3600;
constexpr int64_t kMaxTtlSeconds = int64_t{10} * 365 * 24 * 3600;
// auth.keys refuses shorter secrets (ServerConfig), so a token signed with one is never valid.
constexpr size_t kMinSecretLength = 16;

// --- Base64url (RFC 7515 section 2: RFC 4648 section 5 alphabet, no padding) ----------------

constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr uint8_t kInvalid = 0xFF;

constexpr std::array<uint8_t, 256> makeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table)
    v = kInvalid;
  for (uint8_t i = 0; i < 64; ++i)
    table[static_cast<uint8_t>(kBase64UrlAlphabet[i])] = i;
  return table;
}
constexpr auto kDecodeTable = makeDecodeTable();

std::string base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6)
      out.push_back(kBase64UrlAlphabet[(v >> shift) & 0x3F]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = at(i) << 16;
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 0x3F]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 0x3F]);
  } else if (rest == 2) {
    const uint32_t v = at(i) << 16 | at(i + 1) << 8;
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 0x3F]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 0x3F]);
    out.push_back(kBase64UrlAlphabet[(v >> 6) & 0x3F]);
  }
  return out;
}

// Strict: no padding, no whitespace, nothing outside the alphabet, and the unused low bits of
// the last character must be zero (RFC 4648 section 3.5), so every byte string has exactly one
// accepted encoding.
std::optional<std::string> base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const uint8_t v = kDecodeTable[static_cast<uint8_t>(c)];
    if (v == kInvalid) return std::nullopt;
    buffer = (buffer << 6 | v) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

// --- HMAC-SHA256 (RFC 7518 section 3.2) ---------------------------------------------------

std::optional<std::array<uint8_t, kMacSize>> hmacSha256(std::string_view secret,
                                                        std::string_view data) {
  if (secret.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;
  static constexpr unsigned char kNoKey = 0;  // HMAC() wants a non-null pointer for an empty key
  std::array<uint8_t, kMacSize> mac{};
  unsigned int length = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&kNoKey) : secret.data();
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &length) == nullptr ||
      length != kMacSize) {
    return std::nullopt;
  }
  return mac;
}

// --- Verification helpers ------------------------------------------------------------------

AccessTokenResult fail(std::string message) {
  return AccessTokenResult::failure(std::move(message));
}

// Text from the token, safe to put in a response body or a log line.
std::string printable(std::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMaxQuotedLength; ++i) {
    const char c = text[i];
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  if (text.size() > kMaxQuotedLength) out += "...";
  return out + "'";
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A JSON object, or nullopt. Parsing with exceptions off: invalid JSON, invalid UTF-8 and
// numbers out of range all come back as "discarded".
std::optional<Json> parseObject(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

const Json* member(const Json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// RFC 7519 section 2 NumericDate, restricted to integers that fit int64_t.
std::optional<std::string> readTime(const Json& claims, const char* name, bool required,
                                    std::optional<int64_t>& out) {
  const Json* v = member(claims, name);
  if (v == nullptr) {
    if (required) return std::string("missing claim '") + name + "'";
    return std::nullopt;
  }
  if (!v->is_number_integer()) return std::string("claim '") + name + "' must be an integer";
  if (v->is_number_unsigned() &&
      v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::string("claim '") + name + "' is out of range";
  }
  out = v->get<int64_t>();
  return std::nullopt;
}

std::optional<std::string> readString(const Json& claims, const char* name, bool required,
                                      std::string& out) {
  const Json* v = member(claims, name);
  if (v == nullptr) {
    if (required) return std::string("missing claim '") + name + "'";
    return std::nullopt;
  }
  if (!v->is_string()) return std::string("claim '") + name + "' must be a string";
  out = v->get<std::string>();
  if (required && out.empty()) return std::string("claim '") + name + "' must not be empty";
  return std::nullopt;
}

std::optional<std::string> readPermissions(const Json& claims, AccessGrant& grant) {
  const Json* v = member(claims, "permissions");
  if (v == nullptr) return "missing claim 'permissions'";
  if (!v->is_array()) return "claim 'permissions' must be an array";
  if (v->empty()) return "claim 'permissions' must not be empty";
  for (const Json& p : *v) {
    if (!p.is_string()) return "claim 'permissions' must hold strings";
    const auto& name = p.get_ref<const std::string&>();
    if (name == kPermissionPublish) {
      grant.publish = true;
    } else if (name == kPermissionSubscribe) {
      grant.subscribe = true;
    } else {
      return "unknown permission " + printable(name);
    }
  }
  return std::nullopt;
}

// The header's checks: RFC 8725 section 3.1 (the algorithm is ours to choose, not the
// token's), RFC 7515 section 4.1.11 (a "crit" extension we do not know must be refused).
std::optional<std::string> checkHeader(const Json& header) {
  const Json* alg = member(header, "alg");
  if (alg == nullptr) return "malformed token: no 'alg' in header";
  if (!alg->is_string()) return "malformed token: 'alg' must be a string";
  const auto& name = alg->get_ref<const std::string&>();
  if (name != kAlgorithm) return "unsupported algorithm " + printable(name) + ", only HS256";
  if (const Json* typ = member(header, "typ")) {
    if (!typ->is_string() || !(equalsIgnoreCase(typ->get_ref<const std::string&>(), kType) ||
                               equalsIgnoreCase(typ->get_ref<const std::string&>(), kMediaType))) {
      return "malformed token: 'typ' must be \"JWT\"";
    }
  }
  if (member(header, "crit") != nullptr) return "unsupported header 'crit'";
  return std::nullopt;
}

}  // namespace

bool AccessGrant::allows(std::string_view name, bool forPublish) const {
  if (stream != kAnyStream && stream != name) return false;
  return forPublish ? publish : subscribe;
}

AccessTokenResult verifyAccessToken(std::string_view token,
                                    const std::map<std::string, std::string>& keys,
                                    int64_t nowSeconds) {
  if (token.size() > kMaxAccessTokenSize) {
    return fail("malformed token: longer than " + std::to_string(kMaxAccessTokenSize) + " bytes");
  }
  // RFC 7515 section 7.1: BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature).
  const size_t firstDot = token.find('.');
  const size_t secondDot =
      firstDot == std::string_view::npos ? firstDot : token.find('.', firstDot + 1);
  if (secondDot == std::string_view::npos || token.find('.', secondDot + 1) != token.npos) {
    size_t segments = 1;
    for (char c : token)
      segments += c == '.' ? 1 : 0;
    return fail("malformed token: expected 3 dot-separated parts, found " +
                std::to_string(segments));
  }
  const std::string_view headerText = token.substr(0, firstDot);
  const std::string_view payloadText = token.substr(firstDot + 1, secondDot - firstDot - 1);
  const std::string_view signatureText = token.substr(secondDot + 1);
  const auto headerBytes = base64UrlDecode(headerText);
  if (!headerBytes) return fail("malformed token: header is not base64url");
  const auto payloadBytes = base64UrlDecode(payloadText);
  if (!payloadBytes) return fail("malformed token: payload is not base64url");
  const auto signature = base64UrlDecode(signatureText);
  if (!signature) return fail("malformed token: signature is not base64url");

  const auto header = parseObject(*headerBytes);
  if (!header) return fail("malformed token: header is not a JSON object");
  if (auto error = checkHeader(*header)) return fail(std::move(*error));
  const auto claims = parseObject(*payloadBytes);
  if (!claims) return fail("malformed token: payload is not a JSON object");

  // The key is chosen by "iss" before the signature is checked; nothing else in the payload is
  // trusted until it is.
  AccessGrant grant;
  if (auto error = readString(*claims, "iss", true, grant.apiKey)) return fail(std::move(*error));
  if (const Json* kid = member(*header, "kid")) {
    if (!kid->is_string() || kid->get_ref<const std::string&>() != grant.apiKey) {
      return fail("header 'kid' does not match claim 'iss'");
    }
  }
  auto key = keys.find(grant.apiKey);
  if (key == keys.end()) return fail("unknown key " + printable(grant.apiKey));
  const auto expected = hmacSha256(key->second, token.substr(0, secondDot));
  if (!expected || signature->size() != kMacSize ||
      CRYPTO_memcmp(expected->data(), signature->data(), kMacSize) != 0) {
    return fail("bad signature");
  }

  std::optional<int64_t> exp, nbf;
  if (auto error = readTime(*claims, "exp", true, exp)) return fail(std::move(*error));
  if (auto error = readTime(*claims, "nbf", false, nbf)) return fail(std::move(*error));
  // RFC 7519 section 4.1.3: a token for an audience we cannot identify ourselves in is refused.
  if (member(*claims, "aud") != nullptr) return fail("claim 'aud' is not supported");
  if (auto error = readString(*claims, "sub", false, grant.subject)) return fail(std::move(*error));
  if (auto error = readString(*claims, "stream", true, grant.stream)) {
    return fail(std::move(*error));
  }
  if (auto error = readPermissions(*claims, grant)) return fail(std::move(*error));

  // RFC 7519 section 4.1.4: valid while now < exp; 4.1.5: from nbf on; both with leeway. The
  // sums are only formed where they cannot overflow, so every clock value gets the exact answer.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (*exp <= kMax - kAccessTokenLeewaySeconds && nowSeconds >= *exp + kAccessTokenLeewaySeconds) {
    return fail("token expired");
  }
  if (nbf && *nbf >= kMin + kAccessTokenLeewaySeconds &&
      *nbf - kAccessTokenLeewaySeconds > nowSeconds) {
    return fail("token not yet valid");
  }
  grant.expiresAt = *exp;
  return grant;
}

std::string mintAccessToken(const AccessGrant& grant, std::string_view secret) {
  Json claims = Json::object();
  claims["iss"] = grant.apiKey;
  claims["exp"] = grant.expiresAt;
  claims["stream"] = grant.stream;
  if (!grant.subject.empty()) claims["sub"] = grant.subject;
  Json permissions = Json::array();
  if (grant.publish) permissions.push_back(std::string(kPermissionPublish));
  if (grant.subscribe) permissions.push_back(std::string(kPermissionSubscribe));
  claims["permissions"] = std::move(permissions);
  // dump() would throw on invalid UTF-8; replace it instead.
  const std::string payload = claims.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string token = base64UrlEncode(kHeaderJson) + "." + base64UrlEncode(payload);
  const auto mac = hmacSha256(secret, token);
  const std::string_view macBytes =
      mac ? std::string_view(reinterpret_cast<const char*>(mac->data()), mac->size())
          : std::string_view();
  return token + "." + base64UrlEncode(macBytes);
}

std::string tokenCommandUsageText() {
  return R"(usage: switchyard token --key KEY --secret SECRET --stream NAME [--publish] [--subscribe]
                        [--ttl SECONDS] [--sub ID]
Prints an access token (an HS256 JWT) for the WHIP/WHEP endpoints.
  --key KEY        API key, as in the server's auth.keys (the token's "iss")
  --secret SECRET  its secret (16+ characters)
  --stream NAME    the stream the token is for, or '*' for every stream
  --publish        allow publishing (WHIP)
  --subscribe      allow watching (WHEP); at least one of the two is needed
  --ttl SECONDS    how long the token is valid from now (default 3600)
  --sub ID         who the token is for, shown in the server's logs
Exit codes: 0 printed, 64 invalid usage.
)";
}

int runTokenCommand(int argc, char* argv[], std::ostream& out, std::ostream& err) {
  auto usageError = [&](const std::string& message) {
    err << "switchyard token: " << message << "\n(see switchyard token --help)\n";
    return kExitUsage;
  };
  AccessGrant grant;
  std::string secret;
  bool haveKey = false, haveSecret = false, haveStream = false;
  int64_t ttl = kDefaultTtlSeconds;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      out << tokenCommandUsageText();
      return kExitOk;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (name == "--publish" || name == "--subscribe") {
      if (value) return usageError("option '" + name + "' takes no value");
      (name == "--publish" ? grant.publish : grant.subscribe) = true;
      continue;
    }
    if (name != "--key" && name != "--secret" && name != "--stream" && name != "--ttl" &&
        name != "--sub") {
      return usageError("unknown option '" + name + "'");
    }
    if (!value) {
      if (i + 1 >= argc) return usageError("option '" + name + "' needs a value");
      value = argv[++i];
    }
    if (name == "--key") {
      grant.apiKey = *value;
      haveKey = true;
    } else if (name == "--secret") {
      secret = *value;
      haveSecret = true;
    } else if (name == "--stream") {
      grant.stream = *value;
      haveStream = true;
    } else if (name == "--sub") {
      grant.subject = *value;
    } else {
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), ttl);
      if (ec != std::errc() || end != value->data() + value->size() || ttl <= 0 ||
          ttl > kMaxTtlSeconds) {
        return usageError("--ttl: '" + *value + "' is not a number of seconds from 1 to " +
                          std::to_string(kMaxTtlSeconds));
      }
    }
  }
  if (!haveKey || grant.apiKey.empty()) return usageError("--key is required");
  if (!haveSecret) return usageError("--secret is required");
  if (secret.size() < kMinSecretLength) {
    return usageError("--secret needs " + std::to_string(kMinSecretLength) + "+ characters");
  }
  if (!haveStream || grant.stream.empty()) return usageError("--stream is required");
  if (!grant.publish && !grant.subscribe) {
    return usageError("give --publish, --subscribe or both");
  }
  grant.expiresAt = static_cast<int64_t>(std::time(nullptr)) + ttl;
  out << mintAccessToken(grant, secret) << "\n";
  return kExitOk;
}

}  // namespace switchyard::control
