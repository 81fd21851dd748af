#pragma once
// One receive buffer shared by every UDP socket of a worker loop, large enough for libuv to
// read a batch of datagrams with one recvmmsg call. Sharing is safe because a loop handles one
// socket's batch at a time and every datagram is consumed (decrypted in place, routed, copied
// out) inside its callback. libuv asks for 64 KiB per datagram so that none is truncated, and
// reads at most 20 per call (UV__MMSG_MAXWIDTH in its source).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace switchyard::transport {

class UdpReceiveArena {
 public:
  static constexpr size_t kDatagramsPerRead = 20;
  static constexpr size_t kBytesPerDatagram = 64 * 1024;
  static constexpr size_t kSize = kDatagramsPerRead * kBytesPerDatagram;

  UdpReceiveArena() : bytes_(new uint8_t[kSize]) {}
  std::span<uint8_t> bytes() { return {bytes_.get(), kSize}; }

 private:
  std::unique_ptr<uint8_t[]> bytes_;
};

}  // namespace switchyard::transport
