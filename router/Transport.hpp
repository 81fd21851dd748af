#pragma once
// The control-channel face of one transport in a router, WebRTC or plain RTP: it answers the
// TRANSPORT_* methods, owns the producers and consumers created on it, routes what the media
// transport receives (RTP to producers, RTCP feedback to consumers and producers), and sends the
// periodic RTCP reports (SR for consumers, RR for producers; RFC 3550 section 6).

#include <uv.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "control/channel/ChannelRequest.hpp"
#include "router/Consumer.hpp"
#include "router/Producer.hpp"
#include "transport/PlainTransport.hpp"
#include "transport/UdpMuxSet.hpp"
#include "transport/WebRtcTransport.hpp"

namespace switchyard::router {

class Transport;

// What a transport needs from its router: the routing between transports.
class RouterLink {
 public:
  virtual ~RouterLink() = default;
  virtual void onProducerAdded(Transport& transport, Producer& producer) = 0;
  virtual void onProducerRemoved(Producer& producer) = 0;
  virtual void onConsumerAdded(Transport& transport, Consumer& consumer) = 0;
  virtual void onConsumerRemoved(Consumer& consumer) = 0;
  virtual void onProducerRtp(Producer& producer, const rtp::RtpPacket& packet, bool keyframe) = 0;
  virtual void onProducerPaused(Producer& producer, bool paused) = 0;
  // A consumer (or its viewer) needs a keyframe from its producer.
  virtual void onKeyFrameNeeded(Consumer& consumer) = 0;
  virtual Producer* findProducer(std::string_view producerId) = 0;
  virtual bool idInUse(std::string_view id) const = 0;
};

// Process-wide worker state a transport uses; owned by the worker.
struct TransportContext {
  uv_loop_t* loop = nullptr;
  control::MessageSink* channel = nullptr;
  std::shared_ptr<const transport::DtlsCertificate> certificate;
  uint16_t minPort = 10000;
  uint16_t maxPort = 59999;
  // The loop's UDP send batcher, owned by the worker (null: unbatched sends).
  transport::UdpSendBatcher* sendBatcher = nullptr;
  // The loop's shared UDP receive arena, owned by the worker (null: per-socket buffers).
  transport::UdpReceiveArena* receiveArena = nullptr;
  // The worker's shared UDP sockets, for listen infos that ask to share (null: none allowed).
  transport::UdpMuxSet* udpMuxes = nullptr;
};

class Transport final : private transport::WebRtcTransport::Listener,
                        private transport::PlainTransport::Listener {
 public:
  // Create the media transport; nullptr with a reason when no socket could be bound.
  static std::unique_ptr<Transport> createWebRtc(const TransportContext& context,
                                                 RouterLink& router, std::string id,
                                                 const transport::WebRtcTransport::Options& options,
                                                 std::string* error);
  static std::unique_ptr<Transport> createPlain(const TransportContext& context, RouterLink& router,
                                                std::string id,
                                                const transport::PlainTransport::Options& options,
                                                std::string* error);
  ~Transport() override;

  const std::string& id() const { return id_; }
  bool ownsHandler(std::string_view id) const;
  void handleRequest(control::ChannelRequest& request);
  // Writes the dump (WebRTC: ICE and DTLS parameters; plain: tuples and SRTP key) as the
  // create response.
  void acceptWithDump(control::ChannelRequest& request);

  // Called by the router for every consumer on this transport.
  void sendConsumerRtp(Consumer& consumer, const rtp::RtpPacket& packet, bool keyframe);
  // The producer on this transport should ask its sender for a keyframe.
  void requestKeyFrame(Producer& producer);
  // The producer of consumer is gone: tell the orchestrator and drop the consumer.
  void closeConsumerOfClosedProducer(const std::string& consumerId);
  void setConsumersProducerPaused(const std::string& producerId, bool paused);

  void collectIds(std::vector<std::string>& producers, std::vector<std::string>& consumers) const;

 private:
  Transport(const TransportContext& context, RouterLink& router, std::string id);

  // transport::MediaTransport::Listener, for both kinds
  void onRtp(rtp::RtpPacket& packet) override;
  void onRtcp(std::span<const uint8_t> compound) override;
  // transport::WebRtcTransport::Listener
  void onIceStateChange(transport::IceState state) override;
  void onIceSelectedTupleChange(const transport::SocketAddress& tuple) override;
  void onDtlsStateChange(transport::DtlsTransport::State state, std::string_view detail) override;
  // transport::PlainTransport::Listener
  void onTupleLearned(const transport::SocketAddress& remote, bool rtcp) override;

  // The media transport became able to send: keyframes consumers waited for can be asked for.
  void onMediaReady();
  void startRtcpTimer();
  void connectWebRtc(control::ChannelRequest& request);
  void connectPlain(control::ChannelRequest& request);
  void dumpWebRtc(control::ChannelRequest& request);
  void dumpPlain(control::ChannelRequest& request);

  void connect(control::ChannelRequest& request);
  void restartIce(control::ChannelRequest& request);
  void produce(control::ChannelRequest& request);
  void consume(control::ChannelRequest& request);
  void closeProducer(control::ChannelRequest& request);
  void closeConsumer(control::ChannelRequest& request);
  void dump(control::ChannelRequest& request);
  void stats(control::ChannelRequest& request);
  void handleProducerRequest(Producer& producer, control::ChannelRequest& request);
  void handleConsumerRequest(Consumer& consumer, control::ChannelRequest& request);

  void removeProducer(const std::string& producerId);
  void removeConsumer(const std::string& consumerId);
  void sendKeyFrameRequests(Producer& producer, int64_t nowMs);
  void sendRtcpReports();
  int64_t nowUs() const;

  TransportContext context_;
  RouterLink& router_;
  std::string id_;
  std::unique_ptr<transport::MediaTransport> media_;
  transport::WebRtcTransport* webrtc_ = nullptr;  // media_, when it is of that kind
  transport::PlainTransport* plain_ = nullptr;    // media_, when it is of that kind
  std::unique_ptr<transport::UvTimer> rtcpTimer_;
  uint32_t rtcpSsrc_;  // the sender SSRC of our RR and feedback packets
  std::map<std::string, std::unique_ptr<Producer>, std::less<>> producers_;
  std::map<std::string, std::unique_ptr<Consumer>, std::less<>> consumers_;
  std::unordered_map<uint32_t, Producer*> producersBySsrc_;
  std::unordered_map<uint32_t, Consumer*> consumersBySsrc_;
  uint8_t midExtensionId_ = 0;  // the publisher's mid id, to bind unsignaled SSRCs
  std::array<uint8_t, 2048> sendBuffer_{};
  std::array<uint8_t, 1500> rtcpBuffer_{};
  uint64_t droppedUnknownSsrc_ = 0;
};

}  // namespace switchyard::router
