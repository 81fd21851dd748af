// LoadPacketLayout and LoadPayloadHeader: the header round trip and its refusals; the VP8
// prefix checked with the SFU's own VP8 parser (start of frame, partition 0, keyframe bit, frame
// size, 15-bit PictureID); finding our header behind it, also after the SFU rewrote the
// PictureID; the RTP payload offset with CSRCs and an extension.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "bench/LoadPacketLayout.hpp"
#include "bench/LoadPayloadHeader.hpp"
#include "rtp/codecs/Vp8PayloadDescriptor.hpp"

namespace switchyard::bench {
namespace {

TEST(LoadPayloadHeader, RoundTrip) {
  std::array<uint8_t, LoadPayloadHeader::kSize> bytes{};
  const LoadPayloadHeader h{.sendNs = 0x0123456789abcdefull, .counter = 0xfedcba98u};
  ASSERT_TRUE(h.write(bytes));
  EXPECT_EQ(bytes[0], 'S');
  EXPECT_EQ(bytes[3], 'D');
  EXPECT_EQ(bytes[4], 0x01);  // network byte order
  EXPECT_EQ(bytes[15], 0x98);
  auto read = LoadPayloadHeader::read(bytes);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->sendNs, h.sendNs);
  EXPECT_EQ(read->counter, h.counter);
}

TEST(LoadPayloadHeader, RefusesShortInputAndAWrongMagic) {
  std::array<uint8_t, LoadPayloadHeader::kSize> bytes{};
  LoadPayloadHeader{.sendNs = 1, .counter = 2}.write(bytes);
  EXPECT_FALSE(LoadPayloadHeader::read(std::span(bytes).first(LoadPayloadHeader::kSize - 1)));
  std::array<uint8_t, LoadPayloadHeader::kSize - 1> small{};
  EXPECT_FALSE(LoadPayloadHeader{}.write(small));
  bytes[1] ^= 1;
  EXPECT_FALSE(LoadPayloadHeader::read(bytes));
}

// A VP8 payload as MediaSource writes it: prefix, our header, some filler.
std::vector<uint8_t> vp8Payload(uint16_t pictureId, bool first, bool keyframe) {
  std::vector<uint8_t> p(LoadPacketLayout::vp8PrefixSize(first, keyframe) +
                         LoadPayloadHeader::kSize + 20);
  const size_t n = LoadPacketLayout::writeVp8Prefix(p, pictureId, first, keyframe, 5000, 1280, 720);
  EXPECT_EQ(n, LoadPacketLayout::vp8PrefixSize(first, keyframe));
  LoadPayloadHeader{.sendNs = 99, .counter = 7}.write(std::span(p).subspan(n));
  return p;
}

TEST(LoadPacketLayout, KeyframeStartIsAKeyframeToTheSfu) {
  auto p = vp8Payload(0x1234, true, true);
  auto d = rtp::Vp8PayloadDescriptor::parse(p);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->startsFrame());
  EXPECT_EQ(d->partitionId(), 0);
  EXPECT_TRUE(d->isKeyframe());
  EXPECT_EQ(d->width(), 1280);
  EXPECT_EQ(d->height(), 720);
  ASSERT_TRUE(d->hasPictureId());
  EXPECT_TRUE(d->pictureIdIs15Bit());
  EXPECT_EQ(d->pictureId(), 0x1234);
  EXPECT_EQ(d->size(), LoadPacketLayout::kVp8DescriptorSize);
  EXPECT_EQ(LoadPacketLayout::vp8HeaderOffset(p), LoadPacketLayout::vp8PrefixSize(true, true));
  auto h = LoadPacketLayout::readHeader(p, true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->counter, 7u);
}

