#include "router/Transport.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "control/channel/MessageBuilder.hpp"
#include "rtp/RtcpInterval.hpp"
#include "rtp/extensions/Mid.hpp"
#include "rtp/extensions/RtpHeaderExtensionMap.hpp"
#include "rtp/rtcp/RtcpCompound.hpp"
#include "rtp/rtcp/RtcpFir.hpp"
#include "rtp/rtcp/RtcpHeader.hpp"
#include "rtp/rtcp/RtcpPli.hpp"
#include "rtp/rtcp/RtcpReceiverReport.hpp"
#include "rtp/rtcp/RtcpReportBlock.hpp"
#include "rtp/rtcp/RtcpSdes.hpp"
#include "rtp/rtcp/RtcpSenderReport.hpp"

namespace switchyard::router {

namespace fbs = switchyard::fbs;
using fbs::request::Method;
using fbs::response::ErrorType;

namespace {

// RFC 3550 section 6.2: reports about every 5 s at low rates; WebRTC stacks send them about
// once a second, which keeps RTT and loss figures fresh for the viewers' congestion control.
// Each interval is this times a random factor in [0.5, 1.5] (rtp/RtcpInterval.hpp).
constexpr uint64_t kRtcpIntervalMs = 1000;
// An RTCP compound must fit in one datagram with the SRTCP trailer.
constexpr size_t kRtcpMtu = 1200;
// RFC 4585 section 6.1: feedback message types.
constexpr uint8_t kRtpfbNack = 1;
constexpr uint8_t kPsfbPli = 1;
constexpr uint8_t kPsfbFir = 4;
// Seconds from 1900 (NTP epoch) to 1970 (Unix epoch), RFC 868.
constexpr uint64_t kNtpUnixOffsetSeconds = 2'208'988'800ULL;

uint32_t randomU32() {
  uint32_t v = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
  return v;
}

// Wall clock as NTP 32.32 fixed point (RFC 3550 section 4).
uint64_t ntpNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const uint64_t seconds = static_cast<uint64_t>(ts.tv_sec) + kNtpUnixOffsetSeconds;
  const uint64_t fraction = (static_cast<uint64_t>(ts.tv_nsec) << 32) / 1'000'000'000ULL;
  return seconds << 32 | fraction;
}

fbs::transport::IceState toFbs(transport::IceState s) {
  using S = transport::IceState;
  switch (s) {
    case S::kNew:
      return fbs::transport::IceState::NEW;
    case S::kConnected:
      return fbs::transport::IceState::CONNECTED;
    case S::kCompleted:
      return fbs::transport::IceState::COMPLETED;
    case S::kDisconnected:
      return fbs::transport::IceState::DISCONNECTED;
    case S::kClosed:
      return fbs::transport::IceState::CLOSED;
  }
  return fbs::transport::IceState::NEW;
}

fbs::transport::DtlsState toFbs(transport::DtlsTransport::State s) {
  using S = transport::DtlsTransport::State;
  switch (s) {
    case S::kNew:
      return fbs::transport::DtlsState::NEW;
    case S::kConnecting:
      return fbs::transport::DtlsState::CONNECTING;
    case S::kConnected:
      return fbs::transport::DtlsState::CONNECTED;
    case S::kFailed:
      return fbs::transport::DtlsState::FAILED;
    case S::kClosed:
      return fbs::transport::DtlsState::CLOSED;
  }
  return fbs::transport::DtlsState::NEW;
}

fbs::common::MediaKind toFbs(MediaKind k) {
  return k == MediaKind::kVideo ? fbs::common::MediaKind::VIDEO : fbs::common::MediaKind::AUDIO;
}

fbs::transport::SrtpCryptoSuite toFbs(transport::SrtpProfile p) {
  return p == transport::SrtpProfile::kAeadAes128Gcm
             ? fbs::transport::SrtpCryptoSuite::AEAD_AES_128_GCM
             : fbs::transport::SrtpCryptoSuite::AES_CM_128_HMAC_SHA1_80;
}

transport::SrtpProfile fromFbs(fbs::transport::SrtpCryptoSuite s) {
  return s == fbs::transport::SrtpCryptoSuite::AEAD_AES_128_GCM
             ? transport::SrtpProfile::kAeadAes128Gcm
             : transport::SrtpProfile::kAes128CmHmacSha1_80;
}

MediaKind fromFbs(fbs::common::MediaKind k) {
  return k == fbs::common::MediaKind::VIDEO ? MediaKind::kVideo : MediaKind::kAudio;
}

}  // namespace

std::unique_ptr<Transport> Transport::createWebRtc(
    const TransportContext& context, RouterLink& router, std::string id,
    const transport::WebRtcTransport::Options& options, std::string* error) {
  std::unique_ptr<Transport> t(new Transport(context, router, std::move(id)));
  transport::WebRtcTransport::Listener& listener = *t;
  auto media = transport::WebRtcTransport::create(context.loop, context.certificate, options,
                                                  listener, error);
  if (!media) return nullptr;
  t->webrtc_ = media.get();
  t->media_ = std::move(media);
  t->startRtcpTimer();
  return t;
}

