// PlainTransport on a real libuv loop, with real loopback UDP sockets as the peer: who may send
// (the connected peer, or the one comedia learns), what is dropped and counted by cause, SRTP
// with keys given rather than negotiated (both profiles), RTCP on a port of its own, and the
// ways connect() refuses.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rtp/RtpPacket.hpp"
#include "transport/PlainTransport.hpp"
#include "transport/SrtpParameters.hpp"
#include "transport/SrtpSession.hpp"

namespace {

using namespace switchyard;
using transport::PlainTransport;
using transport::SocketAddress;
using transport::SrtpParameters;
using transport::SrtpProfile;
using transport::SrtpSession;
using Bytes = std::vector<uint8_t>;

constexpr const char* kLoopback = "127.0.0.1";
constexpr uint8_t kPayloadType = 96;
constexpr uint32_t kPeerSsrc = 0x11223344;
constexpr uint32_t kOurSsrc = 0x55667788;
constexpr size_t kPayloadSize = 160;
// How long a peer waits for a datagram the transport should have sent (it is sent before
// sendRtp returns: this only bounds a failure), and for one that should not come.
constexpr int kReceiveTimeoutMs = 1000;
constexpr int kSilenceMs = 50;
// A buffer as the router hands packets over: a whole datagram and room for any SRTP trailer.
constexpr size_t kPacketBufferSize = 1500;

std::string profileName(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? "AeadAes128Gcm" : "Aes128CmHmacSha1_80";
}

// A libuv loop run in small steps until a condition holds (about 2 s at most).
struct Loop {
  uv_loop_t loop;
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    // The transports' sockets close asynchronously; nothing may be left open.
    for (int i = 0; i < 100 && uv_loop_alive(&loop); ++i)
      uv_run(&loop, UV_RUN_NOWAIT);
    EXPECT_EQ(uv_loop_close(&loop), 0) << "libuv handles left open";
  }
  template <typename Done>
  bool runUntil(Done done) {
    for (int i = 0; i < 2000; ++i) {
      if (done()) return true;
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    return done();
  }
};

// The far end: a loopback UDP socket of its own.
class Peer {
 public:
  explicit Peer(uint16_t port = 0) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Peer() {
    if (fd_ >= 0) ::close(fd_);
  }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  bool bound() const { return bound_; }
  SocketAddress address() const {
    sockaddr_storage a{};
    socklen_t length = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length);
    return *SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&a), length);
  }
  void send(std::span<const uint8_t> bytes, const SocketAddress& to) {
    const ssize_t n =
        ::sendto(fd_, bytes.data(), bytes.size(), 0, to.sockaddrPtr(), to.sockaddrLength());
    EXPECT_EQ(n, static_cast<ssize_t>(bytes.size())) << "sendto: " << strerror(errno);
  }
  std::optional<Bytes> receive(int timeoutMs = kReceiveTimeoutMs) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) != 1) return std::nullopt;
    Bytes buffer(65536);
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<size_t>(n));
    return buffer;
  }
  bool silent() { return !receive(kSilenceMs).has_value(); }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

// Two peer sockets on consecutive ports (RTP even or not, RTCP right after it).
std::pair<std::unique_ptr<Peer>, std::unique_ptr<Peer>> peerPair() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto rtp = std::make_unique<Peer>();
    const uint16_t port = rtp->address().port();
    if (port == UINT16_MAX) continue;
    auto rtcp = std::make_unique<Peer>(static_cast<uint16_t>(port + 1));
    if (rtcp->bound()) return {std::move(rtp), std::move(rtcp)};
  }
  ADD_FAILURE() << "no two consecutive free UDP ports";
  return {std::make_unique<Peer>(), std::make_unique<Peer>()};
}

// What the transport hands up.
class Recorder final : public PlainTransport::Listener {
 public:
  struct Rtp {
    Bytes bytes;
    uint32_t ssrc;
    uint16_t sequenceNumber;
    uint8_t payloadType;
    Bytes payload;
  };
  struct Tuple {
    SocketAddress remote;
    bool rtcp;
  };

  void onRtp(rtp::RtpPacket& packet) override {
    rtp.push_back({Bytes(packet.bytes().begin(), packet.bytes().end()), packet.ssrc(),
                   packet.sequenceNumber(), packet.payloadType(),
                   Bytes(packet.payload().begin(), packet.payload().end())});
  }
  void onRtcp(std::span<const uint8_t> compound) override {
    rtcp.emplace_back(compound.begin(), compound.end());
  }
  void onTupleLearned(const SocketAddress& remote, bool isRtcp) override {
    tuples.push_back({remote, isRtcp});
  }

  std::vector<Rtp> rtp;
  std::vector<Bytes> rtcp;
  std::vector<Tuple> tuples;
};

Bytes payloadFor(uint16_t seq) {
  Bytes payload(kPayloadSize);
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<uint8_t>(i * 7 + seq);
  return payload;
}

// An RTP packet as bytes (RFC 3550 section 5.1), built by rtp::RtpPacket.
Bytes rtpBytes(uint16_t seq, uint32_t ssrc = kPeerSsrc) {
  Bytes buffer(kPacketBufferSize);
  const Bytes payload = payloadFor(seq);
  auto packet = rtp::RtpPacket::build(buffer, kPayloadType, seq, seq * 960u, ssrc, payload);
  EXPECT_TRUE(packet.has_value());
  buffer.resize(packet ? packet->size() : 0);
  return buffer;
}

