// Access tokens: HS256 JWTs (RFC 7519, RFC 7518 section 3.2). Tokens here are signed by code
// independent of the code under test: OpenSSL's HMAC and base64 in this file, PyJWT in
// tests/fixtures/tokens/pyjwt_tokens.json, and RFC 7515 appendix A.1. Tokens our
// mintAccessToken made were checked by PyJWT (tests/fixtures/tokens/switchyard_tokens.json).

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "control/server/AccessToken.hpp"

namespace switchyard::control {
namespace {

using Json = nlohmann::json;

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int64_t kFar = 4102444800;  // 2100-01-01T00:00:00Z
constexpr const char* kKey = "key-1";
constexpr const char* kSecret = "secret-0123456789abcdef";
constexpr const char* kHs256Header = R"({"alg":"HS256","typ":"JWT"})";
// The base64url of kHs256Header, as every HS256 JWT library writes it.
constexpr const char* kHs256HeaderB64 = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

const std::map<std::string, std::string> kKeys = {
    {kKey, kSecret},
    {"key-2", "another-secret-0123456789"},
};

std::filesystem::path fixtureDir() {
#ifdef SWITCHYARD_FIXTURES_DIR
  return std::filesystem::path(SWITCHYARD_FIXTURES_DIR) / "tokens";
#else  // tests/CMakeLists.txt does not define it for this target
  return std::filesystem::path(__FILE__).parent_path() / "fixtures" / "tokens";
#endif
}

Json readJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str(), nullptr, false);
}

// --- An independent signer: OpenSSL's base64 and HMAC ----------------------------------------

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

