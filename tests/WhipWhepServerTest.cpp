// WHIP (RFC 9725) and WHEP against the real server process: every refusal with its exact status
// and a readable reason, CORS, PATCH (trickle and ICE restart), access tokens, that DELETE frees
// what the worker allocated, and that garbage or forged datagrams on a session's media port are
// counted by cause and change nothing. Offers are real clients' (tests/fixtures/sdp); tokens are
// PyJWT's (tests/fixtures/tokens) and the `switchyard token` command's.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <vector>

#include "support/ServerProcess.hpp"
#include "transport/StunMessage.hpp"

namespace switchyard::test {
namespace {

// Media ports for every server of this file; the worker skips ports in use, so tests running
// side by side may share the range.
constexpr const char* kRtcPorts = "44000-44999";
constexpr uint16_t kRtcMinPort = 44000;
constexpr uint16_t kRtcMaxPort = 44999;
// State the server reaches after it answered (a router closed on the worker, a datagram
// counted) is polled for this long.
constexpr int kSettleTimeoutMs = 3000;
constexpr int kPollIntervalMs = 10;
constexpr int kStunReplyTimeoutMs = 1000;
// Longest error body a person should have to read.
constexpr size_t kMaxReasonLength = 1000;

const std::string kSdp = "application/sdp";
const std::string kSdpFrag = "application/trickle-ice-sdpfrag";

// --- helpers: files, SDP edits ---------------------------------------------------------------

std::string sdpFixture(const std::string& name) {
  std::string text = readWholeFile(std::string(SWITCHYARD_FIXTURES_DIR) + "/sdp/" + name);
  if (text.empty()) ADD_FAILURE() << "missing fixture sdp/" << name;
  return text;
}

std::vector<std::string> sdpLines(const std::string& sdp) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < sdp.size()) {
    size_t end = sdp.find('\n', pos);
    if (end == std::string::npos) end = sdp.size();
    std::string line = sdp.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

std::string joinSdp(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += l + "\r\n";
  return out;
}

std::string withoutLines(const std::string& sdp, const std::string& prefix) {
  std::vector<std::string> kept;
  for (auto& l : sdpLines(sdp)) {
    if (l.rfind(prefix, 0) != 0) kept.push_back(l);
  }
  return joinSdp(kept);
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

// The offer with every m-section's formats replaced by one codec of that kind: the m= line's
// format list, and the rtpmap/fmtp/rtcp-fb lines.
struct CodecSwap {
  std::string kind;  // "audio", "video"
  std::string payloadType;
  std::string rtpmap;  // "G722/8000"
};
std::string withOnlyCodecs(const std::string& sdp, const std::vector<CodecSwap>& swaps) {
  std::vector<std::string> out;
  for (auto& l : sdpLines(sdp)) {
    if (l.rfind("a=rtpmap:", 0) == 0 || l.rfind("a=fmtp:", 0) == 0 ||
        l.rfind("a=rtcp-fb:", 0) == 0) {
      continue;
    }
    const CodecSwap* swap = nullptr;
    for (const auto& s : swaps) {
      if (l.rfind("m=" + s.kind + " ", 0) == 0) swap = &s;
    }
    if (!swap) {
      out.push_back(l);
      continue;
    }
    // m=<kind> <port> <proto> <fmt>...: keep the first three fields.
    std::istringstream fields(l);
    std::string media, port, proto;
    fields >> media >> port >> proto;
    out.push_back(media + " " + port + " " + proto + " " + swap->payloadType);
    out.push_back("a=rtpmap:" + swap->payloadType + " " + swap->rtpmap);
  }
  return joinSdp(out);
}

// The value of the first "a=<name>:" line, or "".
std::string sdpAttribute(const std::string& sdp, const std::string& name) {
  for (const auto& l : sdpLines(sdp)) {
    if (l.rfind("a=" + name + ":", 0) == 0) return l.substr(name.size() + 3);
  }
  return "";
}

// The port of the first host candidate on 127.0.0.1 (RFC 8839 section 5.1 grammar).
uint16_t candidatePort(const std::string& sdp) {
  static const std::regex kCandidate(
      R"(a=candidate:\S+ 1 (?:udp|UDP) \d+ 127\.0\.0\.1 (\d+) typ host)");
  std::smatch m;
  if (!std::regex_search(sdp, m, kCandidate)) return 0;
  return static_cast<uint16_t>(std::stoul(m[1].str()));
}

bool printable(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '\n' || (u >= 0x20 && u != 0x7f);
  });
}

bool waitUntil(const std::function<bool()>& done, int timeoutMs = kSettleTimeoutMs) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
  }
}

// --- helpers: HTTP -----------------------------------------------------------------------------

std::string describe(const HttpResult& r) {
  if (r.status == 0) return "no HTTP answer";
  return "HTTP " + std::to_string(r.status) + ": '" + r.body.substr(0, 400) + "'";
}

HttpResult request(uint16_t port, const std::string& method, const std::string& path,
                   const std::string& body = "", HttpHeaders headers = {}) {
  return httpCall(port, HttpCall{method, path, body, std::move(headers), 5000})
      .value_or(HttpResult{});
}

HttpHeaders bearer(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

HttpResult post(uint16_t port, const std::string& path, const std::string& offer,
                const std::string& token = "") {
  auto headers = bearer(token);
  headers.emplace_back("Content-Type", kSdp);
  return request(port, "POST", path, offer, headers);
}

// A refusal as the server must word it: the status, a text/plain body holding `reason`, short
// and printable (no SDP or binary echoed back), and CORS so a browser client can read it.
void expectRefusal(const HttpResult& r, int status, const std::string& reason,
                   const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(r.status, status) << describe(r);
  EXPECT_NE(r.body.find(reason), std::string::npos)
      << "expected '" << reason << "' in " << describe(r);
  EXPECT_TRUE(printable(r.body)) << describe(r);
  EXPECT_LE(r.body.size(), kMaxReasonLength);
  EXPECT_EQ(r.header("content-type").value_or("").rfind("text/plain", 0), 0u)
      << r.header("content-type").value_or("(none)");
  EXPECT_EQ(r.header("access-control-allow-origin").value_or(""), "*");
  if (status == 401) {
    EXPECT_EQ(r.header("www-authenticate").value_or(""), "Bearer");
  }
}

struct Session {
  HttpResult response;
  std::string location;  // "/whip/{stream}/{id}"
  std::string id;
  std::string etag;
  std::string answer;
  uint16_t mediaPort = 0;
  std::string ufrag, pwd;   // the server's ICE credentials
  std::string remoteUfrag;  // the offer's: checks must name it (RFC 8445 section 7.2.2)
};

// POSTs an offer that must succeed; checks the 201 as RFC 9725 section 4.2 describes it.
Session createSession(uint16_t port, const std::string& endpoint, const std::string& offer,
                      const std::string& token = "") {
  Session s;
  s.response = post(port, endpoint, offer, token);
  const auto& r = s.response;
  EXPECT_EQ(r.status, 201) << endpoint << ": " << describe(r);
  if (r.status != 201) return s;
  EXPECT_EQ(r.header("content-type").value_or(""), kSdp);
  s.location = r.header("location").value_or("");
  EXPECT_EQ(s.location.rfind(endpoint + "/", 0), 0u) << s.location;
  s.id = s.location.substr(s.location.rfind('/') + 1);
  s.etag = r.header("etag").value_or("");
  EXPECT_FALSE(s.etag.empty());
  EXPECT_EQ(r.header("accept-patch").value_or(""), kSdpFrag);
  EXPECT_EQ(r.header("access-control-allow-origin").value_or(""), "*");
  const std::string expose = r.header("access-control-expose-headers").value_or("");
  for (const char* h : {"Location", "ETag"})
    EXPECT_NE(expose.find(h), std::string::npos) << expose;
  s.answer = r.body;
  EXPECT_EQ(s.answer.rfind("v=0\r\n", 0), 0u) << s.answer;
  s.mediaPort = candidatePort(s.answer);
  EXPECT_GE(s.mediaPort, kRtcMinPort) << s.answer;
  EXPECT_LE(s.mediaPort, kRtcMaxPort) << s.answer;
  s.ufrag = sdpAttribute(s.answer, "ice-ufrag");
  s.pwd = sdpAttribute(s.answer, "ice-pwd");
  s.remoteUfrag = sdpAttribute(offer, "ice-ufrag");
  EXPECT_FALSE(s.ufrag.empty());
  EXPECT_FALSE(s.pwd.empty());
  return s;
}

nlohmann::json getJson(uint16_t port, const std::string& path, const std::string& token = "") {
  auto r = request(port, "GET", path, "", bearer(token));
  EXPECT_EQ(r.status, 200) << path << ": " << describe(r);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << path << ": " << r.body;
  return j;
}

// The session's entry in GET /api/streams, or null.
nlohmann::json streamSession(uint16_t port, const std::string& id, const std::string& token = "") {
  auto j = getJson(port, "/api/streams", token);
  if (j.is_discarded()) return nullptr;
  for (const auto& stream : j["streams"]) {
    for (const auto& s : stream["sessions"]) {
      if (s["id"] == id) return s;
    }
  }
  return nullptr;
}

size_t routerCount(const nlohmann::json& workers) {
  size_t n = 0;
  for (const auto& w : workers["workers"])
    n += w["routers"].size();
  return n;
}

// Nothing left: no stream in the server, no router in any worker (read from the workers).
void expectNothingAllocated(uint16_t port, const std::string& token = "") {
  nlohmann::json workers, streams;
  const bool empty = waitUntil([&] {
    workers = getJson(port, "/api/workers", token);
    streams = getJson(port, "/api/streams", token);
    return !workers.is_discarded() && !streams.is_discarded() && routerCount(workers) == 0 &&
           streams["streams"].empty();
  });
  EXPECT_TRUE(empty) << "after " << kSettleTimeoutMs << " ms:\n"
                     << workers.dump(1) << "\n"
                     << streams.dump(1);
  EXPECT_FALSE(workers["workers"].empty()) << "no worker listed: " << workers.dump();
}

// --- helpers: UDP ------------------------------------------------------------------------------

using Bytes = std::vector<uint8_t>;

class UdpClient {
 public:
  UdpClient() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~UdpClient() { close(fd_); }
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;

  bool send(uint16_t port, std::span<const uint8_t> bytes) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to),
                  sizeof to) == static_cast<ssize_t>(bytes.size());
  }
  std::optional<Bytes> receive(int timeoutMs) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeoutMs) <= 0) return std::nullopt;
    Bytes buf(65536);
    ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

 private:
  int fd_ = -1;
};

