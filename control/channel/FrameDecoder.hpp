#pragma once
// Splits a byte stream into length-prefixed frames: frames split across reads, several frames
// in one read, and frames above the maximum size (skipped and counted, the stream stays in sync).

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "control/channel/Framing.hpp"

namespace switchyard::control {

class FrameDecoder {
 public:
  using FrameHandler = std::function<void(std::span<const uint8_t> frame)>;
  using OversizeHandler = std::function<void(uint32_t length)>;

  explicit FrameDecoder(size_t maxMessageSize = kMaxMessageSize);

  // Space to read into; after reading n bytes there, call commit(n). Reading straight into the
  // decoder's buffer saves a copy per read.
  std::span<uint8_t> writableSpace();
  // Delivers every complete frame now buffered, length prefix included, at an 8-byte aligned
  // address (flatbuffers' alignment is relative to the prefix, and misaligned reads are UB).
  // A frame's span is valid only during the call.
  void commit(size_t n, const FrameHandler& onFrame, const OversizeHandler& onOversize = {});
  // Convenience for callers that already hold the bytes (tests, fuzzing).
  void feed(std::span<const uint8_t> bytes, const FrameHandler& onFrame,
            const OversizeHandler& onOversize = {});

  size_t bufferedBytes() const { return size_; }
  uint64_t oversizeFrames() const { return oversizeFrames_; }
  size_t maxMessageSize() const { return maxMessageSize_; }

 private:
  size_t maxMessageSize_;
  size_t capacity_;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t size_ = 0;
  // Bytes of an oversize frame still to discard as they arrive.
  uint64_t skipRemaining_ = 0;
  uint64_t oversizeFrames_ = 0;
  // Frames that start misaligned in buffer_ are copied here first.
  std::unique_ptr<uint64_t[]> scratch_;
  size_t scratchBytes_ = 0;
};

}  // namespace switchyard::control
