// SdpNegotiation: captured offers from Chromium, aiortc and GStreamer negotiated against the
// default and custom capabilities (chosen codecs, payload types, RTX, feedback, extensions,
// simulcast, directions, remote transport); rejections and errors; the H264 matching table.

#include <gtest/gtest.h>

#include "control/sdp/SdpNegotiation.hpp"
#include "tests/sdp/SdpFixtures.hpp"

namespace switchyard::control::sdp {
namespace {

using test::readSdpFixture;
namespace uri = extension_uris;

WebRtcSessionDescription parseOffer(const std::string& text) {
  auto d = WebRtcSessionDescription::parse(text);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().toString());
  return d.ok() ? std::move(*d) : WebRtcSessionDescription{};
}

NegotiatedSession negotiateOk(const std::string& text, EndpointRole role,
                              const EndpointCapabilities& caps = EndpointCapabilities::defaults()) {
  auto r = negotiate(parseOffer(text), caps, role);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : NegotiatedSession{};
}

std::vector<uint8_t> chosenPts(const NegotiatedSection& s) {
  std::vector<uint8_t> out;
  for (const auto& c : s.codecs)
    out.push_back(c.payloadType);
  return out;
}

std::vector<std::optional<uint8_t>> rtxPts(const NegotiatedSection& s) {
  std::vector<std::optional<uint8_t>> out;
  for (const auto& c : s.codecs)
    out.push_back(c.rtxPayloadType);
  return out;
}

std::vector<std::pair<uint16_t, std::string>> extensions(const NegotiatedSection& s) {
  std::vector<std::pair<uint16_t, std::string>> out;
  for (const auto& e : s.extensions)
    out.emplace_back(e.id, e.uri);
  return out;
}

bool hasNote(const NegotiatedSession& s, const std::string& part) {
  for (const auto& n : s.notes) {
    if (n.find(part) != std::string::npos) return true;
  }
  return false;
}

const std::vector<std::string> kAllVideoFeedback{"goog-remb", "transport-cc", "ccm fir", "nack",
                                                 "nack pli"};

TEST(SdpNegotiationTest, ChromiumWhipOfferAgainstDefaults) {
  const auto s = negotiateOk(readSdpFixture("chromium-whip-offer.sdp"), EndpointRole::kWhip);
  ASSERT_EQ(s.sections.size(), 2u);
  EXPECT_EQ(s.bundleMids, (std::vector<std::string>{"0", "1"}));
  EXPECT_TRUE(s.bundle);
  EXPECT_TRUE(s.extmapAllowMixed);

  const auto& audio = s.sections[0];
  EXPECT_TRUE(audio.accepted);
  EXPECT_EQ(audio.direction, MediaDirection::kRecvOnly);
  EXPECT_EQ(chosenPts(audio), std::vector<uint8_t>{111});
  EXPECT_EQ(audio.codecs[0].name, "opus");
  EXPECT_EQ(audio.codecs[0].channels, 2);
  EXPECT_EQ(audio.codecs[0].fmtp.toString(), "minptime=10;useinbandfec=1");
  EXPECT_EQ(audio.codecs[0].feedback, std::vector<std::string>{"transport-cc"});
  EXPECT_FALSE(audio.codecs[0].rtxPayloadType.has_value());
  EXPECT_EQ(extensions(audio),
            (std::vector<std::pair<uint16_t, std::string>>{{1, std::string(uri::kAudioLevel)},
                                                           {2, std::string(uri::kAbsSendTime)},
                                                           {3, std::string(uri::kTransportWideCc)},
                                                           {4, std::string(uri::kMid)}}));
  EXPECT_TRUE(audio.rtcpRsize);
  ASSERT_EQ(audio.remoteSsrcs.size(), 1u);
  EXPECT_EQ(audio.remoteSsrcs[0].ssrc, 3808677780u);

  const auto& video = s.sections[1];
  EXPECT_TRUE(video.accepted);
  EXPECT_EQ(video.direction, MediaDirection::kRecvOnly);
  // Server order (VP8, VP9 p0, AV1 p0, H264 CB, baseline, main), the offer's numbers; the
  // packetization-mode=0 H264 formats (104, 114, 39) and VP9 profile 2 (100) are not taken.
  EXPECT_EQ(chosenPts(video), (std::vector<uint8_t>{96, 98, 45, 108, 102, 116}));
  EXPECT_EQ(rtxPts(video), (std::vector<std::optional<uint8_t>>{97, 99, 46, 109, 103, 117}));
  EXPECT_EQ(video.codecs[0].name, "VP8");
  EXPECT_EQ(video.codecs[0].feedback, kAllVideoFeedback);
  EXPECT_EQ(video.codecs[0].rtxFmtp.toString(), "apt=96");
  EXPECT_EQ(video.codecs[3].fmtp.get("profile-level-id"), "42e01f");
  EXPECT_EQ(video.codecs[3].fmtp.get("packetization-mode"), "1");
  EXPECT_EQ(video.codecs[4].fmtp.get("profile-level-id"), "42001f");
  EXPECT_EQ(video.codecs[5].fmtp.get("profile-level-id"), "4d001f");
  // toffset (14), video-content-type (6), video-timing (7), color-space (8) are not supported.
  EXPECT_EQ(extensions(video), (std::vector<std::pair<uint16_t, std::string>>{
                                   {2, std::string(uri::kAbsSendTime)},
                                   {13, std::string(uri::kVideoOrientation)},
                                   {3, std::string(uri::kTransportWideCc)},
                                   {5, std::string(uri::kPlayoutDelay)},
                                   {4, std::string(uri::kMid)},
                                   {10, std::string(uri::kRtpStreamId)},
                                   {11, std::string(uri::kRepairedRtpStreamId)}}));
  EXPECT_TRUE(video.rids.empty());
  EXPECT_EQ(video.remoteSsrcGroups[0].ssrcs, (std::vector<uint32_t>{314365400u, 2509604885u}));
  EXPECT_EQ(video.remoteMsids[0].track, "7039cb2b-dce9-497c-a331-4f3a7631076e");

  EXPECT_EQ(s.remote.mid, "0");
  EXPECT_EQ(s.remote.ice.ufrag, "Q1Ay");
  EXPECT_EQ(s.remote.ice.pwd, "220UKG2lsujKHDpOqq2QjVk9");
  EXPECT_EQ(s.remote.fingerprints[0].value.substr(0, 8), "76:E9:CA");
  EXPECT_EQ(s.remote.setup, DtlsSetup::kActpass);
  EXPECT_EQ(s.localSetup, DtlsSetup::kPassive);
  // The tag section's candidates only: the video section's (port 49602) belong to a transport
  // Chromium drops once BUNDLE is agreed.
  ASSERT_EQ(s.remote.candidates.size(), 2u);
  EXPECT_EQ(s.remote.candidates[0].port, 50014);
  EXPECT_EQ(s.remote.candidates[1].extension("tcptype"), "active");
  EXPECT_FALSE(s.remote.endOfCandidates);
}

TEST(SdpNegotiationTest, ServerPreferenceOrderAndMaxCodecs) {
  EndpointCapabilities caps;
  caps.audio.codecs = {CodecCapability{"opus", 48000, 2, {}, {"transport-cc"}, false}};
  caps.video.codecs = {
      CodecCapability{"H264",
                      90000,
                      0,
                      FmtpParameters::parse("profile-level-id=42e01f;packetization-mode=1;"
                                            "level-asymmetry-allowed=1"),
                      {"nack", "nack pli", "rrtr"},
                      true},
      CodecCapability{"VP8", 90000, 0, {}, {"nack"}, false},
  };
  caps.video.headerExtensions = {std::string(uri::kMid)};
  auto s = negotiateOk(readSdpFixture("chromium-whip-offer.sdp"), EndpointRole::kWhip, caps);
  const auto& video = s.sections[1];
  EXPECT_EQ(chosenPts(video), (std::vector<uint8_t>{108, 96}));
  EXPECT_EQ(rtxPts(video), (std::vector<std::optional<uint8_t>>{109, std::nullopt}));
  // "rrtr" is not offered for 108: intersected away.
  EXPECT_EQ(video.codecs[0].feedback, (std::vector<std::string>{"nack", "nack pli"}));
  EXPECT_EQ(video.codecs[1].feedback, std::vector<std::string>{"nack"});
  EXPECT_EQ(extensions(video),
            (std::vector<std::pair<uint16_t, std::string>>{{4, std::string(uri::kMid)}}));
  // Opus without capability fmtp: the offer's fmtp is echoed.
  EXPECT_EQ(s.sections[0].codecs[0].fmtp.toString(), "minptime=10;useinbandfec=1");
  // Audio extensions list empty: none kept.
  EXPECT_TRUE(s.sections[0].extensions.empty());

  caps.video.maxCodecs = 1;
  s = negotiateOk(readSdpFixture("chromium-whip-offer.sdp"), EndpointRole::kWhip, caps);
  EXPECT_EQ(chosenPts(s.sections[1]), std::vector<uint8_t>{108});
}

TEST(SdpNegotiationTest, ChromiumSimulcastMirrorsRids) {
  auto s = negotiateOk(readSdpFixture("chromium-simulcast-offer.sdp"), EndpointRole::kWhip);
  const auto& video = s.sections[1];
  ASSERT_EQ(video.rids.size(), 3u);
  EXPECT_EQ(video.rids[0].id, "q");
  EXPECT_EQ(video.rids[2].id, "f");
  for (const auto& r : video.rids)
    EXPECT_EQ(r.direction, RidDirection::kRecv);
  ASSERT_TRUE(video.simulcast.has_value());
  EXPECT_EQ(video.simulcast->toString(), "recv q;h;f");
  EXPECT_NE(video.findExtension(uri::kDependencyDescriptor), nullptr);
  EXPECT_EQ(video.findExtension(uri::kDependencyDescriptor)->id, 12);
  EXPECT_EQ(video.findExtension(uri::kRtpStreamId)->id, 10);

  // Without the rid header extension the layers cannot be told apart: no simulcast.
  auto caps = EndpointCapabilities::defaults();
  std::erase(caps.video.headerExtensions, std::string(uri::kRtpStreamId));
  s = negotiateOk(readSdpFixture("chromium-simulcast-offer.sdp"), EndpointRole::kWhip, caps);
  EXPECT_TRUE(s.sections[1].rids.empty());
  EXPECT_FALSE(s.sections[1].simulcast.has_value());
  EXPECT_TRUE(hasNote(s, "rids dropped"));
}

TEST(SdpNegotiationTest, SimulcastRidsWithFormatsAndAlternatives) {
  const std::string text =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE v\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96 100\r\na=mid:v\r\na=sendonly\r\na=rtcp-mux\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 AB:CD\r\n"
      "a=setup:actpass\r\na=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
      "a=rtpmap:96 VP8/90000\r\na=rtpmap:100 H265/90000\r\n"
      "a=rid:a send pt=96;max-width=320\r\na=rid:b send pt=100\r\na=rid:c send\r\n"
      "a=simulcast:send a,b;~c\r\n";
  const auto s = negotiateOk(text, EndpointRole::kWhip);
  const auto& v = s.sections[0];
  ASSERT_EQ(v.rids.size(), 2u);  // b named only H265, which is not chosen
  EXPECT_EQ(v.rids[0].toString(), "a recv pt=96;max-width=320");
  EXPECT_EQ(v.rids[1].toString(), "c recv");
  ASSERT_TRUE(v.simulcast.has_value());
  EXPECT_EQ(v.simulcast->toString(), "recv a;~c");
  EXPECT_TRUE(hasNote(s, "rid b dropped"));
}

TEST(SdpNegotiationTest, ChromiumWhepOffer) {
  const auto s = negotiateOk(readSdpFixture("chromium-whep-offer.sdp"), EndpointRole::kWhep);
  EXPECT_EQ(s.sections[0].direction, MediaDirection::kSendOnly);
  EXPECT_EQ(s.sections[1].direction, MediaDirection::kSendOnly);
  // Offered for receiving: VP9 profile 1 (35) and AV1 profile 1 (47) exist but do not match.
  EXPECT_EQ(chosenPts(s.sections[1]), (std::vector<uint8_t>{96, 98, 45, 108, 102, 116}));
  EXPECT_EQ(s.remote.ice.ufrag, "j5yk");

  // A WHIP endpoint cannot serve a recvonly offer: 406.
  auto r = negotiate(parseOffer(readSdpFixture("chromium-whep-offer.sdp")),
                     EndpointCapabilities::defaults(), EndpointRole::kWhip);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, NegotiationError::Kind::kNotAcceptable);
  EXPECT_EQ(r.error().httpStatus(), 406);
  EXPECT_NE(r.error().message.find("answered inactive (WHIP only receives)"), std::string::npos);
}

