// Consumer rewriting on real VP8 packets captured from aiortc (tests/fixtures/rtp/aiortc-vp8.hex).
#include <gtest/gtest.h>

#include <vector>

#include "router/Consumer.hpp"
#include "router/Producer.hpp"
#include "rtp/extensions/AbsSendTime.hpp"
#include "rtp/extensions/RtpHeaderExtensionMap.hpp"
#include "tests/support/Fixtures.hpp"

namespace {

using namespace switchyard;
using control::RtpParameters;
using router::Consumer;
using router::MediaKind;
using router::Producer;

constexpr uint32_t kConsumerSsrc = 0x11223344;
constexpr uint8_t kViewerVp8 = 120;
constexpr uint8_t kViewerAbsSendTimeId = 5;
constexpr uint32_t kInitialSequence = 1000;

// aiortc's negotiated parameters for the captured stream: VP8 on 97, mid on id 1,
// abs-send-time on id 2.
control::RtpParameters producerParameters() {
  control::RtpParameters p;
  p.mid = "0";
  p.codecs.push_back({"video/VP8", 97, 90000, 1, {}, {{"nack", "pli"}}});
  p.codecs.push_back({"video/rtx", 98, 90000, 1, {{"apt", "97"}}, {}});
  p.headerExtensions = {{std::string(rtp::extension_uri::kMid), 1},
                        {std::string(rtp::extension_uri::kAbsSendTime), 2}};
  return p;
}

// A viewer with other payload type and ids, and no mid extension.
control::RtpParameters viewerParameters() {
  control::RtpParameters p;
  p.codecs.push_back({"video/VP8", kViewerVp8, 90000, 1, {}, {}});
  p.headerExtensions = {{std::string(rtp::extension_uri::kAbsSendTime), kViewerAbsSendTimeId}};
  p.encodings.push_back({kConsumerSsrc, "", std::nullopt});
  return p;
}

struct Stream {
  std::vector<switchyard::test::FixturePacket> packets;
  Stream() {
    for (auto& p : switchyard::test::loadFixture("rtp/aiortc-vp8.hex")) {
      if (p.name.starts_with("VP8 ") && p.name.find("dropped") == std::string::npos) {
        packets.push_back(std::move(p));
      }
    }
  }
};

struct Forwarded {
  std::vector<uint16_t> sequences;
  std::vector<std::vector<uint8_t>> bytes;
};

// Feeds packets [from, to) through a producer and the consumer.
Forwarded feed(Producer& producer, Consumer& consumer, Stream& s, size_t from, size_t to) {
  Forwarded f;
  for (size_t i = from; i < to && i < s.packets.size(); ++i) {
    auto in = rtp::RtpPacket::parse(s.packets[i].bytes);
    EXPECT_TRUE(in.ok());
    auto received = producer.onRtp(*in, 0);
    std::vector<uint8_t> out(1500);
    auto packet = consumer.rewrite(*in, received.keyframe, out, 123'456'789);
    if (packet) {
      f.sequences.push_back(packet->sequenceNumber());
      f.bytes.emplace_back(packet->bytes().begin(), packet->bytes().end());
    }
  }
  return f;
}

TEST(ConsumerTest, StartsAtAKeyframeWithContinuousSequenceNumbers) {
  Stream s;
  ASSERT_GT(s.packets.size(), 12u);
  Producer producer("p", MediaKind::kVideo, producerParameters(), false);
  Consumer consumer("c", "p", MediaKind::kVideo, viewerParameters(), producerParameters(), false,
                    kInitialSequence);
  EXPECT_TRUE(consumer.waitingForKeyFrame());
  // The fixture starts with a keyframe; skip into the first delta frame so the consumer must
  // wait for the next keyframe.
  size_t firstDelta = 0;
  while (!s.packets[firstDelta].name.starts_with("VP8 delta"))
    ++firstDelta;
  size_t nextKey = firstDelta;
  while (nextKey < s.packets.size() &&
         !s.packets[nextKey].name.starts_with("VP8 keyframe packet 1/"))
    ++nextKey;
  ASSERT_LT(nextKey, s.packets.size()) << "fixture has a second keyframe";
  auto f = feed(producer, consumer, s, firstDelta, s.packets.size());
  EXPECT_EQ(consumer.counters().droppedWaitingForKeyframe, nextKey - firstDelta);
  ASSERT_FALSE(f.sequences.empty());
  EXPECT_EQ(f.sequences.front(), kInitialSequence);
  EXPECT_FALSE(consumer.waitingForKeyFrame());
  // Every packet from the keyframe on is forwarded, shifted by one offset: the producer's own
  // losses stay gaps (the viewer should NACK them), nothing else moves.
  ASSERT_EQ(f.sequences.size(), s.packets.size() - nextKey);
  const uint16_t keySeq = rtp::RtpPacket::parse(s.packets[nextKey].bytes)->sequenceNumber();
  for (size_t k = 0; k < f.sequences.size(); ++k) {
    const uint16_t inSeq = rtp::RtpPacket::parse(s.packets[nextKey + k].bytes)->sequenceNumber();
    EXPECT_EQ(static_cast<uint16_t>(f.sequences[k] - kInitialSequence),
              static_cast<uint16_t>(inSeq - keySeq));
  }
}

TEST(ConsumerTest, RewritesHeaderAndExtensionsForTheViewer) {
  Stream s;
  Producer producer("p", MediaKind::kVideo, producerParameters(), false);
  Consumer consumer("c", "p", MediaKind::kVideo, viewerParameters(), producerParameters(), false,
                    kInitialSequence);
  auto f = feed(producer, consumer, s, 0, 10);
  ASSERT_EQ(f.bytes.size(), 10u);
  for (size_t k = 0; k < f.bytes.size(); ++k) {
    SCOPED_TRACE(k);
    auto in = rtp::RtpPacket::parse(s.packets[k].bytes);
    auto out = rtp::RtpPacket::parse(f.bytes[k]);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->ssrc(), kConsumerSsrc);
    EXPECT_EQ(out->payloadType(), kViewerVp8);
    EXPECT_EQ(out->timestamp(), in->timestamp());
    EXPECT_EQ(out->marker(), in->marker());
    EXPECT_EQ(out->sequenceNumber(),
              static_cast<uint16_t>(kInitialSequence +
                                    (in->sequenceNumber() -
                                     rtp::RtpPacket::parse(s.packets[0].bytes)->sequenceNumber())));
    // The payload is byte for byte the producer's.
    ASSERT_EQ(out->payload().size(), in->payload().size());
    EXPECT_TRUE(std::equal(out->payload().begin(), out->payload().end(), in->payload().begin()));
    // mid (producer id 1) is gone, abs-send-time moved to the viewer's id with our send time.
    EXPECT_FALSE(out->hasExtension(1));
    EXPECT_FALSE(out->hasExtension(2));
    auto ast = out->extension(kViewerAbsSendTimeId);
    ASSERT_TRUE(ast.has_value());
    EXPECT_EQ(rtp::AbsSendTime::parse(*ast)->value,
              rtp::AbsSendTime::fromMicros(123'456'789).value);
  }
}

