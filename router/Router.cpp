#include "router/Router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace switchyard::router {

namespace fbs = switchyard::fbs;
using fbs::request::Method;
using fbs::response::ErrorType;

namespace {

// Listen IPs per transport: one socket each, so a few are plenty.
constexpr size_t kMaxListenInfos = 8;

}  // namespace

Router::Router(std::string id, std::vector<MediaCodec> mediaCodecs, TransportContext context)
    : id_(std::move(id)), mediaCodecs_(std::move(mediaCodecs)), context_(std::move(context)) {
  log_ = spdlog::get("router");
  if (!log_) log_ = spdlog::default_logger();
  log_->debug("router {} created with {} codecs", id_, mediaCodecs_.size());
}

Router::~Router() {
  transports_.clear();
  log_->debug("router {} closed", id_);
}

bool Router::ownsHandler(std::string_view id) const {
  if (id == id_) return true;
  return std::any_of(transports_.begin(), transports_.end(),
                     [&](const auto& t) { return t.second->ownsHandler(id); });
}

bool Router::idInUse(std::string_view id) const {
  return ownsHandler(id);
}

void Router::handleRequest(control::ChannelRequest& request) {
  const auto handler = request.handlerId();
  if (handler != id_) {
    for (auto& [tid, t] : transports_) {
      if (t->ownsHandler(handler)) return t->handleRequest(request);
    }
    return request.error(ErrorType::NOT_FOUND, "no object '" + std::string(handler) + "'");
  }
  switch (request.method()) {
    case Method::ROUTER_DUMP:
      return dump(request);
    case Method::ROUTER_CREATE_WEBRTC_TRANSPORT:
      return createWebRtcTransport(request);
    case Method::ROUTER_CLOSE_TRANSPORT:
      return closeTransport(request);
    case Method::ROUTER_CREATE_PLAIN_TRANSPORT:
      return createPlainTransport(request);
    default:
      return request.error(ErrorType::TYPE_ERROR,
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
    std::vector<std::string> transportIds, producerIds, consumerIds;
    for (const auto& [id, t] : transports_) {
      transportIds.push_back(id);
      t->collectIds(producerIds, consumerIds);
    }
    auto tIds = b.CreateVectorOfStrings(transportIds);
    auto pIds = b.CreateVectorOfStrings(producerIds);
    auto cIds = b.CreateVectorOfStrings(consumerIds);
    std::vector<std::string> none;
    auto empty1 = b.CreateVectorOfStrings(none);
    auto empty2 = b.CreateVectorOfStrings(none);
    auto idOffset = b.CreateString(id_);
    auto codecsOffset = b.CreateVector(codecs);
    return fbs::router::CreateDumpResponse(b, idOffset, codecsOffset, tIds, pIds, cIds, empty1,
                                           empty2);
  });
}

void Router::createWebRtcTransport(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::router::CreateWebRtcTransportRequest>();
  if (!body) {
    return request.error(ErrorType::TYPE_ERROR, "needs a CreateWebRtcTransportRequest");
  }
  std::string id = body->transport_id()->str();
  if (id.empty() || idInUse(id)) {
    return request.error(ErrorType::INVALID_STATE, "transport id '" + id + "' is empty or in use");
  }
  if (!body->enable_udp()) {
    return request.error(ErrorType::NOT_IMPLEMENTED, "only UDP transports are implemented");
  }
  const auto* infos = body->listen_infos();
  if (infos->size() == 0 || infos->size() > kMaxListenInfos) {
    return request.error(ErrorType::TYPE_ERROR, "listen_infos must have 1 to 8 entries");
  }
  transport::WebRtcTransport::Options options;
  options.minPort = context_.minPort;
  options.maxPort = context_.maxPort;
  options.sendBatcher = context_.sendBatcher;
  options.receiveArena = context_.receiveArena;
  for (const auto* info : *infos) {
    if (info->protocol() != fbs::common::Protocol::UDP) continue;
    transport::WebRtcTransport::ListenIp ip;
    ip.ip = info->ip()->str();
    if (info->announced_address()) ip.announcedAddress = info->announced_address()->str();
    if (info->shared()) {
      std::string error;
      ip.mux = sharedSocket(ip.ip, info->port(), &error);
      if (!ip.mux) return request.error(ErrorType::ERROR, error);
    }
    options.listenIps.push_back(std::move(ip));
  }
  if (options.listenIps.empty()) {
    return request.error(ErrorType::TYPE_ERROR, "no UDP listen_info");
  }
  std::string error;
  auto transport = Transport::createWebRtc(context_, *this, id, options, &error);
  if (!transport) return request.error(ErrorType::ERROR, error);
  Transport& t = *transport;
  transports_.emplace(id, std::move(transport));
  t.acceptWithDump(request);
}