TEST(SdpNegotiationTest, AiortcPublishOfferAndItsExtmapIdClash) {
  const auto s = negotiateOk(readSdpFixture("aiortc-publish-offer.sdp"), EndpointRole::kWhip);
  const auto& audio = s.sections[0];
  EXPECT_EQ(chosenPts(audio), std::vector<uint8_t>{96});
  EXPECT_EQ(extensions(audio),
            (std::vector<std::pair<uint16_t, std::string>>{{1, std::string(uri::kMid)},
                                                           {2, std::string(uri::kAudioLevel)}}));
  const auto& video = s.sections[1];
  // VP8, then H264 constrained baseline (101), then baseline (99): server order.
  EXPECT_EQ(chosenPts(video), (std::vector<uint8_t>{97, 101, 99}));
  EXPECT_EQ(rtxPts(video), (std::vector<std::optional<uint8_t>>{98, 102, 100}));
  // nack, nack pli and goog-remb offered; transport-cc and ccm fir are not.
  EXPECT_EQ(video.codecs[0].feedback, (std::vector<std::string>{"goog-remb", "nack", "nack pli"}));
  // aiortc maps id 2 to abs-send-time here and to audio-level in the audio section; on one
  // BUNDLE transport that cannot work, so the later mapping goes.
  EXPECT_EQ(extensions(video),
            (std::vector<std::pair<uint16_t, std::string>>{{1, std::string(uri::kMid)}}));
  EXPECT_TRUE(hasNote(s, "extmap 2 " + std::string(uri::kAbsSendTime) + " dropped"));
  // Transport from the BUNDLE tag (mid 0); the video section's own credentials are ignored.
  EXPECT_EQ(s.remote.ice.ufrag, "zkiY");
  ASSERT_EQ(s.remote.candidates.size(), 1u);
  EXPECT_EQ(s.remote.candidates[0].port, 47961);
  EXPECT_TRUE(s.remote.endOfCandidates);
  EXPECT_FALSE(s.extmapAllowMixed);
  EXPECT_FALSE(s.sections[0].rtcpRsize);
}

