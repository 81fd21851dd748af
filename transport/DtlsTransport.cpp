#include "transport/DtlsTransport.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>

namespace switchyard::transport {

namespace {

// DTLS 1.2 only: OpenSSL 3.0 has no DTLS 1.3, and every WebRTC stack falls back to 1.2.
constexpr int kDtlsVersion = DTLS1_2_VERSION;
// RFC 8827 section 6.5 makes ECDHE-ECDSA-AES128-GCM-SHA256 mandatory for WebRTC; only AEAD
// suites, so no CBC/encrypt-then-MAC code runs on records from the network.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";
// What Chromium and Firefox offer; P-256 is the one RFC 8827 requires.
constexpr const char* kGroups = "X25519:P-256:P-384";
// RFC 5764 section 4.2: the exporter label for SRTP keying material.
constexpr std::string_view kSrtpExporterLabel = "EXTRACTOR-dtls_srtp";
constexpr size_t kMaxSrtpKeyingMaterial = 2 * (16 + 14);  // largest key + salt, both directions
static_assert(kMaxSrtpKeyingMaterial == 2 * 30, "DtlsTransport::kMaxKeySaltSize per direction");

// RFC 6347 section 4.1 record header: type(1) version(2) epoch(2) sequence(6) length(2).
constexpr size_t kRecordHeaderSize = 13;
constexpr uint8_t kContentChangeCipherSpec = 20;
constexpr uint8_t kContentAlert = 21;
constexpr uint8_t kContentHandshake = 22;
constexpr uint8_t kContentApplicationData = 23;
constexpr uint8_t kDtlsMajor = 0xFE;
constexpr uint8_t kDtls10Minor = 0xFF;  // ClientHellos may carry 1.0 in the record layer
constexpr uint8_t kDtls12Minor = 0xFD;
constexpr size_t kAlertSize = 2;
// A protected record's body is at least the AEAD's explicit nonce and tag (RFC 5288 section 3
// for GCM: 8 + 16; RFC 7905 section 2 for ChaCha20-Poly1305: 0 + 16). OpenSSL 3.0 treats a
// shorter one as an internal error and ends the association instead of discarding the record
// as RFC 6347 section 4.1.2.7 asks, so such records never reach it.
constexpr size_t kGcmRecordOverhead = 8 + 16;
constexpr size_t kChaChaRecordOverhead = 16;
constexpr size_t kMaxRecordOverhead = kGcmRecordOverhead;  // of the suites in kCipherList
// RFC 6347 section 4.2.2 handshake header: type(1) length(3) seq(2) offset(3) frag_length(3).
constexpr size_t kHandshakeHeaderSize = 12;
// OpenSSL's own limit on a handshake message (its default max_cert_list); larger is fatal.
constexpr size_t kMaxHandshakeMessageSize = 100 * 1024;
// The most one datagram may hold: OpenSSL reads a datagram into a record buffer of 2^14 plus
// 320 bytes of overhead plus a header; anything larger would be cut. Real peers stay near the
// path MTU.
constexpr size_t kMaxDatagramSize = 16384 + 256 + kRecordHeaderSize;
constexpr size_t kMaxApplicationRecord = 16384;  // TLS plaintext limit (RFC 5246 6.2.1)
// Datagram buffers kept for reuse after they were handed out.
constexpr size_t kMaxSpareDatagrams = 16;
constexpr size_t kMaxErrorsInReason = 8;

constexpr uint64_t kNsPerMs = 1'000'000;
constexpr unsigned int kUsPerMs = 1000;

size_t recordOverhead(const SSL_CIPHER* cipher) {
  if (cipher == nullptr) return kMaxRecordOverhead;
  switch (SSL_CIPHER_get_cipher_nid(cipher)) {
    case NID_aes_128_gcm:
    case NID_aes_256_gcm:
      return kGcmRecordOverhead;
    case NID_chacha20_poly1305:
      return kChaChaRecordOverhead;
    default:
      return kMaxRecordOverhead;
  }
}

uint16_t readU16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t readU24(const uint8_t* p) {
  return uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2];
}

// Plaintext records: what a peer can send before keys exist, checked as OpenSSL would before
// it declares a fatal error.
bool plaintextBodyOk(uint8_t type, std::span<const uint8_t> body) {
  switch (type) {
    case kContentChangeCipherSpec:
      return body.size() == 1 && body[0] == 1;
    case kContentAlert:
      return body.size() == kAlertSize;
    case kContentHandshake: {
      size_t pos = 0;
      while (pos < body.size()) {
        if (body.size() - pos < kHandshakeHeaderSize) return false;
        const uint8_t* h = body.data() + pos;
        const uint32_t messageLength = readU24(h + 1);
        const uint32_t fragmentOffset = readU24(h + 6);
        const uint32_t fragmentLength = readU24(h + 9);
        if (messageLength > kMaxHandshakeMessageSize ||
            uint64_t{fragmentOffset} + fragmentLength > messageLength ||
            fragmentLength > body.size() - pos - kHandshakeHeaderSize) {
          return false;
        }
        pos += kHandshakeHeaderSize + fragmentLength;
      }
      return true;
    }
    default:
      return false;  // application data is never sent in the clear
  }
}

const char* sslErrorName(int error) {
  switch (error) {
    case SSL_ERROR_NONE:
      return "none";
    case SSL_ERROR_SSL:
      return "SSL_ERROR_SSL";
    case SSL_ERROR_WANT_READ:
      return "SSL_ERROR_WANT_READ";
    case SSL_ERROR_WANT_WRITE:
      return "SSL_ERROR_WANT_WRITE";
    case SSL_ERROR_SYSCALL:
      return "SSL_ERROR_SYSCALL";
    case SSL_ERROR_ZERO_RETURN:
      return "SSL_ERROR_ZERO_RETURN";
    default:
      return "SSL error";
  }
}

// Drains the thread's OpenSSL error queue (every entry, so none is left for the next
// association) and appends the first few to `out`.
void drainErrors(std::string& out) {
  size_t count = 0;
  while (unsigned long e = ERR_get_error()) {
    if (count++ >= kMaxErrorsInReason) continue;
    std::array<char, 256> buf{};
    ERR_error_string_n(e, buf.data(), buf.size());
    out += "; ";
    out += buf.data();
  }
}

}  // namespace