// Where the viewer negotiated the producer's ids, the copy keeps the input's index instead of
// being parsed again: that index must still find every element, including abs-send-time added
// to a packet that came without a block.
TEST(ConsumerTest, KeepsElementsAtTheProducersIdsAndAddsAbsSendTime) {
  constexpr uint8_t kOpus = 111;
  constexpr uint8_t kAudioLevelId = 1;
  constexpr uint8_t kAbsSendTimeId = 3;
  RtpParameters producerSide;
  producerSide.codecs.push_back({"audio/opus", kOpus, 48000, 2, {}, {}});
  producerSide.headerExtensions = {{std::string(rtp::extension_uri::kAudioLevel), kAudioLevelId},
                                   {std::string(rtp::extension_uri::kAbsSendTime), kAbsSendTimeId}};
  RtpParameters viewerSide = producerSide;
  viewerSide.encodings.push_back({kConsumerSsrc, "", std::nullopt});
  Consumer consumer("c", "p", MediaKind::kAudio, viewerSide, producerSide, false, kInitialSequence);

  const std::vector<uint8_t> payload = {0x78, 1, 2, 3, 4, 5, 6, 7};
  const uint8_t level[] = {0x85};
  for (const bool withLevel : {true, false}) {
    SCOPED_TRACE(withLevel);
    std::vector<uint8_t> inBytes(200);
    auto in = rtp::RtpPacket::build(inBytes, kOpus, withLevel ? 7 : 8, 960, 0xABCD, payload);
    ASSERT_TRUE(in.has_value());
    if (withLevel) {
      ASSERT_TRUE(in->setExtension(kAudioLevelId, level));
    }
    std::vector<uint8_t> out(1500);
    auto packet = consumer.rewrite(*in, false, out, 123'456'789);
    ASSERT_TRUE(packet.has_value());
    auto parsed = rtp::RtpPacket::parse(packet->bytes());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->ssrc(), kConsumerSsrc);
    // The returned packet's index and a fresh parse of its bytes agree.
    for (const rtp::RtpPacket* p : {&*packet, &*parsed}) {
      EXPECT_EQ(p->hasExtension(kAudioLevelId), withLevel);
      if (withLevel) {
        EXPECT_EQ((*p->extension(kAudioLevelId))[0], level[0]);
      }
      auto ast = p->extension(kAbsSendTimeId);
      ASSERT_TRUE(ast.has_value());
      EXPECT_EQ(rtp::AbsSendTime::parse(*ast)->value,
                rtp::AbsSendTime::fromMicros(123'456'789).value);
      EXPECT_TRUE(
          std::equal(p->payload().begin(), p->payload().end(), payload.begin(), payload.end()));
    }
  }
}

