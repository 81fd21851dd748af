#include "bench/LoadGenerator.hpp"

#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/HttpClient.hpp"
#include "bench/LoadOptions.hpp"
#include "bench/LoadReceiver.hpp"
#include "bench/LoadSender.hpp"
#include "bench/MediaLoop.hpp"
#include "bench/MediaSource.hpp"
#include "bench/UdpSocketDrops.hpp"
#include "bench/UniqueFd.hpp"
#include "bench/WebRtcPeer.hpp"
#include "transport/SocketAddress.hpp"

namespace switchyard::bench {

namespace {

constexpr int kExitSetupFailure = 1;
constexpr int kExitUsage = 2;
// Threads are started and pinned before the first packet is due.
constexpr int64_t kStartDelayNs = 50'000'000;
// How long to wait for the kernel to start stamping received datagrams (awaitKernelReceiveStamps).
constexpr int64_t kStampWaitNs = 1'000'000'000;
constexpr int kSendBufferBytes = 4 << 20;
// RFC 7675 section 5.1: consent checks every 5 s (we skip the randomisation: one client).
constexpr int64_t kConsentIntervalNs = 5'000'000'000;
constexpr uint64_t kSetupPollMs = 20;
constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr double kNsPerMs = 1e6;
constexpr int kHttpCreated = 201;
constexpr const char* kSdpContentType = "application/sdp";
// uv_loop_close needs every handle closed; closing callbacks run within a few iterations.
constexpr int kMaxCloseIterations = 100;
// The steady window leaves out this fraction of the sending time at the start (connection
// start-up, first keyframe) and everything after the sender stopped (a backlog forwarded late).
constexpr double kSteadySkip = 0.25;

using Json = nlohmann::ordered_json;

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

uint32_t randomSsrc() {
  uint32_t v = 0;
  while (v == 0)
    RAND_bytes(reinterpret_cast<uint8_t*>(&v), sizeof v);
  return v;
}

Json latencyJson(const LatencyHistogram& h) {
  Json j;
  j["samples"] = h.count();
  if (h.count() == 0) return j;
  j["p50"] = h.percentile(0.50);
  j["p99"] = h.percentile(0.99);
  j["p999"] = h.percentile(0.999);
  j["max"] = h.max();
  j["mean"] = std::round(h.mean() * 10) / 10;
  return j;
}

const char* profileName(transport::SrtpProfile p) {
  return p == transport::SrtpProfile::kAeadAes128Gcm ? "aead-aes-128-gcm" : "aes128-cm-sha1-80";
}

// "IP:PORT" or "[IPv6]:PORT".
std::optional<transport::SocketAddress> parseEndpoint(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string ip = text.substr(0, colon);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  char* end = nullptr;
  const unsigned long port = std::strtoul(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port == 0 || port > 65535) return std::nullopt;
  return transport::SocketAddress::fromIp(ip, static_cast<uint16_t>(port));
}

// Owns a libuv loop for the WebRTC set-up; closes it once every handle is gone.
class UvLoop {
 public:
  UvLoop() { initialised_ = uv_loop_init(&loop_) == 0; }
  ~UvLoop() {
    if (!initialised_) return;
    for (int i = 0; i < kMaxCloseIterations && uv_loop_close(&loop_) == UV_EBUSY; ++i) {
      uv_run(&loop_, UV_RUN_NOWAIT);
    }
  }
  UvLoop(const UvLoop&) = delete;
  UvLoop& operator=(const UvLoop&) = delete;
  uv_loop_t* get() { return &loop_; }
  bool ok() const { return initialised_; }

 private:
  uv_loop_t loop_{};
  bool initialised_ = false;
};

class LoadRun {
 public:
  explicit LoadRun(LoadOptions options) : o_(std::move(options)) {
    o_.media.videoSsrc = o_.videoSsrc.value_or(randomSsrc());
    do {
      o_.media.audioSsrc = randomSsrc();
    } while (o_.media.audioSsrc == o_.media.videoSsrc);
    RAND_bytes(reinterpret_cast<uint8_t*>(&o_.media.seed), sizeof o_.media.seed);
    receiverOptions_.videoPayloadType = o_.media.videoPayloadType;
    receiverOptions_.audioPayloadType = o_.media.audioPayloadType;
    receiverOptions_.readPayload = !o_.noDecrypt;
    receiverOptions_.decryptEvery = o_.decryptEvery;
    // Loss from our counter only where every packet's payload is read.
    receiverOptions_.lossFromCounter =
        !o_.noDecrypt && (o_.mode == LoadMode::kPlain || o_.decryptEvery == 1);
  }

