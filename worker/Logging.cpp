#include "worker/Logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>

#include "worker/ChannelLogSink.hpp"
#include "worker/Settings.hpp"

namespace switchyard::worker {

namespace {

// Loggers that always log at the configured level; the tagged ones are debug areas.
const std::vector<std::string> kCoreLoggers = {"worker", "channel", "router", "transport"};

}  // namespace

Logging::Logging(uint32_t workerId, bool toStderr) {
  if (toStderr) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e [worker " + std::to_string(workerId) + "] [%n] %l: %v");
    sinks_.push_back(sink);
  }
  std::vector<std::string> names = kCoreLoggers;
  names.insert(names.end(), knownLogTags().begin(), knownLogTags().end());
  for (const auto& name : names) {
    spdlog::drop(name);
    auto logger = std::make_shared<spdlog::logger>(name, sinks_.begin(), sinks_.end());
    spdlog::register_logger(logger);
    loggers_.push_back(logger);
  }
  spdlog::set_default_logger(spdlog::get("worker"));
}

Logging::~Logging() {
  detachChannel();
  spdlog::drop_all();
}

void Logging::attachChannel(ChannelEndpoint& channel) {
  channelSink_ = std::make_shared<ChannelLogSink>(channel);
  for (auto& l : loggers_)
    l->sinks().push_back(channelSink_);
}

void Logging::detachChannel() {
  if (!channelSink_) return;
  for (auto& l : loggers_) {
    auto& s = l->sinks();
    s.erase(std::remove(s.begin(), s.end(), channelSink_), s.end());
  }
  channelSink_.reset();
}

void Logging::apply(const std::string& level, const std::vector<std::string>& tags) {
  level_ = level;
  tags_ = tags;
  auto lvl = spdlog::level::from_str(level);
  for (auto& l : loggers_) {
    bool core =
        std::find(kCoreLoggers.begin(), kCoreLoggers.end(), l->name()) != kCoreLoggers.end();
    bool tagged = std::find(tags.begin(), tags.end(), l->name()) != tags.end();
    l->set_level(core || tagged ? lvl : std::max(lvl, spdlog::level::warn));
  }
}

}  // namespace switchyard::worker
