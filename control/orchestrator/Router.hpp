#pragma once
// The orchestrator's handle on a router living in a worker.

#include <functional>
#include <memory>
#include <string>

#include "control/orchestrator/Result.hpp"
#include "control/orchestrator/Types.hpp"

namespace switchyard::control {

class Worker;
class WebRtcTransport;
class PlainTransport;

class Router {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;

  const std::string& id() const { return id_; }
  // The worker it lives on; null once that worker handle is gone.
  std::shared_ptr<Worker> worker() const { return worker_.lock(); }
  bool closed() const { return closed_; }

  void dump(Callback<RouterDump> cb);
  // listenIps: where the transport's sockets bind (one UDP socket each).
  void createWebRtcTransport(std::vector<ListenIp> listenIps,
                             Callback<std::shared_ptr<WebRtcTransport>> cb);
  void createPlainTransport(PlainTransportOptions options,
                            Callback<std::shared_ptr<PlainTransport>> cb);
  void close(Callback<void> cb = {});

 private:
  friend class Worker;
  Router(std::weak_ptr<Worker> worker, std::string id)
      : worker_(std::move(worker)), id_(std::move(id)) {}

  std::weak_ptr<Worker> worker_;
  std::string id_;
  bool closed_ = false;
};

}  // namespace switchyard::control
