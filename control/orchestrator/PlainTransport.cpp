#include "control/orchestrator/PlainTransport.hpp"

#include "control/orchestrator/Worker.hpp"

namespace switchyard::control {

void PlainTransport::connect(PlainConnectOptions options, Callback<void> cb) {
  if (workerGone(cb)) return;
  worker_.lock()->channel().request(
      fbs::request::Method::TRANSPORT_CONNECT, id_,
      [&](flatbuffers::FlatBufferBuilder& b) {
        flatbuffers::Offset<fbs::transport::SrtpParameters> srtp = 0;
        if (options.srtp) {
          const auto suite = options.srtp->cryptoSuite == SrtpCryptoSuite::kAeadAes128Gcm
                                 ? fbs::transport::SrtpCryptoSuite::AEAD_AES_128_GCM
                                 : fbs::transport::SrtpCryptoSuite::AES_CM_128_HMAC_SHA1_80;
          srtp =
              fbs::transport::CreateSrtpParametersDirect(b, suite, options.srtp->keyBase64.c_str());
        }
        auto ip = options.ip.empty() ? 0 : b.CreateString(options.ip);
        fbs::transport::ConnectRequestBuilder connect(b);
        if (options.srtp) connect.add_srtp_parameters(srtp);
        if (!options.ip.empty()) connect.add_ip(ip);
        connect.add_port(options.port);
        connect.add_rtcp_port(options.rtcpPort);
        auto body = connect.Finish();
        return std::pair{fbs::request::Body::Transport_ConnectRequest, body.Union()};
      },
      [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
        if (!cb) return;
        if (e) return cb(*e);
        cb(Result<void>());
      });
}

}  // namespace switchyard::control