// A compound RTCP packet: an empty receiver report (RFC 3550 section 6.4.2) and a PLI (RFC 4585
// section 6.3.1), written by hand.
Bytes rtcpBytes(uint32_t sender, uint32_t media) {
  auto u32 = [](Bytes& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<uint8_t>(v >> shift));
  };
  Bytes out = {0x80, 201, 0x00, 0x01};  // RR, no report blocks, length 1 word
  u32(out, sender);
  out.insert(out.end(), {0x81, 206, 0x00, 0x02});  // PSFB, FMT 1 (PLI), length 2 words
  u32(out, sender);
  u32(out, media);
  return out;
}

// What the router sends: a packet in a buffer with room for the SRTP trailer.
struct OutgoingRtp {
  explicit OutgoingRtp(uint16_t seq) {
    const Bytes payload = payloadFor(seq);
    packet = *rtp::RtpPacket::build(buffer, kPayloadType, seq, seq * 960u, kOurSsrc, payload);
    plain.assign(packet.bytes().begin(), packet.bytes().end());
  }
  std::array<uint8_t, kPacketBufferSize> buffer{};
  rtp::RtpPacket packet;
  Bytes plain;  // as it was before the transport protected it in place
};

struct OutgoingRtcp {
  OutgoingRtcp() {
    plain = rtcpBytes(kOurSsrc, kPeerSsrc);
    std::copy(plain.begin(), plain.end(), buffer.begin());
  }
  std::array<uint8_t, kPacketBufferSize> buffer{};
  Bytes plain;
};

std::unique_ptr<SrtpSession> srtpSession(SrtpSession::Direction direction,
                                         const SrtpParameters& key) {
  auto s = SrtpSession::create(direction, key.profile(), key.keyAndSalt());
  EXPECT_TRUE(s.ok());
  return s.ok() ? std::move(*s) : nullptr;
}

Bytes protect(SrtpSession& session, Bytes bytes, bool rtcp) {
  const size_t length = bytes.size();
  bytes.resize(length + SrtpSession::kMaxTrailer);
  auto n = rtcp ? session.protectRtcp(bytes, length) : session.protectRtp(bytes, length);
  EXPECT_TRUE(n.ok());
  bytes.resize(n.ok() ? *n : 0);
  return bytes;
}

std::optional<Bytes> unprotect(SrtpSession& session, Bytes bytes, bool rtcp) {
  auto n = rtcp ? session.unprotectRtcp(bytes) : session.unprotectRtp(bytes);
  if (!n.ok()) return std::nullopt;
  bytes.resize(*n);
  return bytes;
}

PlainTransport::Options options(bool comedia = false) {
  PlainTransport::Options o;
  o.listen.ip = kLoopback;
  o.comedia = comedia;
  return o;
}

class PlainTransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<PlainTransport> create(const PlainTransport::Options& o, Recorder& recorder) {
    std::string error;
    auto t = PlainTransport::create(&loop_.loop, o, recorder, &error);
    EXPECT_TRUE(t) << error;
    return t;
  }

  // Sends from `from` to the transport's address `to` and runs the loop until the transport
  // has read the datagram: every datagram adds to bytesReceived, whatever becomes of it.
  void deliver(Peer& from, std::span<const uint8_t> bytes, const SocketAddress& to,
               const PlainTransport& t) {
    const uint64_t expected = t.counters().bytesReceived + bytes.size();
    from.send(bytes, to);
    EXPECT_TRUE(loop_.runUntil([&] { return t.counters().bytesReceived >= expected; }))
        << "the transport never read the datagram";
  }
  void deliver(Peer& from, std::span<const uint8_t> bytes, const PlainTransport& t) {
    deliver(from, bytes, t.localAddress(), t);
  }

  Loop loop_;
};

TEST_F(PlainTransportTest, CreateFailsOnABadAddressOrABusyPort) {
  Recorder recorder;
  std::string error;
  PlainTransport::Options o = options();
  o.listen.ip = "not-an-ip";
  EXPECT_FALSE(PlainTransport::create(&loop_.loop, o, recorder, &error));
  EXPECT_FALSE(error.empty());

  Peer busy;
  ASSERT_TRUE(busy.bound());
  o = options();
  o.listen.port = busy.address().port();
  error.clear();
  EXPECT_FALSE(PlainTransport::create(&loop_.loop, o, recorder, &error));
  EXPECT_NE(error.find("cannot bind"), std::string::npos) << error;

  // The RTCP port taken: the RTP socket already bound is released again (the loop closes with
  // nothing left open).
  o = options();
  o.rtcpListen = PlainTransport::Listen{kLoopback, "", busy.address().port()};
  error.clear();
  EXPECT_FALSE(PlainTransport::create(&loop_.loop, o, recorder, &error));
  EXPECT_NE(error.find("cannot bind"), std::string::npos) << error;

  // A fixed free port is taken as asked, and the announced address is the listen IP unless set.
  uint16_t freePort = 0;
  {
    Peer probe;
    freePort = probe.address().port();
  }
  o = options();
  o.listen.port = freePort;
  o.listen.announcedAddress = "203.0.113.7";
  auto t = PlainTransport::create(&loop_.loop, o, recorder, &error);
  if (t) {  // another process may have taken the port in between; only then is it skipped
    EXPECT_EQ(t->localAddress().port(), freePort);
    EXPECT_EQ(t->announcedAddress(), "203.0.113.7");
  }
  auto other = create(options(), recorder);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->announcedAddress(), kLoopback);
  EXPECT_GE(other->localAddress().port(), 10000);
  EXPECT_LE(other->localAddress().port(), 59999);
  EXPECT_TRUE(other->rtcpMux());
  EXPECT_EQ(other->localRtcpAddress(), other->localAddress());
  EXPECT_FALSE(other->localSrtp().has_value());
}

