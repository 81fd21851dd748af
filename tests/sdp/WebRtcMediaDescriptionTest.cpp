// WebRtcMediaDescription: how one m-section's attributes are read (payload types, rtpmap /
// fmtp / rtcp-fb, extmap, ssrc, rid, simulcast, ICE, DTLS), and the WebRTC-level errors an
// offer can carry, each reported with its line number. Table-driven.

#include <gtest/gtest.h>

#include "control/sdp/WebRtcMediaDescription.hpp"
#include "control/sdp/WebRtcSessionDescription.hpp"

namespace switchyard::control::sdp {
namespace {

// Lines 1-4 are the session header, so the first media line is line 5.
std::string offer(const std::string& media, const std::string& sessionAttributes = "") {
  return "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + sessionAttributes + media;
}

const std::string kVideo =
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"  // line 5
    "a=mid:v\r\n"                            // 6
    "a=rtpmap:96 VP8/90000\r\n"              // 7
    "a=rtpmap:97 rtx/90000\r\n"              // 8
    "a=fmtp:97 apt=96;rtx-time=3000\r\n";    // 9

WebRtcMediaDescription section(const std::string& extra) {
  auto d = WebRtcSessionDescription::parse(offer(kVideo + extra));
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().toString());
  return d.ok() ? d->media.at(0) : WebRtcMediaDescription{};
}

TEST(WebRtcMediaDescriptionTest, ReadsCodecsAndFeedback) {
  const auto m =
      section("a=rtcp-fb:96 nack\r\na=rtcp-fb:96  nack   pli\r\na=rtcp-fb:* transport-cc\r\n");
  ASSERT_EQ(m.codecs.size(), 2u);
  EXPECT_EQ(m.codecs[0].feedback,
            (std::vector<std::string>{"nack", "nack pli", "transport-cc"}));  // spaces folded
  EXPECT_EQ(m.codecs[1].feedback, std::vector<std::string>{"transport-cc"});  // wildcard
  EXPECT_TRUE(m.codecs[1].isRtx());
  EXPECT_EQ(m.codecs[1].rtxApt(), 96);
  EXPECT_EQ(m.codecs[1].fmtp.get("rtx-time"), "3000");
  EXPECT_TRUE(m.codecs[0].fromRtpmap);
  EXPECT_EQ(m.direction, MediaDirection::kSendRecv);  // the default
  EXPECT_TRUE(m.isRtp());
}

TEST(WebRtcMediaDescriptionTest, StaticPayloadTypesWithoutRtpmap) {
  auto d =
      WebRtcSessionDescription::parse(offer("m=audio 9 UDP/TLS/RTP/SAVPF 0 8 101\r\na=mid:a\r\n"));
  ASSERT_TRUE(d.ok());
  const auto& m = d->media[0];
  EXPECT_EQ(m.findCodec(0)->name, "PCMU");
  EXPECT_EQ(m.findCodec(8)->name, "PCMA");
  EXPECT_EQ(m.findCodec(8)->clockRate, 8000u);
  EXPECT_FALSE(m.findCodec(0)->fromRtpmap);
  EXPECT_TRUE(m.findCodec(101)->name.empty());  // dynamic, never mapped: unusable
}

TEST(WebRtcMediaDescriptionTest, ReadsExtmapSsrcRidSimulcast) {
  const auto m = section(
      "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
      "a=extmap:200/sendonly urn:example:two-byte attr1 attr2\r\n"
      "a=extmap-allow-mixed\r\n"
      "a=ssrc-group:FID 11 12\r\n"
      "a=ssrc:11 cname:c1\r\na=ssrc:11 msid:s t\r\na=ssrc:12 cname:c1\r\na=ssrc:11 label:x\r\n"
      "a=msid:s t\r\n"
      "a=rid:lo send pt=96;max-width=320\r\na=rid:hi send\r\na=simulcast:send lo;~hi\r\n");
  ASSERT_EQ(m.extensions.size(), 2u);
  EXPECT_EQ(m.extensions[1].id, 200);
  EXPECT_EQ(m.extensions[1].direction, MediaDirection::kSendOnly);
  EXPECT_EQ(m.extensions[1].uri, "urn:example:two-byte");
  EXPECT_EQ(m.extensions[1].attributes, "attr1 attr2");
  EXPECT_TRUE(m.extmapAllowMixed);
  ASSERT_EQ(m.ssrcs.size(), 2u);
  EXPECT_EQ(m.ssrcs[0].cname, "c1");
  EXPECT_EQ(m.ssrcs[0].msid, (Msid{"s", "t"}));
  EXPECT_FALSE(m.ssrcs[1].msid.has_value());
  EXPECT_EQ(m.ssrcGroups[0].ssrcs, (std::vector<uint32_t>{11, 12}));
  EXPECT_EQ(m.msids[0], (Msid{"s", "t"}));
  ASSERT_EQ(m.rids.size(), 2u);
  EXPECT_EQ(m.rids[0].payloadTypes, std::vector<std::string>{"96"});
  ASSERT_TRUE(m.simulcast.has_value());
  EXPECT_TRUE(m.simulcast->send[1][0].paused);
}

TEST(WebRtcMediaDescriptionTest, PortZeroRejectsUnlessBundleOnly) {
  auto d = WebRtcSessionDescription::parse(
      offer("m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\n"
            "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=bundle-only\r\n"));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->media[0].rejected());
  EXPECT_FALSE(d->media[1].rejected());
}

