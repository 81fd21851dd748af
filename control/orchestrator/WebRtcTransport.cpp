#include "control/orchestrator/WebRtcTransport.hpp"

#include "control/orchestrator/Worker.hpp"

namespace switchyard::control {

namespace {

using fbs::request::Method;

fbs::common::MediaKind toFbs(MediaKind k) {
  return k == MediaKind::kVideo ? fbs::common::MediaKind::VIDEO : fbs::common::MediaKind::AUDIO;
}

template <typename T>
bool workerGone(const std::weak_ptr<Worker>& weak, const std::function<void(Result<T>)>& cb) {
  if (weak.lock()) return false;
  if (cb) cb(Error{ErrorKind::kChannelClosed, "the transport's worker is gone"});
  return true;
}

}  // namespace

void WebRtcTransport::connect(DtlsRole remoteRole, DtlsFingerprintInfo fp,
                              std::string remoteIceUfrag, Callback<DtlsRole> cb) {
  if (workerGone(worker_, cb)) return;
  worker_.lock()->channel().request(
      Method::TRANSPORT_CONNECT, info_.id,
      [&](flatbuffers::FlatBufferBuilder& b) {
        std::vector<flatbuffers::Offset<fbs::transport::DtlsFingerprint>> fps{
            fbs::transport::CreateDtlsFingerprintDirect(b, fp.algorithm.c_str(), fp.value.c_str())};
        const auto role = remoteRole == DtlsRole::kClient   ? fbs::transport::DtlsRole::CLIENT
                          : remoteRole == DtlsRole::kServer ? fbs::transport::DtlsRole::SERVER
                                                            : fbs::transport::DtlsRole::AUTO;
        auto dtls = fbs::transport::CreateDtlsParametersDirect(b, role, &fps);
        auto ufrag = remoteIceUfrag.empty() ? 0 : b.CreateString(remoteIceUfrag);
        fbs::transport::ConnectRequestBuilder connect(b);
        connect.add_dtls_parameters(dtls);
        if (!remoteIceUfrag.empty()) connect.add_remote_ice_username_fragment(ufrag);
        auto body = connect.Finish();
        return std::pair{fbs::request::Body::Transport_ConnectRequest, body.Union()};
      },
      [cb = std::move(cb)](const Error* e, const fbs::response::Response* r) {
        if (e) return cb(*e);
        const auto* body = r->body_as_Transport_ConnectResponse();
        if (!body) return cb(Error{ErrorKind::kBadResponse, "no ConnectResponse"});
        cb(body->dtls_local_role() == fbs::transport::DtlsRole::CLIENT ? DtlsRole::kClient
                                                                       : DtlsRole::kServer);
      });
}

void WebRtcTransport::restartIce(std::string remoteIceUfrag,
                                 Callback<std::pair<std::string, std::string>> cb) {
  if (workerGone(worker_, cb)) return;
  worker_.lock()->channel().request(
      Method::TRANSPORT_RESTART_ICE, info_.id,
      [&](flatbuffers::FlatBufferBuilder& b) {
        auto ufrag = remoteIceUfrag.empty() ? 0 : b.CreateString(remoteIceUfrag);
        fbs::transport::RestartIceRequestBuilder rb(b);
        if (!remoteIceUfrag.empty()) rb.add_remote_ice_username_fragment(ufrag);
        auto body = rb.Finish();
        return std::pair{fbs::request::Body::Transport_RestartIceRequest, body.Union()};
      },
      [this, cb = std::move(cb)](const Error* e, const fbs::response::Response* r) {
        if (e) return cb(*e);
        const auto* body = r->body_as_Transport_RestartIceResponse();
        if (!body) return cb(Error{ErrorKind::kBadResponse, "no RestartIceResponse"});
        info_.iceUsernameFragment = body->ice_parameters()->username_fragment()->str();
        info_.icePassword = body->ice_parameters()->password()->str();
        cb(std::pair{info_.iceUsernameFragment, info_.icePassword});
      });
}

void WebRtcTransport::produce(ProduceOptions options, Callback<std::string> cb) {
  if (workerGone(worker_, cb)) return;
  auto w = worker_.lock();
  if (options.id.empty()) options.id = w->newId();
  std::string id = options.id;
  w->channel().request(
      Method::TRANSPORT_PRODUCE, info_.id,
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

void WebRtcTransport::consume(ConsumeOptions options, Callback<std::string> cb) {
  if (workerGone(worker_, cb)) return;
  auto w = worker_.lock();
  if (options.id.empty()) options.id = w->newId();
  std::string id = options.id;
  w->channel().request(
      Method::TRANSPORT_CONSUME, info_.id,
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

void WebRtcTransport::closeProducer(const std::string& producerId, Callback<void> cb) {
  closeChild(worker_, Method::TRANSPORT_CLOSE_PRODUCER, info_.id, producerId, std::move(cb));
}

void WebRtcTransport::closeConsumer(const std::string& consumerId, Callback<void> cb) {
  closeChild(worker_, Method::TRANSPORT_CLOSE_CONSUMER, info_.id, consumerId, std::move(cb));
}

void WebRtcTransport::getStats(Callback<TransportStats> cb) {
  if (workerGone(worker_, cb)) return;
  worker_.lock()->channel().request(
      Method::TRANSPORT_GET_STATS, info_.id, {},
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

void WebRtcTransport::close(Callback<void> cb) {
  auto w = worker_.lock();
  if (!w || closed_) {
    if (cb) cb(Result<void>());
    return;
  }
  closed_ = true;
  w->channel().request(
      Method::ROUTER_CLOSE_TRANSPORT, routerId_,
      [&](flatbuffers::FlatBufferBuilder& b) {
        auto body = fbs::router::CreateCloseTransportRequestDirect(b, info_.id.c_str());
        return std::pair{fbs::request::Body::Router_CloseTransportRequest, body.Union()};
      },
      [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
        if (!cb) return;
        if (e) return cb(*e);
        cb(Result<void>());
      });
}

void WebRtcTransport::request(fbs::request::Method method, const std::string& handlerId,
                              Callback<void> cb) {
  if (workerGone(worker_, cb)) return;
  worker_.lock()->channel().request(
      method, handlerId, {}, [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
        if (!cb) return;
        if (e) return cb(*e);
        cb(Result<void>());
      });
}

void WebRtcTransport::getRtpStreamStats(fbs::request::Method method, const std::string& handlerId,
                                        Callback<std::vector<RtpStreamStats>> cb) {
  if (workerGone(worker_, cb)) return;
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

WorkerChannel::Subscription WebRtcTransport::subscribe(const std::string& handlerId,
                                                       NotificationHandler h) {
  auto w = worker_.lock();
  if (!w) return {};
  return w->channel().subscribe(handlerId, std::move(h));
}

}  // namespace switchyard::control
