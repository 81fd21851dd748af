// The ingest API's request body: defaults taken from the router's codecs, every field read,
// and each kind of bad input refused with a reason (the server returns it as a 400 body).

#include <gtest/gtest.h>

#include <string>

#include "control/server/IngestRequest.hpp"

namespace switchyard::control {
namespace {

IngestRequest parsed(const std::string& body) {
  auto r = parseIngestRequest(body);
  if (auto* e = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << body << " -> " << *e;
    return {};
  }
  return std::get<IngestRequest>(r);
}

std::string refusal(const std::string& body) {
  auto r = parseIngestRequest(body);
  if (std::holds_alternative<IngestRequest>(r)) {
    ADD_FAILURE() << body << " was accepted";
    return "";
  }
  return std::get<std::string>(r);
}

TEST(IngestRequest, EmptyTracksTakeTheRoutersFirstCodecOfTheirKind) {
  auto r = parsed(R"({"audio":{},"video":{}})");
  ASSERT_EQ(r.tracks.size(), 2u);
  // Video first whatever the body's order: the response and /api/streams list them so.
  const auto& v = r.tracks[0];
  EXPECT_EQ(v.kind, MediaKind::kVideo);
  EXPECT_EQ(v.codec, "VP8");
  EXPECT_EQ(v.payloadType, 96);
  EXPECT_EQ(v.clockRate, 90000u);
  EXPECT_FALSE(v.ssrc);
  EXPECT_FALSE(v.remote);
  const auto& a = r.tracks[1];
  EXPECT_EQ(a.kind, MediaKind::kAudio);
  EXPECT_EQ(a.codec, "opus");
  EXPECT_EQ(a.payloadType, 111);
  EXPECT_EQ(a.clockRate, 48000u);
  EXPECT_EQ(a.channels, 2);
  EXPECT_FALSE(r.srtp);
  EXPECT_FALSE(r.rtcpMux) << "ffmpeg and rtpbin send RTCP from a second socket";
  EXPECT_FALSE(r.idleTimeoutS) << "the server's default";
}

TEST(IngestRequest, EveryFieldIsRead) {
  auto r = parsed(R"({"video":{"codec":"h264","payloadType":102,"ssrc":4294967295,
                      "srtpKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==",
                      "remote":{"ip":"192.0.2.1","port":5004,"rtcpPort":5010}},
                      "srtp":"AEAD_AES_128_GCM","rtcpMux":true,"idleTimeout":86400})");
  ASSERT_EQ(r.tracks.size(), 1u);
  const auto& v = r.tracks[0];
  EXPECT_EQ(v.codec, "H264");  // the router's spelling
  EXPECT_EQ(v.payloadType, 102);
  EXPECT_EQ(v.ssrc, 4294967295u);
  EXPECT_EQ(v.fmtp, "packetization-mode=1;profile-level-id=42e01f");  // the router's
  EXPECT_EQ(v.srtpKey, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==");
  ASSERT_TRUE(v.remote);
  EXPECT_EQ(v.remote->ip, "192.0.2.1");
  EXPECT_EQ(v.remote->port, 5004);
  EXPECT_EQ(v.remote->rtcpPort, 5010);
  EXPECT_EQ(r.srtp, SrtpCryptoSuite::kAeadAes128Gcm);
  EXPECT_TRUE(r.rtcpMux);
  EXPECT_EQ(r.idleTimeoutS, 86400u);
  EXPECT_EQ(parsed(R"({"audio":{},"idleTimeout":0})").idleTimeoutS, 0u) << "0: never";

  auto f =
      parsed(R"({"video":{"codec":"H264","fmtp":"packetization-mode=1;profile-level-id=640c1f"}})");
  EXPECT_EQ(f.tracks[0].fmtp, "packetization-mode=1;profile-level-id=640c1f");
  auto cm = parsed(
      R"({"audio":{"srtpKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"}, "srtp":"AES_CM_128_HMAC_SHA1_80"})");
  EXPECT_EQ(cm.srtp, SrtpCryptoSuite::kAesCm128HmacSha1_80);
}

TEST(IngestRequest, SuiteNamesAndKeyLengthsFollowTheRfcs) {
  EXPECT_EQ(srtpSuiteName(SrtpCryptoSuite::kAesCm128HmacSha1_80), "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(srtpSuiteName(SrtpCryptoSuite::kAeadAes128Gcm), "AEAD_AES_128_GCM");
  EXPECT_EQ(srtpMasterLength(SrtpCryptoSuite::kAesCm128HmacSha1_80), 30u);  // RFC 3711 8.2
  EXPECT_EQ(srtpMasterLength(SrtpCryptoSuite::kAeadAes128Gcm), 28u);        // RFC 7714 12
}

struct Refused {
  const char* body;
  const char* reason;
};

TEST(IngestRequest, BadBodiesAreRefusedWithTheirReason) {
  const Refused cases[] = {
      {"", "the body must be a JSON object"},
      {"null", "the body must be a JSON object"},
      {R"({"video":[]})", "'video' must be an object"},
      {R"({"video":null,"audio":null})", "name a 'video' or an 'audio' stream"},
      {R"({"video":{"codec":7}})", "video: 'codec' must be a string"},
      {R"({"audio":{"codec":"VP8"}})", "audio: codec 'VP8' is not routed; one of opus"},
      {R"({"video":{"payloadType":95}})", "'payloadType' must be dynamic, 96-127"},
      {R"({"video":{"payloadType":1.5}})", "'payloadType' must be an integer"},
      {R"({"video":{"ssrc":4294967296}})", "'ssrc' must be an integer from 0 to 4294967295"},
      {R"({"video":{"fmtp":5}})", "'fmtp' must be"},
      {R"({"video":{"srtpKey":5},"srtp":"AEAD_AES_128_GCM"})", "'srtpKey' must be a base64 string"},
      {R"({"video":{"srtpKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="},)"
       R"("srtp":"AES_CM_128_HMAC_SHA1_80"})",
       "'srtpKey' must be base64 of 30 bytes"},
      {R"({"video":{"srtpKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBka!w=="},)"
       R"("srtp":"AEAD_AES_128_GCM"})",
       "'srtpKey' must be base64 of 28 bytes"},
      {R"({"video":{"remote":"127.0.0.1:5000"}})", "'remote' must be an object"},
      {R"({"video":{"remote":{"port":5000}}})", "'remote' needs an 'ip' string"},
      {R"({"video":{"remote":{"ip":"127.0.0.1","port":70000}}})", "remote: 'port' must be"},
      {R"({"video":{},"srtp":true})", "'srtp' must be"},
      {R"({"video":{},"idleTimeout":-1})", "'idleTimeout' must be whole seconds from 0 to 86400"},
      {R"({"video":{},"idleTimeout":1.5})", "'idleTimeout' must be whole seconds"},
      {R"({"video":{},"idleTimeout":"30"})", "'idleTimeout' must be whole seconds"},
      {R"({"video":{},"idleTimeout":86401})", "'idleTimeout' must be whole seconds"},
      {R"({"video":{},"idleTimeout":1e30})", "'idleTimeout' must be whole seconds"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    EXPECT_NE(refusal(c.body).find(c.reason), std::string::npos) << refusal(c.body);
  }
}

}  // namespace
}  // namespace switchyard::control
