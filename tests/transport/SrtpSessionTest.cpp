#include <gtest/gtest.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/Fixtures.hpp"
#include "tests/support/Hex.hpp"
#include "transport/SrtpSession.hpp"

// libsrtp2 exports its cipher types but declares them only in private headers. On Debian 12 these
// are the NSS-backed implementations SrtpSession ends up calling.
extern "C" const srtp_cipher_type_t srtp_aes_gcm_128;
extern "C" const srtp_cipher_type_t srtp_aes_icm_128;

namespace {

using switchyard::test::hex;
using switchyard::test::loadFixture;
using switchyard::transport::SrtpError;
using switchyard::transport::srtpKeyLengths;
using switchyard::transport::SrtpProfile;
using switchyard::transport::SrtpSession;
using Bytes = std::vector<uint8_t>;
using Direction = SrtpSession::Direction;

constexpr std::array kProfiles = {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80};
constexpr size_t kRtpHeaderSize = 12;
constexpr size_t kVideoDatagramSize = 1200;  // a typical WebRTC video packet on the wire

std::string profileName(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

// master key + salt of the profile's length, distinct per seed.
Bytes keyFor(SrtpProfile profile, uint8_t seed) {
  const auto lengths = srtpKeyLengths(profile);
  Bytes key(lengths.masterKey + lengths.masterSalt);
  for (size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<uint8_t>(seed * 31 + i * 7 + 1);
  return key;
}

std::unique_ptr<SrtpSession> session(Direction direction, SrtpProfile profile, const Bytes& key) {
  auto created = SrtpSession::create(direction, profile, key);
  EXPECT_TRUE(created.ok()) << "create failed: "
                            << switchyard::transport::srtpErrorName(created.ok() ? SrtpError::kOther
                                                                                 : created.error());
  return created.ok() ? std::move(*created) : nullptr;
}

Bytes rtpPacket(uint16_t seq, uint32_t ssrc, size_t payloadSize) {
  Bytes p = {0x80,
             96,
             static_cast<uint8_t>(seq >> 8),
             static_cast<uint8_t>(seq),
             0,
             0,
             0x10,
             0,
             static_cast<uint8_t>(ssrc >> 24),
             static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),
             static_cast<uint8_t>(ssrc)};
  for (size_t i = 0; i < payloadSize; ++i)
    p.push_back(static_cast<uint8_t>(i * 13 + seq));
  return p;
}

// An RTCP receiver report with `blocks` report blocks (RFC 3550 section 6.4.2).
Bytes rtcpPacket(uint32_t ssrc, size_t blocks) {
  const size_t words = 1 + blocks * 6;
  Bytes p = {static_cast<uint8_t>(0x80 | blocks), 201,
             static_cast<uint8_t>(words >> 8),    static_cast<uint8_t>(words),
             static_cast<uint8_t>(ssrc >> 24),    static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),     static_cast<uint8_t>(ssrc)};
  for (size_t i = 0; i < blocks * 24; ++i)
    p.push_back(static_cast<uint8_t>(i * 5 + 1));
  return p;
}

// Protects into a buffer with exactly the trailer's room, so that ASan catches a write past it.
Bytes protect(SrtpSession& s, const Bytes& plain, bool rtcp) {
  Bytes buffer(plain);
  buffer.resize(plain.size() + (rtcp ? s.rtcpTrailerSize() : s.rtpTrailerSize()));
  auto result = rtcp ? s.protectRtcp(buffer, plain.size()) : s.protectRtp(buffer, plain.size());
  EXPECT_TRUE(result.ok()) << switchyard::transport::srtpErrorName(result.error());
  if (!result.ok()) return {};
  EXPECT_EQ(*result, buffer.size());
  return buffer;
}
Bytes protectRtp(SrtpSession& s, const Bytes& plain) {
  return protect(s, plain, false);
}
Bytes protectRtcp(SrtpSession& s, const Bytes& plain) {
  return protect(s, plain, true);
}

// Unprotects a copy; returns the plaintext or the error.
switchyard::transport::SrtpResult<Bytes> unprotect(SrtpSession& s, Bytes packet, bool rtcp) {
  auto result = rtcp ? s.unprotectRtcp(packet) : s.unprotectRtp(packet);
  if (!result.ok()) return result.error();
  packet.resize(*result);
  return packet;
}
auto unprotectRtp(SrtpSession& s, const Bytes& p) {
  return unprotect(s, p, false);
}
auto unprotectRtcp(SrtpSession& s, const Bytes& p) {
  return unprotect(s, p, true);
}

std::map<std::string, Bytes> fixtureByName(const std::string& path) {
  std::map<std::string, Bytes> out;
  for (auto& p : loadFixture(path))
    out[p.name] = p.bytes;
  return out;
}

bool contains(const Bytes& haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

class SrtpSessionProfileTest : public ::testing::TestWithParam<SrtpProfile> {};

std::string paramName(const ::testing::TestParamInfo<SrtpProfile>& param) {
  return profileName(param.param);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpSessionProfileTest, ::testing::ValuesIn(kProfiles),
                         paramName);

// --- creation -----------------------------------------------------------------------------

TEST(SrtpSessionTest, TrailerSizesAreTheProfilesTagsPlusTheSrtcpIndex) {
  EXPECT_EQ(SrtpSession::rtpTrailerSize(SrtpProfile::kAeadAes128Gcm), 16u);
  EXPECT_EQ(SrtpSession::rtcpTrailerSize(SrtpProfile::kAeadAes128Gcm), 20u);
  EXPECT_EQ(SrtpSession::rtpTrailerSize(SrtpProfile::kAes128CmHmacSha1_80), 10u);
  EXPECT_EQ(SrtpSession::rtcpTrailerSize(SrtpProfile::kAes128CmHmacSha1_80), 14u);
  EXPECT_EQ(SrtpSession::kMaxTrailer, 20u);
}

TEST_P(SrtpSessionProfileTest, CreateAcceptsOnlyTheProfilesKeyPlusSaltLength) {
  const SrtpProfile profile = GetParam();
  const size_t length = keyFor(profile, 1).size();
  EXPECT_EQ(length, profile == SrtpProfile::kAeadAes128Gcm ? 28u : 30u);
  for (size_t bad : {size_t{0}, size_t{16}, length - 1, length + 1, size_t{46}}) {
    SCOPED_TRACE(bad);
    const Bytes key(bad, 0x42);
    for (auto direction : {Direction::kInbound, Direction::kOutbound}) {
      auto created = SrtpSession::create(direction, profile, key);
      ASSERT_FALSE(created.ok());
      EXPECT_EQ(created.error(), SrtpError::kBadLength);
    }
  }
  for (auto direction : {Direction::kInbound, Direction::kOutbound}) {
    auto created = SrtpSession::create(direction, profile, keyFor(profile, 1));
    ASSERT_TRUE(created.ok());
    EXPECT_EQ((*created)->direction(), direction);
    EXPECT_EQ((*created)->profile(), profile);
  }
}

TEST(SrtpSessionTest, ErrorNamesAreDistinct) {
  EXPECT_STREQ(switchyard::transport::srtpErrorName(SrtpError::kAuthFailed), "auth-failed");
  EXPECT_STREQ(switchyard::transport::srtpErrorName(SrtpError::kReplay), "replay");
  EXPECT_STREQ(switchyard::transport::srtpErrorName(SrtpError::kBadLength), "bad-length");
  EXPECT_STREQ(switchyard::transport::srtpErrorName(SrtpError::kOther), "other");
}

// --- published vectors --------------------------------------------------------------------

// Whole packets under a master key: libsrtp's reference packets, whose AES-CM master key is RFC
// 3711 B.3's and whose GCM bytes pion/srtp publishes too (tests/fixtures/srtp/README.md).
TEST(SrtpSessionTest, ReferenceVectorsProtectAndUnprotectByteForByte) {
  const auto v = fixtureByName("srtp/reference-vectors.hex");
  for (auto [prefix, profile] : {std::pair{"aes-cm-80", SrtpProfile::kAes128CmHmacSha1_80},
                                 std::pair{"aead-gcm", SrtpProfile::kAeadAes128Gcm}}) {
    SCOPED_TRACE(prefix);
    const std::string p = prefix;
    const Bytes& key = v.at(p + " master key+salt");
    auto out = session(Direction::kOutbound, profile, key);
    auto in = session(Direction::kInbound, profile, key);
    ASSERT_TRUE(out && in);
    EXPECT_EQ(protectRtp(*out, v.at(p + " rtp plain")), v.at(p + " rtp protected"));
    EXPECT_EQ(protectRtcp(*out, v.at(p + " rtcp plain")), v.at(p + " rtcp protected"));
    auto rtp = unprotectRtp(*in, v.at(p + " rtp protected"));
    ASSERT_TRUE(rtp.ok()) << switchyard::transport::srtpErrorName(rtp.error());
    EXPECT_EQ(*rtp, v.at(p + " rtp plain"));
    auto rtcp = unprotectRtcp(*in, v.at(p + " rtcp protected"));
    ASSERT_TRUE(rtcp.ok()) << switchyard::transport::srtpErrorName(rtcp.error());
    EXPECT_EQ(*rtcp, v.at(p + " rtcp plain"));
  }
}

// RFC 7714 sections 16.1.1 and 17.1.1 give session keys, which libsrtp's session API cannot
// take (it always derives them from a master key), so they go through the AES-GCM cipher that
// libsrtp uses, with the RFC's IV and the AAD of sections 8.2 and 9.2: this pins the NSS
// backend's GCM to the RFC.
struct CipherDeleter {
  void operator()(srtp_cipher_t* c) const { srtp_cipher_dealloc(c); }
};
using Cipher = std::unique_ptr<srtp_cipher_t, CipherDeleter>;

Cipher gcmCipher(const Bytes& sessionKey, const Bytes& salt) {
  srtp_cipher_t* c = nullptr;
  EXPECT_EQ(srtp_cipher_type_alloc(&srtp_aes_gcm_128, &c, 28, 16), srtp_err_status_ok);
  Cipher cipher(c);
  Bytes keyAndSalt = sessionKey;
  keyAndSalt.insert(keyAndSalt.end(), salt.begin(), salt.end());
  EXPECT_EQ(srtp_cipher_init(c, keyAndSalt.data()), srtp_err_status_ok);
  return cipher;
}

// Encrypts payload with aad under iv; returns ciphertext || tag.
Bytes gcmSeal(const Bytes& key, const Bytes& salt, Bytes iv, const Bytes& aad, Bytes payload) {
  auto c = gcmCipher(key, salt);
  EXPECT_EQ(srtp_cipher_set_iv(c.get(), iv.data(), srtp_direction_encrypt), srtp_err_status_ok);
  EXPECT_EQ(srtp_cipher_set_aad(c.get(), aad.data(), static_cast<uint32_t>(aad.size())),
            srtp_err_status_ok);
  uint32_t length = static_cast<uint32_t>(payload.size());
  payload.resize(payload.size() + 16);
  EXPECT_EQ(srtp_cipher_encrypt(c.get(), payload.data(), &length), srtp_err_status_ok);
  uint32_t tagLength = 16;
  EXPECT_EQ(srtp_cipher_get_tag(c.get(), payload.data() + length, &tagLength), srtp_err_status_ok);
  payload.resize(length + tagLength);
  return payload;
}

// Decrypts ciphertext || tag; returns the plaintext or the libsrtp status.
std::pair<srtp_err_status_t, Bytes> gcmOpen(const Bytes& key, const Bytes& salt, Bytes iv,
                                            const Bytes& aad, Bytes sealed) {
  auto c = gcmCipher(key, salt);
  EXPECT_EQ(srtp_cipher_set_iv(c.get(), iv.data(), srtp_direction_decrypt), srtp_err_status_ok);
  EXPECT_EQ(srtp_cipher_set_aad(c.get(), aad.data(), static_cast<uint32_t>(aad.size())),
            srtp_err_status_ok);
  uint32_t length = static_cast<uint32_t>(sealed.size());
  const auto status = srtp_cipher_decrypt(c.get(), sealed.data(), &length);
  sealed.resize(status == srtp_err_status_ok ? length : 0);
  return {status, sealed};
}

Bytes slice(const Bytes& b, size_t from, size_t to) {
  return Bytes(b.begin() + static_cast<ptrdiff_t>(from), b.begin() + static_cast<ptrdiff_t>(to));
}

TEST(SrtpSessionTest, Rfc7714Section16And17VectorsThroughLibsrtpsGcmCipher) {
  const auto v = fixtureByName("srtp/rfc7714-vectors.hex");
  const Bytes& key = v.at("session key");
  const Bytes& salt = v.at("session salt");

  // SRTP (section 16.1.1): AAD = the 12-byte header, then ciphertext || tag after it.
  const Bytes& rtp = v.at("rtp plain");
  const Bytes& srtp = v.at("rtp protected");
  const Bytes rtpAad = slice(rtp, 0, kRtpHeaderSize);
  EXPECT_EQ(gcmSeal(key, salt, v.at("rtp iv"), rtpAad, slice(rtp, kRtpHeaderSize, rtp.size())),
            slice(srtp, kRtpHeaderSize, srtp.size()));
  auto opened =
      gcmOpen(key, salt, v.at("rtp iv"), rtpAad, slice(srtp, kRtpHeaderSize, srtp.size()));
  EXPECT_EQ(opened.first, srtp_err_status_ok);
  EXPECT_EQ(opened.second, slice(rtp, kRtpHeaderSize, rtp.size()));
  // Section 16.1.2's point: a changed bit fails the tag, which libsrtp reports as auth_fail.
  Bytes tampered = slice(srtp, kRtpHeaderSize, srtp.size());
  tampered[3] ^= 0x01;
  EXPECT_EQ(gcmOpen(key, salt, v.at("rtp iv"), rtpAad, tampered).first, srtp_err_status_auth_fail);

  // SRTCP (section 17.1.1): AAD = first 8 octets + E flag and index; the wire packet is
  // header || ciphertext || tag || E+index.
  const Bytes& rtcp = v.at("rtcp plain");
  const Bytes& srtcp = v.at("rtcp protected");
  const Bytes trailer = slice(srtcp, srtcp.size() - 4, srtcp.size());
  EXPECT_EQ(trailer, hex("800005d4"));
  Bytes rtcpAad = slice(rtcp, 0, 8);
  rtcpAad.insert(rtcpAad.end(), trailer.begin(), trailer.end());
  EXPECT_EQ(gcmSeal(key, salt, v.at("rtcp iv"), rtcpAad, slice(rtcp, 8, rtcp.size())),
            slice(srtcp, 8, srtcp.size() - 4));
  opened = gcmOpen(key, salt, v.at("rtcp iv"), rtcpAad, slice(srtcp, 8, srtcp.size() - 4));
  EXPECT_EQ(opened.first, srtp_err_status_ok);
  EXPECT_EQ(opened.second, slice(rtcp, 8, rtcp.size()));
}

// RFC 3711 appendix B.2: the AES-CM keystream from a session key and salt (IV zero: the
// counter starts at salt * 2^16), through libsrtp's AES-ICM cipher.
TEST(SrtpSessionTest, Rfc3711AppendixB2KeystreamThroughLibsrtpsAesIcmCipher) {
  Bytes keyAndSalt = hex("2B7E151628AED2A6ABF7158809CF4F3C F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  srtp_cipher_t* raw = nullptr;
  ASSERT_EQ(srtp_cipher_type_alloc(&srtp_aes_icm_128, &raw, 30, 0), srtp_err_status_ok);
  Cipher c(raw);
  ASSERT_EQ(srtp_cipher_init(c.get(), keyAndSalt.data()), srtp_err_status_ok);
  uint8_t iv[16] = {};
  ASSERT_EQ(srtp_cipher_set_iv(c.get(), iv, srtp_direction_encrypt), srtp_err_status_ok);
  Bytes keystream(48, 0);
  uint32_t length = static_cast<uint32_t>(keystream.size());
  ASSERT_EQ(srtp_cipher_encrypt(c.get(), keystream.data(), &length), srtp_err_status_ok);
  EXPECT_EQ(keystream, hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB"
                           "41E95B3BB0A2E8DD477901E4FCA894C0"));
}

// --- independent implementations ----------------------------------------------------------

// FFmpeg's own SRTP code (not libsrtp): 24 packets from 23 to 1196 bytes across a sequence
// number wrap, and its SRTCP.
TEST(SrtpSessionTest, DecryptsAndReproducesFfmpegsSrtp) {
  const auto packets = loadFixture("srtp/ffmpeg-aes-cm-80.hex");
  const Bytes key = hex("0b0d1b0a3c4e5f60718293a4b5c6d7e8 f1e2d3c4b5a69788796a5b4c3d2e");
  auto in = session(Direction::kInbound, SrtpProfile::kAes128CmHmacSha1_80, key);
  auto out = session(Direction::kOutbound, SrtpProfile::kAes128CmHmacSha1_80, key);
  ASSERT_TRUE(in && out);
  size_t rtp = 0;
  std::vector<Bytes> rtcp;
  for (size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i];
    SCOPED_TRACE(p.name);
    if (p.name.starts_with("srtp ")) {
      ASSERT_LT(i + 1, packets.size());
      const Bytes& plain = packets[i + 1].bytes;
      auto decrypted = unprotectRtp(*in, p.bytes);
      ASSERT_TRUE(decrypted.ok()) << switchyard::transport::srtpErrorName(decrypted.error());
      EXPECT_EQ(*decrypted, plain);
      // Protecting the plaintext in the same order gives FFmpeg's bytes: same keys, same ROC.
      EXPECT_EQ(protectRtp(*out, plain), p.bytes);
      ++rtp;
    } else if (p.name.starts_with("srtcp ")) {
      auto decrypted = unprotectRtcp(*in, p.bytes);
      ASSERT_TRUE(decrypted.ok()) << switchyard::transport::srtpErrorName(decrypted.error());
      rtcp.push_back(*decrypted);
    }
  }
  EXPECT_EQ(rtp, 24u);
  ASSERT_EQ(rtcp.size(), 2u);
  for (const Bytes& r : rtcp) {
    EXPECT_EQ(r[1], 200);                                  // a sender report first
    EXPECT_EQ(slice(r, 4, 8), hex("12345678"));            // FFmpeg's SSRC
    EXPECT_TRUE(contains(r, "switchyard-fixture")) << "";  // SDES CNAME, decrypted
  }
  EXPECT_EQ(rtcp[1][rtcp[1].size() - 7], 203);  // BYE (send_bye) closes the last compound
}

// The second implementation written from the RFCs (srtp_reference.py on OpenSSL): two SSRCs,
// sequence wraps, CSRCs, header extensions (in the GCM AAD), padding, a 1200-byte datagram.
TEST(SrtpSessionTest, DecryptsAndReproducesTheReferenceImplementationsGcm) {
  const auto rows = loadFixture("srtp/reference-aead-aes-128-gcm.hex");
  ASSERT_EQ(rows.size() % 2, 1u);
  const Bytes& key = rows[0].bytes;
  auto in = session(Direction::kInbound, SrtpProfile::kAeadAes128Gcm, key);
  auto out = session(Direction::kOutbound, SrtpProfile::kAeadAes128Gcm, key);
  ASSERT_TRUE(in && out);
  bool sawVideoDatagram = false;
  for (size_t i = 1; i + 1 < rows.size(); i += 2) {
    const auto& protectedRow = rows[i];
    const Bytes& plain = rows[i + 1].bytes;
    SCOPED_TRACE(protectedRow.name);
    const bool rtcp = protectedRow.name.starts_with("srtcp");
    auto decrypted = unprotect(*in, protectedRow.bytes, rtcp);
    ASSERT_TRUE(decrypted.ok()) << switchyard::transport::srtpErrorName(decrypted.error());
    EXPECT_EQ(*decrypted, plain);
    EXPECT_EQ(protect(*out, plain, rtcp), protectedRow.bytes);
    sawVideoDatagram |= protectedRow.bytes.size() == kVideoDatagramSize;
  }
  EXPECT_TRUE(sawVideoDatagram);
}

// --- round trips --------------------------------------------------------------------------

TEST_P(SrtpSessionProfileTest, RtpRoundTripsForManyPayloadSizes) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 7);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  const size_t largest = kVideoDatagramSize - kRtpHeaderSize - out->rtpTrailerSize();
  uint16_t seq = 1;
  for (size_t size : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{160},
                      size_t{999}, largest, size_t{9000}}) {
    SCOPED_TRACE(size);
    const Bytes plain = rtpPacket(seq++, 0xA1B2C3D4, size);
    const Bytes wire = protectRtp(*out, plain);
    ASSERT_EQ(wire.size(), plain.size() + out->rtpTrailerSize());
    EXPECT_EQ(slice(wire, 0, kRtpHeaderSize), slice(plain, 0, kRtpHeaderSize));  // header clear
    if (size >= 16) {  // the payload is encrypted, not just authenticated
      EXPECT_NE(slice(wire, kRtpHeaderSize, plain.size()),
                slice(plain, kRtpHeaderSize, plain.size()));
    }
    auto back = unprotectRtp(*in, wire);
    ASSERT_TRUE(back.ok()) << switchyard::transport::srtpErrorName(back.error());
    EXPECT_EQ(*back, plain);
  }
}

