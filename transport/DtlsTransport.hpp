#pragma once
// One DTLS 1.2 association for DTLS-SRTP (RFC 5763, RFC 5764) over datagrams the owner moves:
// no sockets. Received DTLS datagrams go in through onPacket(); records to send come out
// through Listener::onDtlsSend(), one call per datagram. When the handshake completes and the
// peer's certificate matches the fingerprint from its SDP, the listener gets the negotiated
// SRTP profile and the SRTP master keys and salts for both directions (RFC 5764 section 4.2).
// Application data (SCTP, later) flows both ways after that.
//
// Loop-thread only. Callbacks run synchronously from the public methods; a callback may call
// back into this transport (send, close, even onPacket from onDtlsSend: datagrams are handed
// out after OpenSSL has returned), but must not destroy it: defer that to the loop.

#include <openssl/ssl.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "transport/DtlsCertificate.hpp"
#include "transport/DtlsFingerprint.hpp"
#include "transport/SrtpProfile.hpp"
#include "transport/UvTimer.hpp"

namespace switchyard::transport {

class DtlsTransport {
 public:
  // RFC 5763 section 5: setup:passive (what an SFU answers to actpass) is the DTLS server,
  // setup:active the client, which sends the ClientHello.
  enum class Role : uint8_t { kServer, kClient };
  enum class State : uint8_t { kNew, kConnecting, kConnected, kFailed, kClosed };

  // A handshake not done by then fails (RFC 6347 section 4.2.4 leaves the limit to us).
  static constexpr uint64_t kDefaultHandshakeTimeoutMs = 30'000;
  // RFC 6347 section 4.2.4.1: start at 1 s, double on each timeout, cap at 60 s.
  static constexpr uint32_t kDefaultInitialRetransmitMs = 1'000;
  static constexpr uint32_t kMaxRetransmitMs = 60'000;
  // Datagram size for handshake flights: fits IPv6 + UDP + TURN framing on a 1280-byte path.
  static constexpr uint16_t kDefaultMtu = 1200;
  static constexpr uint16_t kMinMtu = 256;  // OpenSSL refuses less for DTLS 1.2

  class Listener {
   public:
    virtual ~Listener() = default;
    // One datagram of DTLS records for the peer's selected tuple; the bytes are valid only
    // during the call.
    virtual void onDtlsSend(std::span<const uint8_t> datagram) = 0;
    virtual void onDtlsStateChange(State state) = 0;
    // Called once our last handshake flight has been handed to onDtlsSend, right before
    // onDtlsStateChange(kConnected). Each span is the SRTP master key followed by
    // the master salt (srtpKeyLengths(profile)): `local` protects what we send, `remote` what
    // we receive. Wiped after the call: copy what you keep.
    virtual void onDtlsConnected(SrtpProfile profile, std::span<const uint8_t> local,
                                 std::span<const uint8_t> remote) = 0;
    virtual void onDtlsApplicationData(std::span<const uint8_t> data) = 0;
    // The peer sent close_notify; onDtlsStateChange(kClosed) follows.
    virtual void onDtlsClosed() = 0;
  };

  struct Options {
    // Offered (as client) or accepted (as server) SRTP profiles, most preferred first. As
    // server our order wins: OpenSSL takes the first of ours that the client offers.
    std::vector<SrtpProfile> srtpProfiles{SrtpProfile::kAeadAes128Gcm,
                                          SrtpProfile::kAes128CmHmacSha1_80};
    uint64_t handshakeTimeoutMs = kDefaultHandshakeTimeoutMs;
    uint32_t initialRetransmitMs = kDefaultInitialRetransmitMs;
    uint16_t mtu = kDefaultMtu;  // clamped to at least kMinMtu
  };

  struct Stats {
    uint64_t datagramsIn = 0;  // every datagram given to onPacket, dropped ones included
    uint64_t bytesIn = 0;
    uint64_t datagramsOut = 0;
    uint64_t bytesOut = 0;
    // Not DTLS framing (RFC 6347 section 4.1), too large, or arrived before start() or after
    // the association ended. Records that frame well but fail authentication or replay checks
    // are discarded silently inside OpenSSL (RFC 6347 section 4.1.2.7) and not counted here.
    uint64_t datagramsDropped = 0;
    uint64_t retransmissions = 0;  // flights resent because the retransmission timer fired
    uint64_t applicationBytesIn = 0;
    uint64_t applicationBytesOut = 0;
    std::optional<uint64_t> handshakeDurationMs;  // start() to connected
    std::optional<SrtpProfile> srtpProfile;
    std::string_view cipher;  // OpenSSL's static name, e.g. "ECDHE-ECDSA-AES128-GCM-SHA256"
  };

  DtlsTransport(uv_loop_t* loop, std::shared_ptr<const DtlsCertificate> certificate,
                Listener& listener);
  DtlsTransport(uv_loop_t* loop, std::shared_ptr<const DtlsCertificate> certificate,
                Listener& listener, Options options);
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // kNew -> kConnecting; a client sends its ClientHello now. `remoteFingerprint` comes from the
  // peer's SDP (any algorithm). False, doing nothing, when not in kNew; false with kFailed when
  // OpenSSL could not be set up (see failureReason()).
  bool start(Role role, const DtlsFingerprint& remoteFingerprint);

