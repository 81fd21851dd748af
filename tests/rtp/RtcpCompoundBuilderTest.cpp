// Packing packets into compounds under an MTU budget: report prefix in every compound
// (RFC 3550 6.1), reduced-size feedback-only compounds (RFC 5506), and every refusal.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpCompoundBuilder.hpp"
#include "rtp/rtcp/RtcpNack.hpp"
#include "rtp/rtcp/RtcpPli.hpp"
#include "rtp/rtcp/RtcpReceiverReport.hpp"
#include "rtp/rtcp/RtcpRemb.hpp"
#include "rtp/rtcp/RtcpSdes.hpp"
#include "rtp/rtcp/RtcpSenderReport.hpp"
#include "rtp/rtcp/RtcpTransportFeedback.hpp"

namespace switchyard::rtp {
namespace {

constexpr uint32_t kOurSsrc = 0x01020304;

// RR (no blocks) + SDES CNAME "abcde": 8 + 16 bytes.
std::vector<uint8_t> reportPrefix() {
  std::vector<uint8_t> out(64);
  size_t n = RtcpReceiverReport::build(kOurSsrc, {}, out);
  n += RtcpSdes::buildCname(kOurSsrc, "abcde", std::span(out).subspan(n));
  out.resize(n);
  return out;
}

std::vector<uint8_t> nack(uint16_t pid) {
  std::vector<uint8_t> out(16);
  RtcpNackItem item{pid, 0};
  EXPECT_EQ(RtcpNack::build(kOurSsrc, 0xaaaa, {&item, 1}, out), 16u);
  return out;
}

std::vector<uint8_t> pli() {
  std::vector<uint8_t> out(kRtcpPliSize);
  RtcpPli::build(kOurSsrc, 0xbbbb, out);
  return out;
}

// Every compound parses, fits the MTU and starts with the prefix; returns the NACK PIDs in order.
std::vector<uint16_t> checkCompounds(const RtcpCompoundBuilder& b, size_t mtu,
                                     const std::vector<uint8_t>& prefix) {
  std::vector<uint16_t> pids;
  for (size_t i = 0; i < b.compoundCount(); ++i) {
    SCOPED_TRACE(i);
    auto bytes = b.compound(i);
    EXPECT_LE(bytes.size(), mtu);
    EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), bytes.begin()));
    auto compound = RtcpCompound::parse(bytes);
    EXPECT_TRUE(compound.ok());
    if (!compound) continue;
    EXPECT_EQ(compound->startsWithReport(), !prefix.empty());
    for (const auto& packet : *compound) {
      if (auto n = RtcpNack::parse(packet.bytes)) pids.push_back(n->item(0).packetId);
    }
  }
  return pids;
}

TEST(RtcpCompoundBuilderTest, SplitsAcrossTheMtuWithTheReportFirstInEach) {
  auto prefix = reportPrefix();
  ASSERT_EQ(prefix.size(), 24u);
  std::vector<uint8_t> buffer(1000);
  constexpr size_t kMtu = 100;
  RtcpCompoundBuilder b(buffer, kMtu, prefix);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b.reducedSize());
  std::vector<uint16_t> sent;
  for (uint16_t pid = 1; pid <= 10; ++pid) {
    ASSERT_TRUE(b.append(nack(pid)));
    sent.push_back(pid);
  }
  // 24 + 4 * 16 = 88 fits 100, a fifth NACK would not.
  ASSERT_EQ(b.compoundCount(), 3u);
  EXPECT_EQ(b.compound(0).size(), 88u);
  EXPECT_EQ(b.compound(1).size(), 88u);
  EXPECT_EQ(b.compound(2).size(), 56u);
  EXPECT_EQ(b.size(), 232u);
  EXPECT_EQ(checkCompounds(b, kMtu, prefix), sent);
}

