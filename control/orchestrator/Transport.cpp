#include "control/orchestrator/Transport.hpp"

#include "control/orchestrator/Worker.hpp"

namespace switchyard::control {

namespace {

using fbs::request::Method;

fbs::common::MediaKind toFbs(MediaKind k) {
  return k == MediaKind::kVideo ? fbs::common::MediaKind::VIDEO : fbs::common::MediaKind::AUDIO;
}

}  // namespace

void Transport::produce(ProduceOptions options, Callback<std::string> cb) {
  if (workerGone(cb)) return;
  auto w = worker_.lock();
  if (options.id.empty()) options.id = w->newId();
  std::string id = options.id;
  w->channel().request(
      Method::TRANSPORT_PRODUCE, id_,
      [&](flatbuffers::FlatBufferBuilder& b) {
        auto params = buildRtpParameters(b, options.rtpParameters);
        auto body = fbs::transport::CreateProduceRequestDirect(b, id.c_str(), toFbs(options.kind),
                                                               params, options.paused);
        return std::pair{fbs::request::Body::Transport_ProduceRequest, body.Union()};
      },
      [cb = std::move(cb), id](const Error* e, const fbs::response::Response*) {
        if (e) return cb(*e);
        cb(id);
      });
}

void Transport::consume(ConsumeOptions options, Callback<std::string> cb) {
  if (workerGone(cb)) return;
  auto w = worker_.lock();
  if (options.id.empty()) options.id = w->newId();
  std::string id = options.id;
  w->channel().request(
      Method::TRANSPORT_CONSUME, id_,
      [&](flatbuffers::FlatBufferBuilder& b) {
        auto params = buildRtpParameters(b, options.rtpParameters);
        auto body = fbs::transport::CreateConsumeRequestDirect(
            b, id.c_str(), options.producerId.c_str(), fbs::common::MediaKind::AUDIO, params,
            options.paused);
        return std::pair{fbs::request::Body::Transport_ConsumeRequest, body.Union()};
      },
      [cb = std::move(cb), id](const Error* e, const fbs::response::Response*) {
        if (e) return cb(*e);
        cb(id);
      });
}

namespace {
void closeChild(std::weak_ptr<Worker> weak, Method method, const std::string& transportId,
                const std::string& childId, std::function<void(Result<void>)> cb) {
  auto w = weak.lock();
  if (!w) {
    if (cb) cb(Result<void>());
    return;
  }
  w->channel().request(
      method, transportId,
      [&](flatbuffers::FlatBufferBuilder& b) {
        auto body = fbs::transport::CreateCloseChildRequestDirect(b, childId.c_str());
        return std::pair{fbs::request::Body::Transport_CloseChildRequest, body.Union()};
      },
      [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
        if (!cb) return;
        if (e) return cb(*e);
        cb(Result<void>());
      });
}
}  // namespace

void Transport::closeProducer(const std::string& producerId, Callback<void> cb) {
  closeChild(worker_, Method::TRANSPORT_CLOSE_PRODUCER, id_, producerId, std::move(cb));
}

void Transport::closeConsumer(const std::string& consumerId, Callback<void> cb) {
  closeChild(worker_, Method::TRANSPORT_CLOSE_CONSUMER, id_, consumerId, std::move(cb));
}

void Transport::getStats(Callback<TransportStats> cb) {
  if (workerGone(cb)) return;
  worker_.lock()->channel().request(
      Method::TRANSPORT_GET_STATS, id_, {},
      [cb = std::move(cb)](const Error* e, const fbs::response::Response* r) {
        if (e) return cb(*e);
        const auto* s = r->body_as_Transport_GetStatsResponse();
        if (!s) return cb(Error{ErrorKind::kBadResponse, "no GetStatsResponse"});
        TransportStats out;
        out.bytesReceived = s->bytes_received();
        out.bytesSent = s->bytes_sent();
        out.packetsReceived = s->packets_received();
        out.packetsSent = s->packets_sent();
        out.packetsDropped = s->packets_dropped();
        out.iceState = fbs::transport::EnumNameIceState(s->ice_state());
        out.dtlsState = fbs::transport::EnumNameDtlsState(s->dtls_state());
        out.droppedUnknownKind = s->dropped_unknown_kind();
        out.droppedStun = s->dropped_stun();
        out.droppedUnknownTuple = s->dropped_unknown_tuple();
        out.droppedNotConnected = s->dropped_not_connected();
        out.droppedSrtpAuth = s->dropped_srtp_auth();
        out.droppedSrtpReplay = s->dropped_srtp_replay();
        out.droppedSrtpOther = s->dropped_srtp_other();
        out.droppedMalformedRtp = s->dropped_malformed_rtp();
        out.droppedUnknownSsrc = s->dropped_unknown_ssrc();
        out.sendFailures = s->send_failures();
        out.rtpReceived = s->rtp_received();
        out.rtcpReceived = s->rtcp_received();
        out.rtpSent = s->rtp_sent();
        out.rtcpSent = s->rtcp_sent();
        cb(out);
      });
}

void Transport::close(Callback<void> cb) {
  auto w = worker_.lock();
  if (!w || closed_) {
    if (cb) cb(Result<void>());
    return;
  }
  closed_ = true;
  w->channel().request(
      Method::ROUTER_CLOSE_TRANSPORT, routerId_,
      [&](flatbuffers::FlatBufferBuilder& b) {
        auto body = fbs::router::CreateCloseTransportRequestDirect(b, id_.c_str());
        return std::pair{fbs::request::Body::Router_CloseTransportRequest, body.Union()};
      },
      [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
        if (!cb) return;
        if (e) return cb(*e);
        cb(Result<void>());
      });
}

void Transport::request(fbs::request::Method method, const std::string& handlerId,
                        Callback<void> cb) {
  if (workerGone(cb)) return;
  worker_.lock()->channel().request(
      method, handlerId, {}, [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
        if (!cb) return;
        if (e) return cb(*e);
        cb(Result<void>());
      });
}

void Transport::getRtpStreamStats(fbs::request::Method method, const std::string& handlerId,
                                  Callback<std::vector<RtpStreamStats>> cb) {
  if (workerGone(cb)) return;
  worker_.lock()->channel().request(
      method, handlerId, {},
      [cb = std::move(cb)](const Error* e, const fbs::response::Response* r) {
        if (e) return cb(*e);
        const flatbuffers::Vector<flatbuffers::Offset<fbs::producer::RtpStreamStats>>* streams =
            nullptr;
        if (const auto* p = r->body_as_Producer_GetStatsResponse()) streams = p->streams();
        if (const auto* c = r->body_as_Consumer_GetStatsResponse()) streams = c->streams();
        if (!streams) return cb(Error{ErrorKind::kBadResponse, "no GetStatsResponse"});
        std::vector<RtpStreamStats> out;
        for (const auto* s : *streams) {
          RtpStreamStats v;
          v.ssrc = s->ssrc();
          v.mimeType = s->mime_type() ? s->mime_type()->str() : "";
          v.packets = s->packets_received();
          v.bytes = s->bytes_received();
          v.packetsLost = s->packets_lost();
          v.jitter = s->jitter();
          v.nackCount = s->nack_count();
          v.pliCount = s->pli_count();
          v.firCount = s->fir_count();
          out.push_back(v);
        }
        cb(out);
      });
}

WorkerChannel::Subscription Transport::subscribe(const std::string& handlerId,
                                                 NotificationHandler h) {
  auto w = worker_.lock();
  if (!w) return {};
  return w->channel().subscribe(handlerId, std::move(h));
}

}  // namespace switchyard::control