// The BIO between OpenSSL and this transport. A memory BIO (BIO_s_mem) would merge datagrams
// into one byte stream, and OpenSSL 3.0 has no datagram memory BIO (3.2 added one), so this
// small method keeps datagram boundaries: a read returns the one datagram onPacket is handling;
// writes fill a datagram until a flush (the end of a flight) or the MTU; BIO_wpending reports
// the open datagram, as a buffering datagram BIO would.
struct DtlsBio {
  static BIO_METHOD* method() {
    // Created once, never freed: a process-wide constant after initialization.
    static BIO_METHOD* const kMethod = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "switchyard-dtls");
      BIO_meth_set_write(m, write);
      BIO_meth_set_read(m, read);
      BIO_meth_set_ctrl(m, ctrl);
      BIO_meth_set_create(m, [](BIO* bio) {
        BIO_set_init(bio, 1);
        return 1;
      });
      return m;
    }();
    return kMethod;
  }

  static DtlsTransport* owner(BIO* bio) { return static_cast<DtlsTransport*>(BIO_get_data(bio)); }

  static int write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    DtlsTransport* t = owner(bio);
    if (t == nullptr || size <= 0) return 0;
    t->bioWrite({reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(size)});
    return size;
  }

  static int read(BIO* bio, char* out, int size) {
    BIO_clear_retry_flags(bio);
    DtlsTransport* t = owner(bio);
    if (t == nullptr || t->input_.empty() || size <= 0) {
      BIO_set_retry_read(bio);
      return -1;
    }
    // onPacket never passes more than OpenSSL's buffer holds (kMaxDatagramSize).
    const size_t n = std::min(t->input_.size(), static_cast<size_t>(size));
    std::copy_n(t->input_.data(), n, reinterpret_cast<uint8_t*>(out));
    t->input_ = {};
    return static_cast<int>(n);
  }

  static long ctrl(BIO* bio, int cmd, long, void*) {
    DtlsTransport* t = owner(bio);
    switch (cmd) {
      case BIO_CTRL_FLUSH:  // end of a flight or of a datagram's room: close the datagram
        if (t != nullptr) t->closeDatagram();
        return 1;
      case BIO_CTRL_WPENDING:
        return t != nullptr ? static_cast<long>(t->openDatagram_.size()) : 0;
      case BIO_CTRL_PENDING:
        return t != nullptr ? static_cast<long>(t->input_.size()) : 0;
      case BIO_CTRL_DGRAM_QUERY_MTU:
      case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return t != nullptr ? t->options_.mtu : DtlsTransport::kDefaultMtu;
      default:
        return 0;
    }
  }
};