TEST_F(PlainTransportTest, ConnectedTransportTakesMediaOnlyFromItsPeer) {
  Recorder recorder;
  auto t = create(options(), recorder);
  ASSERT_TRUE(t);
  Peer peer, stranger;

  // Before connect: dropped, and nothing can be sent.
  EXPECT_FALSE(t->canSend());
  deliver(peer, rtpBytes(1), *t);
  EXPECT_EQ(t->counters().droppedNotConnected, 1u);
  OutgoingRtp early(1);
  EXPECT_FALSE(t->sendRtp(early.packet));
  EXPECT_EQ(t->counters().sendFailures, 1u);

  std::string error;
  ASSERT_TRUE(t->connect(peer.address(), 0, std::nullopt, &error)) << error;
  EXPECT_TRUE(t->connected());
  EXPECT_TRUE(t->canSend());
  ASSERT_TRUE(t->remote().has_value());
  EXPECT_EQ(*t->remote(), peer.address());
  EXPECT_FALSE(t->remoteRtcp().has_value());  // rtcp-mux: RTCP goes to the RTP address

  // The peer's RTP is handed up parsed, byte for byte.
  for (uint16_t seq = 10; seq < 13; ++seq) {
    const Bytes sent = rtpBytes(seq);
    deliver(peer, sent, *t);
    ASSERT_EQ(recorder.rtp.size(), static_cast<size_t>(seq - 9));
    const auto& got = recorder.rtp.back();
    EXPECT_EQ(got.bytes, sent);
    EXPECT_EQ(got.ssrc, kPeerSsrc);
    EXPECT_EQ(got.sequenceNumber, seq);
    EXPECT_EQ(got.payloadType, kPayloadType);
    EXPECT_EQ(got.payload, payloadFor(seq));
  }
  // And its RTCP.
  const Bytes rtcp = rtcpBytes(kPeerSsrc, kOurSsrc);
  deliver(peer, rtcp, *t);
  ASSERT_EQ(recorder.rtcp.size(), 1u);
  EXPECT_EQ(recorder.rtcp[0], rtcp);

  // The same from another socket: not the peer.
  deliver(stranger, rtpBytes(13), *t);
  deliver(stranger, rtcp, *t);
  EXPECT_EQ(t->counters().droppedUnknownTuple, 2u);

  // Neither RTP nor RTCP (RFC 7983 section 7 ranges: STUN, DTLS, other; an RTP first byte on
  // fewer than 4 bytes).
  Bytes stun(20, 0);
  stun[1] = 0x01;
  Bytes dtls(40, 0);
  dtls[0] = 22;
  deliver(peer, stun, *t);
  deliver(peer, dtls, *t);
  deliver(peer, Bytes(100, 0x50), *t);
  deliver(peer, Bytes{0x80, kPayloadType, 0}, *t);
  EXPECT_EQ(t->counters().droppedUnknownKind, 4u);

  // Version 2 RTP whose header does not fit: 15 CSRCs announced in a 20-byte datagram, and an
  // 8-byte datagram shorter than the fixed header.
  Bytes truncatedCsrcs = rtpBytes(14);
  truncatedCsrcs[0] = 0x8F;
  truncatedCsrcs.resize(20);
  deliver(peer, truncatedCsrcs, *t);
  Bytes shortHeader = rtpBytes(15);
  shortHeader.resize(8);
  deliver(peer, shortHeader, *t);
  EXPECT_EQ(t->counters().droppedMalformedRtp, 2u);
  EXPECT_EQ(recorder.rtp.size(), 3u);
  EXPECT_EQ(recorder.rtcp.size(), 1u);
  EXPECT_TRUE(recorder.tuples.empty());

  // What the transport sends reaches the peer byte for byte, and nobody else.
  OutgoingRtp out(100);
  ASSERT_TRUE(t->sendRtp(out.packet));
  auto got = peer.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, out.plain);
  OutgoingRtcp outRtcp;
  ASSERT_TRUE(t->sendRtcp(outRtcp.buffer, outRtcp.plain.size()));
  got = peer.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, outRtcp.plain);
  EXPECT_TRUE(stranger.silent());

  const auto& c = t->counters();
  EXPECT_EQ(c.rtpReceived, 3u);
  EXPECT_EQ(c.rtcpReceived, 1u);
  EXPECT_EQ(c.rtpSent, 1u);
  EXPECT_EQ(c.rtcpSent, 1u);
  EXPECT_EQ(c.bytesSent, out.plain.size() + outRtcp.plain.size());
  const uint64_t bytesIn = rtpBytes(1).size() + 3 * rtpBytes(10).size() + 2 * rtcp.size() +
                           rtpBytes(13).size() + stun.size() + dtls.size() + 100 + 3 +
                           truncatedCsrcs.size() + shortHeader.size();
  EXPECT_EQ(c.bytesReceived, bytesIn);
  EXPECT_EQ(c.droppedNotConnected, 1u);
  EXPECT_EQ(c.droppedSrtpAuth + c.droppedSrtpReplay + c.droppedSrtpOther, 0u);
  EXPECT_EQ(c.sendFailures, 1u);
}

