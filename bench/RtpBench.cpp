// switchyard-rtp-bench: Google Benchmark microbenchmarks of the rtp/ packet path, in ns per
// packet or per operation: RTP parse and extension lookups, the per-consumer rewrite an SFU does
// (SSRC, sequence number, timestamp, payload type, VP8 PictureID/TL0PICIDX), transport-cc
// feedback, NACK generation, the retransmission buffer, RTCP compound parsing and receive
// statistics. Packets are real captures from tests/fixtures/rtp/*.hex, loaded at startup.
// bench/README.md explains each row and holds the measured figures.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtp/ByteIo.hpp"
#include "rtp/NackGenerator.hpp"
#include "rtp/PacketPool.hpp"
#include "rtp/ReceiveStatistics.hpp"
#include "rtp/RetransmissionBuffer.hpp"
#include "rtp/RtpHeaderExtensions.hpp"
#include "rtp/RtpPacket.hpp"
#include "rtp/codecs/Vp8PayloadDescriptor.hpp"
#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpSdes.hpp"
#include "rtp/rtcp/RtcpSenderReport.hpp"
#include "rtp/rtcp/RtcpTransportFeedback.hpp"
#include "tests/support/Fixtures.hpp"

namespace switchyard::bench {
namespace {

using rtp::RtpExtensionType;
using rtp::RtpHeaderExtensionMap;
using rtp::RtpPacket;

// Fixture files and the packets taken from them (matched by a unique part of "# name:").
constexpr const char* kChromiumVideoFile = "rtp/chromium-video-headers.hex";
// VP8 rid=f, one-byte (0xBEDE) block of 6 elements: abs-send-time, twcc, mid, rid,
// playout-delay, dependency descriptor. The common Chromium video packet.
constexpr const char* kChromiumOneByteName = "seq=25134 ";
// VP8 rid=f keyframe start, two-byte (0x1000) block of 8 elements (dependency descriptor with
// its template structure, video-layers-allocation): Chromium's largest header.
constexpr const char* kChromiumTwoByteName = "seq=25133 ";
constexpr const char* kAiortcVp8File = "rtp/aiortc-vp8.hex";
// First packet of a delta frame: plaintext VP8 with X=1 I=1 (15-bit PictureID), mid +
// abs-send-time, 1300-byte payload.
constexpr const char* kAiortcVp8Name = "delta packet 1/3 seq=22979 ";
constexpr const char* kAiortcRtcpFile = "rtp/aiortc-rtcp.hex";
constexpr const char* kSrSdesName = "SR(0 blocks) + SDES(1 chunk)";

// Extension ids of the Chromium session (the table in tests/fixtures/rtp/README.md).
constexpr uint8_t kChromiumAbsSendTimeId = 2;
constexpr uint8_t kChromiumTwccId = 3;
constexpr uint8_t kChromiumMidId = 4;

// The TL0PICIDX inserted into the aiortc packet for the L=1 variant (aiortc sends no L).
constexpr uint8_t kSyntheticTl0PicIdx = 42;
constexpr uint8_t kVp8LBit = 0x40;
// RFC 3550 5.1: the X bit of the first header byte.
constexpr uint8_t kRtpExtensionBit = 0x10;

// Per-consumer rewrite values: two outgoing SSRCs and payload types alternate so that every
// iteration writes different bytes; seq and timestamp advance as a real mapping would.
constexpr uint32_t kConsumerSsrcA = 0x11223344;
constexpr uint32_t kConsumerSsrcB = 0x55667788;
constexpr uint8_t kConsumerPayloadTypeA = 96;
constexpr uint8_t kConsumerPayloadTypeB = 100;
constexpr uint32_t kTimestampStep = 3000;  // 90 kHz at 30 fps

// Transport-cc feedback: 100 received packets, 3 lost, one delta beyond 1 byte.
constexpr size_t kTccReceived = 100;
constexpr uint16_t kTccFirstSeq = 65500;  // crosses the 16-bit wrap inside the feedback
constexpr int64_t kTccLargeDeltaUs = 120'000;
constexpr size_t kRtcpBufferSize = 1500;

// NACK stream: 1000 packets/s, 1.5% loss, 2 of 3 losses repaired by RTX 40 ms later, the rest
// NACKed until the generator gives up. One cycle covers the whole 16-bit sequence space so
// that sequence numbers continue across cycles.
constexpr uint32_t kNackLossPerMille = 15;
constexpr int64_t kNackRepairDelayMs = 40;
constexpr uint32_t kNackUnrepairedOneIn = 3;
constexpr int64_t kNackRttMs = 50;
constexpr size_t kNackCycle = 65536;
// Losses stop this close to a cycle's end so that every repair lands in its own cycle.
constexpr size_t kNackQuietTail = 100;
constexpr size_t kNackOutSize = 64;
// The full-list collect(): maxEntries missing packets, all due on every call.
constexpr size_t kNackFullList = rtp::kDefaultMaxNackEntries;
constexpr int64_t kNackFullRttMs = 100;
constexpr uint8_t kNackFullMaxRetries = 255;
constexpr int64_t kNackFullRefillEvery = 250;  // collect() calls before retries run out

// Retransmission buffer: 1200-byte packets, one per ms, default capacity and age.
constexpr size_t kRtxPacketSize = 1200;
constexpr size_t kRtxPoolSlabs = 17;  // 1088 buffers: the 1024-packet ring plus spares
constexpr int64_t kRtxResendRttMs = 5;
constexpr int64_t kRtxRoundStepMs = 10;     // > the resend spacing, so every resend is kOk
constexpr uint32_t kRtxLookupStride = 421;  // odd: visits all 1024 slots in a scattered order

// Receive statistics: a 30 fps, 90 kHz video stream of 3 packets per frame.
constexpr uint32_t kStatsClockRate = 90000;
constexpr uint32_t kStatsPacketsPerFrame = 3;

// Deterministic loss pattern (a fixed LCG, so every run sees the same stream).
class Lcg {
 public:
  uint32_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state_ >> 33);
  }