TEST_P(SrtpSessionProfileTest, RtcpRoundTripsForManySizes) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 8);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  uint8_t index = 0;
  for (size_t blocks : {size_t{0}, size_t{1}, size_t{2}, size_t{31}}) {
    SCOPED_TRACE(blocks);
    const Bytes plain = rtcpPacket(0x01020304, blocks);
    const Bytes wire = protectRtcp(*out, plain);
    ASSERT_EQ(wire.size(), plain.size() + out->rtcpTrailerSize());
    EXPECT_EQ(slice(wire, 0, 8), slice(plain, 0, 8));  // header and sender SSRC stay clear
    if (blocks > 0) {
      EXPECT_NE(slice(wire, 8, plain.size()), slice(plain, 8, plain.size()));
    }
    // RFC 3711 section 3.4: E flag set and the SRTCP index, counting from 1 in libsrtp; before
    // the tag for AES-CM (RFC 3711 figure 2), after it for GCM (RFC 7714 section 9.2).
    const size_t at = profile == SrtpProfile::kAeadAes128Gcm ? wire.size() - 4 : plain.size();
    EXPECT_EQ(slice(wire, at, at + 4), (Bytes{0x80, 0, 0, ++index}));
    auto back = unprotectRtcp(*in, wire);
    ASSERT_TRUE(back.ok()) << switchyard::transport::srtpErrorName(back.error());
    EXPECT_EQ(*back, plain);
  }
}