TEST(SdpNegotiationTest, AiortcRecvonlyOfferAsWhep) {
  const auto s = negotiateOk(readSdpFixture("aiortc-recvonly-offer.sdp"), EndpointRole::kWhep);
  EXPECT_EQ(s.sections[0].direction, MediaDirection::kSendOnly);
  EXPECT_EQ(s.sections[1].direction, MediaDirection::kSendOnly);
  EXPECT_TRUE(s.sections[1].remoteSsrcs.empty());  // not kept for WHEP
}

TEST(SdpNegotiationTest, GStreamerOffers) {
  auto s = negotiateOk(readSdpFixture("gst-vp8-opus-offer.sdp"), EndpointRole::kWhip);
  EXPECT_EQ(s.bundleMids, (std::vector<std::string>{"video0", "audio1"}));
  const auto& video = s.sections[0];
  EXPECT_EQ(chosenPts(video), std::vector<uint8_t>{96});
  EXPECT_FALSE(video.codecs[0].rtxPayloadType.has_value());
  // Offered: nack pli, ccm fir, transport-cc; in capability order.
  EXPECT_EQ(video.codecs[0].feedback,
            (std::vector<std::string>{"transport-cc", "ccm fir", "nack pli"}));
  EXPECT_TRUE(video.extensions.empty());
  const auto& audio = s.sections[1];
  EXPECT_TRUE(audio.accepted);  // port 0 + bundle-only
  EXPECT_EQ(audio.codecs[0].name, "OPUS");
  EXPECT_EQ(audio.direction, MediaDirection::kRecvOnly);
  EXPECT_EQ(s.remote.mid, "video0");
  EXPECT_EQ(s.remote.candidates.size(), 3u);
  EXPECT_EQ(s.remote.ice.ufrag, "/kp9L/tF1GRubw0JMvR4vBmudw6RqsJz");

  s = negotiateOk(readSdpFixture("gst-h264-opus-offer.sdp"), EndpointRole::kWhip);
  ASSERT_EQ(s.sections[0].codecs.size(), 1u);
  const auto& h264 = s.sections[0].codecs[0];
  EXPECT_EQ(h264.payloadType, 102);
  // 42c01e is constrained baseline (like the capability's 42e01f); level 3 kept (asymmetry).
  EXPECT_EQ(h264.fmtp.toString(),
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42c01e");
  EXPECT_EQ(h264.offeredFmtp.get("sprop-parameter-sets"), "Z0LAHoyNQFAe0A8IhGo=,aM48gA==");
}

TEST(SdpNegotiationTest, DataChannelOnlyOfferIsNotAcceptable) {
  auto r = negotiate(parseOffer(readSdpFixture("chromium-datachannel-offer.sdp")),
                     EndpointCapabilities::defaults(), EndpointRole::kWhip);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().httpStatus(), 406);
  EXPECT_NE(r.error().message.find("data channels are not supported"), std::string::npos);
}