transport::StunTransactionId nextTransactionId() {
  transport::StunTransactionId id{};
  RAND_bytes(id.data(), static_cast<int>(id.size()));
  return id;
}

// A connectivity check as a controlling ICE agent sends it (RFC 8445 section 7.1.3), signed
// with `password`.
Bytes bindingRequest(const std::string& username, const std::string& password,
                     const transport::StunTransactionId& id) {
  auto key = transport::StunKey::fromPassword(password);
  if (!key) return {};
  transport::StunBindingRequestParams p;
  p.transactionId = id;
  p.username = username;
  p.priority = 0x6e0001ff;
  p.role = transport::IceRole::kControlling;
  p.tieBreaker = 0x0123456789abcdefULL;
  p.useCandidate = true;
  Bytes out(512);
  out.resize(transport::buildStunBindingRequest(out, p, *key));
  return out;
}

struct StunReply {
  transport::StunClass messageClass = transport::StunClass::kRequest;
  uint16_t errorCode = 0;
  bool integrityOk = false;  // MESSAGE-INTEGRITY verifies with the server's password
};

// The response to `id` (other datagrams, e.g. a DTLS ClientHello, are skipped), or nullopt.
std::optional<StunReply> awaitStunReply(UdpClient& udp, const transport::StunTransactionId& id,
                                        const std::string& serverPwd) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kStunReplyTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    auto d = udp.receive(kStunReplyTimeoutMs);
    if (!d) return std::nullopt;
    auto m = transport::StunMessage::parse(*d);
    if (!m || m->transactionId() != id) continue;
    StunReply r;
    r.messageClass = m->messageClass();
    if (auto e = m->errorCode()) r.errorCode = e->code;
    auto key = transport::StunKey::fromPassword(serverPwd);
    r.integrityOk = key && m->verifyMessageIntegrity(*key);
    return r;
  }
  return std::nullopt;
}

// A valid check must succeed, signed with the server's password. Its USERNAME is
// "<server ufrag>:<the client's ufrag>" (RFC 8445 section 7.2.2).
void expectCheckSucceeds(UdpClient& udp, const Session& s, const std::string& ufrag,
                         const std::string& pwd, const std::string& remoteUfrag) {
  const auto id = nextTransactionId();
  ASSERT_TRUE(udp.send(s.mediaPort, bindingRequest(ufrag + ":" + remoteUfrag, pwd, id)));
  auto reply = awaitStunReply(udp, id, pwd);
  ASSERT_TRUE(reply) << "no STUN response from port " << s.mediaPort;
  EXPECT_EQ(reply->messageClass, transport::StunClass::kSuccess) << reply->errorCode;
  EXPECT_TRUE(reply->integrityOk);
}

// RFC 5389 section 10.1.2: a check with the wrong credentials gets 401, without integrity.
void expectCheckRefused(UdpClient& udp, const Session& s, const std::string& username,
                        const std::string& pwd) {
  const auto id = nextTransactionId();
  ASSERT_TRUE(udp.send(s.mediaPort, bindingRequest(username, pwd, id)));
  auto reply = awaitStunReply(udp, id, pwd);
  ASSERT_TRUE(reply) << "no STUN response from port " << s.mediaPort << " to " << username;
  EXPECT_EQ(reply->messageClass, transport::StunClass::kError);
  EXPECT_EQ(reply->errorCode, 401);
  EXPECT_FALSE(reply->integrityOk);
}

Bytes patterned(size_t size, uint8_t first, uint8_t seed) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i)
    b[i] = static_cast<uint8_t>(seed + i * 31);
  if (size > 0) b[0] = first;
  return b;
}

// A DTLS 1.2 record header (RFC 6347 section 4.1) with a junk body.
Bytes fakeDtlsRecord(uint8_t contentType, uint16_t bodySize) {
  Bytes b = {contentType,
             0xfe,
             0xfd,
             0,
             0,
             0,
             0,
             0,
             0,
             0,
             1,
             static_cast<uint8_t>(bodySize >> 8),
             static_cast<uint8_t>(bodySize)};
  Bytes body = patterned(bodySize, 0x01, 0x11);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

// What SRTP looks like on the wire (RFC 3711 section 3.1): an RTP header, an "encrypted"
// payload, a 10-byte authentication tag. `payloadType` 200 (SR) makes it SRTCP-looking.
Bytes fakeSrtp(uint8_t payloadType, uint16_t sequence) {
  Bytes b = {0x80,
             payloadType,
             static_cast<uint8_t>(sequence >> 8),
             static_cast<uint8_t>(sequence),
             0x00,
             0x01,
             0xe2,
             0x40,
             0xca,
             0xfe,
             0xba,
             0xbe};
  Bytes payload = patterned(120, 0x9d, static_cast<uint8_t>(sequence));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// --- the servers -----------------------------------------------------------------------------

class WhipWhepServer : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = freePort();
    std::vector<std::string> args = {
        "--dev",       "--http-listen", "127.0.0.1:" + std::to_string(port_), "--workers", "1",
        "--rtc-ports", kRtcPorts};
    args.insert(args.end(), extraArgs_.begin(), extraArgs_.end());
    server_ = std::make_unique<ServerProcess>(args);
    ASSERT_TRUE(server_->waitHealthy(port_)) << server_->output();
  }
  void TearDown() override {
    EXPECT_TRUE(server_->running()) << "the server died:\n" << server_->output();
    // Every test ends healthy: the worker never restarted.
    auto health = nlohmann::json::parse(request(port_, "GET", "/healthz").body, nullptr, false);
    ASSERT_FALSE(health.is_discarded());
    EXPECT_EQ(health["status"], "ok");
    for (const auto& w : health["workers"])
      EXPECT_EQ(w["restarts"], 0) << health.dump();
  }

  uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> server_;
  std::vector<std::string> extraArgs_;  // set by a derived fixture before SetUp
};

// WebRTC transports each on a port of their own, as with --rtc-shared-port off.
class WhipWhepServerOwnPorts : public WhipWhepServer {
 protected:
  void SetUp() override {
    extraArgs_ = {"--rtc-shared-port", "off"};
    WhipWhepServer::SetUp();
  }
};

struct BadOffer {
  const char* name;
  std::string body;
  int status;
  std::string reason;
};

TEST_F(WhipWhepServer, MalformedOffersAreRefusedWith400AndTheirReason) {
  const std::string aiortc = sdpFixture("aiortc-publish-offer.sdp");
  const std::string chromium = sdpFixture("chromium-whip-offer.sdp");
  const std::string binary("\x00\x01\x02\xff\xfe\x80garbage\r\n\x7f\x16\xfe\xfd", 18);
  const BadOffer cases[] = {
      {"empty body", "", 400, "malformed SDP offer: empty SDP"},
      {"plain text", "hello", 400, "malformed SDP offer: line 1: truncated line"},
      {"only a version line", "v=0\r\n", 400, "malformed SDP offer: missing o= line"},
      {"binary garbage", binary, 400, "malformed SDP offer: line 1: NUL byte"},
      {"cut in the middle of the m= line", aiortc.substr(0, aiortc.find("m=video") + 20), 400,
       "malformed SDP offer: line 26: bad m= line: expected <media> <port> <proto> <fmt>..."},
      {"cut in the middle of a candidate",
       aiortc.substr(0, aiortc.find("a=candidate:", aiortc.find("m=video")) + 60), 400,
       "malformed SDP offer: line 58: bad candidate: fewer than 8 fields"},
      {"valid-looking but no a=fingerprint (aiortc)", withoutLines(aiortc, "a=fingerprint:"), 400,
       "line 7: m-section without a=fingerprint"},
      {"valid-looking but no a=fingerprint (Chromium)", withoutLines(chromium, "a=fingerprint:"),
       400, "m-section without a=fingerprint"},
      {"fingerprint that is not hex",
       replaceAll(aiortc, "a=fingerprint:sha-256 64:4B", "a=fingerprint:sha-256 ZZ:4B"), 400,
       "malformed SDP offer: line 24: bad a=fingerprint"},
      {"no ICE credentials", withoutLines(aiortc, "a=ice-ufrag:"), 400,
       "m-section without a=ice-ufrag/a=ice-pwd"},
      {"no m-section", withoutLines(aiortc.substr(0, aiortc.find("m=audio")), "a=group:BUNDLE"),
       400, "the offer has no m-section"},
      {"BUNDLE names a mid no section has", withoutLines(aiortc, "a=mid:"), 400,
       "BUNDLE group names mid '0' that no m-section has"},
  };
  for (const auto& c : cases) {
    expectRefusal(post(port_, "/whip/bad-offers", c.body), c.status, c.reason, c.name);
  }
  // No half-made stream or router remains from any of them.
  expectNothingAllocated(port_);
}

