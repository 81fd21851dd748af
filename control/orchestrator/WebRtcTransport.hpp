#pragma once
// The orchestrator's handle on a WebRTC transport in a worker's router: connecting it (DTLS
// parameters, the remote ICE ufrag) and restarting ICE; the rest is Transport's.

#include <functional>
#include <memory>
#include <string>

#include "control/orchestrator/Transport.hpp"

namespace switchyard::control {

class WebRtcTransport final : public Transport {
 public:
  const WebRtcTransportInfo& info() const { return info_; }

  // remoteRole: the remote SDP's a=setup (active = client, passive = server, actpass = auto).
  // The callback gets our DTLS role.
  // remoteIceUfrag: the ufrag of the remote SDP; the worker then accepts only checks that
  // name it (empty: any).
  void connect(DtlsRole remoteRole, DtlsFingerprintInfo remoteFingerprint,
               std::string remoteIceUfrag, Callback<DtlsRole> cb);
  // New local ICE credentials; remoteIceUfrag is the remote's new one (empty: any).
  void restartIce(std::string remoteIceUfrag,
                  Callback<std::pair<std::string, std::string>> cb);  // new ufrag, password

 private:
  friend class Router;
  WebRtcTransport(std::weak_ptr<Worker> worker, std::string routerId, WebRtcTransportInfo info)
      : Transport(std::move(worker), std::move(routerId), info.id), info_(std::move(info)) {}

  WebRtcTransportInfo info_;
};

}  // namespace switchyard::control
