#include "transport/SrtpSession.hpp"

#include <srtp2/srtp.h>

#include <array>
#include <cstdio>
#include <limits>
#include <mutex>

#include "transport/SrtpOpenSslCrypto.hpp"

namespace switchyard::transport {

namespace {

// The replay window (SrtpSession::kReplayWindowPackets, public for tests and docs): RFC 3711
// section 3.3.2 asks for at least 64. A video stream at a few Mbit/s sends several hundred
// packets a second, and a NACKed packet retransmitted on its original SSRC arrives an RTT or
// more after its neighbours: 1024 keeps those acceptable, as libwebrtc does.
// libsrtp accepts 64..32767.
static_assert(SrtpSession::kReplayWindowPackets >= 64 && SrtpSession::kReplayWindowPackets < 32768);
// RFC 3550 section 5.1: the fixed RTP header, the least protectRtp accepts.
constexpr size_t kRtpFixedHeaderSize = 12;
// RFC 3711 section 3.4: SRTCP authenticates from the first RTCP header (4 bytes) and the
// sender SSRC (4 bytes) on, which stay in clear.
constexpr size_t kRtcpFixedHeaderSize = 8;
static_assert(SrtpSession::kMaxTrailer ==
              SrtpSession::rtcpTrailerSize(SrtpProfile::kAeadAes128Gcm));
static_assert(SrtpSession::kMaxTrailer >=
              SrtpSession::rtcpTrailerSize(SrtpProfile::kAes128CmHmacSha1_80));
// libsrtp takes lengths as int; UDP and RFC 4571 framing cap a packet at 16 bits anyway.
constexpr size_t kMaxPacketSize = 65535;
static_assert(kMaxPacketSize <= static_cast<size_t>(std::numeric_limits<int>::max()));

// libsrtp keeps its crypto kernel (cipher and auth type tables, debug modules) in process-wide
// state that srtp_init fills once, running the ciphers' self-tests; then the chosen backend's
// types replace libsrtp's own under the same ids. The choice and the outcome are made once,
// under the mutex, and live until exit (no srtp_shutdown).
struct LibraryState {
  std::mutex mutex;
  bool initialised = false;
  SrtpCryptoBackend backend = SrtpCryptoBackend::kOpenSsl;
  const char* failure = nullptr;  // points into failureText, or nullptr
  std::array<char, 192> failureText{};
};

LibraryState& libraryState() {
  static LibraryState state;
  return state;
}

const char* initLibrary() {
  LibraryState& state = libraryState();
  std::lock_guard lock(state.mutex);
  if (state.initialised) return state.failure;
  state.initialised = true;
  const srtp_err_status_t status = srtp_init();
  if (status != srtp_err_status_ok) {
    std::snprintf(state.failureText.data(), state.failureText.size(),
                  "srtp_init failed (libsrtp status %d)", static_cast<int>(status));
    state.failure = state.failureText.data();
  } else if (state.backend == SrtpCryptoBackend::kOpenSsl) {
    const SrtpCryptoInstallResult installed = installOpenSslSrtpCrypto();
    if (!installed.ok()) {
      const char* why = installed.status == srtp_err_status_algo_fail
                            ? ": a known-answer test gave another result"
                            : "";
      std::snprintf(state.failureText.data(), state.failureText.size(),
                    "libsrtp refused to register %s (libsrtp status %d%s)", installed.refusedType,
                    static_cast<int>(installed.status), why);
      state.failure = state.failureText.data();
    }
  }
  return state.failure;
}

SrtpError errorFrom(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_auth_fail:
    // An AES-CM SRTCP packet whose E flag says "not encrypted" although the session encrypts:
    // libsrtp will not check it, and only a forger or a broken peer sends one.
    case srtp_err_status_cant_check:
      return SrtpError::kAuthFailed;
    case srtp_err_status_replay_fail:  // index already seen
    case srtp_err_status_replay_old:   // index left of the window
      return SrtpError::kReplay;
    case srtp_err_status_bad_param:  // CSRCs or header extension beyond the packet
    case srtp_err_status_parse_err:  // the same, leaving no room for the GCM tag
      return SrtpError::kBadLength;
    default:
      return SrtpError::kOther;
  }
}

void setCryptoPolicy(SrtpProfile profile, srtp_crypto_policy_t& policy) {
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      // RFC 7714 section 14.2: AES_128_GCM, 16-octet tag, for SRTP and SRTCP alike.
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy);
      return;
    case SrtpProfile::kAes128CmHmacSha1_80:
      // RFC 5764 section 4.1.2: AES_CM_128 with HMAC-SHA1 cut to 80 bits, SRTCP too.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy);
      return;
  }
}

int toInt(size_t length) {
  return static_cast<int>(length);
}

}  // namespace

const char* srtpErrorName(SrtpError error) {
  switch (error) {
    case SrtpError::kAuthFailed:
      return "auth-failed";
    case SrtpError::kReplay:
      return "replay";
    case SrtpError::kBadLength:
      return "bad-length";
    case SrtpError::kOther:
      return "other";
  }
  return "unknown";
}

const char* srtpCryptoBackendName(SrtpCryptoBackend backend) {
  switch (backend) {
    case SrtpCryptoBackend::kOpenSsl:
      return "openssl";
    case SrtpCryptoBackend::kLibsrtpBuiltin:
      return "libsrtp-builtin";
  }
  return "unknown";
}

bool SrtpSession::selectCryptoBackend(SrtpCryptoBackend backend) {
  LibraryState& state = libraryState();
  std::lock_guard lock(state.mutex);
  if (!state.initialised) state.backend = backend;
  return state.backend == backend;
}

