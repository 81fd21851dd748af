// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
// 3.1): all three chunk kinds, both delta sizes, sequence and reference time wraps, the
// builder's chunk choices and its size budget.

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/rtcp/RtcpTransportFeedback.hpp"
#include "tests/support/RtcpTestSupport.hpp"

namespace switchyard::rtp {
namespace {

using test::hex;

using Packet = RtcpTransportFeedbackPacket;
using Arrival = RtcpTransportFeedbackArrival;

std::vector<Packet> packetsOf(const RtcpTransportFeedback& fb) {
  return std::vector<Packet>(fb.begin(), fb.end());
}

// The received packets as builder input.
std::vector<Arrival> arrivalsOf(const std::vector<Packet>& packets) {
  std::vector<Arrival> out;
  for (const auto& p : packets) {
    if (p.received) out.push_back({p.sequenceNumber, p.arrivalTimeUs});
  }
  return out;
}

uint16_t chunkAt(const std::vector<uint8_t>& fb, size_t i) {
  return static_cast<uint16_t>(fb[kRtcpTransportFeedbackFixedSize + 2 * i] << 8 |
                               fb[kRtcpTransportFeedbackFixedSize + 2 * i + 1]);
}

constexpr int64_t kMaxRefUs = int64_t{0xffffff} * kRtcpTccReferenceTickUs;

struct Case {
  const char* name;
  const char* bytes;
  uint16_t base;
  uint32_t referenceTime;
  uint8_t fbCount;
  std::vector<Packet> packets;
  bool builderBytes;  // build() from the received packets gives these exact bytes
};

const std::vector<Case>& validCases() {
  static const std::vector<Case> cases = {
      {"run length of small deltas, P-bit padding",
       "afcd0006 11223344 55667788 0064 0003 000010 07 2003 040801 000003",
       100,
       16,
       7,
       {{100, true, 4, 1'025'000}, {101, true, 8, 1'027'000}, {102, true, 1, 1'027'250}},
       true},
      {"one-bit status vector across the 2^16 wrap",
       "afcd0006 11223344 55667788 fffe 000e 000000 00 ac01 01020304 0002",
       0xfffe,
       0,
       0,
       {{0xfffe, true, 1, 250},
        {0xffff, false, 0, 250},
        {0x0000, true, 2, 750},
        {0x0001, true, 3, 1500},
        {0x0002, false, 0, 1500},
        {0x0003, false, 0, 1500},
        {0x0004, false, 0, 1500},
        {0x0005, false, 0, 1500},
        {0x0006, false, 0, 1500},
        {0x0007, false, 0, 1500},
        {0x0008, false, 0, 1500},
        {0x0009, false, 0, 1500},
        {0x000a, false, 0, 1500},
        {0x000b, true, 4, 2500}},
       true},
      {"two-bit status vector, large and negative deltas, across 2^15, last reference time",
       "8fcd0006 11223344 55667788 7ffe 0005 ffffff ff d890 10 0400 fff6 ff",
       0x7ffe,
       0xffffff,
       0xff,
       {{0x7ffe, true, 16, kMaxRefUs + 4000},
        {0x7fff, true, 1024, kMaxRefUs + 260000},
        {0x8000, false, 0, kMaxRefUs + 260000},
        {0x8001, true, -10, kMaxRefUs + 257500},
        {0x8002, true, 255, kMaxRefUs + 321250}},
       true},
      {"run lengths of lost and of large deltas at both int16 ends",
       "8fcd0006 11223344 55667788 000a 0007 0003e8 01 0005 4002 8000 7fff",
       10,
       1000,
       1,
       {{10, false, 0, 64'000'000},
        {11, false, 0, 64'000'000},
        {12, false, 0, 64'000'000},
        {13, false, 0, 64'000'000},
        {14, false, 0, 64'000'000},
        {15, true, -32768, 55'808'000},
        {16, true, 32767, 63'999'750}},
       false},
      {"zero padding without the P bit",
       "8fcd0006 11223344 55667788 0064 0003 000010 07 2003 040801 000000",
       100,
       16,
       7,
       {{100, true, 4, 1'025'000}, {101, true, 8, 1'027'000}, {102, true, 1, 1'027'250}},
       false},
      {"symbols past the status count are ignored, even reserved ones",
       "8fcd0005 11223344 55667788 0005 0002 000000 00 d7ff 0102",
       5,
       0,
       0,
       {{5, true, 1, 250}, {6, true, 2, 750}},
       false},
      {"a run of length zero covers nothing",
       "afcd0006 11223344 55667788 0001 0001 000000 00 0000 2001 05 000003",
       1,
       0,
       0,
       {{1, true, 5, 1250}},
       false},
  };
  return cases;
}

TEST(RtcpTransportFeedbackTest, ParsesEveryChunkKind) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto fb = RtcpTransportFeedback::parse(bytes);
    ASSERT_TRUE(fb.ok()) << parseErrorName(fb.error());
    EXPECT_EQ(fb->senderSsrc(), 0x11223344u);
    EXPECT_EQ(fb->mediaSsrc(), 0x55667788u);
    EXPECT_EQ(fb->baseSequenceNumber(), c.base);
    EXPECT_EQ(fb->packetStatusCount(), c.packets.size());
    EXPECT_EQ(fb->referenceTime(), c.referenceTime);
    EXPECT_EQ(fb->referenceTimeUs(), int64_t{c.referenceTime} * 64000);
    EXPECT_EQ(fb->feedbackPacketCount(), c.fbCount);
    EXPECT_EQ(fb->receivedCount(), arrivalsOf(c.packets).size());
    EXPECT_EQ(packetsOf(*fb), c.packets);
  }
}

