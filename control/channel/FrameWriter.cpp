#include "control/channel/FrameWriter.hpp"

#include <cstring>
#include <memory>

#include "control/channel/Framing.hpp"

namespace switchyard::control {

// Outlives the writer while uv_write requests are in flight; counts them so the last one
// frees it after detach().
struct FrameWriter::Anchor {
  FrameWriter* writer;
  size_t inFlight = 0;
};

struct FrameWriter::PendingWrite {
  uv_write_t req;
  Anchor* anchor;
  size_t size;
  std::unique_ptr<uint8_t[]> data;
};

FrameWriter::FrameWriter(uv_stream_t* stream, size_t maxQueuedBytes, size_t maxFrameSize)
    : stream_(stream),
      maxQueuedBytes_(maxQueuedBytes),
      maxFrameSize_(maxFrameSize),
      anchor_(new Anchor{this}) {}

FrameWriter::~FrameWriter() {
  detach();
}

void FrameWriter::detach() {
  if (!anchor_) return;
  anchor_->writer = nullptr;
  if (anchor_->inFlight == 0) delete anchor_;
  anchor_ = nullptr;
  failed_ = true;
}

FrameWriter::Result FrameWriter::write(std::span<const uint8_t> frame) {
  if (frame.size() > maxFrameSize_ + kLengthPrefixSize) return Result::kTooLarge;
  return writeBatch(frame);
}

FrameWriter::Result FrameWriter::writeBatch(std::span<const uint8_t> frame) {
  if (failed_ || !anchor_) return Result::kClosed;

  size_t offset = 0;
  // Writing directly would overtake queued bytes; only try when nothing is queued.
  if (queuedBytes_ == 0) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(frame.data())),
                               static_cast<unsigned>(frame.size()));
    int n = uv_try_write(stream_, &buf, 1);
    if (n >= 0) {
      offset = static_cast<size_t>(n);
      bytesWritten_ += offset;
      if (offset == frame.size()) {
        ++framesWritten_;
        return Result::kWritten;
      }
    } else if (n != UV_EAGAIN) {
      failed_ = true;
      lastError_ = n;
      return Result::kClosed;
    }
  }
  size_t rest = frame.size() - offset;
  // A frame already partly written must be finished, or the stream loses sync; the bound
  // applies only to frames not yet started.
  if (offset == 0 && queuedBytes_ + rest > maxQueuedBytes_) return Result::kQueueFull;

  auto* pending = new PendingWrite{{}, anchor_, rest, std::make_unique<uint8_t[]>(rest)};
  pending->req.data = pending;
  std::memcpy(pending->data.get(), frame.data() + offset, rest);
  uv_buf_t buf =
      uv_buf_init(reinterpret_cast<char*>(pending->data.get()), static_cast<unsigned>(rest));
  int err = uv_write(&pending->req, stream_, &buf, 1, &FrameWriter::onWriteDone);
  if (err != 0) {
    delete pending;
    failed_ = true;
    lastError_ = err;
    return Result::kClosed;
  }
  ++anchor_->inFlight;
  queuedBytes_ += rest;
  ++framesWritten_;
  return Result::kQueued;
}

void FrameWriter::onWriteDone(uv_write_t* req, int status) {
  std::unique_ptr<PendingWrite> pending(static_cast<PendingWrite*>(req->data));
  Anchor* anchor = pending->anchor;
  --anchor->inFlight;
  if (FrameWriter* self = anchor->writer) {
    self->queuedBytes_ -= pending->size;
    if (status == 0) {
      self->bytesWritten_ += pending->size;
    } else {
      self->failed_ = true;
      self->lastError_ = status;
    }
  } else if (anchor->inFlight == 0) {
    delete anchor;
  }
}

}  // namespace switchyard::control
