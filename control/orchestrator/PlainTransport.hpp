#pragma once
// The orchestrator's handle on a plain RTP transport in a worker's router: its tuples and SRTP
// key as created, and connecting it to its peer; the rest is Transport's.

#include <memory>
#include <string>

#include "control/orchestrator/Transport.hpp"

namespace switchyard::control {

class PlainTransport final : public Transport {
 public:
  const PlainTransportInfo& info() const { return info_; }

  // The peer's address (optional with comedia) and, with SRTP, its key.
  void connect(PlainConnectOptions options, Callback<void> cb);

 private:
  friend class Router;
  PlainTransport(std::weak_ptr<Worker> worker, std::string routerId, PlainTransportInfo info)
      : Transport(std::move(worker), std::move(routerId), info.id), info_(std::move(info)) {}

  PlainTransportInfo info_;
};

}  // namespace switchyard::control