// A 1200-byte datagram with CSRCs and a header extension, and the length arithmetic a sender
// does: plaintext + trailer must fit the buffer exactly.
TEST_P(SrtpSessionProfileTest, VideoSizedPacketWithCsrcsAndExtensionFillsTheDatagram) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 9);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  Bytes plain = hex("92 60 1234 00000010 a1b2c3d4  11111111 22222222  bede0001 10 30 0000");
  const size_t payload = kVideoDatagramSize - out->rtpTrailerSize() - plain.size();
  for (size_t i = 0; i < payload; ++i)
    plain.push_back(static_cast<uint8_t>(i));
  Bytes buffer(kVideoDatagramSize, 0);
  std::copy(plain.begin(), plain.end(), buffer.begin());
  auto protectedLength = out->protectRtp(buffer, plain.size());
  ASSERT_TRUE(protectedLength.ok());
  EXPECT_EQ(*protectedLength, kVideoDatagramSize);
  // One byte more does not fit: refused, not written past the buffer.
  Bytes full = buffer;
  EXPECT_EQ(out->protectRtp(full, plain.size() + 1).error(), SrtpError::kBadLength);
  auto back = unprotectRtp(*in, buffer);
  ASSERT_TRUE(back.ok()) << switchyard::transport::srtpErrorName(back.error());
  EXPECT_EQ(*back, plain);
}