std::unique_ptr<Transport> Transport::createPlain(const TransportContext& context,
                                                  RouterLink& router, std::string id,
                                                  const transport::PlainTransport::Options& options,
                                                  std::string* error) {
  std::unique_ptr<Transport> t(new Transport(context, router, std::move(id)));
  transport::PlainTransport::Listener& listener = *t;
  auto media = transport::PlainTransport::create(context.loop, options, listener, error);
  if (!media) return nullptr;
  t->plain_ = media.get();
  t->media_ = std::move(media);
  t->startRtcpTimer();
  return t;
}

void Transport::startRtcpTimer() {
  // One-shot, re-armed with a fresh random interval after each round (RFC 3550 section 6.3.1),
  // so that transports created together do not keep reporting in the same loop turn.
  rtcpTimer_ = std::make_unique<transport::UvTimer>(context_.loop, [this] {
    sendRtcpReports();
    rtcpTimer_->start(rtp::randomizedRtcpIntervalMs(kRtcpIntervalMs, randomU32()));
  });
  rtcpTimer_->start(rtp::randomizedRtcpIntervalMs(kRtcpIntervalMs, randomU32()));
}

Transport::Transport(const TransportContext& context, RouterLink& router, std::string id)
    : context_(context), router_(router), id_(std::move(id)), rtcpSsrc_(randomU32()) {}

Transport::~Transport() {
  // Consumers first (they reference other transports' producers only by id), then producers,
  // whose consumers elsewhere get CONSUMER_PRODUCER_CLOSE.
  while (!consumers_.empty())
    removeConsumer(consumers_.begin()->first);
  while (!producers_.empty())
    removeProducer(producers_.begin()->first);
}

int64_t Transport::nowUs() const {
  return static_cast<int64_t>(uv_hrtime() / 1000);
}

bool Transport::ownsHandler(std::string_view id) const {
  return id == id_ || producers_.find(id) != producers_.end() ||
         consumers_.find(id) != consumers_.end();
}

void Transport::collectIds(std::vector<std::string>& producers,
                           std::vector<std::string>& consumers) const {
  for (const auto& [id, p] : producers_)
    producers.push_back(id);
  for (const auto& [id, c] : consumers_)
    consumers.push_back(id);
}

// ---- requests ----

void Transport::handleRequest(control::ChannelRequest& request) {
  const auto handler = request.handlerId();
  if (handler != id_) {
    if (auto it = producers_.find(handler); it != producers_.end()) {
      handleProducerRequest(*it->second, request);
      return;
    }
    if (auto it = consumers_.find(handler); it != consumers_.end()) {
      handleConsumerRequest(*it->second, request);
      return;
    }
  }
  switch (request.method()) {
    case Method::TRANSPORT_DUMP:
      return dump(request);
    case Method::TRANSPORT_GET_STATS:
      return stats(request);
    case Method::TRANSPORT_CONNECT:
      return connect(request);
    case Method::TRANSPORT_RESTART_ICE:
      return restartIce(request);
    case Method::TRANSPORT_PRODUCE:
      return produce(request);
    case Method::TRANSPORT_CONSUME:
      return consume(request);
    case Method::TRANSPORT_CLOSE_PRODUCER:
      return closeProducer(request);
    case Method::TRANSPORT_CLOSE_CONSUMER:
      return closeConsumer(request);
    case Method::TRANSPORT_SET_MAX_INCOMING_BITRATE:
    case Method::TRANSPORT_PRODUCE_DATA:
    case Method::TRANSPORT_CONSUME_DATA:
    case Method::TRANSPORT_CLOSE_DATA_PRODUCER:
    case Method::TRANSPORT_CLOSE_DATA_CONSUMER:
      return request.error(ErrorType::NOT_IMPLEMENTED,
                           std::string(request.methodName()) + " is not implemented yet");
    default:
      return request.error(ErrorType::TYPE_ERROR,
                           std::string(request.methodName()) + " is not a transport method");
  }
}

void Transport::acceptWithDump(control::ChannelRequest& request) {
  dump(request);
}

void Transport::dump(control::ChannelRequest& request) {
  if (plain_ != nullptr) return dumpPlain(request);
  dumpWebRtc(request);
}

void Transport::dumpPlain(control::ChannelRequest& request) {
  request.accept(
      fbs::response::Body::Transport_DumpResponse, [&](flatbuffers::FlatBufferBuilder& b) {
        auto tupleOf = [&](const transport::SocketAddress& local,
                           const std::optional<transport::SocketAddress>& remote) {
          const std::string remoteIp = remote ? remote->ip() : "";
          return fbs::common::CreateTransportTupleDirect(b, plain_->announcedAddress().c_str(),
                                                         local.port(), remoteIp.c_str(),
                                                         remote ? remote->port() : 0);
        };
        auto tuple = tupleOf(plain_->localAddress(), plain_->remote());
        flatbuffers::Offset<fbs::common::TransportTuple> rtcpTuple = 0;
        if (!plain_->rtcpMux())
          rtcpTuple = tupleOf(plain_->localRtcpAddress(), plain_->remoteRtcp());
        flatbuffers::Offset<fbs::transport::SrtpParameters> srtp = 0;
        if (const auto& key = plain_->localSrtp()) {
          const std::string text = key->toBase64();
          srtp = fbs::transport::CreateSrtpParametersDirect(b, toFbs(key->profile()), text.c_str());
        }
        auto plain = fbs::transport::CreatePlainTransportDumpDirect(
            b, id_.c_str(), tuple, rtcpTuple, plain_->comedia(), srtp);
        std::vector<std::string> producerIds, consumerIds;
        collectIds(producerIds, consumerIds);
        auto producers = b.CreateVectorOfStrings(producerIds);
        auto consumers = b.CreateVectorOfStrings(consumerIds);
        return fbs::transport::CreateDumpResponse(b, fbs::transport::Dump::Plain, plain.Union(),
                                                  producers, consumers);
      });
}