std::string unb64url(std::string_view text) {
  std::string s(text);
  for (char& c : s)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  size_t padding = 0;
  while (s.size() % 4 != 0) {
    s.push_back('=');
    ++padding;
  }
  std::string out(s.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return "<not base64>";
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string hmac(const EVP_MD* md, std::string_view secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string sign(std::string_view header, std::string_view payload,
                 std::string_view secret = kSecret, const EVP_MD* md = EVP_sha256()) {
  const std::string input = b64url(header) + "." + b64url(payload);
  return input + "." + b64url(hmac(md, secret, input));
}

// Claims that verify, with one member replaced (or removed, with a null value).
std::string claims(const Json& overrides = Json::object()) {
  Json c = {{"iss", kKey}, {"exp", kFar}, {"stream", "cam1"}, {"permissions", {"publish"}}};
  for (const auto& [k, v] : overrides.items()) {
    if (v.is_null()) {
      c.erase(k);
    } else {
      c[k] = v;
    }
  }
  return c.dump();
}

std::string token(const Json& overrides = Json::object()) {
  return sign(kHs256Header, claims(overrides));
}

struct Parts {
  std::string header, payload, signature;
};
Parts split(const std::string& t) {
  const size_t a = t.find('.'), b = t.find('.', a + 1);
  return {t.substr(0, a), t.substr(a + 1, b - a - 1), t.substr(b + 1)};
}

// --- Valid tokens ----------------------------------------------------------------------------

struct ValidCase {
  const char* name;
  std::string token;
  AccessGrant expect;
};

AccessGrant grant(std::string stream, bool publish, bool subscribe, std::string subject = "",
                  int64_t exp = kFar, std::string key = kKey) {
  AccessGrant g;
  g.apiKey = std::move(key);
  g.stream = std::move(stream);
  g.subject = std::move(subject);
  g.publish = publish;
  g.subscribe = subscribe;
  g.expiresAt = exp;
  return g;
}

std::vector<ValidCase> validCases() {
  return {
      {"publish", token(), grant("cam1", true, false)},
      {"subscribe", token({{"permissions", {"subscribe"}}}), grant("cam1", false, true)},
      {"both", token({{"permissions", {"publish", "subscribe"}}}), grant("cam1", true, true)},
      {"both, reversed and repeated", token({{"permissions", {"subscribe", "publish", "publish"}}}),
       grant("cam1", true, true)},
      {"any stream", token({{"stream", "*"}}), grant("*", true, false)},
      {"subject", token({{"sub", "alice@example.org"}}),
       grant("cam1", true, false, "alice@example.org")},
      {"escaped subject",
       sign(kHs256Header, R"({"iss":"key-1","exp":4102444800,"stream":"cam1",)"
                          R"("permissions":["publish"],"sub":"\u00e9\ud83c\udfa5"})"),
       grant("cam1", true, false, "\xC3\xA9\xF0\x9F\x8E\xA5")},
      {"second key", sign(kHs256Header, claims({{"iss", "key-2"}}), "another-secret-0123456789"),
       grant("cam1", true, false, "", kFar, "key-2")},
      {"nbf in the past", token({{"nbf", kNow - 1000}}), grant("cam1", true, false)},
      {"nbf within leeway", token({{"nbf", kNow + kAccessTokenLeewaySeconds}}),
       grant("cam1", true, false)},
      {"exp within leeway", token({{"exp", kNow - kAccessTokenLeewaySeconds + 1}}),
       grant("cam1", true, false, "", kNow - kAccessTokenLeewaySeconds + 1)},
      {"negative nbf", token({{"nbf", -5}}), grant("cam1", true, false)},
      {"unknown claims ignored", token({{"iat", kNow}, {"jti", "x"}, {"room", {{"a", {1, 2}}}}}),
       grant("cam1", true, false)},
      {"kid equal to iss", sign(R"({"alg":"HS256","kid":"key-1"})", claims()),
       grant("cam1", true, false)},
      {"typ absent", sign(R"({"alg":"HS256"})", claims()), grant("cam1", true, false)},
      {"typ lower case", sign(R"({"alg":"HS256","typ":"jwt"})", claims()),
       grant("cam1", true, false)},
      {"typ as media type", sign(R"({"alg":"HS256","typ":"application/JWT"})", claims()),
       grant("cam1", true, false)},
      {"whitespace in JSON", sign("{ \"alg\" :\r\n \"HS256\" }", " \r\n" + claims() + "\n\t"),
       grant("cam1", true, false)},
      // RFC 7519 section 4: a parser may keep the lexically last of duplicate claim names.
      {"duplicate claim: the last counts",
       sign(kHs256Header, R"({"iss":"key-1","exp":1,"exp":4102444800,"stream":"a","stream":"cam1",)"
                          R"("permissions":["publish"]})"),
       grant("cam1", true, false)},
  };
}

TEST(AccessTokenTest, AcceptsValidTokens) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto result = verifyAccessToken(c.token, kKeys, kNow);
    ASSERT_TRUE(result.ok()) << result.error();
    EXPECT_EQ(result->apiKey, c.expect.apiKey);
    EXPECT_EQ(result->stream, c.expect.stream);
    EXPECT_EQ(result->subject, c.expect.subject);
    EXPECT_EQ(result->publish, c.expect.publish);
    EXPECT_EQ(result->subscribe, c.expect.subscribe);
    EXPECT_EQ(result->expiresAt, c.expect.expiresAt);
  }
}

// --- Refused tokens --------------------------------------------------------------------------

struct ErrorCase {
  const char* name;
  std::string token;
  std::string error;
};

// A token of exactly `size` bytes, validly signed, its "sub" claim padded to fit.
std::string tokenOfSize(size_t size) {
  // Base64url makes 4 characters of 3 bytes: start a little below the answer.
  const size_t estimate = size * 3 / 4;
  for (size_t n = estimate > 300 ? estimate - 300 : 0; n < size; ++n) {
    std::string t = token({{"sub", std::string(n, 'x')}});
    if (t.size() == size) return t;
    if (t.size() > size) break;
  }
  return "";
}

// Replaces the last character of a segment by one whose unused low bits are not zero.
std::string nonCanonical(std::string segment) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  segment.back() = kAlphabet[kAlphabet.find(segment.back()) ^ 1];
  return segment;
}

