// IceSdpFragment: application/trickle-ice-sdpfrag bodies (RFC 8840 section 9) as WHIP/WHEP
// PATCH requests and responses carry them (RFC 9725 section 4.3.1): trickled candidates, end of
// candidates, ICE restart credentials. Parse, generate, round trip, malformed bodies.

#include <gtest/gtest.h>

#include "control/sdp/IceSdpFragment.hpp"

namespace switchyard::control::sdp {
namespace {

// A trickle PATCH body in the form of RFC 9725 section 4.3.1's example.
constexpr const char* kTrickle =
    "a=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=mid:0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw "
    "network-id 1\r\n"
    "a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag EsAw "
    "network-id 2\r\n"
    "a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 "
    "ufrag EsAw network-id 1\r\n"
    "a=end-of-candidates\r\n";

// An ICE restart request: session-level options, new credentials (RFC 9725 section 4.4.1).
constexpr const char* kRestart =
    "a=ice-options:trickle ice2\n"
    "a=group:BUNDLE 0 1\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\n"
    "a=mid:0\n"
    "a=ice-ufrag:ysXw\n"
    "a=ice-pwd:vw5LmwG4y/e6dPP/zAP9Gp5k\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\n"
    "a=mid:1\n";

TEST(IceSdpFragmentTest, ParsesATricklePatch) {
  auto f = IceSdpFragment::parse(kTrickle);
  ASSERT_TRUE(f.ok()) << f.error().toString();
  EXPECT_FALSE(f->ufrag.has_value());
  ASSERT_EQ(f->otherAttributes.size(), 1u);
  EXPECT_EQ(f->otherAttributes[0].name, "group");
  EXPECT_EQ(f->otherAttributes[0].value, "BUNDLE 0");
  ASSERT_EQ(f->media.size(), 1u);
  const auto& m = f->media[0];
  EXPECT_EQ(m.mediaLine, "audio 9 UDP/TLS/RTP/SAVPF 111");
  EXPECT_EQ(m.mid, "0");
  EXPECT_EQ(m.ufrag, "EsAw");
  EXPECT_EQ(f->ufragFor(m), "EsAw");
  EXPECT_EQ(f->pwdFor(m), "P2uYro0UCOQ4zxjKXaWCBui1");
  ASSERT_EQ(m.candidates.size(), 3u);
  EXPECT_EQ(m.candidates[1].address, "198.51.100.2");
  EXPECT_EQ(m.candidates[1].port, 61765);
  EXPECT_EQ(m.candidates[1].extension("ufrag"), "EsAw");
  EXPECT_EQ(m.candidates[2].extension("tcptype"), "active");
  EXPECT_TRUE(m.endOfCandidates);
  EXPECT_EQ(f->findByMid("0"), &f->media[0]);
  EXPECT_EQ(f->findByMid("1"), nullptr);
}

TEST(IceSdpFragmentTest, ParsesAnIceRestartWithSessionLevelOptions) {
  auto f = IceSdpFragment::parse(kRestart);  // bare LF accepted
  ASSERT_TRUE(f.ok()) << f.error().toString();
  EXPECT_EQ(f->iceOptions, (std::vector<std::string>{"trickle", "ice2"}));
  ASSERT_EQ(f->media.size(), 2u);
  EXPECT_EQ(f->ufragFor(f->media[0]), "ysXw");
  EXPECT_FALSE(f->ufragFor(f->media[1]).has_value());
  EXPECT_TRUE(f->media[1].candidates.empty());
}

TEST(IceSdpFragmentTest, SessionLevelCredentialsApplyToEveryMedia) {
  auto f = IceSdpFragment::parse(
      "a=ice-ufrag:8hhY\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
      "m=audio 9 RTP/AVP 0\r\na=mid:1\r\n"
      "a=candidate:1 1 UDP 1658497328 198.51.100.33 5000 typ host\r\n"
      "a=candidate:2 1 UDP 1658497328 198.51.100.33 5001 typ host\r\n");
  ASSERT_TRUE(f.ok()) << f.error().toString();
  EXPECT_EQ(f->ufrag, "8hhY");
  EXPECT_EQ(f->ufragFor(f->media[0]), "8hhY");
  EXPECT_EQ(f->pwdFor(f->media[0]), "asd88fgpdd777uzjYhagZg");
  EXPECT_EQ(f->media[0].candidates.size(), 2u);
  EXPECT_FALSE(f->media[0].endOfCandidates);
}

TEST(IceSdpFragmentTest, RoundTrips) {
  for (const char* text : {kTrickle, kRestart}) {
    auto f = IceSdpFragment::parse(text);
    ASSERT_TRUE(f.ok());
    const std::string written = f->serialize();
    auto again = IceSdpFragment::parse(written);
    ASSERT_TRUE(again.ok()) << again.error().toString() << "\n" << written;
    EXPECT_TRUE(*again == *f);
    EXPECT_EQ(again->serialize(), written);
  }
  // kTrickle is already in the order serialize() writes: byte for byte.
  EXPECT_EQ(IceSdpFragment::parse(kTrickle)->serialize(), kTrickle);
}

// The server's 200 OK to an ICE restart: new credentials and its candidate.
TEST(IceSdpFragmentTest, GeneratesARestartResponse) {
  IceSdpFragment f;
  f.iceOptions = {"trickle", "ice2"};
  f.otherAttributes.push_back(SdpAttribute{"ice-lite", std::nullopt, 0});
  f.otherAttributes.push_back(SdpAttribute{"group", "BUNDLE 0", 0});
  IceSdpFragmentMedia m;
  m.mediaLine = "audio 9 UDP/TLS/RTP/SAVPF 111";
  m.mid = "0";
  m.ufrag = "289b31b754eaa438";
  m.pwd = "0b66f472495ef0ccac7bda653ab6be49ea13114472a5d10a";
  auto c = IceCandidate::parse("1 1 udp 2130706431 198.51.100.1 39132 typ host");
  ASSERT_TRUE(c.ok());
  m.candidates.push_back(*c);
  m.endOfCandidates = true;
  f.media.push_back(m);
  EXPECT_EQ(f.serialize(),
            "a=ice-options:trickle ice2\r\n"
            "a=ice-lite\r\n"
            "a=group:BUNDLE 0\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
            "a=mid:0\r\n"
            "a=ice-ufrag:289b31b754eaa438\r\n"
            "a=ice-pwd:0b66f472495ef0ccac7bda653ab6be49ea13114472a5d10a\r\n"
            "a=candidate:1 1 udp 2130706431 198.51.100.1 39132 typ host\r\n"
            "a=end-of-candidates\r\n");
}

TEST(IceSdpFragmentTest, RejectsMalformedFragments) {
  std::string nul = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n";
  nul[5] = '\0';
  const struct {
    const char* name;
    std::string text;
    size_t line;
    const char* message;
  } cases[] = {
      {"empty", "", 0, "empty trickle-ICE fragment"},
      {"candidate before any m=", "a=candidate:1 1 udp 1 192.0.2.1 1 typ host\r\n", 1,
       "a=candidate before any m= line"},
      {"v= line", "v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n", 1,
       "v= line in a trickle-ICE fragment"},
      {"short m= line", "m=audio 9\r\na=mid:0\r\n", 1, "bad m= line"},
      {"m= without a=mid", "m=audio 9 RTP/AVP 0\r\na=end-of-candidates\r\n", 0,
       "m= line audio 9 RTP/AVP 0 without a=mid"},
      {"duplicate mid", "m=audio 9 RTP/AVP 0\r\na=mid:0\r\nm=video 9 RTP/AVP 96\r\na=mid:0\r\n", 4,
       "duplicate mid '0'"},
      {"two mids", "m=audio 9 RTP/AVP 0\r\na=mid:0\r\na=mid:1\r\n", 3,
       "second a=mid in one media section"},
      {"bad ufrag", "m=audio 9 RTP/AVP 0\r\na=mid:0\r\na=ice-ufrag:a b\r\n", 3, "bad a=ice-ufrag"},
      {"second pwd", "a=ice-pwd:asd88fgpdd777uzjYhagZg\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n", 2,
       "second a=ice-pwd"},
      {"bad candidate", "m=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 1 192.0.2.1\r\n", 3,
       "bad candidate: fewer than 8 fields"},
      {"bad attribute", "a= x\r\n", 1, "bad attribute name"},
      // Found by IceSdpFragmentFuzz: an empty list was accepted and then not written back.
      {"empty ice-options", "a=ice-options:", 1, "bad a=ice-options"},
      {"second ice-options", "a=ice-options:trickle\r\na=ice-options:ice2\r\n", 2,
       "bad a=ice-options"},
      {"truncated line", "m=audio 9 RTP/AVP 0\r\na\r\n", 2, "truncated line"},
      {"NUL byte", nul, 1, "NUL byte"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto f = IceSdpFragment::parse(c.text);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().line, c.line) << f.error().toString();
    EXPECT_EQ(f.error().message.rfind(c.message, 0), 0u) << f.error().message;
  }
}

TEST(IceSdpFragmentTest, EnforcesLimits) {
  std::string many = "m=audio 9 RTP/AVP 0\r\na=mid:0\r\n";
  for (size_t i = 0; i <= kMaxSdpFragmentCandidates; ++i) {
    many += "a=candidate:" + std::to_string(i) + " 1 udp 1 192.0.2.1 1 typ host\r\n";
  }
  auto f = IceSdpFragment::parse(many);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message, "too many candidates");
  EXPECT_EQ(f.error().line, 3 + kMaxSdpFragmentCandidates);

  std::string big = "m=audio 9 RTP/AVP 0\r\na=mid:0\r\n";
  while (big.size() <= kMaxSdpFragmentBytes)
    big += "a=x-pad:0123456789\r\n";
  f = IceSdpFragment::parse(big);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().line, 0u);
}

}  // namespace
}  // namespace switchyard::control::sdp