TEST_F(WhipWhepServer, OffersWithNothingUsableGet406) {
  const std::string aiortc = sdpFixture("aiortc-publish-offer.sdp");
  const std::string chromium = sdpFixture("chromium-whip-offer.sdp");
  const std::vector<CodecSwap> unsupported = {{"audio", "9", "G722/8000"},
                                              {"video", "100", "H265/90000"}};
  const BadOffer cases[] = {
      {"only G722 and H265 (aiortc)", withOnlyCodecs(aiortc, unsupported), 406,
       "nothing in the offer can be used: m-section 0 (audio, mid 0) rejected: no common codec "
       "(offered: G722/8000); m-section 1 (video, mid 1) rejected: no common codec (offered: "
       "H265/90000)"},
      {"only G722 and H265 (Chromium)", withOnlyCodecs(chromium, unsupported), 406,
       "no common codec (offered: H265/90000)"},
      {"only PCMU, no video",
       withOnlyCodecs(
           replaceAll(aiortc.substr(0, aiortc.find("m=video")), "BUNDLE 0 1", "BUNDLE 0"),
           {{"audio", "0", "PCMU/8000"}}),
       406, "no common codec (offered: PCMU/8000)"},
      {"recvonly offer to WHIP", replaceAll(aiortc, "a=sendonly", "a=recvonly"), 406,
       "offered recvonly, answered inactive (WHIP only receives)"},
      {"ICE-lite offerer", replaceAll(aiortc, "a=msid-semantic:WMS *", "a=ice-lite"), 406,
       "the offer is ICE-lite and so is the server (RFC 8445 section 6.1.1)"},
      {"a=setup:holdconn", replaceAll(aiortc, "a=setup:actpass", "a=setup:holdconn"), 406,
       "a=setup:holdconn: no DTLS connection offered"},
  };
  for (const auto& c : cases) {
    expectRefusal(post(port_, "/whip/unusable", c.body), c.status, c.reason, c.name);
  }

  // WHEP: a viewer that accepts only codecs the publisher does not send.
  Session pub = createSession(port_, "/whip/cam", aiortc);
  const std::string recvonly = sdpFixture("aiortc-recvonly-offer.sdp");
  expectRefusal(post(port_, "/whep/cam", withOnlyCodecs(recvonly, unsupported)), 406,
                "no common codec", "WHEP with only G722 and H265");
  EXPECT_EQ(request(port_, "DELETE", pub.location).status, 200);
  expectNothingAllocated(port_);
}

TEST_F(WhipWhepServer, WrongContentTypeGets415AndBadStreamNames400) {
  const std::string offer = sdpFixture("aiortc-publish-offer.sdp");
  struct TypeCase {
    const char* path;
    std::optional<std::string> contentType;
  };
  const TypeCase types[] = {
      {"/whip/ct", "text/plain"},
      {"/whip/ct", "application/json"},
      {"/whip/ct", "application/sdpx"},
      {"/whip/ct", std::nullopt},
      {"/whep/ct", "application/trickle-ice-sdpfrag"},
  };
  for (const auto& t : types) {
    HttpHeaders h;
    if (t.contentType) h.emplace_back("Content-Type", *t.contentType);
    expectRefusal(request(port_, "POST", t.path, offer, h), 415,
                  "the offer must be application/sdp",
                  std::string(t.path) + " with " + t.contentType.value_or("no Content-Type"));
  }
  // Parameters and case do not matter (RFC 9110 section 8.3.1).
  auto ok = request(port_, "POST", "/whip/ct", offer,
                    {{"Content-Type", "Application/SDP; charset=utf-8"}});
  EXPECT_EQ(ok.status, 201) << describe(ok);
  EXPECT_EQ(request(port_, "DELETE", ok.header("location").value_or("/none")).status, 200);

  const std::string names[] = {
      "bad!name", "a%20b", "caf%C3%A9", "semi;colon", "quote%22", std::string(65, 'a'),
  };
  for (const auto& name : names) {
    for (const char* endpoint : {"/whip/", "/whep/"}) {
      expectRefusal(post(port_, endpoint + name, offer), 400,
                    "stream names are 1-64 characters of A-Z a-z 0-9 - _ .", endpoint + name);
    }
  }
  // The longest name allowed works.
  const std::string longest(64, 'x');
  Session s = createSession(port_, "/whip/" + longest, offer);
  EXPECT_EQ(request(port_, "DELETE", s.location).status, 200);

  // Bodies over the server's limit (1 MiB) are refused before anyone parses them, and methods
  // WHIP does not define get 405 with Allow (RFC 9110 section 15.5.6).
  auto big = post(port_, "/whip/big", std::string(2 << 20, 'v'));
  EXPECT_EQ(big.status, 413) << describe(big);
  EXPECT_NE(big.body.find("request body too large"), std::string::npos) << describe(big);
  auto put = request(port_, "PUT", "/whip/x", offer, {{"Content-Type", kSdp}});
  EXPECT_EQ(put.status, 405) << describe(put);
  EXPECT_NE(put.header("allow").value_or("").find("POST"), std::string::npos);

  // POST goes to the endpoint, nowhere else.
  expectRefusal(post(port_, "/whip/a/b", offer), 405, "POST goes to /whip/{stream}", "/whip/a/b");
  expectRefusal(post(port_, "/whip/a%2Fb", offer), 405, "POST goes to /whip/{stream}",
                "/whip/a%2Fb (decoded to a/b)");
  expectNothingAllocated(port_);
}

TEST_F(WhipWhepServer, UnknownStreamsAndSessionsGet404AndASecondPublisher409) {
  const std::string offer = sdpFixture("aiortc-publish-offer.sdp");
  const std::string viewerOffer = sdpFixture("aiortc-recvonly-offer.sdp");
  expectRefusal(post(port_, "/whep/nobody", viewerOffer), 404, "no one publishes stream 'nobody'",
                "WHEP for a stream nobody publishes");

  Session pub = createSession(port_, "/whip/s1", offer);
  Session viewer = createSession(port_, "/whep/s1", viewerOffer);
  ASSERT_FALSE(pub.id.empty());
  ASSERT_FALSE(viewer.id.empty());

  // A second publisher on the same stream: 409, and the first keeps its stream.
  expectRefusal(post(port_, "/whip/s1", sdpFixture("chromium-whip-offer.sdp")), 409,
                "stream 's1' already has a publisher", "second publisher");
  auto first = streamSession(port_, pub.id);
  ASSERT_FALSE(first.is_null());
  EXPECT_EQ(first["kind"], "whip");
  EXPECT_EQ(first["producers"].size(), 2u) << first.dump();

  const std::string frag = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n";
  const HttpHeaders fragType = {{"Content-Type", kSdpFrag}};
  struct Unknown {
    const char* method;
    std::string path;
  };
  const Unknown unknown[] = {
      {"DELETE", "/whip/s1/00000000000000000000000000000000"},
      {"PATCH", "/whip/s1/00000000000000000000000000000000"},
      {"DELETE", "/whep/s1/nosuchsession"},
      {"PATCH", "/whep/s1/nosuchsession"},
      {"DELETE", "/whip/nostream/" + pub.id},  // a real id under another stream
      {"PATCH", "/whip/nostream/" + pub.id},
      {"DELETE", "/whep/s1/" + pub.id},  // a real id of the other kind
      {"PATCH", "/whip/s1/" + viewer.id},
  };
  for (const auto& u : unknown) {
    expectRefusal(request(port_, u.method, u.path, frag, fragType), 404, "no such session",
                  std::string(u.method) + " " + u.path);
  }
  // DELETE and PATCH go to a session's Location.
  expectRefusal(request(port_, "DELETE", "/whip/s1"), 405, "DELETE goes to a session's Location",
                "DELETE /whip/s1");
  expectRefusal(request(port_, "PATCH", "/whep/s1", frag, fragType), 405,
                "PATCH goes to a session's Location", "PATCH /whep/s1");

  // The refused requests changed nothing: both sessions are there.
  EXPECT_FALSE(streamSession(port_, viewer.id).is_null());
  EXPECT_EQ(request(port_, "DELETE", pub.location).status, 200);
  expectRefusal(request(port_, "DELETE", pub.location), 404, "no such session", "DELETE twice");
  // Nobody publishes any more: a new viewer is refused, a new publisher welcome.
  expectRefusal(post(port_, "/whep/s1", viewerOffer), 404, "no one publishes stream 's1'",
                "WHEP after the publisher left");
  Session again = createSession(port_, "/whip/s1", offer);
  EXPECT_EQ(request(port_, "DELETE", again.location).status, 200);
  EXPECT_EQ(request(port_, "DELETE", viewer.location).status, 200);
  expectNothingAllocated(port_);
}