// A one- or two-section offer assembled from parts, for the rule-by-rule cases.
struct Section {
  std::string mline = "m=video 9 UDP/TLS/RTP/SAVPF 96";
  std::string mid = "v";
  std::string direction = "sendonly";
  std::string extra = "a=rtpmap:96 VP8/90000\r\n";
  bool rtcpMux = true;
};

std::string build(const std::vector<Section>& sections, const std::string& session = "",
                  bool bundle = true,
                  const std::string& transport =
                      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
                      "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\n") {
  std::string text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + session;
  if (bundle) {
    text += "a=group:BUNDLE";
    for (const auto& s : sections)
      text += " " + s.mid;
    text += "\r\n";
  }
  for (const auto& s : sections) {
    text += s.mline + "\r\n";
    if (!s.mid.empty()) text += "a=mid:" + s.mid + "\r\n";
    text += transport;
    if (!s.direction.empty()) text += "a=" + s.direction + "\r\n";
    if (s.rtcpMux) text += "a=rtcp-mux\r\n";
    text += s.extra;
  }
  return text;
}

TEST(SdpNegotiationTest, RejectsSectionsItCannotServe) {
  Section audio{"m=audio 9 UDP/TLS/RTP/SAVPF 111", "a", "sendonly", "a=rtpmap:111 opus/48000/2\r\n",
                true};
  const struct {
    const char* name;
    Section video;
    bool bundleVideo;
    const char* reason;
  } cases[] = {
      {"no common codec",
       {"m=video 9 UDP/TLS/RTP/SAVPF 104 105", "v", "sendonly",
        "a=rtpmap:104 H264/90000\r\na=fmtp:104 packetization-mode=0\r\n"
        "a=rtpmap:105 H265/90000\r\n",
        true},
       true,
       "no common codec (offered: H264/90000, H265/90000)"},
      {"no rtcp-mux",
       {"m=video 9 UDP/TLS/RTP/SAVPF 96", "v", "sendonly", "a=rtpmap:96 VP8/90000\r\n", false},
       true,
       "no a=rtcp-mux"},
      {"plain RTP profile",
       {"m=video 9 RTP/AVP 96", "v", "sendonly", "a=rtpmap:96 VP8/90000\r\n", true},
       true,
       "transport profile RTP/AVP is not DTLS-SRTP"},
      {"rejected in the offer",
       {"m=video 0 UDP/TLS/RTP/SAVPF 96", "v", "sendonly", "a=rtpmap:96 VP8/90000\r\n", true},
       false,
       "rejected in the offer (port 0)"},
      {"not in the BUNDLE group", {}, false, "not in the offer's first BUNDLE group"},
      {"unknown media",
       {"m=text 9 UDP/TLS/RTP/SAVPF 98", "v", "sendonly", "a=rtpmap:98 t140/1000\r\n", true},
       true,
       "media 'text' is not supported"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string text = build({audio, c.video}, "", false);
    const std::string group = c.bundleVideo ? "a=group:BUNDLE a v\r\n" : "a=group:BUNDLE a\r\n";
    text.insert(text.find("m="), group);
    const auto s = negotiateOk(text, EndpointRole::kWhip);
    ASSERT_EQ(s.sections.size(), 2u);
    EXPECT_TRUE(s.sections[0].accepted);
    EXPECT_FALSE(s.sections[1].accepted);
    EXPECT_EQ(s.sections[1].rejectReason, c.reason);
    EXPECT_EQ(s.bundleMids, std::vector<std::string>{"a"});
    EXPECT_TRUE(hasNote(s, std::string("m-section 1 (")));
  }
}

TEST(SdpNegotiationTest, WithoutBundleOnlyTheFirstSectionIsAccepted) {
  Section audio{"m=audio 9 UDP/TLS/RTP/SAVPF 111", "a", "sendonly", "a=rtpmap:111 opus/48000/2\r\n",
                true};
  const auto s = negotiateOk(build({audio, Section{}}, "", false), EndpointRole::kWhip);
  EXPECT_FALSE(s.bundle);
  EXPECT_TRUE(s.sections[0].accepted);
  EXPECT_FALSE(s.sections[1].accepted);
  EXPECT_EQ(s.sections[1].rejectReason, "not bundled, and the server uses one transport");
  EXPECT_EQ(s.bundleMids, std::vector<std::string>{"a"});
}

TEST(SdpNegotiationTest, Directions) {
  const struct {
    const char* offered;
    EndpointRole role;
    MediaDirection answer;
  } cases[] = {
      {"sendonly", EndpointRole::kWhip, MediaDirection::kRecvOnly},
      {"sendrecv", EndpointRole::kWhip, MediaDirection::kRecvOnly},
      {"", EndpointRole::kWhip, MediaDirection::kRecvOnly},  // default sendrecv
      {"recvonly", EndpointRole::kWhep, MediaDirection::kSendOnly},
      {"sendrecv", EndpointRole::kWhep, MediaDirection::kSendOnly},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.offered);
    Section v;
    v.direction = c.offered;
    const auto s = negotiateOk(build({v}), c.role);
    EXPECT_EQ(s.sections[0].direction, c.answer);
  }
  // One usable section and one the endpoint cannot serve: the latter is answered inactive.
  Section recv;
  recv.mid = "w";
  recv.direction = "recvonly";
  const auto s = negotiateOk(build({Section{}, recv}), EndpointRole::kWhip);
  EXPECT_TRUE(s.sections[1].accepted);
  EXPECT_EQ(s.sections[1].direction, MediaDirection::kInactive);
  EXPECT_TRUE(hasNote(s, "offered recvonly, answered inactive"));
  for (const char* d : {"recvonly", "inactive"}) {
    Section only;
    only.direction = d;
    auto r =
        negotiate(parseOffer(build({only})), EndpointCapabilities::defaults(), EndpointRole::kWhip);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().httpStatus(), 406);
  }
}

