#include "control/orchestrator/WorkerChannel.hpp"

#include <spdlog/spdlog.h>

#include "control/channel/MessageVerifier.hpp"

namespace switchyard::control {

namespace {

// Builders keep what they grow to, so steady-state requests allocate no buffer.
constexpr size_t kInitialBuilderBytes = 16 * 1024;

ErrorKind toErrorKind(fbs::response::ErrorType type) {
  switch (type) {
    case fbs::response::ErrorType::TYPE_ERROR:
      return ErrorKind::kTypeError;
    case fbs::response::ErrorType::NOT_FOUND:
      return ErrorKind::kNotFound;
    case fbs::response::ErrorType::UNKNOWN_METHOD:
      return ErrorKind::kUnknownMethod;
    case fbs::response::ErrorType::NOT_IMPLEMENTED:
      return ErrorKind::kNotImplemented;
    case fbs::response::ErrorType::INVALID_STATE:
      return ErrorKind::kInvalidState;
    default:
      return ErrorKind::kError;
  }
}

}  // namespace

WorkerChannel::Subscription::Subscription(Subscription&& o) noexcept
    : channel_(std::move(o.channel_)), handlerId_(std::move(o.handlerId_)), token_(o.token_) {
  o.token_ = 0;
}

WorkerChannel::Subscription& WorkerChannel::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    reset();
    channel_ = std::move(o.channel_);
    handlerId_ = std::move(o.handlerId_);
    token_ = o.token_;
    o.token_ = 0;
  }
  return *this;
}

WorkerChannel::Subscription::~Subscription() {
  reset();
}

void WorkerChannel::Subscription::reset() {
  if (token_ == 0) return;
  if (auto ch = channel_.lock()) {
    auto& subs = (*ch)->subscribers_;
    if (auto it = subs.find(handlerId_); it != subs.end()) {
      std::erase_if(it->second, [&](const auto& p) { return p.first == token_; });
      if (it->second.empty()) subs.erase(it);
    }
  }
  token_ = 0;
}

WorkerChannel::WorkerChannel(uv_loop_t* loop, WorkerChannelOptions options)
    : loop_(loop),
      options_(options),
      decoder_(std::make_shared<FrameDecoder>()),
      builder_(kInitialBuilderBytes),
      self_(std::make_shared<WorkerChannel*>(this)) {}

WorkerChannel::~WorkerChannel() {
  self_.reset();
  close({ErrorKind::kChannelClosed, "the channel was destroyed"});
}

std::optional<Error> WorkerChannel::open(int fd) {
  pipe_ = new uv_pipe_t;
  uv_pipe_init(loop_, pipe_, 0);
  pipe_->data = this;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  // Only pending requests keep the loop alive, not the idle timer.
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
  if (int err = uv_pipe_open(pipe_, fd); err != 0) {
    close({ErrorKind::kChannelClosed, std::string("uv_pipe_open: ") + uv_strerror(err)});
    return Error{ErrorKind::kChannelClosed, std::string("uv_pipe_open: ") + uv_strerror(err)};
  }
  writer_ = std::make_unique<FrameWriter>(reinterpret_cast<uv_stream_t*>(pipe_),
                                          options_.maxQueuedBytes, kMaxMessageSize);
  uv_read_start(reinterpret_cast<uv_stream_t*>(pipe_), &WorkerChannel::onAlloc,
                &WorkerChannel::onRead);
  open_ = true;
  return std::nullopt;
}

void WorkerChannel::close(const Error& reason) {
  bool wasOpen = open_ || pipe_ != nullptr;
  if (pipe_) {
    if (writer_) writer_->detach();
    uv_close(reinterpret_cast<uv_handle_t*>(pipe_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
    pipe_ = nullptr;
  }
  if (timer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
  open_ = false;
  auto pending = std::move(pending_);
  pending_.clear();
  deadlines_.clear();
  std::weak_ptr<WorkerChannel*> alive = self_;
  counters_.failedOnClose += pending.size();
  for (auto& [id, p] : pending) {
    Error e = reason;
    p.handler(&e, nullptr);
  }
  if (wasOpen && !alive.expired() && onClosed_) {
    auto cb = std::move(onClosed_);
    onClosed_ = nullptr;
    cb(reason);
  }
}

void WorkerChannel::fail(ResponseHandler& handler, ErrorKind kind, std::string reason) {
  ++counters_.rejected;
  Error e{kind, std::move(reason)};
  handler(&e, nullptr);
}

void WorkerChannel::request(fbs::request::Method method, std::string_view handlerId,
                            const BodyBuilder& body, ResponseHandler onResponse,
                            uint32_t timeoutMs) {
  if (!open_) {
    fail(onResponse, ErrorKind::kChannelClosed, "the worker channel is closed");
    return;
  }
  if (pending_.size() >= options_.maxPendingRequests) {
    fail(onResponse, ErrorKind::kQueueFull,
         std::to_string(pending_.size()) + " requests already await a response");
    return;
  }
  uint32_t id = nextId_++;
  if (nextId_ == 0) nextId_ = 1;  // 0 is never used, so a zeroed id is recognisably bogus
  builder_.Clear();
  auto [bodyType, bodyOffset] =
      body ? body(builder_) : std::pair{fbs::request::Body::NONE, flatbuffers::Offset<void>()};
  finishRequest(builder_, id, method, handlerId, bodyType, bodyOffset);
  auto frame = builder_.GetBufferSpan();
  switch (writer_->write({frame.data(), frame.size()})) {
    case FrameWriter::Result::kWritten:
    case FrameWriter::Result::kQueued:
      break;
    case FrameWriter::Result::kQueueFull:
      fail(onResponse, ErrorKind::kQueueFull,
           "the worker is not reading: " + std::to_string(writer_->queuedBytes()) +
               " bytes already queued");
      return;
    case FrameWriter::Result::kTooLarge:
      fail(onResponse, ErrorKind::kTooLarge,
           "request of " + std::to_string(frame.size()) + " bytes is above the maximum " +
               std::to_string(kMaxMessageSize));
      return;
    case FrameWriter::Result::kClosed:
      fail(onResponse, ErrorKind::kChannelClosed,
           std::string("write failed: ") + uv_strerror(writer_->lastError()));
      return;
  }
  ++counters_.requestsSent;
  uint64_t deadline = uv_now(loop_) + (timeoutMs ? timeoutMs : options_.defaultTimeoutMs);
  pending_.emplace(id, Pending{std::move(onResponse), deadline});
  deadlines_.emplace(deadline, id);
  armTimer();
}

void WorkerChannel::armTimer() {
  if (!timer_) return;
  if (deadlines_.empty()) {
    uv_timer_stop(timer_);
    armedDeadline_ = 0;
    return;
  }
  uint64_t next = deadlines_.begin()->first;
  if (next == armedDeadline_) return;
  armedDeadline_ = next;
  uint64_t now = uv_now(loop_);
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<WorkerChannel*>(t->data)->expire(); },
      next > now ? next - now : 0, 0);
}

void WorkerChannel::expire() {
  armedDeadline_ = 0;
  uint64_t now = uv_now(loop_);
  std::weak_ptr<WorkerChannel*> alive = self_;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    uint32_t id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    auto handler = std::move(it->second.handler);
    pending_.erase(it);
    ++counters_.timeouts;
    Error e{ErrorKind::kTimeout, "no response to request " + std::to_string(id) + " in time"};
    handler(&e, nullptr);
    if (alive.expired()) return;
  }
  armTimer();
}