  // One received datagram holding DTLS records (RFC 7983 first byte 20..63).
  void onPacket(std::span<const uint8_t> datagram);

  // One record of application data; false unless connected or when OpenSSL refuses it.
  bool sendApplicationData(std::span<const uint8_t> data);

  // Sends close_notify when connected; -> kClosed. Nothing is sent or delivered afterwards.
  void close();

  State state() const { return state_; }
  Role role() const { return role_; }
  const Stats& stats() const { return stats_; }
  // Why the association failed (OpenSSL's errors included), empty otherwise.
  const std::string& failureReason() const { return failureReason_; }
  const std::shared_ptr<const DtlsCertificate>& certificate() const { return certificate_; }

  static const char* stateName(State state);
  static const char* roleName(Role role);

  // Whether `datagram` is one or more whole DTLS records (RFC 6347 section 4.1) that OpenSSL
  // may see: known content type, DTLS version, lengths that tile the datagram, for plaintext
  // (epoch 0) records a consistent body (one-byte ChangeCipherSpec, two-byte alert, handshake
  // fragments inside their messages, RFC 6347 section 4.2.2), and for protected records at
  // least `minProtectedRecord` bytes (the cipher's nonce and tag). With `recordVersion` (not 0)
  // every record must carry that version. onPacket drops and counts anything else, so that no
  // malformed input reaches OpenSSL's fatal paths.
  static bool isWellFormedDatagram(std::span<const uint8_t> datagram, size_t minProtectedRecord,
                                   uint16_t recordVersion = 0);
  // The least a protected record of this association can hold: its AEAD's explicit nonce and
  // tag once the suite is known, the largest of the offered suites' before.
  size_t minProtectedRecord() const { return minProtectedRecord_; }
  // The version every record must carry: the negotiated one once connected, 0 (DTLS 1.0 or
  // 1.2) before. OpenSSL 3.0 skips only the header of an established association's record of
  // another version and reads its body as more records, so such a record could carry a forged
  // one into OpenSSL's fatal paths (found by DtlsTransportFuzz).
  uint16_t recordVersion() const { return recordVersion_; }

 private:
  struct SslCtxDeleter {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  };
  struct SslDeleter {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };

  friend struct DtlsBio;  // the BIO callbacks in DtlsTransport.cpp

  bool setUp(std::string& error);
  void handshakeStep();
  void readApplicationData();
  void onHandshakeDone();
  void notifyConnected();
  void wipeKeys();
  void onPeerClosed();
  void fail(std::string reason);
  void setState(State state);
  void stopTimers();
  void armRetransmitTimer();
  void onRetransmitTimer();
  std::string sslFailure(std::string_view what, int result);
  bool peerFingerprintMatches(const X509* peer) const;
  // Output path: OpenSSL's BIO writes land in the open datagram; flushOutgoing() hands every
  // finished datagram to the listener once OpenSSL has returned.
  void bioWrite(std::span<const uint8_t> bytes);
  void closeDatagram();
  void flushOutgoing();
  // One public call's tail: hand out datagrams, then re-arm the retransmission timer.
  void finishCall();

  static int verifyCallback(int preverifyOk, X509_STORE_CTX* store);
  static unsigned int timerCallback(SSL* ssl, unsigned int timerUs);
  static void infoCallback(const SSL* ssl, int where, int ret);

  std::shared_ptr<const DtlsCertificate> certificate_;
  Listener& listener_;
  Options options_;
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
  std::string setupError_;
  UvTimer retransmitTimer_;
  UvTimer handshakeTimer_;

  State state_ = State::kNew;
  Role role_ = Role::kServer;
  DtlsFingerprint remoteFingerprint_;
  bool fingerprintRejected_ = false;
  const char* peerAlert_ = nullptr;  // last alert received, OpenSSL's static text
  size_t minProtectedRecord_ = 0;    // set in the constructor
  uint16_t recordVersion_ = 0;       // set once connected
  uint64_t startNs_ = 0;
  std::string failureReason_;
  Stats stats_;
  // SRTP master key + salt per direction, held from the handshake's end until the listener has
  // been told (then wiped).
  static constexpr size_t kMaxKeySaltSize = 30;
  std::array<uint8_t, kMaxKeySaltSize> localKeySalt_{};
  std::array<uint8_t, kMaxKeySaltSize> remoteKeySalt_{};
  size_t keySaltSize_ = 0;
  bool connectPending_ = false;

  std::span<const uint8_t> input_;  // the datagram OpenSSL's next BIO read returns
  std::vector<uint8_t> openDatagram_;
  std::deque<std::vector<uint8_t>> outgoing_;
  std::vector<std::vector<uint8_t>> spareDatagrams_;
  bool flushing_ = false;
  std::vector<uint8_t> readBuffer_;
};

}  // namespace switchyard::transport