TEST(SdpNegotiationTest, OfferErrors) {
  const std::string noTransport = "";
  const struct {
    const char* name;
    std::string text;
    int status;
    const char* message;
  } cases[] = {
      {"no mid",
       build({Section{"m=video 9 UDP/TLS/RTP/SAVPF 96", "", "sendonly", "a=rtpmap:96 VP8/90000\r\n",
                      true}},
             "", false),
       400, "line 5: m-section without a=mid"},
      {"no ICE credentials",
       build({Section{}}, "", true, "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\n"), 400,
       "line 6: m-section without a=ice-ufrag/a=ice-pwd"},
      {"no fingerprint",
       build({Section{}}, "", true,
             "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=setup:actpass\r\n"),
       400, "line 6: m-section without a=fingerprint"},
      {"ICE-lite offer", build({Section{}}, "a=ice-lite\r\n"), 406, "the offer is ICE-lite"},
      {"holdconn",
       build({Section{}}, "", true,
             "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
             "a=fingerprint:sha-256 AB:CD\r\na=setup:holdconn\r\n"),
       406, "a=setup:holdconn"},
      {"no m-section", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 400,
       "the offer has no m-section"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = negotiate(parseOffer(c.text), EndpointCapabilities::defaults(), EndpointRole::kWhip);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().httpStatus(), c.status);
    EXPECT_EQ(r.error().message.rfind(c.message, 0), 0u) << r.error().message;
  }
}

