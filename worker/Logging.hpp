#pragma once
// The worker's loggers: one per tag, all writing to stderr and to the control channel.

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

namespace switchyard::worker {

class ChannelEndpoint;

class Logging {
 public:
  // Registers the loggers; the channel sink is added once the channel is open.
  Logging(uint32_t workerId, bool toStderr);
  ~Logging();
  Logging(const Logging&) = delete;
  Logging& operator=(const Logging&) = delete;

  void attachChannel(ChannelEndpoint& channel);
  void detachChannel();
  // Level applies to every logger; debug areas (tags) not listed log warnings and above only.
  void apply(const std::string& level, const std::vector<std::string>& tags);

  const std::string& level() const { return level_; }
  const std::vector<std::string>& tags() const { return tags_; }

 private:
  std::vector<std::shared_ptr<spdlog::logger>> loggers_;
  std::vector<spdlog::sink_ptr> sinks_;
  spdlog::sink_ptr channelSink_;
  std::string level_;
  std::vector<std::string> tags_;
};

}  // namespace switchyard::worker
