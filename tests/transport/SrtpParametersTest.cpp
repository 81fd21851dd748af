// SrtpParameters: SRTP master key + salt carried as base64 (RFC 4648 section 4) over the control
// channel. Known vectors (RFC 4648 section 10 style, and one per alphabet half), round trips for
// both profiles, and every way text can fail to be exactly one key of the profile's length.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/Hex.hpp"
#include "transport/SrtpParameters.hpp"

namespace {

using switchyard::test::hex;
using switchyard::transport::SrtpParameters;
using switchyard::transport::SrtpProfile;
using Bytes = std::vector<uint8_t>;

constexpr std::array kProfiles = {SrtpProfile::kAes128CmHmacSha1_80, SrtpProfile::kAeadAes128Gcm};
// Master key + salt: AES-CM 16 + 14 (RFC 3711 section 8.2), GCM 16 + 12 (RFC 7714 section 12).
constexpr size_t kAesCmKeySaltSize = 30;
constexpr size_t kGcmKeySaltSize = 28;
// Padded base64 of 28 or 30 bytes: 10 groups of 4 characters (RFC 4648 section 4).
constexpr size_t kTextSize = 40;
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t keySaltSize(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? kGcmKeySaltSize : kAesCmKeySaltSize;
}

const char* name(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

Bytes bytesOf(const SrtpParameters& p) {
  return Bytes(p.keyAndSalt().begin(), p.keyAndSalt().end());
}

Bytes bytesOf(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

std::string repeat(std::string_view s, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i)
    out += s;
  return out;
}

// A valid text of the profile (from a fresh key), to corrupt one way or another.
std::string validText(SrtpProfile profile) {
  auto key = SrtpParameters::generate(profile);
  EXPECT_TRUE(key.has_value());
  return key ? key->toBase64() : std::string(kTextSize, 'A');
}

TEST(SrtpParametersTest, RoundTripsBothProfiles) {
  for (auto profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    for (int i = 0; i < 50; ++i) {
      auto key = SrtpParameters::generate(profile);
      ASSERT_TRUE(key.has_value());
      EXPECT_EQ(key->profile(), profile);
      ASSERT_EQ(key->keyAndSalt().size(), keySaltSize(profile));
      const std::string text = key->toBase64();
      ASSERT_EQ(text.size(), kTextSize) << text;
      // 30 bytes are 10 whole groups; 28 leave one byte for the last group, padded with "==".
      if (profile == SrtpProfile::kAeadAes128Gcm) {
        EXPECT_EQ(text.substr(38), "==") << text;
        EXPECT_EQ(text.find('='), 38u) << text;
      } else {
        EXPECT_EQ(text.find('='), std::string::npos) << text;
      }
      for (char c : text)
        EXPECT_TRUE(c == '=' || kAlphabet.find(c) != std::string_view::npos) << text;
      auto back = SrtpParameters::fromBase64(profile, text);
      ASSERT_TRUE(back.has_value()) << text;
      EXPECT_EQ(back->profile(), profile);
      EXPECT_EQ(bytesOf(*back), bytesOf(*key));
      EXPECT_EQ(back->toBase64(), text);
    }
  }
}

// RFC 4648 section 10's vectors, lengthened to key size: "foobar" is "Zm9vYmFy" and "foob" is
// "Zm9vYg==".
TEST(SrtpParametersTest, MatchesTheRfc4648Vectors) {
  const std::string aesCmText = repeat("Zm9vYmFy", 5);
  auto aesCm = SrtpParameters::fromBase64(SrtpProfile::kAes128CmHmacSha1_80, aesCmText);
  ASSERT_TRUE(aesCm.has_value());
  EXPECT_EQ(bytesOf(*aesCm), bytesOf(repeat("foobar", 5)));
  EXPECT_EQ(aesCm->toBase64(), aesCmText);

  const std::string gcmText = repeat("Zm9vYmFy", 4) + "Zm9vYg==";
  auto gcm = SrtpParameters::fromBase64(SrtpProfile::kAeadAes128Gcm, gcmText);
  ASSERT_TRUE(gcm.has_value());
  EXPECT_EQ(bytesOf(*gcm), bytesOf(repeat("foobar", 4) + "foob"));
  EXPECT_EQ(gcm->toBase64(), gcmText);
}

// Every character of the alphabet, each at its value (RFC 4648 section 4, table 1).
TEST(SrtpParametersTest, DecodesTheWholeAlphabet) {
  const std::string first = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn";
  auto a = SrtpParameters::fromBase64(SrtpProfile::kAes128CmHmacSha1_80, first);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(bytesOf(*a), hex("00 10 83 10 51 87 20 92 8b 30 d3 8f 41 14 93 51 "
                             "55 97 61 96 9b 71 d7 9f 82 18 a3 92 59 a7"));
  EXPECT_EQ(a->toBase64(), first);

  const std::string second = "opqrstuvwxyz0123456789+/AAAAAAAAAAAAAA==";
  auto b = SrtpParameters::fromBase64(SrtpProfile::kAeadAes128Gcm, second);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(bytesOf(*b), hex("a2 9a ab b2 db af c3 1c b3 d3 5d b7 e3 9e bb f3 "
                             "df bf 00 00 00 00 00 00 00 00 00 00"));
  EXPECT_EQ(b->toBase64(), second);
}

TEST(SrtpParametersTest, RefusesTheWrongLength) {
  for (auto profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const std::string text = validText(profile);
    EXPECT_FALSE(SrtpParameters::fromBase64(profile, ""));
    EXPECT_FALSE(SrtpParameters::fromBase64(profile, text.substr(0, 36)));  // 27 bytes
    EXPECT_FALSE(SrtpParameters::fromBase64(profile, text + "AAAA"));       // 33 bytes
    EXPECT_FALSE(SrtpParameters::fromBase64(profile, text + "A"));
    EXPECT_FALSE(SrtpParameters::fromBase64(profile, text.substr(0, 39)));
  }
  // The same 40 characters never fit both: 30 bytes have no padding, 28 need "==".
  EXPECT_FALSE(SrtpParameters::fromBase64(SrtpProfile::kAeadAes128Gcm,
                                          validText(SrtpProfile::kAes128CmHmacSha1_80)));
  EXPECT_FALSE(SrtpParameters::fromBase64(SrtpProfile::kAes128CmHmacSha1_80,
                                          validText(SrtpProfile::kAeadAes128Gcm)));
  // 28 bytes as 29: the last group decoding to two bytes ("xyz=") is one byte too many.
  std::string gcm29 = validText(SrtpProfile::kAeadAes128Gcm);
  gcm29[38] = 'A';
  EXPECT_FALSE(SrtpParameters::fromBase64(SrtpProfile::kAeadAes128Gcm, gcm29));
}

TEST(SrtpParametersTest, RefusesCharactersOutsideTheAlphabet) {
  for (auto profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const std::string text = validText(profile);
    // base64url's two characters (RFC 4648 section 5), punctuation, a NUL, a non-ASCII byte.
    for (char bad : {'-', '_', '*', '.', '!', '\0', static_cast<char>(0xC3)}) {
      for (size_t at : {size_t{0}, size_t{17}, size_t{37}}) {
        std::string corrupt = text;
        corrupt[at] = bad;
        EXPECT_FALSE(SrtpParameters::fromBase64(profile, corrupt))
            << "character " << static_cast<int>(static_cast<unsigned char>(bad)) << " at " << at;
      }
    }
  }
}

TEST(SrtpParametersTest, RefusesMisplacedOrMissingPadding) {
  const std::string gcm = validText(SrtpProfile::kAeadAes128Gcm);
  const std::string aesCm = validText(SrtpProfile::kAes128CmHmacSha1_80);
  auto refused = [](SrtpProfile profile, std::string text) {
    return !SrtpParameters::fromBase64(profile, text).has_value();
  };
  // GCM: the two '=' dropped (38 characters), one of them replaced, or moved earlier.
  EXPECT_TRUE(refused(SrtpProfile::kAeadAes128Gcm, gcm.substr(0, 38)));
  EXPECT_TRUE(refused(SrtpProfile::kAeadAes128Gcm, gcm.substr(0, 39)));
  EXPECT_TRUE(refused(SrtpProfile::kAeadAes128Gcm, gcm.substr(0, 38) + "A="));
  EXPECT_TRUE(refused(SrtpProfile::kAeadAes128Gcm, gcm.substr(0, 38) + "=A"));
  EXPECT_TRUE(refused(SrtpProfile::kAeadAes128Gcm, gcm.substr(0, 37) + "==="));
  EXPECT_TRUE(refused(SrtpProfile::kAeadAes128Gcm, "==" + gcm.substr(0, 38)));
  std::string middle = gcm;
  middle[20] = '=';
  EXPECT_TRUE(refused(SrtpProfile::kAeadAes128Gcm, middle));
  // AES-CM needs none: any '=' is misplaced, at the end or inside.
  for (size_t at : {size_t{0}, size_t{3}, size_t{21}, size_t{38}, size_t{39}}) {
    std::string padded = aesCm;
    padded[at] = '=';
    EXPECT_TRUE(refused(SrtpProfile::kAes128CmHmacSha1_80, padded)) << at;
  }
  std::string twoPads = aesCm;
  twoPads[38] = twoPads[39] = '=';
  EXPECT_TRUE(refused(SrtpProfile::kAes128CmHmacSha1_80, twoPads));
}

TEST(SrtpParametersTest, RefusesWhitespace) {
  for (auto profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const std::string text = validText(profile);
    for (char ws : {' ', '\t', '\n', '\r'}) {
      // Added around the text, or in place of a character (keeping the length right).
      EXPECT_FALSE(SrtpParameters::fromBase64(profile, std::string(1, ws) + text));
      EXPECT_FALSE(SrtpParameters::fromBase64(profile, text + ws));
      for (size_t at : {size_t{0}, size_t{20}, size_t{36}, size_t{39}}) {
        std::string spaced = text;
        spaced[at] = ws;
        EXPECT_FALSE(SrtpParameters::fromBase64(profile, spaced))
            << "whitespace " << static_cast<int>(ws) << " at " << at;
      }
      // A line break inside, as a MIME encoder (RFC 2045) would put one.
      EXPECT_FALSE(SrtpParameters::fromBase64(profile, text.substr(0, 20) + ws + text.substr(20)));
    }
  }
}

// 28 bytes leave 4 unused bits in the last character before "=="; RFC 4648 section 3.5 lets a
// decoder refuse them when not zero, and the parser promises one text per key.
TEST(SrtpParametersTest, RefusesNonZeroPadBits) {
  const std::string text = validText(SrtpProfile::kAeadAes128Gcm);
  const size_t value = kAlphabet.find(text[37]);
  ASSERT_NE(value, std::string_view::npos);
  ASSERT_EQ(value & 0x0F, 0u) << "toBase64 wrote non-zero pad bits: " << text;
  for (size_t bits = 1; bits <= 0x0F; ++bits) {
    std::string other = text;
    other[37] = kAlphabet[value | bits];
    EXPECT_FALSE(SrtpParameters::fromBase64(SrtpProfile::kAeadAes128Gcm, other)) << other;
  }
}

TEST(SrtpParametersTest, GeneratesDifferentKeys) {
  for (auto profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    std::vector<Bytes> keys;
    for (int i = 0; i < 20; ++i) {
      auto key = SrtpParameters::generate(profile);
      ASSERT_TRUE(key.has_value());
      keys.push_back(bytesOf(*key));
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      EXPECT_NE(keys[i], Bytes(keys[i].size(), 0));
      for (size_t j = i + 1; j < keys.size(); ++j)
        EXPECT_NE(keys[i], keys[j]) << i << " and " << j;
    }
  }
}

TEST(SrtpParametersTest, CopiesKeepTheKey) {
  auto key = SrtpParameters::generate(SrtpProfile::kAeadAes128Gcm);
  ASSERT_TRUE(key.has_value());
  const SrtpParameters copy = *key;
  EXPECT_EQ(copy.profile(), SrtpProfile::kAeadAes128Gcm);
  EXPECT_EQ(bytesOf(copy), bytesOf(*key));
  EXPECT_EQ(copy.toBase64(), key->toBase64());
}

}  // namespace
