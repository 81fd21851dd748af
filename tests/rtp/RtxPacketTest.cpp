// RTX (RFC 4588 section 4): encapsulation into a caller buffer, decapsulation in place.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/RtxPacket.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

Bytes toBytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

struct Case {
  const char* name;
  const char* original;  // the media packet
  const char* rtx;       // its RTX form with PT 97, SSRC 0xBBBBBBBB, seq 0x0700
};

const Case kCases[] = {
    {"plain", "80 60 1234 00000064 aaaaaaaa 01020304",
     "80 61 0700 00000064 bbbbbbbb 1234 01020304"},
    {"marker kept", "80 e0 fffe 00000064 aaaaaaaa 05", "80 e1 0700 00000064 bbbbbbbb fffe 05"},
    {"empty payload", "80 60 0001 00000064 aaaaaaaa", "80 61 0700 00000064 bbbbbbbb 0001"},
    {"csrcs and extensions kept",
     "92 60 1234 00000064 aaaaaaaa 11111111 22222222 bede 0001 10aa 0000 0102",
     "92 61 0700 00000064 bbbbbbbb 11111111 22222222 bede 0001 10aa 0000 1234 0102"},
    // The original's padding is not retransmitted.
    {"padding dropped", "a0 60 1234 00000064 aaaaaaaa 0102 0000 03",
     "80 61 0700 00000064 bbbbbbbb 1234 0102"},
};

TEST(RtxPacketTest, EncapsulatesIntoACallerBuffer) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Bytes original = hex(c.original);
    const Bytes originalCopy = original;
    auto media = RtpPacket::parse(original);
    ASSERT_TRUE(media.ok());
    std::vector<uint8_t> out(200, 0xEE);
    auto rtx = RtxPacket::encapsulate(*media, out, 97, 0xBBBBBBBB, 0x0700);
    ASSERT_TRUE(rtx.has_value());
    EXPECT_EQ(toBytes(rtx->bytes()), hex(c.rtx));
    EXPECT_EQ(rtx->capacity(), out.size());
    EXPECT_EQ(rtx->payloadType(), 97);
    EXPECT_EQ(rtx->ssrc(), 0xBBBBBBBBu);
    EXPECT_EQ(rtx->sequenceNumber(), 0x0700);
    EXPECT_EQ(rtx->timestamp(), media->timestamp());
    EXPECT_EQ(rtx->marker(), media->marker());
    EXPECT_EQ(*RtxPacket::originalSequenceNumber(*rtx), media->sequenceNumber());
    EXPECT_EQ(original, originalCopy);  // the source is only read

    // Exactly the right size works; one byte less does not.
    const size_t size = rtx->size();
    std::vector<uint8_t> exact(size);
    EXPECT_TRUE(RtxPacket::encapsulate(*media, exact, 97, 0xBBBBBBBB, 0x0700).has_value());
    std::vector<uint8_t> small(size - 1, 0xEE);
    EXPECT_FALSE(RtxPacket::encapsulate(*media, small, 97, 0xBBBBBBBB, 0x0700).has_value());
    EXPECT_EQ(small, std::vector<uint8_t>(size - 1, 0xEE));
  }
}

TEST(RtxPacketTest, DecapsulatesInPlace) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Bytes bytes = hex(c.rtx);
    auto rtx = RtpPacket::parse(bytes);
    ASSERT_TRUE(rtx.ok());
    RtpPacket packet = *rtx;
    ASSERT_FALSE(RtxPacket::decapsulate(packet, 96, 0xAAAAAAAA).has_value());
    // Round trip: the original without its padding.
    Bytes expected = hex(c.original);
    auto media = RtpPacket::parse(expected);
    ASSERT_TRUE(media.ok());
    expected.resize(media->size() - media->paddingSize());
    expected[0] &= 0xDF;
    EXPECT_EQ(toBytes(packet.bytes()), expected);
    EXPECT_EQ(packet.bytes().data(), bytes.data());  // same buffer
    EXPECT_EQ(packet.capacity(), bytes.size());
    EXPECT_EQ(packet.sequenceNumber(), media->sequenceNumber());
    EXPECT_EQ(packet.payloadType(), 96);
    EXPECT_EQ(packet.ssrc(), 0xAAAAAAAAu);
    EXPECT_EQ(toBytes(packet.payload()), toBytes(media->payload()));
    EXPECT_EQ(packet.extensionCount(), media->extensionCount());
  }
}

