// RtpHeaderExtensionMap: URI <-> id bindings, and reading every typed extension of a packet
// laid out like Chrome's through it.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/RtpHeaderExtensions.hpp"
#include "rtp/RtpPacket.hpp"
#include "rtp/extensions/RtpHeaderExtensionMap.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/Hex.hpp"

namespace switchyard::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

using test::hex;

// The value of "key=value" in a fixture name, "" when absent.
std::string field(const std::string& name, const std::string& key) {
  for (size_t at = name.find(key + "="); at != std::string::npos;
       at = name.find(key + "=", at + 1)) {
    if (at != 0 && name[at - 1] != ' ') continue;
    const size_t begin = at + key.size() + 1;
    return name.substr(begin, name.find(' ', begin) - begin);
  }
  return "";
}

// The session's extension map from a fixture file's header: "#   a=extmap:N URI" (aiortc)
// or "#   N -> URI" (Chromium). URIs without a type here are left out.
RtpHeaderExtensionMap sessionMap(const std::filesystem::path& file) {
  RtpHeaderExtensionMap map;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '#') continue;
    std::istringstream words(line.substr(1));
    std::string first, second, third;
    words >> first >> second >> third;
    if (first.rfind("a=extmap:", 0) == 0) {
      map.add(second, static_cast<uint8_t>(std::stoul(first.substr(9))));
    } else if (second == "->" && !first.empty() &&
               std::isdigit(static_cast<unsigned char>(first[0]))) {
      map.add(third, static_cast<uint8_t>(std::stoul(first)));
    }
  }
  return map;
}

const RtpExtensionType kAllTypes[] = {
    RtpExtensionType::kMid,
    RtpExtensionType::kRtpStreamId,
    RtpExtensionType::kRepairedRtpStreamId,
    RtpExtensionType::kAbsSendTime,
    RtpExtensionType::kTransportSequenceNumber,
    RtpExtensionType::kAudioLevel,
    RtpExtensionType::kVideoOrientation,
    RtpExtensionType::kPlayoutDelay,
    RtpExtensionType::kAbsCaptureTime,
    RtpExtensionType::kDependencyDescriptor,
};

TEST(RtpHeaderExtensionMapTest, UrisAndTypesCorrespond) {
  struct Case {
    std::string_view uri;
    RtpExtensionType type;
  };
  const Case cases[] = {
      {"urn:ietf:params:rtp-hdrext:sdes:mid", RtpExtensionType::kMid},
      {"urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", RtpExtensionType::kRtpStreamId},
      {"urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
       RtpExtensionType::kRepairedRtpStreamId},
      {"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
       RtpExtensionType::kAbsSendTime},
      {"http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
       RtpExtensionType::kTransportSequenceNumber},
      {"urn:ietf:params:rtp-hdrext:ssrc-audio-level", RtpExtensionType::kAudioLevel},
      {"urn:3gpp:video-orientation", RtpExtensionType::kVideoOrientation},
      {"http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
       RtpExtensionType::kPlayoutDelay},
      {"http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
       RtpExtensionType::kAbsCaptureTime},
      {"https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
       RtpExtensionType::kDependencyDescriptor},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(rtpExtensionType(c.uri), c.type) << c.uri;
    EXPECT_EQ(rtpExtensionUri(c.type), c.uri);
  }
  EXPECT_EQ(std::size(cases), kRtpExtensionTypeCount - 1);
  EXPECT_EQ(rtpExtensionType("urn:ietf:params:rtp-hdrext:toffset"), RtpExtensionType::kNone);
  EXPECT_EQ(rtpExtensionType(""), RtpExtensionType::kNone);
  EXPECT_EQ(rtpExtensionType("urn:ietf:params:rtp-hdrext:sdes:mi"), RtpExtensionType::kNone);
  EXPECT_EQ(rtpExtensionUri(RtpExtensionType::kNone), "");
}

TEST(RtpHeaderExtensionMapTest, BindsBothWays) {
  RtpHeaderExtensionMap map;
  for (RtpExtensionType t : kAllTypes)
    EXPECT_FALSE(map.has(t));
  EXPECT_TRUE(map.add(extension_uri::kMid, 4));
  EXPECT_TRUE(map.add(RtpExtensionType::kAbsSendTime, 2));
  EXPECT_TRUE(map.add(extension_uri::kDependencyDescriptor, 200));
  EXPECT_EQ(map.id(RtpExtensionType::kMid), 4);
  EXPECT_EQ(map.id(RtpExtensionType::kAbsSendTime), 2);
  EXPECT_EQ(map.id(RtpExtensionType::kDependencyDescriptor), 200);
  EXPECT_EQ(map.id(RtpExtensionType::kAudioLevel), 0);
  EXPECT_EQ(map.type(4), RtpExtensionType::kMid);
  EXPECT_EQ(map.type(200), RtpExtensionType::kDependencyDescriptor);
  EXPECT_EQ(map.type(0), RtpExtensionType::kNone);
  EXPECT_EQ(map.type(3), RtpExtensionType::kNone);
  EXPECT_EQ(map.type(255), RtpExtensionType::kNone);
}

