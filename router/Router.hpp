#pragma once
// A router: one room or stream. It owns transports, producers and consumers (later issues)
// and answers the router methods of the control channel.

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <vector>

#include "control/channel/ChannelRequest.hpp"
#include "router/MediaCodec.hpp"

namespace switchyard::router {

class Router {
 public:
  Router(std::string id, std::vector<MediaCodec> mediaCodecs);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  const std::string& id() const { return id_; }
  const std::vector<MediaCodec>& mediaCodecs() const { return mediaCodecs_; }

  void handleRequest(control::ChannelRequest& request);

 private:
  void dump(control::ChannelRequest& request);

  std::string id_;
  std::vector<MediaCodec> mediaCodecs_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace switchyard::router