 private:
  uint64_t state_ = 0x5157'6974'6368'7961ULL;
};

struct Corpus {
  std::vector<uint8_t> chromiumOneByte;
  std::vector<uint8_t> chromiumTwoByte;
  std::vector<uint8_t> aiortcVp8;
  std::vector<uint8_t> aiortcVp8Tl0;    // aiortcVp8 with L=1 and a TL0PICIDX byte inserted
  std::vector<uint8_t> aiortcVp8NoExt;  // aiortcVp8 without its extension block (X=0)
  std::vector<uint8_t> rtx1200;         // the first kRtxPacketSize bytes of aiortcVp8
  std::vector<uint8_t> srSdes;
};

std::vector<uint8_t> findPacket(const std::string& file, std::string_view name) {
  for (auto& packet : test::loadFixture(file)) {
    if (packet.name.find(name) != std::string::npos) return std::move(packet.bytes);
  }
  throw std::runtime_error("no packet named \"" + std::string(name) + "\" in " + file);
}

// RFC 7741 4.2: the L bit adds TL0PICIDX right after the PictureID.
std::vector<uint8_t> withTl0PicIdx(std::vector<uint8_t> bytes) {
  auto parsed = RtpPacket::parse(bytes);
  if (!parsed) throw std::runtime_error("aiortc VP8 packet does not parse");
  auto vp8 = rtp::Vp8PayloadDescriptor::parse(parsed->payload());
  if (!vp8 || !vp8->hasPictureId() || vp8->hasTl0PicIdx() || vp8->hasTemporalId() ||
      vp8->hasKeyIdx()) {
    throw std::runtime_error("aiortc VP8 descriptor is not X=1 I=1 only");
  }
  const size_t descriptorStart = parsed->headerSize();
  const size_t tl0At = descriptorStart + vp8->size();
  bytes[descriptorStart + 1] |= kVp8LBit;
  bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(tl0At), kSyntheticTl0PicIdx);
  return bytes;
}

// The same packet without header extensions: the parse's fixed cost.
std::vector<uint8_t> withoutExtensions(std::vector<uint8_t> bytes) {
  auto parsed = RtpPacket::parse(bytes);
  if (!parsed || !parsed->hasExtensionBlock()) {
    throw std::runtime_error("aiortc VP8 packet has no extension block");
  }
  const auto blockStart = static_cast<std::ptrdiff_t>(
      parsed->extensionBlock().data() - bytes.data() - RtpPacket::kExtensionHeaderSize);
  const auto blockEnd = static_cast<std::ptrdiff_t>(parsed->headerSize());
  bytes[0] &= static_cast<uint8_t>(~kRtpExtensionBit);
  bytes.erase(bytes.begin() + blockStart, bytes.begin() + blockEnd);
  return bytes;
}

Corpus loadCorpus() {
  Corpus c;
  c.chromiumOneByte = findPacket(kChromiumVideoFile, kChromiumOneByteName);
  c.chromiumTwoByte = findPacket(kChromiumVideoFile, kChromiumTwoByteName);
  c.aiortcVp8 = findPacket(kAiortcVp8File, kAiortcVp8Name);
  c.aiortcVp8Tl0 = withTl0PicIdx(c.aiortcVp8);
  c.aiortcVp8NoExt = withoutExtensions(c.aiortcVp8);
  if (c.aiortcVp8.size() < kRtxPacketSize) throw std::runtime_error("aiortc VP8 packet too short");
  c.rtx1200.assign(c.aiortcVp8.begin(), c.aiortcVp8.begin() + kRtxPacketSize);
  c.srSdes = findPacket(kAiortcRtcpFile, kSrSdesName);
  return c;
}

RtpHeaderExtensionMap chromiumMap() {
  RtpHeaderExtensionMap map;
  map.add(RtpExtensionType::kAbsSendTime, kChromiumAbsSendTimeId);
  map.add(RtpExtensionType::kTransportSequenceNumber, kChromiumTwccId);
  map.add(RtpExtensionType::kMid, kChromiumMidId);
  return map;
}

// ---- 1. RTP parse and header extension lookups ----