TEST_P(SrtpSessionProfileTest, OneSessionCoversEverySsrcOfItsDirection) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 10);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  for (uint16_t seq = 100; seq < 110; ++seq) {
    for (uint32_t ssrc : {0x11111111u, 0x22222222u, 0x33333333u}) {
      const Bytes plain = rtpPacket(seq, ssrc, 50);
      auto back = unprotectRtp(*in, protectRtp(*out, plain));
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(*back, plain);
    }
  }
}

// --- rejection ----------------------------------------------------------------------------

// Every changed byte and every single-bit change anywhere in a protected packet is caught by
// the tag: kAuthFailed. The exception is the RTP header's layout bits (CSRC count bit 3 and
// the X bit in the first byte), which here make the header run past the packet: kBadLength
// before any crypto. The packet is short (20 bytes of payload) so that holds for both.
TEST_P(SrtpSessionProfileTest, EveryFlippedBitIsRejected) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 11);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  const Bytes rtpWire = protectRtp(*out, rtpPacket(5000, 0xCAFEBABE, 20));
  const Bytes rtcpWire = protectRtcp(*out, rtcpPacket(0xCAFEBABE, 1));
  for (bool rtcp : {false, true}) {
    const Bytes& wire = rtcp ? rtcpWire : rtpWire;
    const char* kind = rtcp ? "rtcp" : "rtp";
    for (size_t i = 0; i < wire.size(); ++i) {
      for (int mask : {0xFF, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80}) {
        Bytes tampered = wire;
        tampered[i] ^= static_cast<uint8_t>(mask);
        const bool layout = !rtcp && i == 0 && (mask & 0x18) != 0;
        auto result = unprotect(*in, tampered, rtcp);
        ASSERT_FALSE(result.ok()) << kind << " byte " << i << " mask " << mask;
        EXPECT_EQ(result.error(), layout ? SrtpError::kBadLength : SrtpError::kAuthFailed)
            << kind << " byte " << i << " mask " << mask;
      }
    }
    // The failures left no state behind: the genuine packet still passes, once.
    EXPECT_TRUE(unprotect(*in, wire, rtcp).ok()) << kind;
    EXPECT_EQ(unprotect(*in, wire, rtcp).error(), SrtpError::kReplay) << kind;
  }
}