  ~LoadRun() {
    // Peers (their DTLS timers and poll handles) go before the loop that holds them.
    receivers_.clear();
    viewers_.clear();
    publisher_.reset();
  }

  bool setUp(std::string* error) {
    return o_.mode == LoadMode::kWebRtc ? setUpWebRtc(error) : setUpUdp(error);
  }
  void execute();
  void tearDown();
  Json report() const;

 private:
  bool setUpUdp(std::string* error);
  bool setUpWebRtc(std::string* error);
  bool post(WebRtcPeer& peer, const std::string& path, std::string* error);
  bool waitConnected(const std::vector<WebRtcPeer*>& peers, int64_t deadlineNs, std::string* error);
  bool bindReceiver(uint16_t port, std::string* error);

  LoadOptions o_;
  LoadReceiverOptions receiverOptions_;
  UniqueFd senderFd_;
  std::optional<transport::SocketAddress> destination_;
  std::vector<UniqueFd> receiverFds_;
  std::vector<std::unique_ptr<LoadReceiver>> receivers_;
  std::unique_ptr<transport::SrtpSession> outbound_;
  std::unique_ptr<transport::SrtpSession> inbound_;  // SRTCP back to the publisher

  // webrtc
  std::unique_ptr<UvLoop> loop_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<WebRtcPeer> publisher_;
  std::vector<std::unique_ptr<WebRtcPeer>> viewers_;
  double setupS_ = 0;
  size_t deleted_ = 0;
  size_t deleteFailures_ = 0;

