// a=rid (RFC 8851 section 10) and a=simulcast (RFC 8853 section 5.1): values from the RFCs'
// examples and from Chromium's simulcast offer; malformed values.

#include <gtest/gtest.h>

#include "control/sdp/Simulcast.hpp"

namespace switchyard::control::sdp {
namespace {

TEST(SimulcastTest, ParsesRidLines) {
  // chromium-simulcast-offer.sdp lines 163-165
  auto q = RidDescription::parse("q send");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->id, "q");
  EXPECT_EQ(q->direction, RidDirection::kSend);
  EXPECT_TRUE(q->payloadTypes.empty());
  EXPECT_TRUE(q->restrictions.empty());
  EXPECT_EQ(q->toString(), "q send");

  // RFC 8851 section 11.1 style: formats first, then restrictions.
  auto r = RidDescription::parse("5 send pt=99,102;max-br=64000;max-width=1280;max-fps=30");
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->id, "5");
  EXPECT_EQ(r->payloadTypes, (std::vector<std::string>{"99", "102"}));
  EXPECT_EQ(r->restrictions.get("max-width"), "1280");
  EXPECT_EQ(r->restrictions.get("max-br"), "64000");
  EXPECT_EQ(r->toString(), "5 send pt=99,102;max-br=64000;max-width=1280;max-fps=30");

  auto recv = RidDescription::parse("hi-res_1 recv max-height=720");
  ASSERT_TRUE(recv.ok());
  EXPECT_EQ(recv->direction, RidDirection::kRecv);
  EXPECT_EQ(recv->restrictions.get("max-height"), "720");
}

TEST(SimulcastTest, RejectsBadRidLines) {
  for (const char* v : {"", "q", "q sendrecv", "q! send", "q send pt=", "q send max-width=1;pt=96",
                        "q send ;;", "q send pt=96,,97"}) {
    SCOPED_TRACE(v);
    EXPECT_FALSE(RidDescription::parse(v).ok());
  }
  EXPECT_FALSE(isValidRid(std::string(kMaxRidLength + 1, 'a')));
  EXPECT_TRUE(isValidRid(std::string(kMaxRidLength, 'a')));
}

TEST(SimulcastTest, ParsesSimulcastAttributes) {
  auto chromium = SimulcastDescription::parse("send q;h;f");
  ASSERT_TRUE(chromium.ok());
  ASSERT_EQ(chromium->send.size(), 3u);
  EXPECT_EQ(chromium->send[0], (SimulcastAlternatives{{"q", false}}));
  EXPECT_EQ(chromium->send[2], (SimulcastAlternatives{{"f", false}}));
  EXPECT_TRUE(chromium->recv.empty());
  EXPECT_EQ(chromium->toString(), "send q;h;f");

  // RFC 8853 section 5.1 example: alternatives and a paused stream, both directions.
  auto both = SimulcastDescription::parse("recv 1;~4 send 2,3;5");
  ASSERT_TRUE(both.ok()) << both.error().toString();
  ASSERT_EQ(both->recv.size(), 2u);
  EXPECT_EQ(both->recv[1], (SimulcastAlternatives{{"4", true}}));
  ASSERT_EQ(both->send.size(), 2u);
  EXPECT_EQ(both->send[0], (SimulcastAlternatives{{"2", false}, {"3", false}}));
  // Written send first; the meaning is unchanged.
  EXPECT_EQ(both->toString(), "send 2,3;5 recv 1;~4");
  auto again = SimulcastDescription::parse(both->toString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *both);
}

TEST(SimulcastTest, RejectsBadSimulcastAttributes) {
  for (const char* v : {"", "send", "send q;h;f recv", "sendrecv q", "send q send h", " rid=1,2",
                        "send q;;h", "send ~", "send q,", "send q;h;f recv a b"}) {
    SCOPED_TRACE(v);
    EXPECT_FALSE(SimulcastDescription::parse(v).ok());
  }
  std::string many = "send 0";
  for (size_t i = 1; i <= kMaxSimulcastStreams; ++i)
    many += ";" + std::to_string(i);
  EXPECT_FALSE(SimulcastDescription::parse(many).ok());
}

}  // namespace
}  // namespace switchyard::control::sdp