TEST(RtcpTransportFeedbackTest, BuildsTheSameBytesFromTheArrivals) {
  for (const auto& c : validCases()) {
    if (!c.builderBytes) continue;
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto arrivals = arrivalsOf(c.packets);
    RtcpTransportFeedback::BuildParams params;
    params.senderSsrc = 0x11223344;
    params.mediaSsrc = 0x55667788;
    params.feedbackPacketCount = c.fbCount;
    params.baseSequenceNumber = c.base;
    params.referenceTimeUs = int64_t{c.referenceTime} * 64000;
    params.arrivals = arrivals;
    std::vector<uint8_t> out(256);
    auto r = RtcpTransportFeedback::build(params, out);
    EXPECT_EQ(r.arrivalCount, arrivals.size());
    ASSERT_EQ(r.size, bytes.size());
    out.resize(r.size);
    EXPECT_EQ(out, bytes);
  }
}

TEST(RtcpTransportFeedbackTest, ParseBuildParseKeepsEveryStatusAndDelta) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    auto fb = RtcpTransportFeedback::parse(bytes);
    ASSERT_TRUE(fb.ok());
    auto arrivals = arrivalsOf(packetsOf(*fb));
    RtcpTransportFeedback::BuildParams params;
    params.baseSequenceNumber = fb->baseSequenceNumber();
    params.referenceTimeUs = fb->referenceTimeUs();
    params.arrivals = arrivals;
    std::vector<uint8_t> out(256);
    auto r = RtcpTransportFeedback::build(params, out);
    ASSERT_EQ(r.arrivalCount, arrivals.size());
    EXPECT_LE(r.size, bytes.size());
    auto again = RtcpTransportFeedback::parse(std::span(out).first(r.size));
    ASSERT_TRUE(again.ok()) << parseErrorName(again.error());
    EXPECT_EQ(packetsOf(*again), c.packets);
    EXPECT_EQ(again->referenceTime(), c.referenceTime);
  }
}

TEST(RtcpTransportFeedbackTest, BuilderPrefersATwoBitVectorOverTwoRuns) {
  // The "run lengths" case above spends two chunks; one 2-bit vector holds all seven statuses.
  auto bytes = hex("8fcd0006 11223344 55667788 000a 0007 0003e8 01 0005 4002 8000 7fff");
  auto fb = RtcpTransportFeedback::parse(bytes);
  ASSERT_TRUE(fb.ok());
  auto arrivals = arrivalsOf(packetsOf(*fb));
  RtcpTransportFeedback::BuildParams params{0x11223344, 0x55667788, 1, 10, 64'000'000, arrivals};
  std::vector<uint8_t> out(64);
  auto r = RtcpTransportFeedback::build(params, out);
  out.resize(r.size);
  EXPECT_EQ(out, hex("afcd0006 11223344 55667788 000a 0007 0003e8 01 c00a 8000 7fff 0002"));
}

// Builds from arrivals with the defaults (base and reference from the first arrival).
std::vector<uint8_t> buildAll(const std::vector<Arrival>& arrivals, size_t maxSize = 2048) {
  RtcpTransportFeedback::BuildParams params;
  params.arrivals = arrivals;
  std::vector<uint8_t> out(maxSize);
  auto r = RtcpTransportFeedback::build(params, out);
  EXPECT_EQ(r.arrivalCount, arrivals.size());
  out.resize(r.size);
  return out;
}

