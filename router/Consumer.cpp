#include "router/Consumer.hpp"

#include <strings.h>

#include <cstring>

#include "rtp/extensions/AbsSendTime.hpp"
#include "rtp/extensions/RtpHeaderExtensionMap.hpp"

namespace switchyard::router {

namespace {

constexpr uint8_t kOneByteMaxId = 14;

bool sameCodec(const control::RtpCodec& a, const control::RtpCodec& b) {
  return a.mimeType.size() == b.mimeType.size() &&
         strncasecmp(a.mimeType.c_str(), b.mimeType.c_str(), a.mimeType.size()) == 0 &&
         a.clockRate == b.clockRate && a.channels == b.channels;
}

// Extensions whose value means the same thing to the viewer as it did to the publisher, so
// they pass through with the viewer's id. Others are either per-hop (transport-wide sequence
// numbers belong to the SFU's own feedback loop, abs-send-time is restamped) or name the
// publisher's m-section (mid, rid), so they are blanked.
bool passesThrough(std::string_view uri) {
  using namespace rtp::extension_uri;
  return uri == kAudioLevel || uri == kVideoOrientation || uri == kPlayoutDelay ||
         uri == kAbsCaptureTime || uri == kDependencyDescriptor;
}

// The byte offset where the element's header starts, from its value's offset.
size_t elementHeaderSize(rtp::RtpPacket::ExtensionForm form) {
  return form == rtp::RtpPacket::ExtensionForm::kOneByte ? 1 : 2;
}

}  // namespace

Consumer::Consumer(std::string id, std::string producerId, MediaKind kind,
                   control::RtpParameters consumerParameters,
                   const control::RtpParameters& producerParameters, bool paused,
                   uint32_t initialSequence)
    : id_(std::move(id)),
      producerId_(std::move(producerId)),
      kind_(kind),
      parameters_(std::move(consumerParameters)),
      paused_(paused),
      nextSequence_(static_cast<uint16_t>(initialSequence)) {
  if (!parameters_.encodings.empty() && parameters_.encodings[0].ssrc) {
    ssrc_ = *parameters_.encodings[0].ssrc;
  }
  clockRate_ = parameters_.firstMediaCodec()->clockRate;
  payloadTypeMap_.fill(kNoPayloadType);
  for (const auto& p : producerParameters.codecs) {
    if (p.isRtx()) continue;
    for (const auto& c : parameters_.codecs) {
      if (!c.isRtx() && sameCodec(p, c)) {
        payloadTypeMap_[p.payloadType] = c.payloadType;
        break;
      }
    }
  }
  for (const auto& pe : producerParameters.headerExtensions) {
    // abs-send-time keeps its place under the viewer's id and gets our send time below.
    if (!passesThrough(pe.uri) && pe.uri != rtp::extension_uri::kAbsSendTime) continue;
    extensionMap_[pe.id] = parameters_.extensionId(pe.uri);
  }
  absSendTimeId_ = parameters_.extensionId(rtp::extension_uri::kAbsSendTime);
}

bool Consumer::setPaused(bool paused) {
  const bool wasActive = active();
  paused_ = paused;
  if (!wasActive && active()) synced_ = false;
  return !wasActive && active() && kind_ == MediaKind::kVideo;
}

bool Consumer::setProducerPaused(bool paused) {
  const bool wasActive = active();
  producerPaused_ = paused;
  if (!wasActive && active()) synced_ = false;
  return !wasActive && active() && kind_ == MediaKind::kVideo;
}

std::optional<rtp::RtpPacket> Consumer::rewrite(const rtp::RtpPacket& in, bool keyframe,
                                                std::span<uint8_t> out, int64_t nowUs) {
  if (!active()) {
    ++counters_.droppedPaused;
    return std::nullopt;
  }
  const uint8_t payloadType = payloadTypeMap_[in.payloadType()];
  if (payloadType == kNoPayloadType) {
    ++counters_.droppedUnknownPayloadType;
    return std::nullopt;
  }
  const uint16_t inSeq = in.sequenceNumber();
  if (!synced_) {
    if (kind_ == MediaKind::kVideo && !keyframe) {
      ++counters_.droppedWaitingForKeyframe;
      return std::nullopt;
    }
    // Continue right after what the viewer last got: no gap, so no NACKs for the pause.
    synced_ = true;
    syncInputSequence_ = inSeq;
    sequenceOffset_ = static_cast<uint16_t>(nextSequence_ - inSeq);
  } else if (static_cast<int16_t>(inSeq - syncInputSequence_) < 0) {
    ++counters_.droppedTooOld;  // reordered from before the restart point
    return std::nullopt;
  }

  auto copy = in.cloneInto(out);
  if (!copy) return std::nullopt;
  uint8_t* bytes = copy->bytes().data();
  // The copy keeps the input's index; it is rebuilt only when an element's id changed.
  bool idsChanged = false;
  // Header extensions: keep those the viewer understands under its ids, blank the rest to
  // padding (RFC 8285 section 4.2/4.3: zero bytes between elements are padding), so the block
  // keeps its size and nothing moves.
  const auto form = in.extensionForm();
  if (form == rtp::RtpPacket::ExtensionForm::kOneByte ||
      form == rtp::RtpPacket::ExtensionForm::kTwoByte) {
    const size_t headerSize = elementHeaderSize(form);
    for (size_t i = 0; i < in.extensionCount(); ++i) {
      const auto element = in.extensionAt(i);
      const size_t valueOffset = static_cast<size_t>(element.value.data() - in.bytes().data());
      uint8_t* header = bytes + valueOffset - headerSize;
      uint8_t newId = extensionMap_[element.id];
      if (form == rtp::RtpPacket::ExtensionForm::kOneByte && newId > kOneByteMaxId) newId = 0;
      if (newId == element.id) continue;
      idsChanged = true;
      if (newId == 0) {
        std::memset(header, 0, headerSize + element.value.size());
      } else if (form == rtp::RtpPacket::ExtensionForm::kOneByte) {
        header[0] = static_cast<uint8_t>(newId << 4 | (header[0] & 0x0F));
      } else {
        header[0] = newId;
      }
    }
  }
  rtp::RtpPacket& packet = *copy;
  if (idsChanged && rtp::RtpPacket::parseInto(copy->bytes(), copy->capacity(), packet)) {
    return std::nullopt;
  }
  const uint16_t outSeq = static_cast<uint16_t>(inSeq + sequenceOffset_);
  packet.setSsrc(ssrc_);
  packet.setSequenceNumber(outSeq);
  packet.setPayloadType(payloadType);
  if (absSendTimeId_ != 0) {
    if (auto room = packet.reserveExtension(absSendTimeId_, rtp::AbsSendTime::kSize)) {
      rtp::AbsSendTime::fromMicros(static_cast<uint64_t>(nowUs)).write(*room);
    }
  }
  if (static_cast<int16_t>(outSeq - nextSequence_) >= 0) {
    nextSequence_ = static_cast<uint16_t>(outSeq + 1);
  }
  lastTimestamp_ = packet.timestamp();
  lastSendUs_ = nowUs;
  sentAny_ = true;
  ++counters_.packetsSent;
  counters_.bytesSent += packet.size();
  counters_.payloadBytesSent += packet.payload().size();
  return copy;
}

std::optional<rtp::RtcpSenderInfo> Consumer::makeSenderInfo(int64_t nowUs, uint64_t ntpNow) const {
  if (!sentAny_) return std::nullopt;
  // RFC 3550 section 6.4.1: the RTP timestamp of "now", extrapolated from the last packet
  // at the stream's clock rate.
  const int64_t elapsedUs = nowUs - lastSendUs_;
  const auto advance =
      static_cast<uint32_t>(elapsedUs * static_cast<int64_t>(clockRate_) / 1'000'000);
  rtp::RtcpSenderInfo info;
  info.ntpTimestamp = ntpNow;
  info.rtpTimestamp = lastTimestamp_ + advance;
  info.packetCount = static_cast<uint32_t>(counters_.packetsSent);
  info.octetCount = static_cast<uint32_t>(counters_.payloadBytesSent);
  return info;
}

}  // namespace switchyard::router