TEST(RtpHeaderExtensionMapTest, RejectsConflictsAndBadIds) {
  RtpHeaderExtensionMap map;
  ASSERT_TRUE(map.add(RtpExtensionType::kMid, 4));
  EXPECT_TRUE(map.add(RtpExtensionType::kMid, 4));           // same pair again
  EXPECT_FALSE(map.add(RtpExtensionType::kMid, 5));          // type already bound
  EXPECT_FALSE(map.add(RtpExtensionType::kRtpStreamId, 4));  // id already bound
  EXPECT_FALSE(map.add(RtpExtensionType::kRtpStreamId, 0));
  EXPECT_FALSE(map.add(RtpExtensionType::kNone, 7));
  EXPECT_FALSE(map.add("urn:ietf:params:rtp-hdrext:toffset", 7));
  EXPECT_EQ(map.type(7), RtpExtensionType::kNone);
  EXPECT_EQ(map.id(RtpExtensionType::kMid), 4);

  map.remove(RtpExtensionType::kMid);
  EXPECT_EQ(map.type(4), RtpExtensionType::kNone);
  EXPECT_TRUE(map.add(RtpExtensionType::kRtpStreamId, 4));
  map.clear();
  EXPECT_EQ(map.type(4), RtpExtensionType::kNone);
  EXPECT_FALSE(map.has(RtpExtensionType::kRtpStreamId));
}

// A video packet with Chrome's usual extension set, two-byte form because the dependency
// descriptor is longer than 16 bytes: every typed helper reads its element through the map.
TEST(RtpHeaderExtensionMapTest, ReadsEveryTypedExtensionOfAPacket) {
  RtpHeaderExtensionMap map;
  ASSERT_TRUE(map.add(extension_uri::kAbsSendTime, 2));
  ASSERT_TRUE(map.add(extension_uri::kTransportSequenceNumber, 3));
  ASSERT_TRUE(map.add(extension_uri::kMid, 4));
  ASSERT_TRUE(map.add(extension_uri::kPlayoutDelay, 5));
  ASSERT_TRUE(map.add(extension_uri::kAbsCaptureTime, 6));
  ASSERT_TRUE(map.add(extension_uri::kRtpStreamId, 10));
  ASSERT_TRUE(map.add(extension_uri::kRepairedRtpStreamId, 11));
  ASSERT_TRUE(map.add(extension_uri::kVideoOrientation, 13));
  ASSERT_TRUE(map.add(extension_uri::kAudioLevel, 1));

  std::vector<uint8_t> buffer(256);
  auto packet = RtpPacket::build(buffer, 96, 1000, 90000, 0x11223344, hex("deadbeef"));
  ASSERT_TRUE(packet.has_value());
  auto put = [&](RtpExtensionType type, const auto& value) {
    auto room = packet->reserveExtension(map.id(type), value.size());
    ASSERT_TRUE(room.has_value());
    ASSERT_TRUE(value.write(*room));
  };
  put(RtpExtensionType::kAbsSendTime, AbsSendTime{0x0A0B0C});
  put(RtpExtensionType::kTransportSequenceNumber, TransportSequenceNumber{4242});
  put(RtpExtensionType::kMid, Mid{"1"});
  put(RtpExtensionType::kRtpStreamId, RtpStreamId{"h"});
  put(RtpExtensionType::kVideoOrientation, VideoOrientation{false, false, 270});
  put(RtpExtensionType::kPlayoutDelay, PlayoutDelay{0, 40});
  put(RtpExtensionType::kAbsCaptureTime, AbsCaptureTime{0xE9F0A0B180000000, int64_t{-5}});
  put(RtpExtensionType::kAudioLevel, AudioLevel{true, 30});
  EXPECT_EQ(packet->extensionForm(), RtpPacket::ExtensionForm::kOneByte);
  // abs-capture-time with its offset is 16 bytes, still one-byte form; a 20-byte value is not.
  ASSERT_TRUE(map.add(extension_uri::kDependencyDescriptor, 12));
  ASSERT_TRUE(packet->setExtension(map.id(RtpExtensionType::kDependencyDescriptor),
                                   hex("c1017280081485214eafffaaaa863cf0430c10c3")));
  EXPECT_EQ(packet->extensionForm(), RtpPacket::ExtensionForm::kTwoByte);

  auto p = RtpPacket::parse(packet->bytes(), packet->capacity());
  ASSERT_TRUE(p.ok());
  auto get = [&](RtpExtensionType type) { return *p->extension(map.id(type)); };
  EXPECT_EQ(AbsSendTime::parse(get(RtpExtensionType::kAbsSendTime))->value, 0x0A0B0Cu);
  EXPECT_EQ(TransportSequenceNumber::parse(get(RtpExtensionType::kTransportSequenceNumber))->value,
            4242);
  EXPECT_EQ(Mid::parse(get(RtpExtensionType::kMid))->value, "1");
  EXPECT_EQ(RtpStreamId::parse(get(RtpExtensionType::kRtpStreamId))->value, "h");
  EXPECT_FALSE(p->extension(map.id(RtpExtensionType::kRepairedRtpStreamId)).has_value());
  EXPECT_EQ(VideoOrientation::parse(get(RtpExtensionType::kVideoOrientation))->rotation, 270);
  EXPECT_EQ(PlayoutDelay::parse(get(RtpExtensionType::kPlayoutDelay))->maxMs(), 400u);
  auto capture = AbsCaptureTime::parse(get(RtpExtensionType::kAbsCaptureTime));
  ASSERT_TRUE(capture.ok());
  EXPECT_EQ(capture->captureTimestamp, 0xE9F0A0B180000000u);
  EXPECT_EQ(capture->estimatedClockOffset, int64_t{-5});
  auto level = AudioLevel::parse(get(RtpExtensionType::kAudioLevel));
  EXPECT_TRUE(level->voiceActivity);
  EXPECT_EQ(level->level, 30);
  EXPECT_EQ(get(RtpExtensionType::kDependencyDescriptor).size(), 20u);
  EXPECT_EQ(std::vector<uint8_t>(p->payload().begin(), p->payload().end()), hex("deadbeef"));

  // Dropping the long element brings the one-byte form back.
  ASSERT_TRUE(p->removeExtension(12));
  EXPECT_EQ(p->extensionForm(), RtpPacket::ExtensionForm::kOneByte);
  EXPECT_EQ(Mid::parse(*p->extension(4))->value, "1");
}

