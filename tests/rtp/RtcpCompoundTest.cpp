// Compound RTCP (RFC 3550 6.1): walking the packets, and rejecting any length that does not add
// up before anything is handed out.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/rtcp/RtcpBye.hpp"
#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpNack.hpp"
#include "rtp/rtcp/RtcpPli.hpp"
#include "rtp/rtcp/RtcpReceiverReport.hpp"
#include "rtp/rtcp/RtcpRemb.hpp"
#include "rtp/rtcp/RtcpSdes.hpp"
#include "rtp/rtcp/RtcpSenderReport.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

constexpr const char* kSr =
    "81c8000c aabbccdd e1a2b3c4d5e6f708 00112233 00000064 00002710 "
    "01020304 40000005 00011234 00000020 11223344 00010000 ";
constexpr const char* kRr =
    "81c90007 aabbccdd 05060708 00fffffe 0001ffff 00000100 00000000 00000000 ";
constexpr const char* kSdes = "81ca0003 aabbccdd 0105 6162636465 00 ";
constexpr const char* kBye = "81cb0001 aabbccdd ";
constexpr const char* kPli = "81ce0002 aabbccdd 55667788 ";

struct Case {
  const char* name;
  std::string bytes;
  std::vector<uint8_t> types;
  std::vector<size_t> sizes;
  bool startsWithReport;
};

std::vector<Case> validCases() {
  return {
      {"SR + SDES + BYE", std::string(kSr) + kSdes + kBye, {200, 202, 203}, {52, 16, 8}, true},
      {"SR + RR", std::string(kSr) + kRr, {200, 201}, {52, 32}, true},
      {"RR + SDES + PLI", std::string(kRr) + kSdes + kPli, {201, 202, 206}, {32, 16, 12}, true},
      {"reduced size: PLI alone", kPli, {206}, {12}, false},
      {"padding in a packet that is not the last",
       std::string("a1ce0003 aabbccdd 55667788 00000004 ") + kRr,
       {206, 201},
       {16, 32},
       false},
      {"header-only packets", "80c90000 80c90000 80c90000", {201, 201, 201}, {4, 4, 4}, true},
  };
}

TEST(RtcpCompoundTest, WalksEveryPacket) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto compound = RtcpCompound::parse(bytes);
    ASSERT_TRUE(compound.ok()) << parseErrorName(compound.error());
    EXPECT_EQ(compound->packetCount(), c.types.size());
    EXPECT_EQ(compound->startsWithReport(), c.startsWithReport);
    std::vector<uint8_t> types;
    std::vector<size_t> sizes;
    const uint8_t* expectedStart = bytes.data();
    for (const auto& packet : *compound) {
      types.push_back(packet.header.packetType());
      sizes.push_back(packet.bytes.size());
      EXPECT_EQ(packet.bytes.data(), expectedStart);
      expectedStart += packet.bytes.size();
    }
    EXPECT_EQ(types, c.types);
    EXPECT_EQ(sizes, c.sizes);
  }
}

TEST(RtcpCompoundTest, PacketsGoToTheirParsers) {
  auto bytes = hex(std::string(kSr) + kRr + kSdes + kBye);
  auto compound = RtcpCompound::parse(bytes);
  ASSERT_TRUE(compound.ok());
  int seen = 0;
  for (const auto& packet : *compound) {
    switch (packet.header.packetType()) {
      case kRtcpTypeSr: {
        auto sr = RtcpSenderReport::parse(packet.bytes);
        ASSERT_TRUE(sr.ok());
        EXPECT_EQ(sr->senderInfo().packetCount, 100u);
        EXPECT_EQ(sr->reportBlocks()[0].ssrc, 0x01020304u);
        ++seen;
        break;
      }
      case kRtcpTypeRr: {
        auto rr = RtcpReceiverReport::parse(packet.bytes);
        ASSERT_TRUE(rr.ok());
        EXPECT_EQ(rr->reportBlocks()[0].cumulativeLost, -2);
        ++seen;
        break;
      }
      case kRtcpTypeSdes: {
        auto sdes = RtcpSdes::parse(packet.bytes);
        ASSERT_TRUE(sdes.ok());
        EXPECT_EQ((*sdes->begin()).cname(), "abcde");
        ++seen;
        break;
      }
      case kRtcpTypeBye: {
        auto bye = RtcpBye::parse(packet.bytes);
        ASSERT_TRUE(bye.ok());
        EXPECT_EQ(bye->ssrc(0), 0xaabbccddu);
        ++seen;
        break;
      }
      default:
        ADD_FAILURE() << "unexpected type";
    }
  }
  EXPECT_EQ(seen, 4);
}

