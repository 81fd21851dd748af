#include "transport/UdpMuxSet.hpp"

namespace switchyard::transport {

UdpMuxSet::UdpMuxSet(uv_loop_t* loop, uint16_t minPort, uint16_t maxPort, UdpSendBatcher* batcher,
                     UdpReceiveArena* arena, uint32_t slot)
    : loop_(loop),
      minPort_(minPort),
      maxPort_(maxPort),
      preferredPort_(maxPort >= minPort
                         ? static_cast<uint16_t>(minPort + slot % (uint32_t{maxPort} - minPort + 1))
                         : minPort),
      batcher_(batcher),
      arena_(arena) {}

UdpMux* UdpMuxSet::get(const std::string& ip, uint16_t port, std::string* error) {
  for (const Entry& e : entries_) {
    if (e.ip != ip) continue;
    // Asking for the default port by number finds it too.
    if (e.requestedPort == port || (port != 0 && e.mux->localAddress().port() == port)) {
      return e.mux;
    }
  }
  std::unique_ptr<UdpMux> mux;
  if (port == 0) {
    // The predictable port first; taken (by another process, or an ingest that came first):
    // any free one.
    mux = UdpMux::bind(loop_, ip, preferredPort_, minPort_, maxPort_, batcher_, arena_, nullptr);
  }
  if (!mux) mux = UdpMux::bind(loop_, ip, port, minPort_, maxPort_, batcher_, arena_, error);
  if (!mux) return nullptr;
  entries_.push_back({ip, port, mux.get()});
  muxes_.push_back(std::move(mux));
  return muxes_.back().get();
}

}  // namespace switchyard::transport