void Transport::dumpWebRtc(control::ChannelRequest& request) {
  request.accept(
      fbs::response::Body::Transport_DumpResponse, [&](flatbuffers::FlatBufferBuilder& b) {
        auto ice = fbs::transport::CreateIceParametersDirect(
            b, webrtc_->iceUsernameFragment().c_str(), webrtc_->icePassword().c_str(), true);
        std::vector<flatbuffers::Offset<fbs::transport::IceCandidate>> candidates;
        for (const auto& c : webrtc_->iceCandidates()) {
          candidates.push_back(fbs::transport::CreateIceCandidateDirect(
              b, c.foundation.c_str(), c.priority, c.address.c_str(), fbs::common::Protocol::UDP,
              c.port, "host"));
        }
        // format() is the SDP attribute value: "sha-256 AB:CD:...".
        const std::string fp = webrtc_->localFingerprint().format();
        const auto space = fp.find(' ');
        const std::string algorithm = fp.substr(0, space);
        const std::string value = space == std::string::npos ? "" : fp.substr(space + 1);
        std::vector<flatbuffers::Offset<fbs::transport::DtlsFingerprint>> fps{
            fbs::transport::CreateDtlsFingerprintDirect(b, algorithm.c_str(), value.c_str())};
        auto dtls =
            fbs::transport::CreateDtlsParametersDirect(b, fbs::transport::DtlsRole::AUTO, &fps);
        flatbuffers::Offset<fbs::common::TransportTuple> tuple = 0;
        if (auto t = webrtc_->selectedTuple()) {
          tuple = fbs::common::CreateTransportTupleDirect(b, "", 0, t->ip().c_str(), t->port());
        }
        auto webrtc = fbs::transport::CreateWebRtcTransportDumpDirect(
            b, id_.c_str(), "controlled", ice, &candidates, toFbs(webrtc_->iceState()), tuple, dtls,
            toFbs(webrtc_->dtlsState()));
        std::vector<std::string> producerIds, consumerIds;
        collectIds(producerIds, consumerIds);
        auto producers = b.CreateVectorOfStrings(producerIds);
        auto consumers = b.CreateVectorOfStrings(consumerIds);
        return fbs::transport::CreateDumpResponse(b, fbs::transport::Dump::WebRtc, webrtc.Union(),
                                                  producers, consumers);
      });
}

namespace {

// What both transport kinds count alike; WebRTC's counters add STUN drops (a requires-clause
// tells them apart). queuedFailures: sends the kernel refused after batching.
template <typename Counters>
void addCounters(fbs::transport::GetStatsResponseBuilder& sb, const Counters& c,
                 uint64_t droppedUnknownSsrc, uint64_t queuedFailures) {
  uint64_t droppedStun = 0;
  if constexpr (requires { c.droppedStun; }) droppedStun = c.droppedStun;
  const uint64_t dropped = c.droppedUnknownKind + droppedStun + c.droppedUnknownTuple +
                           c.droppedNotConnected + c.droppedSrtpAuth + c.droppedSrtpReplay +
                           c.droppedSrtpOther + c.droppedMalformedRtp + droppedUnknownSsrc;
  sb.add_bytes_received(c.bytesReceived);
  sb.add_bytes_sent(c.bytesSent);
  sb.add_packets_received(c.rtpReceived + c.rtcpReceived);
  sb.add_packets_sent(c.rtpSent + c.rtcpSent);
  sb.add_packets_dropped(dropped);
  sb.add_dropped_unknown_kind(c.droppedUnknownKind);
  sb.add_dropped_stun(droppedStun);
  sb.add_dropped_unknown_tuple(c.droppedUnknownTuple);
  sb.add_dropped_not_connected(c.droppedNotConnected);
  sb.add_dropped_srtp_auth(c.droppedSrtpAuth);
  sb.add_dropped_srtp_replay(c.droppedSrtpReplay);
  sb.add_dropped_srtp_other(c.droppedSrtpOther);
  sb.add_dropped_malformed_rtp(c.droppedMalformedRtp);
  sb.add_dropped_unknown_ssrc(droppedUnknownSsrc);
  sb.add_send_failures(c.sendFailures + queuedFailures);
  sb.add_rtp_received(c.rtpReceived);
  sb.add_rtcp_received(c.rtcpReceived);
  sb.add_rtp_sent(c.rtpSent);
  sb.add_rtcp_sent(c.rtcpSent);
}

}  // namespace

void Transport::stats(control::ChannelRequest& request) {
  request.accept(fbs::response::Body::Transport_GetStatsResponse,
                 [&](flatbuffers::FlatBufferBuilder& b) {
                   fbs::transport::GetStatsResponseBuilder sb(b);
                   const uint64_t queued = media_->queuedSendFailures();
                   if (plain_ != nullptr) {
                     addCounters(sb, plain_->counters(), droppedUnknownSsrc_, queued);
                   } else {
                     addCounters(sb, webrtc_->counters(), droppedUnknownSsrc_, queued);
                     sb.add_ice_state(toFbs(webrtc_->iceState()));
                     sb.add_dtls_state(toFbs(webrtc_->dtlsState()));
                   }
                   return sb.Finish();
                 });
}