std::vector<ErrorCase> errorCases() {
  const std::string good = token();
  const Parts p = split(good);
  const std::string body = p.header + "." + p.payload;
  std::string flippedSignature = p.signature;
  flippedSignature[10] = flippedSignature[10] == 'A' ? 'B' : 'A';
  const std::string otherPayload = b64url(claims({{"stream", "cam2"}}));
  return {
      // Time (RFC 7519 sections 4.1.4, 4.1.5).
      {"expired", token({{"exp", kNow - 3600}}), "token expired"},
      {"expired at the leeway's edge", token({{"exp", kNow - kAccessTokenLeewaySeconds}}),
       "token expired"},
      {"exp zero", token({{"exp", 0}}), "token expired"},
      {"not yet valid", token({{"nbf", kNow + kAccessTokenLeewaySeconds + 1}}),
       "token not yet valid"},
      // Keys and signatures.
      {"wrong secret", sign(kHs256Header, claims(), "wrong-secret-0123456789"), "bad signature"},
      {"another key's secret", sign(kHs256Header, claims(), "another-secret-0123456789"),
       "bad signature"},
      {"unknown iss", sign(kHs256Header, claims({{"iss", "nobody"}})), "unknown key 'nobody'"},
      {"unknown iss with control characters", token({{"iss", "a\nb\x01"}}), "unknown key 'a?b?'"},
      {"unknown iss, long", token({{"iss", std::string(100, 'k')}}),
       "unknown key '" + std::string(64, 'k') + "...'"},
      {"tampered payload", p.header + "." + otherPayload + "." + p.signature, "bad signature"},
      {"tampered header",
       b64url(R"({"alg":"HS256","typ":"JWT","x":1})") + "." + p.payload + "." + p.signature,
       "bad signature"},
      {"tampered signature", body + "." + flippedSignature, "bad signature"},
      {"truncated signature", body + "." + p.signature.substr(0, 40), "bad signature"},
      {"empty signature", body + ".", "bad signature"},
      {"signature over header only", body + "." + b64url(hmac(EVP_sha256(), kSecret, p.header)),
       "bad signature"},
      {"kid differs from iss", sign(R"({"alg":"HS256","kid":"key-2"})", claims()),
       "header 'kid' does not match claim 'iss'"},
      {"kid not a string", sign(R"({"alg":"HS256","kid":1})", claims()),
       "header 'kid' does not match claim 'iss'"},
      // Algorithms (RFC 8725 section 3.1).
      {"alg none", b64url(R"({"alg":"none","typ":"JWT"})") + "." + p.payload + ".",
       "unsupported algorithm 'none', only HS256"},
      {"alg None", b64url(R"({"alg":"None"})") + "." + p.payload + ".",
       "unsupported algorithm 'None', only HS256"},
      {"alg none with a valid HS256 signature", sign(R"({"alg":"none"})", claims()),
       "unsupported algorithm 'none', only HS256"},
      {"alg HS512", sign(R"({"alg":"HS512","typ":"JWT"})", claims(), kSecret, EVP_sha512()),
       "unsupported algorithm 'HS512', only HS256"},
      {"alg RS256", sign(R"({"alg":"RS256","typ":"JWT"})", claims()),
       "unsupported algorithm 'RS256', only HS256"},
      {"alg hs256", sign(R"({"alg":"hs256"})", claims()),
       "unsupported algorithm 'hs256', only HS256"},
      {"alg missing", sign(R"({"typ":"JWT"})", claims()), "malformed token: no 'alg' in header"},
      {"alg not a string", sign(R"({"alg":["HS256"]})", claims()),
       "malformed token: 'alg' must be a string"},
      {"typ of another kind", sign(R"({"alg":"HS256","typ":"at+jwt"})", claims()),
       "malformed token: 'typ' must be \"JWT\""},
      {"typ not a string", sign(R"({"alg":"HS256","typ":1})", claims()),
       "malformed token: 'typ' must be \"JWT\""},
      {"crit", sign(R"({"alg":"HS256","crit":["exp"]})", claims()), "unsupported header 'crit'"},
      // Base64url (RFC 7515 section 2).
      {"padded signature", body + "." + p.signature + "=",
       "malformed token: signature is not base64url"},
      {"padded payload", p.header + "." + b64url("{}") + "=." + p.signature,
       "malformed token: payload is not base64url"},
      {"padded header", b64url("{\"alg\":\"HS256\"}") + "==." + p.payload + "." + p.signature,
       "malformed token: header is not base64url"},
      {"standard base64 characters", p.header + "." + p.payload + "+/." + p.signature,
       "malformed token: payload is not base64url"},
      {"space inside", p.header + ". " + p.payload + "." + p.signature,
       "malformed token: payload is not base64url"},
      {"trailing newline", good + "\n", "malformed token: signature is not base64url"},
      {"NUL byte", p.header + std::string(1, '\0') + "." + p.payload + "." + p.signature,
       "malformed token: header is not base64url"},
      {"non-ASCII byte", p.header + "\xC3\xA9." + p.payload + "." + p.signature,
       "malformed token: header is not base64url"},
      {"impossible length", p.header + "A." + p.payload + "." + p.signature,
       "malformed token: header is not base64url"},
      {"non-canonical last character", body + "." + nonCanonical(p.signature),
       "malformed token: signature is not base64url"},
      // JSON.
      {"header not JSON", sign("not json", claims()),
       "malformed token: header is not a JSON object"},
      {"header a JSON array", sign(R"(["HS256"])", claims()),
       "malformed token: header is not a JSON object"},
      {"header empty", "." + p.payload + "." + p.signature,
       "malformed token: header is not a JSON object"},
      {"payload not JSON", sign(kHs256Header, "{\"iss\":"),
       "malformed token: payload is not a JSON object"},
      {"payload a JSON string", sign(kHs256Header, R"("key-1")"),
       "malformed token: payload is not a JSON object"},
      {"payload with invalid UTF-8", sign(kHs256Header, "{\"iss\":\"key-1\",\"sub\":\"\xFF\"}"),
       "malformed token: payload is not a JSON object"},
      {"payload with trailing garbage", sign(kHs256Header, claims() + "x"),
       "malformed token: payload is not a JSON object"},
      {"payload number overflow", sign(kHs256Header, R"({"iss":"key-1","exp":1e999})"),
       "malformed token: payload is not a JSON object"},
      // Claims, validly signed.
      {"no iss", token({{"iss", nullptr}}), "missing claim 'iss'"},
      {"no exp", token({{"exp", nullptr}}), "missing claim 'exp'"},
      {"no stream", token({{"stream", nullptr}}), "missing claim 'stream'"},
      {"no permissions", token({{"permissions", nullptr}}), "missing claim 'permissions'"},
      {"iss a number", token({{"iss", 1}}), "claim 'iss' must be a string"},
      {"iss empty", token({{"iss", ""}}), "claim 'iss' must not be empty"},
      {"exp a string", token({{"exp", "4102444800"}}), "claim 'exp' must be an integer"},
      {"exp a fraction", token({{"exp", 4102444800.5}}), "claim 'exp' must be an integer"},
      {"exp true", token({{"exp", true}}), "claim 'exp' must be an integer"},
      {"exp beyond int64", token({{"exp", UINT64_MAX}}), "claim 'exp' is out of range"},
      {"nbf a string", token({{"nbf", "now"}}), "claim 'nbf' must be an integer"},
      {"nbf beyond int64", token({{"nbf", uint64_t{1} << 63}}), "claim 'nbf' is out of range"},
      {"aud present", token({{"aud", "x"}}), "claim 'aud' is not supported"},
      {"sub a number", token({{"sub", 7}}), "claim 'sub' must be a string"},
      {"stream a number", token({{"stream", 7}}), "claim 'stream' must be a string"},
      {"stream empty", token({{"stream", ""}}), "claim 'stream' must not be empty"},
      {"permissions a string", token({{"permissions", "publish"}}),
       "claim 'permissions' must be an array"},
      {"permissions an object", token({{"permissions", {{"publish", true}}}}),
       "claim 'permissions' must be an array"},
      {"permissions empty", token({{"permissions", Json::array()}}),
       "claim 'permissions' must not be empty"},
      {"permission a number", token({{"permissions", {1}}}),
       "claim 'permissions' must hold strings"},
      {"unknown permission", token({{"permissions", {"publish", "admin"}}}),
       "unknown permission 'admin'"},
      {"permission in upper case", token({{"permissions", {"PUBLISH"}}}),
       "unknown permission 'PUBLISH'"},
      // Size and shape.
      {"one byte too long", tokenOfSize(kMaxAccessTokenSize + 1),
       "malformed token: longer than 4096 bytes"},
      {"empty", "", "malformed token: expected 3 dot-separated parts, found 1"},
      {"one part", p.header, "malformed token: expected 3 dot-separated parts, found 1"},
      {"two parts", body, "malformed token: expected 3 dot-separated parts, found 2"},
      {"four parts", good + ".", "malformed token: expected 3 dot-separated parts, found 4"},
      {"four parts, signature last", body + ".x." + p.signature,
       "malformed token: expected 3 dot-separated parts, found 4"},
      {"five parts (JWE)", good + ".a.b",
       "malformed token: expected 3 dot-separated parts, found 5"},
      {"only dots", "..", "malformed token: header is not a JSON object"},
  };
}