TEST_P(SrtpSessionProfileTest, WrongKeyFailsAuthentication) {
  const SrtpProfile profile = GetParam();
  auto out = session(Direction::kOutbound, profile, keyFor(profile, 12));
  auto in = session(Direction::kInbound, profile, keyFor(profile, 13));
  ASSERT_TRUE(out && in);
  EXPECT_EQ(unprotectRtp(*in, protectRtp(*out, rtpPacket(1, 1, 100))).error(),
            SrtpError::kAuthFailed);
  EXPECT_EQ(unprotectRtcp(*in, protectRtcp(*out, rtcpPacket(1, 1))).error(),
            SrtpError::kAuthFailed);
  // Only the salt differs: still a different session key (RFC 3711 section 4.3).
  Bytes saltOnly = keyFor(profile, 12);
  saltOnly.back() ^= 0x01;
  auto in2 = session(Direction::kInbound, profile, saltOnly);
  ASSERT_TRUE(in2);
  EXPECT_EQ(unprotectRtp(*in2, protectRtp(*out, rtpPacket(2, 1, 100))).error(),
            SrtpError::kAuthFailed);
}

TEST(SrtpSessionTest, PacketsOfTheOtherProfileFailAuthentication) {
  const Bytes key = keyFor(SrtpProfile::kAeadAes128Gcm, 14);
  Bytes cmKey = key;
  cmKey.resize(30, 0);
  auto gcmOut = session(Direction::kOutbound, SrtpProfile::kAeadAes128Gcm, key);
  auto cmIn = session(Direction::kInbound, SrtpProfile::kAes128CmHmacSha1_80, cmKey);
  ASSERT_TRUE(gcmOut && cmIn);
  EXPECT_EQ(unprotectRtp(*cmIn, protectRtp(*gcmOut, rtpPacket(1, 1, 100))).error(),
            SrtpError::kAuthFailed);
}