void Transport::connect(control::ChannelRequest& request) {
  if (plain_ != nullptr) return connectPlain(request);
  connectWebRtc(request);
}

void Transport::connectPlain(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::transport::ConnectRequest>();
  if (!body)
    return request.error(ErrorType::TYPE_ERROR, "TRANSPORT_CONNECT needs a ConnectRequest");
  std::optional<transport::SocketAddress> remote;
  if (body->ip() && body->ip()->size() > 0) {
    remote = transport::SocketAddress::fromIp(body->ip()->string_view(), body->port());
    if (!remote) return request.error(ErrorType::TYPE_ERROR, "ip is not an IP address");
  }
  std::optional<transport::SrtpParameters> srtp;
  if (const auto* p = body->srtp_parameters()) {
    srtp = transport::SrtpParameters::fromBase64(fromFbs(p->crypto_suite()),
                                                 p->key_base64()->string_view());
    if (!srtp) {
      return request.error(ErrorType::TYPE_ERROR,
                           "srtp_parameters.key_base64 is not a key of that crypto suite");
    }
  }
  std::string error;
  if (!plain_->connect(remote, body->rtcp_port(), srtp, &error)) {
    return request.error(ErrorType::INVALID_STATE, error);
  }
  request.accept(fbs::response::Body::Transport_ConnectResponse,
                 [&](flatbuffers::FlatBufferBuilder& b) {
                   return fbs::transport::CreateConnectResponse(b, fbs::transport::DtlsRole::AUTO);
                 });
  if (plain_->canSend()) onMediaReady();
}

void Transport::connectWebRtc(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::transport::ConnectRequest>();
  if (!body || !body->dtls_parameters()) {
    return request.error(ErrorType::TYPE_ERROR, "TRANSPORT_CONNECT needs dtls_parameters");
  }
  const auto* dtls = body->dtls_parameters();
  if (dtls->fingerprints()->size() == 0) {
    return request.error(ErrorType::TYPE_ERROR, "dtls_parameters has no fingerprint");
  }
  // The request carries the REMOTE role (as the remote SDP's a=setup says); ours is the other
  // one, and an SFU that may choose is the DTLS server (RFC 5763 section 5: answerer passive).
  auto local = transport::DtlsTransport::Role::kServer;
  fbs::transport::DtlsRole localFbs = fbs::transport::DtlsRole::SERVER;
  if (dtls->role() == fbs::transport::DtlsRole::SERVER) {
    local = transport::DtlsTransport::Role::kClient;
    localFbs = fbs::transport::DtlsRole::CLIENT;
  }
  std::string error;
  const auto* fp = dtls->fingerprints()->Get(0);
  auto remote =
      transport::DtlsFingerprint::parse(fp->algorithm()->str() + " " + fp->value()->str());
  if (!remote) return request.error(ErrorType::TYPE_ERROR, "unusable DTLS fingerprint");
  if (const auto* ufrag = body->remote_ice_username_fragment(); ufrag && ufrag->size() > 0) {
    if (!webrtc_->setRemoteIceUsernameFragment(ufrag->str())) {
      return request.error(ErrorType::TYPE_ERROR, "invalid remote ICE ufrag");
    }
  }
  if (!webrtc_->connect(local, *remote, &error)) {
    return request.error(ErrorType::INVALID_STATE, error);
  }
  request.accept(fbs::response::Body::Transport_ConnectResponse,
                 [&](flatbuffers::FlatBufferBuilder& b) {
                   return fbs::transport::CreateConnectResponse(b, localFbs);
                 });
}

void Transport::restartIce(control::ChannelRequest& request) {
  if (webrtc_ == nullptr) {
    return request.error(ErrorType::TYPE_ERROR, "a plain transport has no ICE to restart");
  }
  std::optional<std::string> remoteUfrag;
  if (const auto* body = request.body<fbs::transport::RestartIceRequest>()) {
    if (const auto* u = body->remote_ice_username_fragment(); u && u->size() > 0) {
      remoteUfrag = u->str();
    }
  }
  webrtc_->restartIce(remoteUfrag);
  request.accept(
      fbs::response::Body::Transport_RestartIceResponse, [&](flatbuffers::FlatBufferBuilder& b) {
        auto ice = fbs::transport::CreateIceParametersDirect(
            b, webrtc_->iceUsernameFragment().c_str(), webrtc_->icePassword().c_str(), true);
        return fbs::transport::CreateRestartIceResponse(b, ice);
      });
}

