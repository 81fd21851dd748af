// Writes the seed corpora of FrameDecoderFuzz, MessageFuzz and RtpParametersFuzz: real frames
// of every message kind and real RTP parameters, built with the same helpers as the worker and
// the orchestrator.
// Usage: MakeSeedCorpus tests/fuzz/corpus

#include <fstream>
#include <string>

#include "control/channel/MessageBuilder.hpp"
#include "control/channel/RtpParameters.hpp"

namespace {

using namespace switchyard;
namespace fb = flatbuffers;

void write(const std::string& path, const fb::FlatBufferBuilder& b,
           const std::string& prefix = "") {
  std::ofstream out(path, std::ios::binary);
  out << prefix;
  auto span = b.GetBufferSpan();
  out.write(reinterpret_cast<const char*>(span.data()), static_cast<std::streamsize>(span.size()));
}

}  // namespace

int main(int argc, char* argv[]) {
  if (argc != 2) return 64;
  std::string dir = argv[1];
  std::string msg = dir + "/MessageFuzz/";
  std::string dec = dir + "/FrameDecoderFuzz/";
  fb::FlatBufferBuilder b;

  control::finishRequest(b, 1, fbs::request::Method::WORKER_DUMP, "", fbs::request::Body::NONE, 0);
  write(msg + "request-dump", b);
  write(dec + "request-dump", b, std::string(1, '\x07'));

  b.Clear();
  std::vector<fb::Offset<fbs::common::StringString>> params = {
      fbs::common::CreateStringStringDirect(b, "useinbandfec", "1")};
  std::vector<fb::Offset<fbs::common::RtpCodecCapability>> codecs = {
      fbs::common::CreateRtpCodecCapabilityDirect(b, fbs::common::MediaKind::AUDIO, "audio/opus",
                                                  111, 48000, 2, &params),
      fbs::common::CreateRtpCodecCapabilityDirect(b, fbs::common::MediaKind::VIDEO, "video/VP8", 96,
                                                  90000)};
  auto create = fbs::worker::CreateCreateRouterRequestDirect(b, "room-1", &codecs);
  control::finishRequest(b, 2, fbs::request::Method::WORKER_CREATE_ROUTER, "",
                         fbs::request::Body::Worker_CreateRouterRequest, create.Union());
  write(msg + "request-create-router", b);
  write(dec + "request-create-router", b, std::string(1, '\x03'));

  b.Clear();
  std::vector<fb::Offset<fb::String>> tags = {b.CreateString("ice"), b.CreateString("rtp")};
  auto settings = fbs::worker::CreateUpdateSettingsRequestDirect(b, "debug", &tags);
  control::finishRequest(b, 3, fbs::request::Method::WORKER_UPDATE_SETTINGS, "",
                         fbs::request::Body::Worker_UpdateSettingsRequest, settings.Union());
  write(msg + "request-update-settings", b);

  b.Clear();
  std::vector<fb::Offset<fb::String>> ids = {b.CreateString("room-1")};
  auto stats = fbs::worker::CreateChannelStats(b, 10, 9, 1000, 900);
  auto dump = fbs::worker::CreateDumpResponseDirect(b, 0, 1234, &ids, stats, "info");
  control::finishResponse(b, 1, fbs::response::Body::Worker_DumpResponse, dump.Union());
  write(msg + "response-dump", b);
  write(dec + "response-dump", b, std::string(1, '\x01'));

  b.Clear();
  control::finishErrorResponse(b, 4, fbs::response::ErrorType::NOT_FOUND, "no router 'x'");
  write(msg + "response-error", b);

  b.Clear();
  auto running = fbs::worker::CreateRunningNotificationDirect(b, 0, 1234, "0.1.0");
  control::finishNotification(b, "", fbs::notification::Event::WORKER_RUNNING,
                              fbs::notification::Body::Worker_RunningNotification, running.Union());
  write(msg + "notification-running", b);

  b.Clear();
  control::finishLog(b, fbs::log::LogLevel::WARN, 2, "channel", "dropped a frame",
                     1700000000000000);
  write(msg + "log", b);
  write(dec + "log", b, std::string(1, '\x3f'));

  // A WHIP-style video producer with RTX, and an Opus consumer.
  const std::string rtp = dir + "/RtpParametersFuzz/";
  control::RtpParameters video;
  video.mid = "1";
  video.codecs.push_back({"video/VP8", 96, 90000, 1, {}, {{"nack", "pli"}, {"ccm", "fir"}}});
  video.codecs.push_back({"video/rtx", 97, 90000, 1, {{"apt", "96"}}, {}});
  video.headerExtensions = {{"urn:ietf:params:rtp-hdrext:sdes:mid", 4}};
  video.encodings.push_back({1111u, "", 2222u});
  video.cname = "publisher";
  b.Clear();
  b.Finish(control::buildRtpParameters(b, video));
  write(rtp + "video-rtx", b);
  control::RtpParameters audio;
  audio.codecs.push_back({"audio/opus", 111, 48000, 2, {{"minptime", "10"}}, {}});
  audio.headerExtensions = {{"urn:ietf:params:rtp-hdrext:ssrc-audio-level", 1}};
  audio.encodings.push_back({3333u, "", std::nullopt});
  b.Clear();
  b.Finish(control::buildRtpParameters(b, audio));
  write(rtp + "audio", b);
  return 0;
}