TEST(AccessTokenTest, RefusesBadTokensWithTheirReason) {
  for (const auto& c : errorCases()) {
    SCOPED_TRACE(c.name);
    auto result = verifyAccessToken(c.token, kKeys, kNow);
    ASSERT_FALSE(result.ok()) << "accepted: " << c.token;
    EXPECT_EQ(result.error(), c.error);
  }
}

TEST(AccessTokenTest, SizeLimitIsInclusive) {
  const std::string atLimit = tokenOfSize(kMaxAccessTokenSize);
  ASSERT_EQ(atLimit.size(), kMaxAccessTokenSize);
  auto result = verifyAccessToken(atLimit, kKeys, kNow);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_GT(result->subject.size(), 2900u);
  EXPECT_EQ(result->subject.find_first_not_of('x'), std::string::npos);
}

TEST(AccessTokenTest, ClockExtremesGetExactAnswers) {
  struct Case {
    const char* name;
    Json claims;
    int64_t now;
    const char* error;  // nullptr: accepted
  };
  constexpr int64_t kL = kAccessTokenLeewaySeconds;
  const Case cases[] = {
      {"far exp, earliest clock", {{"exp", INT64_MAX}}, INT64_MIN, nullptr},
      {"far exp, latest clock", {{"exp", INT64_MAX}}, INT64_MAX, nullptr},
      {"exp at latest clock minus leeway", {{"exp", INT64_MAX - kL}}, INT64_MAX, "token expired"},
      {"earliest exp, earliest clock", {{"exp", INT64_MIN}}, INT64_MIN, nullptr},
      {"earliest exp, clock past leeway", {{"exp", INT64_MIN}}, INT64_MIN + kL, "token expired"},
      {"latest nbf, now", {{"nbf", INT64_MAX}}, kNow, "token not yet valid"},
      {"latest nbf within leeway",
       {{"exp", INT64_MAX}, {"nbf", INT64_MAX}},
       INT64_MAX - kL,
       nullptr},
      {"latest nbf past leeway",
       {{"exp", INT64_MAX}, {"nbf", INT64_MAX}},
       INT64_MAX - kL - 1,
       "token not yet valid"},
      {"earliest nbf, earliest clock",
       {{"exp", INT64_MAX}, {"nbf", INT64_MIN}},
       INT64_MIN,
       nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto result = verifyAccessToken(token(c.claims), kKeys, c.now);
    if (c.error == nullptr) {
      EXPECT_TRUE(result.ok()) << result.error();
    } else {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error(), c.error);
    }
  }
}

