#include "rtp/extensions/RtpHeaderExtensionMap.hpp"

namespace switchyard::rtp {

namespace {

struct UriEntry {
  RtpExtensionType type;
  std::string_view uri;
};

constexpr std::array<UriEntry, kRtpExtensionTypeCount - 1> kUris{{
    {RtpExtensionType::kMid, extension_uri::kMid},
    {RtpExtensionType::kRtpStreamId, extension_uri::kRtpStreamId},
    {RtpExtensionType::kRepairedRtpStreamId, extension_uri::kRepairedRtpStreamId},
    {RtpExtensionType::kAbsSendTime, extension_uri::kAbsSendTime},
    {RtpExtensionType::kTransportSequenceNumber, extension_uri::kTransportSequenceNumber},
    {RtpExtensionType::kAudioLevel, extension_uri::kAudioLevel},
    {RtpExtensionType::kVideoOrientation, extension_uri::kVideoOrientation},
    {RtpExtensionType::kPlayoutDelay, extension_uri::kPlayoutDelay},
    {RtpExtensionType::kAbsCaptureTime, extension_uri::kAbsCaptureTime},
    {RtpExtensionType::kDependencyDescriptor, extension_uri::kDependencyDescriptor},
}};

}  // namespace

std::string_view rtpExtensionUri(RtpExtensionType type) {
  for (const UriEntry& e : kUris) {
    if (e.type == type) return e.uri;
  }
  return {};
}

RtpExtensionType rtpExtensionType(std::string_view uri) {
  for (const UriEntry& e : kUris) {
    if (e.uri == uri) return e.type;
  }
  return RtpExtensionType::kNone;
}

bool RtpHeaderExtensionMap::add(RtpExtensionType type, uint8_t id) {
  if (id < kMinId || type == RtpExtensionType::kNone) return false;
  const size_t t = static_cast<size_t>(type);
  if (t >= kRtpExtensionTypeCount) return false;
  if (idByType_[t] == id && typeById_[id] == type) return true;
  if (idByType_[t] != 0 || typeById_[id] != RtpExtensionType::kNone) return false;
  idByType_[t] = id;
  typeById_[id] = type;
  return true;
}

bool RtpHeaderExtensionMap::add(std::string_view uri, uint8_t id) {
  return add(rtpExtensionType(uri), id);
}

void RtpHeaderExtensionMap::remove(RtpExtensionType type) {
  const size_t t = static_cast<size_t>(type);
  if (t >= kRtpExtensionTypeCount || idByType_[t] == 0) return;
  typeById_[idByType_[t]] = RtpExtensionType::kNone;
  idByType_[t] = 0;
}

void RtpHeaderExtensionMap::clear() {
  idByType_.fill(0);
  typeById_.fill(RtpExtensionType::kNone);
}

}  // namespace switchyard::rtp