void Router::createPlainTransport(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::router::CreatePlainTransportRequest>();
  if (!body) {
    return request.error(ErrorType::TYPE_ERROR, "needs a CreatePlainTransportRequest");
  }
  std::string id = body->transport_id()->str();
  if (id.empty() || idInUse(id)) {
    return request.error(ErrorType::INVALID_STATE, "transport id '" + id + "' is empty or in use");
  }
  auto listen = [](const fbs::common::ListenInfo& info) {
    transport::PlainTransport::Listen l;
    l.ip = info.ip()->str();
    if (info.announced_address()) l.announcedAddress = info.announced_address()->str();
    l.port = info.port();
    return l;
  };
  const auto* info = body->listen_info();
  const auto* rtcpInfo = body->rtcp_listen_info();
  if (info->protocol() != fbs::common::Protocol::UDP ||
      (rtcpInfo && rtcpInfo->protocol() != fbs::common::Protocol::UDP)) {
    return request.error(ErrorType::NOT_IMPLEMENTED, "only UDP plain transports are implemented");
  }
  transport::PlainTransport::Options options;
  options.minPort = context_.minPort;
  options.maxPort = context_.maxPort;
  options.sendBatcher = context_.sendBatcher;
  options.receiveArena = context_.receiveArena;
  options.listen = listen(*info);
  if (rtcpInfo) options.rtcpListen = listen(*rtcpInfo);
  if (info->shared() || (rtcpInfo && rtcpInfo->shared())) {
    if (rtcpInfo || body->comedia()) {
      return request.error(ErrorType::TYPE_ERROR,
                           "a shared port needs rtcp-mux and no comedia: transports on it are "
                           "told apart by the remote address given at connect");
    }
    std::string error;
    options.listen.mux = sharedSocket(options.listen.ip, info->port(), &error);
    if (!options.listen.mux) return request.error(ErrorType::ERROR, error);
  }
  options.comedia = body->comedia();
  if (body->enable_srtp()) {
    options.srtp = body->srtp_crypto_suite() == fbs::transport::SrtpCryptoSuite::AEAD_AES_128_GCM
                       ? transport::SrtpProfile::kAeadAes128Gcm
                       : transport::SrtpProfile::kAes128CmHmacSha1_80;
  }
  std::string error;
  auto transport = Transport::createPlain(context_, *this, id, options, &error);
  if (!transport) return request.error(ErrorType::ERROR, error);
  Transport& t = *transport;
  transports_.emplace(id, std::move(transport));
  t.acceptWithDump(request);
}

transport::UdpMux* Router::sharedSocket(const std::string& ip, uint16_t port, std::string* error) {
  if (context_.udpMuxes == nullptr) {
    *error = "this worker has no shared ports";
    return nullptr;
  }
  return context_.udpMuxes->get(ip, port, error);
}

void Router::closeTransport(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::router::CloseTransportRequest>();
  if (!body) return request.error(ErrorType::TYPE_ERROR, "needs a CloseTransportRequest");
  auto it = transports_.find(body->transport_id()->string_view());
  if (it == transports_.end()) {
    return request.error(ErrorType::NOT_FOUND,
                         "no transport '" + body->transport_id()->str() + "'");
  }
  // Destroying the transport removes its producers and consumers through the RouterLink.
  auto doomed = std::move(it->second);
  transports_.erase(it);
  doomed.reset();
  request.accept();
}

// ---- RouterLink ----

void Router::onProducerAdded(Transport& transport, Producer& producer) {
  routes_[&producer] = ProducerEntry{&producer, &transport, {}};
  producersById_[producer.id()] = &producer;
}

void Router::onProducerRemoved(Producer& producer) {
  producersById_.erase(producer.id());
  auto it = routes_.find(&producer);
  if (it == routes_.end()) return;
  auto consumers = std::move(it->second.consumers);
  routes_.erase(it);
  for (auto& [consumer, transport] : consumers) {
    transport->closeConsumerOfClosedProducer(consumer->id());
  }
}

void Router::onConsumerAdded(Transport& transport, Consumer& consumer) {
  Producer* producer = findProducer(consumer.producerId());
  if (producer != nullptr) routes_[producer].consumers.emplace_back(&consumer, &transport);
}

void Router::onConsumerRemoved(Consumer& consumer) {
  Producer* producer = findProducer(consumer.producerId());
  if (producer == nullptr) return;
  auto it = routes_.find(producer);
  if (it == routes_.end()) return;
  auto& list = it->second.consumers;
  list.erase(
      std::remove_if(list.begin(), list.end(), [&](const auto& e) { return e.first == &consumer; }),
      list.end());
}

void Router::onProducerRtp(Producer& producer, const rtp::RtpPacket& packet, bool keyframe) {
  auto it = routes_.find(&producer);
  if (it == routes_.end()) return;
  for (auto& [consumer, transport] : it->second.consumers) {
    transport->sendConsumerRtp(*consumer, packet, keyframe);
  }
}

void Router::onProducerPaused(Producer& producer, bool paused) {
  for (auto& [id, t] : transports_)
    t->setConsumersProducerPaused(producer.id(), paused);
}

void Router::onKeyFrameNeeded(Consumer& consumer) {
  Producer* producer = findProducer(consumer.producerId());
  if (producer == nullptr) return;
  auto it = routes_.find(producer);
  if (it != routes_.end()) it->second.transport->requestKeyFrame(*producer);
}

Producer* Router::findProducer(std::string_view producerId) {
  auto it = producersById_.find(std::string(producerId));
  return it == producersById_.end() ? nullptr : it->second;
}

}  // namespace switchyard::router
