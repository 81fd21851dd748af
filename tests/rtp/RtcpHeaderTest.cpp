// RTCP common header (RFC 3550 6.4.1): field extraction, padding, and every length rejection.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/rtcp/RtcpHeader.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

struct ValidCase {
  const char* name;
  const char* bytes;
  bool padding;
  uint8_t count;
  uint8_t type;
  uint16_t length;
  size_t packetSize;
  size_t paddingSize;
};

TEST(RtcpHeaderTest, ParsesValidHeaders) {
  const ValidCase cases[] = {
      {"empty RR", "80c90001 11223344", false, 0, kRtcpTypeRr, 1, 8, 0},
      {"SR with one block", "81c8000c", false, 1, kRtcpTypeSr, 12, 52, 0},
      {"PSFB fmt 15", "8fce0002 00000001 00000002", false, 15, kRtcpTypePsfb, 2, 12, 0},
      {"padding of 4", "a0cc0002 00000001 00000004", true, 0, kRtcpTypeApp, 2, 12, 4},
      {"padding of the whole payload", "a1cb0001 00000004", true, 1, kRtcpTypeBye, 1, 8, 4},
      {"count 31", "9fca0000", false, 31, kRtcpTypeSdes, 0, 4, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    bytes.resize(std::max(bytes.size(), c.packetSize));  // the SR case lists only its header
    auto h = RtcpHeader::parse(bytes);
    ASSERT_TRUE(h.ok()) << parseErrorName(h.error());
    EXPECT_EQ(h->padding(), c.padding);
    EXPECT_EQ(h->count(), c.count);
    EXPECT_EQ(h->fmt(), c.count);
    EXPECT_EQ(h->packetType(), c.type);
    EXPECT_EQ(h->length(), c.length);
    EXPECT_EQ(h->packetSize(), c.packetSize);
    EXPECT_EQ(h->paddingSize(), c.paddingSize);
    EXPECT_EQ(h->payloadSize(), c.packetSize - 4 - c.paddingSize);
    EXPECT_EQ(h->payload(bytes).data(), bytes.data() + 4);
    EXPECT_EQ(h->payload(bytes).size(), h->payloadSize());
  }
}

TEST(RtcpHeaderTest, RejectsMalformedHeaders) {
  struct Case {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Case cases[] = {
      {"empty", "", ParseError::kTooShort},
      {"three bytes", "80c900", ParseError::kTooShort},
      {"version 1", "40c90000", ParseError::kBadVersion},
      {"version 3", "c0c90000", ParseError::kBadVersion},
      {"version 0", "00c90000", ParseError::kBadVersion},
      {"length past the buffer", "80c90001", ParseError::kTooShort},
      {"length 0xffff in a short buffer", "80c9ffff 00000000", ParseError::kTooShort},
      {"padding count zero", "a0c90001 00000000", ParseError::kBadPadding},
      {"padding count zero in the header", "a0c90000", ParseError::kBadPadding},
      {"padding beyond the payload", "a0c90001 00000005", ParseError::kBadPadding},
      {"padding of 255 in 8 bytes", "a0c90001 000000ff", ParseError::kBadPadding},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto h = RtcpHeader::parse(hex(c.bytes));
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), c.error) << parseErrorName(h.error());
  }
}

TEST(RtcpHeaderTest, ParseAcceptsTheRestOfACompoundAfterThePacket) {
  auto bytes = hex("80c90001 11223344 81ca0000");
  auto h = RtcpHeader::parse(bytes);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->packetSize(), 8u);
}

TEST(RtcpHeaderTest, ParseExactWantsOnePacketOfTheType) {
  auto rr = hex("80c90001 11223344");
  EXPECT_TRUE(RtcpHeader::parseExact(rr, kRtcpTypeRr).ok());
  EXPECT_EQ(RtcpHeader::parseExact(rr, kRtcpTypeSr).error(), ParseError::kBadPayloadType);
  auto longer = hex("80c90001 11223344 00000000");
  EXPECT_EQ(RtcpHeader::parseExact(longer, kRtcpTypeRr).error(), ParseError::kBadLength);
}