constexpr uint32_t kNotFound = 0x1000000;  // above any 24-bit value

struct ThreeExtensions {
  std::string_view mid;
  uint32_t absSendTime = kNotFound;
  uint32_t twcc = kNotFound;
  bool allFound() const { return !mid.empty() && absSendTime != kNotFound && twcc != kNotFound; }
};

// The transport-wide sequence number read straight from the element's bytes.
uint32_t twccRaw(const RtpPacket& packet, const RtpHeaderExtensionMap& map) {
  auto v = packet.extension(map.id(RtpExtensionType::kTransportSequenceNumber));
  if (!v || v->size() != rtp::TransportSequenceNumber::kSize) return kNotFound;
  return rtp::readU16(v->data());
}

// The same through the typed helper, as the header says to use it.
uint32_t twccTyped(const RtpPacket& packet, const RtpHeaderExtensionMap& map) {
  auto v = packet.extension(map.id(RtpExtensionType::kTransportSequenceNumber));
  if (!v) return kNotFound;
  auto tsn = rtp::TransportSequenceNumber::parse(*v);
  return tsn ? tsn->value : kNotFound;
}

// mid, abs-send-time and twcc as raw bytes: what routing and congestion control need.
ThreeExtensions threeRaw(const RtpPacket& packet, const RtpHeaderExtensionMap& map) {
  ThreeExtensions out;
  if (auto v = packet.extension(map.id(RtpExtensionType::kMid))) {
    out.mid = {reinterpret_cast<const char*>(v->data()), v->size()};
  }
  if (auto v = packet.extension(map.id(RtpExtensionType::kAbsSendTime));
      v && v->size() == rtp::AbsSendTime::kSize) {
    out.absSendTime = rtp::readU24(v->data());
  }
  out.twcc = twccRaw(packet, map);
  return out;
}

// The same three through the typed helpers (Mid::parse also validates the token characters).
ThreeExtensions threeTyped(const RtpPacket& packet, const RtpHeaderExtensionMap& map) {
  ThreeExtensions out;
  if (auto v = packet.extension(map.id(RtpExtensionType::kMid))) {
    if (auto mid = rtp::Mid::parse(*v)) out.mid = mid->value;
  }
  if (auto v = packet.extension(map.id(RtpExtensionType::kAbsSendTime))) {
    if (auto ast = rtp::AbsSendTime::parse(*v)) out.absSendTime = ast->value;
  }
  out.twcc = twccTyped(packet, map);
  return out;
}

bool found(uint32_t value) {
  return value != kNotFound;
}
bool found(const ThreeExtensions& value) {
  return value.allFound();
}

void parseOnly(benchmark::State& state, std::vector<uint8_t> bytes) {
  if (!RtpPacket::parse(bytes)) return state.SkipWithError("fixture does not parse");
  for (auto _ : state) {
    auto parsed = RtpPacket::parse(bytes);
    benchmark::DoNotOptimize(parsed);
  }
}

// parseInto one long-lived packet, as a receive path holding an RtpPacket per buffer does.
void parseIntoOnly(benchmark::State& state, std::vector<uint8_t> bytes) {
  RtpPacket packet;
  if (RtpPacket::parseInto(bytes, bytes.size(), packet)) {
    return state.SkipWithError("fixture does not parse");
  }
  for (auto _ : state) {
    auto error = RtpPacket::parseInto(bytes, bytes.size(), packet);
    benchmark::DoNotOptimize(error);
    benchmark::DoNotOptimize(packet);
  }
}

// parseInto, then `lookup`: what the receive path pays per packet.
template <typename Lookup>
void parseIntoAndLookup(benchmark::State& state, std::vector<uint8_t> bytes,
                        const RtpHeaderExtensionMap& map, Lookup lookup) {
  RtpPacket packet;
  if (RtpPacket::parseInto(bytes, bytes.size(), packet)) {
    return state.SkipWithError("fixture does not parse");
  }
  if (!found(lookup(packet, map))) return state.SkipWithError("extension not found");
  for (auto _ : state) {
    if (!RtpPacket::parseInto(bytes, bytes.size(), packet)) {
      auto result = lookup(packet, map);
      benchmark::DoNotOptimize(result);
    }
  }
}

// Parse, then `lookup` on the parsed packet; the fixture must hold what lookup looks for.
template <typename Lookup>
void parseAndLookup(benchmark::State& state, std::vector<uint8_t> bytes,
                    const RtpHeaderExtensionMap& map, Lookup lookup) {
  {
    auto parsed = RtpPacket::parse(bytes);
    if (!parsed) return state.SkipWithError("fixture does not parse");
    if (!found(lookup(*parsed, map))) return state.SkipWithError("extension not found");
  }
  for (auto _ : state) {
    auto parsed = RtpPacket::parse(bytes);
    if (parsed) {
      auto result = lookup(*parsed, map);
      benchmark::DoNotOptimize(result);
    }
  }
}