TEST_F(WhipWhepServer, PatchTricklesCandidatesAndRestartsIceOnlyWithTheETag) {
  Session s = createSession(port_, "/whip/patch", sdpFixture("aiortc-publish-offer.sdp"));
  ASSERT_NE(s.mediaPort, 0);
  UdpClient udp;
  expectCheckSucceeds(udp, s, s.ufrag, s.pwd, s.remoteUfrag);
  // The worker knows the offer's ufrag: the right password under another client's name fails.
  expectCheckRefused(udp, s, s.ufrag + ":someone-else", s.pwd);

  const std::string restart =
      "a=ice-ufrag:r3st\r\na=ice-pwd:restartpasswordrestart12\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n";
  auto patch = [&](const std::string& body, HttpHeaders extra, const std::string& type = "") {
    extra.emplace_back("Content-Type", type.empty() ? kSdpFrag : type);
    return request(port_, "PATCH", s.location, body, extra);
  };
  expectRefusal(patch(restart, {}, kSdp), 415, "PATCH takes application/trickle-ice-sdpfrag",
                "PATCH with application/sdp");
  expectRefusal(patch(std::string("\x01\x02garbage", 9), {}), 400, "malformed sdpfrag",
                "PATCH with binary garbage");
  // RFC 9725 section 4.3.2: an ICE restart needs If-Match.
  expectRefusal(patch(restart, {}), 412, "an ICE restart needs If-Match with the session's ETag",
                "restart without If-Match");
  expectRefusal(patch(restart, {{"If-Match", "\"0000000000000000\""}}), 412,
                "an ICE restart needs If-Match", "restart with another ETag");
  // The refused restarts changed nothing: the old credentials still work.
  expectCheckSucceeds(udp, s, s.ufrag, s.pwd, s.remoteUfrag);

  auto r = patch(restart, {{"If-Match", s.etag}});
  ASSERT_EQ(r.status, 200) << describe(r);
  EXPECT_EQ(r.header("content-type").value_or(""), kSdpFrag);
  EXPECT_EQ(r.header("access-control-allow-origin").value_or(""), "*");
  const std::string newUfrag = sdpAttribute(r.body, "ice-ufrag");
  const std::string newPwd = sdpAttribute(r.body, "ice-pwd");
  EXPECT_FALSE(newUfrag.empty()) << r.body;
  EXPECT_NE(newUfrag, s.ufrag) << r.body;
  EXPECT_GE(newPwd.size(), 22u) << r.body;  // RFC 8839 section 5.4
  EXPECT_NE(newPwd, s.pwd);
  EXPECT_EQ(candidatePort(r.body), s.mediaPort) << r.body;  // same transport, same port
  EXPECT_NE(r.body.find("a=end-of-candidates"), std::string::npos) << r.body;
  const std::string newEtag = r.header("etag").value_or("");
  EXPECT_FALSE(newEtag.empty());
  EXPECT_NE(newEtag, s.etag);

  // The worker really changed credentials: the old ones are refused, the new ones work.
  expectCheckRefused(udp, s, s.ufrag + ":" + s.remoteUfrag, s.pwd);
  expectCheckSucceeds(udp, s, newUfrag, newPwd, "r3st");

  // The old ETag no longer matches anything.
  const std::string restart2 = replaceAll(restart, "r3st", "r3s2");
  expectRefusal(patch(restart2, {{"If-Match", s.etag}}), 412, "an ICE restart needs If-Match",
                "restart with the replaced ETag");

  // Trickle (RFC 8840): candidates with the current ufrag, no restart: 204 with or without
  // If-Match, 412 with a stale one.
  const std::string trickle =
      "a=ice-ufrag:r3st\r\na=ice-pwd:restartpasswordrestart12\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
      "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n"
      "a=end-of-candidates\r\n";
  for (const HttpHeaders& h :
       {HttpHeaders{}, HttpHeaders{{"If-Match", newEtag}}, HttpHeaders{{"If-Match", "*"}}}) {
    auto t = patch(trickle, h);
    EXPECT_EQ(t.status, 204) << describe(t);
    EXPECT_TRUE(t.body.empty());
    EXPECT_EQ(t.header("access-control-allow-origin").value_or(""), "*");
  }
  expectRefusal(patch(trickle, {{"If-Match", s.etag}}), 412, "ETag mismatch",
                "trickle with a stale ETag");
  // The session survived all of it.
  expectCheckSucceeds(udp, s, newUfrag, newPwd, "r3st");
  EXPECT_EQ(request(port_, "DELETE", s.location).status, 200);
  expectNothingAllocated(port_);
}

TEST_F(WhipWhepServer, OptionsAnswersThePreflightAndEveryResponseCarriesCors) {
  for (const char* path : {"/whip/cors", "/whep/cors", "/whip/cors/someid"}) {
    SCOPED_TRACE(path);
    auto r = request(port_, "OPTIONS", path, "",
                     {{"Origin", "http://example.test"},
                      {"Access-Control-Request-Method", "POST"},
                      {"Access-Control-Request-Headers", "authorization, content-type"}});
    EXPECT_EQ(r.status, 204) << describe(r);
    EXPECT_EQ(r.header("access-control-allow-origin").value_or(""), "*");
    const std::string methods = r.header("access-control-allow-methods").value_or("");
    for (const char* m : {"POST", "PATCH", "DELETE", "OPTIONS"})
      EXPECT_NE(methods.find(m), std::string::npos) << methods;
    const std::string headers = toLower(r.header("access-control-allow-headers").value_or(""));
    for (const char* h : {"authorization", "content-type", "if-match"})
      EXPECT_NE(headers.find(h), std::string::npos) << headers;
    EXPECT_EQ(r.header("accept-post").value_or(""), kSdp);  // RFC 9725 section 4.2
    EXPECT_TRUE(r.body.empty());
  }
  // Normal responses: the 201, the DELETE's 200, errors (checked by expectRefusal elsewhere).
  Session s = createSession(port_, "/whip/cors", sdpFixture("aiortc-publish-offer.sdp"));
  auto del = request(port_, "DELETE", s.location, "", {{"Origin", "http://example.test"}});
  EXPECT_EQ(del.status, 200) << describe(del);
  EXPECT_EQ(del.header("access-control-allow-origin").value_or(""), "*");
  expectRefusal(post(port_, "/whep/cors", sdpFixture("aiortc-recvonly-offer.sdp")), 404,
                "no one publishes", "WHEP after DELETE");
}

TEST_F(WhipWhepServer, DeletingEverySessionFreesTheWorkersRouters) {
  const std::string pubOffer = sdpFixture("aiortc-publish-offer.sdp");
  const std::string viewOffer = sdpFixture("aiortc-recvonly-offer.sdp");
  Session a = createSession(port_, "/whip/room-a", pubOffer);
  Session av1 = createSession(port_, "/whep/room-a", viewOffer);
  Session av2 = createSession(port_, "/whep/room-a", sdpFixture("chromium-whep-offer.sdp"));
  Session b = createSession(port_, "/whip/room-b", sdpFixture("chromium-whip-offer.sdp"));
  Session bv = createSession(port_, "/whep/room-b", viewOffer);

  // What the workers hold, read from them: one router per stream with its transports,
  // two producers per publisher and two consumers per viewer.
  auto streams = getJson(port_, "/api/streams");
  auto workers = getJson(port_, "/api/workers");
  ASSERT_EQ(streams["streams"].size(), 2u) << streams.dump(1);
  ASSERT_EQ(workers["workers"].size(), 1u) << workers.dump(1);
  ASSERT_EQ(routerCount(workers), 2u) << workers.dump(1);
  for (const auto& stream : streams["streams"]) {
    const size_t sessions = stream["name"] == "room-a" ? 3 : 2;
    EXPECT_EQ(stream["sessions"].size(), sessions) << stream.dump(1);
    bool found = false;
    for (const auto& router : workers["workers"][0]["routers"]) {
      if (router["id"] != stream["router"]) continue;
      found = true;
      EXPECT_EQ(router["transports"].size(), sessions) << router.dump(1);
      EXPECT_EQ(router["producers"].size(), 2u) << router.dump(1);
      EXPECT_EQ(router["consumers"].size(), 2 * (sessions - 1)) << router.dump(1);
    }
    EXPECT_TRUE(found) << "router " << stream["router"] << " of stream " << stream["name"]
                       << " is not in any worker: " << workers.dump(1);
  }

  // Publisher first in one room, viewers first in the other.
  for (const Session* s : {&a, &av1, &av2, &bv, &b}) {
    auto r = request(port_, "DELETE", s->location);
    EXPECT_EQ(r.status, 200) << s->location << ": " << describe(r);
  }
  expectNothingAllocated(port_);
  for (const Session* s : {&a, &av1, &bv}) {
    expectRefusal(request(port_, "DELETE", s->location), 404, "no such session",
                  "DELETE again " + s->location);
  }
}

// The attack tests' sessions: a publisher and a viewer of the attacked stream, and a
// publisher of another stream that must see nothing.
struct AttackedSessions {
  Session pub, viewer, bystander;
};

AttackedSessions createAttackedSessions(uint16_t port) {
  return {createSession(port, "/whip/attacked", sdpFixture("aiortc-publish-offer.sdp")),
          createSession(port, "/whep/attacked", sdpFixture("aiortc-recvonly-offer.sdp")),
          createSession(port, "/whip/bystander", sdpFixture("gst-vp8-opus-offer.sdp"))};
}