TEST(AccessTokenTest, NoKeysConfiguredRefusesEverything) {
  EXPECT_EQ(verifyAccessToken(token(), {}, kNow).error(), "unknown key 'key-1'");
}

// RFC 7515 appendix A.1: an HS256 JWS with a 64-byte binary key. It carries none of our claims,
// so verification passes the signature and stops at the first claim we require.
TEST(AccessTokenTest, Rfc7515AppendixA1SignatureVerifies) {
  const std::string jws =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
      "cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const std::string key = unb64url(
      "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  ASSERT_EQ(key.size(), 64u);
  EXPECT_EQ(verifyAccessToken(jws, {{"joe", key}}, 1300819380 - 100).error(),
            "missing claim 'stream'");
  std::string wrongKey = key;
  wrongKey[63] = static_cast<char>(wrongKey[63] ^ 1);
  EXPECT_EQ(verifyAccessToken(jws, {{"joe", wrongKey}}, 1300819380 - 100).error(), "bad signature");
}

// --- Tokens made by PyJWT -----------------------------------------------------------------------

TEST(AccessTokenTest, PyJwtTokensGetTheirExpectedVerdict) {
  const Json doc = readJson(fixtureDir() / "pyjwt_tokens.json");
  ASSERT_TRUE(doc.is_object()) << "cannot read " << fixtureDir() / "pyjwt_tokens.json";
  const int64_t now = doc.at("now").get<int64_t>();
  const auto keys = doc.at("keys").get<std::map<std::string, std::string>>();
  size_t accepted = 0, refused = 0;
  for (const Json& c : doc.at("cases")) {
    const auto name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    auto result = verifyAccessToken(c.at("token").get<std::string>(), keys, now);
    if (c.contains("expect")) {
      const Json& e = c.at("expect");
      ASSERT_TRUE(result.ok()) << result.error();
      EXPECT_EQ(result->apiKey, e.at("apiKey").get<std::string>());
      EXPECT_EQ(result->stream, e.at("stream").get<std::string>());
      EXPECT_EQ(result->subject, e.at("subject").get<std::string>());
      EXPECT_EQ(result->publish, e.at("publish").get<bool>());
      EXPECT_EQ(result->subscribe, e.at("subscribe").get<bool>());
      EXPECT_EQ(result->expiresAt, e.at("expiresAt").get<int64_t>());
      ++accepted;
    } else {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error(), c.at("error").get<std::string>());
      ++refused;
    }
  }
  EXPECT_GE(accepted, 10u);
  EXPECT_GE(refused, 20u);
}