struct BadCase {
  const char* name;
  std::string text;
  size_t line;
  const char* message;
};

std::vector<BadCase> badCases() {
  return {
      {"payload type out of range", offer("m=video 9 UDP/TLS/RTP/SAVPF 96 128\r\n"), 5,
       "bad m= line: payload type '128' out of range 0-127"},
      {"payload type not a number", offer("m=video 9 UDP/TLS/RTP/SAVPF vp8\r\n"), 5,
       "bad m= line: payload type 'vp8' out of range 0-127"},
      {"payload type twice", offer("m=video 9 UDP/TLS/RTP/SAVPF 96 96\r\n"), 5,
       "bad m= line: payload type 96 listed twice"},
      {"rtpmap for a payload type not in the m= line", offer(kVideo + "a=rtpmap:100 VP9/90000\r\n"),
       10, "a=rtpmap for payload type 100 not in the m= line"},
      {"second rtpmap", offer(kVideo + "a=rtpmap:96 VP9/90000\r\n"), 10,
       "second a=rtpmap for payload type 96"},
      {"rtpmap without clock rate", offer("m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8\r\n"),
       6, "bad a=rtpmap encoding"},
      {"rtpmap with zero channels",
       offer("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/0\r\n"), 6,
       "bad a=rtpmap channel count"},
      {"fmtp for an unknown payload type", offer(kVideo + "a=fmtp:98 apt=96\r\n"), 10,
       "a=fmtp for payload type 98 not in the m= line"},
      {"second fmtp", offer(kVideo + "a=fmtp:97 apt=96\r\n"), 10,
       "second a=fmtp for one payload type"},
      {"rtcp-fb for an unknown payload type", offer(kVideo + "a=rtcp-fb:99 nack\r\n"), 10,
       "a=rtcp-fb for payload type 99 not in the m= line"},
      {"rtcp-fb without a type", offer(kVideo + "a=rtcp-fb:96 \r\n"), 10,
       "bad a=rtcp-fb: no feedback type"},
      {"duplicate mid", offer(kVideo + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:v\r\n"), 11,
       "duplicate mid 'v'"},
      {"two mids in a section", offer(kVideo + "a=mid:w\r\n"), 10,
       "second a=mid in one media section"},
      {"empty mid", offer("m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:\r\n"), 6, "bad a=mid"},
      {"two directions", offer(kVideo + "a=sendonly\r\na=recvonly\r\n"), 11,
       "second direction attribute (a=recvonly)"},
      {"extmap id 0", offer(kVideo + "a=extmap:0 urn:x\r\n"), 10, "bad extmap id '0'"},
      {"extmap id 256", offer(kVideo + "a=extmap:256 urn:x\r\n"), 10, "bad extmap id '256'"},
      {"extmap id twice", offer(kVideo + "a=extmap:3 urn:x\r\na=extmap:3 urn:y\r\n"), 11,
       "extmap id 3 used twice"},
      {"extmap without URI", offer(kVideo + "a=extmap:3\r\n"), 10, "bad extmap: missing URI"},
      {"extmap bad direction", offer(kVideo + "a=extmap:3/both urn:x\r\n"), 10,
       "bad extmap direction"},
      {"short ufrag", offer(kVideo + "a=ice-ufrag:abc\r\n"), 10, "bad a=ice-ufrag"},
      {"ufrag with a bad character", offer(kVideo + "a=ice-ufrag:ab_cd\r\n"), 10,
       "bad a=ice-ufrag"},
      {"short pwd", offer(kVideo + "a=ice-pwd:short\r\n"), 10, "bad a=ice-pwd"},
      {"empty ice-options", offer(kVideo + "a=ice-options:\r\n"), 10, "bad a=ice-options"},
      {"bad fingerprint hex", offer(kVideo + "a=fingerprint:sha-256 AB:CD:EG\r\n"), 10,
       "bad a=fingerprint"},
      {"fingerprint without hash", offer(kVideo + "a=fingerprint:AB:CD\r\n"), 10,
       "bad a=fingerprint"},
      {"bad setup", offer(kVideo + "a=setup:server\r\n"), 10, "bad a=setup 'server'"},
      {"bad candidate", offer(kVideo + "a=candidate:1 1 udp 1 127.0.0.1 99999 typ host\r\n"), 10,
       "bad candidate port"},
      {"bad ssrc", offer(kVideo + "a=ssrc:4294967296 cname:x\r\n"), 10, "bad a=ssrc"},
      {"bad ssrc-group", offer(kVideo + "a=ssrc-group:FID\r\n"), 10, "bad a=ssrc-group"},
      {"bad rid", offer(kVideo + "a=rid:q both\r\n"), 10, "bad rid direction 'both'"},
      {"rid twice", offer(kVideo + "a=rid:q send\r\na=rid:q send\r\n"), 11,
       "rid 'q' defined twice"},
      {"rid names a payload type not in the m= line", offer(kVideo + "a=rid:q send pt=100\r\n"), 5,
       "rid 'q' names payload type 100 that is not in the m= line"},
      {"bad simulcast", offer(kVideo + "a=simulcast:send\r\n"), 10, "bad simulcast attribute"},
      {"bad session-level setup", offer(kVideo, "a=setup:x\r\n"), 5, "bad a=setup 'x'"},
      {"BUNDLE names an unknown mid", offer(kVideo, "a=group:BUNDLE v w\r\n"), 5,
       "BUNDLE group names mid 'w' that no m-section has"},
      {"mid in two BUNDLE groups", offer(kVideo, "a=group:BUNDLE v\r\na=group:BUNDLE v\r\n"), 6,
       "mid 'v' in BUNDLE groups twice"},
      {"bad sctp-port",
       offer("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
             "a=sctp-port:70000\r\n"),
       6, "bad a=sctp-port"},
  };
}

TEST(WebRtcMediaDescriptionTest, RejectsBadAttributesWithTheLine) {
  for (const auto& c : badCases()) {
    SCOPED_TRACE(c.name);
    auto d = WebRtcSessionDescription::parse(c.text);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().line, c.line) << d.error().toString();
    EXPECT_EQ(d.error().message.rfind(c.message, 0), 0u) << d.error().message;
  }
}

