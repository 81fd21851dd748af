// SdpAnswerBuilder: answers to the captured offers, parsed back and checked field by field
// against the negotiation (BUNDLE, ICE-lite, credentials, fingerprint, setup, candidates,
// codecs, RTX, feedback, extmap ids, simulcast, SSRCs and msid); the exact text for a small
// offer; rejected sections; parameter errors. (Acceptance by Chromium, aiortc and GStreamer
// is checked by tests/fixtures/sdp/capture/check_answers.sh, which needs the real clients.)

#include <gtest/gtest.h>

#include "control/sdp/SdpAnswerBuilder.hpp"
#include "control/sdp/WebRtcSessionDescription.hpp"
#include "tests/sdp/SdpFixtures.hpp"

namespace switchyard::control::sdp {
namespace {

using test::readSdpFixture;

constexpr const char* kFingerprint =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:"
    "99";

AnswerParameters parameters() {
  AnswerParameters p;
  p.iceUfrag = "swYd";
  p.icePwd = "switchyardswitchyard0123";
  p.fingerprintSha256 = kFingerprint;
  p.candidates = {AnswerCandidate{"192.0.2.10", 40000, 2130706431, "1", "udp"},
                  AnswerCandidate{"192.0.2.10", 40001, 1694498815, "2", "tcp"}};
  p.sessionId = 8128;
  p.sessionVersion = 1;
  return p;
}

NegotiatedSession negotiated(const std::string& fixture, EndpointRole role) {
  auto offer = WebRtcSessionDescription::parse(readSdpFixture(fixture));
  EXPECT_TRUE(offer.ok());
  auto n = negotiate(*offer, EndpointCapabilities::defaults(), role);
  EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message);
  return std::move(*n);
}

WebRtcSessionDescription parseAnswer(const std::string& text) {
  auto d = WebRtcSessionDescription::parse(text);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().toString()) << "\n" << text;
  return d.ok() ? std::move(*d) : WebRtcSessionDescription{};
}