void Transport::produce(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::transport::ProduceRequest>();
  if (!body)
    return request.error(ErrorType::TYPE_ERROR, "TRANSPORT_PRODUCE needs a ProduceRequest");
  std::string id = body->producer_id()->str();
  if (id.empty() || router_.idInUse(id)) {
    return request.error(ErrorType::INVALID_STATE, "producer id '" + id + "' is empty or in use");
  }
  auto parsed = control::parseRtpParameters(body->rtp_parameters());
  if (parsed.error) return request.error(ErrorType::TYPE_ERROR, *parsed.error);
  auto& params = parsed.parameters;
  if (params.encodings.size() > 1) {
    return request.error(ErrorType::NOT_IMPLEMENTED, "simulcast producers are not implemented yet");
  }
  const bool hasSsrc = !params.encodings.empty() && params.encodings[0].ssrc;
  // Without an SSRC, a WebRTC producer is found by its mid (RFC 8843 section 9.2); a plain
  // one by its payload types, as tools such as ffmpeg pick a random SSRC per run.
  if (!hasSsrc && plain_ == nullptr &&
      (params.mid.empty() || params.extensionId(rtp::extension_uri::kMid) == 0)) {
    return request.error(ErrorType::TYPE_ERROR, "a producer needs an SSRC or a mid extension");
  }
  if (hasSsrc && producersBySsrc_.contains(*params.encodings[0].ssrc)) {
    return request.error(ErrorType::INVALID_STATE, "SSRC already produced on this transport");
  }
  if (auto midId = params.extensionId(rtp::extension_uri::kMid)) midExtensionId_ = midId;
  auto producer =
      std::make_unique<Producer>(id, fromFbs(body->kind()), std::move(params), body->paused());
  Producer& p = *producer;
  if (p.ssrc()) producersBySsrc_[*p.ssrc()] = &p;
  producers_.emplace(id, std::move(producer));
  router_.onProducerAdded(*this, p);
  request.accept(fbs::response::Body::Transport_ProduceResponse,
                 [&](flatbuffers::FlatBufferBuilder& b) {
                   return fbs::transport::CreateProduceResponseDirect(b, "simple");
                 });
}

void Transport::consume(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::transport::ConsumeRequest>();
  if (!body)
    return request.error(ErrorType::TYPE_ERROR, "TRANSPORT_CONSUME needs a ConsumeRequest");
  std::string id = body->consumer_id()->str();
  if (id.empty() || router_.idInUse(id)) {
    return request.error(ErrorType::INVALID_STATE, "consumer id '" + id + "' is empty or in use");
  }
  Producer* producer = router_.findProducer(body->producer_id()->string_view());
  if (producer == nullptr) {
    return request.error(ErrorType::NOT_FOUND,
                         "no producer '" + body->producer_id()->str() + "' in this router");
  }
  auto parsed = control::parseRtpParameters(body->rtp_parameters());
  if (parsed.error) return request.error(ErrorType::TYPE_ERROR, *parsed.error);
  auto& params = parsed.parameters;
  if (params.encodings.empty() || !params.encodings[0].ssrc) {
    return request.error(ErrorType::TYPE_ERROR, "a consumer needs encodings[0].ssrc");
  }
  if (consumersBySsrc_.contains(*params.encodings[0].ssrc)) {
    return request.error(ErrorType::INVALID_STATE, "SSRC already used on this transport");
  }
  auto consumer =
      std::make_unique<Consumer>(id, producer->id(), producer->kind(), std::move(params),
                                 producer->rtpParameters(), body->paused(), randomU32());
  Consumer& c = *consumer;
  c.setProducerPaused(producer->paused());
  consumersBySsrc_[c.ssrc()] = &c;
  consumers_.emplace(id, std::move(consumer));
  router_.onConsumerAdded(*this, c);
  request.accept(fbs::response::Body::Transport_ConsumeResponse,
                 [&](flatbuffers::FlatBufferBuilder& b) {
                   return fbs::transport::CreateConsumeResponse(b, c.paused(), c.producerPaused());
                 });
  // A decoder can only start at a keyframe: ask for one now rather than wait for the next,
  // or, while DTLS is still connecting, once it connects (a keyframe sent before then would be
  // lost, and a second request soon after is ignored by libwebrtc senders for 300 ms).
  if (c.active() && c.kind() == MediaKind::kVideo && media_->canSend()) {
    router_.onKeyFrameNeeded(c);
  }
}

void Transport::closeProducer(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::transport::CloseChildRequest>();
  if (!body) return request.error(ErrorType::TYPE_ERROR, "needs a CloseChildRequest");
  if (!producers_.contains(body->id()->string_view())) {
    return request.error(ErrorType::NOT_FOUND, "no producer '" + body->id()->str() + "'");
  }
  removeProducer(body->id()->str());
  request.accept();
}

void Transport::closeConsumer(control::ChannelRequest& request) {
  const auto* body = request.body<fbs::transport::CloseChildRequest>();
  if (!body) return request.error(ErrorType::TYPE_ERROR, "needs a CloseChildRequest");
  if (!consumers_.contains(body->id()->string_view())) {
    return request.error(ErrorType::NOT_FOUND, "no consumer '" + body->id()->str() + "'");
  }
  removeConsumer(body->id()->str());
  request.accept();
}

void Transport::removeProducer(const std::string& producerId) {
  auto it = producers_.find(producerId);
  if (it == producers_.end()) return;
  std::unique_ptr<Producer> producer = std::move(it->second);
  producers_.erase(it);
  if (producer->ssrc()) producersBySsrc_.erase(*producer->ssrc());
  router_.onProducerRemoved(*producer);
}

void Transport::removeConsumer(const std::string& consumerId) {
  auto it = consumers_.find(consumerId);
  if (it == consumers_.end()) return;
  std::unique_ptr<Consumer> consumer = std::move(it->second);
  consumers_.erase(it);
  consumersBySsrc_.erase(consumer->ssrc());
  router_.onConsumerRemoved(*consumer);
}