DtlsTransport::DtlsTransport(uv_loop_t* loop, std::shared_ptr<const DtlsCertificate> certificate,
                             Listener& listener)
    : DtlsTransport(loop, std::move(certificate), listener, Options{}) {}

DtlsTransport::DtlsTransport(uv_loop_t* loop, std::shared_ptr<const DtlsCertificate> certificate,
                             Listener& listener, Options options)
    : certificate_(std::move(certificate)),
      listener_(listener),
      options_(std::move(options)),
      retransmitTimer_(loop, [this] { onRetransmitTimer(); }),
      handshakeTimer_(loop, [this] {
        if (state_ != State::kConnecting) return;
        fail("DTLS handshake not done after " + std::to_string(options_.handshakeTimeoutMs) +
             " ms");
        finishCall();
      }) {
  minProtectedRecord_ = kMaxRecordOverhead;
  options_.mtu = std::max(options_.mtu, kMinMtu);
  readBuffer_.resize(kMaxApplicationRecord);
  openDatagram_.reserve(options_.mtu);
  if (!setUp(setupError_) && setupError_.empty()) setupError_ = "DTLS setup failed";
}

DtlsTransport::~DtlsTransport() = default;

bool DtlsTransport::setUp(std::string& error) {
  ERR_clear_error();
  if (certificate_ == nullptr) {
    error = "no certificate";
    return false;
  }
  if (options_.srtpProfiles.empty()) {
    error = "no SRTP profile allowed";
    return false;
  }
  ctx_.reset(SSL_CTX_new(DTLS_method()));
  if (!ctx_) {
    error = "SSL_CTX_new failed";
    drainErrors(error);
    return false;
  }
  SSL_CTX* ctx = ctx_.get();
  std::string profiles;
  for (auto profile : options_.srtpProfiles) {
    if (!profiles.empty()) profiles += ':';
    profiles += srtpProfileOpenSslName(profile);
  }
  // No session cache and no tickets: a resumed session would skip the certificate, and with
  // it the fingerprint check. No renegotiation: nothing changes keys under SRTP's feet.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // RFC 5763 section 5: both ends present certificates; self-signed is normal, so the callback
  // judges the peer by its fingerprint alone.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verifyCallback);
  const bool ctxOk = SSL_CTX_set_min_proto_version(ctx, kDtlsVersion) == 1 &&
                     SSL_CTX_set_max_proto_version(ctx, kDtlsVersion) == 1 &&
                     SSL_CTX_set_cipher_list(ctx, kCipherList) == 1 &&
                     SSL_CTX_set1_groups_list(ctx, kGroups) == 1 &&
                     SSL_CTX_use_certificate(ctx, certificate_->x509()) == 1 &&
                     SSL_CTX_use_PrivateKey(ctx, certificate_->privateKey()) == 1 &&
                     SSL_CTX_check_private_key(ctx) == 1 &&
                     // RFC 5764 section 4.1.1; note the inverted result: 0 is success.
                     SSL_CTX_set_tlsext_use_srtp(ctx, profiles.c_str()) == 0;
  if (!ctxOk) {
    error = "DTLS context setup failed";
    drainErrors(error);
    return false;
  }
  ssl_.reset(SSL_new(ctx));
  if (!ssl_) {
    error = "SSL_new failed";
    drainErrors(error);
    return false;
  }
  SSL* ssl = ssl_.get();
  SSL_set_app_data(ssl, this);
  BIO* bio = BIO_new(DtlsBio::method());
  if (bio == nullptr) {
    error = "BIO_new failed";
    drainErrors(error);
    return false;
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by the SSL from here
  // The MTU we give is used as is: a memory path has nothing to query (SSL_OP_NO_QUERY_MTU).
  if (SSL_set_mtu(ssl, options_.mtu) <= 0) {
    error = "SSL_set_mtu failed";
    drainErrors(error);
    return false;
  }
  DTLS_set_timer_cb(ssl, timerCallback);
  SSL_set_info_callback(ssl, infoCallback);
  ERR_clear_error();
  return true;
}

bool DtlsTransport::start(Role role, const DtlsFingerprint& remoteFingerprint) {
  if (state_ != State::kNew) return false;
  role_ = role;
  remoteFingerprint_ = remoteFingerprint;
  if (!ssl_) {
    fail(setupError_);
    return false;
  }
  startNs_ = uv_hrtime();
  state_ = State::kConnecting;
  listener_.onDtlsStateChange(State::kConnecting);
  if (state_ != State::kConnecting) return true;  // closed from the callback
  handshakeTimer_.start(options_.handshakeTimeoutMs);
  if (role == Role::kClient) {
    SSL_set_connect_state(ssl_.get());
    handshakeStep();  // ClientHello
  } else {
    SSL_set_accept_state(ssl_.get());
  }
  finishCall();
  return true;
}

void DtlsTransport::onPacket(std::span<const uint8_t> datagram) {
  ++stats_.datagramsIn;
  stats_.bytesIn += datagram.size();
  if ((state_ != State::kConnecting && state_ != State::kConnected) ||
      !isWellFormedDatagram(datagram, minProtectedRecord_, recordVersion_)) {
    ++stats_.datagramsDropped;
    return;
  }
  input_ = datagram;
  if (state_ == State::kConnecting) handshakeStep();
  if (state_ == State::kConnected) readApplicationData();
  input_ = {};
  finishCall();
}

bool DtlsTransport::sendApplicationData(std::span<const uint8_t> data) {
  if (state_ != State::kConnected || data.empty() || data.size() > kMaxApplicationRecord) {
    return false;
  }
  ERR_clear_error();
  const int written = SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size()));
  const bool ok = written == static_cast<int>(data.size());
  if (ok) {
    stats_.applicationBytesOut += data.size();
  } else {
    const int error = SSL_get_error(ssl_.get(), written);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      fail(sslFailure("SSL_write failed", written));
    }
  }
  finishCall();
  return ok;
}