TEST(SdpNegotiationTest, DtlsRole) {
  for (const auto& [offered, answer] :
       std::vector<std::pair<std::string, DtlsSetup>>{{"actpass", DtlsSetup::kPassive},
                                                      {"active", DtlsSetup::kPassive},
                                                      {"passive", DtlsSetup::kActive}}) {
    SCOPED_TRACE(offered);
    const auto s = negotiateOk(build({Section{}}, "", true,
                                     "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
                                     "a=fingerprint:sha-256 AB:CD\r\na=setup:" +
                                         offered + "\r\n"),
                               EndpointRole::kWhip);
    EXPECT_EQ(s.localSetup, answer);
  }
  // No a=setup: RFC 4145 says active.
  const auto s = negotiateOk(
      build({Section{}}, "", true,
            "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 AB\r\n"),
      EndpointRole::kWhip);
  EXPECT_EQ(s.remote.setup, DtlsSetup::kActive);
  EXPECT_EQ(s.localSetup, DtlsSetup::kPassive);
}

TEST(SdpNegotiationTest, RtxAndExtmapDetails) {
  Section v;
  v.mline = "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98";
  v.extra =
      "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96;rtx-time=3000\r\n"
      "a=rtpmap:98 rtx/48000\r\na=fmtp:98 apt=96\r\n"
      "a=extmap:3/sendonly urn:ietf:params:rtp-hdrext:sdes:mid\r\n";
  auto s = negotiateOk(build({v}), EndpointRole::kWhip);
  ASSERT_EQ(s.sections[0].codecs.size(), 1u);
  EXPECT_EQ(s.sections[0].codecs[0].rtxPayloadType, 97);
  EXPECT_EQ(s.sections[0].codecs[0].rtxFmtp.toString(), "apt=96;rtx-time=3000");
  ASSERT_EQ(s.sections[0].extensions.size(), 1u);
  EXPECT_EQ(s.sections[0].extensions[0].direction, MediaDirection::kRecvOnly);

  // RTX at another clock rate than its codec is not RTX for it (RFC 4588 section 8.6).
  v.extra =
      "a=rtpmap:96 VP8/90000\r\na=rtpmap:98 rtx/48000\r\na=fmtp:98 apt=96\r\n"
      "a=rtpmap:97 H265/90000\r\n";
  s = negotiateOk(build({v}), EndpointRole::kWhip);
  EXPECT_FALSE(s.sections[0].codecs[0].rtxPayloadType.has_value());

  // A capability without rtx drops the offer's RTX.
  auto caps = EndpointCapabilities::defaults();
  for (auto& c : caps.video.codecs)
    c.rtx = false;
  s = negotiateOk(readSdpFixture("chromium-whip-offer.sdp"), EndpointRole::kWhip, caps);
  for (const auto& c : s.sections[1].codecs)
    EXPECT_FALSE(c.rtxPayloadType.has_value());
}