void Transport::closeConsumerOfClosedProducer(const std::string& consumerId) {
  if (!consumers_.contains(consumerId)) return;
  auto& sink = *context_.channel;
  auto& b = sink.builder();
  control::finishNotification(b, consumerId, fbs::notification::Event::CONSUMER_PRODUCER_CLOSE,
                              fbs::notification::Body::NONE, 0);
  sink.send(b);
  removeConsumer(consumerId);
}

void Transport::setConsumersProducerPaused(const std::string& producerId, bool paused) {
  for (auto& [id, c] : consumers_) {
    if (c->producerId() != producerId) continue;
    const bool needsKeyFrame = c->setProducerPaused(paused);
    auto& sink = *context_.channel;
    auto& b = sink.builder();
    control::finishNotification(b, id,
                                paused ? fbs::notification::Event::CONSUMER_PRODUCER_PAUSE
                                       : fbs::notification::Event::CONSUMER_PRODUCER_RESUME,
                                fbs::notification::Body::NONE, 0);
    sink.send(b);
    if (needsKeyFrame) router_.onKeyFrameNeeded(*c);
  }
}

void Transport::handleProducerRequest(Producer& producer, control::ChannelRequest& request) {
  switch (request.method()) {
    case Method::PRODUCER_DUMP:
      return request.accept(
          fbs::response::Body::Producer_DumpResponse, [&](flatbuffers::FlatBufferBuilder& b) {
            auto params = control::buildRtpParameters(b, producer.rtpParameters());
            return fbs::producer::CreateDumpResponseDirect(b, producer.id().c_str(),
                                                           toFbs(producer.kind()), "simple", params,
                                                           producer.paused());
          });
    case Method::PRODUCER_GET_STATS:
      return request.accept(
          fbs::response::Body::Producer_GetStatsResponse, [&](flatbuffers::FlatBufferBuilder& b) {
            std::vector<flatbuffers::Offset<fbs::producer::RtpStreamStats>> streams;
            const auto& c = producer.counters();
            const auto* s = producer.statistics();
            const auto* codec = producer.rtpParameters().firstMediaCodec();
            streams.push_back(fbs::producer::CreateRtpStreamStatsDirect(
                b, producer.ssrc().value_or(0), "", codec->mimeType.c_str(), c.packetsReceived,
                c.bytesReceived, s ? static_cast<int32_t>(s->cumulativeLost()) : 0, 0,
                s ? s->jitter() : 0, 0, static_cast<uint32_t>(c.pliSent),
                static_cast<uint32_t>(c.firSent)));
            return fbs::producer::CreateGetStatsResponseDirect(b, &streams);
          });
    case Method::PRODUCER_PAUSE:
    case Method::PRODUCER_RESUME: {
      const bool pause = request.method() == Method::PRODUCER_PAUSE;
      if (producer.paused() != pause) {
        producer.setPaused(pause);
        router_.onProducerPaused(producer, pause);
      }
      return request.accept();
    }
    default:
      return request.error(ErrorType::TYPE_ERROR,
                           std::string(request.methodName()) + " is not a producer method");
  }
}

void Transport::handleConsumerRequest(Consumer& consumer, control::ChannelRequest& request) {
  switch (request.method()) {
    case Method::CONSUMER_DUMP:
      return request.accept(
          fbs::response::Body::Consumer_DumpResponse, [&](flatbuffers::FlatBufferBuilder& b) {
            auto params = control::buildRtpParameters(b, consumer.rtpParameters());
            return fbs::consumer::CreateDumpResponseDirect(
                b, consumer.id().c_str(), consumer.producerId().c_str(), toFbs(consumer.kind()),
                params, consumer.paused(), consumer.producerPaused());
          });
    case Method::CONSUMER_GET_STATS:
      return request.accept(
          fbs::response::Body::Consumer_GetStatsResponse, [&](flatbuffers::FlatBufferBuilder& b) {
            const auto& c = consumer.counters();
            const auto* codec = consumer.rtpParameters().firstMediaCodec();
            std::vector<flatbuffers::Offset<fbs::producer::RtpStreamStats>> streams{
                fbs::producer::CreateRtpStreamStatsDirect(
                    b, consumer.ssrc(), "", codec->mimeType.c_str(), c.packetsSent, c.bytesSent, 0,
                    0, 0, static_cast<uint32_t>(c.nackReceived),
                    static_cast<uint32_t>(c.pliReceived), static_cast<uint32_t>(c.firReceived))};
            return fbs::consumer::CreateGetStatsResponseDirect(b, &streams);
          });
    case Method::CONSUMER_PAUSE:
    case Method::CONSUMER_RESUME: {
      const bool needsKeyFrame = consumer.setPaused(request.method() == Method::CONSUMER_PAUSE);
      request.accept();
      if (needsKeyFrame) router_.onKeyFrameNeeded(consumer);
      return;
    }
    case Method::CONSUMER_REQUEST_KEY_FRAME:
      request.accept();
      return router_.onKeyFrameNeeded(consumer);
    case Method::CONSUMER_SET_PREFERRED_LAYERS:
    case Method::CONSUMER_SET_PRIORITY:
      return request.error(ErrorType::NOT_IMPLEMENTED,
                           std::string(request.methodName()) + " is not implemented yet");
    default:
      return request.error(ErrorType::TYPE_ERROR,
                           std::string(request.methodName()) + " is not a consumer method");
  }
}

// ---- media ----