TEST(RtcpTransportFeedbackTest, BuilderChoosesChunksByContent) {
  struct ChunkCase {
    const char* name;
    std::vector<Arrival> arrivals;
    std::vector<uint16_t> chunks;
    size_t statusCount;
  };
  std::vector<Arrival> run, alternating, mixed, gap;
  for (uint16_t i = 0; i < 100; ++i)
    run.push_back({i, 1000 + 1000 * int64_t{i}});
  for (uint16_t i = 0; i < 14; ++i)
    alternating.push_back({uint16_t(2 * i), 250 * int64_t{i}});
  for (uint16_t i = 0, t = 0; i < 14; ++i) {
    t = static_cast<uint16_t>(t + (i % 2 ? 1000 : 1));
    mixed.push_back({i, 250 * int64_t{t}});
  }
  gap = {{0, 0}, {20000, 1000}};
  const ChunkCase cases[] = {
      {"100 small deltas: one run", run, {0x2064}, 100},
      {"received every other: 1-bit vectors", alternating, {0xaaaa, 0xaaaa}, 27},
      {"small and large alternating: 2-bit vectors", mixed, {0xd999, 0xe666}, 14},
      {"19999 lost: vector, full runs, a run, a run",
       gap,
       {0xa000, 0x1fff, 0x1fff, 0x0e14, 0x2001},
       20001},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto out = buildAll(c.arrivals);
    auto fb = RtcpTransportFeedback::parse(out);
    ASSERT_TRUE(fb.ok()) << parseErrorName(fb.error());
    EXPECT_EQ(fb->packetStatusCount(), c.statusCount);
    for (size_t i = 0; i < c.chunks.size(); ++i)
      EXPECT_EQ(chunkAt(out, i), c.chunks[i]) << i;
    auto packets = packetsOf(*fb);
    auto decoded = arrivalsOf(packets);
    ASSERT_EQ(decoded.size(), c.arrivals.size());
    for (size_t i = 0; i < decoded.size(); ++i) {
      EXPECT_EQ(decoded[i].sequenceNumber, c.arrivals[i].sequenceNumber);
      EXPECT_EQ(decoded[i].arrivalTimeUs, c.arrivals[i].arrivalTimeUs);
    }
  }
}