TEST_P(SrtpSessionProfileTest, ReplayedRtpIsRejectedAndReorderingWithinTheWindowIsNot) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 15);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  constexpr uint32_t kSsrc = 0x0BADCAFE;
  constexpr uint16_t kFirst = 1000;
  constexpr uint16_t kHighest = 4000;
  // Protect kFirst..kHighest in order, keep them all.
  std::map<uint16_t, Bytes> wire;
  for (uint16_t seq = kFirst; seq <= kHighest; ++seq) {
    wire[seq] = protectRtp(*out, rtpPacket(seq, kSsrc, 30));
  }
  // Same packet twice: the second is a replay.
  ASSERT_TRUE(unprotectRtp(*in, wire[kFirst]).ok());
  EXPECT_EQ(unprotectRtp(*in, wire[kFirst]).error(), SrtpError::kReplay);
  // Out of order within the window: kFirst+10 before kFirst+1..+9, all accepted once.
  ASSERT_TRUE(unprotectRtp(*in, wire[kFirst + 10]).ok());
  for (uint16_t seq = kFirst + 1; seq < kFirst + 10; ++seq) {
    EXPECT_TRUE(unprotectRtp(*in, wire[seq]).ok()) << seq;
    EXPECT_EQ(unprotectRtp(*in, wire[seq]).error(), SrtpError::kReplay) << seq;
  }
  // Jump to kHighest: the window now holds kHighest and the 1023 indices before it.
  ASSERT_TRUE(unprotectRtp(*in, wire[kHighest]).ok());
  constexpr auto kWindow = static_cast<uint16_t>(SrtpSession::kReplayWindowPackets);
  EXPECT_TRUE(unprotectRtp(*in, wire[kHighest - (kWindow - 1)]).ok());  // oldest still inside
  EXPECT_EQ(unprotectRtp(*in, wire[kHighest - kWindow]).error(), SrtpError::kReplay);
  EXPECT_EQ(unprotectRtp(*in, wire[kHighest - 2000]).error(), SrtpError::kReplay);  // far too old
  EXPECT_TRUE(unprotectRtp(*in, wire[kHighest - 500]).ok());  // a late retransmission, unseen
  EXPECT_EQ(unprotectRtp(*in, wire[kHighest]).error(), SrtpError::kReplay);
}

