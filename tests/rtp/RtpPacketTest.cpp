// RtpPacket: RFC 3550 section 5.1 layout checks, RFC 8285 extension indexing and in-place
// editing (one-byte <-> two-byte forms, with and without CSRCs and padding, capacity limits).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/RtpPacket.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

// A packet buffer with room to grow: the first `size` bytes are the packet.
struct Buffer {
  Buffer(const Bytes& packet, size_t capacity) : storage(std::max(capacity, packet.size()), 0xEE) {
    std::copy(packet.begin(), packet.end(), storage.begin());
    size = packet.size();
  }
  std::span<uint8_t> bytes() { return {storage.data(), size}; }
  Parsed<RtpPacket> parse() { return RtpPacket::parse(bytes(), storage.size()); }
  std::vector<uint8_t> storage;
  size_t size;
};

Bytes toBytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

// --- Valid packets ------------------------------------------------------------------------

struct ValidCase {
  const char* name;
  std::string hex;
  bool marker;
  uint8_t payloadType;
  uint16_t sequenceNumber;
  uint32_t timestamp;
  uint32_t ssrc;
  std::vector<uint32_t> csrcs;
  size_t headerSize;
  const char* payload;
  size_t paddingSize;
  RtpPacket::ExtensionForm form;
  uint16_t profile;
  std::vector<std::pair<uint8_t, const char*>> extensions;  // id -> value hex, wire order
};