void DtlsTransport::close() {
  const State before = state_;
  if (before == State::kClosed || before == State::kFailed) return;
  state_ = State::kClosed;  // set first: a reply arriving while we flush is not a peer close
  wipeKeys();
  stopTimers();
  if (before == State::kConnected) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());  // close_notify (RFC 5246 section 7.2.1)
  }
  finishCall();
  listener_.onDtlsStateChange(State::kClosed);
}

void DtlsTransport::handshakeStep() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) {
    onHandshakeDone();
    return;
  }
  const int error = SSL_get_error(ssl_.get(), result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
  if (fingerprintRejected_) {
    fail("remote certificate does not match the fingerprint " + remoteFingerprint_.format());
    ERR_clear_error();
    return;
  }
  fail(sslFailure("DTLS handshake failed", result));
}

void DtlsTransport::onHandshakeDone() {
  handshakeTimer_.stop();
  SSL* ssl = ssl_.get();
  // The verify callback already checked the fingerprint; checked again on the final state in
  // case OpenSSL ever completes a handshake without calling it.
  if (!peerFingerprintMatches(SSL_get0_peer_certificate(ssl))) {
    SSL_shutdown(ssl);
    fail("remote certificate does not match the fingerprint " + remoteFingerprint_.format());
    return;
  }
  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl);
  const auto profile =
      selected != nullptr ? srtpProfileFromOpenSslName(selected->name) : std::nullopt;
  if (!profile) {
    SSL_shutdown(ssl);
    fail("no SRTP protection profile negotiated (RFC 5764 section 4.1.2)");
    return;
  }
  // RFC 5764 section 4.2: client_write_key | server_write_key | client_write_salt |
  // server_write_salt; the client's write key protects what the client sends.
  const auto lengths = srtpKeyLengths(*profile);
  const size_t keySalt = lengths.masterKey + lengths.masterSalt;
  std::array<uint8_t, kMaxSrtpKeyingMaterial> material{};
  if (SSL_export_keying_material(ssl, material.data(), 2 * keySalt, kSrtpExporterLabel.data(),
                                 kSrtpExporterLabel.size(), nullptr, 0, 0) != 1) {
    fail(sslFailure("SRTP keying material export failed", 0));
    return;
  }
  const uint8_t* keys = material.data();
  const uint8_t* salts = material.data() + 2 * lengths.masterKey;
  const bool isClient = role_ == Role::kClient;
  uint8_t* clientKeySalt = isClient ? localKeySalt_.data() : remoteKeySalt_.data();
  uint8_t* serverKeySalt = isClient ? remoteKeySalt_.data() : localKeySalt_.data();
  std::copy_n(keys, lengths.masterKey, clientKeySalt);
  std::copy_n(keys + lengths.masterKey, lengths.masterKey, serverKeySalt);
  std::copy_n(salts, lengths.masterSalt, clientKeySalt + lengths.masterKey);
  std::copy_n(salts + lengths.masterSalt, lengths.masterSalt, serverKeySalt + lengths.masterKey);
  OPENSSL_cleanse(material.data(), material.size());
  keySaltSize_ = keySalt;

  stats_.handshakeDurationMs = (uv_hrtime() - startNs_) / kNsPerMs;
  stats_.srtpProfile = profile;
  stats_.cipher = SSL_get_cipher_name(ssl);
  minProtectedRecord_ = recordOverhead(SSL_get_current_cipher(ssl));
  recordVersion_ = static_cast<uint16_t>(SSL_version(ssl));
  state_ = State::kConnected;
  // The listener hears of it once our last flight is out (finishCall), so that SRTP it sends
  // from the callback does not overtake the Finished the peer still needs to read.
  connectPending_ = true;
}

