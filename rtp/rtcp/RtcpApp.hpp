#pragma once
// Application-defined packet, APP (RFC 3550 6.7): subtype in the count field, SSRC, a
// four-character name, then application data in whole 32-bit words.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "rtp/Parsed.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"

namespace switchyard::rtp {

constexpr size_t kRtcpAppNameSize = 4;
// Header, SSRC/CSRC, name.
constexpr size_t kRtcpAppFixedSize = kRtcpHeaderSize + 4 + kRtcpAppNameSize;

class RtcpApp {
 public:
  // `packet` is exactly one APP packet. The view refers into it.
  static Parsed<RtcpApp> parse(std::span<const uint8_t> packet);

  // `subtype` has five bits, `name` exactly four octets and `data` whole 32-bit words. Returns
  // the bytes written, or 0 when it does not fit or cannot be encoded.
  static size_t build(uint8_t subtype, uint32_t ssrc, std::string_view name,
                      std::span<const uint8_t> data, std::span<uint8_t> out);

  uint8_t subtype() const { return subtype_; }
  uint32_t ssrc() const;
  std::string_view name() const;
  std::span<const uint8_t> data() const { return payload_.subspan(4 + kRtcpAppNameSize); }

 private:
  std::span<const uint8_t> payload_;
  uint8_t subtype_ = 0;
};

}  // namespace switchyard::rtp
