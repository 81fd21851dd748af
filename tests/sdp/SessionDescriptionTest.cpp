// SessionDescription: the RFC 8866 line grammar. Every captured offer parses and serializes
// back byte for byte; line ends; unknown attributes and lines kept; malformed input rejected
// with the line number and a readable reason.

#include <gtest/gtest.h>

#include <string>

#include "control/sdp/SessionDescription.hpp"
#include "tests/sdp/SdpFixtures.hpp"

namespace switchyard::control::sdp {
namespace {

using test::allSdpFixtures;
using test::readSdpFixture;

constexpr const char* kMinimal =
    "v=0\r\n"
    "o=- 123 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\n"
    "a=rtcp-mux\r\n"
    "a=x-unknown:some value: with colon\r\n";

std::string withLf(std::string s) {
  std::string out;
  for (char c : s) {
    if (c != '\r') out += c;
  }
  return out;
}

TEST(SessionDescriptionTest, ParsesTheSessionAndMediaLevels) {
  auto sd = SessionDescription::parse(kMinimal);
  ASSERT_TRUE(sd.ok()) << sd.error().toString();
  EXPECT_EQ(sd->origin.username, "-");
  EXPECT_EQ(sd->origin.sessionId, "123");
  EXPECT_EQ(sd->origin.sessionVersion, "2");
  EXPECT_EQ(sd->origin.address, "127.0.0.1");
  EXPECT_EQ(sd->sessionName, "-");
  ASSERT_EQ(sd->timings.size(), 1u);
  EXPECT_EQ(sd->timings[0].start, "0");
  ASSERT_EQ(sd->attributes.size(), 1u);
  EXPECT_EQ(sd->attributes[0].name, "group");
  EXPECT_EQ(sd->attributes[0].value, "BUNDLE 0");
  EXPECT_EQ(sd->attributes[0].line, 5u);
  ASSERT_EQ(sd->media.size(), 1u);
  const auto& m = sd->media[0];
  EXPECT_EQ(m.media, "audio");
  EXPECT_EQ(m.port, 9);
  EXPECT_FALSE(m.portCount.has_value());
  EXPECT_EQ(m.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(m.formats, std::vector<std::string>{"111"});
  EXPECT_EQ(m.line, 6u);
  ASSERT_EQ(m.connections.size(), 1u);
  EXPECT_EQ(m.connections[0].address, "0.0.0.0");
  ASSERT_EQ(m.attributes.size(), 3u);
  EXPECT_FALSE(m.attributes[1].value.has_value());  // a=rtcp-mux: a property attribute
  // The value is everything after the first colon.
  EXPECT_EQ(m.attributes[2].name, "x-unknown");
  EXPECT_EQ(m.attributes[2].value, "some value: with colon");
  EXPECT_TRUE(m.hasAttribute("rtcp-mux"));
  EXPECT_EQ(m.findAttribute("mid")->value, "0");
}

TEST(SessionDescriptionTest, WritesCrlfAndKeepsUnknownAttributes) {
  auto sd = SessionDescription::parse(kMinimal);
  ASSERT_TRUE(sd.ok());
  EXPECT_EQ(sd->serialize(), kMinimal);
}

TEST(SessionDescriptionTest, AcceptsBareLfAndMissingFinalLineEnd) {
  std::string lf = withLf(kMinimal);
  lf.pop_back();  // no final line end
  auto sd = SessionDescription::parse(lf);
  ASSERT_TRUE(sd.ok()) << sd.error().toString();
  EXPECT_EQ(sd->serialize(), kMinimal);  // written back with CRLF
}

TEST(SessionDescriptionTest, SkipsBlankLinesButCountsThem) {
  const std::string text =
      "v=0\r\n\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\nm=x 1 RTP/AVP\r\n";
  auto sd = SessionDescription::parse(text);
  ASSERT_FALSE(sd.ok());
  EXPECT_EQ(sd.error().line, 7u);
  EXPECT_EQ(sd.error().toString().rfind("line 7: bad m= line", 0), 0u) << sd.error().toString();
}

TEST(SessionDescriptionTest, KeepsOptionalSessionLines) {
  const std::string text =
      "v=0\r\no=alice 2890844526 2890842807 IN IP4 198.51.100.1\r\ns=Seminar\r\n"
      "i=A seminar\r\nu=http://www.example.com/seminars/sdp.pdf\r\ne=j.doe@example.com\r\n"
      "p=+1 617 555-6011\r\nc=IN IP4 233.252.0.1/127\r\nb=AS:128\r\n"
      "t=2873397496 2873404696\r\nr=604800 3600 0 90000\r\nz=2882844526 -1h\r\n"
      "a=recvonly\r\nm=audio 49170/2 RTP/AVP 0\r\ni=voice\r\nb=TIAS:64000\r\n"
      "m=video 51372 RTP/AVP 99\r\na=rtpmap:99 h263-1998/90000\r\n";
  auto sd = SessionDescription::parse(text);
  ASSERT_TRUE(sd.ok()) << sd.error().toString();
  EXPECT_EQ(sd->info, "A seminar");
  EXPECT_EQ(sd->emails, std::vector<std::string>{"j.doe@example.com"});
  EXPECT_EQ(sd->connection->address, "233.252.0.1/127");
  ASSERT_EQ(sd->bandwidths.size(), 1u);
  EXPECT_EQ(sd->bandwidths[0].type, "AS");
  EXPECT_EQ(sd->bandwidths[0].value, 128u);
  EXPECT_EQ(sd->timings[0].repeats, std::vector<std::string>{"604800 3600 0 90000"});
  EXPECT_EQ(sd->zone, "2882844526 -1h");
  ASSERT_EQ(sd->media.size(), 2u);
  EXPECT_EQ(sd->media[0].portCount, 2u);
  EXPECT_EQ(sd->media[0].title, "voice");
  EXPECT_EQ(sd->media[0].bandwidths[0].value, 64000u);
  EXPECT_EQ(sd->serialize(), text);
}

// Every fixture (written by Chromium, aiortc and GStreamer with CRLF) serializes back to the
// same bytes, and parse(serialize(x)) == x.
TEST(SessionDescriptionTest, FixturesRoundTripByteForByte) {
  for (const auto& name : allSdpFixtures()) {
    SCOPED_TRACE(name);
    const std::string text = readSdpFixture(name);
    auto sd = SessionDescription::parse(text);
    ASSERT_TRUE(sd.ok()) << sd.error().toString();
    EXPECT_EQ(sd->serialize(), text);
    auto again = SessionDescription::parse(sd->serialize());
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(*again == *sd);
    // And with bare LF line ends the same description comes out.
    auto lf = SessionDescription::parse(withLf(text));
    ASSERT_TRUE(lf.ok());
    EXPECT_TRUE(*lf == *sd);
  }
}

TEST(SessionDescriptionTest, FixtureMediaSections) {
  auto sd = SessionDescription::parse(readSdpFixture("gst-vp8-opus-offer.sdp"));
  ASSERT_TRUE(sd.ok());
  ASSERT_EQ(sd->media.size(), 2u);
  EXPECT_EQ(sd->media[0].media, "video");
  EXPECT_EQ(sd->media[0].port, 9);
  EXPECT_EQ(sd->media[1].media, "audio");
  EXPECT_EQ(sd->media[1].port, 0);  // bundle-only
  EXPECT_TRUE(sd->media[1].hasAttribute("bundle-only"));
  EXPECT_EQ(sd->findAttribute("ice-options")->value, "trickle");
  // GStreamer's own attribute, unknown here, is kept.
  EXPECT_EQ(sd->media[0].findAttribute("framerate")->value, "30");
}

struct MalformedCase {
  const char* name;
  std::string text;
  size_t line;
  const char* message;  // start of SdpError::message
};

std::string session(const std::string& media) {
  return "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + media;
}

std::vector<MalformedCase> malformedCases() {
  std::string nul = session("m=audio 9 RTP/AVP 0\r\n");
  nul.insert(nul.find("s=-") + 2, 1, '\0');
  std::vector<MalformedCase> cases{
      {"empty", "", 0, "empty SDP"},
      {"only line ends", "\r\n\r\n", 0, "empty SDP"},
      {"missing v=", "o=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 1, "missing v= line"},
      {"v=1", "v=1\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 1, "unsupported SDP version"},
      {"second v=", "v=0\r\nv=0\r\n", 2, "second v= line"},
      {"missing o=", "v=0\r\ns=-\r\nt=0 0\r\n", 2, "s= line before o= line"},
      {"missing s=", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\n", 0, "missing s= line"},
      {"missing t=", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n", 4,
       "missing t= line"},
      {"bad o= field count", "v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n", 2, "bad o= line"},
      {"bad o= session id", "v=0\r\no=- x1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 2, "bad o= line"},
      {"second o=", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", 3,
       "second o= line"},
      {"bad t=", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0\r\n", 4, "bad t= line"},
      {"bad c=", session("c=IN IP4\r\n"), 5, "bad c= line"},
      {"bad b=", session("b=AS\r\n"), 5, "bad b= line"},
      {"bad b= value", session("b=AS:-1\r\n"), 5, "bad b= line"},
      {"m= without formats", session("m=audio 9 UDP/TLS/RTP/SAVPF\r\n"), 5, "bad m= line"},
      {"m= with letters for a port", session("m=audio nine RTP/AVP 0\r\n"), 5,
       "bad m= line: bad port"},
      {"port above 65535", session("m=audio 65536 RTP/AVP 0\r\n"), 5, "bad m= line: bad port"},
      {"negative port", session("m=audio -1 RTP/AVP 0\r\n"), 5, "bad m= line: bad port"},
      {"bad port count", session("m=audio 9/0 RTP/AVP 0\r\n"), 5, "bad m= line: bad port count"},
      {"truncated m=", session("m=\r\n"), 5, "bad m= line"},
      {"truncated line", session("a\r\n"), 5, "truncated line"},
      {"line without =", session("m audio 9\r\n"), 5, "truncated line"},
      {"upper-case type", session("M=audio 9 RTP/AVP 0\r\n"), 5, "bad line type"},
      {"unknown type", session("x=whatever\r\n"), 5, "unknown line type 'x='"},
      {"bad attribute name", session("a=:value\r\n"), 5, "bad attribute name"},
      {"attribute name with space", session("a=rtp map:1\r\n"), 5, "bad attribute name"},
      {"o= in a media section", session("m=audio 9 RTP/AVP 0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"), 6,
       "o= line inside a media section"},
      {"t= in a media section", session("m=audio 9 RTP/AVP 0\r\nt=0 0\r\n"), 6,
       "t= line inside a media section"},
      {"NUL byte", nul, 3, "NUL byte"},
      {"control character", session("a=mid:\x01\r\n"), 5, "control character 0x01"},
      {"bare CR inside a line", session("a=mid:0\rx\r\n"), 5, "control character 0x0d"},
  };
  return cases;
}

TEST(SessionDescriptionTest, RejectsMalformedInputWithTheLine) {
  for (const auto& c : malformedCases()) {
    SCOPED_TRACE(c.name);
    auto sd = SessionDescription::parse(c.text);
    ASSERT_FALSE(sd.ok());
    EXPECT_EQ(sd.error().line, c.line) << sd.error().toString();
    EXPECT_EQ(sd.error().message.rfind(c.message, 0), 0u) << sd.error().message;
    if (c.line != 0) {
      EXPECT_EQ(sd.error().toString().rfind("line " + std::to_string(c.line) + ": ", 0), 0u);
    }
  }
}

TEST(SessionDescriptionTest, EnforcesTheLimits) {
  // Size: one byte over 64 KiB, made of harmless attribute lines.
  std::string big = session("m=audio 9 RTP/AVP 0\r\n");
  while (big.size() <= kMaxSdpBytes)
    big += "a=x-pad:0123456789012345678901234567890123456789\r\n";
  auto sd = SessionDescription::parse(big);
  ASSERT_FALSE(sd.ok());
  EXPECT_EQ(sd.error().line, 0u);
  EXPECT_NE(sd.error().message.find("more than the limit of 65536"), std::string::npos);

  std::string manyLines = session("");
  for (size_t i = 0; i < kMaxSdpLines; ++i)
    manyLines += "a=x\n";
  sd = SessionDescription::parse(manyLines);
  ASSERT_FALSE(sd.ok());
  EXPECT_EQ(sd.error().line, kMaxSdpLines + 1);

  std::string longLine = session("a=x-long:" + std::string(kMaxSdpLineLength, 'a') + "\r\n");
  sd = SessionDescription::parse(longLine);
  ASSERT_FALSE(sd.ok());
  EXPECT_EQ(sd.error().line, 5u);

  std::string manySections = session("");
  for (size_t i = 0; i <= kMaxMediaSections; ++i)
    manySections += "m=audio 9 RTP/AVP 0\r\n";
  sd = SessionDescription::parse(manySections);
  ASSERT_FALSE(sd.ok());
  EXPECT_EQ(sd.error().line, 5 + kMaxMediaSections);
  EXPECT_NE(sd.error().message.find("more than 64 media sections"), std::string::npos);

  std::string manyAttributes = session("m=audio 9 RTP/AVP 0\r\n");
  for (size_t i = 0; i <= kMaxAttributesPerLevel; ++i)
    manyAttributes += "a=x\r\n";
  sd = SessionDescription::parse(manyAttributes);
  ASSERT_FALSE(sd.ok());
  EXPECT_EQ(sd.error().line, 6 + kMaxAttributesPerLevel);

  std::string manyFormats = session("m=audio 9 RTP/AVP");
  for (size_t i = 0; i <= kMaxFormatsPerMedia; ++i)
    manyFormats += " 0";
  sd = SessionDescription::parse(manyFormats + "\r\n");
  ASSERT_FALSE(sd.ok());
  EXPECT_EQ(sd.error().line, 5u);

  // Exactly at the limits is fine.
  std::string atLimit = session("");
  for (size_t i = 0; i < kMaxMediaSections; ++i)
    atLimit += "m=audio 9 RTP/AVP 0\r\n";
  EXPECT_TRUE(SessionDescription::parse(atLimit).ok());
}

TEST(SessionDescriptionTest, BuiltInCodeSerializesToParseableText) {
  SessionDescription sd;
  sd.origin.sessionId = "42";
  SdpMediaSection m;
  m.media = "video";
  m.port = 9;
  m.proto = "UDP/TLS/RTP/SAVPF";
  m.formats = {"96", "97"};
  m.attributes.push_back(SdpAttribute{"mid", "v", 0});
  m.attributes.push_back(SdpAttribute{"rtcp-mux", std::nullopt, 0});
  sd.media.push_back(m);
  const std::string text = sd.serialize();
  EXPECT_EQ(text,
            "v=0\r\no=- 42 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
            "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:v\r\na=rtcp-mux\r\n");
  auto back = SessionDescription::parse(text);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == sd);
}

}  // namespace
}  // namespace switchyard::control::sdp
