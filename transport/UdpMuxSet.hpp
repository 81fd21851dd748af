#pragma once
// A worker's shared UDP sockets (UdpMux), one per listen IP and port, bound when first asked for
// and kept for the worker's life: a shared port stays the same for every transport that asks
// for it, so it can be opened in a firewall once. An IP's default shared port is the range's
// minPort + slot when that is free (slot: the worker's id, so workers 0..N-1 get the first N
// ports of the range), else any free port of the range.

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transport/UdpMux.hpp"

namespace switchyard::transport {

class UdpMuxSet {
 public:
  UdpMuxSet(uv_loop_t* loop, uint16_t minPort, uint16_t maxPort, UdpSendBatcher* batcher,
            UdpReceiveArena* arena, uint32_t slot = 0);

  // The shared socket for ip and port; port 0 means ip's default shared port, picked from the
  // worker's range when first asked for. null with a reason when it cannot be bound.
  UdpMux* get(const std::string& ip, uint16_t port, std::string* error);

  const std::vector<std::unique_ptr<UdpMux>>& muxes() const { return muxes_; }
  // The port an IP's default shared socket tries first.
  uint16_t preferredPort() const { return preferredPort_; }

 private:
  struct Entry {
    std::string ip;
    uint16_t requestedPort;  // 0 for the IP's default one
    UdpMux* mux;
  };

  uv_loop_t* loop_;
  uint16_t minPort_;
  uint16_t maxPort_;
  uint16_t preferredPort_;  // the default shared port to try first
  UdpSendBatcher* batcher_;
  UdpReceiveArena* arena_;
  std::vector<std::unique_ptr<UdpMux>> muxes_;
  std::vector<Entry> entries_;
};

}  // namespace switchyard::transport
