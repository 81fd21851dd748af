#include "worker/ChannelEndpoint.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include "control/channel/MessageVerifier.hpp"

namespace switchyard::worker {

namespace {

// Bytes the worker queues towards a slow orchestrator before it drops messages: enough for
// bursts of notifications, bounded so a stalled orchestrator cannot exhaust the worker's memory.
constexpr size_t kMaxWriteQueueBytes = 32 * 1024 * 1024;
// Log lines stop being sent well before that, so responses keep their room.
constexpr size_t kLogQueueLimitBytes = 4 * 1024 * 1024;
// Builders start this big and keep what they grow to, so steady state allocates nothing.
constexpr size_t kInitialBuilderBytes = 16 * 1024;
// A batch is flushed early once this big, so one read of many requests cannot build a batch
// larger than the write queue allows.
constexpr size_t kMaxBatchBytes = 256 * 1024;

std::shared_ptr<spdlog::logger> channelLogger() {
  auto l = spdlog::get("channel");
  return l ? l : spdlog::default_logger();
}

}  // namespace

ChannelEndpoint::ChannelEndpoint(uv_loop_t* loop, int readFd, int writeFd, uint32_t workerId)
    : loop_(loop),
      readFd_(readFd),
      writeFd_(writeFd),
      workerId_(workerId),
      builder_(kInitialBuilderBytes),
      logBuilder_(kInitialBuilderBytes) {
  batch_.reserve(kMaxBatchBytes);
}

ChannelEndpoint::~ChannelEndpoint() {
  if (writer_) writer_->detach();
}

std::optional<std::string> ChannelEndpoint::open(RequestHandler onRequest, ClosedHandler onClosed) {
  onRequest_ = std::move(onRequest);
  onClosed_ = std::move(onClosed);
  for (int fd : {readFd_, writeFd_}) {
    if (fcntl(fd, F_GETFD) == -1) {
      return "control channel fd " + std::to_string(fd) +
             " is not open (the worker is meant to be started by switchyard)";
    }
  }
  auto openPipe = [&](int fd, uv_pipe_t*& pipe) -> std::optional<std::string> {
    pipe = new uv_pipe_t;
    uv_pipe_init(loop_, pipe, 0);
    pipe->data = this;
    ++handlesOpen_;
    if (int err = uv_pipe_open(pipe, fd); err != 0) {
      return "cannot open control channel fd " + std::to_string(fd) + ": " + uv_strerror(err);
    }
    return std::nullopt;
  };
  if (auto err = openPipe(readFd_, readPipe_)) return err;
  if (writeFd_ == readFd_) {
    writePipe_ = readPipe_;
  } else if (auto err = openPipe(writeFd_, writePipe_)) {
    return err;
  }
  writer_ = std::make_unique<control::FrameWriter>(reinterpret_cast<uv_stream_t*>(writePipe_),
                                                   kMaxWriteQueueBytes, control::kMaxMessageSize);
  if (int err = uv_read_start(reinterpret_cast<uv_stream_t*>(readPipe_), &ChannelEndpoint::onAlloc,
                              &ChannelEndpoint::onRead);
      err != 0) {
    return std::string("cannot read the control channel: ") + uv_strerror(err);
  }
  open_ = true;
  return std::nullopt;
}

void ChannelEndpoint::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<ChannelEndpoint*>(handle->data);
  auto space = self->decoder_.writableSpace();
  *buf = uv_buf_init(reinterpret_cast<char*>(space.data()), static_cast<unsigned>(space.size()));
}

void ChannelEndpoint::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto* self = static_cast<ChannelEndpoint*>(stream->data);
  if (nread > 0) {
    self->counters_.bytesIn += static_cast<uint64_t>(nread);
    self->batching_ = true;
    self->decoder_.commit(
        static_cast<size_t>(nread),
        [self](std::span<const uint8_t> frame) { self->handleFrame(frame); },
        [self](uint32_t length) {
          ++self->counters_.droppedOversize;
          channelLogger()->warn("dropped an oversize frame of {} bytes (maximum {})", length,
                                control::kMaxMessageSize);
        });
    self->batching_ = false;
    self->flushBatch();
  } else if (nread == UV_EOF) {
    self->fail("the orchestrator closed the control channel");
  } else if (nread < 0) {
    self->fail(std::string("control channel read failed: ") + uv_strerror(static_cast<int>(nread)));
  }
}

void ChannelEndpoint::handleFrame(std::span<const uint8_t> frame) {
  if (closing_) return;
  ++counters_.messagesIn;
  const auto* message = control::verifyMessage(frame);
  if (!message) {
    ++counters_.droppedInvalid;
    channelLogger()->warn("dropped a {}-byte frame that is not a valid Message", frame.size());
    return;
  }
  const auto* request = message->body_as_Request();
  if (!request) {
    ++counters_.droppedInvalid;
    channelLogger()->warn("dropped a {} message: a worker only takes requests",
                          fbs::message::EnumNameBody(message->body_type()));
    return;
  }
  control::ChannelRequest req(*request, *this);
  onRequest_(req);
  if (!req.replied()) {
    req.error(fbs::response::ErrorType::ERROR, "the handler gave no reply");
  }
  if (req.failed()) ++counters_.errorResponses;
}

flatbuffers::FlatBufferBuilder& ChannelEndpoint::builder() {
  builder_.Clear();
  return builder_;
}

void ChannelEndpoint::send(flatbuffers::FlatBufferBuilder& finished) {
  if (!writer_ || closingDone_) return;
  auto frame = finished.GetBufferSpan();
  writeFrame({frame.data(), frame.size()}, /*isLog=*/false);
}