const ValidCase kValidCases[] = {
    {"minimal",
     "80 60 0001 00000002 12345678 61626364",
     false,
     96,
     1,
     2,
     0x12345678,
     {},
     12,
     "61626364",
     0,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    {"empty payload",
     "80 60 ffff ffffffff 00000000",
     false,
     96,
     0xFFFF,
     0xFFFFFFFF,
     0,
     {},
     12,
     "",
     0,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    {"marker, pt 127",
     "80 ff 1234 00000000 00000001 aa",
     true,
     127,
     0x1234,
     0,
     1,
     {},
     12,
     "aa",
     0,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    // RFC 5761 section 4: byte 1 below 192 or above 223 is RTP, marker or not.
    {"marker, pt 63 (byte 191)",
     "80 bf 0001 00000000 00000001",
     true,
     63,
     1,
     0,
     1,
     {},
     12,
     "",
     0,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    {"marker, pt 96 (byte 224)",
     "80 e0 0001 00000000 00000001",
     true,
     96,
     1,
     0,
     1,
     {},
     12,
     "",
     0,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    {"no marker, pt 72",
     "80 48 0001 00000000 00000001",
     false,
     72,
     1,
     0,
     1,
     {},
     12,
     "",
     0,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    {"two csrcs",
     "82 08 0102 03040506 0708090a 11111111 22222222 c0ff",
     false,
     8,
     0x0102,
     0x03040506,
     0x0708090A,
     {0x11111111, 0x22222222},
     20,
     "c0ff",
     0,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    {"fifteen csrcs",
     "8f 00 0000 00000000 00000000" + std::string(15 * 8, '1') + "99",
     false,
     0,
     0,
     0,
     0,
     std::vector<uint32_t>(15, 0x11111111),
     72,
     "99",
     0,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    {"padding 3",
     "a0 60 0001 00000000 00000001 6162 0000 03",
     false,
     96,
     1,
     0,
     1,
     {},
     12,
     "6162",
     3,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    {"padding only",
     "a0 60 0001 00000000 00000001 00000004",
     false,
     96,
     1,
     0,
     1,
     {},
     12,
     "",
     4,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    {"padding 1",
     "a0 60 0001 00000000 00000001 ab 01",
     false,
     96,
     1,
     0,
     1,
     {},
     12,
     "ab",
     1,
     RtpPacket::ExtensionForm::kNone,
     0,
     {}},
    // RFC 8285 section 4.2 figure: ID/L=0 + 1 byte, ID/L=1 + 2 bytes, two pad bytes, ID/L=3 +
    // 4 bytes; length 3 words.
    {"rfc 8285 one-byte example",
     "90 60 0001 00000000 00000001 bede 0003 10aa 21bbbb 0000 33cccccccc ff",
     false,
     96,
     1,
     0,
     1,
     {},
     28,
     "ff",
     0,
     RtpPacket::ExtensionForm::kOneByte,
     0xBEDE,
     {{1, "aa"}, {2, "bbbb"}, {3, "cccccccc"}}},
    // RFC 8285 section 4.3 figure: ID/L=0, ID/L=1 + 1 byte, a pad byte, ID/L=4 + 4 bytes.
    {"rfc 8285 two-byte example",
     "90 60 0001 00000000 00000001 1000 0003 0100 0201aa 00 0304dddddddd",
     false,
     96,
     1,
     0,
     1,
     {},
     28,
     "",
     0,
     RtpPacket::ExtensionForm::kTwoByte,
     0x1000,
     {{1, ""}, {2, "aa"}, {3, "dddddddd"}}},
    {"two-byte appbits and high id",
     "90 60 0001 00000000 00000001 100f 0001 ff01 ee 00 5a",
     false,
     96,
     1,
     0,
     1,
     {},
     20,
     "5a",
     0,
     RtpPacket::ExtensionForm::kTwoByte,
     0x100F,
     {{255, "ee"}}},
    {"one-byte stop id ends the block",
     "90 60 0001 00000000 00000001 bede 0002 10aa f0 21bbbb 0000",
     false,
     96,
     1,
     0,
     1,
     {},
     24,
     "",
     0,
     RtpPacket::ExtensionForm::kOneByte,
     0xBEDE,
     {{1, "aa"}}},
    // libwebrtc's reading: an id-0 byte is a single padding byte whatever its length bits.
    {"one-byte id 0 is one padding byte",
     "90 60 0001 00000000 00000001 bede 0001 05 10aa 00",
     false,
     96,
     1,
     0,
     1,
     {},
     20,
     "",
     0,
     RtpPacket::ExtensionForm::kOneByte,
     0xBEDE,
     {{1, "aa"}}},
    {"sixteen-byte one-byte element",
     "90 60 0001 00000000 00000001 bede 0005 7f 000102030405060708090a0b0c0d0e0f 000000",
     false,
     96,
     1,
     0,
     1,
     {},
     36,
     "",
     0,
     RtpPacket::ExtensionForm::kOneByte,
     0xBEDE,
     {{7, "000102030405060708090a0b0c0d0e0f"}}},
    {"empty one-byte block",
     "90 60 0001 00000000 00000001 bede 0000 01",
     false,
     96,
     1,
     0,
     1,
     {},
     16,
     "01",
     0,
     RtpPacket::ExtensionForm::kOneByte,
     0xBEDE,
     {}},
    {"foreign profile kept opaque",
     "90 60 0001 00000000 00000001 abcd 0001 11223344 99",
     false,
     96,
     1,
     0,
     1,
     {},
     20,
     "99",
     0,
     RtpPacket::ExtensionForm::kOther,
     0xABCD,
     {}},
    {"csrc, extension and padding",
     "b1 e0 0001 00000000 00000001 cafebabe bede 0001 22010203 7777 02",
     true,
     96,
     1,
     0,
     1,
     {0xCAFEBABE},
     24,
     "77",
     2,
     RtpPacket::ExtensionForm::kOneByte,
     0xBEDE,
     {{2, "010203"}}},
};

TEST(RtpPacketTest, ParsesValidPackets) {
  for (const ValidCase& c : kValidCases) {
    SCOPED_TRACE(c.name);
    Bytes bytes = hex(c.hex);
    auto parsed = RtpPacket::parse(bytes);
    ASSERT_TRUE(parsed.ok()) << parseErrorName(parsed.error());
    const RtpPacket& p = *parsed;
    EXPECT_EQ(p.marker(), c.marker);
    EXPECT_EQ(p.payloadType(), c.payloadType);
    EXPECT_EQ(p.sequenceNumber(), c.sequenceNumber);
    EXPECT_EQ(p.timestamp(), c.timestamp);
    EXPECT_EQ(p.ssrc(), c.ssrc);
    ASSERT_EQ(p.csrcCount(), c.csrcs.size());
    ASSERT_EQ(p.csrcs().size(), c.csrcs.size());
    for (size_t i = 0; i < c.csrcs.size(); ++i) {
      EXPECT_EQ(p.csrc(i), c.csrcs[i]);
      EXPECT_EQ(p.csrcs()[i], c.csrcs[i]);
    }
    EXPECT_EQ(p.headerSize(), c.headerSize);
    EXPECT_EQ(toBytes(p.payload()), hex(c.payload));
    EXPECT_EQ(p.paddingSize(), c.paddingSize);
    EXPECT_EQ(p.padding().size(), c.paddingSize);
    EXPECT_EQ(p.size(), bytes.size());
    EXPECT_EQ(p.headerSize() + p.payload().size() + p.paddingSize(), bytes.size());
    EXPECT_EQ(p.extensionForm(), c.form);
    EXPECT_EQ(p.extensionProfile(), c.profile);
    ASSERT_EQ(p.extensionCount(), c.extensions.size());
    for (size_t i = 0; i < c.extensions.size(); ++i) {
      const auto& [id, value] = c.extensions[i];
      EXPECT_EQ(p.extensionAt(i).id, id);
      EXPECT_EQ(toBytes(p.extensionAt(i).value), hex(value));
      auto found = p.extension(id);
      ASSERT_TRUE(found.has_value()) << "id " << int(id);
      EXPECT_EQ(toBytes(*found), hex(value));
      EXPECT_TRUE(p.hasExtension(id));
    }
    for (int id = 0; id < 256; ++id) {
      bool listed = std::any_of(c.extensions.begin(), c.extensions.end(),
                                [&](const auto& e) { return e.first == id; });
      EXPECT_EQ(p.extension(static_cast<uint8_t>(id)).has_value(), listed) << "id " << id;
    }
  }
}

// --- Malformed packets ---------------------------------------------------------------------

struct MalformedCase {
  const char* name;
  std::string hex;
  ParseError error;
};

const MalformedCase kMalformedCases[] = {
    {"empty", "", ParseError::kTooShort},
    {"11 bytes", "80 60 0001 00000000 000000", ParseError::kTooShort},
    {"version 0", "00 60 0001 00000000 00000001", ParseError::kBadVersion},
    {"version 1", "40 60 0001 00000000 00000001", ParseError::kBadVersion},
    {"version 3", "c0 60 0001 00000000 00000001", ParseError::kBadVersion},
    {"rtcp sr", "80 c8 0006 00000001 00000000", ParseError::kBadPayloadType},
    {"rtcp rr byte 201", "81 c9 0007 00000001 00000000", ParseError::kBadPayloadType},
    {"byte 192", "80 c0 0001 00000000 00000001", ParseError::kBadPayloadType},
    {"byte 223", "80 df 0001 00000000 00000001", ParseError::kBadPayloadType},
    {"one csrc missing", "81 60 0001 00000000 00000001", ParseError::kTooShort},
    {"csrc cut", "81 60 0001 00000000 00000001 112233", ParseError::kTooShort},
    {"fifteen csrcs cut", "8f 60 0001 00000000 00000001" + std::string(14 * 8 + 6, '0'),
     ParseError::kTooShort},
    {"x bit, no extension header", "90 60 0001 00000000 00000001", ParseError::kTooShort},
    {"x bit, extension header cut", "90 60 0001 00000000 00000001 bede 00", ParseError::kTooShort},
    {"extension length past end", "90 60 0001 00000000 00000001 bede 0002 10aa0000",
     ParseError::kTooShort},
    {"extension length past end, csrc", "91 60 0001 00000000 00000001 00000005 bede 0001 10aa00",
     ParseError::kTooShort},
    {"one-byte element past block", "90 60 0001 00000000 00000001 bede 0001 13aabbcc dd",
     ParseError::kBadExtension},
    {"one-byte sixteen bytes in 12",
     "90 60 0001 00000000 00000001 bede 0003 1f" + std::string(22, 'a'), ParseError::kBadExtension},
    {"two-byte header cut", "90 60 0001 00000000 00000001 1000 0001 000000 05",
     ParseError::kBadExtension},
    {"two-byte value past block", "90 60 0001 00000000 00000001 1000 0001 0103aabb",
     ParseError::kBadExtension},
    {"two-byte value past block by one", "90 60 0001 00000000 00000001 1000 0001 0203aabbcc dd",
     ParseError::kBadExtension},
    {"duplicate one-byte id", "90 60 0001 00000000 00000001 bede 0001 10aa10bb",
     ParseError::kBadExtension},
    {"duplicate two-byte id", "90 60 0001 00000000 00000001 1000 0002 2001aa00 2001bb00",
     ParseError::kBadExtension},
    {"seventeen two-byte elements",
     "90 60 0001 00000000 00000001 1000 0009" +
         [] {
           std::string s;
           for (int id = 1; id <= 17; ++id) {
             char b[8];
             std::snprintf(b, sizeof b, "%02x00", id);
             s += b;
           }
           return s + "0000";
         }(),
     ParseError::kUnsupported},
    {"padding count 0", "a0 60 0001 00000000 00000001 aabb 00", ParseError::kBadPadding},
    {"padding past payload", "a0 60 0001 00000000 00000001 aabb 04", ParseError::kBadPadding},
    {"padding with no payload area", "a0 60 0001 00000000 0000000c", ParseError::kBadPadding},
    {"padding into extension", "b0 60 0001 00000000 00000001 bede 0001 10aa0000 02",
     ParseError::kBadPadding},
    {"padding into csrc", "a1 60 0001 00000000 00000001 00000001 03", ParseError::kBadPadding},
};

TEST(RtpPacketTest, RejectsMalformedPackets) {
  for (const MalformedCase& c : kMalformedCases) {
    SCOPED_TRACE(c.name);
    Bytes bytes = hex(c.hex);
    auto parsed = RtpPacket::parse(bytes);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error(), c.error) << parseErrorName(parsed.error());
  }
}

TEST(RtpPacketTest, RejectsEveryShortFixedHeader) {
  Bytes bytes = hex("80 60 0001 00000000 00000001");
  for (size_t n = 0; n < RtpPacket::kFixedHeaderSize; ++n) {
    auto parsed = RtpPacket::parse(std::span(bytes).first(n));
    ASSERT_FALSE(parsed.ok()) << n;
    EXPECT_EQ(parsed.error(), ParseError::kTooShort) << n;
  }
}

TEST(RtpPacketTest, RejectsEveryRtcpSecondByte) {
  for (int b = 0; b < 256; ++b) {
    Bytes bytes = hex("80 00 0001 00000000 00000001");
    bytes[1] = static_cast<uint8_t>(b);
    auto parsed = RtpPacket::parse(bytes);
    const bool rtcp = b >= 192 && b <= 223;
    EXPECT_EQ(parsed.ok(), !rtcp) << b;
    if (rtcp) {
      EXPECT_EQ(parsed.error(), ParseError::kBadPayloadType) << b;
    }
  }
}

TEST(RtpPacketTest, RejectsEveryTruncationInsideTheHeader) {
  // CSRCs, a one-byte block, a two-byte block: cutting anywhere before the payload fails.
  for (const char* text :
       {"b2 60 0001 00000000 00000001 11111111 22222222 bede 0002 10aa 21bbbb 000000 6162 02",
        "90 60 0001 00000000 00000001 1000 0002 0100 0201aa 000000 ff"}) {
    SCOPED_TRACE(text);
    Bytes bytes = hex(text);
    auto full = RtpPacket::parse(bytes);
    ASSERT_TRUE(full.ok());
    for (size_t n = 0; n < full->headerSize(); ++n) {
      auto parsed = RtpPacket::parse(std::span(bytes).first(n));
      ASSERT_FALSE(parsed.ok()) << n;
      EXPECT_EQ(parsed.error(), ParseError::kTooShort) << n;
    }
  }
}

TEST(RtpPacketTest, RejectsPacketsLongerThanSixteenBits) {
  Bytes bytes(RtpPacket::kMaxPacketSize + 1, 0);
  bytes[0] = 0x80;
  bytes[1] = 0x60;
  auto parsed = RtpPacket::parse(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error(), ParseError::kUnsupported);
  EXPECT_TRUE(RtpPacket::parse(std::span(bytes).first(RtpPacket::kMaxPacketSize)).ok());
}

TEST(RtpPacketTest, CapacityIsAtLeastTheSizeAndAtMostSixteenBits) {
  Bytes bytes = hex("80 60 0001 00000000 00000001 aabb");
  EXPECT_EQ(RtpPacket::parse(bytes, 3)->capacity(), bytes.size());
  std::vector<uint8_t> big(100000);
  std::copy(bytes.begin(), bytes.end(), big.begin());
  EXPECT_EQ(RtpPacket::parse(std::span(big).first(bytes.size()), big.size())->capacity(),
            RtpPacket::kMaxPacketSize);
}

// --- Fixed header rewrites -----------------------------------------------------------------

TEST(RtpPacketTest, SettersRewriteInPlaceAndSurviveReparse) {
  Bytes bytes = hex("b1 e0 0001 00000000 00000001 cafebabe bede 0001 22010203 7777 02");
  const Bytes original = bytes;
  auto parsed = RtpPacket::parse(bytes);
  ASSERT_TRUE(parsed.ok());
  RtpPacket& p = *parsed;
  p.setSsrc(0xDEADBEEF);
  p.setSequenceNumber(0xFFFE);
  p.setTimestamp(0x89ABCDEF);
  p.setPayloadType(111);
  p.setMarker(false);

  EXPECT_EQ(bytes, hex("b1 6f fffe 89abcdef deadbeef cafebabe bede 0001 22010203 7777 02"));
  auto again = RtpPacket::parse(bytes);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ssrc(), 0xDEADBEEFu);
  EXPECT_EQ(again->sequenceNumber(), 0xFFFE);
  EXPECT_EQ(again->timestamp(), 0x89ABCDEFu);
  EXPECT_EQ(again->payloadType(), 111);
  EXPECT_FALSE(again->marker());
  EXPECT_EQ(again->csrc(0), 0xCAFEBABEu);
  EXPECT_EQ(toBytes(*again->extension(2)), hex("010203"));
  EXPECT_EQ(toBytes(again->payload()), hex("77"));
  EXPECT_EQ(again->paddingSize(), 2u);

  p.setMarker(true);
  p.setPayloadType(0xFF);  // only 7 bits are kept
  EXPECT_EQ(bytes[1], 0xFF);
  EXPECT_TRUE(p.marker());
  EXPECT_EQ(p.payloadType(), 127);
}

TEST(RtpPacketTest, BuildWritesAMinimalHeader) {
  std::vector<uint8_t> buffer(64, 0xEE);
  const Bytes payload = hex("01020304");
  auto packet = RtpPacket::build(buffer, 100, 7, 90000, 0x01020304, payload);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(toBytes(packet->bytes()), hex("80 64 0007 00015f90 01020304 01020304"));
  EXPECT_EQ(packet->capacity(), buffer.size());
  EXPECT_FALSE(RtpPacket::build(std::span(buffer).first(15), 100, 7, 0, 0, payload).has_value());
}

// --- Extension edits -----------------------------------------------------------------------

TEST(RtpPacketTest, WriteExtensionNeedsTheSameLength) {
  Bytes bytes = hex("90 60 0001 00000000 00000001 bede 0001 22aabbcc ff");
  auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p.ok());
  const Bytes v3 = hex("010203");
  const Bytes v2 = hex("0102");
  EXPECT_TRUE(p->writeExtension(2, v3));
  EXPECT_EQ(bytes, hex("90 60 0001 00000000 00000001 bede 0001 22010203 ff"));
  EXPECT_FALSE(p->writeExtension(2, v2));
  EXPECT_FALSE(p->writeExtension(3, v3));
  // The lookup's span writes straight into the packet too.
  (*p->extension(2))[0] = 0x55;
  EXPECT_EQ(bytes[17], 0x55);
}

TEST(RtpPacketTest, AddRemoveAcrossFormsHasExactLayouts) {
  const Bytes original = hex("80 60 0001 00000002 12345678 61626364");
  Buffer buf(original, 64);
  auto p = buf.parse();
  ASSERT_TRUE(p.ok());

  const Bytes ab = hex("aabb");
  ASSERT_TRUE(p->setExtension(3, ab));
  EXPECT_EQ(toBytes(p->bytes()), hex("90 60 0001 00000002 12345678 bede 0001 31aabb00 61626364"));
  EXPECT_EQ(p->extensionForm(), RtpPacket::ExtensionForm::kOneByte);

  // Id 20 needs the two-byte form; element 3 is converted.
  const Bytes one = hex("01");
  ASSERT_TRUE(p->setExtension(20, one));
  EXPECT_EQ(toBytes(p->bytes()),
            hex("90 60 0001 00000002 12345678 1000 0002 0302aabb 14010100 61626364"));
  EXPECT_EQ(p->extensionForm(), RtpPacket::ExtensionForm::kTwoByte);

  // Without it everything fits one byte again.
  ASSERT_TRUE(p->removeExtension(20));
  EXPECT_EQ(toBytes(p->bytes()), hex("90 60 0001 00000002 12345678 bede 0001 31aabb00 61626364"));

  // A 17-byte value needs the two-byte form too.
  const Bytes seventeen(17, 0x11);
  ASSERT_TRUE(p->setExtension(1, seventeen));
  EXPECT_EQ(toBytes(p->bytes()), hex("90 60 0001 00000002 12345678 1000 0006 0302aabb 0111" +
                                     std::string(34, '1') + "00 61626364"));
  ASSERT_TRUE(p->removeExtension(1));

  // Empty values exist only in the two-byte form.
  ASSERT_TRUE(p->setExtension(5, {}));
  EXPECT_EQ(toBytes(p->bytes()),
            hex("90 60 0001 00000002 12345678 1000 0002 0302aabb 05000000 61626364"));
  EXPECT_TRUE(p->extension(5).has_value());
  EXPECT_TRUE(p->extension(5)->empty());
  ASSERT_TRUE(p->removeExtension(5));

  // Removing the last element drops the block and restores the original bytes exactly.
  ASSERT_TRUE(p->removeExtension(3));
  EXPECT_EQ(toBytes(p->bytes()), original);
  EXPECT_EQ(p->extensionForm(), RtpPacket::ExtensionForm::kNone);
  EXPECT_FALSE(p->removeExtension(3));
  auto again = RtpPacket::parse(p->bytes(), p->capacity());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->headerSize(), 12u);
}

TEST(RtpPacketTest, EditsKeepCsrcsPaddingAndAppBits) {
  const Bytes original =
      hex("b2 60 0001 00000000 00000001 11111111 22222222 1003 0001 0101aa00 6162 0000 03");
  Buffer buf(original, 128);
  auto p = buf.parse();
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->extensionForm(), RtpPacket::ExtensionForm::kTwoByte);

  const Bytes value = hex("0102030405");
  ASSERT_TRUE(p->setExtension(200, value));
  EXPECT_EQ(toBytes(p->bytes()), hex("b2 60 0001 00000000 00000001 11111111 22222222 1003 0003 "
                                     "0101aa c805 0102030405 0000 6162 0000 03"));
  auto again = RtpPacket::parse(p->bytes(), p->capacity());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->csrc(1), 0x22222222u);
  EXPECT_EQ(again->paddingSize(), 3u);
  EXPECT_EQ(toBytes(again->payload()), hex("6162"));
  EXPECT_EQ(again->extensionProfile(), 0x1003);

  // Element 1 alone fits the one-byte form: the appbits go with the two-byte form.
  ASSERT_TRUE(p->removeExtension(200));
  EXPECT_EQ(toBytes(p->bytes()),
            hex("b2 60 0001 00000000 00000001 11111111 22222222 bede 0001 10aa0000 6162 0000 03"));
}

TEST(RtpPacketTest, ChangingALengthMovesTheElementLast) {
  Buffer buf(hex("90 60 0001 00000000 00000001 bede 0003 10aa 21bbbb 32cccccc 000000 ff"), 64);
  auto p = buf.parse();
  ASSERT_TRUE(p.ok());
  const Bytes longer = hex("01020304");
  ASSERT_TRUE(p->setExtension(1, longer));
  EXPECT_EQ(toBytes(p->bytes()),
            hex("90 60 0001 00000000 00000001 bede 0003 21bbbb 32cccccc 1301020304 ff"));
  // Same length: in place, nothing moves.
  const Bytes same = hex("dddd");
  ASSERT_TRUE(p->setExtension(2, same));
  EXPECT_EQ(toBytes(p->bytes()),
            hex("90 60 0001 00000000 00000001 bede 0003 21dddd 32cccccc 1301020304 ff"));
}

TEST(RtpPacketTest, SetExtensionFromItsOwnBytes) {
  Buffer buf(hex("90 60 0001 00000000 00000001 bede 0001 22aabbcc ff"), 64);
  auto p = buf.parse();
  ASSERT_TRUE(p.ok());
  // The source span points into the block that the rewrite moves.
  ASSERT_TRUE(p->setExtension(20, *p->extension(2)));
  EXPECT_EQ(toBytes(*p->extension(20)), hex("aabbcc"));
  EXPECT_EQ(toBytes(*p->extension(2)), hex("aabbcc"));
}

TEST(RtpPacketTest, FailedEditsLeaveThePacketIntact) {
  struct Case {
    const char* name;
    const char* hex;
    size_t extraCapacity;
    uint8_t id;
    size_t length;
  };
  const Case cases[] = {
      {"no room for a new block", "80 60 0001 00000000 00000001 6162", 7, 1, 1},
      {"no room for a new word", "90 60 0001 00000000 00000001 bede 0001 10aa0000 ff", 3, 2, 2},
      {"no room for the two-byte form", "90 60 0001 00000000 00000001 bede 0001 10aa 20bb ff", 3,
       20, 1},
      {"no room with padding and csrc", "a1 60 0001 00000000 00000001 00000009 6162 0000 03", 7, 1,
       1},
      {"id 0", "80 60 0001 00000000 00000001", 100, 0, 1},
      {"length 256", "80 60 0001 00000000 00000001", 1000, 1, 256},
      {"foreign profile", "90 60 0001 00000000 00000001 abcd 0001 11223344", 100, 1, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Bytes original = hex(c.hex);
    Buffer buf(original, original.size() + c.extraCapacity);
    auto p = buf.parse();
    ASSERT_TRUE(p.ok());
    const std::vector<uint8_t> storage = buf.storage;
    const Bytes value(c.length, 0x42);
    EXPECT_FALSE(p->setExtension(c.id, value));
    EXPECT_FALSE(p->reserveExtension(c.id, c.length).has_value());
    EXPECT_EQ(buf.storage, storage);
    EXPECT_EQ(toBytes(p->bytes()), original);
    EXPECT_FALSE(p->hasExtension(c.id));
    auto again = RtpPacket::parse(p->bytes(), p->capacity());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->headerSize(), p->headerSize());
  }
}

// Found by RtpPacketFuzz: an empty one-byte block (length 0) has no element to remove and
// stays as it is; setting an element fills it in place of growing a second block.
TEST(RtpPacketTest, EmptyBlockStaysUntilAnElementIsSet) {
  const Bytes original = hex("90 ef 2c18 8542e087 c96bd2ed bede 0000 0000 0102");
  Buffer buf(original, 64);
  auto p = buf.parse();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->extensionForm(), RtpPacket::ExtensionForm::kOneByte);
  EXPECT_EQ(p->extensionCount(), 0u);
  EXPECT_FALSE(p->removeExtension(1));
  EXPECT_FALSE(p->setExtension(0, hex("01")));
  EXPECT_EQ(toBytes(p->bytes()), original);
  ASSERT_TRUE(p->setExtension(2, hex("ab")));
  EXPECT_EQ(toBytes(p->bytes()), hex("90 ef 2c18 8542e087 c96bd2ed bede 0001 20ab0000 0000 0102"));
  ASSERT_TRUE(p->removeExtension(2));
  EXPECT_EQ(toBytes(p->bytes()), hex("80 ef 2c18 8542e087 c96bd2ed 0000 0102"));
}

TEST(RtpPacketTest, ExactCapacitySuffices) {
  const Bytes original = hex("80 60 0001 00000000 00000001 6162");
  Buffer buf(original, original.size() + 12);
  auto p = buf.parse();
  ASSERT_TRUE(p.ok());
  const Bytes v = hex("01020304");
  ASSERT_TRUE(p->setExtension(1, v));
  EXPECT_EQ(p->size(), p->capacity());
  EXPECT_EQ(toBytes(p->bytes()),
            hex("90 60 0001 00000000 00000001 bede 0002 1301020304 000000 6162"));
}

TEST(RtpPacketTest, ElementLimitIsEnforcedOnAdd) {
  Buffer buf(hex("80 60 0001 00000000 00000001"), 1024);
  auto p = buf.parse();
  ASSERT_TRUE(p.ok());
  const Bytes v = hex("07");
  for (size_t id = 1; id <= RtpPacket::kMaxExtensionElements; ++id) {
    ASSERT_TRUE(p->setExtension(static_cast<uint8_t>(id * 3), v)) << id;
  }
  EXPECT_FALSE(p->setExtension(100, v));
  EXPECT_TRUE(p->setExtension(3, hex("0809")));  // replacing is still fine
  EXPECT_EQ(p->extensionCount(), RtpPacket::kMaxExtensionElements);
}

// Copies (as returned through Parsed, or assigned) keep every indexed element, for every
// element count, and low and high ids alike.
TEST(RtpPacketTest, CopiesKeepTheIndex) {
  for (size_t count = 0; count <= RtpPacket::kMaxExtensionElements; ++count) {
    SCOPED_TRACE(count);
    Buffer buf(hex("80 60 0001 00000000 00000001 aa"), 1024);
    auto p = buf.parse();
    ASSERT_TRUE(p.ok());
    for (size_t k = 0; k < count; ++k) {
      const uint8_t id = static_cast<uint8_t>(k < 10 ? k + 1 : 200 + k);
      const Bytes value(k + 1, static_cast<uint8_t>(k));
      ASSERT_TRUE(p->setExtension(id, value));
    }
    const RtpPacket copy = *p;
    auto reparsed = RtpPacket::parse(p->bytes(), p->capacity());
    ASSERT_TRUE(reparsed.ok());
    RtpPacket assigned = *reparsed;
    assigned = copy;
    const RtpPacket* all[] = {&copy, &reparsed.value(), &assigned};
    for (const RtpPacket* q : all) {
      ASSERT_EQ(q->extensionCount(), count);
      for (size_t k = 0; k < count; ++k) {
        const uint8_t id = static_cast<uint8_t>(k < 10 ? k + 1 : 200 + k);
        auto v = q->extension(id);
        ASSERT_TRUE(v.has_value()) << int(id);
        EXPECT_EQ(toBytes(*v), Bytes(k + 1, static_cast<uint8_t>(k)));
        EXPECT_EQ(q->extensionAt(k).id, id);
      }
      EXPECT_FALSE(q->hasExtension(count < 10 ? static_cast<uint8_t>(count + 1) : 14));
      EXPECT_EQ(toBytes(q->payload()), hex("aa"));
    }
  }
}

// Everything a reader can observe, with extension values as offsets into the packet, so two
// packets over different buffers compare equal when their index is the same.
void expectSameView(const RtpPacket& a, const RtpPacket& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(toBytes(a.bytes()), toBytes(b.bytes()));
  EXPECT_EQ(a.headerSize(), b.headerSize());
  EXPECT_EQ(a.paddingSize(), b.paddingSize());
  EXPECT_EQ(a.extensionForm(), b.extensionForm());
  ASSERT_EQ(a.extensionCount(), b.extensionCount());
  auto offset = [](const RtpPacket& p, std::span<uint8_t> v) {
    return v.data() - p.bytes().data();
  };
  for (size_t i = 0; i < a.extensionCount(); ++i) {
    EXPECT_EQ(a.extensionAt(i).id, b.extensionAt(i).id);
    EXPECT_EQ(offset(a, a.extensionAt(i).value), offset(b, b.extensionAt(i).value));
    EXPECT_EQ(a.extensionAt(i).value.size(), b.extensionAt(i).value.size());
  }
  for (int id = 0; id < 256; ++id) {
    auto va = a.extension(static_cast<uint8_t>(id));
    auto vb = b.extension(static_cast<uint8_t>(id));
    ASSERT_EQ(va.has_value(), vb.has_value()) << "id " << id;
    if (va) {
      EXPECT_EQ(offset(a, *va), offset(b, *vb)) << "id " << id;
      EXPECT_EQ(va->size(), vb->size()) << "id " << id;
    }
  }
}

// One packet object reused for every case, in both orders: nothing of an earlier packet's
// index may survive into the next (ids that were present, a two-byte form, padding).
TEST(RtpPacketTest, ParseIntoAgreesWithParseWhenReused) {
  std::vector<Bytes> inputs;
  for (const ValidCase& c : kValidCases)
    inputs.push_back(hex(c.hex));
  for (const MalformedCase& c : kMalformedCases)
    inputs.push_back(hex(c.hex));
  RtpPacket reused;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t k = 0; k < inputs.size(); ++k) {
      Bytes& bytes = inputs[pass == 0 ? k : inputs.size() - 1 - k];
      SCOPED_TRACE(k);
      auto fresh = RtpPacket::parse(bytes);
      auto error = RtpPacket::parseInto(bytes, bytes.size(), reused);
      ASSERT_EQ(fresh.ok(), !error.has_value());
      if (error) {
        EXPECT_EQ(*error, fresh.error());
        EXPECT_EQ(reused.size(), 0u);
        EXPECT_EQ(reused.extensionCount(), 0u);
        continue;
      }
      expectSameView(*fresh, reused);
    }
  }
}

TEST(RtpPacketTest, CloneIntoCopiesTheIndexWithoutSharingBytes) {
  for (const ValidCase& c : kValidCases) {
    SCOPED_TRACE(c.name);
    Bytes bytes = hex(c.hex);
    auto parsed = RtpPacket::parse(bytes);
    ASSERT_TRUE(parsed.ok());
    Bytes small(bytes.size() - 1);
    EXPECT_FALSE(parsed->cloneInto(small).has_value());
    Bytes other(bytes.size() + 40, 0xEE);
    auto clone = parsed->cloneInto(other);
    ASSERT_TRUE(clone.has_value());
    EXPECT_EQ(clone->bytes().data(), other.data());
    EXPECT_EQ(clone->capacity(), other.size());
    expectSameView(*parsed, *clone);
    // Edits to the clone stay in its buffer, and the clone's own edits keep it consistent.
    clone->setSsrc(0x01020304);
    EXPECT_EQ(parsed->ssrc(), c.ssrc);
    if (clone->extensionForm() != RtpPacket::ExtensionForm::kOther) {
      ASSERT_TRUE(clone->setExtension(7, hex("a1a2a3")));
      EXPECT_FALSE(parsed->hasExtension(7) && toBytes(*parsed->extension(7)) == hex("a1a2a3"));
      auto reparsed = RtpPacket::parse(clone->bytes(), clone->capacity());
      ASSERT_TRUE(reparsed.ok());
      expectSameView(*clone, *reparsed);
    }
  }
}

TEST(RtpPacketTest, ReserveExtensionZeroesNewValuesAndKeepsMatchingOnes) {
  Buffer buf(hex("90 60 0001 00000000 00000001 bede 0001 22aabbcc"), 64);
  auto p = buf.parse();
  ASSERT_TRUE(p.ok());
  auto kept = p->reserveExtension(2, 3);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(toBytes(*kept), hex("aabbcc"));
  auto fresh = p->reserveExtension(4, 2);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(toBytes(*fresh), hex("0000"));
  (*fresh)[1] = 0x99;
  EXPECT_EQ(toBytes(*p->extension(4)), hex("0099"));
}

// Random edits against a model that lays the block out independently: after every operation
// the whole packet must equal the model's serialization, and failures must touch nothing.
TEST(RtpPacketTest, RandomEditsMatchAModel) {
  std::mt19937 rng(20240531);
  const uint8_t ids[] = {1, 2, 5, 9, 14, 15, 16, 100, 255};
  for (int round = 0; round < 200; ++round) {
    const size_t csrcs = rng() % 3;
    const bool padded = rng() % 2;
    Bytes header = {static_cast<uint8_t>(0x80 | (padded ? 0x20 : 0) | csrcs),
                    0x60,
                    0x12,
                    0x34,
                    0,
                    0,
                    0,
                    1,
                    0xA,
                    0xB,
                    0xC,
                    0xD};
    for (size_t i = 0; i < csrcs * 4; ++i)
      header.push_back(static_cast<uint8_t>(0xC0 + i));
    Bytes payload(rng() % 40);
    for (auto& b : payload)
      b = static_cast<uint8_t>(rng());
    Bytes padding;
    if (padded) padding = {0, 0, 3};
    Bytes packet = header;
    packet.insert(packet.end(), payload.begin(), payload.end());
    packet.insert(packet.end(), padding.begin(), padding.end());
    Buffer buf(packet, packet.size() + rng() % 120);
    auto parsed = buf.parse();
    ASSERT_TRUE(parsed.ok());
    RtpPacket& p = *parsed;
    std::vector<std::pair<uint8_t, Bytes>> model;  // wire order

    auto serialize = [&](const std::vector<std::pair<uint8_t, Bytes>>& m) {
      Bytes out = header;
      if (!m.empty()) {
        out[0] |= 0x10;
        bool oneByte = std::all_of(m.begin(), m.end(), [](const auto& e) {
          return e.first <= 14 && !e.second.empty() && e.second.size() <= 16;
        });
        Bytes body;
        for (const auto& [id, v] : m) {
          if (oneByte) {
            body.push_back(static_cast<uint8_t>(id << 4 | (v.size() - 1)));
          } else {
            body.push_back(id);
            body.push_back(static_cast<uint8_t>(v.size()));
          }
          body.insert(body.end(), v.begin(), v.end());
        }
        while (body.size() % 4 != 0)
          body.push_back(0);
        out.push_back(oneByte ? 0xBE : 0x10);
        out.push_back(oneByte ? 0xDE : 0x00);
        out.push_back(static_cast<uint8_t>(body.size() / 4 >> 8));
        out.push_back(static_cast<uint8_t>(body.size() / 4));
        out.insert(out.end(), body.begin(), body.end());
      }
      out.insert(out.end(), payload.begin(), payload.end());
      out.insert(out.end(), padding.begin(), padding.end());
      return out;
    };

    for (int op = 0; op < 30; ++op) {
      const std::vector<uint8_t> before = buf.storage;
      const Bytes beforePacket = toBytes(p.bytes());
      const uint8_t id = ids[rng() % std::size(ids)];
      auto it =
          std::find_if(model.begin(), model.end(), [&](const auto& e) { return e.first == id; });
      if (rng() % 3 == 0) {
        const bool removed = p.removeExtension(id);
        ASSERT_EQ(removed, it != model.end());
        if (removed) model.erase(it);
      } else {
        Bytes value(rng() % 20);
        for (auto& b : value)
          b = static_cast<uint8_t>(rng());
        auto next = model;
        auto nit =
            std::find_if(next.begin(), next.end(), [&](const auto& e) { return e.first == id; });
        if (nit != next.end() && nit->second.size() == value.size()) {
          nit->second = value;
        } else {
          if (nit != next.end()) next.erase(nit);
          next.emplace_back(id, value);
        }
        const Bytes expected = serialize(next);
        const bool fits = next.size() <= RtpPacket::kMaxExtensionElements &&
                          expected.size() <= buf.storage.size();
        const bool ok = p.setExtension(id, value);
        ASSERT_EQ(ok, fits) << "round " << round << " op " << op;
        if (ok) {
          model = next;
        } else {
          ASSERT_EQ(buf.storage, before);
          ASSERT_EQ(toBytes(p.bytes()), beforePacket);
        }
      }
      ASSERT_EQ(toBytes(p.bytes()), serialize(model)) << "round " << round << " op " << op;
      auto again = RtpPacket::parse(p.bytes(), p.capacity());
      ASSERT_TRUE(again.ok());
      for (const RtpPacket* q : {&p, &again.value()}) {
        ASSERT_EQ(q->extensionCount(), model.size());
        for (const auto& [mid, v] : model)
          ASSERT_EQ(toBytes(*q->extension(mid)), v);
        ASSERT_EQ(toBytes(q->payload()), payload);
        ASSERT_EQ(q->paddingSize(), padding.size());
        ASSERT_EQ(q->csrcCount(), csrcs);
        ASSERT_EQ(q->sequenceNumber(), 0x1234);
      }
    }
  }
}

// --- Captured packets ----------------------------------------------------------------------

// The value of "key=value" in a fixture name, "" when absent.
std::string field(const std::string& name, const std::string& key) {
  for (size_t at = name.find(key + "="); at != std::string::npos;
       at = name.find(key + "=", at + 1)) {
    if (at != 0 && name[at - 1] != ' ') continue;
    const size_t begin = at + key.size() + 1;
    return name.substr(begin, name.find(' ', begin) - begin);
  }
  return "";
}

// Every RTP packet in tests/fixtures/rtp/*.hex parses with the header values its name gives,
// and its extensions survive being removed and set again (the block re-laid out by this code).
TEST(RtpPacketTest, FixturePacketsParseAndReencode) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(SWITCHYARD_FIXTURES_DIR) / "rtp";
  size_t seen = 0;
  size_t withExtensions = 0;
  if (fs::exists(dir)) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".hex") continue;
      const std::string file = entry.path().filename().string();
      // Chromium's captures are SRTP: headers are plaintext, but the pad count is encrypted.
      const bool srtp = file.rfind("chromium-", 0) == 0;
      for (auto& fixture : test::loadFixture("rtp/" + file)) {
        SCOPED_TRACE(file + ": " + fixture.name);
        Bytes& bytes = fixture.bytes;
        if (bytes.size() < 2 || (bytes[1] >= 192 && bytes[1] <= 223)) continue;  // RTCP
        ++seen;
        if (srtp) bytes[0] &= 0xDF;
        const Bytes original = bytes;
        bytes.resize(bytes.size() + 256);
        auto parsed = RtpPacket::parse(std::span(bytes).first(original.size()), bytes.size());
        ASSERT_TRUE(parsed.ok()) << parseErrorName(parsed.error());
        RtpPacket& p = *parsed;
        const std::string& name = fixture.name;
        auto number = [&](const char* key, int base = 10) -> std::optional<unsigned long> {
          const std::string v = field(name, key);
          if (v.empty()) return std::nullopt;
          return std::stoul(v, nullptr, base);
        };
        if (auto seq = number("seq")) {
          EXPECT_EQ(p.sequenceNumber(), *seq);
        }
        if (auto ts = number("ts")) {
          EXPECT_EQ(p.timestamp(), *ts);
        }
        if (auto ssrc = number("ssrc")) {
          EXPECT_EQ(p.ssrc(), *ssrc);
        }
        if (auto m = number("M")) {
          EXPECT_EQ(p.marker(), *m == 1);
        }
        if (auto ext = number("ext", 16)) {
          EXPECT_EQ(p.extensionProfile(), *ext);
        }
        if (auto size = field(name, "payload"); !size.empty() && !srtp) {
          // "1300B", "2+1300B" for RTX (OSN + original payload); VP9 names count the
          // payload descriptor apart ("descriptor=3B").
          const size_t plus = size.find('+');
          size_t total = plus == std::string::npos
                             ? std::stoul(size)
                             : std::stoul(size) + std::stoul(size.substr(plus + 1));
          total += number("descriptor").value_or(0);
          EXPECT_EQ(p.payload().size(), total);
        }

        std::vector<std::pair<uint8_t, Bytes>> values;
        for (size_t i = 0; i < p.extensionCount(); ++i) {
          values.emplace_back(p.extensionAt(i).id, toBytes(p.extensionAt(i).value));
        }
        if (!values.empty()) ++withExtensions;
        const Bytes payload = toBytes(p.payload());
        for (const auto& [id, v] : values) {
          ASSERT_TRUE(p.removeExtension(id));
          ASSERT_TRUE(p.setExtension(id, v));
        }
        auto again = RtpPacket::parse(p.bytes(), p.capacity());
        ASSERT_TRUE(again.ok());
        for (const auto& [id, v] : values)
          EXPECT_EQ(toBytes(*again->extension(id)), v);
        EXPECT_EQ(toBytes(again->payload()), payload);
        // Removing everything gives back the packet without its block.
        if (values.empty()) continue;
        for (const auto& [id, v] : values)
          ASSERT_TRUE(p.removeExtension(id));
        EXPECT_EQ(p.extensionForm(), RtpPacket::ExtensionForm::kNone);
        const size_t fixedAndCsrcs = 12 + 4 * (original[0] & 0x0F);
        Bytes stripped(original.begin(), original.begin() + fixedAndCsrcs);
        stripped[0] &= 0xEF;
        stripped.insert(stripped.end(),
                        original.end() - static_cast<long>(payload.size() + p.paddingSize()),
                        original.end());
        EXPECT_EQ(toBytes(p.bytes()), stripped);
      }
    }
  }
  if (seen == 0) GTEST_SKIP() << "no RTP fixtures in " << dir;
  EXPECT_GT(withExtensions, 0u);
}