// H264 is matched on packetization-mode=1 and the profile (RFC 6184 section 8.2.2, libwebrtc
// practice): 42e0xx and 42c0xx are both constrained baseline; the level never decides.
TEST(SdpNegotiationTest, H264MatchingTable) {
  const struct {
    const char* offered;
    const char* capability;
    bool match;
  } cases[] = {
      {"packetization-mode=1;profile-level-id=42e01f",
       "packetization-mode=1;profile-level-id=42e01f", true},
      {"packetization-mode=1;profile-level-id=42c01e",
       "packetization-mode=1;profile-level-id=42e01f", true},
      {"packetization-mode=1;profile-level-id=42e034",
       "packetization-mode=1;profile-level-id=42e00a", true},
      {"packetization-mode=1;profile-level-id=4de01f",
       "packetization-mode=1;profile-level-id=42e01f", true},
      {"packetization-mode=1;profile-level-id=42001f",
       "packetization-mode=1;profile-level-id=42e01f", false},
      {"packetization-mode=1;profile-level-id=42001f",
       "packetization-mode=1;profile-level-id=42a01f", true},
      {"packetization-mode=1;profile-level-id=4d001f",
       "packetization-mode=1;profile-level-id=4d0032", true},
      {"packetization-mode=1;profile-level-id=4d001f",
       "packetization-mode=1;profile-level-id=42e01f", false},
      {"packetization-mode=1;profile-level-id=64001f",
       "packetization-mode=1;profile-level-id=640c1f", false},
      {"packetization-mode=1;profile-level-id=640c1f",
       "packetization-mode=1;profile-level-id=640c34", true},
      {"packetization-mode=1;profile-level-id=f4001f",
       "packetization-mode=1;profile-level-id=64001f", false},
      {"packetization-mode=1", "packetization-mode=1;profile-level-id=42e01f", true},  // default CB
      {"packetization-mode=0;profile-level-id=42e01f",
       "packetization-mode=1;profile-level-id=42e01f", false},
      {"profile-level-id=42e01f", "packetization-mode=1;profile-level-id=42e01f", false},  // mode 0
      {"packetization-mode=1;profile-level-id=42e0zz",
       "packetization-mode=1;profile-level-id=42e01f", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.offered) + " vs " + c.capability);
    RtpCodecDescription offered;
    offered.name = "H264";
    offered.clockRate = 90000;
    offered.fmtp = FmtpParameters::parse(c.offered);
    CodecCapability cap{"H264", 90000, 0, FmtpParameters::parse(c.capability), {}, true};
    EXPECT_EQ(codecMatches(offered, cap, MediaKind::kVideo), c.match);
  }
}