TEST(RtcpHeaderTest, TruncationAtEveryOffsetIsRejected) {
  auto bytes = hex("a1cb0003 11223344 22334455 00000004");
  ASSERT_TRUE(RtcpHeader::parse(bytes).ok());
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    auto h = RtcpHeader::parse(std::span(bytes).first(n));
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), ParseError::kTooShort);
  }
}

TEST(RtcpHeaderTest, WriteRoundTrips) {
  uint8_t out[4];
  ASSERT_EQ(RtcpHeader::write(kRtcpTypeRtpfb, 15, 28, true, out), 4u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 4), hex("afcd0006"));
  ASSERT_EQ(RtcpHeader::write(kRtcpTypeSr, 0, kRtcpMaxPacketSize, false, out), 4u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 4), hex("80c8ffff"));
}

TEST(RtcpHeaderTest, WriteRefusesWhatCannotBeEncoded) {
  uint8_t out[4];
  EXPECT_EQ(RtcpHeader::write(kRtcpTypeRr, 32, 8, false, out), 0u);  // count has 5 bits
  EXPECT_EQ(RtcpHeader::write(kRtcpTypeRr, 0, 10, false, out), 0u);  // not whole words
  EXPECT_EQ(RtcpHeader::write(kRtcpTypeRr, 0, 0, false, out), 0u);
  EXPECT_EQ(RtcpHeader::write(kRtcpTypeRr, 0, kRtcpMaxPacketSize + 4, false, out), 0u);
  EXPECT_EQ(RtcpHeader::write(kRtcpTypeRr, 0, 8, false, std::span(out).first(3)), 0u);
}

TEST(RtcpHeaderTest, ReadsChromiumSrtcpFirstHeaders) {
  // Only the first 8 bytes of an SRTCP datagram are plaintext (RFC 3711 3.4); the datagram ends
  // with the E flag + index word and a 10-byte tag. Names: "... first packet RR count/fmt=2
  // length=13 ssrc=1 | E=1 index=7 | datagram 90B".
  constexpr size_t kSrtcpTrailer = 4 + 10;
  auto fixtures = test::loadFixture("rtp/chromium-srtcp.hex");
  ASSERT_FALSE(fixtures.empty());
  for (const auto& f : fixtures) {
    SCOPED_TRACE(f.name);
    ASSERT_GT(f.bytes.size(), kSrtcpTrailer);
    auto rtcp = std::span(f.bytes).first(f.bytes.size() - kSrtcpTrailer);
    EXPECT_EQ(f.bytes[f.bytes.size() - kSrtcpTrailer] & 0x80, 0x80);  // E: encrypted
    auto field = [&](const char* key) {
      return std::stoul(f.name.substr(f.name.find(key) + std::string(key).size()));
    };
    auto h = RtcpHeader::parse(rtcp);
    if (f.bytes[0] & 0x20) {
      // With P set the pad count is the last octet of the packet: ciphertext, may be anything.
      if (!h.ok()) {
        EXPECT_EQ(h.error(), ParseError::kBadPadding);
        continue;
      }
    }
    ASSERT_TRUE(h.ok()) << parseErrorName(h.error());
    EXPECT_EQ(h->count(), field("count/fmt="));
    EXPECT_EQ(h->length(), field("length="));
    EXPECT_LE(h->packetSize(), rtcp.size());
    uint8_t type = f.name.find("packet SR") != std::string::npos   ? kRtcpTypeSr
                   : f.name.find("packet RR") != std::string::npos ? kRtcpTypeRr
                                                                   : kRtcpTypeRtpfb;
    EXPECT_EQ(h->packetType(), type);
  }
}

}  // namespace
}  // namespace switchyard::rtp
