#pragma once
// The command line of `switchyard-bench load` (printLoadUsage() describes every option).

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bench/MediaSource.hpp"
#include "transport/SrtpProfile.hpp"

namespace switchyard::bench {

enum class LoadMode : uint8_t { kPlain, kSrtp, kWebRtc };

const char* loadModeName(LoadMode mode);

struct LoadOptions {
  static constexpr int kDefaultReceiveBufferBytes = 4 << 20;
  static constexpr unsigned kDefaultDecryptEvery = 16;
  static constexpr size_t kMaxReceivers = 10'000;
  static constexpr int64_t kDefaultPollIntervalUs = 100;

  LoadMode mode = LoadMode::kPlain;
  double seconds = 5;
  double drain = 0.5;
  MediaSourceConfig media;  // video/audio shape, --rate

  // plain and srtp
  std::string to;  // IP:PORT
  std::string listen = "127.0.0.1";
  uint16_t receivePort = 0;
  std::vector<uint16_t> receivePorts;  // from --recv-ports, else receivePort..+N-1
  size_t receivers = 1;                // --receivers / --viewers

  // srtp
  std::optional<transport::SrtpProfile> srtpProfile;
  std::vector<uint8_t> sendKey;
  // One key for every receiver, or one per receiver in port order (a forwarder that
  // encrypts each output with its own key, as a Switchyard plain transport does).
  std::vector<std::vector<uint8_t>> receiveKeys;
  bool noDecrypt = false;
  // srtp mode: send plain RTP, receive SRTP (a forwarder that encrypts only its outputs).
  bool sendPlain = false;
  // The video stream's SSRC (--video-ssrc); none: random. A peer SFU may demultiplex by it
  // (Janus's remote publishers take 1000 + 10 x mindex).
  std::optional<uint32_t> videoSsrc;
  unsigned decryptEvery = kDefaultDecryptEvery;

  // webrtc
  std::string server = "http://127.0.0.1:8080";
  std::string stream = "load";
  std::string token;
  double setupTimeoutS = 30;
  bool keepSessions = false;  // no DELETE at the end

  // threads
  unsigned threads = 1;
  std::vector<int> cpus;
  int receiveBufferBytes = kDefaultReceiveBufferBytes;
  // How receiving threads wait (MediaLoop::Wait): epoll, busy or interval.
  std::string wait = "interval";
  int64_t pollIntervalUs = kDefaultPollIntervalUs;
};

// Parses argv (argv[0] is the subcommand). False with *error on a bad command line; *help set
// when --help was asked.
bool parseLoadOptions(int argc, char** argv, LoadOptions& options, bool* help, std::string* error);
void printLoadUsage(std::FILE* out);

}  // namespace switchyard::bench