TEST(RtcpCompoundBuilderTest, BuildsInPlaceWithMixedSizes) {
  std::vector<uint8_t> sr(RtcpSenderReport::sizeFor(0));
  ASSERT_GT(RtcpSenderReport::build(kOurSsrc, {1, 2, 3, 4}, {}, sr), 0u);
  std::vector<uint8_t> buffer(1500);
  constexpr size_t kMtu = 120;
  RtcpCompoundBuilder b(buffer, kMtu, sr);
  ASSERT_TRUE(b.ok());
  std::vector<RtcpTransportFeedbackArrival> arrivals;
  for (uint16_t i = 0; i < 30; ++i)
    arrivals.push_back({i, 1000 * int64_t{i}});
  uint32_t ssrcs[] = {0xbbbb};
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(b.appendWith(
        [&](std::span<uint8_t> room) { return RtcpRemb::build(kOurSsrc, 500'000, ssrcs, room); }));
    ASSERT_TRUE(b.appendWith([&](std::span<uint8_t> room) {
      RtcpTransportFeedback::BuildParams params;
      params.arrivals = arrivals;
      auto r = RtcpTransportFeedback::build(params, room);
      return r.arrivalCount == arrivals.size() ? r.size : 0;
    }));
    uint16_t lost[] = {1, 2, 40};
    ASSERT_TRUE(b.appendWith([&](std::span<uint8_t> room) {
      return RtcpNack::buildFromSequenceNumbers(kOurSsrc, 0xaaaa, lost, room);
    }));
  }
  EXPECT_GT(b.compoundCount(), 2u);
  checkCompounds(b, kMtu, sr);
  size_t remb = 0, tcc = 0, nacks = 0;
  for (size_t i = 0; i < b.compoundCount(); ++i) {
    auto compound = RtcpCompound::parse(b.compound(i));
    ASSERT_TRUE(compound.ok());
    for (const auto& packet : *compound) {
      remb += RtcpRemb::parse(packet.bytes).ok();
      tcc += RtcpTransportFeedback::parse(packet.bytes).ok();
      nacks += RtcpNack::parse(packet.bytes).ok();
    }
  }
  EXPECT_EQ(remb, 5u);
  EXPECT_EQ(tcc, 5u);
  EXPECT_EQ(nacks, 5u);
}

TEST(RtcpCompoundBuilderTest, ReducedSizeTakesFeedbackOnly) {
  std::vector<uint8_t> buffer(1000);
  RtcpCompoundBuilder b(buffer, 40);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b.reducedSize());
  EXPECT_EQ(b.compoundCount(), 0u);
  EXPECT_TRUE(b.append(pli()));
  EXPECT_TRUE(b.append(nack(7)));
  EXPECT_TRUE(b.append(pli()));  // 12 + 16 + 12 = 40
  EXPECT_TRUE(b.append(nack(8)));
  ASSERT_EQ(b.compoundCount(), 2u);
  EXPECT_EQ(b.compound(0).size(), 40u);
  EXPECT_EQ(b.compound(1).size(), 16u);
  EXPECT_EQ(checkCompounds(b, 40, {}), (std::vector<uint16_t>{7, 8}));

  size_t before = b.size();
  EXPECT_FALSE(b.append(reportPrefix()));  // RR + SDES
  std::vector<uint8_t> sdes(32);
  sdes.resize(RtcpSdes::buildCname(1, "x", sdes));
  EXPECT_FALSE(b.append(sdes));
  auto mixed = pli();
  auto rr = reportPrefix();
  mixed.insert(mixed.end(), rr.begin(), rr.begin() + 8);
  EXPECT_FALSE(b.append(mixed));  // a PLI with an RR: refused whole
  EXPECT_EQ(b.size(), before);
  EXPECT_EQ(b.compoundCount(), 2u);
}

TEST(RtcpCompoundBuilderTest, RefusesWhatCanNeverFit) {
  auto prefix = reportPrefix();
  std::vector<uint8_t> buffer(1000);
  RtcpCompoundBuilder b(buffer, 48, prefix);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(b.append(nack(1)));  // 40
  std::vector<uint8_t> big(RtcpReceiverReport::sizeFor(1));
  RtcpReportBlock block;
  ASSERT_GT(RtcpReceiverReport::build(5, {&block, 1}, big), 0u);  // 32: 24 + 32 > 48
  EXPECT_FALSE(b.append(big));
  EXPECT_EQ(b.compoundCount(), 1u);
  EXPECT_EQ(b.size(), 40u);
  EXPECT_FALSE(b.append({}));
  std::vector<uint8_t> garbage{0x80, 0xc9, 0x00, 0x05};  // length past its bytes
  EXPECT_FALSE(b.append(garbage));
  EXPECT_FALSE(b.appendWith([](std::span<uint8_t> room) { return room.size() + 4; }));
  EXPECT_EQ(b.compoundCount(), 1u);
  EXPECT_EQ(b.size(), 40u);
}

TEST(RtcpCompoundBuilderTest, StopsWhenTheBufferOrTheSlotsRunOut) {
  auto prefix = reportPrefix();
  {
    std::vector<uint8_t> buffer(60);
    RtcpCompoundBuilder b(buffer, 50, prefix);
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(b.append(nack(1)));   // 40
    EXPECT_FALSE(b.append(nack(2)));  // a new compound needs 40, 20 are left
    EXPECT_FALSE(b.append(pli()));
    EXPECT_EQ(b.compoundCount(), 1u);
    EXPECT_EQ(b.size(), 40u);
  }
  {
    std::vector<uint8_t> buffer(4000);
    RtcpCompoundBuilder b(buffer, 40, prefix);  // one NACK per compound
    for (uint16_t i = 0; i < kRtcpCompoundBuilderMaxCompounds; ++i)
      EXPECT_TRUE(b.append(nack(i)));
    EXPECT_FALSE(b.append(nack(99)));
    EXPECT_EQ(b.compoundCount(), kRtcpCompoundBuilderMaxCompounds);
    EXPECT_EQ(checkCompounds(b, 40, prefix).size(), kRtcpCompoundBuilderMaxCompounds);
  }
}

TEST(RtcpCompoundBuilderTest, APrefixAloneIsACompound) {
  auto prefix = reportPrefix();
  std::vector<uint8_t> buffer(100);
  RtcpCompoundBuilder b(buffer, 1200, prefix);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b.compoundCount(), 1u);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), b.compound(0).begin(), b.compound(0).end()));
}

TEST(RtcpCompoundBuilderTest, RejectsAnUnusablePrefix) {
  std::vector<uint8_t> buffer(1000);
  auto prefix = reportPrefix();
  std::vector<uint8_t> sdesFirst(prefix.begin() + 8, prefix.end());
  sdesFirst.insert(sdesFirst.end(), prefix.begin(), prefix.begin() + 8);
  std::vector<uint8_t> truncated(prefix.begin(), prefix.end() - 4);
  struct Bad {
    const char* name;
    std::vector<uint8_t> prefix;
    size_t mtu;
    size_t bufferSize;
  };
  const Bad cases[] = {
      {"SDES first", sdesFirst, 1200, 1000},
      {"truncated", truncated, 1200, 1000},
      {"larger than the MTU", prefix, 20, 1000},
      {"larger than the buffer", prefix, 1200, 20},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RtcpCompoundBuilder b{std::span(buffer).first(c.bufferSize), c.mtu, c.prefix};
    EXPECT_FALSE(b.ok());
    EXPECT_FALSE(b.append(pli()));
    EXPECT_EQ(b.compoundCount(), 0u);
  }
}

}  // namespace
}  // namespace switchyard::rtp