TEST(RtcpCompoundTest, RejectsBadLengthsAnywhere) {
  struct Bad {
    const char* name;
    std::string bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"empty", "", ParseError::kTooShort},
      {"second length past the end", std::string(kSr) + "81ca0009 aabbccdd", ParseError::kTooShort},
      {"last length 0xffff", std::string(kRr) + "80c9ffff", ParseError::kTooShort},
      {"two stray bytes after the last packet", std::string(kRr) + "8000", ParseError::kTooShort},
      {"second packet version 1", std::string(kSr) + "41ca0003 aabbccdd 0105 6162636465 00",
       ParseError::kBadVersion},
      {"not RTCP at all", "00000000 00000000", ParseError::kBadVersion},
      {"bad padding in the middle", std::string("a1ce0002 aabbccdd 55667700 ") + kRr,
       ParseError::kBadPadding},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto compound = RtcpCompound::parse(hex(c.bytes));
    ASSERT_FALSE(compound.ok());
    EXPECT_EQ(compound.error(), c.error) << parseErrorName(compound.error());
  }
}

TEST(RtcpCompoundTest, TruncationIsRejectedExceptOnPacketBoundaries) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    std::vector<size_t> boundaries;
    size_t at = 0;
    for (size_t s : c.sizes)
      boundaries.push_back(at += s);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto compound = RtcpCompound::parse(std::span(bytes).first(n));
      size_t whole =
          std::count_if(boundaries.begin(), boundaries.end(), [&](size_t b) { return b <= n; });
      if (n > 0 && std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end()) {
        // A shorter compound of whole packets is itself valid.
        ASSERT_TRUE(compound.ok()) << n;
        EXPECT_EQ(compound->packetCount(), whole);
      } else {
        ASSERT_FALSE(compound.ok()) << n;
        EXPECT_EQ(compound.error(), ParseError::kTooShort) << n;
      }
    }
  }
}

TEST(RtcpCompoundTest, ManySmallPacketsEndTheWalk) {
  // 16384 header-only packets: every step advances one word, so the walk ends.
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 16384; ++i) {
    for (uint8_t b : {0x80, 0xc9, 0x00, 0x00})
      bytes.push_back(b);
  }
  auto compound = RtcpCompound::parse(bytes);
  ASSERT_TRUE(compound.ok());
  EXPECT_EQ(compound->packetCount(), 16384u);
  size_t n = 0;
  for (const auto& packet : *compound)
    n += packet.bytes.size();
  EXPECT_EQ(n, bytes.size());
}

// Whether the parser for the packet's type accepts it.
bool parsesAsItsType(const RtcpCompound::Packet& p) {
  switch (p.header.packetType()) {
    case kRtcpTypeSr:
      return RtcpSenderReport::parse(p.bytes).ok();
    case kRtcpTypeRr:
      return RtcpReceiverReport::parse(p.bytes).ok();
    case kRtcpTypeSdes:
      return RtcpSdes::parse(p.bytes).ok();
    case kRtcpTypeBye:
      return RtcpBye::parse(p.bytes).ok();
    case kRtcpTypeRtpfb:
      return RtcpNack::parse(p.bytes).ok();
    case kRtcpTypePsfb:
      return p.header.fmt() == kRtcpPliFmt ? RtcpPli::parse(p.bytes).ok()
                                           : RtcpRemb::parse(p.bytes).ok();
    default:
      return false;
  }
}

TEST(RtcpCompoundTest, WalksEveryAiortcDatagram) {
  auto fixtures = test::loadFixture("rtp/aiortc-rtcp.hex");
  ASSERT_EQ(fixtures.size(), 21u);
  for (const auto& f : fixtures) {
    SCOPED_TRACE(f.name);
    auto compound = RtcpCompound::parse(f.bytes);
    ASSERT_TRUE(compound.ok()) << parseErrorName(compound.error());
    // "SR(0 blocks) + SDES(1 chunk)": one packet per " + ".
    size_t named = 1;
    for (size_t at = 0; (at = f.name.find(" + ", at)) != std::string::npos; at += 3)
      ++named;
    EXPECT_EQ(compound->packetCount(), named);
    bool report =
        f.name.find(": SR") != std::string::npos || f.name.find(": RR") != std::string::npos;
    EXPECT_EQ(compound->startsWithReport(), report);
    for (const auto& packet : *compound)
      EXPECT_TRUE(parsesAsItsType(packet));
  }
}

}  // namespace
}  // namespace switchyard::rtp