// The three lookups alone on a packet parsed once: what each further lookup costs.
void lookupThreeRaw(benchmark::State& state, std::vector<uint8_t> bytes,
                    RtpHeaderExtensionMap map) {
  auto parsed = RtpPacket::parse(bytes);
  if (!parsed) return state.SkipWithError("fixture does not parse");
  const RtpPacket packet = *parsed;
  if (!threeRaw(packet, map).allFound()) return state.SkipWithError("extension not found");
  for (auto _ : state) {
    benchmark::DoNotOptimize(&packet);  // re-read the index every iteration
    auto result = threeRaw(packet, map);
    benchmark::DoNotOptimize(result);
  }
}

// ---- 2. Per-consumer rewrite ----

// The fields a consumer's mapping writes, different on every iteration.
struct Rewrite {
  uint32_t ssrc;
  uint16_t seq;
  uint32_t timestamp;
  uint8_t payloadType;
  uint16_t pictureId;
  uint8_t tl0PicIdx;
};

Rewrite rewriteFor(uint32_t i) {
  const bool odd = (i & 1) != 0;
  return {odd ? kConsumerSsrcB : kConsumerSsrcA,
          static_cast<uint16_t>(i),
          i * kTimestampStep,
          odd ? kConsumerPayloadTypeB : kConsumerPayloadTypeA,
          static_cast<uint16_t>(i),
          static_cast<uint8_t>(i)};
}

void writeHeader(RtpPacket& packet, const Rewrite& r) {
  packet.setSsrc(r.ssrc);
  packet.setSequenceNumber(r.seq);
  packet.setTimestamp(r.timestamp);
  packet.setPayloadType(r.payloadType);
}

// Parses the VP8 descriptor and rewrites PictureID (and TL0PICIDX when asked); false when the
// descriptor does not parse or lacks a field.
bool writeVp8(const RtpPacket& packet, const Rewrite& r, bool tl0) {
  const std::span<uint8_t> payload = packet.payload();
  auto vp8 = rtp::Vp8PayloadDescriptor::parse(payload);
  if (!vp8 || !vp8->rewritePictureId(payload, r.pictureId)) return false;
  return !tl0 || vp8->rewriteTl0PicIdx(payload, r.tl0PicIdx);
}

// SSRC, seq, timestamp and PT of an already parsed packet, in place.
void rewriteHeader(benchmark::State& state, std::vector<uint8_t> bytes) {
  auto parsed = RtpPacket::parse(bytes);
  if (!parsed) return state.SkipWithError("fixture does not parse");
  RtpPacket packet = *parsed;
  uint32_t i = 0;
  for (auto _ : state) {
    writeHeader(packet, rewriteFor(i++));
    benchmark::ClobberMemory();  // the stores must reach the buffer
  }
}

// As rewriteHeader, plus VP8 descriptor parse and PictureID (and TL0PICIDX) rewrite.
void rewriteHeaderVp8(benchmark::State& state, std::vector<uint8_t> bytes, bool tl0) {
  auto parsed = RtpPacket::parse(bytes);
  if (!parsed) return state.SkipWithError("fixture does not parse");
  RtpPacket packet = *parsed;
  if (!writeVp8(packet, rewriteFor(0), tl0)) return state.SkipWithError("no VP8 field");
  uint32_t i = 0;
  bool ok = true;
  for (auto _ : state) {
    const Rewrite r = rewriteFor(i++);
    writeHeader(packet, r);
    ok &= writeVp8(packet, r, tl0);
    benchmark::ClobberMemory();
  }
  if (!ok) state.SkipWithError("VP8 rewrite failed");
}

// RTP parse + the full rewrite: what a consumer pays when it starts from bytes (a parsed
// RtpPacket views one buffer, so a copy of the bytes is parsed again).
void parseRewriteVp8(benchmark::State& state, std::vector<uint8_t> bytes) {
  uint32_t i = 0;
  bool ok = true;
  for (auto _ : state) {
    auto parsed = RtpPacket::parse(bytes);
    if (!parsed) {
      ok = false;
      continue;
    }
    const Rewrite r = rewriteFor(i++);
    writeHeader(*parsed, r);
    ok &= writeVp8(*parsed, r, false);
    benchmark::ClobberMemory();
  }
  if (!ok) state.SkipWithError("parse or VP8 rewrite failed");
}