void WorkerChannel::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<WorkerChannel*>(handle->data);
  auto space = self->decoder_->writableSpace();
  *buf = uv_buf_init(reinterpret_cast<char*>(space.data()), static_cast<unsigned>(space.size()));
}

void WorkerChannel::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto* self = static_cast<WorkerChannel*>(stream->data);
  if (nread > 0) {
    std::weak_ptr<WorkerChannel*> alive = self->self_;
    auto decoder = self->decoder_;
    decoder->commit(
        static_cast<size_t>(nread),
        [self, &alive](std::span<const uint8_t> frame) {
          // A handler may close or destroy the channel; later frames of this read are dropped.
          if (!alive.expired() && self->open_) self->handleFrame(frame);
        },
        [self, &alive](uint32_t length) {
          if (alive.expired()) return;
          ++self->counters_.droppedOversize;
          spdlog::warn("worker channel: dropped an oversize frame of {} bytes", length);
        });
  } else if (nread < 0) {
    std::string reason = nread == UV_EOF
                             ? std::string("the worker closed the channel")
                             : std::string("read failed: ") + uv_strerror(static_cast<int>(nread));
    uv_read_stop(stream);
    if (self->onPeerClosed_ && self->open_) {
      self->open_ = false;
      self->onPeerClosed_(std::move(reason));
    } else {
      self->close({ErrorKind::kChannelClosed, std::move(reason)});
    }
  }
}

void WorkerChannel::handleFrame(std::span<const uint8_t> frame) {
  const auto* message = verifyMessage(frame);
  if (!message) {
    ++counters_.droppedInvalid;
    spdlog::warn("worker channel: dropped a {}-byte frame that is not a valid Message",
                 frame.size());
    return;
  }
  switch (message->body_type()) {
    case fbs::message::Body::Response:
      handleResponse(*message->body_as_Response());
      return;
    case fbs::message::Body::Notification:
      handleNotification(*message->body_as_Notification());
      return;
    case fbs::message::Body::Log:
      ++counters_.logs;
      if (onLog_) onLog_(*message->body_as_Log());
      return;
    default:
      ++counters_.droppedInvalid;
      spdlog::warn("worker channel: dropped a {} message from a worker",
                   fbs::message::EnumNameBody(message->body_type()));
  }
}

void WorkerChannel::handleResponse(const fbs::response::Response& response) {
  auto it = pending_.find(response.id());
  if (it == pending_.end()) {
    ++counters_.lateResponses;
    return;
  }
  ++counters_.responsesReceived;
  auto pending = std::move(it->second);
  pending_.erase(it);
  deadlines_.erase({pending.deadlineMs, response.id()});
  if (const auto* err = response.error()) {
    ++counters_.errorResponses;
    Error e{toErrorKind(err->type()), err->reason()->str()};
    pending.handler(&e, nullptr);
  } else {
    pending.handler(nullptr, &response);
  }
  // The timer is re-armed lazily: an early expiry finds nothing due and re-arms then.
}

void WorkerChannel::handleNotification(const fbs::notification::Notification& notification) {
  ++counters_.notifications;
  std::string_view id = notification.handler_id() ? notification.handler_id()->string_view() : "";
  auto it = subscribers_.find(id);
  if (it == subscribers_.end()) return;
  // Copy: a handler may subscribe or unsubscribe while we iterate.
  auto handlers = it->second;
  std::weak_ptr<WorkerChannel*> alive = self_;
  for (auto& [token, handler] : handlers) {
    handler(notification);
    if (alive.expired()) return;
  }
}

WorkerChannel::Subscription WorkerChannel::subscribe(std::string handlerId,
                                                     NotificationHandler handler) {
  uint64_t token = nextToken_++;
  subscribers_[handlerId].emplace_back(token, std::move(handler));
  return Subscription(self_, std::move(handlerId), token);
}

}  // namespace switchyard::control
