// Producer on real VP8 packets captured from aiortc (tests/fixtures/rtp/aiortc-vp8.hex).
#include <gtest/gtest.h>

#include "router/Producer.hpp"
#include "rtp/extensions/RtpHeaderExtensionMap.hpp"
#include "tests/support/Fixtures.hpp"

namespace {

using namespace switchyard;
using router::MediaKind;
using router::Producer;
using control::RtpParameters;

control::RtpParameters vp8(std::vector<std::pair<std::string, std::string>> feedback,
                           std::optional<uint32_t> ssrc) {
  control::RtpParameters p;
  p.mid = "0";
  p.codecs.push_back({"video/VP8", 97, 90000, 1, {}, std::move(feedback)});
  p.headerExtensions = {{std::string(rtp::extension_uri::kMid), 1}};
  if (ssrc) p.encodings.push_back({ssrc, "", std::nullopt});
  return p;
}

std::vector<std::vector<uint8_t>> packets() {
  std::vector<std::vector<uint8_t>> out;
  for (auto& p : switchyard::test::loadFixture("rtp/aiortc-vp8.hex")) {
    if (p.name.starts_with("VP8 ") && p.name.find("dropped") == std::string::npos) {
      out.push_back(std::move(p.bytes));
    }
  }
  return out;
}

TEST(ProducerTest, CountsPacketsAndTellsKeyframesApart) {
  auto all = packets();
  ASSERT_FALSE(all.empty());
  Producer producer("p", MediaKind::kVideo, vp8({{"nack", "pli"}}, std::nullopt), false);
  EXPECT_FALSE(producer.ssrc().has_value());
  const uint32_t ssrc = rtp::RtpPacket::parse(all[0])->ssrc();
  producer.learnSsrc(ssrc);
  size_t keyframes = 0;
  for (auto& bytes : all) {
    auto packet = rtp::RtpPacket::parse(bytes);
    auto r = producer.onRtp(*packet, 1000);
    EXPECT_TRUE(r.forward);
    keyframes += r.keyframe ? 1 : 0;
  }
  // The fixture holds three keyframe starts ("VP8 keyframe packet 1/...").
  EXPECT_EQ(keyframes, 3u);
  EXPECT_EQ(producer.counters().keyframesReceived, 3u);
  EXPECT_EQ(producer.counters().packetsReceived, all.size());
  ASSERT_NE(producer.statistics(), nullptr);
  EXPECT_EQ(producer.statistics()->ssrc(), ssrc);
}

TEST(ProducerTest, DiscardsUnknownPayloadTypesAndStopsForwardingWhenPaused) {
  auto all = packets();
  control::RtpParameters p = vp8({}, 1234);
  p.codecs[0].payloadType = 96;  // the fixture's packets say 97
  Producer producer("p", MediaKind::kVideo, p, false);
  auto packet = rtp::RtpPacket::parse(all[0]);
  EXPECT_FALSE(producer.onRtp(*packet, 0).forward);
  EXPECT_EQ(producer.counters().packetsDiscarded, 1u);

  Producer paused("q", MediaKind::kVideo, vp8({}, 1234), true);
  auto r = paused.onRtp(*packet, 0);
  EXPECT_FALSE(r.forward);
  EXPECT_TRUE(r.keyframe);  // still seen: a resume can start from it
  paused.setPaused(false);
  EXPECT_TRUE(paused.onRtp(*rtp::RtpPacket::parse(all[1]), 0).forward);
}

TEST(ProducerTest, KeyframeRequestsArePacedAndAnsweredByAKeyframe) {
  auto all = packets();
  Producer producer("p", MediaKind::kVideo, vp8({{"nack", "pli"}}, 1234), false);
  EXPECT_FALSE(producer.pollKeyFrameRequest(0).has_value());
  producer.requestKeyFrame(0);
  auto first = producer.pollKeyFrameRequest(0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->kind, rtp::KeyframeRequestKind::kPli);
  producer.requestKeyFrame(100);  // a second need while the first is outstanding
  EXPECT_FALSE(producer.pollKeyFrameRequest(100).has_value());
  auto repeat = producer.pollKeyFrameRequest(500);  // no keyframe yet: asked again
  ASSERT_TRUE(repeat.has_value());
  EXPECT_TRUE(repeat->repeat);
  // A keyframe answers it: nothing more is asked.
  producer.onRtp(*rtp::RtpPacket::parse(all[0]), 600'000);
  EXPECT_FALSE(producer.pollKeyFrameRequest(2000).has_value());
  EXPECT_EQ(producer.counters().pliSent, 2u);
}

TEST(ProducerTest, FirWhenThatIsAllTheSenderNegotiated) {
  Producer producer("p", MediaKind::kVideo, vp8({{"ccm", "fir"}}, 1234), false);
  producer.requestKeyFrame(0);
  auto r = producer.pollKeyFrameRequest(0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, rtp::KeyframeRequestKind::kFir);
  EXPECT_EQ(producer.counters().firSent, 1u);
}

TEST(ProducerTest, AudioNeverAsksForKeyframes) {
  control::RtpParameters p;
  p.codecs.push_back({"audio/opus", 111, 48000, 2, {}, {}});
  p.encodings.push_back({42u, "", std::nullopt});
  Producer producer("a", MediaKind::kAudio, p, false);
  producer.requestKeyFrame(0);
  EXPECT_FALSE(producer.pollKeyFrameRequest(0).has_value());
}

}  // namespace