// With comedia and no SRTP the peer is whoever sends the first whole RTP or RTCP packet, with
// or without a connect() first (there are no keys to wait for).
TEST_F(PlainTransportTest, ComediaLearnsThePeerFromTheFirstValidPacket) {
  for (bool connectFirst : {false, true}) {
    SCOPED_TRACE(connectFirst ? "connected first" : "never connected");
    Recorder recorder;
    auto t = create(options(true), recorder);
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->comedia());
    if (connectFirst) {
      std::string error;
      ASSERT_TRUE(t->connect(std::nullopt, 0, std::nullopt, &error)) << error;
    }
    Peer peer, second;
    EXPECT_FALSE(t->canSend());
    OutgoingRtp early(1);
    EXPECT_FALSE(t->sendRtp(early.packet));
    EXPECT_EQ(t->counters().sendFailures, 1u);

    // What is not whole RTP names nobody.
    Bytes malformed = rtpBytes(1);
    malformed[0] = 0x8F;
    malformed.resize(20);
    deliver(second, malformed, *t);
    deliver(second, Bytes(30, 0x50), *t);
    EXPECT_TRUE(recorder.tuples.empty());
    EXPECT_FALSE(t->remote().has_value());
    EXPECT_EQ(t->counters().droppedMalformedRtp, 1u);
    EXPECT_EQ(t->counters().droppedUnknownKind, 1u);

    deliver(peer, rtpBytes(2), *t);
    ASSERT_EQ(recorder.tuples.size(), 1u);
    EXPECT_EQ(recorder.tuples[0].remote, peer.address());
    EXPECT_FALSE(recorder.tuples[0].rtcp);
    ASSERT_EQ(recorder.rtp.size(), 1u);
    EXPECT_EQ(recorder.rtp[0].bytes, rtpBytes(2));
    EXPECT_TRUE(t->canSend());
    ASSERT_TRUE(t->remote().has_value());
    EXPECT_EQ(*t->remote(), peer.address());

    // A second sender is a stranger now; the peer goes on, and is not learned again.
    deliver(second, rtpBytes(3), *t);
    deliver(second, rtcpBytes(kPeerSsrc, kOurSsrc), *t);
    EXPECT_EQ(t->counters().droppedUnknownTuple, 2u);
    deliver(peer, rtpBytes(3), *t);
    deliver(peer, rtcpBytes(kPeerSsrc, kOurSsrc), *t);
    EXPECT_EQ(recorder.rtp.size(), 2u);
    EXPECT_EQ(recorder.rtcp.size(), 1u);
    EXPECT_EQ(recorder.tuples.size(), 1u);

    OutgoingRtp out(7);
    ASSERT_TRUE(t->sendRtp(out.packet));
    auto got = peer.receive();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, out.plain);
    OutgoingRtcp outRtcp;
    ASSERT_TRUE(t->sendRtcp(outRtcp.buffer, outRtcp.plain.size()));
    got = peer.receive();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, outRtcp.plain);
    EXPECT_TRUE(second.silent());
    EXPECT_EQ(t->counters().rtpSent, 1u);
    EXPECT_EQ(t->counters().rtcpSent, 1u);
  }
}

// An RTCP packet may be what names the peer too (rtcp-mux: it comes to the one port).
TEST_F(PlainTransportTest, ComediaLearnsThePeerFromRtcpOnTheMuxedPort) {
  Recorder recorder;
  auto t = create(options(true), recorder);
  ASSERT_TRUE(t);
  Peer peer;
  deliver(peer, rtcpBytes(kPeerSsrc, kOurSsrc), *t);
  ASSERT_EQ(recorder.tuples.size(), 1u);
  EXPECT_EQ(recorder.tuples[0].remote, peer.address());
  EXPECT_FALSE(recorder.tuples[0].rtcp);  // the RTP tuple: there is no other port
  EXPECT_EQ(recorder.rtcp.size(), 1u);
  EXPECT_TRUE(t->canSend());
}

class PlainTransportSrtpTest : public PlainTransportTest,
                               public ::testing::WithParamInterface<SrtpProfile> {
 protected:
  PlainTransport::Options srtpOptions(bool comedia) {
    PlainTransport::Options o = options(comedia);
    o.srtp = GetParam();
    return o;
  }
};

INSTANTIATE_TEST_SUITE_P(Profiles, PlainTransportSrtpTest,
                         ::testing::Values(SrtpProfile::kAes128CmHmacSha1_80,
                                           SrtpProfile::kAeadAes128Gcm),
                         [](const auto& p) { return profileName(p.param); });