void DtlsTransport::notifyConnected() {
  if (!connectPending_) return;
  connectPending_ = false;
  const auto profile = *stats_.srtpProfile;
  listener_.onDtlsConnected(profile, std::span(localKeySalt_).first(keySaltSize_),
                            std::span(remoteKeySalt_).first(keySaltSize_));
  wipeKeys();
  if (state_ == State::kConnected) listener_.onDtlsStateChange(State::kConnected);
}

void DtlsTransport::wipeKeys() {
  connectPending_ = false;
  OPENSSL_cleanse(localKeySalt_.data(), localKeySalt_.size());
  OPENSSL_cleanse(remoteKeySalt_.data(), remoteKeySalt_.size());
}

void DtlsTransport::readApplicationData() {
  while (state_ == State::kConnected) {
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), readBuffer_.data(), static_cast<int>(readBuffer_.size()));
    if (n > 0) {
      notifyConnected();  // data from a peer that is done can follow our Finished closely
      if (state_ != State::kConnected) return;
      stats_.applicationBytesIn += static_cast<uint64_t>(n);
      listener_.onDtlsApplicationData({readBuffer_.data(), static_cast<size_t>(n)});
      continue;
    }
    const int error = SSL_get_error(ssl_.get(), n);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
    if (error == SSL_ERROR_ZERO_RETURN) {
      onPeerClosed();
      return;
    }
    fail(sslFailure("DTLS read failed", n));
    return;
  }
}