SrtpCryptoBackend SrtpSession::cryptoBackend() {
  LibraryState& state = libraryState();
  std::lock_guard lock(state.mutex);
  return state.backend;
}

const char* SrtpSession::initializeLibrary() {
  return initLibrary();
}

void SrtpSession::ContextDeleter::operator()(srtp_ctx_t_* context) const {
  srtp_dealloc(context);
}

SrtpSession::SrtpSession(Direction direction, SrtpProfile profile, srtp_ctx_t_* context)
    : direction_(direction), profile_(profile), context_(context) {}

SrtpSession::~SrtpSession() = default;

SrtpResult<std::unique_ptr<SrtpSession>> SrtpSession::create(
    Direction direction, SrtpProfile profile, std::span<const uint8_t> masterKeyAndSalt) {
  const auto lengths = srtpKeyLengths(profile);
  if (masterKeyAndSalt.size() != lengths.masterKey + lengths.masterSalt) {
    return SrtpError::kBadLength;
  }
  if (initLibrary() != nullptr) return SrtpError::kOther;

  srtp_policy_t policy{};
  setCryptoPolicy(profile, policy.rtp);
  setCryptoPolicy(profile, policy.rtcp);
  // One session covers every SSRC of the direction: libsrtp keeps a template and clones it
  // for each SSRC the first time one protects, or authenticates, a packet.
  policy.ssrc.type = direction == Direction::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
  // libsrtp only reads the key (it derives the session keys, RFC 3711 section 4.3, and keeps
  // those), but its policy field is not const.
  policy.key = const_cast<uint8_t*>(masterKeyAndSalt.data());
  policy.window_size = SrtpSession::kReplayWindowPackets;
  // A retransmission without RTX resends the stored packet under its original sequence number:
  // the same index and the same plaintext, hence the same keystream and the same ciphertext,
  // which reveals nothing. Only the sender side may repeat; a receiver still drops duplicates.
  policy.allow_repeat_tx = direction == Direction::kOutbound ? 1 : 0;
  policy.next = nullptr;

  srtp_t context = nullptr;
  const srtp_err_status_t status = srtp_create(&context, &policy);
  if (status != srtp_err_status_ok) {
    if (context != nullptr) srtp_dealloc(context);
    return SrtpError::kOther;
  }
  std::unique_ptr<srtp_ctx_t_, ContextDeleter> owned(context);
  // The room protect checks for must be what libsrtp writes (it does not check).
  uint32_t rtpTrailer = 0;
  uint32_t rtcpTrailer = 0;
  if (srtp_get_protect_trailer_length(context, 0, 0, &rtpTrailer) != srtp_err_status_ok ||
      srtp_get_protect_rtcp_trailer_length(context, 0, 0, &rtcpTrailer) != srtp_err_status_ok ||
      rtpTrailer != rtpTrailerSize(profile) || rtcpTrailer != rtcpTrailerSize(profile)) {
    return SrtpError::kOther;
  }
  return std::unique_ptr<SrtpSession>(new SrtpSession(direction, profile, owned.release()));
}

SrtpResult<size_t> SrtpSession::protectRtp(std::span<uint8_t> buffer, size_t length) {
  if (direction_ != Direction::kOutbound) return SrtpError::kOther;
  const size_t trailer = rtpTrailerSize();
  if (length < kRtpFixedHeaderSize || length > buffer.size() || buffer.size() - length < trailer ||
      length + trailer > kMaxPacketSize) {
    return SrtpError::kBadLength;
  }
  int size = toInt(length);
  const srtp_err_status_t status = srtp_protect(context_.get(), buffer.data(), &size);
  if (status != srtp_err_status_ok) return errorFrom(status);
  return static_cast<size_t>(size);
}

SrtpResult<size_t> SrtpSession::protectRtcp(std::span<uint8_t> buffer, size_t length) {
  if (direction_ != Direction::kOutbound) return SrtpError::kOther;
  const size_t trailer = rtcpTrailerSize();
  if (length < kRtcpFixedHeaderSize || length > buffer.size() || buffer.size() - length < trailer ||
      length + trailer > kMaxPacketSize) {
    return SrtpError::kBadLength;
  }
  int size = toInt(length);
  const srtp_err_status_t status = srtp_protect_rtcp(context_.get(), buffer.data(), &size);
  if (status != srtp_err_status_ok) return errorFrom(status);
  return static_cast<size_t>(size);
}

SrtpResult<size_t> SrtpSession::unprotectRtp(std::span<uint8_t> packet) {
  if (direction_ != Direction::kInbound) return SrtpError::kOther;
  if (packet.size() < kRtpFixedHeaderSize + rtpTrailerSize() || packet.size() > kMaxPacketSize) {
    return SrtpError::kBadLength;
  }
  int size = toInt(packet.size());
  const srtp_err_status_t status = srtp_unprotect(context_.get(), packet.data(), &size);
  if (status != srtp_err_status_ok) return errorFrom(status);
  return static_cast<size_t>(size);
}

SrtpResult<size_t> SrtpSession::unprotectRtcp(std::span<uint8_t> packet) {
  if (direction_ != Direction::kInbound) return SrtpError::kOther;
  if (packet.size() < kRtcpFixedHeaderSize + rtcpTrailerSize() || packet.size() > kMaxPacketSize) {
    return SrtpError::kBadLength;
  }
  int size = toInt(packet.size());
  const srtp_err_status_t status = srtp_unprotect_rtcp(context_.get(), packet.data(), &size);
  if (status != srtp_err_status_ok) return errorFrom(status);
  return static_cast<size_t>(size);
}

}  // namespace switchyard::transport