TEST_P(PlainTransportSrtpTest, DecryptsThePeersKeyAndEncryptsWithItsOwn) {
  const SrtpProfile profile = GetParam();
  Recorder recorder;
  auto t = create(srtpOptions(false), recorder);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->localSrtp().has_value());
  EXPECT_EQ(t->localSrtp()->profile(), profile);
  const auto lengths = transport::srtpKeyLengths(profile);
  EXPECT_EQ(t->localSrtp()->keyAndSalt().size(), lengths.masterKey + lengths.masterSalt);

  Peer peer, stranger;
  auto peerKey = SrtpParameters::generate(profile);
  ASSERT_TRUE(peerKey.has_value());
  auto peerOut = srtpSession(SrtpSession::Direction::kOutbound, *peerKey);
  auto peerIn = srtpSession(SrtpSession::Direction::kInbound, *t->localSrtp());
  ASSERT_TRUE(peerOut && peerIn);

  // Before connect the transport has no key to check with: dropped as not connected.
  deliver(peer, protect(*peerOut, rtpBytes(1), false), *t);
  EXPECT_EQ(t->counters().droppedNotConnected, 1u);
  EXPECT_TRUE(recorder.rtp.empty());
  EXPECT_FALSE(t->canSend());

  std::string error;
  ASSERT_TRUE(t->connect(peer.address(), 0, *peerKey, &error)) << error;
  EXPECT_TRUE(t->canSend());

  // SRTP and SRTCP from the peer come up decrypted.
  for (uint16_t seq = 2; seq < 5; ++seq) {
    deliver(peer, protect(*peerOut, rtpBytes(seq), false), *t);
    ASSERT_EQ(recorder.rtp.size(), static_cast<size_t>(seq - 1));
    EXPECT_EQ(recorder.rtp.back().bytes, rtpBytes(seq));
    EXPECT_EQ(recorder.rtp.back().payload, payloadFor(seq));
  }
  const Bytes rtcp = rtcpBytes(kPeerSsrc, kOurSsrc);
  const Bytes srtcp = protect(*peerOut, rtcp, true);
  deliver(peer, srtcp, *t);
  ASSERT_EQ(recorder.rtcp.size(), 1u);
  EXPECT_EQ(recorder.rtcp[0], rtcp);

  // Tampered: a payload bit, the tag's last bit, or sealed with the wrong key (the
  // transport's own, as a reflection would be).
  const Bytes good = protect(*peerOut, rtpBytes(5), false);
  Bytes flipped = good;
  flipped[20] ^= 0x01;
  deliver(peer, flipped, *t);
  Bytes badTag = good;
  badTag.back() ^= 0x80;
  deliver(peer, badTag, *t);
  auto reflector = srtpSession(SrtpSession::Direction::kOutbound, *t->localSrtp());
  deliver(peer, protect(*reflector, rtpBytes(6), false), *t);
  Bytes badSrtcp = protect(*peerOut, rtcp, true);
  badSrtcp[10] ^= 0x04;
  deliver(peer, badSrtcp, *t);
  EXPECT_EQ(t->counters().droppedSrtpAuth, 4u);
  EXPECT_EQ(recorder.rtp.size(), 3u);
  EXPECT_EQ(recorder.rtcp.size(), 1u);

  // The untampered packet still passes (a failed check leaves no trace), once: again is a
  // replay, for SRTCP as well.
  deliver(peer, good, *t);
  ASSERT_EQ(recorder.rtp.size(), 4u);
  EXPECT_EQ(recorder.rtp.back().bytes, rtpBytes(5));
  deliver(peer, good, *t);
  deliver(peer, srtcp, *t);
  EXPECT_EQ(t->counters().droppedSrtpReplay, 2u);
  EXPECT_EQ(recorder.rtp.size(), 4u);
  EXPECT_EQ(recorder.rtcp.size(), 1u);

  // Well protected, from elsewhere: not the peer (checked before any decryption).
  deliver(stranger, protect(*peerOut, rtpBytes(7), false), *t);
  EXPECT_EQ(t->counters().droppedUnknownTuple, 1u);

  // What the transport sends the peer decrypts with the transport's announced key.
  OutgoingRtp out(300);
  ASSERT_TRUE(t->sendRtp(out.packet));
  auto got = peer.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), out.plain.size() + SrtpSession::rtpTrailerSize(profile));
  EXPECT_NE(Bytes(got->begin(), got->begin() + static_cast<long>(out.plain.size())), out.plain);
  auto clear = unprotect(*peerIn, *got, false);
  ASSERT_TRUE(clear.has_value());
  EXPECT_EQ(*clear, out.plain);
  OutgoingRtcp outRtcp;
  ASSERT_TRUE(t->sendRtcp(outRtcp.buffer, outRtcp.plain.size()));
  got = peer.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), outRtcp.plain.size() + SrtpSession::rtcpTrailerSize(profile));
  clear = unprotect(*peerIn, *got, true);
  ASSERT_TRUE(clear.has_value());
  EXPECT_EQ(*clear, outRtcp.plain);

  // A packet whose buffer has no room for the tag is not sent (and not sent in clear).
  Bytes tight = rtpBytes(301, kOurSsrc);
  auto packet = rtp::RtpPacket::parse(tight);
  ASSERT_TRUE(packet.ok());
  EXPECT_FALSE(t->sendRtp(*packet));
  EXPECT_TRUE(peer.silent());

  const auto& c = t->counters();
  EXPECT_EQ(c.rtpReceived, 4u);
  EXPECT_EQ(c.rtcpReceived, 1u);
  EXPECT_EQ(c.rtpSent, 1u);
  EXPECT_EQ(c.rtcpSent, 1u);
  EXPECT_EQ(c.sendFailures, 1u);
  EXPECT_EQ(c.droppedSrtpOther, 0u);
}