// Copy of the whole packet into the consumer's own pool buffer, parse, full rewrite: the
// fan-out path when each consumer gets its own buffer. Both packets sit in pool buffers, as
// received and forwarded packets do, so the copy sees the pool's alignment.
void copyParseRewriteVp8(benchmark::State& state, std::vector<uint8_t> bytes) {
  rtp::PacketPool pool;
  rtp::PooledPacket in = pool.acquire(bytes);
  rtp::PooledPacket out = pool.acquire();
  if (!in || !out) return state.SkipWithError("pool refused");
  const std::span<uint8_t> dst = out.writable();
  uint32_t i = 0;
  bool ok = true;
  for (auto _ : state) {
    std::memcpy(dst.data(), in.data(), in.size());
    auto parsed = RtpPacket::parse(dst.first(in.size()), dst.size());
    if (!parsed) {
      ok = false;
      continue;
    }
    const Rewrite r = rewriteFor(i++);
    writeHeader(*parsed, r);
    ok &= writeVp8(*parsed, r, false);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  if (!ok) state.SkipWithError("parse or VP8 rewrite failed");
}

// The same fan-out step from a packet parsed once: cloneInto copies the bytes and the index.
void cloneRewriteVp8(benchmark::State& state, std::vector<uint8_t> bytes) {
  rtp::PacketPool pool;
  rtp::PooledPacket in = pool.acquire(bytes);
  rtp::PooledPacket out = pool.acquire();
  if (!in || !out) return state.SkipWithError("pool refused");
  auto source = RtpPacket::parse(in.writable().first(in.size()), in.size());
  if (!source) return state.SkipWithError("fixture does not parse");
  const std::span<uint8_t> dst = out.writable();
  uint32_t i = 0;
  bool ok = true;
  for (auto _ : state) {
    auto clone = source->cloneInto(dst);
    if (!clone) {
      ok = false;
      continue;
    }
    const Rewrite r = rewriteFor(i++);
    writeHeader(*clone, r);
    ok &= writeVp8(*clone, r, false);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  if (!ok) state.SkipWithError("clone or VP8 rewrite failed");
}

void vp8ParseOnly(benchmark::State& state, std::vector<uint8_t> bytes) {
  auto parsed = RtpPacket::parse(bytes);
  if (!parsed) return state.SkipWithError("fixture does not parse");
  const std::span<const uint8_t> payload = parsed->payload();
  for (auto _ : state) {
    auto vp8 = rtp::Vp8PayloadDescriptor::parse(payload);
    benchmark::DoNotOptimize(vp8);
  }
}

// ---- 3. Transport-cc feedback ----

// 103 sequence numbers from kTccFirstSeq (across the wrap), 3 lost (one single, one pair),
// received every 0-2 ms in 250 us steps as a paced video burst arrives, one 120 ms stall.
std::vector<rtp::RtcpTransportFeedbackArrival> tccArrivals() {
  static constexpr std::array<int64_t, 8> kGapsUs = {250, 0, 500, 250, 1000, 250, 0, 2000};
  std::vector<rtp::RtcpTransportFeedbackArrival> arrivals;
  uint16_t seq = kTccFirstSeq;
  int64_t t = 1'000'000'000;  // ~17 min into the call
  for (size_t i = 0; arrivals.size() < kTccReceived; ++i, ++seq) {
    if (i == 17 || i == 58 || i == 59) continue;  // lost
    t += (i == 80) ? kTccLargeDeltaUs : kGapsUs[i % kGapsUs.size()];
    arrivals.push_back({seq, t});
  }
  return arrivals;
}

rtp::RtcpTransportFeedback::BuildParams tccParams(
    std::span<const rtp::RtcpTransportFeedbackArrival> arrivals) {
  rtp::RtcpTransportFeedback::BuildParams params;
  params.senderSsrc = kConsumerSsrcA;
  params.mediaSsrc = kConsumerSsrcB;
  params.feedbackPacketCount = 7;
  params.arrivals = arrivals;
  return params;
}

void tccBuild(benchmark::State& state) {
  const auto arrivals = tccArrivals();
  const auto params = tccParams(arrivals);
  std::array<uint8_t, kRtcpBufferSize> out{};
  const auto first = rtp::RtcpTransportFeedback::build(params, out);
  if (first.arrivalCount != kTccReceived) return state.SkipWithError("not all arrivals fit");
  for (auto _ : state) {
    auto result = rtp::RtcpTransportFeedback::build(params, out);
    benchmark::DoNotOptimize(result);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kTccReceived));
  state.counters["bytes"] = static_cast<double>(first.size);
}

// The sender's side of the same feedback: parse it and walk every reported packet.
void tccParseIterate(benchmark::State& state) {
  const auto arrivals = tccArrivals();
  std::array<uint8_t, kRtcpBufferSize> out{};
  const auto built = rtp::RtcpTransportFeedback::build(tccParams(arrivals), out);
  const std::span<const uint8_t> packet(out.data(), built.size);
  if (!rtp::RtcpTransportFeedback::parse(packet)) return state.SkipWithError("no parse");
  for (auto _ : state) {
    auto fb = rtp::RtcpTransportFeedback::parse(packet);
    int64_t sum = 0;
    if (fb) {
      for (const auto& p : *fb)
        sum += p.received ? p.arrivalTimeUs : p.sequenceNumber;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kTccReceived));
}

// ---- 4. NACK generation ----

struct NackEvent {
  int64_t atMs;  // within the cycle
  uint16_t seq;
  bool retransmitted;
};

std::vector<NackEvent> nackSchedule() {
  std::vector<NackEvent> events;
  events.reserve(kNackCycle + kNackCycle / 50);
  Lcg rng;
  uint32_t losses = 0;
  for (size_t s = 0; s < kNackCycle; ++s) {
    const auto at = static_cast<int64_t>(s);
    const bool lost = s < kNackCycle - kNackQuietTail && rng.next() % 1000 < kNackLossPerMille;
    if (!lost) {
      events.push_back({at, static_cast<uint16_t>(s), false});
    } else if (++losses % kNackUnrepairedOneIn != 0) {
      events.push_back({at + kNackRepairDelayMs, static_cast<uint16_t>(s), true});
    }
  }
  // Stable: a repair that lands on the same ms as an original comes after it.
  std::stable_sort(events.begin(), events.end(),
                   [](const NackEvent& a, const NackEvent& b) { return a.atMs < b.atMs; });
  return events;
}

// Per arriving packet: onPacket(), then collect() as the receive path would call it.
void nackStream(benchmark::State& state) {
  const auto events = nackSchedule();
  rtp::NackGenerator generator;
  generator.setRtt(kNackRttMs);
  std::array<uint16_t, kNackOutSize> out{};
  size_t next = 0;
  int64_t cycleStartMs = 0;
  uint64_t nacks = 0;
  uint64_t keyframeRequests = 0;
  for (auto _ : state) {
    const NackEvent& e = events[next];
    const int64_t now = cycleStartMs + e.atMs;
    auto result = generator.onPacket(e.seq, now, {false, e.retransmitted});
    auto batch = generator.collect(now, out);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(out.data());
    nacks += batch.count;
    keyframeRequests += batch.keyframeRequired || result.keyframeRequired;
    if (++next == events.size()) {
      next = 0;
      cycleStartMs += static_cast<int64_t>(kNackCycle);
    }
  }
  const auto packets = static_cast<double>(state.iterations());
  state.counters["nacks/pkt"] = static_cast<double>(nacks) / packets;
  state.counters["keyframe/pkt"] = static_cast<double>(keyframeRequests) / packets;
  state.counters["missing"] = static_cast<double>(generator.missingCount());
}

rtp::NackGenerator fullNackGenerator() {
  rtp::NackGeneratorConfig config;
  config.maxEntries = kNackFullList;
  config.maxRetries = kNackFullMaxRetries;
  config.maxAgeMs = int64_t{1} << 50;  // entries age out by retries only
  rtp::NackGenerator generator(config);
  generator.setRtt(kNackFullRttMs);
  generator.onPacket(0, 0);
  generator.onPacket(static_cast<uint16_t>(kNackFullList + 1), 0);
  return generator;
}

// collect() over kNackFullList missing packets, every one due (one RTT since the last NACK).
void nackCollectFullDue(benchmark::State& state) {
  std::vector<uint16_t> out(kNackFullList);
  rtp::NackGenerator generator = fullNackGenerator();
  int64_t now = 0;
  int64_t calls = 0;
  bool ok = true;
  for (auto _ : state) {
    now += kNackFullRttMs;
    auto batch = generator.collect(now, out);
    benchmark::DoNotOptimize(batch);
    benchmark::DoNotOptimize(out.data());
    ok &= batch.count == kNackFullList;
    if (++calls == kNackFullRefillEvery) {
      state.PauseTiming();
      generator = fullNackGenerator();
      now = 0;
      calls = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kNackFullList));
  if (!ok) state.SkipWithError("a collect() did not return the full list");
}

// collect() over the same list when nothing is due (a timer tick between retries).
void nackCollectFullNotDue(benchmark::State& state) {
  std::vector<uint16_t> out(kNackFullList);
  rtp::NackGenerator generator = fullNackGenerator();
  const int64_t now = kNackFullRttMs;
  if (generator.collect(now, out).count != kNackFullList) {
    return state.SkipWithError("first collect() did not return the full list");
  }
  size_t emitted = 0;
  for (auto _ : state) {
    auto batch = generator.collect(now, out);
    benchmark::DoNotOptimize(batch);
    emitted += batch.count;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kNackFullList));
  if (emitted != 0) state.SkipWithError("entries were due");
}

