#include "control/channel/FrameDecoder.hpp"

#include <algorithm>
#include <cstring>

namespace switchyard::control {

namespace {

// The largest scalar in the schema is 8 bytes; builders align buffers to it.
constexpr size_t kFrameAlignment = 8;
constexpr size_t kMinScratchBytes = 4096;

}  // namespace

FrameDecoder::FrameDecoder(size_t maxMessageSize)
    : maxMessageSize_(maxMessageSize),
      capacity_(maxMessageSize + kLengthPrefixSize),
      // operator new[] aligns to at least 16 bytes, so offset 0 is frame-aligned.
      buffer_(new uint8_t[capacity_]) {}

std::span<uint8_t> FrameDecoder::writableSpace() {
  return {buffer_.get() + size_, capacity_ - size_};
}

void FrameDecoder::feed(std::span<const uint8_t> bytes, const FrameHandler& onFrame,
                        const OversizeHandler& onOversize) {
  while (!bytes.empty()) {
    auto space = writableSpace();
    size_t n = std::min(space.size(), bytes.size());
    std::memcpy(space.data(), bytes.data(), n);
    bytes = bytes.subspan(n);
    commit(n, onFrame, onOversize);
  }
}

void FrameDecoder::commit(size_t n, const FrameHandler& onFrame,
                          const OversizeHandler& onOversize) {
  size_ += n;
  size_t pos = 0;
  for (;;) {
    if (skipRemaining_ > 0) {
      size_t drop = static_cast<size_t>(std::min<uint64_t>(skipRemaining_, size_ - pos));
      pos += drop;
      skipRemaining_ -= drop;
      if (skipRemaining_ > 0) break;
    }
    if (size_ - pos < kLengthPrefixSize) break;
    uint32_t length = readLengthPrefix(buffer_.get() + pos);
    if (length > maxMessageSize_) {
      ++oversizeFrames_;
      pos += kLengthPrefixSize;
      skipRemaining_ = length;
      if (onOversize) onOversize(length);
      continue;
    }
    if (size_ - pos < kLengthPrefixSize + length) break;
    const uint8_t* start = buffer_.get() + pos;
    size_t frameSize = kLengthPrefixSize + length;
    if (reinterpret_cast<uintptr_t>(start) % kFrameAlignment != 0) {
      if (scratchBytes_ < frameSize) {
        scratchBytes_ = std::max(frameSize, kMinScratchBytes);
        scratch_.reset(new uint64_t[(scratchBytes_ + 7) / 8]);
      }
      std::memcpy(scratch_.get(), start, frameSize);
      start = reinterpret_cast<const uint8_t*>(scratch_.get());
    }
    onFrame({start, frameSize});
    pos += kLengthPrefixSize + length;
  }
  // Keep the unfinished tail at the front; a frame never exceeds capacity, so it always fits.
  if (pos > 0) {
    std::memmove(buffer_.get(), buffer_.get() + pos, size_ - pos);
    size_ -= pos;
  }
}

}  // namespace switchyard::control
