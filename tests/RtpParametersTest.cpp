// RtpParameters: what the orchestrator writes is what the worker reads, and the worker refuses
// parameters the media path could not use.
#include <gtest/gtest.h>

#include <functional>

#include "control/channel/RtpParameters.hpp"

namespace {

using namespace switchyard;
using control::RtpParameters;

RtpParameters sample() {
  RtpParameters p;
  p.mid = "1";
  p.codecs.push_back({"video/VP8",
                      96,
                      90000,
                      1,
                      {{"x-google-start-bitrate", "1000"}},
                      {{"nack", ""}, {"nack", "pli"}, {"ccm", "fir"}}});
  p.codecs.push_back({"video/rtx", 97, 90000, 1, {{"apt", "96"}}, {}});
  p.headerExtensions = {{"urn:ietf:params:rtp-hdrext:sdes:mid", 4},
                        {"urn:3gpp:video-orientation", 13}};
  p.encodings.push_back({1111u, "", 2222u});
  p.cname = "abc";
  return p;
}

control::RtpParametersResult roundTrip(const RtpParameters& p) {
  flatbuffers::FlatBufferBuilder b;
  b.Finish(control::buildRtpParameters(b, p));
  flatbuffers::Verifier v(b.GetBufferPointer(), b.GetSize());
  EXPECT_TRUE(v.VerifyBuffer<fbs::common::RtpParameters>(nullptr));
  return control::parseRtpParameters(
      flatbuffers::GetRoot<fbs::common::RtpParameters>(b.GetBufferPointer()));
}

TEST(RtpParametersTest, WhatIsWrittenIsReadBack) {
  auto r = roundTrip(sample());
  ASSERT_FALSE(r.error) << *r.error;
  const auto& p = r.parameters;
  EXPECT_EQ(p.mid, "1");
  ASSERT_EQ(p.codecs.size(), 2u);
  EXPECT_EQ(p.codecs[0].mimeType, "video/VP8");
  EXPECT_EQ(p.codecs[0].parameter("X-Google-Start-Bitrate"), "1000");
  EXPECT_TRUE(p.codecs[0].hasFeedback("nack"));
  EXPECT_TRUE(p.codecs[0].hasFeedback("NACK", "PLI"));
  EXPECT_FALSE(p.codecs[0].hasFeedback("goog-remb"));
  EXPECT_TRUE(p.codecs[1].isRtx());
  EXPECT_EQ(p.codecs[1].associatedPayloadType(), 96);
  EXPECT_EQ(p.firstMediaCodec(), &p.codecs[0]);
  EXPECT_EQ(p.rtxFor(96), &p.codecs[1]);
  EXPECT_EQ(p.codecByPayloadType(97), &p.codecs[1]);
  EXPECT_EQ(p.codecByPayloadType(98), nullptr);
  EXPECT_EQ(p.extensionId("urn:3gpp:video-orientation"), 13);
  EXPECT_EQ(p.extensionId("urn:unknown"), 0);
  ASSERT_EQ(p.encodings.size(), 1u);
  EXPECT_EQ(p.encodings[0].ssrc, 1111u);
  EXPECT_EQ(p.encodings[0].rtxSsrc, 2222u);
  EXPECT_EQ(p.cname, "abc");
}

// Found by RtpParametersFuzz: the writer used C strings and cut values at a NUL byte.
TEST(RtpParametersTest, StringsWithNulBytesSurviveTheRoundTrip) {
  RtpParameters p = sample();
  p.mid = std::string("a\0b", 3);
  p.codecs[0].parameters = {{std::string("k\0", 2), std::string("\0v", 2)}};
  p.cname = std::string("\0", 1);
  auto r = roundTrip(p);
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.parameters.mid, p.mid);
  EXPECT_EQ(r.parameters.codecs[0].parameters, p.codecs[0].parameters);
  EXPECT_EQ(r.parameters.cname, p.cname);
}

TEST(RtpParametersTest, RefusesWhatTheMediaPathCannotUse) {
  struct Case {
    const char* name;
    std::function<void(RtpParameters&)> spoil;
    const char* error;
  };
  const Case cases[] = {
      {"no codecs", [](RtpParameters& p) { p.codecs.clear(); }, "no media codec"},
      {"only rtx", [](RtpParameters& p) { p.codecs.erase(p.codecs.begin()); }, "no media codec"},
      {"payload type 128", [](RtpParameters& p) { p.codecs[0].payloadType = 128; }, "above 127"},
      {"payload type twice", [](RtpParameters& p) { p.codecs[1].payloadType = 96; }, "used twice"},
      {"no clock rate", [](RtpParameters& p) { p.codecs[0].clockRate = 0; }, "no clock rate"},
      {"not type/subtype", [](RtpParameters& p) { p.codecs[0].mimeType = "VP8"; }, "type/subtype"},
      {"rtx apt to nothing",
       [](RtpParameters& p) {
         p.codecs[1].parameters = {{"apt", "99"}};
       },
       "no valid apt"},
      {"rtx apt garbage",
       [](RtpParameters& p) {
         p.codecs[1].parameters = {{"apt", "9x"}};
       },
       "no valid apt"},
      {"extension id 0", [](RtpParameters& p) { p.headerExtensions[0].id = 0; }, "has id 0"},
      {"extension id twice", [](RtpParameters& p) { p.headerExtensions[1].id = 4; }, "used twice"},
      {"ssrc twice", [](RtpParameters& p) { p.encodings[0].rtxSsrc = 1111u; }, "used twice"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RtpParameters p = sample();
    c.spoil(p);
    auto r = roundTrip(p);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_NE(r.error->find(c.error), std::string::npos) << *r.error;
  }
  EXPECT_TRUE(control::parseRtpParameters(nullptr).error.has_value());
}

}  // namespace
