#include "bench/LoadOptions.hpp"

#include <sched.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "bench/HexBytes.hpp"
#include "bench/HttpClient.hpp"

namespace switchyard::bench {

namespace {

constexpr double kMaxSeconds = 24 * 3600;
constexpr unsigned kMaxThreads = 64;
constexpr double kMaxRatePps = 10'000'000;

bool parseDouble(const char* text, double min, double max, double& out) {
  char* end = nullptr;
  out = std::strtod(text, &end);
  return end != text && *end == '\0' && out >= min && out <= max;
}

template <typename T>
bool parseUnsigned(std::string_view text, T min, T max, T& out) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < static_cast<uint64_t>(min) ||
      v > static_cast<uint64_t>(max)) {
    return false;
  }
  out = static_cast<T>(v);
  return true;
}

// "1,3,5-7"
template <typename T>
bool parseList(std::string_view text, T max, std::vector<T>& out) {
  out.clear();
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t dash = item.find('-');
    T first = 0, last = 0;
    if (dash == std::string_view::npos) {
      if (!parseUnsigned<T>(item, 0, max, first)) return false;
      last = first;
    } else if (!parseUnsigned<T>(item.substr(0, dash), 0, max, first) ||
               !parseUnsigned<T>(item.substr(dash + 1), first, max, last)) {
      return false;
    }
    for (uint64_t v = static_cast<uint64_t>(first); v <= static_cast<uint64_t>(last); ++v) {
      out.push_back(static_cast<T>(v));
    }
  }
  return !out.empty();
}

}  // namespace

const char* loadModeName(LoadMode mode) {
  switch (mode) {
    case LoadMode::kPlain:
      return "plain";
    case LoadMode::kSrtp:
      return "srtp";
    case LoadMode::kWebRtc:
      return "webrtc";
  }
  return "?";
}