// comedia + SRTP: only a packet that authenticates names the peer, so a stranger who gets
// there first cannot take the media.
TEST_P(PlainTransportSrtpTest, ComediaLearnsOnlyAnAuthenticatedPeer) {
  const SrtpProfile profile = GetParam();
  Recorder recorder;
  auto t = create(srtpOptions(true), recorder);
  ASSERT_TRUE(t);
  Peer peer, attacker;
  auto peerKey = SrtpParameters::generate(profile);
  auto attackerKey = SrtpParameters::generate(profile);
  ASSERT_TRUE(peerKey && attackerKey);
  auto peerOut = srtpSession(SrtpSession::Direction::kOutbound, *peerKey);
  auto attackerOut = srtpSession(SrtpSession::Direction::kOutbound, *attackerKey);
  auto peerIn = srtpSession(SrtpSession::Direction::kInbound, *t->localSrtp());
  ASSERT_TRUE(peerOut && attackerOut && peerIn);

  // Without the peer's key nothing is taken, not even from the real peer.
  deliver(peer, protect(*peerOut, rtpBytes(1), false), *t);
  EXPECT_EQ(t->counters().droppedNotConnected, 1u);
  EXPECT_TRUE(recorder.tuples.empty());

  std::string error;
  ASSERT_TRUE(t->connect(std::nullopt, 0, *peerKey, &error)) << error;
  EXPECT_FALSE(t->canSend());

  // The attacker's RTP in clear, sealed with its own key, and RTCP with a made-up trailer.
  deliver(attacker, rtpBytes(2), *t);
  deliver(attacker, protect(*attackerOut, rtpBytes(3), false), *t);
  Bytes fakeSrtcp = rtcpBytes(kPeerSsrc, kOurSsrc);
  fakeSrtcp.insert(fakeSrtcp.end(), {0x80, 0, 0, 1});
  fakeSrtcp.resize(fakeSrtcp.size() + SrtpSession::tagSize(profile), 0xAB);
  deliver(attacker, fakeSrtcp, *t);
  EXPECT_EQ(t->counters().droppedSrtpAuth, 3u);
  EXPECT_TRUE(recorder.tuples.empty());
  EXPECT_FALSE(t->remote().has_value());
  EXPECT_FALSE(t->canSend());
  EXPECT_TRUE(recorder.rtp.empty());

  // The real peer's packet authenticates: it names the peer.
  const Bytes first = protect(*peerOut, rtpBytes(4), false);
  deliver(peer, first, *t);
  ASSERT_EQ(recorder.tuples.size(), 1u);
  EXPECT_EQ(recorder.tuples[0].remote, peer.address());
  EXPECT_FALSE(recorder.tuples[0].rtcp);
  ASSERT_EQ(recorder.rtp.size(), 1u);
  EXPECT_EQ(recorder.rtp[0].bytes, rtpBytes(4));
  EXPECT_TRUE(t->canSend());

  // From now on the attacker is a stranger, even with the peer's own packets.
  deliver(attacker, protect(*peerOut, rtpBytes(5), false), *t);
  deliver(attacker, first, *t);
  EXPECT_EQ(t->counters().droppedUnknownTuple, 2u);
  EXPECT_EQ(recorder.tuples.size(), 1u);
  EXPECT_EQ(recorder.rtp.size(), 1u);

  OutgoingRtp out(9);
  ASSERT_TRUE(t->sendRtp(out.packet));
  auto got = peer.receive();
  ASSERT_TRUE(got.has_value());
  auto clear = unprotect(*peerIn, *got, false);
  ASSERT_TRUE(clear.has_value());
  EXPECT_EQ(*clear, out.plain);
  EXPECT_TRUE(attacker.silent());
}

