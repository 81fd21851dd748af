#pragma once
// The worker's end of the control channel: reads frames, verifies them, hands requests to the
// dispatcher, and sends responses, notifications and log lines back.

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/channel/ChannelRequest.hpp"
#include "control/channel/FrameDecoder.hpp"
#include "control/channel/FrameWriter.hpp"

namespace switchyard::worker {

namespace fbs = switchyard::fbs;

struct ChannelCounters {
  uint64_t messagesIn = 0;
  uint64_t bytesIn = 0;
  uint64_t droppedInvalid = 0;
  uint64_t droppedOversize = 0;
  uint64_t errorResponses = 0;
  uint64_t logsDropped = 0;
  uint64_t messagesDropped = 0;  // responses or notifications the channel could not take
};

class ChannelEndpoint final : public control::MessageSink {
 public:
  using RequestHandler = std::function<void(control::ChannelRequest&)>;
  // Called once when the peer closes the channel or it fails; the worker then shuts down.
  using ClosedHandler = std::function<void(std::string_view reason)>;

  ChannelEndpoint(uv_loop_t* loop, int readFd, int writeFd, uint32_t workerId);
  ~ChannelEndpoint() override;

  // Returns an error text if the descriptors cannot be opened.
  std::optional<std::string> open(RequestHandler onRequest, ClosedHandler onClosed);
  // Flushes what is queued, then closes; `done` runs when the handles are closed.
  void close(std::function<void()> done);
  // Closes at once, dropping what is still queued (a peer that stopped reading).
  void forceClose();

  void notify(std::string_view handlerId, fbs::notification::Event event,
              fbs::notification::Body bodyType = fbs::notification::Body::NONE,
              flatbuffers::Offset<void> body = 0);
  template <typename Build>
  void notify(std::string_view handlerId, fbs::notification::Event event,
              fbs::notification::Body bodyType, Build&& build) {
    auto& b = builder();
    auto body = build(b);
    control::finishNotification(b, handlerId, event, bodyType, body.Union());
    send(b);
  }
  // Log lines are dropped (and counted) when the channel is backed up: logging must never
  // make the worker buffer without bound.
  void sendLog(fbs::log::LogLevel level, std::string_view tag, std::string_view text,
               uint64_t timestampUs);

  flatbuffers::FlatBufferBuilder& builder() override;
  void send(flatbuffers::FlatBufferBuilder& finished) override;

  const ChannelCounters& counters() const { return counters_; }
  uint64_t messagesOut() const;
  uint64_t bytesOut() const;
  size_t writeQueueBytes() const;
  bool isOpen() const { return open_; }

 private:
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  void handleFrame(std::span<const uint8_t> frame);
  // Appends to the batch while a read is being handled, else writes at once.
  bool writeFrame(std::span<const uint8_t> frame, bool isLog);
  void flushBatch();
  void fail(std::string_view reason);
  void closeHandles();

  uv_loop_t* loop_;
  int readFd_;
  int writeFd_;
  uint32_t workerId_;
  uv_pipe_t* readPipe_ = nullptr;
  uv_pipe_t* writePipe_ = nullptr;  // == readPipe_ on a socketpair
  std::unique_ptr<control::FrameWriter> writer_;
  control::FrameDecoder decoder_;
  flatbuffers::FlatBufferBuilder builder_;
  flatbuffers::FlatBufferBuilder logBuilder_;  // separate: a handler may log mid-response
  RequestHandler onRequest_;
  ClosedHandler onClosed_;
  std::function<void()> onCloseDone_;
  ChannelCounters counters_;
  bool open_ = false;
  bool closing_ = false;
  bool inLogSend_ = false;
  // Responses to the requests of one read go out in one write.
  std::vector<uint8_t> batch_;
  bool batching_ = false;
  bool closingDone_ = false;
  int handlesOpen_ = 0;
};

}  // namespace switchyard::worker