void printLoadUsage(std::FILE* out) {
  std::fputs(
      "usage: switchyard-bench load --mode plain|srtp|webrtc [options]\n"
      "\n"
      "One publisher stream out, N receivers in; prints one JSON object on stdout: packets sent,\n"
      "per receiver and in total what arrived (loss, duplicates, reordering, latency p50/p99/max\n"
      "in us), delivery ratio = unique received / (sent x N), and the tool's own CPU time.\n"
      "Exit status: 0 once the run happened, 1 on a setup failure, 2 on a bad command line.\n"
      "\n"
      "modes:\n"
      "  plain    RTP to --to; receivers are UDP sockets on --listen at --recv-port P..P+N-1\n"
      "           (what `switchyard-bench relay --dest-port P --outputs N` forwards to)\n"
      "  srtp     the same, SRTP-protected with --send-key; receivers unprotect a sample with\n"
      "           --recv-key (one key for every receiver)\n"
      "  webrtc   WHIP publisher + N WHEP viewers against a switchyard server: ICE (controlling,\n"
      "           aggressive nomination), DTLS client, DTLS-SRTP keys\n"
      "\n"
      "run:\n"
      "  --seconds S            sending time (default 5)\n"
      "  --drain S              receiving goes on this long after sending stops (default 0.5)\n"
      "\n"
      "stream (all modes):\n"
      "  --video-kbps K         video bit rate (default 2500)\n"
      "  --fps F                video frames per second (default 30)\n"
      "  --packet-size B        largest RTP packet, header included, before the SRTP tag\n"
      "                         (default 1200, 64..1400); in --rate mode every packet's size\n"
      "  --keyframe-interval S  a keyframe (8x a delta frame) every S seconds (default 2)\n"
      "  --audio                add an Opus-like stream: 50 packets/s of 100-160 bytes, 48 kHz\n"
      "  --no-video             no video stream (use with --audio)\n"
      "  --rate PPS             instead of the video-like stream: --packet-size packets at PPS\n"
      "                         (each a one-packet VP8 frame), in bursts at most every 1 ms\n"
      "  --video-ssrc N         the video stream's SSRC (default: random)\n"
      "  --burst-interval-us U  the least time between --rate bursts (default 1000; 0: every\n"
      "                         packet when due)\n"
      "\n"
      "receivers:\n"
      "  --receivers N          number of receivers (default 1; --viewers is the same)\n"
      "  --threads T            receiving threads (default 1); the sender runs on thread 0\n"
      "  --cpu LIST             CPUs to pin to, e.g. 1 or 0,1 or 2-5: thread i on LIST[i % len]\n"
      "  --rcvbuf BYTES         SO_RCVBUF of each receiving socket (default 4194304; the kernel\n"
      "                         caps it at net.core.rmem_max)\n"
      "  --wait MODE            how receiving threads wait for datagrams (default interval):\n"
      "                         interval: sleep --poll-interval-us, then collect what is ready;\n"
      "                         epoll: block in epoll_wait; busy: never sleep (100% of a CPU).\n"
      "                         On loopback a forwarder's send runs our sockets' receive path\n"
      "                         on its own CPU, waking a thread blocked in epoll included: with\n"
      "                         epoll the forwarder pays a wake-up per batch it delivers (here\n"
      "                         that halved the relay's throughput); interval and busy leave\n"
      "                         nobody to wake\n"
      "  --poll-interval-us U   the interval of --wait interval (default 100); latency readings\n"
      "                         include up to U us of it\n"
      "  --no-decrypt           count from RTP headers only, never read payloads (no latency);\n"
      "                         for a forwarder whose encryption we cannot undo (relay --srtp)\n"
      "  --send-plain           srtp mode: send plain RTP, receive SRTP (--recv-key), for a\n"
      "                         forwarder that encrypts only its outputs\n"
      "  --decrypt-every K      with SRTP, unprotect every K-th packet per receiver and the first\n"
      "                         4 of each stream (default 16; 1 = all, then loss is counted from\n"
      "                         our payload counter instead of RTP sequence numbers)\n"
      "\n"
      "plain and srtp:\n"
      "  --to IP:PORT           where the forwarder listens (required)\n"
      "  --listen IP            address to bind the sender and receivers (default 127.0.0.1)\n"
      "  --recv-port P          first receiver port (required unless --recv-ports)\n"
      "  --recv-ports LIST      receiver ports, e.g. 6000-6099 or 6000,6002 (sets N)\n"
      "\n"
      "srtp:\n"
      "  --srtp-profile NAME    aes128-cm-sha1-80 (default) or aead-aes-128-gcm; in webrtc mode\n"
      "                         the only profile offered in DTLS (default: GCM, then CM)\n"
      "  --send-key HEX         master key + salt the sender protects with (30 bytes for\n"
      "                         aes128-cm-sha1-80, 28 for GCM; required)\n"
      "  --recv-key HEX[,HEX..] master key + salt every receiver unprotects with, or one per\n"
      "                         receiver in port order (default: the send key, right for a\n"
      "                         forwarder that passes SRTP through)\n"
      "\n"
      "webrtc:\n"
      "  --server URL           the switchyard server (default http://127.0.0.1:8080)\n"
      "  --stream NAME          stream name: POST /whip/NAME and N x POST /whep/NAME (default "
      "load)\n"
      "  --token JWT            Authorization: Bearer token (not needed for --dev on loopback)\n"
      "  --listen IP            local address of the peers' sockets (default 127.0.0.1)\n"
      "  --setup-timeout S      ICE + DTLS of all peers must finish in this (default 30)\n"
      "  --keep-sessions        do not DELETE the sessions at the end\n",
      out);
}