TEST_P(SrtpSessionProfileTest, ReplayedRtcpIsRejected) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 16);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  std::vector<Bytes> wire;
  for (int i = 0; i < 300; ++i)
    wire.push_back(protectRtcp(*out, rtcpPacket(0x5150, 1)));
  ASSERT_TRUE(unprotectRtcp(*in, wire[0]).ok());
  EXPECT_EQ(unprotectRtcp(*in, wire[0]).error(), SrtpError::kReplay);
  ASSERT_TRUE(unprotectRtcp(*in, wire[299]).ok());
  EXPECT_TRUE(unprotectRtcp(*in, wire[250]).ok());  // reordered, inside libsrtp's 128
  EXPECT_EQ(unprotectRtcp(*in, wire[1]).error(), SrtpError::kReplay);  // older than 128 back
}

// allow_repeat_tx: the sender may protect an index again (a retransmission without RTX); the
// output is the same bytes, which the receiver then drops as a duplicate.
TEST_P(SrtpSessionProfileTest, SenderMayRepeatAnIndexButNotGoOutsideItsWindow) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 17);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  const Bytes plain = rtpPacket(700, 0x77, 200);
  const Bytes first = protectRtp(*out, plain);
  for (uint16_t seq = 701; seq < 720; ++seq)
    protectRtp(*out, rtpPacket(seq, 0x77, 200));
  const Bytes again = protectRtp(*out, plain);
  EXPECT_EQ(again, first);
  ASSERT_TRUE(unprotectRtp(*in, first).ok());
  EXPECT_EQ(unprotectRtp(*in, again).error(), SrtpError::kReplay);
  // Out of order within the window is fine for the sender too; far behind is not.
  for (uint16_t seq = 720; seq < 3800; ++seq)
    protectRtp(*out, rtpPacket(seq, 0x77, 10));
  Bytes late = rtpPacket(1000, 0x77, 10);
  late.resize(late.size() + out->rtpTrailerSize());
  EXPECT_EQ(out->protectRtp(late, late.size() - out->rtpTrailerSize()).error(), SrtpError::kReplay);
  Bytes recent = rtpPacket(3500, 0x77, 10);
  recent.resize(recent.size() + out->rtpTrailerSize());
  EXPECT_TRUE(out->protectRtp(recent, recent.size() - out->rtpTrailerSize()).ok());
}

