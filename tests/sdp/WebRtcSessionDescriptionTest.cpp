// WebRtcSessionDescription: the typed view of offers captured from Chromium, aiortc and
// GStreamer (tests/fixtures/sdp/README.md says how each was made). Key fields are checked
// against the fixture text by value: mids, payload types, codecs, extmap ids, rids, ICE
// credentials, fingerprints, SSRCs, candidates.

#include <gtest/gtest.h>

#include "control/sdp/WebRtcSessionDescription.hpp"
#include "tests/sdp/SdpFixtures.hpp"

namespace switchyard::control::sdp {
namespace {

using test::allSdpFixtures;
using test::readSdpFixture;

WebRtcSessionDescription load(const std::string& name) {
  auto d = WebRtcSessionDescription::parse(readSdpFixture(name));
  EXPECT_TRUE(d.ok()) << name << ": " << (d.ok() ? "" : d.error().toString());
  return d.ok() ? std::move(*d) : WebRtcSessionDescription{};
}

std::vector<uint8_t> payloadTypes(const WebRtcMediaDescription& m) {
  std::vector<uint8_t> out;
  for (const auto& c : m.codecs)
    out.push_back(c.payloadType);
  return out;
}

TEST(WebRtcSessionDescriptionTest, EveryFixtureParses) {
  for (const auto& name : allSdpFixtures()) {
    SCOPED_TRACE(name);
    auto d = WebRtcSessionDescription::parse(readSdpFixture(name));
    ASSERT_TRUE(d.ok()) << d.error().toString();
    EXPECT_FALSE(d->media.empty());
    for (const auto& m : d->media) {
      EXPECT_FALSE(m.mid.empty());
      EXPECT_FALSE(m.ice.ufrag.empty());
      EXPECT_FALSE(m.fingerprints.empty());
      EXPECT_TRUE(m.setup.has_value());
    }
  }
}

TEST(WebRtcSessionDescriptionTest, ChromiumWhipOffer) {
  const auto d = load("chromium-whip-offer.sdp");
  ASSERT_EQ(d.media.size(), 2u);
  ASSERT_EQ(d.bundleGroups.size(), 1u);
  EXPECT_EQ(d.bundleGroups[0], (std::vector<std::string>{"0", "1"}));
  EXPECT_FALSE(d.iceLite);

  const auto& audio = d.media[0];
  EXPECT_EQ(audio.kind, MediaKind::kAudio);
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.port, 50014);
  EXPECT_FALSE(audio.rejected());
  EXPECT_EQ(audio.direction, MediaDirection::kSendOnly);
  EXPECT_EQ(payloadTypes(audio), (std::vector<uint8_t>{111, 63, 9, 0, 8, 13, 110, 126}));
  const auto* opus = audio.findCodec(111);
  ASSERT_NE(opus, nullptr);
  EXPECT_EQ(opus->name, "opus");
  EXPECT_EQ(opus->clockRate, 48000u);
  EXPECT_EQ(opus->channels, 2);
  EXPECT_EQ(opus->fmtp.get("useinbandfec"), "1");
  EXPECT_EQ(opus->feedback, std::vector<std::string>{"transport-cc"});
  EXPECT_EQ(audio.findCodec(0)->name, "PCMU");                       // with an rtpmap here
  EXPECT_EQ(audio.findCodec(63)->fmtp.entries()[0].key, "111/111");  // RED
  ASSERT_EQ(audio.extensions.size(), 4u);
  EXPECT_EQ(audio.extensions[0].id, 1);
  EXPECT_EQ(audio.extensions[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  EXPECT_EQ(audio.findExtension("urn:ietf:params:rtp-hdrext:sdes:mid")->id, 4);
  EXPECT_TRUE(audio.extmapAllowMixed);  // session level
  EXPECT_EQ(audio.ice.ufrag, "Q1Ay");
  EXPECT_EQ(audio.ice.pwd, "220UKG2lsujKHDpOqq2QjVk9");
  EXPECT_EQ(audio.ice.options, std::vector<std::string>{"trickle"});
  ASSERT_EQ(audio.fingerprints.size(), 1u);
  EXPECT_EQ(audio.fingerprints[0].algorithm, "sha-256");
  EXPECT_EQ(audio.fingerprints[0].value,
            "76:E9:CA:9F:F5:65:7E:CB:90:39:B1:0B:FE:24:F8:EE:82:69:56:F0:C2:AB:58:95:69:57:2C:7D:"
            "B1:BF:92:D2");
  EXPECT_EQ(audio.setup, DtlsSetup::kActpass);
  EXPECT_TRUE(audio.rtcpMux);
  EXPECT_TRUE(audio.rtcpRsize);
  ASSERT_EQ(audio.candidates.size(), 2u);
  EXPECT_EQ(audio.candidates[0].port, 50014);
  EXPECT_EQ(audio.candidates[1].extension("tcptype"), "active");
  EXPECT_FALSE(audio.endOfCandidates);
  ASSERT_EQ(audio.ssrcs.size(), 1u);
  EXPECT_EQ(audio.ssrcs[0].ssrc, 3808677780u);
  EXPECT_EQ(audio.ssrcs[0].cname, "tn752PBs0AHR1AEE");
  ASSERT_TRUE(audio.ssrcs[0].msid.has_value());
  EXPECT_EQ(audio.ssrcs[0].msid->track, "b3c19197-5e9c-46c8-a00d-f0aed65a05fc");
  ASSERT_EQ(audio.msids.size(), 1u);
  EXPECT_EQ(audio.msids[0].stream, "bb53c57f-d2cf-48c4-8e34-0d6f1fc6529d");

  const auto& video = d.media[1];
  EXPECT_EQ(video.kind, MediaKind::kVideo);
  EXPECT_EQ(video.mid, "1");
  EXPECT_EQ(payloadTypes(video),
            (std::vector<uint8_t>{96, 97, 102, 103, 104, 107, 108, 109, 114, 115, 116, 117,
                                  39, 40, 45,  46,  98,  99,  100, 101, 118, 119, 120}));
  const auto* vp8 = video.findCodec(96);
  EXPECT_EQ(vp8->name, "VP8");
  EXPECT_EQ(vp8->feedback,
            (std::vector<std::string>{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"}));
  EXPECT_EQ(video.rtxFor(96), 97);
  EXPECT_EQ(video.findCodec(97)->rtxApt(), 96);
  EXPECT_EQ(video.findCodec(108)->fmtp.get("profile-level-id"), "42e01f");
  EXPECT_EQ(video.findCodec(104)->fmtp.get("packetization-mode"), "0");
  EXPECT_EQ(video.findCodec(45)->name, "AV1");
  EXPECT_EQ(video.findCodec(98)->fmtp.get("profile-id"), "0");
  EXPECT_EQ(video.findCodec(100)->fmtp.get("profile-id"), "2");
  EXPECT_FALSE(video.rtxFor(120).has_value());  // ulpfec has none
  EXPECT_EQ(video.extensions.size(), 11u);
  EXPECT_EQ(video.findExtension("urn:ietf:params:rtp-hdrext:toffset")->id, 14);
  EXPECT_EQ(video.findExtension("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")->id, 10);
  ASSERT_EQ(video.ssrcGroups.size(), 1u);
  EXPECT_EQ(video.ssrcGroups[0].semantics, "FID");
  EXPECT_EQ(video.ssrcGroups[0].ssrcs, (std::vector<uint32_t>{314365400u, 2509604885u}));
  EXPECT_EQ(video.ssrcs.size(), 2u);
  EXPECT_TRUE(video.rids.empty());
  EXPECT_FALSE(video.simulcast.has_value());
}

TEST(WebRtcSessionDescriptionTest, ChromiumSimulcastOffer) {
  const auto d = load("chromium-simulcast-offer.sdp");
  ASSERT_EQ(d.media.size(), 2u);
  const auto& video = d.media[1];
  EXPECT_EQ(video.direction, MediaDirection::kSendOnly);
  ASSERT_EQ(video.rids.size(), 3u);
  EXPECT_EQ(video.rids[0].id, "q");
  EXPECT_EQ(video.rids[1].id, "h");
  EXPECT_EQ(video.rids[2].id, "f");
  for (const auto& r : video.rids)
    EXPECT_EQ(r.direction, RidDirection::kSend);
  ASSERT_TRUE(video.simulcast.has_value());
  EXPECT_EQ(video.simulcast->toString(), "send q;h;f");
  EXPECT_TRUE(video.ssrcs.empty());  // rid-based: no SSRCs signalled
  EXPECT_EQ(video
                .findExtension(
                    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-"
                    "extension")
                ->id,
            12);
  EXPECT_EQ(video
                .findExtension("http://www.webrtc.org/experiments/rtp-hdrext/"
                               "video-layers-allocation00")
                ->id,
            9);
  EXPECT_EQ(video.ice.ufrag, "bCsl");
}

TEST(WebRtcSessionDescriptionTest, ChromiumWhepOffer) {
  const auto d = load("chromium-whep-offer.sdp");
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.media[0].direction, MediaDirection::kRecvOnly);
  EXPECT_EQ(d.media[1].direction, MediaDirection::kRecvOnly);
  EXPECT_TRUE(d.media[0].ssrcs.empty());
  EXPECT_TRUE(d.media[0].msids.empty());
  // The receive side offers more than the send side: VP9 profiles 1 and 3, H264 4:4:4, AV1
  // profile 1, flexfec.
  const auto& video = d.media[1];
  EXPECT_EQ(video.codecs.size(), 34u);
  EXPECT_EQ(video.findCodec(35)->fmtp.get("profile-id"), "1");
  EXPECT_EQ(video.findCodec(41)->fmtp.get("profile-level-id"), "f4001f");
  EXPECT_EQ(video.findCodec(47)->fmtp.get("profile"), "1");
  EXPECT_EQ(video.findCodec(49)->name, "flexfec-03");
  EXPECT_EQ(d.media[0].ice.ufrag, "j5yk");
}

TEST(WebRtcSessionDescriptionTest, ChromiumDataChannelOffer) {
  const auto d = load("chromium-datachannel-offer.sdp");
  ASSERT_EQ(d.media.size(), 1u);
  const auto& m = d.media[0];
  EXPECT_EQ(m.kind, MediaKind::kApplication);
  EXPECT_EQ(m.proto, "UDP/DTLS/SCTP");
  EXPECT_EQ(m.formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_FALSE(m.isRtp());
  EXPECT_TRUE(m.codecs.empty());
  EXPECT_EQ(m.sctpPort, 5000);
  EXPECT_EQ(m.maxMessageSize, 262144u);
  EXPECT_EQ(m.mid, "0");
}

TEST(WebRtcSessionDescriptionTest, ChromiumAnswer) {
  const auto d = load("chromium-answer.sdp");
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.media[0].setup, DtlsSetup::kActive);
  EXPECT_EQ(d.media[0].direction, MediaDirection::kRecvOnly);
  EXPECT_EQ(d.media[1].direction, MediaDirection::kRecvOnly);
  // Candidates in the BUNDLE-tag section only; the other has the discard port.
  EXPECT_EQ(d.media[0].candidates.size(), 1u);
  EXPECT_TRUE(d.media[1].candidates.empty());
  EXPECT_EQ(d.media[1].port, 9);
  EXPECT_EQ(d.media[0].ice.ufrag, "WVLn");
  EXPECT_EQ(d.media[1].ice.ufrag, "WVLn");
}

TEST(WebRtcSessionDescriptionTest, AiortcPublishOffer) {
  const auto d = load("aiortc-publish-offer.sdp");
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.bundleGroups[0], (std::vector<std::string>{"0", "1"}));
  const auto& audio = d.media[0];
  EXPECT_EQ(audio.direction, MediaDirection::kSendOnly);
  EXPECT_EQ(payloadTypes(audio), (std::vector<uint8_t>{96, 0, 8}));
  EXPECT_EQ(audio.findCodec(96)->name, "opus");
  EXPECT_EQ(audio.findCodec(96)->channels, 2);
  // aiortc gives id 2 to audio-level here and to abs-send-time in the video section.
  EXPECT_EQ(audio.findExtension("urn:ietf:params:rtp-hdrext:ssrc-audio-level")->id, 2);
  EXPECT_EQ(audio.ice.ufrag, "zkiY");
  EXPECT_EQ(audio.ice.pwd, "RSLJlP4fFab954B6cZdy8r");
  EXPECT_TRUE(audio.endOfCandidates);
  ASSERT_EQ(audio.candidates.size(), 1u);
  EXPECT_EQ(audio.candidates[0].foundation, "16572de626da4e5384a0ce2d0d93678a");
  EXPECT_FALSE(audio.extmapAllowMixed);
  EXPECT_EQ(audio.ssrcs[0].ssrc, 2407751599u);

  const auto& video = d.media[1];
  EXPECT_EQ(payloadTypes(video), (std::vector<uint8_t>{97, 98, 99, 100, 101, 102}));
  EXPECT_EQ(video.findCodec(97)->name, "VP8");
  EXPECT_EQ(video.rtxFor(97), 98);
  EXPECT_EQ(video.findCodec(99)->fmtp.get("profile-level-id"), "42001f");
  EXPECT_EQ(video.findCodec(101)->fmtp.get("profile-level-id"), "42e01f");
  EXPECT_EQ(video.findExtension("http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")->id,
            2);
  // aiortc uses one ICE transport per section until BUNDLE is agreed: other credentials.
  EXPECT_EQ(video.ice.ufrag, "wdBf");
  EXPECT_EQ(video.ssrcGroups[0].ssrcs, (std::vector<uint32_t>{4039318671u, 1137769674u}));
  EXPECT_FALSE(video.rtcpRsize);
}

TEST(WebRtcSessionDescriptionTest, AiortcRecvonlyOffer) {
  const auto d = load("aiortc-recvonly-offer.sdp");
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.media[0].direction, MediaDirection::kRecvOnly);
  EXPECT_EQ(d.media[1].direction, MediaDirection::kRecvOnly);
  EXPECT_EQ(d.media[0].ice.ufrag, "Ofwa");
  EXPECT_EQ(d.media[1].ice.ufrag, "07qW");
}

TEST(WebRtcSessionDescriptionTest, GStreamerOffers) {
  const auto vp8 = load("gst-vp8-opus-offer.sdp");
  ASSERT_EQ(vp8.media.size(), 2u);
  EXPECT_EQ(vp8.bundleGroups[0], (std::vector<std::string>{"video0", "audio1"}));
  const auto& video = vp8.media[0];
  EXPECT_EQ(video.mid, "video0");
  EXPECT_EQ(video.port, 9);
  EXPECT_EQ(payloadTypes(video), std::vector<uint8_t>{96});
  EXPECT_EQ(video.findCodec(96)->feedback,
            (std::vector<std::string>{"nack pli", "ccm fir", "transport-cc"}));
  EXPECT_TRUE(video.extensions.empty());
  EXPECT_TRUE(video.rtcpMuxOnly);
  EXPECT_EQ(video.ice.options, std::vector<std::string>{"trickle"});  // from session level
  EXPECT_EQ(video.ice.ufrag, "/kp9L/tF1GRubw0JMvR4vBmudw6RqsJz");
  EXPECT_EQ(video.candidates.size(), 3u);
  EXPECT_EQ(video.candidates[0].transport, "UDP");
  EXPECT_EQ(video.candidates[0].port, 51084);
  ASSERT_TRUE(video.ssrcs[0].msid.has_value());
  EXPECT_EQ(video.ssrcs[0].ssrc, 4262020707u);
  EXPECT_EQ(video.ssrcs[0].msid->track, "webrtctransceiver0");
  EXPECT_TRUE(video.msids.empty());  // msid only on the a=ssrc line
  const auto& audio = vp8.media[1];
  EXPECT_EQ(audio.mid, "audio1");
  EXPECT_EQ(audio.port, 0);
  EXPECT_TRUE(audio.bundleOnly);
  EXPECT_FALSE(audio.rejected());  // port 0 with bundle-only is not a rejection
  EXPECT_EQ(audio.findCodec(111)->name, "OPUS");
  EXPECT_EQ(audio.findCodec(111)->fmtp.get("sprop-stereo"), "0");
  EXPECT_TRUE(audio.candidates.empty());

  const auto h264 = load("gst-h264-opus-offer.sdp");
  const auto* c = h264.media[0].findCodec(102);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "H264");
  EXPECT_EQ(c->fmtp.get("profile-level-id"), "42c01e");
  EXPECT_EQ(c->fmtp.get("packetization-mode"), "1");
  EXPECT_EQ(c->fmtp.get("level-asymmetry-allowed"), "1");
}

TEST(WebRtcSessionDescriptionTest, SessionLevelDefaultsAndOverrides) {
  const std::string text =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "a=ice-ufrag:sess\r\na=ice-pwd:sessionpasswordsession1\r\n"
      "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\na=sendonly\r\n"
      "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=ice-lite\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\na=rtpmap:111 opus/48000/2\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=ice-ufrag:mine\r\n"
      "a=ice-pwd:mediapasswordmediapass2\r\na=setup:passive\r\na=recvonly\r\n"
      "a=extmap:3 urn:ietf:params:rtp-hdrext:toffset\r\na=rtpmap:96 VP8/90000\r\n";
  auto d = WebRtcSessionDescription::parse(text);
  ASSERT_TRUE(d.ok()) << d.error().toString();
  EXPECT_TRUE(d->iceLite);
  EXPECT_EQ(d->media[0].ice.ufrag, "sess");
  EXPECT_EQ(d->media[0].fingerprints[0].value, "AB:CD");
  EXPECT_EQ(d->media[0].setup, DtlsSetup::kActpass);
  EXPECT_EQ(d->media[0].direction, MediaDirection::kSendOnly);
  EXPECT_EQ(d->media[0].findExtension("urn:ietf:params:rtp-hdrext:sdes:mid")->id, 3);
  EXPECT_EQ(d->media[1].ice.ufrag, "mine");
  EXPECT_EQ(d->media[1].setup, DtlsSetup::kPassive);
  EXPECT_EQ(d->media[1].direction, MediaDirection::kRecvOnly);
  // The media-level mapping of id 3 wins over the session-level one.
  ASSERT_EQ(d->media[1].extensions.size(), 1u);
  EXPECT_EQ(d->media[1].extensions[0].uri, "urn:ietf:params:rtp-hdrext:toffset");
  EXPECT_EQ(d->findByMid("v"), &d->media[1]);
  EXPECT_EQ(d->findByMid("x"), nullptr);
}

}  // namespace
}  // namespace switchyard::control::sdp