TEST(RtcpTransportFeedbackTest, BuilderRoundsArrivalsToTicksWithoutDrift) {
  std::vector<Arrival> arrivals;
  for (uint16_t i = 0; i < 50; ++i)
    arrivals.push_back({i, 64'000 * 3 + 130 * int64_t{i} + 7});
  auto out = buildAll(arrivals);
  auto fb = RtcpTransportFeedback::parse(out);
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ(fb->referenceTime(), 3u);
  size_t i = 0;
  for (const auto& p : *fb) {
    int64_t exact = arrivals[i++].arrivalTimeUs;
    EXPECT_LE(std::abs(p.arrivalTimeUs - exact), kRtcpTccDeltaTickUs / 2) << p.sequenceNumber;
  }
}

TEST(RtcpTransportFeedbackTest, SplitsAcrossFeedbacksUnderASizeBudget) {
  std::vector<Arrival> arrivals;
  int64_t t = 5'000'000;
  uint16_t seq = 65500;  // crosses the 2^16 wrap on the way
  for (int i = 0; i < 100; ++i) {
    seq = static_cast<uint16_t>(seq + (i % 7 == 3 ? 3 : 1));
    t += (i % 5 == 0) ? 90'000 : (i % 3) * 250;
    arrivals.push_back({seq, t});
  }
  std::vector<Arrival> decoded;
  size_t feedbacks = 0;
  for (size_t first = 0; first < arrivals.size(); ++feedbacks) {
    RtcpTransportFeedback::BuildParams params;
    params.arrivals = std::span(arrivals).subspan(first);
    std::vector<uint8_t> out(40);
    auto r = RtcpTransportFeedback::build(params, out);
    ASSERT_GT(r.arrivalCount, 0u);
    ASSERT_LE(r.size, 40u);
    auto fb = RtcpTransportFeedback::parse(std::span(out).first(r.size));
    ASSERT_TRUE(fb.ok()) << parseErrorName(fb.error());
    EXPECT_EQ(fb->receivedCount(), r.arrivalCount);
    for (auto a : arrivalsOf(packetsOf(*fb)))
      decoded.push_back(a);
    first += r.arrivalCount;
  }
  EXPECT_GT(feedbacks, 5u);
  ASSERT_EQ(decoded.size(), arrivals.size());
  for (size_t i = 0; i < arrivals.size(); ++i) {
    EXPECT_EQ(decoded[i].sequenceNumber, arrivals[i].sequenceNumber);
    EXPECT_EQ(decoded[i].arrivalTimeUs, arrivals[i].arrivalTimeUs);
  }
}

TEST(RtcpTransportFeedbackTest, BuilderStopsWhereAFeedbackMustEnd) {
  struct Stop {
    const char* name;
    std::optional<uint16_t> base;
    std::vector<Arrival> arrivals;
    size_t taken;
    size_t statusCount;
  };
  const Stop cases[] = {
      {"out of order", {}, {{10, 0}, {12, 250}, {11, 500}}, 2, 3},
      {"duplicate", {}, {{10, 0}, {10, 250}}, 1, 1},
      {"2^15 - 1 lost is still ahead", {}, {{0, 0}, {0x8000, 250}}, 2, 0x8001},
      {"2^15 lost is behind", {}, {{0, 0}, {0x8001, 250}}, 1, 1},
      {"largest positive delta", {}, {{1, 0}, {2, 32767 * 250}}, 2, 2},
      {"delta past int16", {}, {{1, 0}, {2, 32768 * 250}}, 1, 1},
      {"most negative delta", {}, {{1, 8'192'000}, {2, 0}}, 2, 2},
      {"delta below int16", {}, {{1, 8'192'250}, {2, 0}}, 1, 1},
      {"status count full", {}, {{0, 0}, {30000, 250}, {60000, 500}, {65535, 750}}, 3, 60001},
      {"base before the first arrival", 5, {{8, 0}}, 1, 4},
      {"base after the first arrival", 9, {{8, 0}}, 0, 0},
      {"nothing", {}, {}, 0, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RtcpTransportFeedback::BuildParams params;
    params.baseSequenceNumber = c.base;
    params.arrivals = c.arrivals;
    std::vector<uint8_t> out(2048);
    auto r = RtcpTransportFeedback::build(params, out);
    EXPECT_EQ(r.arrivalCount, c.taken);
    if (c.taken == 0) {
      EXPECT_EQ(r.size, 0u);
      continue;
    }
    auto fb = RtcpTransportFeedback::parse(std::span(out).first(r.size));
    ASSERT_TRUE(fb.ok()) << parseErrorName(fb.error());
    EXPECT_EQ(fb->packetStatusCount(), c.statusCount);
    EXPECT_EQ(fb->receivedCount(), c.taken);
  }
}

TEST(RtcpTransportFeedbackTest, BuilderNeedsRoomForOnePacket) {
  std::vector<Arrival> one{{7, 1000}};
  RtcpTransportFeedback::BuildParams params;
  params.arrivals = one;
  std::vector<uint8_t> out(24);
  EXPECT_EQ(RtcpTransportFeedback::build(params, std::span(out).first(23)).size, 0u);
  auto r = RtcpTransportFeedback::build(params, out);
  EXPECT_EQ(r.size, 24u);
  EXPECT_EQ(r.arrivalCount, 1u);
  // Times so large that tick arithmetic could overflow are refused, not wrapped.
  std::vector<Arrival> far{{7, int64_t{1} << 62}};
  params.arrivals = far;
  EXPECT_EQ(RtcpTransportFeedback::build(params, out).size, 0u);
}

TEST(RtcpTransportFeedbackTest, ReferenceTimeWraps) {
  EXPECT_EQ(RtcpTransportFeedback::referenceTimeDeltaUs(0xffffff, 0), 64000);
  EXPECT_EQ(RtcpTransportFeedback::referenceTimeDeltaUs(0, 0xffffff), -64000);
  EXPECT_EQ(RtcpTransportFeedback::referenceTimeDeltaUs(10, 20), 640000);
  EXPECT_EQ(RtcpTransportFeedback::referenceTimeDeltaUs(0, 0x7fffff), int64_t{0x7fffff} * 64000);
  EXPECT_EQ(RtcpTransportFeedback::referenceTimeDeltaUs(0, 0x800000), -int64_t{0x800000} * 64000);

  // Two feedbacks on either side of the 24-bit wrap of the reference time.
  const int64_t wrapUs = kRtcpTccReferenceWrapUs;
  std::vector<Arrival> before{{1, wrapUs - 64000 + 1000}};
  std::vector<Arrival> after{{2, wrapUs + 2000}};
  auto a = buildAll(before);
  auto b = buildAll(after);
  auto fa = RtcpTransportFeedback::parse(a);
  auto fb = RtcpTransportFeedback::parse(b);
  ASSERT_TRUE(fa.ok());
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ(fa->referenceTime(), 0xffffffu);
  EXPECT_EQ(fb->referenceTime(), 0u);
  int64_t ta = (*fa->begin()).arrivalTimeUs - fa->referenceTimeUs();
  int64_t tb = (*fb->begin()).arrivalTimeUs - fb->referenceTimeUs();
  EXPECT_EQ(RtcpTransportFeedback::referenceTimeDeltaUs(fa->referenceTime(), fb->referenceTime()) +
                tb - ta,
            after[0].arrivalTimeUs - before[0].arrivalTimeUs);

  // A negative clock still gives a 24-bit field.
  std::vector<Arrival> negative{{3, -1}};
  auto n = buildAll(negative);
  auto fn = RtcpTransportFeedback::parse(n);
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(fn->referenceTime(), 0xffffffu);
  EXPECT_EQ((*fn->begin()).deltaTicks, 256);  // 63999 us after the reference, rounded
}

TEST(RtcpTransportFeedbackTest, DecodesIntoAFixedArray) {
  auto bytes = hex("afcd0006 11223344 55667788 fffe 000e 000000 00 ac01 01020304 0002");
  auto fb = RtcpTransportFeedback::parse(bytes);
  ASSERT_TRUE(fb.ok());
  std::array<Packet, 3> small;
  EXPECT_EQ(fb->decode(small), 3u);
  EXPECT_EQ(small[2].sequenceNumber, 0);
  EXPECT_TRUE(small[2].received);
  std::array<Packet, 64> large;
  EXPECT_EQ(fb->decode(large), 14u);
  EXPECT_EQ(large[13].sequenceNumber, 0x000b);
}

TEST(RtcpTransportFeedbackTest, RejectsMalformedPackets) {
  struct Bad {
    const char* name;
    const char* bytes;
    ParseError error;
  };
  const Bad cases[] = {
      {"status count zero", "8fcd0004 11223344 55667788 0064 0000 000010 07",
       ParseError::kMalformed},
      {"no chunk", "8fcd0004 11223344 55667788 0064 0003 000010 07", ParseError::kBadLength},
      {"chunks run out", "8fcd0005 11223344 55667788 0064 0014 000010 07 2003 2003",
       ParseError::kBadLength},
      {"deltas run out", "8fcd0005 11223344 55667788 0064 0003 000010 07 2003 0408",
       ParseError::kBadLength},
      {"large deltas run out", "8fcd0005 11223344 55667788 0064 0002 000010 07 4002 0408",
       ParseError::kBadLength},
      {"reserved symbol in a run", "8fcd0005 11223344 55667788 0064 0003 000010 07 6003 0000",
       ParseError::kMalformed},
      {"reserved symbol in a 2-bit vector",
       "8fcd0005 11223344 55667788 0064 0001 000010 07 f000 0000", ParseError::kMalformed},
      {"a word after the deltas",
       "8fcd0007 11223344 55667788 000a 0007 0003e8 01 0005 4002 8000 7fff 00000000",
       ParseError::kBadLength},
      {"fixed part cut", "8fcd0003 11223344 55667788 00640003", ParseError::kBadLength},
      {"padding eats the deltas", "afcd0005 11223344 55667788 0064 0003 000010 07 2003 0403",
       ParseError::kBadLength},
      {"FMT 1 (NACK)", "81cd0005 11223344 55667788 0064 0001 000010 07 2001 0400",
       ParseError::kBadPayloadType},
      {"a PSFB", "8fce0005 11223344 55667788 0064 0001 000010 07 2001 0400",
       ParseError::kBadPayloadType},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto fb = RtcpTransportFeedback::parse(hex(c.bytes));
    ASSERT_FALSE(fb.ok());
    EXPECT_EQ(fb.error(), c.error) << parseErrorName(fb.error());
  }
}

TEST(RtcpTransportFeedbackTest, TruncationAtEveryOffsetIsRejected) {
  for (const auto& c : validCases()) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto fb = RtcpTransportFeedback::parse(std::span(bytes).first(n));
      ASSERT_FALSE(fb.ok());
      EXPECT_EQ(fb.error(), ParseError::kTooShort) << n;
    }
  }
}

}  // namespace
}  // namespace switchyard::rtp
