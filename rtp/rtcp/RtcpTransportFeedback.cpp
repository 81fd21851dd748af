#include "rtp/rtcp/RtcpTransportFeedback.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "rtp/ByteIo.hpp"

namespace switchyard::rtp {

namespace {

constexpr size_t kChunksOffset = 16;  // in the payload: 2 SSRCs, then the 8-byte fixed part
constexpr size_t kChunkSize = 2;
// Status symbols (draft 3.1.1).
constexpr uint8_t kNotReceived = 0;
constexpr uint8_t kSmallDelta = 1;
constexpr uint8_t kLargeDelta = 2;
constexpr uint8_t kReservedSymbol = 3;
// Chunk kinds (draft 3.1.3, 3.1.4): T = 0 run length; T = 1, S = 0 fourteen 1-bit symbols;
// T = 1, S = 1 seven 2-bit symbols.
constexpr uint16_t kVectorFlag = 0x8000;
constexpr uint16_t kTwoBitFlag = 0x4000;
constexpr size_t kRunLengthCapacity = 0x1FFF;
constexpr size_t kOneBitCapacity = 14;
constexpr size_t kTwoBitCapacity = 7;
constexpr unsigned kRunSymbolShift = 13;
constexpr int64_t kSmallDeltaMax = 0xFF;
// A sequence number this far ahead of the expected one is taken as out of order (RFC 1982).
constexpr uint16_t kSequenceHalfRange = 0x8000;
// Builder times beyond this are rejected so the tick arithmetic cannot overflow.
constexpr int64_t kMaxAbsTimeUs = int64_t{1} << 61;

size_t chunkCapacity(uint16_t chunk) {
  if (!(chunk & kVectorFlag)) return chunk & kRunLengthCapacity;
  return (chunk & kTwoBitFlag) ? kTwoBitCapacity : kOneBitCapacity;
}

uint8_t chunkSymbol(uint16_t chunk, size_t i) {
  if (!(chunk & kVectorFlag)) return chunk >> kRunSymbolShift & 0x3;
  if (chunk & kTwoBitFlag) return chunk >> (2 * (kTwoBitCapacity - 1 - i)) & 0x3;
  return chunk >> (kOneBitCapacity - 1 - i) & 0x1;
}

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// Ticks of 250 us from `base` to `t`, rounded to nearest.
int64_t ticksBetween(int64_t base, int64_t t) {
  int64_t d = t - base;
  int64_t q = floorDiv(d, kRtcpTccDeltaTickUs);
  return d - q * kRtcpTccDeltaTickUs >= kRtcpTccDeltaTickUs / 2 ? q + 1 : q;
}

size_t paddedSize(size_t chunks, size_t deltaBytes) {
  size_t n = kRtcpTransportFeedbackFixedSize + chunks * kChunkSize + deltaBytes;
  return (n + kRtcpWordSize - 1) / kRtcpWordSize * kRtcpWordSize;
}

// The chunk being filled, emitted greedily: a status vector while symbols vary (1-bit while
// no large delta is among them), a run length while they repeat. Writes chunks to `out` when
// set, else only counts them (the sizing pass).
struct ChunkEncoder {
  std::array<uint8_t, kOneBitCapacity> symbols{};
  size_t size = 0;
  bool allSame = true;
  bool hasLarge = false;
  size_t emitted = 0;
  uint8_t* out = nullptr;

  size_t chunkCount() const { return emitted + (size > 0 ? 1 : 0); }

  bool canAdd(uint8_t s) const {
    if (size < kTwoBitCapacity) return true;
    if (size < kOneBitCapacity && !hasLarge && s != kLargeDelta) return true;
    return size < kRunLengthCapacity && allSame && symbols[0] == s;
  }

  void addOne(uint8_t s) {
    if (size < kOneBitCapacity) symbols[size] = s;
    allSame = allSame && s == symbols[0];
    hasLarge = hasLarge || s == kLargeDelta;
    ++size;
  }

