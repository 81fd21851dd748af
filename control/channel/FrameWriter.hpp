#pragma once
// Writes frames to a libuv stream: straight to the socket when it has room, otherwise into a
// bounded queue that drains as the peer reads. Used by both ends of the control channel.

#include <uv.h>

#include <cstdint>
#include <span>

namespace switchyard::control {

class FrameWriter {
 public:
  enum class Result { kWritten, kQueued, kQueueFull, kTooLarge, kClosed };

  FrameWriter(uv_stream_t* stream, size_t maxQueuedBytes, size_t maxFrameSize);

  // Takes a complete frame (length prefix included). The bytes are copied only when the
  // socket cannot take them all now.
  Result write(std::span<const uint8_t> frame);
  // Several complete frames in one buffer (a batch): one syscall for all of them.
  Result writeBatch(std::span<const uint8_t> frames);

  // Bytes accepted but not yet handed to the kernel.
  size_t queuedBytes() const { return queuedBytes_; }
  size_t maxQueuedBytes() const { return maxQueuedBytes_; }
  uint64_t bytesWritten() const { return bytesWritten_; }
  uint64_t framesWritten() const { return framesWritten_; }
  // After a write error (peer gone) every later write returns kClosed.
  bool failed() const { return failed_; }
  int lastError() const { return lastError_; }
  // Pending uv_write requests hold a pointer back here; call before the stream closes so
  // their callbacks (run with UV_ECANCELED) no longer touch this object.
  void detach();
  ~FrameWriter();

 private:
  struct PendingWrite;
  static void onWriteDone(uv_write_t* req, int status);

  uv_stream_t* stream_;
  size_t maxQueuedBytes_;
  size_t maxFrameSize_;
  size_t queuedBytes_ = 0;
  uint64_t bytesWritten_ = 0;
  uint64_t framesWritten_ = 0;
  bool failed_ = false;
  int lastError_ = 0;
  // Shared with pending writes so a write completing after detach() finds no writer.
  struct Anchor;
  Anchor* anchor_;
};

}  // namespace switchyard::control