void Transport::onIceStateChange(transport::IceState state) {
  auto& sink = *context_.channel;
  auto& b = sink.builder();
  auto body = fbs::transport::CreateIceStateChangeNotification(b, toFbs(state));
  control::finishNotification(b, id_, fbs::notification::Event::TRANSPORT_ICE_STATE_CHANGE,
                              fbs::notification::Body::Transport_IceStateChangeNotification,
                              body.Union());
  sink.send(b);
}

void Transport::onIceSelectedTupleChange(const transport::SocketAddress& tuple) {
  auto& sink = *context_.channel;
  auto& b = sink.builder();
  auto t = fbs::common::CreateTransportTupleDirect(b, "", 0, tuple.ip().c_str(), tuple.port());
  auto body = fbs::transport::CreateIceSelectedTupleChangeNotification(b, t);
  control::finishNotification(b, id_, fbs::notification::Event::TRANSPORT_ICE_SELECTED_TUPLE_CHANGE,
                              fbs::notification::Body::Transport_IceSelectedTupleChangeNotification,
                              body.Union());
  sink.send(b);
}

void Transport::onDtlsStateChange(transport::DtlsTransport::State state, std::string_view detail) {
  if (state == transport::DtlsTransport::State::kConnected) onMediaReady();
  auto& sink = *context_.channel;
  auto& b = sink.builder();
  auto text = b.CreateString(detail.data(), detail.size());
  auto body = fbs::transport::CreateDtlsStateChangeNotification(b, toFbs(state), 0, text);
  control::finishNotification(b, id_, fbs::notification::Event::TRANSPORT_DTLS_STATE_CHANGE,
                              fbs::notification::Body::Transport_DtlsStateChangeNotification,
                              body.Union());
  sink.send(b);
}

void Transport::onMediaReady() {
  // Keyframes that came while the transport could not send yet (DTLS connecting, the peer's
  // address unknown) were lost: ask again now that the viewer can receive one.
  for (auto& [id, c] : consumers_) {
    if (c->active() && c->waitingForKeyFrame()) router_.onKeyFrameNeeded(*c);
  }
}

void Transport::onTupleLearned(const transport::SocketAddress& remote, bool rtcp) {
  auto& sink = *context_.channel;
  auto& b = sink.builder();
  auto t = fbs::common::CreateTransportTupleDirect(
      b, plain_->announcedAddress().c_str(),
      rtcp ? plain_->localRtcpAddress().port() : plain_->localAddress().port(), remote.ip().c_str(),
      remote.port());
  auto body = fbs::transport::CreateTupleNotification(b, t);
  control::finishNotification(b, id_,
                              rtcp ? fbs::notification::Event::TRANSPORT_RTCP_TUPLE
                                   : fbs::notification::Event::TRANSPORT_TUPLE,
                              fbs::notification::Body::Transport_TupleNotification, body.Union());
  sink.send(b);
  if (!rtcp && plain_->canSend()) onMediaReady();
}

void Transport::onRtp(rtp::RtpPacket& packet) {
  Producer* producer = nullptr;
  if (auto it = producersBySsrc_.find(packet.ssrc()); it != producersBySsrc_.end()) {
    producer = it->second;
  } else if (midExtensionId_ != 0) {
    // RFC 8843 section 9.2: an unsignaled SSRC is bound to the m-section its mid names.
    if (auto value = packet.extension(midExtensionId_)) {
      std::string_view mid(reinterpret_cast<const char*>(value->data()), value->size());
      for (auto& [id, p] : producers_) {
        if (!p->ssrc() && p->rtpParameters().mid == mid) {
          p->learnSsrc(packet.ssrc());
          producersBySsrc_[packet.ssrc()] = p.get();
          producer = p.get();
          break;
        }
      }
    }
  }
  if (producer == nullptr && plain_ != nullptr) {
    // Plain RTP: the first stream with one of a producer's payload types is that producer's.
    for (auto& [id, p] : producers_) {
      if (!p->ssrc() && p->hasMediaPayloadType(packet.payloadType())) {
        p->learnSsrc(packet.ssrc());
        producersBySsrc_[packet.ssrc()] = p.get();
        producer = p.get();
        break;
      }
    }
  }
  if (producer == nullptr) {
    ++droppedUnknownSsrc_;  // RTX and unannounced streams land here too for now
    return;
  }
  const auto received = producer->onRtp(packet, nowUs());
  if (received.forward) router_.onProducerRtp(*producer, packet, received.keyframe);
}

void Transport::sendConsumerRtp(Consumer& consumer, const rtp::RtpPacket& packet, bool keyframe) {
  if (!media_->canSend()) return;
  // Written straight into the batcher's next slot when there is one: sent without a copy.
  const std::span<uint8_t> room =
      context_.sendBatcher ? context_.sendBatcher->buffer() : std::span<uint8_t>(sendBuffer_);
  auto out = consumer.rewrite(packet, keyframe, room, nowUs());
  if (out) media_->sendRtp(*out);
}

