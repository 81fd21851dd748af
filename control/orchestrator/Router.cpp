#include "control/orchestrator/Router.hpp"

#include "control/orchestrator/PlainTransport.hpp"
#include "control/orchestrator/ResponseReaders.hpp"
#include "control/orchestrator/WebRtcTransport.hpp"
#include "control/orchestrator/Worker.hpp"

namespace switchyard::control {

void Router::dump(Callback<RouterDump> cb) {
  auto w = worker_.lock();
  if (!w) return cb(Error{ErrorKind::kChannelClosed, "the router's worker is gone"});
  w->channel().request(fbs::request::Method::ROUTER_DUMP, id_, {},
                       [cb = std::move(cb)](const Error* e, const fbs::response::Response* r) {
                         if (e) return cb(*e);
                         const auto* body = r->body_as_Router_DumpResponse();
                         if (!body) return cb(Error{ErrorKind::kBadResponse, "no DumpResponse"});
                         cb(readRouterDump(*body));
                       });
}

void Router::createWebRtcTransport(std::vector<ListenIp> listenIps,
                                   Callback<std::shared_ptr<WebRtcTransport>> cb) {
  auto w = worker_.lock();
  if (!w) return cb(Error{ErrorKind::kChannelClosed, "the router's worker is gone"});
  std::string id = w->newId();
  std::weak_ptr<Worker> weak = w;
  w->channel().request(
      fbs::request::Method::ROUTER_CREATE_WEBRTC_TRANSPORT, id_,
      [&](flatbuffers::FlatBufferBuilder& b) {
        std::vector<flatbuffers::Offset<fbs::common::ListenInfo>> infos;
        for (const auto& l : listenIps) {
          infos.push_back(fbs::common::CreateListenInfoDirect(
              b, fbs::common::Protocol::UDP, l.ip.c_str(),
              l.announcedAddress.empty() ? nullptr : l.announcedAddress.c_str(), 0, l.shared));
        }
        auto body = fbs::router::CreateCreateWebRtcTransportRequestDirect(b, id.c_str(), &infos);
        return std::pair{fbs::request::Body::Router_CreateWebRtcTransportRequest, body.Union()};
      },
      [cb = std::move(cb), weak, routerId = id_](const Error* e, const fbs::response::Response* r) {
        if (e) return cb(*e);
        const auto* body = r->body_as_Transport_DumpResponse();
        const auto* dump = body ? body->dump_as_WebRtc() : nullptr;
        if (!dump || !dump->ice_parameters() || !dump->dtls_parameters()) {
          return cb(Error{ErrorKind::kBadResponse, "no WebRTC transport dump"});
        }
        WebRtcTransportInfo info;
        info.id = dump->id()->str();
        info.iceUsernameFragment = dump->ice_parameters()->username_fragment()->str();
        info.icePassword = dump->ice_parameters()->password()->str();
        if (const auto* cs = dump->ice_candidates()) {
          for (const auto* c : *cs) {
            info.candidates.push_back(
                {c->foundation()->str(), c->priority(), c->address()->str(), c->port()});
          }
        }
        for (const auto* f : *dump->dtls_parameters()->fingerprints()) {
          info.fingerprints.push_back({f->algorithm()->str(), f->value()->str()});
        }
        info.iceState = fbs::transport::EnumNameIceState(dump->ice_state());
        info.dtlsState = fbs::transport::EnumNameDtlsState(dump->dtls_state());
        cb(std::shared_ptr<WebRtcTransport>(new WebRtcTransport(weak, routerId, std::move(info))));
      });
}

namespace {

TupleInfo readTuple(const fbs::common::TransportTuple& t) {
  TupleInfo out;
  out.localAddress = t.local_address()->str();
  out.localPort = t.local_port();
  if (t.remote_ip()) out.remoteIp = t.remote_ip()->str();
  out.remotePort = t.remote_port();
  return out;
}

}  // namespace

void Router::createPlainTransport(PlainTransportOptions options,
                                  Callback<std::shared_ptr<PlainTransport>> cb) {
  auto w = worker_.lock();
  if (!w) return cb(Error{ErrorKind::kChannelClosed, "the router's worker is gone"});
  std::string id = w->newId();
  std::weak_ptr<Worker> weak = w;
  w->channel().request(
      fbs::request::Method::ROUTER_CREATE_PLAIN_TRANSPORT, id_,
      [&](flatbuffers::FlatBufferBuilder& b) {
        const char* announced = options.listen.announcedAddress.empty()
                                    ? nullptr
                                    : options.listen.announcedAddress.c_str();
        auto listen = fbs::common::CreateListenInfoDirect(b, fbs::common::Protocol::UDP,
                                                          options.listen.ip.c_str(), announced,
                                                          options.port, options.listen.shared);
        flatbuffers::Offset<fbs::common::ListenInfo> rtcp = 0;
        if (!options.rtcpMux) {
          rtcp = fbs::common::CreateListenInfoDirect(b, fbs::common::Protocol::UDP,
                                                     options.listen.ip.c_str(), announced,
                                                     options.rtcpPort);
        }
        const auto suite = options.srtp == SrtpCryptoSuite::kAeadAes128Gcm
                               ? fbs::transport::SrtpCryptoSuite::AEAD_AES_128_GCM
                               : fbs::transport::SrtpCryptoSuite::AES_CM_128_HMAC_SHA1_80;
        auto body = fbs::router::CreateCreatePlainTransportRequestDirect(
            b, id.c_str(), listen, rtcp, options.comedia, options.srtp.has_value(), suite);
        return std::pair{fbs::request::Body::Router_CreatePlainTransportRequest, body.Union()};
      },
      [cb = std::move(cb), weak, routerId = id_](const Error* e, const fbs::response::Response* r) {
        if (e) return cb(*e);
        const auto* body = r->body_as_Transport_DumpResponse();
        const auto* dump = body ? body->dump_as_Plain() : nullptr;
        if (!dump || !dump->tuple()) {
          return cb(Error{ErrorKind::kBadResponse, "no plain transport dump"});
        }
        PlainTransportInfo info;
        info.id = dump->id()->str();
        info.tuple = readTuple(*dump->tuple());
        if (dump->rtcp_tuple()) info.rtcpTuple = readTuple(*dump->rtcp_tuple());
        info.comedia = dump->comedia();
        if (const auto* s = dump->srtp_parameters()) {
          info.srtp =
              SrtpKeyInfo{s->crypto_suite() == fbs::transport::SrtpCryptoSuite::AEAD_AES_128_GCM
                              ? SrtpCryptoSuite::kAeadAes128Gcm
                              : SrtpCryptoSuite::kAesCm128HmacSha1_80,
                          s->key_base64()->str()};
        }
        cb(std::shared_ptr<PlainTransport>(new PlainTransport(weak, routerId, std::move(info))));
      });
}

void Router::close(Callback<void> cb) {
  auto w = worker_.lock();
  if (!w || closed_) {
    if (cb) cb(Result<void>());
    return;
  }
  closed_ = true;
  w->channel().request(
      fbs::request::Method::WORKER_CLOSE_ROUTER, "",
      [&](flatbuffers::FlatBufferBuilder& b) {
        auto body = fbs::worker::CreateCloseRouterRequestDirect(b, id_.c_str());
        return std::pair{fbs::request::Body::Worker_CloseRouterRequest, body.Union()};
      },
      [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
        if (!cb) return;
        if (e) return cb(*e);
        cb(Result<void>());
      });
}

}  // namespace switchyard::control