bool ChannelEndpoint::writeFrame(std::span<const uint8_t> frame, bool isLog) {
  if (frame.size() > control::kMaxMessageSize + control::kLengthPrefixSize) {
    ++(isLog ? counters_.logsDropped : counters_.messagesDropped);
    if (!isLog) {
      channelLogger()->error("dropped an outgoing message of {} bytes: above the maximum {}",
                             frame.size(), control::kMaxMessageSize);
    }
    return false;
  }
  if (batching_) {
    if (batch_.size() + frame.size() > kMaxBatchBytes) flushBatch();
    batch_.insert(batch_.end(), frame.begin(), frame.end());
    return true;
  }
  switch (writer_->writeBatch(frame)) {
    case control::FrameWriter::Result::kWritten:
    case control::FrameWriter::Result::kQueued:
      return true;
    case control::FrameWriter::Result::kTooLarge:
    case control::FrameWriter::Result::kQueueFull:
      ++(isLog ? counters_.logsDropped : counters_.messagesDropped);
      if (!isLog) {
        channelLogger()->error("dropped an outgoing message: {} bytes already queued",
                               writer_->queuedBytes());
      }
      return false;
    case control::FrameWriter::Result::kClosed:
      if (!isLog) {
        fail(std::string("control channel write failed: ") + uv_strerror(writer_->lastError()));
      }
      return false;
  }
  return false;
}

void ChannelEndpoint::flushBatch() {
  if (batch_.empty() || !writer_) return;
  // Written as one unit: a partial failure drops the batch's messages, counted as one.
  bool wasBatching = batching_;
  batching_ = false;
  std::vector<uint8_t> pending;
  pending.swap(batch_);
  writeFrame(pending, /*isLog=*/false);
  pending.clear();
  batch_.swap(pending);
  batching_ = wasBatching;
}

void ChannelEndpoint::notify(std::string_view handlerId, fbs::notification::Event event,
                             fbs::notification::Body bodyType, flatbuffers::Offset<void> body) {
  auto& b = builder();
  control::finishNotification(b, handlerId, event, bodyType, body);
  send(b);
}

void ChannelEndpoint::sendLog(fbs::log::LogLevel level, std::string_view tag, std::string_view text,
                              uint64_t timestampUs) {
  // A failure while sending a log line would log again: never recurse.
  if (inLogSend_ || !writer_ || writer_->failed() || closingDone_) return;
  if (writer_->queuedBytes() > kLogQueueLimitBytes) {
    ++counters_.logsDropped;
    return;
  }
  inLogSend_ = true;
  logBuilder_.Clear();
  control::finishLog(logBuilder_, level, workerId_, tag, text, timestampUs);
  auto frame = logBuilder_.GetBufferSpan();
  writeFrame({frame.data(), frame.size()}, /*isLog=*/true);
  inLogSend_ = false;
}

uint64_t ChannelEndpoint::messagesOut() const {
  return writer_ ? writer_->framesWritten() : 0;
}
uint64_t ChannelEndpoint::bytesOut() const {
  return writer_ ? writer_->bytesWritten() : 0;
}
size_t ChannelEndpoint::writeQueueBytes() const {
  return writer_ ? writer_->queuedBytes() : 0;
}

void ChannelEndpoint::fail(std::string_view reason) {
  if (closing_) return;
  open_ = false;
  if (readPipe_) uv_read_stop(reinterpret_cast<uv_stream_t*>(readPipe_));
  if (onClosed_) {
    auto cb = std::move(onClosed_);
    onClosed_ = nullptr;
    cb(reason);
  }
}

void ChannelEndpoint::close(std::function<void()> done) {
  if (closing_) return;
  flushBatch();
  closing_ = true;
  open_ = false;
  onCloseDone_ = std::move(done);
  if (readPipe_) uv_read_stop(reinterpret_cast<uv_stream_t*>(readPipe_));
  // Let queued responses and logs reach the orchestrator before the handles close.
  auto* shutdownReq = new uv_shutdown_t;
  shutdownReq->data = this;
  if (writePipe_ && writer_ && !writer_->failed() &&
      uv_shutdown(shutdownReq, reinterpret_cast<uv_stream_t*>(writePipe_),
                  [](uv_shutdown_t* req, int) {
                    auto* self = static_cast<ChannelEndpoint*>(req->data);
                    delete req;
                    if (!self->closingDone_) self->closeHandles();
                  }) == 0) {
    return;
  }
  delete shutdownReq;
  closeHandles();
}

void ChannelEndpoint::forceClose() {
  if (!closingDone_) closeHandles();
}

void ChannelEndpoint::closeHandles() {
  closingDone_ = true;
  if (writer_) writer_->detach();
  auto onClosed = [](uv_handle_t* h) {
    auto* self = static_cast<ChannelEndpoint*>(h->data);
    delete reinterpret_cast<uv_pipe_t*>(h);
    if (--self->handlesOpen_ == 0 && self->onCloseDone_) {
      auto done = std::move(self->onCloseDone_);
      self->onCloseDone_ = nullptr;
      done();
    }
  };
  bool any = false;
  if (writePipe_ && writePipe_ != readPipe_) {
    uv_close(reinterpret_cast<uv_handle_t*>(writePipe_), onClosed);
    any = true;
  }
  if (readPipe_) {
    uv_close(reinterpret_cast<uv_handle_t*>(readPipe_), onClosed);
    any = true;
  }
  readPipe_ = writePipe_ = nullptr;
  if (!any && onCloseDone_) {
    auto done = std::move(onCloseDone_);
    onCloseDone_ = nullptr;
    done();
  }
}

}  // namespace switchyard::worker
