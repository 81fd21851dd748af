#pragma once
// The orchestrator's handle on a WebRTC transport in a worker's router, and on the producers
// and consumers created on it (addressed by id: they are plain worker objects).

#include <functional>
#include <memory>
#include <string>

#include "control/orchestrator/Result.hpp"
#include "control/orchestrator/Types.hpp"
#include "control/orchestrator/WorkerChannel.hpp"

namespace switchyard::control {

class Worker;

class WebRtcTransport {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  // event is fbs::notification::Event's value; body is the raw notification.
  using NotificationHandler = WorkerChannel::NotificationHandler;

  const std::string& id() const { return info_.id; }
  const WebRtcTransportInfo& info() const { return info_; }
  std::shared_ptr<Worker> worker() const { return worker_.lock(); }

  // remoteRole: the remote SDP's a=setup (active = client, passive = server, actpass = auto).
  // The callback gets our DTLS role.
  // remoteIceUfrag: the ufrag of the remote SDP; the worker then accepts only checks that
  // name it (empty: any).
  void connect(DtlsRole remoteRole, DtlsFingerprintInfo remoteFingerprint,
               std::string remoteIceUfrag, Callback<DtlsRole> cb);
  // New local ICE credentials; remoteIceUfrag is the remote's new one (empty: any).
  void restartIce(std::string remoteIceUfrag,
                  Callback<std::pair<std::string, std::string>> cb);  // new ufrag, password
  void produce(ProduceOptions options, Callback<std::string> cb);     // the producer id
  void consume(ConsumeOptions options, Callback<std::string> cb);     // the consumer id
  void closeProducer(const std::string& producerId, Callback<void> cb = {});
  void closeConsumer(const std::string& consumerId, Callback<void> cb = {});
  void getStats(Callback<TransportStats> cb);
  void close(Callback<void> cb = {});

  // Producer and consumer requests without a body: pause, resume, request keyframe.
  void request(fbs::request::Method method, const std::string& handlerId, Callback<void> cb);
  void getRtpStreamStats(fbs::request::Method method, const std::string& handlerId,
                         Callback<std::vector<RtpStreamStats>> cb);

  // Notifications about this transport (ICE/DTLS state) or one of its consumers or producers.
  WorkerChannel::Subscription subscribe(const std::string& handlerId, NotificationHandler h);

 private:
  friend class Router;
  WebRtcTransport(std::weak_ptr<Worker> worker, std::string routerId, WebRtcTransportInfo info)
      : worker_(std::move(worker)), routerId_(std::move(routerId)), info_(std::move(info)) {}

  std::weak_ptr<Worker> worker_;
  std::string routerId_;
  WebRtcTransportInfo info_;
  bool closed_ = false;
};

}  // namespace switchyard::control