struct DropCounts {
  uint64_t unknownKind = 0, stun = 0, unknownTuple = 0, notConnected = 0, bytes = 0;
};

TEST_F(WhipWhepServerOwnPorts, ForgedAndGarbageDatagramsAreCountedByCauseAndChangeNothing) {
  AttackedSessions sessions = createAttackedSessions(port_);
  Session &pub = sessions.pub, &viewer = sessions.viewer, &bystander = sessions.bystander;
  ASSERT_TRUE(pub.mediaPort && viewer.mediaPort && bystander.mediaPort);
  ASSERT_NE(pub.mediaPort, viewer.mediaPort);

  UdpClient attacker;
  // Sends to one session's port, tallying what the server should count.
  auto attack = [&](const Session& target, DropCounts& expect) {
    auto send = [&](const Bytes& b, uint64_t DropCounts::*cause) {
      ASSERT_TRUE(attacker.send(target.mediaPort, b));
      ++(expect.*cause);
      expect.bytes += b.size();
    };
    // Not STUN, DTLS, RTP or RTCP (RFC 7983 section 7), including sizes at the edges.
    const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    send(Bytes(http.begin(), http.end()), &DropCounts::unknownKind);
    send(Bytes(64, 0xff), &DropCounts::unknownKind);
    send(Bytes(5, 0x00), &DropCounts::unknownKind);  // STUN's first byte, shorter than a header
    send(Bytes{}, &DropCounts::unknownKind);         // an empty datagram
    send(patterned(65000, 0x42, 7), &DropCounts::unknownKind);
    // STUN: malformed (bad magic cookie), then forged checks. RFC 5389 section 10.1.2: the
    // forged ones get 401 without MESSAGE-INTEGRITY and do not validate the address.
    Bytes badCookie = patterned(28, 0x00, 3);
    badCookie[1] = 0x01;
    badCookie[2] = 0x00;
    badCookie[3] = 0x08;
    send(badCookie, &DropCounts::stun);
    const std::string wrongPwd = "thisIsNotThePassword000";
    for (const std::string& username :
         {target.ufrag + ":attacker", std::string("rAnd0mUfrag:attacker")}) {
      const auto id = nextTransactionId();
      send(bindingRequest(username, wrongPwd, id), &DropCounts::stun);
      auto reply = awaitStunReply(attacker, id, wrongPwd);
      ASSERT_TRUE(reply) << "no 401 for " << username;
      EXPECT_EQ(reply->messageClass, transport::StunClass::kError);
      EXPECT_EQ(reply->errorCode, 401);
      EXPECT_FALSE(reply->integrityOk);
    }
    // A check signed right but without FINGERPRINT (RFC 8445 section 7.2.2 requires it).
    {
      Bytes b = bindingRequest(target.ufrag + ":attacker", target.pwd, nextTransactionId());
      b.resize(b.size() - 8);  // FINGERPRINT is the last 8 bytes
      const uint16_t length = static_cast<uint16_t>(b.size() - transport::StunMessage::kHeaderSize);
      b[2] = static_cast<uint8_t>(length >> 8);
      b[3] = static_cast<uint8_t>(length);
      send(b, &DropCounts::stun);
    }
    // DTLS records and SRTP/SRTCP from an address ICE never validated.
    send(fakeDtlsRecord(22, 120), &DropCounts::unknownTuple);  // handshake (a ClientHello?)
    send(fakeDtlsRecord(21, 2), &DropCounts::unknownTuple);    // alert
    send(fakeDtlsRecord(23, 64), &DropCounts::unknownTuple);   // application data
    for (uint16_t seq = 1; seq <= 3; ++seq)
      send(fakeSrtp(96, seq), &DropCounts::unknownTuple);
    send(fakeSrtp(200, 1), &DropCounts::unknownTuple);
  };

  DropCounts expectPub, expectViewer;
  attack(pub, expectPub);
  attack(viewer, expectViewer);

  auto counted = [&](const Session& s) { return streamSession(port_, s.id)["stats"]; };
  auto matches = [](const nlohmann::json& st, const DropCounts& e) {
    return st.is_object() && st["dropped"]["unknownKind"] == e.unknownKind &&
           st["dropped"]["stun"] == e.stun && st["dropped"]["unknownTuple"] == e.unknownTuple &&
           st["dropped"]["notConnected"] == e.notConnected && st["bytesReceived"] == e.bytes;
  };
  for (const auto& [s, e] : {std::pair{&pub, &expectPub}, std::pair{&viewer, &expectViewer}}) {
    SCOPED_TRACE(s->location);
    nlohmann::json st;
    EXPECT_TRUE(waitUntil([&] { return matches(st = counted(*s), *e); })) << st.dump(1);
    EXPECT_EQ(st["dropped"]["unknownKind"], e->unknownKind);
    EXPECT_EQ(st["dropped"]["stun"], e->stun);
    EXPECT_EQ(st["dropped"]["unknownTuple"], e->unknownTuple);
    EXPECT_EQ(st["dropped"]["notConnected"], 0);
    EXPECT_EQ(st["bytesReceived"], e->bytes);
    EXPECT_EQ(st["packetsDropped"], e->unknownKind + e->stun + e->unknownTuple + e->notConnected);
    // Nothing of it reached ICE or DTLS state, or media.
    EXPECT_EQ(st["iceState"], "NEW");
    EXPECT_EQ(st["dtlsState"], "CONNECTING");
    EXPECT_EQ(st["rtpReceived"], 0);
    EXPECT_EQ(st["rtcpReceived"], 0);
  }
  // Another room saw nothing.
  auto other = counted(bystander);
  EXPECT_EQ(other["bytesReceived"], 0) << other.dump(1);
  EXPECT_EQ(other["packetsDropped"], 0) << other.dump(1);

  // Once a check with the right credentials validated the address, SRTP from it is dropped as
  // "not connected" (no DTLS keys yet) rather than as from an unknown tuple.
  expectCheckSucceeds(attacker, pub, pub.ufrag, pub.pwd, pub.remoteUfrag);
  const Bytes rtp = fakeSrtp(96, 100);
  ASSERT_TRUE(attacker.send(pub.mediaPort, rtp));
  nlohmann::json st;
  EXPECT_TRUE(waitUntil([&] {
    st = counted(pub);
    return st.is_object() && st["dropped"]["notConnected"] == 1;
  })) << st.dump(1);
  EXPECT_EQ(st["dropped"]["unknownTuple"], expectPub.unknownTuple);
  EXPECT_EQ(st["iceState"], "COMPLETED") << st.dump(1);

  // A flood, in bursts the socket buffers hold: every datagram counted.
  constexpr int kBursts = 10, kBurstSize = 100;
  uint64_t unknownKind = expectViewer.unknownKind;
  for (int burst = 0; burst < kBursts; ++burst) {
    for (int i = 0; i < kBurstSize; ++i)
      ASSERT_TRUE(attacker.send(viewer.mediaPort, patterned(200, 0x47, static_cast<uint8_t>(i))));
    unknownKind += kBurstSize;
    ASSERT_TRUE(waitUntil([&] {
      st = counted(viewer);
      return st.is_object() && st["dropped"]["unknownKind"] == unknownKind;
    })) << "burst "
        << burst << ": " << st.dump(1);
  }

  // The server is unharmed: the sessions are all there, new ones can start, and the worker
  // never restarted (TearDown).
  for (const Session* s : {&pub, &viewer, &bystander})
    EXPECT_FALSE(streamSession(port_, s->id).is_null()) << s->location;
  Session after = createSession(port_, "/whip/after-attack", sdpFixture("chromium-whip-offer.sdp"));
  for (const Session* s : {&pub, &viewer, &bystander, &after})
    EXPECT_EQ(request(port_, "DELETE", s->location).status, 200) << s->location;
  expectNothingAllocated(port_);
}