// --- Minting -------------------------------------------------------------------------------------

struct MintCase {
  const char* name;
  AccessGrant grant;
  std::string secret;
};

std::vector<MintCase> mintCases() {
  return {
      {"publish", grant("cam1", true, false), kSecret},
      {"subscribe any stream", grant("*", false, true, "viewer-7"), kSecret},
      {"both, non-ASCII subject and secret",
       grant("studio.main_2", true, true, "Zo\xC3\xAB \xF0\x9F\x8E\xA5", kFar, "utf8-key"),
       "s\xC3\xA9"
       "cret-\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-0123456789"},
      {"expired", grant("cam1", true, false, "", 1700000000), kSecret},
  };
}

TEST(AccessTokenTest, MintedTokensRoundTrip) {
  for (const auto& c : mintCases()) {
    SCOPED_TRACE(c.name);
    const std::string t = mintAccessToken(c.grant, c.secret);
    const Parts p = split(t);
    EXPECT_EQ(p.header, kHs256HeaderB64);
    // Checked with OpenSSL's HMAC and base64, not ours.
    EXPECT_EQ(p.signature, b64url(hmac(EVP_sha256(), c.secret, p.header + "." + p.payload)));
    const Json claimsJson = Json::parse(unb64url(p.payload), nullptr, false);
    Json expected = {{"iss", c.grant.apiKey},
                     {"exp", c.grant.expiresAt},
                     {"stream", c.grant.stream},
                     {"permissions", Json::array()}};
    if (c.grant.publish) expected["permissions"].push_back("publish");
    if (c.grant.subscribe) expected["permissions"].push_back("subscribe");
    if (!c.grant.subject.empty()) expected["sub"] = c.grant.subject;
    EXPECT_EQ(claimsJson, expected);

    const std::map<std::string, std::string> keys = {{c.grant.apiKey, c.secret}};
    auto result = verifyAccessToken(t, keys, c.grant.expiresAt - 1);
    ASSERT_TRUE(result.ok()) << result.error();
    EXPECT_EQ(result->apiKey, c.grant.apiKey);
    EXPECT_EQ(result->stream, c.grant.stream);
    EXPECT_EQ(result->subject, c.grant.subject);
    EXPECT_EQ(result->publish, c.grant.publish);
    EXPECT_EQ(result->subscribe, c.grant.subscribe);
    EXPECT_EQ(result->expiresAt, c.grant.expiresAt);
    EXPECT_EQ(verifyAccessToken(t, keys, c.grant.expiresAt + kAccessTokenLeewaySeconds).error(),
              "token expired");
    EXPECT_EQ(
        verifyAccessToken(t, {{c.grant.apiKey, c.secret + "!"}}, c.grant.expiresAt - 1).error(),
        "bad signature");
  }
}