  // results
  std::unique_ptr<MediaSource> source_;
  std::unique_ptr<LoadSender> sender_;
  std::vector<std::unique_ptr<MediaLoop>> loops_;
  double wallS_ = 0;
  double steadyS_ = 0;
  double cpuUserS_ = 0;
  double cpuSystemS_ = 0;
  double processCpuS_ = 0;
  std::vector<int64_t> socketDrops_;  // per receiver, -1 when unknown
};

bool LoadRun::bindReceiver(uint16_t port, std::string* error) {
  auto local = transport::SocketAddress::fromIp(o_.listen, port);
  if (!local) {
    *error = "bad --listen address " + o_.listen;
    return false;
  }
  UniqueFd fd(socket(local->isV4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid() || bind(fd.get(), local->sockaddrPtr(), local->sockaddrLength()) != 0) {
    *error = "bind receiver " + local->toString() + ": " + std::strerror(errno);
    return false;
  }
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &o_.receiveBufferBytes, sizeof o_.receiveBufferBytes);
  std::unique_ptr<transport::SrtpSession> srtp;
  if (o_.mode == LoadMode::kSrtp && !o_.noDecrypt) {
    auto created = transport::SrtpSession::create(
        transport::SrtpSession::Direction::kInbound,
        o_.srtpProfile.value_or(transport::SrtpProfile::kAes128CmHmacSha1_80),
        o_.receiveKeys.size() == 1 ? o_.receiveKeys[0] : o_.receiveKeys[receivers_.size()]);
    if (!created) {
      *error = std::string("receiver SRTP session: ") + transport::srtpErrorName(created.error());
      return false;
    }
    srtp = std::move(*created);
  }
  receivers_.push_back(
      std::make_unique<LoadReceiver>(fd.get(), port, std::move(srtp), receiverOptions_));
  receiverFds_.push_back(std::move(fd));
  return true;
}

bool LoadRun::setUpUdp(std::string* error) {
  destination_ = parseEndpoint(o_.to);
  if (!destination_) {
    *error = "--to must be IP:PORT, got " + o_.to;
    return false;
  }
  auto local = transport::SocketAddress::fromIp(o_.listen, 0);
  if (!local || local->isV4() != destination_->isV4()) {
    *error = "--listen must be an address of the same family as --to";
    return false;
  }
  senderFd_ = UniqueFd(socket(local->isV4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!senderFd_.valid() ||
      bind(senderFd_.get(), local->sockaddrPtr(), local->sockaddrLength()) != 0) {
    *error = std::string("bind sender: ") + std::strerror(errno);
    return false;
  }
  setsockopt(senderFd_.get(), SOL_SOCKET, SO_SNDBUF, &kSendBufferBytes, sizeof kSendBufferBytes);
  if (o_.mode == LoadMode::kSrtp && !o_.sendPlain) {
    auto created = transport::SrtpSession::create(
        transport::SrtpSession::Direction::kOutbound,
        o_.srtpProfile.value_or(transport::SrtpProfile::kAes128CmHmacSha1_80), o_.sendKey);
    if (!created) {
      *error = std::string("sender SRTP session: ") + transport::srtpErrorName(created.error());
      return false;
    }
    outbound_ = std::move(*created);
  }
  for (uint16_t port : o_.receivePorts) {
    if (!bindReceiver(port, error)) return false;
  }
  return true;
}

bool LoadRun::post(WebRtcPeer& peer, const std::string& path, std::string* error) {
  const int64_t start = monotonicNs();
  HttpResponse r = http_->request("POST", path, kSdpContentType, peer.offer());
  peer.timings().postMs = static_cast<double>(monotonicNs() - start) / kNsPerMs;
  if (r.status != kHttpCreated) {
    *error =
        "POST " + path + ": " + (r.status == 0 ? r.error : std::to_string(r.status) + " " + r.body);
    while (!error->empty() && (error->back() == '\n' || error->back() == '\r'))
      error->pop_back();
    return false;
  }
  peer.location = r.header("location");
  HttpUrl absolute;
  if (HttpUrl::parse(peer.location, absolute)) peer.location = absolute.path;
  if (!peer.applyAnswer(r.body, error)) {
    *error = "POST " + path + ": " + *error;
    return false;
  }
  peer.start();
  return true;
}

bool LoadRun::waitConnected(const std::vector<WebRtcPeer*>& peers, int64_t deadlineNs,
                            std::string* error) {
  // A repeating timer bounds each uv_run: the deadline is checked even when nothing arrives.
  transport::UvTimer tick(loop_->get(), [] {});
  tick.start(kSetupPollMs, kSetupPollMs);
  for (;;) {
    size_t connected = 0;
    for (WebRtcPeer* p : peers) {
      if (p->state() == WebRtcPeer::State::kFailed) {
        *error = std::string(p->role() == WebRtcPeer::Role::kPublisher ? "publisher" : "viewer") +
                 " on port " + std::to_string(p->localPort()) + ": " + p->failure();
        return false;
      }
      if (p->state() == WebRtcPeer::State::kConnected) ++connected;
    }
    if (connected == peers.size()) return true;
    if (monotonicNs() > deadlineNs) {
      *error = std::to_string(peers.size() - connected) + " of " + std::to_string(peers.size()) +
               " peers not connected within --setup-timeout";
      for (WebRtcPeer* p : peers) {
        if (p->state() != WebRtcPeer::State::kConnected) {
          *error += std::string("; port ") + std::to_string(p->localPort()) + " is " +
                    WebRtcPeer::stateName(p->state());
          break;
        }
      }
      return false;
    }
    uv_run(loop_->get(), UV_RUN_ONCE);
  }
}

bool LoadRun::setUpWebRtc(std::string* error) {
  const int64_t setupStart = monotonicNs();
  const int64_t deadline = setupStart + static_cast<int64_t>(o_.setupTimeoutS * kNsPerSecond);
  HttpUrl url;
  HttpUrl::parse(o_.server, url);
  http_ = std::make_unique<HttpClient>(url.host, url.port, o_.token);
  std::string base = url.path;
  if (base.empty() || base.back() != '/') base += '/';
  loop_ = std::make_unique<UvLoop>();
  if (!loop_->ok()) {
    *error = "uv_loop_init failed";
    return false;
  }
  auto identity = transport::DtlsCertificate::generate();
  if (!identity) {
    *error = "DTLS certificate: " + identity.error;
    return false;
  }
  WebRtcPeer::Config config;
  config.listenIp = o_.listen;
  config.video = o_.media.video;
  config.audio = o_.media.audio;
  config.videoPayloadType = o_.media.videoPayloadType;
  config.audioPayloadType = o_.media.audioPayloadType;
  config.videoSsrc = o_.media.videoSsrc;
  config.audioSsrc = o_.media.audioSsrc;
  if (o_.srtpProfile) config.srtpProfiles = {*o_.srtpProfile};
  config.certificate = identity.certificate;
  config.receiveBufferBytes = o_.receiveBufferBytes;

  config.role = WebRtcPeer::Role::kPublisher;
  publisher_ = WebRtcPeer::create(loop_->get(), config, error);
  if (!publisher_) return false;
  if (!post(*publisher_, base + "whip/" + o_.stream, error)) return false;
  if (!waitConnected({publisher_.get()}, deadline, error)) return false;

  config.role = WebRtcPeer::Role::kViewer;
  std::vector<WebRtcPeer*> viewers;
  for (size_t i = 0; i < o_.receivers; ++i) {
    auto viewer = WebRtcPeer::create(loop_->get(), config, error);
    if (!viewer) return false;
    viewers_.push_back(std::move(viewer));
    if (!post(*viewers_.back(), base + "whep/" + o_.stream, error)) return false;
    viewers.push_back(viewers_.back().get());
    uv_run(loop_->get(), UV_RUN_NOWAIT);  // earlier viewers' handshakes go on meanwhile
  }
  if (!waitConnected(viewers, deadline, error)) return false;
  setupS_ = static_cast<double>(monotonicNs() - setupStart) / kNsPerSecond;

  publisher_->stopPolling();
  outbound_ = publisher_->makeSrtpSession(transport::SrtpSession::Direction::kOutbound, error);
  inbound_ = publisher_->makeSrtpSession(transport::SrtpSession::Direction::kInbound, error);
  if (!outbound_ || !inbound_) return false;
  for (auto& v : viewers_) {
    v->stopPolling();
    std::unique_ptr<transport::SrtpSession> srtp;
    if (!o_.noDecrypt) {
      srtp = v->makeSrtpSession(transport::SrtpSession::Direction::kInbound, error);
      if (!srtp) return false;
    }
    receivers_.push_back(
        std::make_unique<LoadReceiver>(v->fd(), v->localPort(), std::move(srtp), receiverOptions_));
  }
  return true;
}

void LoadRun::execute() {
  const unsigned threads = std::max<unsigned>(1, std::min<size_t>(o_.threads, receivers_.size()));
  for (unsigned t = 0; t < threads; ++t) {
    const int cpu = o_.cpus.empty() ? -1 : o_.cpus[t % o_.cpus.size()];
    const auto wait = o_.wait == "busy"    ? MediaLoop::Wait::kPoll
                      : o_.wait == "epoll" ? MediaLoop::Wait::kBlock
                                           : MediaLoop::Wait::kInterval;
    loops_.push_back(std::make_unique<MediaLoop>(cpu, wait, o_.pollIntervalUs * 1000));
  }
  std::string error;
  for (size_t r = 0; r < receivers_.size(); ++r) {
    if (!loops_[r % threads]->addReceiver(receivers_[r].get(), &error)) {
      std::fprintf(stderr, "load: %s\n", error.c_str());
    }
    if (r < viewers_.size()) {
      WebRtcPeer* peer = viewers_[r].get();
      loops_[r % threads]->addPeriodic(kConsentIntervalNs, [peer] { peer->sendConsentCheck(); });
    }
  }
  // Latency to the kernel's stamp needs stamping on before the first packet.
  if (!awaitKernelReceiveStamps(kStampWaitNs)) {
    std::fprintf(stderr, "load: the kernel does not stamp received datagrams yet\n");
  }
  const int64_t start = monotonicNs() + kStartDelayNs;
  source_ = std::make_unique<MediaSource>(o_.media, start);
  const int fd = publisher_ ? publisher_->fd() : senderFd_.get();
  sockaddr_storage destination{};
  socklen_t destinationLength = 0;
  if (destination_) {
    std::memcpy(&destination, destination_->sockaddrPtr(), destination_->sockaddrLength());
    destinationLength = destination_->sockaddrLength();
  }
  sender_ =
      std::make_unique<LoadSender>(fd, destination_ ? &destination : nullptr, destinationLength,
                                   *source_, outbound_.get(), inbound_.get());
  if (!loops_[0]->setSender(sender_.get(), &error)) {
    std::fprintf(stderr, "load: %s\n", error.c_str());
  }
  if (publisher_) {
    WebRtcPeer* peer = publisher_.get();
    loops_[0]->addPeriodic(kConsentIntervalNs, [peer] { peer->sendConsentCheck(); });
  }

  const int64_t sendUntil = start + static_cast<int64_t>(o_.seconds * kNsPerSecond);
  const int64_t stop = sendUntil + static_cast<int64_t>(o_.drain * kNsPerSecond);
  const int64_t steadyFrom = start + static_cast<int64_t>(o_.seconds * kSteadySkip * kNsPerSecond);
  steadyS_ = static_cast<double>(sendUntil - steadyFrom) / kNsPerSecond;
  sender_->setSteadyWindow(steadyFrom, sendUntil);
  for (auto& r : receivers_)
    r->setSteadyWindow(steadyFrom, sendUntil);
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const int64_t wallStart = monotonicNs();
  std::vector<std::thread> running;
  for (auto& loop : loops_) {
    running.emplace_back([&loop, sendUntil, stop] { loop->run(sendUntil, stop); });
  }
  for (auto& t : running) {
    t.join();
  }
  wallS_ = static_cast<double>(monotonicNs() - wallStart) / kNsPerSecond;
  const UdpSocketDrops drops = UdpSocketDrops::read();
  for (const auto& r : receivers_) {
    socketDrops_.push_back(drops.dropsOf(r->fd()));
  }
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  cpuUserS_ = seconds(after.ru_utime) - seconds(before.ru_utime);
  cpuSystemS_ = seconds(after.ru_stime) - seconds(before.ru_stime);
  processCpuS_ = seconds(after.ru_utime) + seconds(after.ru_stime);
}

void LoadRun::tearDown() {
  if (o_.keepSessions || !http_) return;
  auto remove = [&](WebRtcPeer& peer) {
    if (peer.location.empty()) return;
    HttpResponse r = http_->request("DELETE", peer.location);
    if (r.status >= 200 && r.status < 300) {
      ++deleted_;
    } else {
      ++deleteFailures_;
      std::fprintf(stderr, "load: DELETE %s: %s\n", peer.location.c_str(),
                   r.status == 0 ? r.error.c_str() : std::to_string(r.status).c_str());
    }
  };
  for (auto& v : viewers_) {
    remove(*v);
  }
  if (publisher_) remove(*publisher_);
}

Json LoadRun::report() const {
  Json j;
  j["mode"] = loadModeName(o_.mode);
  const auto& m = o_.media;
  Json p;
  p["seconds"] = o_.seconds;
  p["drain"] = o_.drain;
  p["receivers"] = o_.receivers;
  p["threads"] = loops_.size();
  p["cpus"] = o_.cpus;
  p["wait"] = o_.wait;
  if (o_.wait == "interval") p["poll_interval_us"] = o_.pollIntervalUs;
  p["stream"] = m.ratePps > 0 ? "rate" : "video-like";
  p["video"] = m.video;
  p["audio"] = m.audio;
  if (m.ratePps > 0) {
    p["rate_pps"] = m.ratePps;
  } else if (m.video) {
    p["video_kbps"] = m.videoKbps;
    p["fps"] = m.fps;
    p["delta_frame_bytes"] = source_ ? source_->deltaFrameBytes() : 0;
    p["keyframe_bytes"] = source_ ? source_->keyframeBytes() : 0;
  }
  p["packet_size"] = m.packetSize;
  p["keyframe_interval_s"] = m.keyframeIntervalS;
  if (o_.mode == LoadMode::kSrtp) {
    p["srtp_profile"] =
        profileName(o_.srtpProfile.value_or(transport::SrtpProfile::kAes128CmHmacSha1_80));
  }
  if (o_.mode != LoadMode::kPlain) {
    p["decrypt_every"] = o_.noDecrypt ? 0 : o_.decryptEvery;
  }
  p["no_decrypt"] = o_.noDecrypt;
  p["loss_from"] = receiverOptions_.lossFromCounter ? "payload_counter" : "rtp_sequence";
  if (o_.mode == LoadMode::kWebRtc) {
    p["server"] = o_.server;
    p["stream_name"] = o_.stream;
  } else {
    p["to"] = o_.to;
    p["recv_ports"] = o_.receivePorts.empty() ? std::string()
                                              : std::to_string(o_.receivePorts.front()) + ".." +
                                                    std::to_string(o_.receivePorts.back());
  }
  j["parameters"] = p;
  j["duration_s"] = o_.seconds;
  j["wall_s"] = std::round(wallS_ * 1000) / 1000;

  const auto& s = sender_->counters();
  const auto& sc = source_->counters();
  Json sent;
  sent["packets"] = s.sent;
  sent["bytes"] = s.sentBytes;
  sent["packets_per_s"] = std::round(static_cast<double>(s.sent) / o_.seconds);
  sent["produced"] = s.produced;
  sent["send_failures"] = s.sendFailures;
  sent["protect_failures"] = s.protectFailures;
  sent["send_calls"] = s.sendCalls;
  sent["video_packets"] = sc.videoPackets;
  sent["audio_packets"] = sc.audioPackets;
  sent["video_frames"] = sc.videoFrames;
  sent["keyframes"] = sc.keyframes;
  sent["keyframe_requests_honoured"] = sc.keyframeRequests;
  sent["rtcp_received"] = s.rtcpPackets;
  sent["pli_received"] = s.pliReceived;
  sent["fir_received"] = s.firReceived;
  j["sent"] = sent;

  LatencyHistogram all;
  LatencyHistogram allKernel;
  uint64_t received = 0, unique = 0, lost = 0, duplicates = 0, reordered = 0, bytes = 0;
  uint64_t decryptFailures = 0, unreadable = 0, rtcp = 0, other = 0;
  int64_t socketDrops = 0;
  uint64_t steadyReceived = 0;
  Json list = Json::array();
  for (size_t i = 0; i < receivers_.size(); ++i) {
    const auto& r = receivers_[i];
    const auto& c = r->counters();
    const int64_t drops = i < socketDrops_.size() ? socketDrops_[i] : -1;
    const uint64_t u = r->video().unique() + r->audio().unique();
    Json x;
    x["port"] = r->localPort();
    x["received"] = c.rtpPackets;
    x["unique"] = u;
    x["lost"] = r->video().lost() + r->audio().lost();
    x["duplicates"] = r->video().duplicates() + r->audio().duplicates();
    x["reordered"] = r->video().reordered() + r->audio().reordered();
    x["delivery"] = s.sent == 0 ? 0.0 : static_cast<double>(u) / static_cast<double>(s.sent);
    x["latency_us"] = latencyJson(r->latency());
    x["latency_kernel_us"] = latencyJson(r->kernelLatency());
    if (c.decryptAttempts > 0) x["decrypted"] = c.decryptAttempts;
    if (c.decryptFailures > 0) x["decrypt_failures"] = c.decryptFailures;
    if (c.unreadable > 0) x["unreadable"] = c.unreadable;
    if (c.rtcpPackets > 0) x["rtcp"] = c.rtcpPackets;
    if (c.otherDatagrams > 0) x["other"] = c.otherDatagrams;
    if (drops != 0) x["socket_drops"] = drops;
    list.push_back(x);
    socketDrops = drops < 0 || socketDrops < 0 ? -1 : socketDrops + drops;
    all.merge(r->latency());
    allKernel.merge(r->kernelLatency());
    received += c.rtpPackets;
    unique += u;
    lost += r->video().lost() + r->audio().lost();
    duplicates += r->video().duplicates() + r->audio().duplicates();
    reordered += r->video().reordered() + r->audio().reordered();
    bytes += c.rtpBytes;
    decryptFailures += c.decryptFailures;
    unreadable += c.unreadable;
    rtcp += c.rtcpPackets;
    other += c.otherDatagrams;
    steadyReceived += c.steadyPackets;
  }
  Json t;
  t["received"] = received;
  t["unique"] = unique;
  t["bytes"] = bytes;
  t["received_pps"] = std::round(static_cast<double>(received) / o_.seconds);
  const double expected = static_cast<double>(s.sent) * static_cast<double>(receivers_.size());
  t["delivery_ratio"] = expected == 0 ? 0.0 : static_cast<double>(unique) / expected;
  t["lost"] = lost;
  t["duplicates"] = duplicates;
  t["reordered"] = reordered;
  t["decrypt_failures"] = decryptFailures;
  t["unreadable"] = unreadable;
  t["rtcp"] = rtcp;
  t["other"] = other;
  // Datagrams the kernel dropped because our receive buffers were full: the tool was too slow
  // (-1: /proc/net/udp did not say).
  t["socket_drops"] = socketDrops;
  t["latency_us"] = latencyJson(all);
  // Send time to the kernel's receive stamp: the forwarder's delay without the load tool's own.
  t["latency_kernel_us"] = latencyJson(allKernel);
  // Arrivals while the sender was sending, after the start-up: the forwarder's throughput. Unlike
  // delivery_ratio, a backlog forwarded during the drain does not count.
  Json steady;
  steady["seconds"] = std::round(steadyS_ * 1000) / 1000;
  steady["sent_pps"] = steadyS_ > 0 ? std::round(static_cast<double>(s.steadySent) / steadyS_) : 0;
  steady["egress_pps"] =
      steadyS_ > 0 ? std::round(static_cast<double>(steadyReceived) / steadyS_) : 0;
  const double steadyExpected =
      static_cast<double>(s.steadySent) * static_cast<double>(receivers_.size());
  steady["delivery_ratio"] =
      steadyExpected > 0 ? static_cast<double>(steadyReceived) / steadyExpected : 0.0;
  t["steady"] = steady;
  j["totals"] = t;
  j["receivers"] = list;

  Json cpu;
  cpu["user_s"] = std::round(cpuUserS_ * 1000) / 1000;
  cpu["system_s"] = std::round(cpuSystemS_ * 1000) / 1000;
  cpu["percent_of_one_core"] =
      wallS_ > 0 ? std::round((cpuUserS_ + cpuSystemS_) / wallS_ * 1000) / 10 : 0.0;
  cpu["us_per_received_packet"] =
      received > 0
          ? std::round((cpuUserS_ + cpuSystemS_) * 1e7 / static_cast<double>(received)) / 10
          : 0.0;
  cpu["process_total_s"] = std::round(processCpuS_ * 1000) / 1000;
  Json threads = Json::array();
  for (const auto& loop : loops_) {
    const auto& c = loop->counters();
    threads.push_back({{"user_s", std::round(c.cpuUserS * 1000) / 1000},
                       {"system_s", std::round(c.cpuSystemS * 1000) / 1000},
                       {"work_s", std::round(c.workS * 1000) / 1000},
                       {"wakeups", c.wakeups},
                       {"receive_calls", c.receiveCalls}});
  }
  cpu["threads"] = threads;
  j["cpu"] = cpu;

  if (o_.mode == LoadMode::kWebRtc) {
    Json w;
    w["setup_s"] = std::round(setupS_ * 1000) / 1000;
    w["srtp_profile"] = profileName(publisher_->srtpProfile());
    const auto& pt = publisher_->timings();
    w["publisher_ms"] = {{"post", std::round(pt.postMs * 10) / 10},
                         {"ice", std::round(pt.iceMs * 10) / 10},
                         {"dtls", std::round(pt.dtlsMs * 10) / 10}};
    std::vector<double> post, ice, dtls;
    for (const auto& v : viewers_) {
      post.push_back(v->timings().postMs);
      ice.push_back(v->timings().iceMs);
      dtls.push_back(v->timings().dtlsMs);
    }
    auto summary = [](std::vector<double> values) {
      Json x;
      if (values.empty()) return x;
      std::sort(values.begin(), values.end());
      x["p50"] = std::round(values[values.size() / 2] * 10) / 10;
      x["max"] = std::round(values.back() * 10) / 10;
      return x;
    };
    w["viewer_ms"] = {{"post", summary(post)}, {"ice", summary(ice)}, {"dtls", summary(dtls)}};
    w["sessions_deleted"] = deleted_;
    w["delete_failures"] = deleteFailures_;
    j["webrtc"] = w;
  }
  return j;
}

}  // namespace

int runLoadGenerator(int argc, char** argv) {
  LoadOptions options;
  bool help = false;
  std::string error;
  if (!parseLoadOptions(argc, argv, options, &help, &error)) {
    std::fprintf(stderr, "load: %s\n\n", error.c_str());
    printLoadUsage(stderr);
    return kExitUsage;
  }
  if (help) {
    printLoadUsage(stdout);
    return 0;
  }
  LoadRun run(std::move(options));
  if (!run.setUp(&error)) {
    std::fprintf(stderr, "load: setup failed: %s\n", error.c_str());
    run.tearDown();
    return kExitSetupFailure;
  }
  run.execute();
  run.tearDown();
  std::printf("%s\n", run.report().dump().c_str());
  return 0;
}

}  // namespace switchyard::bench