// The same attack on the shared port (the default): a forged check that names a session's
// ufrag reaches that session (401, counted there); everything else reaches no session and is
// counted by the port, under its cause, in /api/workers. No other session sees anything.
TEST_F(WhipWhepServer, OnTheSharedPortWhatReachesNoSessionIsCountedByThePort) {
  AttackedSessions sessions = createAttackedSessions(port_);
  Session &pub = sessions.pub, &viewer = sessions.viewer, &bystander = sessions.bystander;
  ASSERT_TRUE(pub.mediaPort && viewer.mediaPort && bystander.mediaPort);
  ASSERT_EQ(pub.mediaPort, viewer.mediaPort);
  ASSERT_EQ(pub.mediaPort, bystander.mediaPort);
  const uint16_t shared = pub.mediaPort;
  auto portStats = [&] {
    const auto workers = getJson(port_, "/api/workers");
    for (const auto& w : workers["workers"])
      for (const auto& p : w["sharedPorts"])
        if (p["port"] == shared) return p;
    return nlohmann::json();
  };
  const auto before = portStats();
  ASSERT_TRUE(before.is_object()) << getJson(port_, "/api/workers").dump(1);
  EXPECT_EQ(before["iceUfrags"], 3);

  UdpClient attacker;
  uint64_t bytes = 0, unknownTuple = 0, malformedStun = 0;
  auto send = [&](const Bytes& b, uint64_t* cause) {
    ASSERT_TRUE(attacker.send(shared, b));
    bytes += b.size();
    if (cause) ++*cause;
  };
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  send(Bytes(http.begin(), http.end()), &unknownTuple);
  send(Bytes(64, 0xff), &unknownTuple);
  send(Bytes{}, &unknownTuple);
  send(patterned(65000, 0x42, 7), &unknownTuple);
  Bytes badCookie = patterned(28, 0x00, 3);
  badCookie[1] = 0x01;
  badCookie[2] = 0x00;
  badCookie[3] = 0x08;
  send(badCookie, &malformedStun);
  send(fakeDtlsRecord(22, 120), &unknownTuple);
  for (uint16_t seq = 1; seq <= 3; ++seq)
    send(fakeSrtp(96, seq), &unknownTuple);
  // A made-up ufrag: dropped unanswered (no session's password to sign a 401 with).
  const std::string wrongPwd = "thisIsNotThePassword000";
  const auto madeUp = nextTransactionId();
  send(bindingRequest("rAnd0mUfrag:attacker", wrongPwd, madeUp), nullptr);
  EXPECT_FALSE(awaitStunReply(attacker, madeUp, wrongPwd));
  // The publisher's ufrag with a wrong password: the publisher's transport answers 401.
  const auto forged = nextTransactionId();
  const Bytes forgedCheck = bindingRequest(pub.ufrag + ":attacker", wrongPwd, forged);
  ASSERT_TRUE(attacker.send(shared, forgedCheck));
  auto reply = awaitStunReply(attacker, forged, wrongPwd);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->errorCode, 401);

  nlohmann::json after;
  EXPECT_TRUE(waitUntil([&] {
    after = portStats();
    return after.is_object() &&
           after["dropped"]["unknownTuple"] ==
               before["dropped"]["unknownTuple"].get<uint64_t>() + unknownTuple &&
           after["dropped"]["unknownUfrag"] ==
               before["dropped"]["unknownUfrag"].get<uint64_t>() + 1;
  })) << after.dump(1);
  EXPECT_EQ(after["dropped"]["malformedStun"],
            before["dropped"]["malformedStun"].get<uint64_t>() + malformedStun);
  EXPECT_EQ(after["bytesReceived"],
            before["bytesReceived"].get<uint64_t>() + bytes + forgedCheck.size());
  auto st = streamSession(port_, pub.id)["stats"];
  EXPECT_EQ(st["dropped"]["stun"], 1) << st.dump(1);
  EXPECT_EQ(st["bytesReceived"], forgedCheck.size());
  EXPECT_EQ(st["iceState"], "NEW");
  for (const Session* s : {&viewer, &bystander}) {
    st = streamSession(port_, s->id)["stats"];
    EXPECT_EQ(st["bytesReceived"], 0) << s->location << st.dump(1);
    EXPECT_EQ(st["packetsDropped"], 0) << s->location << st.dump(1);
  }
  // A check with the viewer's credentials validates the attacker's address for the viewer
  // only: its SRTP then reaches the viewer (not connected yet), not the publisher.
  expectCheckSucceeds(attacker, viewer, viewer.ufrag, viewer.pwd, viewer.remoteUfrag);
  ASSERT_TRUE(attacker.send(shared, fakeSrtp(96, 100)));
  EXPECT_TRUE(waitUntil([&] {
    st = streamSession(port_, viewer.id)["stats"];
    return st.is_object() && st["dropped"]["notConnected"] == 1;
  })) << st.dump(1);
  EXPECT_EQ(streamSession(port_, pub.id)["stats"]["dropped"]["notConnected"], 0);

  for (const Session* s : {&pub, &viewer, &bystander})
    EXPECT_EQ(request(port_, "DELETE", s->location).status, 200) << s->location;
  expectNothingAllocated(port_);
  // Closed sessions leave nothing on the port.
  EXPECT_TRUE(waitUntil([&] {
    after = portStats();
    return after.is_object() && after["iceUfrags"] == 0 && after["tuples"] == 0;
  })) << after.dump(1);
}

// --- access tokens -------------------------------------------------------------------------

// --- RTP ingest (POST /api/ingest/{stream}) ----------------------------------------------------

const std::string kJson = "application/json";

HttpResult postIngest(uint16_t port, const std::string& stream, const std::string& body,
                      const std::string& token = "") {
  auto headers = bearer(token);
  headers.emplace_back("Content-Type", kJson);
  return request(port, "POST", "/api/ingest/" + stream, body, headers);
}

// A 201 to an ingest POST: JSON naming every track's ports, and a Location under the stream.
nlohmann::json createIngest(uint16_t port, const std::string& stream, const std::string& body,
                            const std::string& token = "") {
  auto r = postIngest(port, stream, body, token);
  EXPECT_EQ(r.status, 201) << describe(r);
  if (r.status != 201) return nullptr;
  EXPECT_EQ(r.header("content-type").value_or(""), kJson);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.body;
  const std::string location = r.header("location").value_or("");
  EXPECT_EQ(location.rfind("/api/ingest/" + stream + "/", 0), 0u) << location;
  EXPECT_EQ(j.value("location", ""), location);
  EXPECT_EQ(j.value("stream", ""), stream);
  return j;
}

// An RTP packet (RFC 3550 section 5.1) with a small VP8 payload (RFC 7741 section 4.2).
Bytes rtpPacket(uint8_t payloadType, uint16_t sequence, uint32_t ssrc) {
  Bytes b = {0x80,
             payloadType,
             static_cast<uint8_t>(sequence >> 8),
             static_cast<uint8_t>(sequence),
             0,
             0,
             0,
             static_cast<uint8_t>(sequence),
             static_cast<uint8_t>(ssrc >> 24),
             static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),
             static_cast<uint8_t>(ssrc)};
  Bytes payload = patterned(200, 0x10, static_cast<uint8_t>(sequence));  // S=1, partition 0
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

struct BadIngest {
  const char* name;
  std::string body;
  std::string reason;
};

TEST_F(WhipWhepServer, IngestRefusalsSayWhyAndLeaveNothingBehind) {
  const BadIngest bad[] = {
      {"not JSON", "{\"video\":", "the body must be a JSON object"},
      {"an array", "[]", "the body must be a JSON object"},
      {"no track", "{}", "name a 'video' or an 'audio' stream, or both"},
      {"unknown field", R"({"video":{},"bogus":1})", "unknown field 'bogus'"},
      {"unknown track field", R"({"video":{"bitrate":1}})", "video: unknown field 'bitrate'"},
      {"codec not routed", R"({"video":{"codec":"H265"}})",
       "video: codec 'H265' is not routed; one of VP8, VP9, AV1, H264"},
      {"audio codec as video", R"({"video":{"codec":"opus"}})", "codec 'opus' is not routed"},
      {"static payload type", R"({"audio":{"payloadType":0}})",
       "audio: 'payloadType' must be dynamic, 96-127"},
      {"payload type too large", R"({"video":{"payloadType":200}})",
       "'payloadType' must be an integer from 0 to 127"},
      {"ssrc 0", R"({"video":{"ssrc":0}})", "video: 'ssrc' must not be 0"},
      {"negative ssrc", R"({"video":{"ssrc":-5}})", "'ssrc' must be an integer"},
      {"fmtp with spaces", R"({"video":{"codec":"H264","fmtp":"a b"}})", "'fmtp' must be"},
      {"unknown SRTP suite", R"({"video":{},"srtp":"NULL"})",
       "'srtp' must be \"AES_CM_128_HMAC_SHA1_80\" or \"AEAD_AES_128_GCM\""},
      {"key without SRTP", R"({"video":{"srtpKey":"AAAA"}})", "video: 'srtpKey' needs 'srtp'"},
      {"key of the wrong length", R"({"video":{"srtpKey":"AAAA"},"srtp":"AEAD_AES_128_GCM"})",
       "video: 'srtpKey' must be base64 of 28 bytes"},
      {"remote without port", R"({"audio":{"remote":{"ip":"127.0.0.1"}}})",
       "audio: 'remote' needs a 'port' from 1 to 65535"},
      {"rtcpMux not a boolean", R"({"video":{},"rtcpMux":"yes"})",
       "'rtcpMux' must be true or false"},
  };
  for (const auto& c : bad)
    expectRefusal(postIngest(port_, "in1", c.body), 400, c.reason, c.name);
  // The worker refuses what only it can check; the half-made ingest is taken down again.
  expectRefusal(postIngest(port_, "in1", R"({"video":{"remote":{"ip":"not.an.ip","port":9}}})"),
                400, "ip is not an IP address", "remote ip");
  expectRefusal(
      request(port_, "POST", "/api/ingest/in1", "{\"video\":{}}", {{"Content-Type", "text/plain"}}),
      415, "the body must be application/json", "text/plain body");
  expectRefusal(postIngest(port_, "a*b", "{\"video\":{}}"), 400, "stream names are 1-64",
                "bad stream name");
  expectRefusal(request(port_, "POST", "/api/ingest", "{}", {{"Content-Type", kJson}}), 405,
                "POST goes to /api/ingest/{stream}", "POST without a stream");
  expectRefusal(request(port_, "DELETE", "/api/ingest/in1"), 405,
                "DELETE goes to an ingest's Location", "DELETE without an id");
  expectRefusal(request(port_, "DELETE", "/api/ingest/in1/00000000000000000000000000000000"), 404,
                "no such ingest", "DELETE of an unknown ingest");

  // One publisher per stream, whichever way it publishes.
  Session pub = createSession(port_, "/whip/s1", sdpFixture("aiortc-publish-offer.sdp"));
  expectRefusal(postIngest(port_, "s1", "{\"video\":{}}"), 409,
                "stream 's1' already has a publisher", "ingest onto a WHIP stream");
  expectRefusal(request(port_, "DELETE", "/api/ingest/s1/" + pub.id), 404, "no such ingest",
                "a WHIP session's id under /api/ingest");
  auto ingest = createIngest(port_, "s2", "{\"audio\":{}}");
  ASSERT_TRUE(ingest.is_object());
  expectRefusal(post(port_, "/whip/s2", sdpFixture("aiortc-publish-offer.sdp")), 409,
                "stream 's2' already has a publisher", "WHIP onto an ingested stream");
  expectRefusal(postIngest(port_, "s2", "{\"audio\":{}}"), 409,
                "stream 's2' already has a publisher", "a second ingest");
  const std::string id = ingest["id"];
  expectRefusal(request(port_, "DELETE", "/whip/s2/" + id), 404, "no such session",
                "an ingest's id under /whip");

  auto options = request(port_, "OPTIONS", "/api/ingest/s2");
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.header("accept-post").value_or(""), kJson);

  EXPECT_EQ(request(port_, "DELETE", ingest["location"]).status, 200);
  expectRefusal(request(port_, "DELETE", ingest["location"]), 404, "no such ingest",
                "DELETE twice");
  EXPECT_EQ(request(port_, "DELETE", pub.location).status, 200);
  expectNothingAllocated(port_);
}