// Chromium writes one-byte blocks unless an element needs the two-byte form; after an edit
// this code picks the same form for the same elements, and the very same bytes.
TEST(RtpPacketTest, ChromiumBlocksAreRebuiltByteForByte) {
  namespace fs = std::filesystem;
  const fs::path file = fs::path(SWITCHYARD_FIXTURES_DIR) / "rtp" / "chromium-video-headers.hex";
  if (!fs::exists(file)) GTEST_SKIP() << "no " << file;
  size_t rebuilt = 0;
  for (auto& fixture : test::loadFixture("rtp/chromium-video-headers.hex")) {
    SCOPED_TRACE(fixture.name);
    Bytes& bytes = fixture.bytes;
    bytes[0] &= 0xDF;  // SRTP: the pad count is encrypted
    auto parsed = RtpPacket::parse(bytes);
    ASSERT_TRUE(parsed.ok());
    RtpPacket& p = *parsed;
    if (p.extensionCount() == 0) continue;
    // Chromium pads blocks with zeros only at the end; a rewrite without a change keeps them.
    const Bytes before = bytes;
    const auto last = p.extensionAt(p.extensionCount() - 1);
    const Bytes value = toBytes(last.value);
    ASSERT_TRUE(p.removeExtension(last.id));
    ASSERT_TRUE(p.setExtension(last.id, value));
    EXPECT_EQ(bytes, before);
    ++rebuilt;
  }
  EXPECT_GT(rebuilt, 10u);
}

}  // namespace
}  // namespace switchyard::rtp
