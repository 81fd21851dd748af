#include "rtp/rtcp/RtcpCompoundBuilder.hpp"

#include <algorithm>

#include "rtp/rtcp/RtcpCompound.hpp"

namespace switchyard::rtp {

RtcpCompoundBuilder::RtcpCompoundBuilder(std::span<uint8_t> buffer, size_t mtu,
                                         std::span<const uint8_t> prefix)
    : buffer_(buffer), mtu_(mtu), prefix_(prefix) {
  if (prefix_.empty()) return;
  auto parsed = RtcpCompound::parse(prefix_);
  ok_ = parsed && parsed->startsWithReport() && prefix_.size() <= mtu_ && openCompound();
}

std::span<const uint8_t> RtcpCompoundBuilder::compound(size_t i) const {
  size_t end = i + 1 < count_ ? starts_[i + 1] : used_;
  return std::span<const uint8_t>(buffer_).subspan(starts_[i], end - starts_[i]);
}

std::span<uint8_t> RtcpCompoundBuilder::room() const {
  size_t inCompound = used_ - starts_[count_ - 1];
  return buffer_.subspan(used_, std::min(mtu_ - inCompound, buffer_.size() - used_));
}

bool RtcpCompoundBuilder::commit(size_t n) {
  auto r = room();
  if (n > r.size()) return false;
  auto written = RtcpCompound::parse(r.first(n));
  if (!written) return false;
  if (reducedSize()) {
    for (const auto& packet : *written) {
      uint8_t type = packet.header.packetType();
      if (type != kRtcpTypeRtpfb && type != kRtcpTypePsfb) return false;
    }
  }
  used_ += n;
  return true;
}

bool RtcpCompoundBuilder::openCompound() {
  if (count_ == starts_.size() || buffer_.size() - used_ < prefix_.size()) return false;
  starts_[count_++] = used_;
  std::copy(prefix_.begin(), prefix_.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(used_));
  used_ += prefix_.size();
  return true;
}

void RtcpCompoundBuilder::dropLastCompound() {
  used_ = starts_[--count_];
}

bool RtcpCompoundBuilder::append(std::span<const uint8_t> packets) {
  return appendWith([&](std::span<uint8_t> room) -> size_t {
    if (packets.empty() || packets.size() > room.size()) return 0;
    std::copy(packets.begin(), packets.end(), room.begin());
    return packets.size();
  });
}

}  // namespace switchyard::rtp