  void add(uint8_t s, size_t count) {
    while (count > 0) {
      if (size >= kOneBitCapacity && allSame && symbols[0] == s && size < kRunLengthCapacity) {
        // Only a run can grow past a vector's capacity: extend it in one step.
        size_t take = std::min(count, kRunLengthCapacity - size);
        size += take;
        count -= take;
      } else if (canAdd(s)) {
        addOne(s);
        --count;
      } else {
        emit();
      }
    }
  }

  void write(uint16_t chunk) {
    if (out) writeU16(out + emitted * kChunkSize, chunk);
    ++emitted;
  }

  uint16_t runLength() const { return static_cast<uint16_t>(symbols[0] << kRunSymbolShift | size); }
  uint16_t oneBit() const {
    uint16_t c = kVectorFlag;
    for (size_t i = 0; i < size; ++i)
      c = static_cast<uint16_t>(c | symbols[i] << (13 - i));
    return c;
  }
  uint16_t twoBit(size_t n) const {
    uint16_t c = kVectorFlag | kTwoBitFlag;
    for (size_t i = 0; i < n; ++i)
      c = static_cast<uint16_t>(c | symbols[i] << (12 - 2 * i));
    return c;
  }

  // Called when the next symbol does not fit.
  void emit() {
    if (allSame) {
      write(runLength());
      clear();
    } else if (size == kOneBitCapacity) {
      write(oneBit());
      clear();
    } else {
      // A large delta among 7 to 13 mixed symbols: send 7 as 2-bit, keep the rest.
      write(twoBit(kTwoBitCapacity));
      size_t rest = size - kTwoBitCapacity;
      std::array<uint8_t, kOneBitCapacity> kept{};
      std::copy_n(symbols.begin() + kTwoBitCapacity, rest, kept.begin());
      clear();
      for (size_t i = 0; i < rest; ++i)
        addOne(kept[i]);
    }
  }

  void finish() {
    if (size == 0) return;
    if (allSame) {
      write(runLength());
    } else if (size <= kTwoBitCapacity) {
      write(twoBit(size));
    } else {
      write(oneBit());
    }
    clear();
  }