TEST(RtxPacketTest, DecapsulateDropsRtxPadding) {
  Bytes bytes = hex("a0 61 0700 00000064 bbbbbbbb 1234 0102 0000 03");
  auto rtx = RtpPacket::parse(bytes);
  ASSERT_TRUE(rtx.ok());
  ASSERT_FALSE(RtxPacket::decapsulate(*rtx, 96, 0xAAAAAAAA).has_value());
  EXPECT_EQ(toBytes(rtx->bytes()), hex("80 60 1234 00000064 aaaaaaaa 0102"));
  EXPECT_EQ(rtx->paddingSize(), 0u);
}

TEST(RtxPacketTest, RejectsWhatCannotBeDecapsulated) {
  struct Bad {
    const char* name;
    const char* hex;
    uint8_t payloadType;
    ParseError error;
  };
  const Bad cases[] = {
      {"no osn", "80 61 0700 00000064 bbbbbbbb", 96, ParseError::kTooShort},
      {"one byte", "80 61 0700 00000064 bbbbbbbb 12", 96, ParseError::kTooShort},
      // Padding-only RTX packets (bandwidth probes) carry no OSN.
      {"padding only", "a0 61 0700 00000064 bbbbbbbb 0000 0004", 96, ParseError::kTooShort},
      {"restored type reads as rtcp", "80 e1 0700 00000064 bbbbbbbb 1234", 72,
       ParseError::kBadPayloadType},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes bytes = hex(c.hex);
    const Bytes before = bytes;
    auto rtx = RtpPacket::parse(bytes);
    ASSERT_TRUE(rtx.ok());
    auto error = RtxPacket::decapsulate(*rtx, c.payloadType, 0xAAAAAAAA);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(*error, c.error);
    EXPECT_EQ(bytes, before);
    EXPECT_EQ(rtx->size(), before.size());
  }
  Bytes media = hex("80 e0 1234 00000064 aaaaaaaa 01");
  auto p = RtpPacket::parse(media);
  std::vector<uint8_t> out(64);
  EXPECT_FALSE(RtxPacket::encapsulate(*p, out, 72, 1, 1).has_value());  // marker + 72 = RTCP
}

std::string field(const std::string& name, const std::string& key) {
  for (size_t at = name.find(key + "="); at != std::string::npos;
       at = name.find(key + "=", at + 1)) {
    if (at != 0 && name[at - 1] != ' ') continue;
    const size_t begin = at + key.size() + 1;
    return name.substr(begin, name.find(' ', begin) - begin);
  }
  return "";
}

// aiortc's retransmissions, each after the packet it repairs: wrapping the original gives the
// captured RTX bytes exactly (aiortc keeps the header extensions too), and unwrapping the
// capture gives the original back.
TEST(RtxPacketTest, AiortcRetransmissionsRoundTrip) {
  namespace fs = std::filesystem;
  if (!fs::exists(fs::path(SWITCHYARD_FIXTURES_DIR) / "rtp" / "aiortc-rtx.hex")) {
    GTEST_SKIP() << "no aiortc-rtx.hex";
  }
  std::map<uint16_t, Bytes> originals;  // by sequence number
  size_t checked = 0;
  for (auto& fixture : test::loadFixture("rtp/aiortc-rtx.hex")) {
    SCOPED_TRACE(fixture.name);
    auto packet = RtpPacket::parse(fixture.bytes);
    ASSERT_TRUE(packet.ok());
    if (fixture.name.rfind("original", 0) == 0) {
      originals[packet->sequenceNumber()] = fixture.bytes;
      continue;
    }
    const uint16_t osn = static_cast<uint16_t>(std::stoul(field(fixture.name, "OSN")));
    EXPECT_EQ(*RtxPacket::originalSequenceNumber(*packet), osn);
    ASSERT_EQ(originals.count(osn), 1u);
    Bytes original = originals[osn];
    auto media = RtpPacket::parse(original);
    ASSERT_TRUE(media.ok());

    std::vector<uint8_t> out(original.size() + RtxPacket::kOsnSize);
    auto wrapped = RtxPacket::encapsulate(*media, out, packet->payloadType(), packet->ssrc(),
                                          packet->sequenceNumber());
    ASSERT_TRUE(wrapped.has_value());
    EXPECT_EQ(toBytes(wrapped->bytes()), fixture.bytes);

    Bytes rtx = fixture.bytes;
    auto unwrapped = RtpPacket::parse(rtx);
    ASSERT_FALSE(RtxPacket::decapsulate(*unwrapped, media->payloadType(), media->ssrc()));
    EXPECT_EQ(toBytes(unwrapped->bytes()), original);
    ++checked;
  }
  EXPECT_GE(checked, 5u);
}

}  // namespace
}  // namespace switchyard::rtp