TEST_P(SrtpSessionProfileTest, LengthsOutsideTheLimitsAreBadLength) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 18);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  const size_t tag = out->rtpTrailerSize();
  Bytes buffer(2000, 0);
  Bytes plain = rtpPacket(1, 1, 100);
  std::copy(plain.begin(), plain.end(), buffer.begin());
  // protect: shorter than a header, longer than the buffer, no room for the trailer.
  EXPECT_EQ(out->protectRtp(buffer, 11).error(), SrtpError::kBadLength);
  EXPECT_EQ(out->protectRtp(buffer, buffer.size() + 1).error(), SrtpError::kBadLength);
  EXPECT_EQ(out->protectRtp(std::span(buffer).first(plain.size() + tag - 1), plain.size()).error(),
            SrtpError::kBadLength);
  EXPECT_EQ(out->protectRtcp(buffer, 7).error(), SrtpError::kBadLength);
  EXPECT_EQ(out->protectRtcp(std::span(buffer).first(40 + out->rtcpTrailerSize() - 1), 40).error(),
            SrtpError::kBadLength);
  Bytes huge(70000, 0x80);
  EXPECT_EQ(out->protectRtp(huge, 65535).error(), SrtpError::kBadLength);
  // unprotect: shorter than header + trailer.
  for (size_t size = 0; size < kRtpHeaderSize + tag; ++size) {
    Bytes p = rtpPacket(1, 1, 100);
    p.resize(size);
    EXPECT_EQ(in->unprotectRtp(p).error(), SrtpError::kBadLength) << size;
  }
  for (size_t size = 0; size < 8 + out->rtcpTrailerSize(); ++size) {
    Bytes p = rtcpPacket(1, 2);
    p.resize(size);
    EXPECT_EQ(in->unprotectRtcp(p).error(), SrtpError::kBadLength) << size;
  }
  // A CSRC count that runs past the packet.
  Bytes wire = protectRtp(*out, rtpPacket(2, 1, 10));
  wire[0] |= 0x0F;
  EXPECT_EQ(unprotectRtp(*in, wire).error(), SrtpError::kBadLength);
}

TEST_P(SrtpSessionProfileTest, EachDirectionOnlyDoesItsOwnHalf) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 19);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  Bytes buffer = rtpPacket(1, 1, 40);
  const size_t length = buffer.size();
  buffer.resize(length + SrtpSession::kMaxTrailer);
  EXPECT_EQ(in->protectRtp(buffer, length).error(), SrtpError::kOther);
  EXPECT_EQ(in->protectRtcp(buffer, length).error(), SrtpError::kOther);
  EXPECT_EQ(out->unprotectRtp(buffer).error(), SrtpError::kOther);
  EXPECT_EQ(out->unprotectRtcp(buffer).error(), SrtpError::kOther);
}

// --- cost ---------------------------------------------------------------------------------

// Not an assertion: prints what one protect and one unprotect of a 1200-byte datagram cost with
// this build of libsrtp (docs/srtp.md quotes it). Performance claims belong in bench/.
TEST_P(SrtpSessionProfileTest, PrintsTheCostOfA1200BytePacket) {
  const SrtpProfile profile = GetParam();
  const Bytes key = keyFor(profile, 20);
  auto out = session(Direction::kOutbound, profile, key);
  auto in = session(Direction::kInbound, profile, key);
  ASSERT_TRUE(out && in);
  constexpr int kPackets = 20000;
  const size_t length = kVideoDatagramSize - out->rtpTrailerSize();
  std::vector<Bytes> wire(kPackets);
  for (int i = 0; i < kPackets; ++i) {
    const Bytes plain = rtpPacket(static_cast<uint16_t>(i), 0xC0575, length - kRtpHeaderSize);
    wire[static_cast<size_t>(i)].assign(kVideoDatagramSize, 0);
    std::copy(plain.begin(), plain.end(), wire[static_cast<size_t>(i)].begin());
  }
  const auto t1 = std::chrono::steady_clock::now();
  for (auto& w : wire)
    ASSERT_TRUE(out->protectRtp(w, length).ok());
  const auto t2 = std::chrono::steady_clock::now();
  for (auto& w : wire)
    ASSERT_TRUE(in->unprotectRtp(w).ok());
  const auto t3 = std::chrono::steady_clock::now();
  const auto ns = [](auto d) {
    return std::chrono::duration<double, std::nano>(d).count() / kPackets;
  };
  std::printf("[ cost     ] %s: protect %.0f ns, unprotect %.0f ns per 1200-byte packet\n",
              profileName(profile).c_str(), ns(t2 - t1), ns(t3 - t2));
}

}  // namespace