// Checks everything an answer must say about one negotiation, reading the answer back.
void checkAnswer(const NegotiatedSession& n, const AnswerParameters& p, const std::string& text) {
  // CRLF throughout; parse and serialize give the same text back.
  size_t lf = 0;
  size_t crlf = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ++lf;
    if (text[i] == '\n' && i > 0 && text[i - 1] == '\r') ++crlf;
  }
  EXPECT_EQ(lf, crlf);
  EXPECT_GT(lf, 10u);
  auto sd = SessionDescription::parse(text);
  ASSERT_TRUE(sd.ok());
  EXPECT_EQ(sd->serialize(), text);

  const auto a = parseAnswer(text);
  EXPECT_TRUE(a.iceLite);
  EXPECT_EQ(a.sdp.origin.sessionId, std::to_string(p.sessionId));
  EXPECT_EQ(a.sdp.hasAttribute("extmap-allow-mixed"), n.extmapAllowMixed);
  if (n.bundle) {
    ASSERT_EQ(a.bundleGroups.size(), 1u);
    EXPECT_EQ(a.bundleGroups[0], n.bundleMids);
  }
  ASSERT_EQ(a.media.size(), n.sections.size());
  for (size_t i = 0; i < n.sections.size(); ++i) {
    const auto& s = n.sections[i];
    const auto& m = a.media[i];
    SCOPED_TRACE("section " + std::to_string(i));
    EXPECT_EQ(m.media, s.media);
    EXPECT_EQ(m.proto, s.proto);
    EXPECT_EQ(m.mid, s.mid);
    if (!s.accepted) {
      EXPECT_TRUE(m.rejected());
      continue;
    }
    const bool tag = s.mid == n.bundleMids.front();
    EXPECT_EQ(m.port, tag ? p.candidates.front().port : 9);
    EXPECT_EQ(m.direction, s.direction);
    EXPECT_EQ(m.ice.ufrag, p.iceUfrag);
    EXPECT_EQ(m.ice.pwd, p.icePwd);
    ASSERT_EQ(m.fingerprints.size(), 1u);
    EXPECT_EQ(m.fingerprints[0].algorithm, "sha-256");
    EXPECT_EQ(m.fingerprints[0].value, p.fingerprintSha256);
    EXPECT_EQ(m.setup, n.localSetup);
    EXPECT_TRUE(m.rtcpMux);
    EXPECT_EQ(m.rtcpRsize, s.rtcpRsize);
    EXPECT_EQ(m.candidates.size(), tag ? p.candidates.size() : 0u);
    EXPECT_EQ(m.endOfCandidates, tag);
    // Codecs: negotiated payload types in order, each followed by its RTX.
    std::vector<uint8_t> expectPts;
    for (const auto& c : s.codecs) {
      expectPts.push_back(c.payloadType);
      if (c.rtxPayloadType) expectPts.push_back(*c.rtxPayloadType);
    }
    std::vector<uint8_t> pts;
    for (const auto& c : m.codecs)
      pts.push_back(c.payloadType);
    EXPECT_EQ(pts, expectPts);
    for (const auto& c : s.codecs) {
      const auto* got = m.findCodec(c.payloadType);
      ASSERT_NE(got, nullptr);
      EXPECT_EQ(got->name, c.name);
      EXPECT_EQ(got->clockRate, c.clockRate);
      EXPECT_EQ(got->channels, c.channels);
      EXPECT_EQ(got->fmtp, c.fmtp);
      EXPECT_EQ(got->feedback, c.feedback);
      if (c.rtxPayloadType) {
        EXPECT_EQ(m.findCodec(*c.rtxPayloadType)->rtxApt(), c.payloadType);
      }
    }
    ASSERT_EQ(m.extensions.size(), s.extensions.size());
    for (size_t e = 0; e < s.extensions.size(); ++e) {
      EXPECT_EQ(m.extensions[e].id, s.extensions[e].id);
      EXPECT_EQ(m.extensions[e].uri, s.extensions[e].uri);
    }
    EXPECT_EQ(m.rids, s.rids);
    EXPECT_EQ(m.simulcast, s.simulcast);
  }
}

TEST(SdpAnswerBuilderTest, AnswersEveryCapturedOffer) {
  const struct {
    const char* fixture;
    EndpointRole role;
  } cases[] = {
      {"chromium-whip-offer.sdp", EndpointRole::kWhip},
      {"chromium-simulcast-offer.sdp", EndpointRole::kWhip},
      {"chromium-whep-offer.sdp", EndpointRole::kWhep},
      {"aiortc-publish-offer.sdp", EndpointRole::kWhip},
      {"aiortc-recvonly-offer.sdp", EndpointRole::kWhep},
      {"gst-vp8-opus-offer.sdp", EndpointRole::kWhip},
      {"gst-h264-opus-offer.sdp", EndpointRole::kWhip},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fixture);
    const auto n = negotiated(c.fixture, c.role);
    auto p = parameters();
    if (c.role == EndpointRole::kWhep) {
      p.sendStreams = {AnswerSendStream{n.sections[0].mid, 1111, std::nullopt, "sy", "s", "a0"},
                       AnswerSendStream{n.sections[1].mid, 2222, 2223, "sy", "s", "v0"}};
    }
    auto text = buildAnswerText(n, p);
    ASSERT_TRUE(text.ok()) << text.error().toString();
    checkAnswer(n, p, *text);
  }
}

TEST(SdpAnswerBuilderTest, SimulcastAnswerCarriesRecvRids) {
  const auto n = negotiated("chromium-simulcast-offer.sdp", EndpointRole::kWhip);
  auto text = buildAnswerText(n, parameters());
  ASSERT_TRUE(text.ok());
  EXPECT_NE(
      text->find("a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n"),
      std::string::npos);
  const auto a = parseAnswer(*text);
  EXPECT_TRUE(a.media[1].ssrcs.empty());  // a WHIP answer announces no streams of its own
  EXPECT_TRUE(a.media[1].msids.empty());
}

