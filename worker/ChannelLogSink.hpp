#pragma once
// An spdlog sink that sends each log line to the orchestrator over the control channel.

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <chrono>

#include "worker/ChannelEndpoint.hpp"

namespace switchyard::worker {

class ChannelLogSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit ChannelLogSink(ChannelEndpoint& channel) : channel_(channel) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch());
    channel_.sendLog(toFbs(msg.level), {msg.logger_name.data(), msg.logger_name.size()},
                     {msg.payload.data(), msg.payload.size()}, static_cast<uint64_t>(us.count()));
  }
  void flush_() override {}

 private:
  static fbs::log::LogLevel toFbs(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::trace:
        return fbs::log::LogLevel::TRACE;
      case spdlog::level::debug:
        return fbs::log::LogLevel::DEBUG;
      case spdlog::level::info:
        return fbs::log::LogLevel::INFO;
      case spdlog::level::warn:
        return fbs::log::LogLevel::WARN;
      case spdlog::level::err:
        return fbs::log::LogLevel::ERROR;
      default:
        return fbs::log::LogLevel::CRITICAL;
    }
  }

  ChannelEndpoint& channel_;
};

}  // namespace switchyard::worker
