// IceCandidate: the a=candidate grammar of RFC 8839 section 5.1, on candidate lines written by
// Chromium, aiortc and GStreamer (tests/fixtures/sdp/) and on RFC examples; malformed lines.

#include <gtest/gtest.h>

#include <string>

#include "control/sdp/IceCandidate.hpp"

namespace switchyard::control::sdp {
namespace {

struct ValidCase {
  const char* source;
  const char* value;  // text after "a=candidate:"
  const char* foundation;
  uint16_t component;
  const char* transport;
  uint32_t priority;
  const char* address;
  uint16_t port;
  const char* type;
  std::optional<std::string> raddr;
  std::optional<uint16_t> rport;
  std::vector<std::pair<std::string, std::string>> extensions;
};

const ValidCase kValid[] = {
    {"chromium-whip-offer.sdp line 11",
     "1430225355 1 udp 2122260223 127.0.0.1 50014 typ host generation 0 network-id 1 "
     "network-cost 50",
     "1430225355",
     1,
     "udp",
     2122260223u,
     "127.0.0.1",
     50014,
     "host",
     std::nullopt,
     std::nullopt,
     {{"generation", "0"}, {"network-id", "1"}, {"network-cost", "50"}}},
    {"chromium-whip-offer.sdp line 12 (ICE-TCP active)",
     "737174355 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 "
     "network-cost 50",
     "737174355",
     1,
     "tcp",
     1518280447u,
     "127.0.0.1",
     9,
     "host",
     std::nullopt,
     std::nullopt,
     {{"tcptype", "active"}, {"generation", "0"}, {"network-id", "1"}, {"network-cost", "50"}}},
    {"aiortc-publish-offer.sdp line 20",
     "16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 47961 typ host",
     "16572de626da4e5384a0ce2d0d93678a",
     1,
     "udp",
     2130706431u,
     "127.0.0.1",
     47961,
     "host",
     std::nullopt,
     std::nullopt,
     {}},
    {"gst-vp8-opus-offer.sdp line 27 (upper-case transport)",
     "3 1 TCP 1010827519 127.0.0.1 49765 typ host tcptype passive",
     "3",
     1,
     "TCP",
     1010827519u,
     "127.0.0.1",
     49765,
     "host",
     std::nullopt,
     std::nullopt,
     {{"tcptype", "passive"}}},
    {"RFC 8839 section 5.1 style srflx with raddr/rport",
     "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998",
     "2",
     1,
     "UDP",
     1694498815u,
     "192.0.2.3",
     45664,
     "srflx",
     std::string("10.0.1.1"),
     uint16_t{8998},
     {}},
    {"IPv6 relay",
     "a+/Z 2 udp 41885439 2001:db8::1 3478 typ relay raddr :: rport 0",
     "a+/Z",
     2,
     "udp",
     41885439u,
     "2001:db8::1",
     3478,
     "relay",
     std::string("::"),
     uint16_t{0},
     {}},
    {"mDNS host name (Chromium with address hiding)",
     "1 1 udp 2113937151 4d5c7a0e-5b0c-4a8e-9d61-2b1f2f6c3a11.local 56143 typ host generation 0",
     "1",
     1,
     "udp",
     2113937151u,
     "4d5c7a0e-5b0c-4a8e-9d61-2b1f2f6c3a11.local",
     56143,
     "host",
     std::nullopt,
     std::nullopt,
     {{"generation", "0"}}},
    {"RFC 9725 section 4.3.1 PATCH candidate with ufrag",
     "1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1",
     "1387637174",
     1,
     "udp",
     2122260223u,
     "192.0.2.1",
     61764,
     "host",
     std::nullopt,
     std::nullopt,
     {{"generation", "0"}, {"ufrag", "EsAw"}, {"network-id", "1"}}},
};

TEST(IceCandidateTest, ParsesRealCandidates) {
  for (const auto& c : kValid) {
    SCOPED_TRACE(c.source);
    auto p = IceCandidate::parse(c.value);
    ASSERT_TRUE(p.ok()) << p.error().toString();
    EXPECT_EQ(p->foundation, c.foundation);
    EXPECT_EQ(p->component, c.component);
    EXPECT_EQ(p->transport, c.transport);
    EXPECT_EQ(p->priority, c.priority);
    EXPECT_EQ(p->address, c.address);
    EXPECT_EQ(p->port, c.port);
    EXPECT_EQ(p->type, c.type);
    EXPECT_EQ(p->relatedAddress, c.raddr);
    EXPECT_EQ(p->relatedPort, c.rport);
    EXPECT_EQ(p->extensions, c.extensions);
    // Written back exactly as the client wrote it.
    EXPECT_EQ(p->toString(), c.value);
  }
}

TEST(IceCandidateTest, ExtensionLookupAndTransport) {
  auto p = IceCandidate::parse(kValid[1].value);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->extension("tcptype"), "active");
  EXPECT_FALSE(p->extension("ufrag").has_value());
  EXPECT_FALSE(p->isUdp());
  auto g = IceCandidate::parse("1 1 UDP 2015363327 127.0.0.1 36181 typ host");
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->isUdp());  // case-insensitive (GStreamer writes "UDP")
}