TEST(ConsumerTest, ResumeRestartsAtAKeyframeWithoutASequenceGap) {
  Stream s;
  Producer producer("p", MediaKind::kVideo, producerParameters(), false);
  Consumer consumer("c", "p", MediaKind::kVideo, viewerParameters(), producerParameters(), false,
                    kInitialSequence);
  // The fixture's first keyframe, then delta frames, then another keyframe.
  auto before = feed(producer, consumer, s, 0, 5);
  ASSERT_EQ(before.sequences.size(), 5u);
  EXPECT_FALSE(consumer.setPaused(true));
  auto paused = feed(producer, consumer, s, 5, 6);
  EXPECT_TRUE(paused.sequences.empty());
  EXPECT_EQ(consumer.counters().droppedPaused, 1u);
  size_t nextKey = 6;
  while (nextKey < s.packets.size() &&
         !s.packets[nextKey].name.starts_with("VP8 keyframe packet 1/"))
    ++nextKey;
  ASSERT_GT(nextKey, 6u);
  ASSERT_LT(nextKey, s.packets.size());
  EXPECT_TRUE(consumer.setPaused(false));  // needs a keyframe now
  EXPECT_TRUE(consumer.waitingForKeyFrame());
  auto after = feed(producer, consumer, s, 6, s.packets.size());
  ASSERT_FALSE(after.sequences.empty());
  EXPECT_EQ(consumer.counters().droppedWaitingForKeyframe, nextKey - 6);
  EXPECT_EQ(after.sequences.front(), static_cast<uint16_t>(before.sequences.back() + 1));
  auto firstOut = rtp::RtpPacket::parse(after.bytes.front());
  ASSERT_TRUE(firstOut.ok());
  // It restarted on the first packet of a keyframe.
  EXPECT_TRUE(router::isKeyframeStart(router::VideoCodec::kVp8, firstOut->payload()));
}

TEST(ConsumerTest, DropsPayloadTypesTheViewerDidNotNegotiate) {
  Stream s;
  control::RtpParameters viewer = viewerParameters();
  viewer.codecs[0].mimeType = "video/H264";
  Producer producer("p", MediaKind::kVideo, producerParameters(), false);
  Consumer consumer("c", "p", MediaKind::kVideo, viewer, producerParameters(), false, 0);
  auto f = feed(producer, consumer, s, 0, 10);
  EXPECT_TRUE(f.sequences.empty());
  EXPECT_EQ(consumer.counters().droppedUnknownPayloadType, 10u);
}

TEST(ConsumerTest, SenderInfoExtrapolatesTheRtpClock) {
  Stream s;
  Producer producer("p", MediaKind::kVideo, producerParameters(), false);
  Consumer consumer("c", "p", MediaKind::kVideo, viewerParameters(), producerParameters(), false,
                    0);
  EXPECT_FALSE(consumer.makeSenderInfo(0, 0).has_value());
  auto f = feed(producer, consumer, s, 0, 3);  // sent at 123'456'789 us
  ASSERT_EQ(f.bytes.size(), 3u);
  auto last = rtp::RtpPacket::parse(f.bytes.back());
  auto info = consumer.makeSenderInfo(123'456'789 + 100'000, 42);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->ntpTimestamp, 42u);
  EXPECT_EQ(info->rtpTimestamp, last->timestamp() + 9000);  // 100 ms at 90 kHz
  EXPECT_EQ(info->packetCount, 3u);
}

}  // namespace