// What a sender (ffmpeg, GStreamer) sees: ports per track, RTCP apart, the first sender's
// packets counted, a stranger's dropped as such; a WHEP viewer is offered the ingest's codec.
TEST_F(WhipWhepServer, IngestTakesRtpFromItsFirstSenderAndViewersCanWatch) {
  auto ingest = createIngest(port_, "cam",
                             R"({"video":{"codec":"vp8","payloadType":100},)"
                             R"("audio":{"codec":"opus","payloadType":109},)"
                             R"("srtp":null})");
  ASSERT_TRUE(ingest.is_object());
  for (const char* kind : {"video", "audio"}) {
    SCOPED_TRACE(kind);
    const auto& t = ingest[kind];
    ASSERT_TRUE(t.is_object()) << ingest.dump();
    EXPECT_EQ(t["ip"], "127.0.0.1");
    EXPECT_GE(t["port"].get<int>(), kRtcMinPort);
    EXPECT_LE(t["port"].get<int>(), kRtcMaxPort);
    EXPECT_NE(t["rtcpPort"], t["port"]) << "RTCP has a port of its own by default";
    EXPECT_TRUE(t["comedia"].get<bool>());
    EXPECT_FALSE(t.contains("srtp"));
  }
  EXPECT_EQ(ingest["video"]["codec"], "VP8");
  EXPECT_EQ(ingest["video"]["payloadType"], 100);
  EXPECT_EQ(ingest["video"]["clockRate"], 90000);
  EXPECT_EQ(ingest["audio"]["codec"], "opus");
  EXPECT_EQ(ingest["audio"]["channels"], 2);

  const auto videoPort = static_cast<uint16_t>(ingest["video"]["port"].get<int>());
  UdpClient sender, stranger;
  constexpr int kSent = 20, kStrangers = 5;
  for (int i = 0; i < kSent; ++i)
    ASSERT_TRUE(sender.send(videoPort, rtpPacket(100, static_cast<uint16_t>(i), 0x1234)));
  for (int i = 0; i < kStrangers; ++i)
    ASSERT_TRUE(stranger.send(videoPort, rtpPacket(100, static_cast<uint16_t>(i), 0x9999)));
  nlohmann::json entry;
  const bool counted = waitUntil([&] {
    entry = streamSession(port_, ingest["id"]);
    if (!entry.is_object() || entry["tracks"].size() != 2) return false;
    const auto& st = entry["tracks"][0]["stats"];
    return st["rtpReceived"] == kSent && st["dropped"]["unknownTuple"] == kStrangers;
  });
  EXPECT_TRUE(counted) << entry.dump(1);
  EXPECT_EQ(entry["kind"], "ingest");
  EXPECT_EQ(entry["tracks"][0]["kind"], "video");
  EXPECT_EQ(entry["tracks"][0]["port"], videoPort);
  EXPECT_EQ(entry["tracks"][1]["stats"]["rtpReceived"], 0);
  // Comedia learned the video's sender (the notification may trail the counters a little).
  const bool learned = waitUntil([&] {
    entry = streamSession(port_, ingest["id"]);
    return entry.is_object() && entry["tracks"][0].contains("sender");
  });
  EXPECT_TRUE(learned) << entry.dump(1);
  EXPECT_EQ(entry["tracks"][0].value("sender", "").rfind("127.0.0.1:", 0), 0u) << entry.dump(1);
  EXPECT_FALSE(entry["tracks"][1].contains("sender")) << "nobody sent audio";
  EXPECT_EQ(entry["producers"].size(), 2u);

  // A viewer is offered exactly the ingest's codecs.
  Session viewer = createSession(port_, "/whep/cam", sdpFixture("aiortc-recvonly-offer.sdp"));
  EXPECT_NE(viewer.answer.find(" VP8/90000"), std::string::npos) << viewer.answer;
  EXPECT_NE(viewer.answer.find(" opus/48000/2"), std::string::npos) << viewer.answer;
  EXPECT_EQ(viewer.answer.find("H264"), std::string::npos) << viewer.answer;

  EXPECT_EQ(request(port_, "DELETE", ingest["location"]).status, 200);
  EXPECT_EQ(request(port_, "DELETE", viewer.location).status, 200);
  expectNothingAllocated(port_);
}

// UDP has no connection to lose: an ingest that stops receiving RTP ends after its idle
// timeout, and one that keeps receiving stays however long it runs.
TEST_F(WhipWhepServer, AnIngestEndsWhenItsRtpStopsForItsIdleTimeout) {
  constexpr int kTimeoutS = 2;
  auto ingest = createIngest(port_, "quiet",
                             R"({"video":{"codec":"vp8","payloadType":100},"idleTimeout":)" +
                                 std::to_string(kTimeoutS) + "}");
  ASSERT_TRUE(ingest.is_object());
  EXPECT_EQ(ingest["idleTimeout"], kTimeoutS);
  const auto videoPort = static_cast<uint16_t>(ingest["video"]["port"].get<int>());

  // RTP every 100 ms for longer than the timeout: the ingest stays.
  UdpClient sender;
  const auto start = std::chrono::steady_clock::now();
  uint16_t sequence = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(kTimeoutS + 2)) {
    ASSERT_TRUE(sender.send(videoPort, rtpPacket(100, sequence++, 0x1234)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(streamSession(port_, ingest["id"]).is_object()) << "ended while receiving RTP";

  // Then silence: it ends, not before the timeout, and frees the stream for a new publisher.
  const auto silent = std::chrono::steady_clock::now();
  const bool ended = waitUntil([&] { return streamSession(port_, ingest["id"]).is_null(); },
                               (kTimeoutS + 3) * 1000);
  EXPECT_TRUE(ended);
  EXPECT_GE(std::chrono::steady_clock::now() - silent,
            std::chrono::seconds(kTimeoutS) - std::chrono::milliseconds(100));
  EXPECT_EQ(request(port_, "DELETE", ingest["location"]).status, 404);
  expectNothingAllocated(port_);

  // Without "idleTimeout" the server's default holds; 0 turns it off.
  auto byDefault = createIngest(port_, "quiet", R"({"audio":{}})");
  ASSERT_TRUE(byDefault.is_object());
  EXPECT_EQ(byDefault["idleTimeout"], 30);
  EXPECT_EQ(request(port_, "DELETE", byDefault["location"]).status, 200);
  auto never = createIngest(port_, "quiet", R"({"audio":{},"idleTimeout":0})");
  ASSERT_TRUE(never.is_object());
  EXPECT_EQ(never["idleTimeout"], 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(streamSession(port_, never["id"]).is_object());
  EXPECT_EQ(request(port_, "DELETE", never["location"]).status, 200);
  expectNothingAllocated(port_);
}

class WhipWhepAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto file =
        readWholeFile(std::string(SWITCHYARD_FIXTURES_DIR) + "/tokens/pyjwt_tokens.json");
    pyjwt_ = nlohmann::json::parse(file, nullptr, false);
    ASSERT_FALSE(pyjwt_.is_discarded()) << "tokens/pyjwt_tokens.json";
    port_ = freePort();
    // Not --dev: loopback gets no free pass. Keys of the PyJWT fixtures.
    nlohmann::json config = {
        {"http", {{"listen", "127.0.0.1:" + std::to_string(port_)}}},
        {"workers", {{"count", 1}}},
        {"rtc", {{"minPort", kRtcMinPort}, {"maxPort", kRtcMaxPort}, {"listenIps", {"127.0.0.1"}}}},
        {"auth", {{"keys", pyjwt_["keys"]}}}};
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{}, config.dump(2));
    ASSERT_TRUE(server_->waitHealthy(port_)) << server_->output();
  }

  // The PyJWT token of the named fixture case.
  std::string pyjwt(const std::string& name) {
    for (const auto& c : pyjwt_["cases"]) {
      if (c["name"] == name) return c["token"];
    }
    ADD_FAILURE() << "no PyJWT fixture token '" << name << "'";
    return "";
  }
  // A token from `switchyard token` (the CLI) with the fixtures' key.
  std::string cliToken(std::vector<std::string> args) {
    const std::string key = "fixture-key";
    args.insert(args.begin(),
                {"token", "--key", key, "--secret", pyjwt_["keys"][key].get<std::string>()});
    auto r = runSwitchyard(args);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    std::string token = r.out;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
      token.pop_back();
    EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2) << token;
    return token;
  }

  uint16_t port_ = 0;
  nlohmann::json pyjwt_;
  std::unique_ptr<ServerProcess> server_;
};

