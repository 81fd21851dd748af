#pragma once
// The header extensions negotiated for a session (RFC 8285 section 5, a=extmap): which local
// id carries which extension URI. Fixed-size tables both ways, so lookups are an index.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace switchyard::rtp {

// The extension URIs this code has typed helpers for.
namespace extension_uri {
inline constexpr std::string_view kMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kRtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr std::string_view kRepairedRtpStreamId =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
inline constexpr std::string_view kAbsSendTime =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
inline constexpr std::string_view kTransportSequenceNumber =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr std::string_view kAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr std::string_view kVideoOrientation = "urn:3gpp:video-orientation";
inline constexpr std::string_view kPlayoutDelay =
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
inline constexpr std::string_view kAbsCaptureTime =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
inline constexpr std::string_view kDependencyDescriptor =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";
}  // namespace extension_uri

enum class RtpExtensionType : uint8_t {
  kNone = 0,
  kMid,
  kRtpStreamId,
  kRepairedRtpStreamId,
  kAbsSendTime,
  kTransportSequenceNumber,
  kAudioLevel,
  kVideoOrientation,
  kPlayoutDelay,
  kAbsCaptureTime,
  kDependencyDescriptor,
};
inline constexpr size_t kRtpExtensionTypeCount =
    static_cast<size_t>(RtpExtensionType::kDependencyDescriptor) + 1;

// The URI of a type ("" for kNone), and the type of a URI (kNone when not one of ours).
std::string_view rtpExtensionUri(RtpExtensionType type);
RtpExtensionType rtpExtensionType(std::string_view uri);

class RtpHeaderExtensionMap {
 public:
  static constexpr uint8_t kMinId = 1;
  static constexpr uint8_t kMaxId = 255;  // two-byte form; 1-14 fit the one-byte form

  // Binds id to type. False when id is 0, type is kNone, or either is already bound to
  // something else (binding the same pair again is a no-op that succeeds).
  bool add(RtpExtensionType type, uint8_t id);
  // As add, by URI; false for URIs without a type here.
  bool add(std::string_view uri, uint8_t id);
  void remove(RtpExtensionType type);
  void clear();

  // 0 when the type is not negotiated.
  uint8_t id(RtpExtensionType type) const { return idByType_[static_cast<size_t>(type)]; }
  RtpExtensionType type(uint8_t id) const { return typeById_[id]; }
  bool has(RtpExtensionType type) const { return id(type) != 0; }

 private:
  std::array<uint8_t, kRtpExtensionTypeCount> idByType_{};
  std::array<RtpExtensionType, kMaxId + 1> typeById_{};
};

}  // namespace switchyard::rtp