// RTCP on a port of its own (no rtcp-mux): RTCP there, RTP on the RTP port only.
TEST_F(PlainTransportTest, RtcpOnItsOwnPort) {
  Recorder recorder;
  PlainTransport::Options o = options();
  o.rtcpListen = PlainTransport::Listen{kLoopback, "", 0};
  auto t = create(o, recorder);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->rtcpMux());
  const SocketAddress rtcpPort = t->localRtcpAddress();
  EXPECT_NE(rtcpPort.port(), t->localAddress().port());

  Peer peerRtp, peerRtcp;
  std::string error;
  ASSERT_TRUE(t->connect(peerRtp.address(), peerRtcp.address().port(), std::nullopt, &error))
      << error;
  ASSERT_TRUE(t->remoteRtcp().has_value());
  EXPECT_EQ(*t->remoteRtcp(), peerRtcp.address());

  const Bytes rtcp = rtcpBytes(kPeerSsrc, kOurSsrc);
  deliver(peerRtcp, rtcp, rtcpPort, *t);
  ASSERT_EQ(recorder.rtcp.size(), 1u);
  EXPECT_EQ(recorder.rtcp[0], rtcp);

  // RTP is not taken on the RTCP port, from either peer socket.
  deliver(peerRtcp, rtpBytes(1), rtcpPort, *t);
  deliver(peerRtp, rtpBytes(2), rtcpPort, *t);
  EXPECT_EQ(t->counters().droppedUnknownKind, 2u);
  EXPECT_TRUE(recorder.rtp.empty());
  // RTCP on the RTCP port from the RTP peer address is not from the RTCP peer.
  deliver(peerRtp, rtcp, rtcpPort, *t);
  EXPECT_EQ(t->counters().droppedUnknownTuple, 1u);
  EXPECT_EQ(recorder.rtcp.size(), 1u);
  // RTP on its port.
  deliver(peerRtp, rtpBytes(3), *t);
  ASSERT_EQ(recorder.rtp.size(), 1u);
  EXPECT_EQ(recorder.rtp[0].bytes, rtpBytes(3));

  // Sends: RTCP from the RTCP port to the RTCP peer, RTP from the RTP port to the RTP peer.
  OutgoingRtcp outRtcp;
  ASSERT_TRUE(t->sendRtcp(outRtcp.buffer, outRtcp.plain.size()));
  auto got = peerRtcp.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, outRtcp.plain);
  EXPECT_TRUE(peerRtp.silent());
  OutgoingRtp out(4);
  ASSERT_TRUE(t->sendRtp(out.packet));
  got = peerRtp.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, out.plain);
  EXPECT_TRUE(peerRtcp.silent());
}

// RFC 3550 section 11: without rtcp-mux and no RTCP port given, RTCP goes to the RTP port + 1.
TEST_F(PlainTransportTest, RtcpGoesToTheNextPortWhenNoneIsGiven) {
  Recorder recorder;
  PlainTransport::Options o = options();
  o.rtcpListen = PlainTransport::Listen{kLoopback, "", 0};
  auto t = create(o, recorder);
  ASSERT_TRUE(t);
  auto [peerRtp, peerRtcp] = peerPair();
  std::string error;
  ASSERT_TRUE(t->connect(peerRtp->address(), 0, std::nullopt, &error)) << error;
  ASSERT_TRUE(t->remoteRtcp().has_value());
  EXPECT_EQ(t->remoteRtcp()->port(), peerRtp->address().port() + 1);
  EXPECT_EQ(*t->remoteRtcp(), peerRtcp->address());

  OutgoingRtcp outRtcp;
  ASSERT_TRUE(t->sendRtcp(outRtcp.buffer, outRtcp.plain.size()));
  auto got = peerRtcp->receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, outRtcp.plain);
  EXPECT_TRUE(peerRtp->silent());
  // And RTCP from there is the peer's.
  deliver(*peerRtcp, rtcpBytes(kPeerSsrc, kOurSsrc), t->localRtcpAddress(), *t);
  EXPECT_EQ(recorder.rtcp.size(), 1u);
}

// There is no port after 65535: RTCP cannot follow the RFC 3550 rule there, and must not be
// aimed at port 0.
TEST_F(PlainTransportTest, RefusesAnRtpPortWithNoRtcpPortAfterIt) {
  Recorder recorder;
  PlainTransport::Options o = options();
  o.rtcpListen = PlainTransport::Listen{kLoopback, "", 0};
  auto t = create(o, recorder);
  ASSERT_TRUE(t);
  std::string error;
  EXPECT_FALSE(t->connect(SocketAddress::fromIp(kLoopback, UINT16_MAX), 0, std::nullopt, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(t->connected());
  // With the RTCP port given it is fine.
  EXPECT_TRUE(t->connect(SocketAddress::fromIp(kLoopback, UINT16_MAX), 5004, std::nullopt, &error))
      << error;
  EXPECT_EQ(t->remoteRtcp()->port(), 5004);

  // With rtcp-mux RTCP shares the RTP port: 65535 is a port like another.
  auto muxed = create(options(), recorder);
  ASSERT_TRUE(muxed);
  EXPECT_TRUE(muxed->connect(SocketAddress::fromIp(kLoopback, UINT16_MAX), 0, std::nullopt, &error))
      << error;
}

// comedia without rtcp-mux: the RTCP peer is learned on the RTCP port, apart from the RTP one.
TEST_F(PlainTransportTest, ComediaLearnsTheRtcpTupleSeparately) {
  Recorder recorder;
  PlainTransport::Options o = options(true);
  o.rtcpListen = PlainTransport::Listen{kLoopback, "", 0};
  auto t = create(o, recorder);
  ASSERT_TRUE(t);
  Peer peerRtp, peerRtcp, stranger;
  const SocketAddress rtcpPort = t->localRtcpAddress();

  // RTP arriving on the RTCP port names nobody.
  deliver(stranger, rtpBytes(1), rtcpPort, *t);
  EXPECT_EQ(t->counters().droppedUnknownKind, 1u);
  EXPECT_TRUE(recorder.tuples.empty());

  deliver(peerRtcp, rtcpBytes(kPeerSsrc, kOurSsrc), rtcpPort, *t);
  ASSERT_EQ(recorder.tuples.size(), 1u);
  EXPECT_EQ(recorder.tuples[0].remote, peerRtcp.address());
  EXPECT_TRUE(recorder.tuples[0].rtcp);
  EXPECT_EQ(recorder.rtcp.size(), 1u);
  ASSERT_TRUE(t->remoteRtcp().has_value());
  EXPECT_EQ(*t->remoteRtcp(), peerRtcp.address());
  EXPECT_FALSE(t->remote().has_value());
  EXPECT_FALSE(t->canSend());  // no RTP peer yet

  deliver(peerRtp, rtpBytes(2), *t);
  ASSERT_EQ(recorder.tuples.size(), 2u);
  EXPECT_EQ(recorder.tuples[1].remote, peerRtp.address());
  EXPECT_FALSE(recorder.tuples[1].rtcp);
  EXPECT_TRUE(t->canSend());

  // Each port keeps its own peer.
  deliver(stranger, rtcpBytes(kPeerSsrc, kOurSsrc), rtcpPort, *t);
  deliver(peerRtcp, rtpBytes(3), *t);
  EXPECT_EQ(t->counters().droppedUnknownTuple, 2u);
  EXPECT_EQ(recorder.tuples.size(), 2u);

  OutgoingRtcp outRtcp;
  ASSERT_TRUE(t->sendRtcp(outRtcp.buffer, outRtcp.plain.size()));
  auto got = peerRtcp.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, outRtcp.plain);
  OutgoingRtp out(5);
  ASSERT_TRUE(t->sendRtp(out.packet));
  got = peerRtp.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, out.plain);
  EXPECT_TRUE(stranger.silent());
}