void Transport::onRtcp(std::span<const uint8_t> compound) {
  auto parsed = rtp::RtcpCompound::parse(compound);
  if (!parsed) return;
  const int64_t now = nowUs();
  for (const auto& packet : *parsed) {
    const uint8_t type = packet.header.packetType();
    if (type == rtp::kRtcpTypeSr) {
      auto sr = rtp::RtcpSenderReport::parse(packet.bytes);
      if (!sr) continue;
      if (auto it = producersBySsrc_.find(sr->ssrc()); it != producersBySsrc_.end()) {
        const uint64_t ntp = sr->senderInfo().ntpTimestamp;
        it->second->onSenderReport(static_cast<uint32_t>(ntp >> 16), now);
      }
    } else if (type == rtp::kRtcpTypePsfb && packet.header.fmt() == kPsfbPli) {
      auto pli = rtp::RtcpPli::parse(packet.bytes);
      if (!pli) continue;
      if (auto it = consumersBySsrc_.find(pli->mediaSsrc()); it != consumersBySsrc_.end()) {
        it->second->onPli();
        router_.onKeyFrameNeeded(*it->second);
      }
    } else if (type == rtp::kRtcpTypePsfb && packet.header.fmt() == kPsfbFir) {
      auto fir = rtp::RtcpFir::parse(packet.bytes);
      if (!fir) continue;
      for (size_t i = 0; i < fir->entryCount(); ++i) {
        if (auto it = consumersBySsrc_.find(fir->entry(i).ssrc); it != consumersBySsrc_.end()) {
          it->second->onFir();
          router_.onKeyFrameNeeded(*it->second);
        }
      }
    } else if (type == rtp::kRtcpTypeRtpfb && packet.header.fmt() == kRtpfbNack) {
      // Retransmission for consumers comes with the RTX work; count what viewers ask for.
      if (packet.bytes.size() >= rtp::kRtcpFeedbackHeaderSize) {
        const uint32_t media = rtp::readU32(packet.bytes.data() + 8);
        if (auto it = consumersBySsrc_.find(media); it != consumersBySsrc_.end()) {
          it->second->onNack();
        }
      }
    }
  }
}

void Transport::requestKeyFrame(Producer& producer) {
  const int64_t nowMs = nowUs() / 1000;
  producer.requestKeyFrame(nowMs);
  sendKeyFrameRequests(producer, nowMs);
}

void Transport::sendKeyFrameRequests(Producer& producer, int64_t nowMs) {
  if (!media_->canSend()) return;
  auto request = producer.pollKeyFrameRequest(nowMs);
  if (!request) return;
  const uint32_t media = *producer.ssrc();
  std::span<uint8_t> room(rtcpBuffer_.data(), kRtcpMtu);
  size_t n = 0;
  if (request->kind == rtp::KeyframeRequestKind::kFir) {
    const rtp::RtcpFirEntry entry{media, request->firSeq};
    n = rtp::RtcpFir::build(rtcpSsrc_, std::span(&entry, 1), room);
  } else {
    n = rtp::RtcpPli::build(rtcpSsrc_, media, room);
  }
  if (n > 0) media_->sendRtcp(std::span(rtcpBuffer_), n);
}

void Transport::sendRtcpReports() {
  if (!media_->canSend()) return;
  const int64_t now = nowUs();
  const uint64_t ntp = ntpNow();
  for (auto& [id, p] : producers_)
    sendKeyFrameRequests(*p, now / 1000);

  // Reports go out in compounds of whole SR/RR packets up to the MTU: each compound starts
  // with a report, as RFC 3550 section 6.1 asks (the SDES CNAME it also asks for is left out, as
  // reduced-size RTCP, RFC 5506, lets WebRTC peers do).
  const size_t room = kRtcpMtu - transport::MediaTransport::kMaxTrailer;
  size_t used = 0;
  auto flush = [&] {
    if (used > 0) media_->sendRtcp(std::span(rtcpBuffer_), used);
    used = 0;
  };
  auto append = [&](auto&& build) {
    size_t n = build(std::span(rtcpBuffer_).subspan(used, room - used));
    if (n == 0 && used > 0) {
      flush();
      n = build(std::span(rtcpBuffer_).first(room));
    }
    used += n;
  };
  // SR per sending consumer (RFC 3550 section 6.4.1).
  for (auto& entry : consumers_) {
    const Consumer& consumer =
        *entry.second;  // a plain reference: clang 14 cannot capture a binding
    auto info = consumer.makeSenderInfo(now, ntp);
    if (!info) continue;
    append([&](std::span<uint8_t> out) {
      return rtp::RtcpSenderReport::build(consumer.ssrc(), *info, {}, out);
    });
  }
  // RR blocks for every producer stream, up to 31 per packet (RFC 3550 section 6.4.2).
  std::array<rtp::RtcpReportBlock, rtp::kRtcpMaxCount> blocks;
  size_t count = 0;
  auto appendReceiverReport = [&] {
    if (count == 0) return;
    append([&](std::span<uint8_t> out) {
      return rtp::RtcpReceiverReport::build(rtcpSsrc_, std::span(blocks).first(count), out);
    });
    count = 0;
  };
  for (auto& [id, p] : producers_) {
    auto fields = p->makeReportBlock(now);
    if (!fields) continue;
    rtp::RtcpReportBlock& block = blocks[count++];
    block.ssrc = fields->ssrc;
    block.fractionLost = fields->fractionLost;
    block.cumulativeLost = fields->cumulativeLost;
    block.extendedHighestSequence = fields->extendedHighestSeq;
    block.jitter = fields->jitter;
    block.lastSenderReport = fields->lastSr;
    block.delaySinceLastSenderReport = fields->delaySinceLastSr;
    if (count == blocks.size()) appendReceiverReport();
  }
  appendReceiverReport();
  flush();
}

}  // namespace switchyard::router
