#pragma once
// A router: one room or stream. It owns WebRTC transports (each with its producers and
// consumers), answers the router methods of the control channel, and routes media: every RTP
// packet a producer receives goes to each of its consumers' transports, and keyframe needs go
// back from consumers to the producer.

#include <spdlog/logger.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/channel/ChannelRequest.hpp"
#include "router/MediaCodec.hpp"
#include "router/Transport.hpp"

namespace switchyard::router {

class Router final : private RouterLink {
 public:
  Router(std::string id, std::vector<MediaCodec> mediaCodecs, TransportContext context);
  ~Router() override;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  const std::string& id() const { return id_; }
  const std::vector<MediaCodec>& mediaCodecs() const { return mediaCodecs_; }

  // Whether a request with this handler id belongs to this router (itself, a transport, a
  // producer or a consumer of it).
  bool ownsHandler(std::string_view id) const;
  void handleRequest(control::ChannelRequest& request);

  size_t transportCount() const { return transports_.size(); }

 private:
  struct ProducerEntry {
    Producer* producer;
    Transport* transport;
    std::vector<std::pair<Consumer*, Transport*>> consumers;
  };

  void dump(control::ChannelRequest& request);
  void createWebRtcTransport(control::ChannelRequest& request);
  void createPlainTransport(control::ChannelRequest& request);
  // The worker's shared socket for a listen info that asks to share one (null with a reason).
  transport::UdpMux* sharedSocket(const std::string& ip, uint16_t port, std::string* error);
  void closeTransport(control::ChannelRequest& request);

  // RouterLink
  void onProducerAdded(Transport& transport, Producer& producer) override;
  void onProducerRemoved(Producer& producer) override;
  void onConsumerAdded(Transport& transport, Consumer& consumer) override;
  void onConsumerRemoved(Consumer& consumer) override;
  void onProducerRtp(Producer& producer, const rtp::RtpPacket& packet, bool keyframe) override;
  void onProducerPaused(Producer& producer, bool paused) override;
  void onKeyFrameNeeded(Consumer& consumer) override;
  Producer* findProducer(std::string_view producerId) override;
  bool idInUse(std::string_view id) const override;

  std::string id_;
  std::vector<MediaCodec> mediaCodecs_;
  TransportContext context_;
  std::map<std::string, std::unique_ptr<Transport>, std::less<>> transports_;
  // Keyed by the producer itself: the per-packet lookup hashes a pointer, not an id string.
  std::unordered_map<const Producer*, ProducerEntry> routes_;
  std::unordered_map<std::string, Producer*> producersById_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace switchyard::router