  void clear() {
    size = 0;
    allSame = true;
    hasLarge = false;
  }
};

struct EncodeState {
  size_t arrivals = 0;
  size_t statusCount = 0;
  size_t deltaBytes = 0;
};

// Runs the arrivals through `enc`, stopping before the first one that cannot be reported or
// does not fit in `maxSize`. Writes deltas to `deltaOut` when set.
EncodeState encode(std::span<const RtcpTransportFeedbackArrival> arrivals, uint16_t base,
                   int64_t referenceUs, size_t maxSize, ChunkEncoder& enc, uint8_t* deltaOut) {
  EncodeState st;
  int64_t prevTicks = 0;
  auto next = base;
  for (const auto& a : arrivals) {
    auto lost = static_cast<uint16_t>(a.sequenceNumber - next);
    if (lost >= kSequenceHalfRange) break;  // not after the previous one
    if (st.statusCount + lost + 1 > kRtcpTccMaxStatusCount) break;
    if (a.arrivalTimeUs < -kMaxAbsTimeUs || a.arrivalTimeUs > kMaxAbsTimeUs) break;
    int64_t ticks = ticksBetween(referenceUs, a.arrivalTimeUs);
    int64_t delta = ticks - prevTicks;
    if (delta < std::numeric_limits<int16_t>::min() ||
        delta > std::numeric_limits<int16_t>::max()) {
      break;
    }
    uint8_t symbol = (delta >= 0 && delta <= kSmallDeltaMax) ? kSmallDelta : kLargeDelta;
    ChunkEncoder trial = enc;
    trial.add(kNotReceived, lost);
    trial.add(symbol, 1);
    if (paddedSize(trial.chunkCount(), st.deltaBytes + symbol) > maxSize) break;
    enc = trial;
    if (deltaOut) {
      if (symbol == kSmallDelta) {
        deltaOut[st.deltaBytes] = static_cast<uint8_t>(delta);
      } else {
        writeU16(deltaOut + st.deltaBytes, static_cast<uint16_t>(delta));
      }
    }
    st.deltaBytes += symbol;
    st.statusCount += lost + 1;
    prevTicks = ticks;
    next = static_cast<uint16_t>(a.sequenceNumber + 1);
    ++st.arrivals;
  }
  return st;
}

}  // namespace

RtcpTransportFeedback::Iterator::Iterator(const RtcpTransportFeedback& fb, bool atEnd) {
  if (atEnd) return;
  chunk_ = fb.payload_.data() + kChunksOffset;
  delta_ = fb.payload_.data() + fb.deltasOffset_;
  remaining_ = fb.packetStatusCount();
  current_.sequenceNumber = fb.baseSequenceNumber();
  current_.arrivalTimeUs = fb.referenceTimeUs();
  load();
}

void RtcpTransportFeedback::Iterator::load() {
  // parse() checked that the chunks before the deltas cover every remaining status.
  uint16_t chunk = readU16(chunk_);
  while (symbol_ >= chunkCapacity(chunk)) {
    chunk_ += kChunkSize;
    symbol_ = 0;
    chunk = readU16(chunk_);
  }
  uint8_t s = chunkSymbol(chunk, symbol_);
  current_.received = s != kNotReceived;
  current_.deltaTicks = 0;
  if (s == kSmallDelta) {
    current_.deltaTicks = *delta_;
    delta_ += 1;
  } else if (s == kLargeDelta) {
    current_.deltaTicks = static_cast<int16_t>(readU16(delta_));
    delta_ += 2;
  }
  current_.arrivalTimeUs += current_.deltaUs();
}

RtcpTransportFeedback::Iterator& RtcpTransportFeedback::Iterator::operator++() {
  if (remaining_ == 0) return *this;
  if (--remaining_ == 0) return *this;
  ++symbol_;
  ++current_.sequenceNumber;
  load();
  return *this;
}

Parsed<RtcpTransportFeedback> RtcpTransportFeedback::parse(std::span<const uint8_t> packet) {
  auto h = RtcpHeader::parseExact(packet, kRtcpTypeRtpfb);
  if (!h) return h.error();
  if (h->fmt() != kRtcpTransportFeedbackFmt) return ParseError::kBadPayloadType;
  auto payload = h->payload(packet);
  if (payload.size() < kChunksOffset) return ParseError::kBadLength;
  RtcpTransportFeedback fb;
  fb.payload_ = payload;
  size_t count = fb.packetStatusCount();
  if (count == 0) return ParseError::kMalformed;  // nothing reported
  size_t pos = kChunksOffset;
  size_t covered = 0;
  size_t deltaBytes = 0;
  size_t received = 0;
  while (covered < count) {
    if (payload.size() - pos < kChunkSize) return ParseError::kBadLength;
    uint16_t chunk = readU16(&payload[pos]);
    pos += kChunkSize;
    size_t n = std::min(chunkCapacity(chunk), count - covered);
    if (!(chunk & kVectorFlag)) {
      uint8_t s = chunkSymbol(chunk, 0);
      if (n > 0 && s == kReservedSymbol) return ParseError::kMalformed;
      deltaBytes += n * s;
      received += s == kNotReceived ? 0 : n;
    } else {
      for (size_t i = 0; i < n; ++i) {
        uint8_t s = chunkSymbol(chunk, i);
        if (s == kReservedSymbol) return ParseError::kMalformed;
        deltaBytes += s;
        received += s == kNotReceived ? 0 : 1;
      }
    }
    covered += n;
  }
  if (payload.size() - pos < deltaBytes) return ParseError::kBadLength;
  // Up to three zero octets may pad without the P bit; more is not a padding.
  if (payload.size() - pos - deltaBytes >= kRtcpWordSize) return ParseError::kBadLength;
  fb.deltasOffset_ = pos;
  fb.receivedCount_ = received;
  return fb;
}

uint32_t RtcpTransportFeedback::senderSsrc() const {
  return readU32(payload_.data());
}

uint32_t RtcpTransportFeedback::mediaSsrc() const {
  return readU32(payload_.data() + 4);
}

uint16_t RtcpTransportFeedback::baseSequenceNumber() const {
  return readU16(payload_.data() + 8);
}

uint16_t RtcpTransportFeedback::packetStatusCount() const {
  return readU16(payload_.data() + 10);
}

uint32_t RtcpTransportFeedback::referenceTime() const {
  return readU24(payload_.data() + 12);
}

uint8_t RtcpTransportFeedback::feedbackPacketCount() const {
  return payload_[15];
}

size_t RtcpTransportFeedback::decode(std::span<RtcpTransportFeedbackPacket> out) const {
  size_t n = 0;
  for (auto it = begin(); it != end() && n < out.size(); ++it)
    out[n++] = *it;
  return n;
}

int64_t RtcpTransportFeedback::referenceTimeDeltaUs(uint32_t from, uint32_t to) {
  constexpr int64_t kWrapTicks = int64_t{kRtcpTccReferenceTimeMask} + 1;
  int64_t d = (int64_t{to & kRtcpTccReferenceTimeMask} - int64_t{from & kRtcpTccReferenceTimeMask} +
               kWrapTicks) %
              kWrapTicks;
  if (d >= kWrapTicks / 2) d -= kWrapTicks;
  return d * kRtcpTccReferenceTickUs;
}

RtcpTransportFeedback::BuildResult RtcpTransportFeedback::build(const BuildParams& params,
                                                                std::span<uint8_t> out) {
  if (params.arrivals.empty()) return {};
  int64_t referenceUs = params.referenceTimeUs.value_or(params.arrivals[0].arrivalTimeUs);
  if (referenceUs < -kMaxAbsTimeUs || referenceUs > kMaxAbsTimeUs) return {};
  int64_t referenceTicks = floorDiv(referenceUs, kRtcpTccReferenceTickUs);
  int64_t referenceBaseUs = referenceTicks * kRtcpTccReferenceTickUs;
  uint16_t base = params.baseSequenceNumber.value_or(params.arrivals[0].sequenceNumber);
  size_t maxSize = std::min(out.size(), kRtcpMaxPacketSize);

  // Sizing pass: how many arrivals fit, and so where the deltas start.
  ChunkEncoder sizing;
  EncodeState plan = encode(params.arrivals, base, referenceBaseUs, maxSize, sizing, nullptr);
  if (plan.arrivals == 0) return {};
  size_t chunks = sizing.chunkCount();
  size_t size = paddedSize(chunks, plan.deltaBytes);

  uint8_t* p = out.data();
  ChunkEncoder enc;
  enc.out = p + kRtcpTransportFeedbackFixedSize;
  uint8_t* deltas = enc.out + chunks * kChunkSize;
  encode(params.arrivals.first(plan.arrivals), base, referenceBaseUs, maxSize, enc, deltas);
  enc.finish();

  size_t unpadded = kRtcpTransportFeedbackFixedSize + chunks * kChunkSize + plan.deltaBytes;
  size_t padding = size - unpadded;
  RtcpHeader::write(kRtcpTypeRtpfb, kRtcpTransportFeedbackFmt, size, padding > 0, out);
  writeU32(p + 4, params.senderSsrc);
  writeU32(p + 8, params.mediaSsrc);
  writeU16(p + 12, base);
  writeU16(p + 14, static_cast<uint16_t>(plan.statusCount));
  writeU24(p + 16, static_cast<uint32_t>(static_cast<uint64_t>(referenceTicks) &
                                         kRtcpTccReferenceTimeMask));
  p[19] = params.feedbackPacketCount;
  if (padding > 0) {
    // RFC 3550 6.4.1: the last padding octet counts the padding.
    std::fill(p + unpadded, p + size - 1, uint8_t{0});
    p[size - 1] = static_cast<uint8_t>(padding);
  }
  return {size, plan.arrivals};
}

}  // namespace switchyard::rtp
