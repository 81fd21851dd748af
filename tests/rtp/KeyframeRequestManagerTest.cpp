// KeyframeRequestManager: coalescing, repeats each interval until a keyframe, immediate new
// requests after a keyframe, FIR sequence numbers per new request (RFC 5104 4.3.1.1).

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "rtp/KeyframeRequestManager.hpp"

namespace switchyard::rtp {
namespace {

struct Step {
  enum Kind { kRequest, kKeyframe, kPoll } kind;
  int64_t t;
  // For kPoll: the request expected, if any.
  std::optional<KeyframeRequest> expect{};
};
Step need(int64_t t) {
  return {Step::kRequest, t};
}
Step keyframe(int64_t t) {
  return {Step::kKeyframe, t};
}
Step none(int64_t t) {
  return {Step::kPoll, t, std::nullopt};
}
Step sends(int64_t t, uint8_t firSeq, bool repeat = false,
           KeyframeRequestKind kind = KeyframeRequestKind::kFir) {
  return {Step::kPoll, t, KeyframeRequest{kind, firSeq, repeat}};
}

struct Scenario {
  std::string name;
  KeyframeRequestConfig config;
  std::vector<Step> steps;
};

KeyframeRequestConfig fir() {
  KeyframeRequestConfig c;
  c.kind = KeyframeRequestKind::kFir;
  return c;  // interval 1000, 4 retries
}

void run(const Scenario& sc) {
  SCOPED_TRACE(sc.name);
  KeyframeRequestManager m(sc.config);
  for (size_t i = 0; i < sc.steps.size(); ++i) {
    const Step& s = sc.steps[i];
    switch (s.kind) {
      case Step::kRequest:
        m.request(s.t);
        break;
      case Step::kKeyframe:
        m.onKeyframe(s.t);
        break;
      case Step::kPoll: {
        const auto got = m.poll(s.t);
        ASSERT_EQ(got.has_value(), s.expect.has_value()) << "step " << i << " at " << s.t;
        if (got) {
          EXPECT_EQ(*got, *s.expect)
              << "step " << i << ": seq " << int{got->firSeq} << (got->repeat ? " repeat" : " new");
        }
        break;
      }
    }
  }
}

TEST(KeyframeRequestManager, Scenarios) {
  KeyframeRequestConfig pli;
  KeyframeRequestConfig twoRetries = fir();
  twoRetries.maxRetries = 2;
  KeyframeRequestConfig shortInterval = fir();
  shortInterval.intervalMs = 200;
  const std::vector<Scenario> scenarios = {
      {"nothing needed, nothing sent", fir(), {none(0), none(10000)}},
      {"first request goes at once", fir(), {need(0), sends(0, 1), none(0)}},
      {"needs while one is outstanding are coalesced",
       fir(),
       {need(0), sends(0, 1), need(100), none(100), need(600), none(600), none(999)}},
      {"repeated with the same FIR number when no keyframe comes",
       fir(),
       {need(0), sends(0, 1), none(999), sends(1000, 1, true), none(1999), sends(2000, 1, true)}},
      {"a keyframe answers it",
       fir(),
       {need(0), sends(0, 1), keyframe(300), none(1000), none(5000)}},
      {"after a keyframe a new need goes at once with the next number",
       fir(),
       {need(0), sends(0, 1), keyframe(100), need(110), sends(110, 2), keyframe(120), need(130),
        sends(130, 3)}},
      {"a keyframe between throttled needs lets the next one through",
       fir(),
       {need(0), sends(0, 1), keyframe(50), need(60), keyframe(61), none(62), need(70),
        sends(70, 2)}},
      {"given up after max retries; a later need is a new request",
       twoRetries,
       {need(0), sends(0, 1), sends(1000, 1, true), sends(2000, 1, true), none(3000), none(9000),
        need(9100), sends(9100, 2), sends(10100, 2, true)}},
      {"interval is configurable",
       shortInterval,
       {need(0), sends(0, 1), need(100), none(199), sends(200, 1, true), keyframe(250), need(260),
        sends(260, 2)}},
      {"PLI kind",
       pli,
       {need(0), sends(0, 1, false, KeyframeRequestKind::kPli),
        sends(1000, 1, true, KeyframeRequestKind::kPli)}},
  };
  for (const auto& sc : scenarios) {
    run(sc);
    if (HasFatalFailure()) return;
  }
}

// RFC 5104 4.3.1.1: the command sequence number is 8 bits and wraps.
TEST(KeyframeRequestManager, FirSequenceNumberWraps) {
  KeyframeRequestManager m(fir());
  int64_t t = 0;
  for (int i = 1; i <= 300; ++i) {
    m.request(t);
    const auto r = m.poll(t);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->firSeq, static_cast<uint8_t>(i));
    EXPECT_FALSE(r->repeat);
    m.onKeyframe(t + 1);
    t += 2;
  }
  EXPECT_EQ(m.requestsSent(), 300u);
}

TEST(KeyframeRequestManager, NextPollTime) {
  KeyframeRequestManager m(fir());
  EXPECT_FALSE(m.nextPollMs());
  EXPECT_FALSE(m.pending());
  m.request(0);
  EXPECT_TRUE(m.pending());
  EXPECT_LE(*m.nextPollMs(), 0);
  ASSERT_TRUE(m.poll(0));
  EXPECT_EQ(m.nextPollMs(), 1000);
  EXPECT_FALSE(m.poll(*m.nextPollMs() - 1));
  EXPECT_TRUE(m.poll(*m.nextPollMs()));
  m.onKeyframe(1500);
  EXPECT_FALSE(m.pending());
  EXPECT_FALSE(m.nextPollMs());
}

TEST(KeyframeRequestManager, Counters) {
  KeyframeRequestConfig c = fir();
  c.maxRetries = 1;
  KeyframeRequestManager m(c);
  m.request(0);
  m.poll(0);
  m.request(10);
  m.request(20);
  m.poll(1000);  // repeat
  m.poll(2000);  // abandoned
  EXPECT_EQ(m.requestsSent(), 1u);
  EXPECT_EQ(m.repeatsSent(), 1u);
  EXPECT_EQ(m.coalesced(), 2u);
  EXPECT_EQ(m.abandoned(), 1u);
  EXPECT_FALSE(m.pending());
}

TEST(KeyframeRequestManager, KindCanChangeKeepingTheNumbering) {
  KeyframeRequestManager m(fir());
  m.request(0);
  EXPECT_EQ(m.poll(0)->firSeq, 1);
  m.onKeyframe(10);
  m.setKind(KeyframeRequestKind::kPli);
  m.request(20);
  const auto r = m.poll(20);
  EXPECT_EQ(r->kind, KeyframeRequestKind::kPli);
  m.onKeyframe(30);
  m.setKind(KeyframeRequestKind::kFir);
  m.request(40);
  EXPECT_EQ(m.poll(40)->firSeq, 3);
}

}  // namespace
}  // namespace switchyard::rtp
