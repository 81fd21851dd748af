#include "router/Router.hpp"

#include <spdlog/spdlog.h>

namespace switchyard::router {

namespace fbs = switchyard::fbs;
using fbs::request::Method;
using fbs::response::ErrorType;

Router::Router(std::string id, std::vector<MediaCodec> mediaCodecs)
    : id_(std::move(id)), mediaCodecs_(std::move(mediaCodecs)) {
  log_ = spdlog::get("router");
  if (!log_) log_ = spdlog::default_logger();
  log_->debug("router {} created with {} codecs", id_, mediaCodecs_.size());
}

Router::~Router() {
  log_->debug("router {} closed", id_);
}

void Router::handleRequest(control::ChannelRequest& request) {
  switch (request.method()) {
    case Method::ROUTER_DUMP:
      dump(request);
      return;
    case Method::ROUTER_CREATE_WEBRTC_TRANSPORT:
    case Method::ROUTER_CREATE_PLAIN_TRANSPORT:
    case Method::ROUTER_CLOSE_TRANSPORT:
      request.error(ErrorType::NOT_IMPLEMENTED,
                    std::string(request.methodName()) + " is not implemented yet");
      return;
    default:
      request.error(ErrorType::TYPE_ERROR,
                    std::string(request.methodName()) + " is not a router method");
  }
}

void Router::dump(control::ChannelRequest& request) {
  request.accept(fbs::response::Body::Router_DumpResponse, [&](flatbuffers::FlatBufferBuilder& b) {
    std::vector<flatbuffers::Offset<fbs::common::RtpCodecCapability>> codecs;
    for (const auto& c : mediaCodecs_) {
      std::vector<flatbuffers::Offset<fbs::common::StringString>> params;
      for (const auto& [k, v] : c.parameters) {
        params.push_back(fbs::common::CreateStringStringDirect(b, k.c_str(), v.c_str()));
      }
      codecs.push_back(fbs::common::CreateRtpCodecCapabilityDirect(
          b,
          c.kind == MediaKind::kVideo ? fbs::common::MediaKind::VIDEO
                                      : fbs::common::MediaKind::AUDIO,
          c.mimeType.c_str(), c.payloadType, c.clockRate, c.channels, &params));
    }
    std::vector<flatbuffers::Offset<flatbuffers::String>> none;
    return fbs::router::CreateDumpResponseDirect(b, id_.c_str(), &codecs, &none, &none, &none,
                                                 &none, &none);
  });
}

}  // namespace switchyard::router
