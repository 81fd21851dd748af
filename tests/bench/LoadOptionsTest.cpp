// The load tool's command line, for the options a peer forwarder needs (bench/fanout.py's
// janus and janus-srtp): a fixed video SSRC, plain input with SRTP output, the burst interval.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/LoadOptions.hpp"

namespace switchyard::bench {
namespace {

constexpr const char* kKey = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e";

struct Parsed {
  bool ok = false;
  LoadOptions options;
  std::string error;
};

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "switchyard-bench-load");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  Parsed p;
  bool help = false;
  p.ok = parseLoadOptions(static_cast<int>(argv.size()), argv.data(), p.options, &help, &p.error);
  return p;
}

TEST(LoadOptions, VideoSsrcIsFixedOnlyWhenAsked) {
  auto p = parse({"--mode", "plain", "--to", "127.0.0.1:5000", "--recv-port", "6000"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_FALSE(p.options.videoSsrc);
  p = parse(
      {"--mode", "plain", "--to", "127.0.0.1:5000", "--recv-port", "6000", "--video-ssrc", "1000"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.videoSsrc, 1000u);
  for (const char* bad : {"0", "4294967296", "x"}) {
    p = parse(
        {"--mode", "plain", "--to", "127.0.0.1:5000", "--recv-port", "6000", "--video-ssrc", bad});
    EXPECT_FALSE(p.ok) << bad;
    EXPECT_NE(p.error.find("--video-ssrc"), std::string::npos) << p.error;
  }
}

TEST(LoadOptions, SendPlainNeedsOnlyTheReceiveKey) {
  auto p = parse({"--mode", "srtp", "--to", "127.0.0.1:5000", "--recv-port", "6000", "--send-plain",
                  "--recv-key", kKey});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(p.options.sendPlain);
  EXPECT_TRUE(p.options.sendKey.empty());
  ASSERT_EQ(p.options.receiveKeys.size(), 1u);
  EXPECT_EQ(p.options.receiveKeys[0].size(), 30u);

  p = parse({"--mode", "srtp", "--to", "127.0.0.1:5000", "--recv-port", "6000", "--send-plain"});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.error, "--send-plain needs --recv-key");
  // Without --send-plain the send key is still required.
  p = parse(
      {"--mode", "srtp", "--to", "127.0.0.1:5000", "--recv-port", "6000", "--recv-key", kKey});
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("--send-key must be 30 bytes"), std::string::npos) << p.error;
}

TEST(LoadOptions, BurstIntervalIsInMicroseconds) {
  auto p =
      parse({"--mode", "plain", "--to", "127.0.0.1:5000", "--recv-port", "6000", "--rate", "1000"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.media.burstIntervalNs, 1'000'000);
  p = parse({"--mode", "plain", "--to", "127.0.0.1:5000", "--recv-port", "6000", "--rate", "1000",
             "--burst-interval-us", "250"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.media.burstIntervalNs, 250'000);
  p = parse({"--mode", "plain", "--to", "127.0.0.1:5000", "--recv-port", "6000",
             "--burst-interval-us", "-1"});
  EXPECT_FALSE(p.ok);
}

}  // namespace
}  // namespace switchyard::bench