bool parseLoadOptions(int argc, char** argv, LoadOptions& o, bool* help, std::string* error) {
  *help = false;
  bool haveMode = false, haveReceivers = false;
  std::string recvKeyText, sendKeyText;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto bad = [&](const char* what) {
      *error = std::string("bad ") + std::string(a) + ": " + what;
      return false;
    };
    // Flags without a value.
    if (a == "--help" || a == "-h") {
      *help = true;
      return true;
    }
    if (a == "--audio") {
      o.media.audio = true;
      continue;
    }
    if (a == "--no-video") {
      o.media.video = false;
      continue;
    }
    if (a == "--no-decrypt") {
      o.noDecrypt = true;
      continue;
    }
    if (a == "--send-plain") {
      o.sendPlain = true;
      continue;
    }
    if (a == "--keep-sessions") {
      o.keepSessions = true;
      continue;
    }

    if (i + 1 >= argc) {
      *error = std::string(a) + " needs a value (or is unknown)";
      return false;
    }
    const char* v = argv[++i];
    const std::string_view value = v;
    if (a == "--mode") {
      haveMode = true;
      if (value == "plain") {
        o.mode = LoadMode::kPlain;
      } else if (value == "srtp") {
        o.mode = LoadMode::kSrtp;
      } else if (value == "webrtc") {
        o.mode = LoadMode::kWebRtc;
      } else {
        return bad("plain, srtp or webrtc");
      }
    } else if (a == "--seconds") {
      if (!parseDouble(v, 0.01, kMaxSeconds, o.seconds)) return bad("0.01 .. 86400");
    } else if (a == "--drain") {
      if (!parseDouble(v, 0, 60, o.drain)) return bad("0 .. 60");
    } else if (a == "--video-kbps") {
      if (!parseUnsigned<uint32_t>(value, 1, 1'000'000, o.media.videoKbps)) {
        return bad("1 .. 1000000");
      }
    } else if (a == "--fps") {
      if (!parseDouble(v, 1, 240, o.media.fps)) return bad("1 .. 240");
    } else if (a == "--video-ssrc") {
      uint32_t ssrc = 0;
      if (!parseUnsigned<uint32_t>(value, 1, UINT32_MAX, ssrc)) return bad("1 .. 4294967295");
      o.videoSsrc = ssrc;
    } else if (a == "--packet-size") {
      if (!parseUnsigned<size_t>(value, MediaSource::kMinPacketSize, MediaSource::kMaxPacketSize,
                                 o.media.packetSize)) {
        return bad("64 .. 1400");
      }
    } else if (a == "--keyframe-interval") {
      if (!parseDouble(v, 0.01, 3600, o.media.keyframeIntervalS)) return bad("0.01 .. 3600");
    } else if (a == "--burst-interval-us") {
      double us = 0;
      if (!parseDouble(v, 0, 1e6, us)) return bad("0 .. 1000000");
      o.media.burstIntervalNs = static_cast<int64_t>(us * 1000);
    } else if (a == "--rate") {
      if (!parseDouble(v, 1, kMaxRatePps, o.media.ratePps)) return bad("1 .. 10000000");
    } else if (a == "--receivers" || a == "--viewers") {
      haveReceivers = true;
      if (!parseUnsigned<size_t>(value, 1, LoadOptions::kMaxReceivers, o.receivers)) {
        return bad("1 .. 10000");
      }
    } else if (a == "--threads") {
      if (!parseUnsigned<unsigned>(value, 1, kMaxThreads, o.threads)) return bad("1 .. 64");
    } else if (a == "--cpu") {
      if (!parseList<int>(value, CPU_SETSIZE - 1, o.cpus)) return bad("a CPU list like 1 or 0,2-3");
    } else if (a == "--rcvbuf") {
      if (!parseUnsigned<int>(value, 4096, 1 << 30, o.receiveBufferBytes)) {
        return bad("4096 .. 1073741824");
      }
    } else if (a == "--wait") {
      if (value != "epoll" && value != "busy" && value != "interval") {
        return bad("epoll, busy or interval");
      }
      o.wait = value;
    } else if (a == "--poll-interval-us") {
      if (!parseUnsigned<int64_t>(value, 1, 1'000'000, o.pollIntervalUs))
        return bad("1 .. 1000000");
    } else if (a == "--decrypt-every") {
      if (!parseUnsigned<unsigned>(value, 1, 1'000'000, o.decryptEvery)) return bad("1 ..");
    } else if (a == "--to") {
      o.to = value;
    } else if (a == "--listen") {
      o.listen = value;
    } else if (a == "--recv-port") {
      if (!parseUnsigned<uint16_t>(value, 1, 65535, o.receivePort)) return bad("1 .. 65535");
    } else if (a == "--recv-ports") {
      if (!parseList<uint16_t>(value, 65535, o.receivePorts)) return bad("a port list");
    } else if (a == "--srtp-profile") {
      if (value == "aes128-cm-sha1-80") {
        o.srtpProfile = transport::SrtpProfile::kAes128CmHmacSha1_80;
      } else if (value == "aead-aes-128-gcm") {
        o.srtpProfile = transport::SrtpProfile::kAeadAes128Gcm;
      } else {
        return bad("aes128-cm-sha1-80 or aead-aes-128-gcm");
      }
    } else if (a == "--send-key") {
      sendKeyText = value;
    } else if (a == "--recv-key") {
      recvKeyText = value;
    } else if (a == "--server") {
      o.server = value;
    } else if (a == "--stream") {
      o.stream = value;
    } else if (a == "--token") {
      o.token = value;
    } else if (a == "--setup-timeout") {
      if (!parseDouble(v, 1, 600, o.setupTimeoutS)) return bad("1 .. 600");
    } else {
      *error = "unknown option " + std::string(a);
      return false;
    }
  }
  if (!haveMode) {
    *error = "--mode is required";
    return false;
  }
  if (!o.media.video && !o.media.audio) {
    *error = "--no-video needs --audio";
    return false;
  }
  if (o.mode != LoadMode::kWebRtc) {
    if (o.to.empty()) {
      *error = "--to IP:PORT is required in plain and srtp mode";
      return false;
    }
    if (!o.receivePorts.empty()) {
      if (haveReceivers && o.receivers != o.receivePorts.size()) {
        *error = "--receivers disagrees with the length of --recv-ports";
        return false;
      }
      o.receivers = o.receivePorts.size();
    } else {
      if (o.receivePort == 0) {
        *error = "--recv-port or --recv-ports is required in plain and srtp mode";
        return false;
      }
      if (o.receivePort + o.receivers - 1 > 65535) {
        *error = "--recv-port + --receivers runs past port 65535";
        return false;
      }
      for (size_t i = 0; i < o.receivers; ++i) {
        o.receivePorts.push_back(static_cast<uint16_t>(o.receivePort + i));
      }
    }
  } else {
    HttpUrl url;
    if (!HttpUrl::parse(o.server, url)) {
      *error = "--server must be http://HOST[:PORT]";
      return false;
    }
  }
  if (o.mode == LoadMode::kSrtp) {
    const auto profile = o.srtpProfile.value_or(transport::SrtpProfile::kAes128CmHmacSha1_80);
    const auto lengths = transport::srtpKeyLengths(profile);
    const size_t keyLength = lengths.masterKey + lengths.masterSalt;
    if (o.sendPlain && recvKeyText.empty()) {
      *error = "--send-plain needs --recv-key";
      return false;
    }
    if (!o.sendPlain && (sendKeyText.empty() || !parseHexBytes(sendKeyText, o.sendKey) ||
                         o.sendKey.size() != keyLength)) {
      *error = "--send-key must be " + std::to_string(keyLength) + " bytes of hex for this profile";
      return false;
    }
    if (recvKeyText.empty()) {
      o.receiveKeys = {o.sendKey};
    } else {
      std::string_view rest = recvKeyText;
      while (true) {
        const auto comma = rest.find(',');
        std::vector<uint8_t> key;
        if (!parseHexBytes(std::string(rest.substr(0, comma)), key) || key.size() != keyLength) {
          *error = "--recv-key must be " + std::to_string(keyLength) +
                   " bytes of hex for this profile, or one such key per receiver, comma-separated";
          return false;
        }
        o.receiveKeys.push_back(std::move(key));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      if (o.receiveKeys.size() != 1 && o.receiveKeys.size() != o.receivers) {
        *error =
            "--recv-key: give one key, or one per receiver (" + std::to_string(o.receivers) + ")";
        return false;
      }
    }
  } else if (!sendKeyText.empty() || !recvKeyText.empty()) {
    *error = "--send-key and --recv-key belong to srtp mode";
    return false;
  }
  return true;
}

}  // namespace switchyard::bench