void DtlsTransport::onPeerClosed() {
  state_ = State::kClosed;
  wipeKeys();
  stopTimers();
  ERR_clear_error();
  SSL_shutdown(ssl_.get());  // our close_notify in reply (RFC 5246 section 7.2.1)
  ERR_clear_error();
  closeDatagram();
  flushOutgoing();
  listener_.onDtlsClosed();
  listener_.onDtlsStateChange(State::kClosed);
}

void DtlsTransport::fail(std::string reason) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  state_ = State::kFailed;
  failureReason_ = std::move(reason);
  wipeKeys();
  stopTimers();
  // Any alert OpenSSL queued goes out before the owner hears of the failure.
  closeDatagram();
  flushOutgoing();
  listener_.onDtlsStateChange(State::kFailed);
}

void DtlsTransport::stopTimers() {
  retransmitTimer_.stop();
  handshakeTimer_.stop();
}

std::string DtlsTransport::sslFailure(std::string_view what, int result) {
  std::string reason(what);
  if (ssl_) {
    reason += " (";
    reason += sslErrorName(SSL_get_error(ssl_.get(), result));
    reason += ")";
    if (fingerprintRejected_) reason += "; remote certificate fingerprint mismatch";
  }
  if (peerAlert_ != nullptr) {
    reason += "; peer sent alert: ";
    reason += peerAlert_;
  }
  drainErrors(reason);
  return reason;
}

bool DtlsTransport::peerFingerprintMatches(const X509* peer) const {
  if (peer == nullptr) return false;
  const auto actual = DtlsFingerprint::compute(remoteFingerprint_.algorithm(), peer);
  return actual.has_value() && *actual == remoteFingerprint_;
}

void DtlsTransport::bioWrite(std::span<const uint8_t> bytes) {
  // During the handshake OpenSSL writes a whole flight through its buffering BIO in one call,
  // packed to the MTU by its own count, which can overshoot by a record header. Records are
  // therefore placed one by one: a record that would overflow the open datagram starts the
  // next one. (Records are OpenSSL's own output: whole, with valid lengths.)
  while (!bytes.empty()) {
    size_t recordSize = bytes.size();
    if (bytes.size() >= kRecordHeaderSize) {
      recordSize = std::min(bytes.size(), kRecordHeaderSize + readU16(bytes.data() + 11));
    }
    if (!openDatagram_.empty() && openDatagram_.size() + recordSize > options_.mtu) {
      closeDatagram();
    }
    const auto record = bytes.first(recordSize);
    openDatagram_.insert(openDatagram_.end(), record.begin(), record.end());
    bytes = bytes.subspan(recordSize);
  }
}

void DtlsTransport::closeDatagram() {
  if (openDatagram_.empty()) return;
  std::vector<uint8_t> next;
  if (!spareDatagrams_.empty()) {
    next = std::move(spareDatagrams_.back());
    spareDatagrams_.pop_back();
  } else {
    next.reserve(options_.mtu);
  }
  outgoing_.push_back(std::move(openDatagram_));
  openDatagram_ = std::move(next);
}

void DtlsTransport::flushOutgoing() {
  // Reentrant calls (a listener that feeds the peer synchronously, whose answer comes back
  // here) append to the queue; the outermost loop sends everything, in order.
  if (flushing_) return;
  flushing_ = true;
  while (!outgoing_.empty()) {
    std::vector<uint8_t> datagram = std::move(outgoing_.front());
    outgoing_.pop_front();
    ++stats_.datagramsOut;
    stats_.bytesOut += datagram.size();
    listener_.onDtlsSend(datagram);
    datagram.clear();
    if (spareDatagrams_.size() < kMaxSpareDatagrams) spareDatagrams_.push_back(std::move(datagram));
  }
  flushing_ = false;
}

void DtlsTransport::finishCall() {
  closeDatagram();
  flushOutgoing();
  notifyConnected();
  armRetransmitTimer();
  ERR_clear_error();
}

