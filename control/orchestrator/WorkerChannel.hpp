#pragma once
// The orchestrator's end of one worker's control channel: requests with ids and timeouts,
// responses matched back to their callers, notifications to subscribers, log lines.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/channel/FrameDecoder.hpp"
#include "control/channel/FrameWriter.hpp"
#include "control/channel/MessageBuilder.hpp"
#include "control/orchestrator/Result.hpp"

namespace switchyard::control {

struct WorkerChannelOptions {
  // Bytes queued towards a worker that is not reading; past this, requests fail with kQueueFull.
  size_t maxQueuedBytes = 8 * 1024 * 1024;
  // Requests awaiting a response; past this, requests fail with kQueueFull.
  size_t maxPendingRequests = 65536;
  uint32_t defaultTimeoutMs = 5000;
};

struct WorkerChannelCounters {
  uint64_t requestsSent = 0;
  uint64_t responsesReceived = 0;
  uint64_t errorResponses = 0;
  uint64_t timeouts = 0;
  uint64_t rejected = 0;       // failed before sending: queue full, too large, closed
  uint64_t lateResponses = 0;  // answers to requests already timed out
  uint64_t notifications = 0;
  uint64_t logs = 0;
  uint64_t droppedInvalid = 0;  // frames from the worker that failed verification
  uint64_t droppedOversize = 0;
  uint64_t failedOnClose = 0;  // pending when the channel closed or the worker died
};

class WorkerChannel {
 public:
  // On success `response` is set (its body may be NONE); valid only during the call.
  using ResponseHandler =
      std::function<void(const Error* error, const fbs::response::Response* response)>;
  using BodyBuilder = std::function<std::pair<fbs::request::Body, flatbuffers::Offset<void>>(
      flatbuffers::FlatBufferBuilder&)>;
  using NotificationHandler = std::function<void(const fbs::notification::Notification&)>;
  using LogHandler = std::function<void(const fbs::log::Log&)>;
  using ClosedHandler = std::function<void(const Error&)>;

  // Unsubscribes when destroyed.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&&) noexcept;
    Subscription& operator=(Subscription&&) noexcept;
    ~Subscription();
    void reset();

   private:
    friend class WorkerChannel;
    Subscription(std::weak_ptr<WorkerChannel*> channel, std::string handlerId, uint64_t token)
        : channel_(std::move(channel)), handlerId_(std::move(handlerId)), token_(token) {}
    std::weak_ptr<WorkerChannel*> channel_;
    std::string handlerId_;
    uint64_t token_ = 0;
  };

  WorkerChannel(uv_loop_t* loop, WorkerChannelOptions options);
  ~WorkerChannel();
  WorkerChannel(const WorkerChannel&) = delete;
  WorkerChannel& operator=(const WorkerChannel&) = delete;

  // Takes ownership of one end of a socketpair.
  std::optional<Error> open(int fd);
  // Fails every pending request with `reason` and closes the socket. Idempotent.
  void close(const Error& reason);
  bool isOpen() const { return open_; }

  // Sends a request; `onResponse` runs exactly once: with the response, or with an error
  // (timeout, queue full, channel closed, worker died). timeoutMs 0 = the default.
  void request(fbs::request::Method method, std::string_view handlerId, const BodyBuilder& body,
               ResponseHandler onResponse, uint32_t timeoutMs = 0);

  Subscription subscribe(std::string handlerId, NotificationHandler handler);
  void setLogHandler(LogHandler handler) { onLog_ = std::move(handler); }
  void setClosedHandler(ClosedHandler handler) { onClosed_ = std::move(handler); }
  // When set, an EOF or read error from the worker only stops the channel and calls this; the
  // owner then calls close() with the better reason it may learn (how the process exited).
  void setPeerClosedHandler(std::function<void(std::string reason)> handler) {
    onPeerClosed_ = std::move(handler);
  }

  size_t pendingRequests() const { return pending_.size(); }
  size_t queuedBytes() const { return writer_ ? writer_->queuedBytes() : 0; }
  const WorkerChannelCounters& counters() const { return counters_; }

 private:
  struct Pending {
    ResponseHandler handler;
    uint64_t deadlineMs;
  };

  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  void handleFrame(std::span<const uint8_t> frame);
  void handleResponse(const fbs::response::Response& response);
  void handleNotification(const fbs::notification::Notification& notification);
  void fail(ResponseHandler& handler, ErrorKind kind, std::string reason);
  void armTimer();
  void expire();

  uv_loop_t* loop_;
  WorkerChannelOptions options_;
  uv_pipe_t* pipe_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  std::unique_ptr<FrameWriter> writer_;
  // Shared so a read in progress keeps it while a handler destroys the channel.
  std::shared_ptr<FrameDecoder> decoder_;
  flatbuffers::FlatBufferBuilder builder_;
  uint32_t nextId_ = 1;
  std::map<uint32_t, Pending> pending_;
  std::set<std::pair<uint64_t, uint32_t>> deadlines_;
  uint64_t armedDeadline_ = 0;
  std::map<std::string, std::vector<std::pair<uint64_t, NotificationHandler>>, std::less<>>
      subscribers_;
  uint64_t nextToken_ = 1;
  LogHandler onLog_;
  ClosedHandler onClosed_;
  std::function<void(std::string)> onPeerClosed_;
  WorkerChannelCounters counters_;
  bool open_ = false;
  // Subscriptions hold a weak reference so they can outlive the channel safely.
  std::shared_ptr<WorkerChannel*> self_;
};

}  // namespace switchyard::control