// ---- 5. Retransmission buffer ----

// store(seq, bytes): pool acquire, 1200-byte copy, ring insert, expiry of the oldest.
void rtxStoreCopy(benchmark::State& state, std::vector<uint8_t> bytes) {
  rtp::PacketPool pool(kRtxPoolSlabs);
  rtp::RetransmissionBuffer buffer(pool);
  uint16_t seq = 0;
  int64_t now = 0;
  for (size_t i = 0; i < 2 * buffer.capacity(); ++i)
    buffer.store(seq++, bytes, now++);
  const uint64_t slabsBefore = pool.slabCount();
  bool ok = true;
  for (auto _ : state) {
    ok &= buffer.store(seq++, bytes, now++);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["stored"] = static_cast<double>(buffer.size());
  if (!ok || pool.slabCount() != slabsBefore) state.SkipWithError("store failed or pool grew");
}

// store(seq, handle): the packet already sits in a pool buffer (received into it), no copy.
void rtxStoreHandle(benchmark::State& state) {
  rtp::PacketPool pool(kRtxPoolSlabs);
  rtp::RetransmissionBuffer buffer(pool);
  uint16_t seq = 0;
  int64_t now = 0;
  auto storeOne = [&] {
    rtp::PooledPacket packet = pool.acquire();
    packet.resize(kRtxPacketSize);
    return buffer.store(seq++, std::move(packet), now++);
  };
  for (size_t i = 0; i < 2 * buffer.capacity(); ++i)
    storeOne();
  const uint64_t slabsBefore = pool.slabCount();
  bool ok = true;
  for (auto _ : state) {
    ok &= storeOne();
  }
  if (!ok || pool.slabCount() != slabsBefore) state.SkipWithError("store failed or pool grew");
}

// A full buffer of 1024 packets stored at one time, for lookups.
struct RtxFixture {
  rtp::PacketPool pool{kRtxPoolSlabs};
  rtp::RetransmissionBuffer buffer{pool};
  uint16_t nextSeq = 0;

  void refill(const std::vector<uint8_t>& bytes, int64_t now) {
    for (size_t i = 0; i < buffer.capacity(); ++i)
      buffer.store(nextSeq++, bytes, now);
  }
  // The i-th lookup's sequence number: scattered over the stored window.
  uint16_t seqFor(uint32_t i) const {
    const auto capacity = static_cast<uint32_t>(buffer.capacity());
    return static_cast<uint16_t>(nextSeq - capacity + (i * kRtxLookupStride) % capacity);
  }
};

// resend(): a NACK answered with the stored packet (every answer kOk).
void rtxResend(benchmark::State& state, std::vector<uint8_t> bytes) {
  RtxFixture f;
  int64_t storedAt = 0;
  f.refill(bytes, storedAt);
  const auto capacity = static_cast<uint32_t>(f.buffer.capacity());
  uint32_t i = 0;
  uint32_t round = 0;
  uint64_t notOk = 0;
  for (auto _ : state) {
    // Each round revisits every packet once, one resend interval later than the last.
    const int64_t now = storedAt + kRtxRoundStepMs * (round + 1);
    auto result = f.buffer.resend(f.seqFor(i), now, kRtxResendRttMs);
    benchmark::DoNotOptimize(result);
    notOk += result.status != rtp::ResendStatus::kOk;
    if (++i == capacity) {
      i = 0;
      if (++round == rtp::kDefaultMaxResendsPerPacket) {
        state.PauseTiming();
        storedAt = now + 1;
        f.refill(bytes, storedAt);
        round = 0;
        state.ResumeTiming();
      }
    }
  }
  if (notOk != 0) state.SkipWithError("a resend was refused");
}

// find(): the stored packet without counting a resend.
void rtxFind(benchmark::State& state, std::vector<uint8_t> bytes) {
  RtxFixture f;
  f.refill(bytes, 0);
  const auto capacity = static_cast<uint32_t>(f.buffer.capacity());
  uint32_t i = 0;
  uint64_t missed = 0;
  for (auto _ : state) {
    const rtp::PooledPacket* packet = f.buffer.find(f.seqFor(i), 1);
    benchmark::DoNotOptimize(packet);
    missed += packet == nullptr;
    if (++i == capacity) i = 0;
  }
  if (missed != 0) state.SkipWithError("a stored packet was not found");
}

// ---- 6. RTCP compound parse, receive statistics ----

// Compound parse, then SR sender info and the SDES CNAME, as the receive path reads them.
void rtcpSrSdes(benchmark::State& state, std::vector<uint8_t> bytes) {
  uint64_t found = 0;
  for (auto _ : state) {
    auto compound = rtp::RtcpCompound::parse(bytes);
    if (!compound) continue;
    for (const auto& packet : *compound) {
      if (packet.header.packetType() == rtp::kRtcpTypeSr) {
        if (auto sr = rtp::RtcpSenderReport::parse(packet.bytes)) {
          auto info = sr->senderInfo();
          benchmark::DoNotOptimize(info);
          ++found;
        }
      } else if (packet.header.packetType() == rtp::kRtcpTypeSdes) {
        if (auto sdes = rtp::RtcpSdes::parse(packet.bytes)) {
          for (auto chunk : *sdes) {
            auto cname = chunk.cname();
            benchmark::DoNotOptimize(cname);
            ++found;
          }
        }
      }
    }
  }
  if (found != 2 * static_cast<uint64_t>(state.iterations())) {
    state.SkipWithError("SR or SDES CNAME not found");
  }
}

void receiveStatistics(benchmark::State& state) {
  rtp::ReceiveStatistics stats(kConsumerSsrcA, kStatsClockRate);
  uint32_t i = 0;
  for (auto _ : state) {
    const uint32_t frame = i / kStatsPacketsPerFrame;
    const int64_t arrivalUs = int64_t{i} * 11'111 + (i * 7919u) % 2000;  // jittered pacing
    const bool valid = stats.onPacket(static_cast<uint16_t>(i), frame * kTimestampStep, arrivalUs);
    benchmark::DoNotOptimize(valid);
    ++i;
  }
  state.counters["jitter"] = static_cast<double>(stats.jitter());
}

// ---- registration ----

void registerAll(const Corpus& c) {
  const auto chromium = chromiumMap();
  using benchmark::RegisterBenchmark;

  RegisterBenchmark("Parse/chromium-1byte-6ext", parseOnly, c.chromiumOneByte);
  RegisterBenchmark("Parse/chromium-2byte-8ext", parseOnly, c.chromiumTwoByte);
  RegisterBenchmark("Parse/aiortc-vp8-2ext", parseOnly, c.aiortcVp8);
  RegisterBenchmark("Parse/aiortc-vp8-noext", parseOnly, c.aiortcVp8NoExt);
  RegisterBenchmark("ParseInto/chromium-1byte-6ext", parseIntoOnly, c.chromiumOneByte);
  RegisterBenchmark("ParseInto/chromium-2byte-8ext", parseIntoOnly, c.chromiumTwoByte);
  RegisterBenchmark("ParseInto/aiortc-vp8-2ext", parseIntoOnly, c.aiortcVp8);
  auto parseBench = [](const char* name, const std::vector<uint8_t>& bytes,
                       const RtpHeaderExtensionMap& map, auto lookup) {
    RegisterBenchmark(name, [&bytes, map, lookup](benchmark::State& state) {
      parseAndLookup(state, bytes, map, lookup);
    });
  };
  parseBench("ParseTwcc/chromium-1byte-6ext", c.chromiumOneByte, chromium, twccRaw);
  parseBench("ParseTwcc/chromium-2byte-8ext", c.chromiumTwoByte, chromium, twccRaw);
  parseBench("ParseTwccTyped/chromium-1byte-6ext", c.chromiumOneByte, chromium, twccTyped);
  parseBench("Parse3Ext/chromium-1byte-6ext", c.chromiumOneByte, chromium, threeRaw);
  parseBench("Parse3ExtTyped/chromium-1byte-6ext", c.chromiumOneByte, chromium, threeTyped);
  auto parseIntoBench = [](const char* name, const std::vector<uint8_t>& bytes,
                           const RtpHeaderExtensionMap& map, auto lookup) {
    RegisterBenchmark(name, [&bytes, map, lookup](benchmark::State& state) {
      parseIntoAndLookup(state, bytes, map, lookup);
    });
  };
  parseIntoBench("ParseIntoTwcc/chromium-1byte-6ext", c.chromiumOneByte, chromium, twccRaw);
  parseIntoBench("ParseIntoTwccTyped/chromium-1byte-6ext", c.chromiumOneByte, chromium, twccTyped);
  parseIntoBench("ParseInto3Ext/chromium-1byte-6ext", c.chromiumOneByte, chromium, threeRaw);
  parseIntoBench("ParseInto3ExtTyped/chromium-1byte-6ext", c.chromiumOneByte, chromium, threeTyped);
  RegisterBenchmark("Lookup3Ext/chromium-1byte-6ext", lookupThreeRaw, c.chromiumOneByte, chromium);
  // aiortc sends no twcc (mid and abs-send-time only), so it gets no lookup rows.

  RegisterBenchmark("Rewrite/header/aiortc-vp8", rewriteHeader, c.aiortcVp8);
  RegisterBenchmark("Rewrite/header+vp8/aiortc-vp8", rewriteHeaderVp8, c.aiortcVp8, false);
  RegisterBenchmark("Rewrite/header+vp8+tl0/aiortc-vp8-L", rewriteHeaderVp8, c.aiortcVp8Tl0, true);
  RegisterBenchmark("Rewrite/parse+header+vp8/aiortc-vp8", parseRewriteVp8, c.aiortcVp8);
  RegisterBenchmark("Rewrite/copy+parse+header+vp8/aiortc-vp8", copyParseRewriteVp8, c.aiortcVp8);
  RegisterBenchmark("Rewrite/clone+header+vp8/aiortc-vp8", cloneRewriteVp8, c.aiortcVp8);
  RegisterBenchmark("Vp8Parse/aiortc-vp8", vp8ParseOnly, c.aiortcVp8);

  RegisterBenchmark("TccBuild/100pkts", tccBuild);
  RegisterBenchmark("TccParseIterate/100pkts", tccParseIterate);

  RegisterBenchmark("Nack/stream-1.5pct-loss", nackStream);
  RegisterBenchmark("Nack/collect-1000-due", nackCollectFullDue);
  RegisterBenchmark("Nack/collect-1000-not-due", nackCollectFullNotDue);

  RegisterBenchmark("RtxBuffer/store-copy-1200B", rtxStoreCopy, c.rtx1200);
  RegisterBenchmark("RtxBuffer/store-handle-1200B", rtxStoreHandle);
  RegisterBenchmark("RtxBuffer/resend", rtxResend, c.rtx1200);
  RegisterBenchmark("RtxBuffer/find", rtxFind, c.rtx1200);

  RegisterBenchmark("Rtcp/compound-sr+sdes", rtcpSrSdes, c.srSdes);
  RegisterBenchmark("ReceiveStatistics/onPacket", receiveStatistics);
}

}  // namespace
}  // namespace switchyard::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  switchyard::bench::Corpus corpus;
  try {
    corpus = switchyard::bench::loadCorpus();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "switchyard-rtp-bench: %s\n", e.what());
    return 1;
  }
  switchyard::bench::registerAll(corpus);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
