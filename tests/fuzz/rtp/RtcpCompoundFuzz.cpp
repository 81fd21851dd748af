// libFuzzer target: compound RTCP. An accepted compound is walked packet by packet (the sizes
// must tile the buffer exactly) and every packet is handed to the parser for its type.

#include <cstdlib>
#include <span>

#include "rtp/rtcp/RtcpApp.hpp"
#include "rtp/rtcp/RtcpBye.hpp"
#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpFir.hpp"
#include "rtp/rtcp/RtcpNack.hpp"
#include "rtp/rtcp/RtcpPli.hpp"
#include "rtp/rtcp/RtcpReceiverReport.hpp"
#include "rtp/rtcp/RtcpRemb.hpp"
#include "rtp/rtcp/RtcpSdes.hpp"
#include "rtp/rtcp/RtcpSenderReport.hpp"
#include "rtp/rtcp/RtcpTransportFeedback.hpp"
#include "rtp/rtcp/RtcpXr.hpp"

namespace {

using namespace switchyard::rtp;

// Touches what the parser accepted so out-of-bounds reads surface.
void dispatch(const RtcpCompound::Packet& p) {
  volatile uint64_t sink = 0;
  switch (p.header.packetType()) {
    case kRtcpTypeSr:
      if (auto sr = RtcpSenderReport::parse(p.bytes)) {
        for (auto b : sr->reportBlocks())
          sink = sink + b.jitter;
      }
      break;
    case kRtcpTypeRr:
      if (auto rr = RtcpReceiverReport::parse(p.bytes)) {
        for (auto b : rr->reportBlocks())
          sink = sink + b.jitter;
      }
      break;
    case kRtcpTypeSdes:
      if (auto sdes = RtcpSdes::parse(p.bytes)) {
        for (auto chunk : *sdes) {
          for (auto item : chunk)
            sink = sink + item.text.size();
        }
      }
      break;
    case kRtcpTypeBye:
      if (auto bye = RtcpBye::parse(p.bytes)) sink = sink + bye->reason().size();
      break;
    case kRtcpTypeApp:
      if (auto app = RtcpApp::parse(p.bytes)) sink = sink + app->data().size();
      break;
    case kRtcpTypeRtpfb:
      if (auto nack = RtcpNack::parse(p.bytes)) {
        for (uint16_t seq : nack->lost())
          sink = sink + seq;
      } else if (auto tcc = RtcpTransportFeedback::parse(p.bytes)) {
        for (const auto& s : *tcc)
          sink = sink + s.deltaTicks;
      }
      break;
    case kRtcpTypePsfb:
      if (auto pli = RtcpPli::parse(p.bytes)) {
        sink = sink + pli->mediaSsrc();
      } else if (auto fir = RtcpFir::parse(p.bytes)) {
        for (size_t i = 0; i < fir->entryCount(); ++i)
          sink = sink + fir->entry(i).ssrc;
      } else if (auto remb = RtcpRemb::parse(p.bytes)) {
        sink = sink + remb->bitrateBps();
      }
      break;
    case kRtcpTypeXr:
      if (auto xr = RtcpXr::parse(p.bytes)) {
        for (auto block : *xr)
          sink = sink + block.body().size();
      }
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto compound = RtcpCompound::parse(std::span(data, size));
  if (!compound) return 0;
  const uint8_t* at = data;
  size_t count = 0;
  for (const auto& packet : *compound) {
    if (packet.bytes.data() != at || packet.bytes.size() != packet.header.packetSize() ||
        packet.bytes.size() < kRtcpHeaderSize) {
      std::abort();
    }
    at += packet.bytes.size();
    ++count;
    dispatch(packet);
  }
  if (at != data + size || count != compound->packetCount()) std::abort();
  return 0;
}