TEST(SdpNegotiationTest, OtherCodecMatchRules) {
  auto codec = [](const char* name, uint32_t clock, uint16_t channels, const char* fmtp) {
    RtpCodecDescription c;
    c.name = name;
    c.clockRate = clock;
    c.channels = channels;
    c.fmtp = FmtpParameters::parse(fmtp);
    return c;
  };
  const CodecCapability opus{"opus", 48000, 2, {}, {}, false};
  EXPECT_TRUE(codecMatches(codec("OPUS", 48000, 2, ""), opus, MediaKind::kAudio));
  EXPECT_FALSE(codecMatches(codec("opus", 48000, 0, ""), opus, MediaKind::kAudio));  // mono
  EXPECT_FALSE(codecMatches(codec("opus", 16000, 2, ""), opus, MediaKind::kAudio));
  const CodecCapability vp9{"VP9", 90000, 0, FmtpParameters::parse("profile-id=0"), {}, true};
  EXPECT_TRUE(codecMatches(codec("VP9", 90000, 0, ""), vp9, MediaKind::kVideo));  // default 0
  EXPECT_TRUE(codecMatches(codec("VP9", 90000, 0, "profile-id=0"), vp9, MediaKind::kVideo));
  EXPECT_FALSE(codecMatches(codec("VP9", 90000, 0, "profile-id=2"), vp9, MediaKind::kVideo));
  const CodecCapability av1{"AV1", 90000, 0, {}, {}, true};
  EXPECT_TRUE(
      codecMatches(codec("AV1", 90000, 0, "level-idx=5;profile=0;tier=0"), av1, MediaKind::kVideo));
  EXPECT_FALSE(codecMatches(codec("AV1", 90000, 0, "profile=1"), av1, MediaKind::kVideo));
  EXPECT_FALSE(codecMatches(codec("", 90000, 0, ""), av1, MediaKind::kVideo));
}

}  // namespace
}  // namespace switchyard::control::sdp