// Captured packets, read through each session's own map: every value the fixture name gives
// (decoded by the capture's independent dissector) matches the typed helper's reading.
TEST(RtpHeaderExtensionMapTest, ReadsCapturedExtensionsThroughTheSessionMap) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(SWITCHYARD_FIXTURES_DIR) / "rtp";
  if (!fs::exists(dir)) GTEST_SKIP() << "no fixtures";
  size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".hex") continue;
    const std::string file = entry.path().filename().string();
    const RtpHeaderExtensionMap map = sessionMap(entry.path());
    const bool chromiumNames = file.rfind("chromium-", 0) == 0;
    for (auto& fixture : test::loadFixture("rtp/" + file)) {
      Bytes& bytes = fixture.bytes;
      if (bytes.size() < 2 || (bytes[1] >= 192 && bytes[1] <= 223)) continue;
      SCOPED_TRACE(file + ": " + fixture.name);
      bytes[0] &= 0xDF;  // SRTP pad counts are encrypted; padding is not looked at here
      auto p = RtpPacket::parse(bytes);
      ASSERT_TRUE(p.ok());
      const std::string& name = fixture.name;
      // Chromium names: "kind(id)=value"; the id must be the one the map gives the kind.
      auto chromium = [&](const char* kind, RtpExtensionType type) -> std::optional<std::string> {
        const uint8_t id = map.id(type);
        if (id == 0 || !chromiumNames) return std::nullopt;
        const std::string v = field(name, std::string(kind) + "(" + std::to_string(id) + ")");
        EXPECT_EQ(v.empty(), !p->hasExtension(id)) << kind;
        if (v.empty()) return std::nullopt;
        ++checked;
        return v;
      };
      auto value = [&](RtpExtensionType type) { return *p->extension(map.id(type)); };
      if (auto v = chromium("abs-send-time", RtpExtensionType::kAbsSendTime)) {
        EXPECT_EQ(AbsSendTime::parse(value(RtpExtensionType::kAbsSendTime))->value,
                  std::stoul(*v, nullptr, 16));
      }
      if (auto v = chromium("twcc", RtpExtensionType::kTransportSequenceNumber)) {
        EXPECT_EQ(TransportSequenceNumber::parse(value(RtpExtensionType::kTransportSequenceNumber))
                      ->value,
                  std::stoul(*v));
      }
      if (auto v = chromium("mid", RtpExtensionType::kMid)) {
        auto mid = Mid::parse(value(RtpExtensionType::kMid));
        ASSERT_TRUE(mid.ok());
        EXPECT_EQ("'" + std::string(mid->value) + "'", *v);
      }
      if (auto v = chromium("rid", RtpExtensionType::kRtpStreamId)) {
        auto rid = RtpStreamId::parse(value(RtpExtensionType::kRtpStreamId));
        ASSERT_TRUE(rid.ok());
        EXPECT_EQ("'" + std::string(rid->value) + "'", *v);
        EXPECT_EQ(std::string(rid->value), field(name, "rid"));
      }
      if (auto v = chromium("repaired-rid", RtpExtensionType::kRepairedRtpStreamId)) {
        auto rid = RtpStreamId::parse(value(RtpExtensionType::kRepairedRtpStreamId));
        ASSERT_TRUE(rid.ok());
        EXPECT_EQ("'" + std::string(rid->value) + "'", *v);
      }
      if (auto v = chromium("audio-level", RtpExtensionType::kAudioLevel)) {
        auto level = AudioLevel::parse(value(RtpExtensionType::kAudioLevel));
        ASSERT_TRUE(level.ok());
        EXPECT_EQ(*v, "V=" + std::to_string(level->voiceActivity) + ",level=-" +
                          std::to_string(level->level) + "dBov");
      }
      if (auto v = chromium("abs-capture-time", RtpExtensionType::kAbsCaptureTime)) {
        auto t = AbsCaptureTime::parse(value(RtpExtensionType::kAbsCaptureTime));
        ASSERT_TRUE(t.ok());
        EXPECT_EQ(t->captureTimestamp, std::stoull(field(*v, "ntp"), nullptr, 16));
        const std::string offset = v->substr(v->find("offset=") + 7);
        ASSERT_TRUE(t->estimatedClockOffset.has_value());
        EXPECT_EQ(static_cast<uint64_t>(*t->estimatedClockOffset),
                  std::stoull(offset, nullptr, 16));
      }
      if (auto v = chromium("playout-delay", RtpExtensionType::kPlayoutDelay)) {
        auto d = PlayoutDelay::parse(value(RtpExtensionType::kPlayoutDelay));
        ASSERT_TRUE(d.ok());
        EXPECT_EQ(*v, "min=" + std::to_string(d->minMs()) + "ms,max=" + std::to_string(d->maxMs()) +
                          "ms");
      }
      if (auto v = chromium("video-orientation", RtpExtensionType::kVideoOrientation)) {
        auto o = VideoOrientation::parse(value(RtpExtensionType::kVideoOrientation));
        ASSERT_TRUE(o.ok());
        EXPECT_EQ(*v, "C=" + std::to_string(o->backCamera) +
                          ",F=" + std::to_string(o->horizontalFlip) +
                          ",R=" + std::to_string(o->rotation / 90));
      }
      // aiortc names: raw value bytes in hex.
      auto raw = [&](const char* key, RtpExtensionType type) -> std::optional<std::string> {
        const std::string v = field(name, key);
        if (v.empty() || map.id(type) == 0 || v.find('(') != std::string::npos) {
          return std::nullopt;
        }
        auto element = p->extension(map.id(type));
        EXPECT_TRUE(element.has_value()) << key;
        if (!element) return std::nullopt;
        std::string hexValue;
        for (uint8_t b : *element) {
          char two[3];
          std::snprintf(two, sizeof two, "%02x", b);
          hexValue += two;
        }
        EXPECT_EQ(hexValue, v) << key;
        ++checked;
        return v;
      };
      if (raw("mid", RtpExtensionType::kMid)) {
        EXPECT_TRUE(Mid::parse(value(RtpExtensionType::kMid)).ok());
      }
      if (auto v = raw("abs-send-time", RtpExtensionType::kAbsSendTime)) {
        EXPECT_EQ(AbsSendTime::parse(value(RtpExtensionType::kAbsSendTime))->value,
                  std::stoul(*v, nullptr, 16));
      }
      if (auto v = raw("audio-level", RtpExtensionType::kAudioLevel)) {
        auto level = AudioLevel::parse(value(RtpExtensionType::kAudioLevel));
        ASSERT_TRUE(level.ok());
        EXPECT_EQ(level->level, std::stoul(*v, nullptr, 16) & 0x7F);
      }
    }
  }
  if (checked == 0) GTEST_SKIP() << "no extension values in the fixtures";
  EXPECT_GT(checked, 100u);
}

}  // namespace
}  // namespace switchyard::rtp