TEST(LoadPacketLayout, DeltaFrameStartAndContinuationAreNotKeyframes) {
  auto start = vp8Payload(5, true, false);
  auto d = rtp::Vp8PayloadDescriptor::parse(start);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->startsFrame());
  EXPECT_FALSE(d->isKeyframe());
  EXPECT_EQ(LoadPacketLayout::vp8HeaderOffset(start),
            LoadPacketLayout::kVp8DescriptorSize + LoadPacketLayout::kVp8DeltaHeaderSize);
  EXPECT_TRUE(LoadPacketLayout::readHeader(start, true));

  auto middle = vp8Payload(5, false, true);  // keyframe's later packet: no frame header
  d = rtp::Vp8PayloadDescriptor::parse(middle);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->startsFrame());
  EXPECT_FALSE(d->isKeyframe());
  EXPECT_EQ(LoadPacketLayout::vp8HeaderOffset(middle), LoadPacketLayout::kVp8DescriptorSize);
  EXPECT_TRUE(LoadPacketLayout::readHeader(middle, true));
}

TEST(LoadPacketLayout, HeaderIsFoundAfterTheSfuRewritesThePictureId) {
  auto p = vp8Payload(0x7fff, true, true);
  auto d = rtp::Vp8PayloadDescriptor::parse(p);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->rewritePictureId(p, 3));
  auto again = rtp::Vp8PayloadDescriptor::parse(p);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->pictureId(), 3);
  auto h = LoadPacketLayout::readHeader(p, true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->sendNs, 99u);
}

TEST(LoadPacketLayout, FrameTagCarriesThePartitionSizeAndShowFrame) {
  std::array<uint8_t, 16> p{};
  LoadPacketLayout::writeVp8Prefix(p, 1, true, false, 0x12345, 0, 0);
  const uint32_t tag = p[4] | (p[5] << 8) | (p[6] << 16);
  EXPECT_EQ(tag & 1, 1u);         // P: not a keyframe
  EXPECT_EQ((tag >> 1) & 7, 0u);  // version
  EXPECT_EQ((tag >> 4) & 1, 1u);  // show_frame
  EXPECT_EQ(tag >> 5, 0x12345u);
  EXPECT_EQ(LoadPacketLayout::writeVp8Prefix(std::span(p).first(6), 1, true, false, 0, 0, 0), 0u);
}

TEST(LoadPacketLayout, AudioHeaderFollowsTheToc) {
  std::array<uint8_t, 1 + LoadPayloadHeader::kSize + 10> p{};
  p[0] = LoadPacketLayout::kOpusToc;
  LoadPayloadHeader{.sendNs = 5, .counter = 6}.write(std::span(p).subspan(1));
  auto h = LoadPacketLayout::readHeader(p, false);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->counter, 6u);
  EXPECT_FALSE(LoadPacketLayout::readHeader(p, true));  // not a VP8 layout
}

TEST(LoadPacketLayout, RtpHeaderRoundTripAndPayloadOffset) {
  std::vector<uint8_t> packet(12 + 8 + 4 + 8 + 4);
  LoadPacketLayout::writeRtpHeader(packet.data(), {.payloadType = 96,
                                                   .marker = true,
                                                   .sequence = 0xabcd,
                                                   .timestamp = 0x01020304,
                                                   .ssrc = 0xdeadbeef});
  EXPECT_EQ(packet[0], 0x80);
  EXPECT_EQ(packet[1], 0x80 | 96);
  EXPECT_EQ(packet[2], 0xab);
  EXPECT_EQ(packet[11], 0xef);
  EXPECT_EQ(LoadPacketLayout::rtpPayloadOffset(std::span(packet).first(12)), 12u);
  packet[0] |= 2;     // two CSRCs
  packet[0] |= 0x10;  // and an extension of 2 words
  packet[12 + 8 + 2] = 0;
  packet[12 + 8 + 3] = 2;
  EXPECT_EQ(LoadPacketLayout::rtpPayloadOffset(packet), 12u + 8 + 4 + 8);
  EXPECT_FALSE(LoadPacketLayout::rtpPayloadOffset(std::span(packet).first(12 + 8 + 4 + 7)));
  EXPECT_FALSE(LoadPacketLayout::rtpPayloadOffset(std::span(packet).first(12 + 8 + 2)));
  packet[0] = 0x40;  // version 1
  EXPECT_FALSE(LoadPacketLayout::rtpPayloadOffset(packet));
}

}  // namespace
}  // namespace switchyard::bench