TEST(SdpAnswerBuilderTest, WhepAnswerCarriesSendStreams) {
  const auto n = negotiated("chromium-whep-offer.sdp", EndpointRole::kWhep);
  auto p = parameters();
  p.sendStreams = {AnswerSendStream{"0", 1111, 1112, "sy", "stream", "audio0"},
                   AnswerSendStream{"1", 2222, 2223, "sy", "stream", "video0"}};
  auto text = buildAnswerText(n, p);
  ASSERT_TRUE(text.ok()) << text.error().toString();
  const auto a = parseAnswer(*text);
  EXPECT_TRUE(a.sdp.hasAttribute("msid-semantic"));
  // Audio has no RTX negotiated: the RTX SSRC is not announced.
  ASSERT_EQ(a.media[0].ssrcs.size(), 1u);
  EXPECT_EQ(a.media[0].ssrcs[0].ssrc, 1111u);
  EXPECT_TRUE(a.media[0].ssrcGroups.empty());
  EXPECT_EQ(a.media[0].msids[0], (Msid{"stream", "audio0"}));
  ASSERT_EQ(a.media[1].ssrcs.size(), 2u);
  EXPECT_EQ(a.media[1].ssrcs[1].ssrc, 2223u);
  EXPECT_EQ(a.media[1].ssrcs[1].cname, "sy");
  EXPECT_EQ(a.media[1].ssrcs[1].msid, (Msid{"stream", "video0"}));
  ASSERT_EQ(a.media[1].ssrcGroups.size(), 1u);
  EXPECT_EQ(a.media[1].ssrcGroups[0].semantics, "FID");
  EXPECT_EQ(a.media[1].ssrcGroups[0].ssrcs, (std::vector<uint32_t>{2222u, 2223u}));
}

// The whole answer to a small offer, line by line.
TEST(SdpAnswerBuilderTest, ExactTextForASmallOffer) {
  const std::string offer =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a v d\r\n"
      "a=extmap-allow-mixed\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\na=sendonly\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 AB:CD\r\n"
      "a=setup:passive\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
      "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
      "a=extmap:9 urn:ietf:params:rtp-hdrext:toffset\r\n"
      "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:v\r\na=sendonly\r\na=rtcp-mux\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 AB:CD\r\n"
      "a=setup:passive\r\na=extmap:2 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
      "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ack rpsi\r\n"
      "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d\r\na=sctp-port:5000\r\n";
  auto o = WebRtcSessionDescription::parse(offer);
  ASSERT_TRUE(o.ok()) << o.error().toString();
  auto n = negotiate(*o, EndpointCapabilities::defaults(), EndpointRole::kWhip);
  ASSERT_TRUE(n.ok()) << n.error().message;
  AnswerParameters p = parameters();
  p.candidates = {AnswerCandidate{"2001:db8::5", 40000, 2130706431, "1", "udp"}};
  p.trickle = true;
  auto text = buildAnswerText(*n, p);
  ASSERT_TRUE(text.ok()) << text.error().toString();
  const std::string fp = std::string("a=fingerprint:sha-256 ") + kFingerprint + "\r\n";
  EXPECT_EQ(*text,
            "v=0\r\n"
            "o=- 8128 1 IN IP4 127.0.0.1\r\n"
            "s=-\r\n"
            "t=0 0\r\n"
            "a=group:BUNDLE a v\r\n"
            "a=ice-lite\r\n"
            "a=extmap-allow-mixed\r\n"
            "m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\n"
            "c=IN IP6 2001:db8::5\r\n"
            "a=mid:a\r\n"
            "a=ice-ufrag:swYd\r\n"
            "a=ice-pwd:switchyardswitchyard0123\r\n"
            "a=ice-options:trickle\r\n" +
                fp +
                "a=setup:active\r\n"
                "a=recvonly\r\n"
                "a=rtcp-mux\r\n"
                "a=rtcp-rsize\r\n"
                "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
                "a=rtpmap:111 opus/48000/2\r\n"
                "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
                "a=candidate:1 1 udp 2130706431 2001:db8::5 40000 typ host\r\n"
                "a=end-of-candidates\r\n"
                "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                "c=IN IP4 0.0.0.0\r\n"
                "a=mid:v\r\n"
                "a=ice-ufrag:swYd\r\n"
                "a=ice-pwd:switchyardswitchyard0123\r\n"
                "a=ice-options:trickle\r\n" +
                fp +
                "a=setup:active\r\n"
                "a=recvonly\r\n"
                "a=rtcp-mux\r\n"
                "a=extmap:2 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                "a=rtpmap:96 VP8/90000\r\n"
                "a=rtcp-fb:96 nack pli\r\n"
                "a=rtpmap:97 rtx/90000\r\n"
                "a=fmtp:97 apt=96\r\n"
                "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                "c=IN IP4 0.0.0.0\r\n"
                "a=mid:d\r\n");
}