TEST(AccessTokenTest, MintWithoutPermissionsIsRefusedOnVerify) {
  const std::string t = mintAccessToken(grant("cam1", false, false), kSecret);
  EXPECT_EQ(verifyAccessToken(t, kKeys, kNow).error(), "claim 'permissions' must not be empty");
}

TEST(AccessTokenTest, MintReplacesInvalidUtf8) {
  const std::string t = mintAccessToken(grant("cam\xFF", true, false, "\xC3"), kSecret);
  auto result = verifyAccessToken(t, kKeys, kNow);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->stream, "cam\xEF\xBF\xBD");
  EXPECT_EQ(result->subject, "\xEF\xBF\xBD");
}

// switchyard_tokens.json holds the tokens of mintCases() as minted when PyJWT checked them
// (make_tokens.py). Minting must still give the same bytes, or the check must be redone:
//   SWITCHYARD_WRITE_TOKEN_FIXTURES=1 access_token_test --gtest_filter='*PyJwtCheckedOur*'
//   /usr/bin/python3 tests/fixtures/tokens/make_tokens.py
TEST(AccessTokenTest, PyJwtCheckedOurTokensAndMintingStillMatchesThem) {
  Json doc = {{"generator",
               "tests/AccessTokenTest.cpp (mintAccessToken), checked by "
               "tests/fixtures/tokens/make_tokens.py (PyJWT)"},
              {"cases", Json::array()}};
  for (const auto& c : mintCases()) {
    doc["cases"].push_back({{"name", c.name},
                            {"secret", c.secret},
                            {"expired", c.grant.expiresAt < kNow},
                            {"grant",
                             {{"apiKey", c.grant.apiKey},
                              {"stream", c.grant.stream},
                              {"subject", c.grant.subject},
                              {"publish", c.grant.publish},
                              {"subscribe", c.grant.subscribe},
                              {"expiresAt", c.grant.expiresAt}}},
                            {"token", mintAccessToken(c.grant, c.secret)}});
  }
  const auto path = fixtureDir() / "switchyard_tokens.json";
  if (std::getenv("SWITCHYARD_WRITE_TOKEN_FIXTURES") != nullptr) {
    std::ofstream(path) << doc.dump(1) << "\n";
  }
  EXPECT_EQ(readJson(path), doc) << path << " is stale: regenerate it and rerun make_tokens.py";
}

// --- Grants ------------------------------------------------------------------------------------

TEST(AccessTokenTest, AllowsMatchesStreamAndPermission) {
  struct Case {
    AccessGrant grant;
    const char* stream;
    bool publish;
    bool allowed;
  };
  const Case cases[] = {
      {grant("cam1", true, false), "cam1", true, true},
      {grant("cam1", true, false), "cam1", false, false},
      {grant("cam1", true, false), "cam2", true, false},
      {grant("cam1", true, false), "Cam1", true, false},
      {grant("cam1", true, false), "cam1x", true, false},
      {grant("cam1", false, true), "cam1", false, true},
      {grant("cam1", false, true), "cam1", true, false},
      {grant("cam1", true, true), "cam1", true, true},
      {grant("cam1", true, true), "cam1", false, true},
      {grant("*", true, false), "anything", true, true},
      {grant("*", true, false), "anything", false, false},
      {grant("*", false, true), "x", false, true},
      {grant("*", false, false), "x", false, false},
      {grant("cam*", true, true), "cam1", true, false},  // no patterns, only "*" alone
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.grant.stream) + " -> " + c.stream);
    EXPECT_EQ(c.grant.allows(c.stream, c.publish), c.allowed);
  }
}

// --- Command line ------------------------------------------------------------------------------

struct CommandRun {
  int code;
  std::string out, err;
};

