// libFuzzer target: transport-cc feedback, both ways. The first byte picks the mode.
//  odd: the rest is a packet. An accepted one is decoded, rebuilt from its received packets,
//       parsed again and must report the same statuses and arrival times up to the last
//       received packet; the rebuild is never larger.
//  even: the rest describes arrivals (sequence step, time step) and a size budget. The feedback
//       built from them must parse, fit the budget and report exactly the arrivals it took.

#include <algorithm>
#include <cstdlib>
#include <span>
#include <vector>

#include "rtp/ByteIo.hpp"
#include "rtp/rtcp/RtcpTransportFeedback.hpp"

namespace {

using namespace switchyard::rtp;

void parseMode(std::span<const uint8_t> bytes) {
  auto fb = RtcpTransportFeedback::parse(bytes);
  if (!fb) return;
  std::vector<RtcpTransportFeedbackPacket> packets(fb->begin(), fb->end());
  if (packets.size() != fb->packetStatusCount()) std::abort();
  std::vector<RtcpTransportFeedbackArrival> arrivals;
  size_t lastReceived = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    if (packets[i].sequenceNumber != static_cast<uint16_t>(fb->baseSequenceNumber() + i)) {
      std::abort();
    }
    if (!packets[i].received) continue;
    arrivals.push_back({packets[i].sequenceNumber, packets[i].arrivalTimeUs});
    lastReceived = i + 1;
  }
  if (arrivals.size() != fb->receivedCount()) std::abort();
  if (arrivals.empty()) return;
  RtcpTransportFeedback::BuildParams params;
  params.senderSsrc = fb->senderSsrc();
  params.mediaSsrc = fb->mediaSsrc();
  params.feedbackPacketCount = fb->feedbackPacketCount();
  params.baseSequenceNumber = fb->baseSequenceNumber();
  params.referenceTimeUs = fb->referenceTimeUs();
  params.arrivals = arrivals;
  std::vector<uint8_t> out(bytes.size());
  auto r = RtcpTransportFeedback::build(params, out);
  if (r.arrivalCount != arrivals.size() || r.size == 0 || r.size > bytes.size()) std::abort();
  auto again = RtcpTransportFeedback::parse(std::span(out).first(r.size));
  if (!again || again->packetStatusCount() != lastReceived ||
      again->referenceTime() != fb->referenceTime() ||
      again->feedbackPacketCount() != fb->feedbackPacketCount()) {
    std::abort();
  }
  size_t i = 0;
  for (const auto& p : *again) {
    if (!(p == packets[i++])) std::abort();
  }
}

void buildMode(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) return;
  size_t budget = readU16(bytes.data()) % 2048;
  bytes = bytes.subspan(2);
  // Three bytes per arrival: sequence step (0 repeats, so the builder must stop there), then a
  // signed time step in 250 us ticks.
  std::vector<RtcpTransportFeedbackArrival> arrivals;
  uint16_t seq = 0xfff0;
  int64_t t = 1'000'000'000;
  for (size_t i = 0; i + 3 <= bytes.size(); i += 3) {
    seq = static_cast<uint16_t>(seq + bytes[i]);
    t += int64_t{static_cast<int16_t>(readU16(&bytes[i + 1]))} * 250;
    arrivals.push_back({seq, t});
  }
  if (arrivals.empty()) return;
  RtcpTransportFeedback::BuildParams params;
  params.arrivals = arrivals;
  params.referenceTimeUs = arrivals[0].arrivalTimeUs / 64000 * 64000;
  std::vector<uint8_t> out(budget);
  auto r = RtcpTransportFeedback::build(params, out);
  if (r.size > budget || r.arrivalCount > arrivals.size()) std::abort();
  if (r.size == 0) {
    if (r.arrivalCount != 0) std::abort();
    return;
  }
  auto fb = RtcpTransportFeedback::parse(std::span(out).first(r.size));
  if (!fb || fb->receivedCount() != r.arrivalCount) std::abort();
  size_t k = 0;
  for (const auto& p : *fb) {
    if (!p.received) continue;
    if (p.sequenceNumber != arrivals[k].sequenceNumber ||
        p.arrivalTimeUs != arrivals[k].arrivalTimeUs) {
      std::abort();
    }
    ++k;
  }
  if (k != r.arrivalCount) std::abort();
  // The last packet reported is a received one.
  if (static_cast<uint16_t>(fb->baseSequenceNumber() + fb->packetStatusCount() - 1) !=
      arrivals[k - 1].sequenceNumber) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  if (data[0] & 1) {
    parseMode(rest);
  } else {
    buildMode(rest);
  }
  return 0;
}