TEST(IceCandidateTest, RejectsMalformedCandidates) {
  const struct {
    const char* value;
    const char* message;
  } cases[] = {
      {"", "bad candidate: fewer than 8 fields"},
      {"1 1 udp 2122260223 127.0.0.1 50014 typ", "bad candidate: fewer than 8 fields"},
      {"1 1 udp 2122260223 127.0.0.1 50014 type host", "bad candidate: expected 'typ'"},
      {"foo_bar 1 udp 1 127.0.0.1 1 typ host", "bad candidate foundation"},
      {"012345678901234567890123456789012 1 udp 1 127.0.0.1 1 typ host",
       "bad candidate foundation"},
      {"1 0 udp 1 127.0.0.1 1 typ host", "bad candidate component id"},
      {"1 257 udp 1 127.0.0.1 1 typ host", "bad candidate component id"},
      {"1 x udp 1 127.0.0.1 1 typ host", "bad candidate component id"},
      {"1 1 udp 4294967296 127.0.0.1 1 typ host", "bad candidate priority"},
      {"1 1 udp -5 127.0.0.1 1 typ host", "bad candidate priority"},
      {"1 1 udp 1 127.0.0.1 65536 typ host", "bad candidate port"},
      {"1 1 udp 1 127.0.0.1 1 typ host raddr", "bad candidate: extension without a value"},
      {"1 1 udp 1 127.0.0.1 1 typ srflx raddr 1.2.3.4 rport x", "bad candidate rport"},
      {"1 1 udp 1 127.0.0.1 1 typ host generation", "bad candidate: extension without a value"},
      {"1 1 ud(p 1 127.0.0.1 1 typ host", "bad candidate transport"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    auto p = IceCandidate::parse(c.value);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().message, c.message);
  }
}

TEST(IceCandidateTest, CredentialGrammar) {
  // RFC 8839 section 5.4: 4..256 and 22..256 ice-chars.
  EXPECT_TRUE(isValidIceUfrag("Q1Ay"));
  EXPECT_TRUE(isValidIceUfrag("Kd/uF/+BoGRts/g2jmndff77NCIlvpsV"));
  EXPECT_FALSE(isValidIceUfrag("abc"));
  EXPECT_FALSE(isValidIceUfrag("ab-cd"));
  EXPECT_FALSE(isValidIceUfrag(std::string(257, 'a')));
  EXPECT_TRUE(isValidIcePwd("220UKG2lsujKHDpOqq2QjVk9"));
  EXPECT_TRUE(isValidIcePwd("RSLJlP4fFab954B6cZdy8r"));  // aiortc: exactly 22
  EXPECT_FALSE(isValidIcePwd("RSLJlP4fFab954B6cZdy8"));  // 21
}

}  // namespace
}  // namespace switchyard::control::sdp