TEST_F(PlainTransportTest, ConnectRefusesWhatCannotWork) {
  Recorder recorder;
  Peer peer;
  std::string error;
  auto refused = [&](PlainTransport& t, const std::optional<SocketAddress>& remote,
                     const std::optional<SrtpParameters>& key) {
    error.clear();
    const bool ok = t.connect(remote, 0, key, &error);
    EXPECT_FALSE(t.connected());
    return !ok && !error.empty();
  };
  const auto aesCmKey = SrtpParameters::generate(SrtpProfile::kAes128CmHmacSha1_80);
  const auto gcmKey = SrtpParameters::generate(SrtpProfile::kAeadAes128Gcm);
  ASSERT_TRUE(aesCmKey && gcmKey);

  auto plain = create(options(), recorder);
  ASSERT_TRUE(plain);
  EXPECT_TRUE(refused(*plain, std::nullopt, std::nullopt)) << "no address without comedia";
  EXPECT_TRUE(refused(*plain, SocketAddress::fromIp(kLoopback, 0), std::nullopt)) << "port 0";
  EXPECT_TRUE(refused(*plain, peer.address(), aesCmKey)) << "a key for a transport without SRTP";
  // None of that left anything behind: a good connect works, once.
  ASSERT_TRUE(plain->connect(peer.address(), 0, std::nullopt, &error)) << error;
  error.clear();
  EXPECT_FALSE(plain->connect(peer.address(), 0, std::nullopt, &error));
  EXPECT_NE(error.find("already connected"), std::string::npos) << error;
  EXPECT_TRUE(plain->connected());

  PlainTransport::Options o = options();
  o.srtp = SrtpProfile::kAes128CmHmacSha1_80;
  auto srtp = create(o, recorder);
  ASSERT_TRUE(srtp);
  EXPECT_TRUE(refused(*srtp, peer.address(), std::nullopt)) << "no key";
  EXPECT_TRUE(refused(*srtp, peer.address(), gcmKey)) << "a key of the other profile";
  EXPECT_FALSE(srtp->canSend());
  // Nothing was kept from the refused key: SRTP sealed with it is still "not connected".
  auto gcmOut = srtpSession(SrtpSession::Direction::kOutbound, *gcmKey);
  deliver(peer, protect(*gcmOut, rtpBytes(1), false), *srtp);
  EXPECT_EQ(srtp->counters().droppedNotConnected, 1u);
  ASSERT_TRUE(srtp->connect(peer.address(), 0, aesCmKey, &error)) << error;
  EXPECT_TRUE(srtp->canSend());

  o.srtp = SrtpProfile::kAeadAes128Gcm;
  o.comedia = true;
  auto comedia = create(o, recorder);
  ASSERT_TRUE(comedia);
  EXPECT_TRUE(refused(*comedia, std::nullopt, std::nullopt)) << "comedia still needs the key";
  EXPECT_TRUE(refused(*comedia, std::nullopt, aesCmKey)) << "comedia, other profile";
  EXPECT_TRUE(refused(*comedia, SocketAddress::fromIp(kLoopback, 0), gcmKey)) << "port 0";
  ASSERT_TRUE(comedia->connect(std::nullopt, 0, gcmKey, &error)) << error;
  EXPECT_FALSE(comedia->canSend());  // the address is still to be learned
  EXPECT_FALSE(comedia->connect(std::nullopt, 0, gcmKey, &error));
}

}  // namespace