void DtlsTransport::armRetransmitTimer() {
  if (!ssl_ || (state_ != State::kConnecting && state_ != State::kConnected)) {
    retransmitTimer_.stop();
    return;
  }
  timeval remaining{};
  if (DTLSv1_get_timeout(ssl_.get(), &remaining) == 1) {
    const uint64_t ms = static_cast<uint64_t>(remaining.tv_sec) * 1000 +
                        (static_cast<uint64_t>(remaining.tv_usec) + kUsPerMs - 1) / kUsPerMs;
    retransmitTimer_.start(ms);
  } else {
    retransmitTimer_.stop();
  }
}

void DtlsTransport::onRetransmitTimer() {
  if (state_ != State::kConnecting && state_ != State::kConnected) return;
  ERR_clear_error();
  // RFC 6347 section 4.2.4: resend the last flight; OpenSSL doubles the timer through
  // timerCallback and gives up after 12 timeouts (then: failed).
  const long result = DTLSv1_handle_timeout(ssl_.get());
  if (result > 0) {
    ++stats_.retransmissions;
  } else if (result < 0) {
    fail(sslFailure("DTLS retransmission failed", static_cast<int>(result)));
  }
  finishCall();
}

int DtlsTransport::verifyCallback(int, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = ssl != nullptr ? static_cast<DtlsTransport*>(SSL_get_app_data(ssl)) : nullptr;
  if (self == nullptr) return 0;
  // Chain and date errors are expected for a self-signed certificate and ignored: what
  // authenticates the peer is the fingerprint from its SDP (RFC 5763 section 5), checked on the
  // certificate it presented, so that a wrong peer is refused before any key is derived.
  if (self->peerFingerprintMatches(X509_STORE_CTX_get0_cert(store))) return 1;
  self->fingerprintRejected_ = true;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

unsigned int DtlsTransport::timerCallback(SSL* ssl, unsigned int timerUs) {
  const auto* self = static_cast<const DtlsTransport*>(SSL_get_app_data(ssl));
  const unsigned int initialUs =
      (self != nullptr ? self->options_.initialRetransmitMs : kDefaultInitialRetransmitMs) *
      kUsPerMs;
  if (timerUs == 0) return initialUs;
  return std::min(timerUs * 2, kMaxRetransmitMs * kUsPerMs);
}

void DtlsTransport::infoCallback(const SSL* ssl, int where, int ret) {
  // SSL_CB_READ_ALERT is two bits (read, alert): both must be set, or our own alerts would be
  // reported as the peer's.
  if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT) return;
  auto* self = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  if (self != nullptr) self->peerAlert_ = SSL_alert_desc_string_long(ret);
}

bool DtlsTransport::isWellFormedDatagram(std::span<const uint8_t> datagram,
                                         size_t minProtectedRecord, uint16_t recordVersion) {
  if (datagram.empty() || datagram.size() > kMaxDatagramSize) return false;
  size_t pos = 0;
  while (pos < datagram.size()) {
    if (datagram.size() - pos < kRecordHeaderSize) return false;
    const uint8_t* h = datagram.data() + pos;
    const uint8_t type = h[0];
    if (type < kContentChangeCipherSpec || type > kContentApplicationData) return false;
    if (h[1] != kDtlsMajor || (h[2] != kDtls10Minor && h[2] != kDtls12Minor)) return false;
    if (recordVersion != 0 && readU16(h + 1) != recordVersion) return false;
    const uint16_t epoch = readU16(h + 3);
    const size_t length = readU16(h + 11);
    if (length == 0 || length > datagram.size() - pos - kRecordHeaderSize) return false;
    if (epoch == 0 ? !plaintextBodyOk(type, datagram.subspan(pos + kRecordHeaderSize, length))
                   : length < minProtectedRecord) {
      return false;
    }
    pos += kRecordHeaderSize + length;
  }
  return true;
}

const char* DtlsTransport::stateName(State state) {
  switch (state) {
    case State::kNew:
      return "new";
    case State::kConnecting:
      return "connecting";
    case State::kConnected:
      return "connected";
    case State::kFailed:
      return "failed";
    case State::kClosed:
      return "closed";
  }
  return "unknown";
}

const char* DtlsTransport::roleName(Role role) {
  return role == Role::kClient ? "client" : "server";
}

}  // namespace switchyard::transport