struct TokenCase {
  const char* name;
  std::string endpoint;
  std::optional<std::string> authorization;  // the header's value; nullopt: none
  std::string reason;
};

TEST_F(WhipWhepAuth, EveryOperationNeedsATokenThatAllowsIt) {
  const std::string pubOffer = sdpFixture("aiortc-publish-offer.sdp");
  const std::string viewOffer = sdpFixture("aiortc-recvonly-offer.sdp");
  const std::string publish = pyjwt("publish");
  const std::string subscribe = pyjwt("subscribe");
  const TokenCase refused[] = {
      {"no token, from loopback", "/whip/cam1", std::nullopt,
       "an Authorization: Bearer token is required"},
      {"Basic credentials", "/whip/cam1",
       "Basic Zm9vOmJhcg==", "the Authorization header must be 'Bearer <token>'"},
      {"not a JWT", "/whip/cam1", "Bearer not-a-token", "malformed token"},
      {"wrong secret", "/whip/cam1", "Bearer " + pyjwt("wrong secret"), "bad signature"},
      {"unknown key", "/whip/cam1", "Bearer " + pyjwt("unknown iss"), "unknown key 'nobody'"},
      {"expired", "/whip/cam1", "Bearer " + pyjwt("expired long ago"), "token expired"},
      {"alg none", "/whip/cam1", "Bearer " + pyjwt("alg none"),
       "unsupported algorithm 'none', only HS256"},
      {"token for another stream", "/whip/cam2", "Bearer " + publish,
       "the token does not allow publishing stream 'cam2'"},
      {"subscribe-only token used to publish", "/whip/cam1", "Bearer " + subscribe,
       "the token does not allow publishing stream 'cam1'"},
      {"subscribe-only token for any stream used to publish", "/whip/cam1",
       "Bearer " + pyjwt("any stream"), "the token does not allow publishing stream 'cam1'"},
  };
  for (const auto& c : refused) {
    HttpHeaders h = {{"Content-Type", kSdp}};
    if (c.authorization) h.emplace_back("Authorization", *c.authorization);
    expectRefusal(request(port_, "POST", c.endpoint, pubOffer, h), 401, c.reason, c.name);
  }
  // Authorization comes before anything is parsed.
  expectRefusal(post(port_, "/whip/cam1", "\x01garbage"), 401,
                "an Authorization: Bearer token is required", "garbage without a token");

  Session pub = createSession(port_, "/whip/cam1", pubOffer, publish);
  ASSERT_FALSE(pub.location.empty());
  expectRefusal(post(port_, "/whep/cam1", viewOffer, publish), 401,
                "the token does not allow watching stream 'cam1'", "publish-only token to watch");
  expectRefusal(post(port_, "/whep/cam1", viewOffer), 401,
                "an Authorization: Bearer token is required", "watching without a token");
  Session viewer = createSession(port_, "/whep/cam1", viewOffer, subscribe);
  Session anyViewer = createSession(port_, "/whep/cam1", viewOffer, pyjwt("any stream"));

  // PATCH and DELETE on a Location need the same right as the POST.
  const std::string trickle = "a=ice-ufrag:abcd\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n";
  expectRefusal(request(port_, "PATCH", viewer.location, trickle, {{"Content-Type", kSdpFrag}}),
                401, "an Authorization: Bearer token is required", "PATCH without a token");
  expectRefusal(request(port_, "DELETE", viewer.location), 401,
                "an Authorization: Bearer token is required", "DELETE without a token");
  expectRefusal(request(port_, "DELETE", pub.location, "", bearer(subscribe)), 401,
                "the token does not allow publishing stream 'cam1'",
                "DELETE of the publisher with a subscribe-only token");
  expectRefusal(request(port_, "DELETE", pub.location, "", bearer(pyjwt("wrong secret"))), 401,
                "bad signature", "DELETE with a forged token");

  // A token minted by `switchyard token` works the same.
  const std::string cli = cliToken({"--stream", "cam3", "--publish", "--ttl", "60"});
  Session cliPub = createSession(port_, "/whip/cam3", pubOffer, cli);
  expectRefusal(post(port_, "/whep/cam3", viewOffer, cli), 401,
                "the token does not allow watching stream 'cam3'", "CLI publish-only to watch");

  EXPECT_EQ(request(port_, "DELETE", viewer.location, "", bearer(subscribe)).status, 200);
  EXPECT_EQ(request(port_, "DELETE", anyViewer.location, "", bearer(subscribe)).status, 200);
  EXPECT_EQ(request(port_, "DELETE", pub.location, "", bearer(publish)).status, 200);
  EXPECT_EQ(request(port_, "DELETE", cliPub.location, "", bearer(cli)).status, 200);
  expectNothingAllocated(port_, cliToken({"--stream", "*", "--publish", "--subscribe"}));
}

// An ingest publishes: it needs a token that may publish its stream, and so does its DELETE.
TEST_F(WhipWhepAuth, IngestNeedsATokenThatMayPublishTheStream) {
  const std::string body = "{\"video\":{}}";
  expectRefusal(postIngest(port_, "cam1", body), 401, "an Authorization: Bearer token is required",
                "no token");
  expectRefusal(postIngest(port_, "cam1", body, pyjwt("subscribe")), 401,
                "the token does not allow publishing stream 'cam1'", "subscribe-only token");
  expectRefusal(postIngest(port_, "cam2", body, pyjwt("publish")), 401,
                "the token does not allow publishing stream 'cam2'", "token for another stream");
  expectRefusal(postIngest(port_, "cam1", "garbage", pyjwt("wrong secret")), 401, "bad signature",
                "forged token, before the body is read");
  auto ingest = createIngest(port_, "cam1", body, pyjwt("publish"));
  ASSERT_TRUE(ingest.is_object());
  expectRefusal(request(port_, "DELETE", ingest["location"], "", bearer(pyjwt("subscribe"))), 401,
                "the token does not allow publishing stream 'cam1'", "DELETE, subscribe-only");
  EXPECT_EQ(request(port_, "DELETE", ingest["location"], "", bearer(pyjwt("publish"))).status, 200);
  expectNothingAllocated(port_, cliToken({"--stream", "*", "--publish", "--subscribe"}));
}

TEST_F(WhipWhepAuth, AdminApiNeedsATokenForEveryStreamWithBothRights) {
  const std::string admin = cliToken({"--stream", "*", "--publish", "--subscribe"});
  const TokenCase refused[] = {
      {"no token, from loopback", "", std::nullopt, "admin access needs a token for stream '*'"},
      {"both rights on one stream", "", "Bearer " + pyjwt("publish and subscribe"),
       "admin access needs a token for stream '*'"},
      {"every stream, subscribe only", "", "Bearer " + pyjwt("any stream"),
       "admin access needs a token for stream '*'"},
      {"every stream, publish only", "", "Bearer " + cliToken({"--stream", "*", "--publish"}),
       "admin access needs a token for stream '*'"},
      {"expired", "", "Bearer " + pyjwt("expired long ago"),
       "admin access needs a token for stream '*'"},
  };
  for (const char* path : {"/api/streams", "/api/workers"}) {
    for (const auto& c : refused) {
      HttpHeaders h;
      if (c.authorization) h.emplace_back("Authorization", *c.authorization);
      auto r = request(port_, "GET", path, "", h);
      SCOPED_TRACE(std::string(path) + ": " + c.name);
      EXPECT_EQ(r.status, 401) << describe(r);
      EXPECT_NE(r.body.find(c.reason), std::string::npos) << describe(r);
      EXPECT_EQ(r.body.find("\"workers\""), std::string::npos);
      EXPECT_EQ(r.body.find("\"streams\""), std::string::npos);
    }
    auto ok = request(port_, "GET", path, "", bearer(admin));
    EXPECT_EQ(ok.status, 200) << path << ": " << describe(ok);
    EXPECT_FALSE(nlohmann::json::parse(ok.body, nullptr, false).is_discarded()) << ok.body;
  }
}

// RFC 9110 section 11.6.1: a 401 response MUST carry WWW-Authenticate, so a client knows to
// send a Bearer token.
TEST_F(WhipWhepAuth, AdminApiRefusalsNameTheBearerScheme) {
  for (const char* path : {"/api/streams", "/api/workers"}) {
    auto r = request(port_, "GET", path);
    EXPECT_EQ(r.status, 401) << path << ": " << describe(r);
    EXPECT_EQ(r.header("www-authenticate").value_or("(none)"), "Bearer") << path;
  }
}

}  // namespace
}  // namespace switchyard::test
