#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/channel/FrameDecoder.hpp"

namespace switchyard::control {
namespace {

std::vector<uint8_t> frame(const std::string& payload) {
  std::vector<uint8_t> out(kLengthPrefixSize + payload.size());
  writeLengthPrefix(out.data(), static_cast<uint32_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), out.begin() + kLengthPrefixSize);
  return out;
}

std::vector<uint8_t> concat(const std::vector<std::vector<uint8_t>>& parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct Collector {
  std::vector<std::string> frames;
  std::vector<uint32_t> oversize;
  FrameDecoder::FrameHandler onFrame() {
    return [this](std::span<const uint8_t> f) {
      // Frames arrive whole, prefix included, and aligned for flatbuffers.
      EXPECT_EQ(reinterpret_cast<uintptr_t>(f.data()) % 8, 0u);
      EXPECT_EQ(readLengthPrefix(f.data()), f.size() - kLengthPrefixSize);
      frames.emplace_back(f.begin() + kLengthPrefixSize, f.end());
    };
  }
  FrameDecoder::OversizeHandler onOversize() {
    return [this](uint32_t n) { oversize.push_back(n); };
  }
};

TEST(FrameDecoder, LengthPrefixIsLittleEndian) {
  uint8_t p[4];
  writeLengthPrefix(p, 0x01020304);
  EXPECT_EQ(p[0], 0x04);
  EXPECT_EQ(p[3], 0x01);
  EXPECT_EQ(readLengthPrefix(p), 0x01020304u);
}

// Every way of cutting the same byte stream into reads yields the same frames.
TEST(FrameDecoder, FramesSplitAcrossReadsAtEveryChunkSize) {
  auto stream = concat({frame("alpha"), frame(""), frame(std::string(300, 'x')), frame("z")});
  for (size_t chunk : {1u, 2u, 3u, 4u, 5u, 7u, 64u, 1000u}) {
    FrameDecoder d(1024);
    Collector c;
    for (size_t i = 0; i < stream.size(); i += chunk) {
      size_t n = std::min(chunk, stream.size() - i);
      d.feed({stream.data() + i, n}, c.onFrame());
    }
    ASSERT_EQ(c.frames.size(), 4u) << "chunk " << chunk;
    EXPECT_EQ(c.frames[0], "alpha");
    EXPECT_EQ(c.frames[1], "");
    EXPECT_EQ(c.frames[2], std::string(300, 'x'));
    EXPECT_EQ(c.frames[3], "z");
    EXPECT_EQ(d.bufferedBytes(), 0u);
  }
}

TEST(FrameDecoder, CoalescedFramesInOneRead) {
  FrameDecoder d(1024);
  Collector c;
  std::vector<std::vector<uint8_t>> parts;
  for (int i = 0; i < 100; ++i)
    parts.push_back(frame("m" + std::to_string(i)));
  auto stream = concat(parts);
  auto space = d.writableSpace();
  ASSERT_GE(space.size(), stream.size());
  std::copy(stream.begin(), stream.end(), space.begin());
  d.commit(stream.size(), c.onFrame());
  ASSERT_EQ(c.frames.size(), 100u);
  EXPECT_EQ(c.frames[99], "m99");
}

TEST(FrameDecoder, PartialFrameWaitsForTheRest) {
  FrameDecoder d(1024);
  Collector c;
  auto f = frame("hello world");
  d.feed({f.data(), 6}, c.onFrame());
  EXPECT_TRUE(c.frames.empty());
  EXPECT_EQ(d.bufferedBytes(), 6u);
  d.feed({f.data() + 6, f.size() - 6}, c.onFrame());
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_EQ(c.frames[0], "hello world");
}

TEST(FrameDecoder, FrameOfExactlyTheMaximumIsAccepted) {
  FrameDecoder d(64);
  Collector c;
  auto f = frame(std::string(64, 'm'));
  d.feed(f, c.onFrame(), c.onOversize());
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_TRUE(c.oversize.empty());
}

// An oversize frame is skipped whole, counted, and the frames after it still decode.
TEST(FrameDecoder, OversizeFrameIsSkippedAndStreamStaysInSync) {
  for (size_t chunk : {1u, 5u, 33u, 4096u}) {
    FrameDecoder d(64);
    Collector c;
    auto stream = concat({frame("before"), frame(std::string(65, 'X')),
                          frame(std::string(500, 'Y')), frame("after")});
    for (size_t i = 0; i < stream.size(); i += chunk) {
      d.feed({stream.data() + i, std::min(chunk, stream.size() - i)}, c.onFrame(), c.onOversize());
    }
    ASSERT_EQ(c.frames.size(), 2u) << "chunk " << chunk;
    EXPECT_EQ(c.frames[0], "before");
    EXPECT_EQ(c.frames[1], "after");
    EXPECT_EQ(c.oversize, (std::vector<uint32_t>{65, 500}));
    EXPECT_EQ(d.oversizeFrames(), 2u);
  }
}

TEST(FrameDecoder, HugeLengthPrefixDoesNotAllocate) {
  FrameDecoder d(64);
  Collector c;
  uint8_t prefix[4];
  writeLengthPrefix(prefix, 0xFFFFFFF0u);
  d.feed(prefix, c.onFrame(), c.onOversize());
  std::vector<uint8_t> junk(1 << 20, 0xAB);
  d.feed(junk, c.onFrame(), c.onOversize());
  EXPECT_TRUE(c.frames.empty());
  EXPECT_EQ(c.oversize.size(), 1u);
  EXPECT_EQ(d.bufferedBytes(), 0u);  // skipped bytes are never buffered
}

}  // namespace
}  // namespace switchyard::control