TEST(SdpAnswerBuilderTest, TcpCandidatesArePassive) {
  const auto n = negotiated("gst-vp8-opus-offer.sdp", EndpointRole::kWhip);
  auto text = buildAnswerText(n, parameters());
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("a=candidate:2 1 tcp 1694498815 192.0.2.10 40001 typ host tcptype passive"),
            std::string::npos);
  EXPECT_EQ(text->find("extmap-allow-mixed"), std::string::npos);  // GStreamer did not offer it
}

TEST(SdpAnswerBuilderTest, RejectsBadParameters) {
  const auto n = negotiated("chromium-whip-offer.sdp", EndpointRole::kWhip);
  const struct {
    const char* name;
    void (*change)(AnswerParameters&);
    const char* message;
  } cases[] = {
      {"short ufrag", [](AnswerParameters& p) { p.iceUfrag = "abc"; }, "answer: bad ICE ufrag"},
      {"pwd with space", [](AnswerParameters& p) { p.icePwd = "switchyard switchyard0123"; },
       "answer: bad ICE pwd"},
      {"sha-1 sized fingerprint",
       [](AnswerParameters& p) { p.fingerprintSha256 = "AA:BB:CC:DD:EE:FF:00:11:22:33"; },
       "answer: fingerprint is not 32 hex bytes separated by ':'"},
      {"no candidates", [](AnswerParameters& p) { p.candidates.clear(); },
       "answer: an ICE-lite answer needs a candidate"},
      {"candidate port 0", [](AnswerParameters& p) { p.candidates[0].port = 0; },
       "answer: bad candidate 192.0.2.10"},
      {"send stream on a receiving section",
       [](AnswerParameters& p) {
         p.sendStreams = {AnswerSendStream{"1", 1, std::nullopt, "c", "s", "t"}};
       },
       "answer: send stream for mid '1', which does not send"},
      {"send stream for an unknown mid",
       [](AnswerParameters& p) {
         p.sendStreams = {AnswerSendStream{"9", 1, std::nullopt, "c", "s", "t"}};
       },
       "answer: send stream for mid '9', which does not send"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = parameters();
    c.change(p);
    auto r = buildAnswer(n, p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, c.message);
  }
  const auto whep = negotiated("chromium-whep-offer.sdp", EndpointRole::kWhep);
  auto p = parameters();
  p.sendStreams = {AnswerSendStream{"1", 1, std::nullopt, "bad cname", "s", "t"}};
  auto r = buildAnswer(whep, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "answer: send stream for mid '1' has a bad cname or msid");
}

}  // namespace
}  // namespace switchyard::control::sdp
