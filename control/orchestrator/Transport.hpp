#pragma once
// The orchestrator's handle on a transport in a worker's router, of any kind, and on the
// producers and consumers created on it (addressed by id: they are plain worker objects). The
// kinds (WebRtcTransport, PlainTransport) add how they connect.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/orchestrator/Result.hpp"
#include "control/orchestrator/Types.hpp"
#include "control/orchestrator/WorkerChannel.hpp"

namespace switchyard::control {

class Worker;

class Transport {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  // event is fbs::notification::Event's value; body is the raw notification.
  using NotificationHandler = WorkerChannel::NotificationHandler;

  virtual ~Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  const std::string& id() const { return id_; }
  std::shared_ptr<Worker> worker() const { return worker_.lock(); }

  void produce(ProduceOptions options, Callback<std::string> cb);  // the producer id
  void consume(ConsumeOptions options, Callback<std::string> cb);  // the consumer id
  void closeProducer(const std::string& producerId, Callback<void> cb = {});
  void closeConsumer(const std::string& consumerId, Callback<void> cb = {});
  void getStats(Callback<TransportStats> cb);
  void close(Callback<void> cb = {});

  // Producer and consumer requests without a body: pause, resume, request keyframe.
  void request(fbs::request::Method method, const std::string& handlerId, Callback<void> cb);
  void getRtpStreamStats(fbs::request::Method method, const std::string& handlerId,
                         Callback<std::vector<RtpStreamStats>> cb);

  // Notifications about this transport (ICE/DTLS state, tuples) or one of its consumers or
  // producers.
  WorkerChannel::Subscription subscribe(const std::string& handlerId, NotificationHandler h);

 protected:
  Transport(std::weak_ptr<Worker> worker, std::string routerId, std::string id)
      : worker_(std::move(worker)), routerId_(std::move(routerId)), id_(std::move(id)) {}

  // True (and the callback told) when the worker is gone.
  template <typename T>
  bool workerGone(const Callback<T>& cb) const {
    if (worker_.lock()) return false;
    if (cb) cb(Error{ErrorKind::kChannelClosed, "the transport's worker is gone"});
    return true;
  }

  std::weak_ptr<Worker> worker_;
  std::string routerId_;
  std::string id_;
  bool closed_ = false;
};

}  // namespace switchyard::control