TEST(WebRtcMediaDescriptionTest, EnforcesListLimits) {
  std::string candidates;
  for (size_t i = 0; i <= kMaxCandidatesPerSection; ++i) {
    candidates += "a=candidate:" + std::to_string(i) + " 1 udp 1 127.0.0.1 1 typ host\r\n";
  }
  auto d = WebRtcSessionDescription::parse(offer(kVideo + candidates));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "too many candidates");
  EXPECT_EQ(d.error().line, 10 + kMaxCandidatesPerSection);

  std::string ssrcs;
  for (size_t i = 0; i <= kMaxSsrcsPerSection; ++i) {
    ssrcs += "a=ssrc:" + std::to_string(i + 1) + " cname:x\r\n";
  }
  d = WebRtcSessionDescription::parse(offer(kVideo + ssrcs));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "too many SSRCs");

  std::string rids;
  for (size_t i = 0; i <= kMaxRidsPerSection; ++i)
    rids += "a=rid:r" + std::to_string(i) + " send\r\n";
  d = WebRtcSessionDescription::parse(offer(kVideo + rids));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "too many a=rid");
}

TEST(WebRtcMediaDescriptionTest, DirectionHelpers) {
  EXPECT_EQ(reverseDirection(MediaDirection::kSendOnly), MediaDirection::kRecvOnly);
  EXPECT_EQ(reverseDirection(MediaDirection::kRecvOnly), MediaDirection::kSendOnly);
  EXPECT_EQ(reverseDirection(MediaDirection::kSendRecv), MediaDirection::kSendRecv);
  EXPECT_TRUE(directionSends(MediaDirection::kSendRecv));
  EXPECT_FALSE(directionSends(MediaDirection::kRecvOnly));
  EXPECT_TRUE(directionReceives(MediaDirection::kRecvOnly));
  EXPECT_FALSE(directionReceives(MediaDirection::kInactive));
  EXPECT_EQ(parseMediaDirection("inactive"), MediaDirection::kInactive);
  EXPECT_FALSE(parseMediaDirection("recv").has_value());
}

}  // namespace
}  // namespace switchyard::control::sdp