CommandRun runCommand(std::vector<std::string> args) {
  args.insert(args.begin(), "token");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::ostringstream out, err;
  const int code = runTokenCommand(static_cast<int>(args.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

TEST(AccessTokenTest, CommandPrintsAVerifiableToken) {
  const int64_t before = static_cast<int64_t>(std::time(nullptr));
  auto run = runCommand({"--key", kKey, "--secret", kSecret, "--stream", "cam1", "--subscribe",
                         "--ttl", "600", "--sub=bob"});
  const int64_t after = static_cast<int64_t>(std::time(nullptr));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  ASSERT_FALSE(run.out.empty());
  EXPECT_EQ(run.out.back(), '\n');
  auto result = verifyAccessToken(run.out.substr(0, run.out.size() - 1), kKeys, after);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->apiKey, kKey);
  EXPECT_EQ(result->stream, "cam1");
  EXPECT_EQ(result->subject, "bob");
  EXPECT_FALSE(result->publish);
  EXPECT_TRUE(result->subscribe);
  EXPECT_GE(result->expiresAt, before + 600);
  EXPECT_LE(result->expiresAt, after + 600);
}

TEST(AccessTokenTest, CommandDefaultsToOneHour) {
  const int64_t before = static_cast<int64_t>(std::time(nullptr));
  auto run = runCommand({"--key=key-2", "--secret=another-secret-0123456789", "--stream=*",
                         "--publish", "--subscribe"});
  const int64_t after = static_cast<int64_t>(std::time(nullptr));
  ASSERT_EQ(run.code, 0) << run.err;
  auto result = verifyAccessToken(run.out.substr(0, run.out.size() - 1), kKeys, after);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->apiKey, "key-2");
  EXPECT_EQ(result->stream, "*");
  EXPECT_TRUE(result->publish && result->subscribe);
  EXPECT_EQ(result->subject, "");
  EXPECT_GE(result->expiresAt, before + 3600);
  EXPECT_LE(result->expiresAt, after + 3600);
}

TEST(AccessTokenTest, CommandHelp) {
  auto run = runCommand({"--help"});
  EXPECT_EQ(run.code, 0);
  EXPECT_NE(run.out.find("usage: switchyard token"), std::string::npos);
  EXPECT_EQ(run.err, "");
}

TEST(AccessTokenTest, CommandUsageErrors) {
  const std::vector<std::string> base = {"--key", "k", "--secret", kSecret, "--stream", "s"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  struct Case {
    const char* name;
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {"nothing", {}, "--key is required"},
      {"no permission", base, "give --publish, --subscribe or both"},
      {"no key", {"--secret", kSecret, "--stream", "s", "--publish"}, "--key is required"},
      {"empty key",
       {"--key=", "--secret", kSecret, "--stream", "s", "--publish"},
       "--key is required"},
      {"no secret", {"--key", "k", "--stream", "s", "--publish"}, "--secret is required"},
      {"short secret",
       {"--key", "k", "--secret", "short", "--stream", "s", "--publish"},
       "--secret needs 16+ characters"},
      {"no stream", {"--key", "k", "--secret", kSecret, "--publish"}, "--stream is required"},
      {"ttl zero", with({"--publish", "--ttl", "0"}), "--ttl: '0' is not a number of seconds"},
      {"ttl negative", with({"--publish", "--ttl", "-5"}), "--ttl: '-5' is not a number"},
      {"ttl not a number", with({"--publish", "--ttl", "1h"}), "--ttl: '1h' is not a number"},
      {"ttl too long", with({"--publish", "--ttl", "315360001"}), "is not a number of seconds"},
      {"ttl overflows", with({"--publish", "--ttl", "99999999999999999999"}), "is not a number"},
      {"missing value", with({"--publish", "--sub"}), "option '--sub' needs a value"},
      {"unknown option", with({"--publish", "--admin"}), "unknown option '--admin'"},
      {"positional argument", with({"--publish", "extra"}), "unknown option 'extra'"},
      {"flag with value", with({"--publish=yes"}), "option '--publish' takes no value"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto run = runCommand(c.args);
    EXPECT_EQ(run.code, 64);
    EXPECT_EQ(run.out, "");
    EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
  }
}

}  // namespace
}  // namespace switchyard::control
