#include "control/orchestrator/WebRtcTransport.hpp"

#include "control/orchestrator/Worker.hpp"

namespace switchyard::control {

namespace {

using fbs::request::Method;

}  // namespace

void WebRtcTransport::connect(DtlsRole remoteRole, DtlsFingerprintInfo fp,
                              std::string remoteIceUfrag, Callback<DtlsRole> cb) {
  if (workerGone(cb)) return;
  worker_.lock()->channel().request(
      Method::TRANSPORT_CONNECT, id_,
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
  if (workerGone(cb)) return;
  worker_.lock()->channel().request(
      Method::TRANSPORT_RESTART_ICE, id_,
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

}  // namespace switchyard::control
