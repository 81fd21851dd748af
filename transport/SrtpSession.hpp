#pragma once
// One direction of SRTP and SRTCP protection (RFC 3711; AEAD_AES_128_GCM per RFC 7714) for one
// transport, over Debian's libsrtp2. An outbound session protects what the worker sends, an
// inbound session unprotects what the peer sends; both cover every SSRC on the transport (the
// DTLS-SRTP keys are per direction, not per stream). Packets are transformed in place and
// nothing allocates per packet: libsrtp allocates once per new SSRC, and its ciphers and HMAC
// are by default OpenSSL's (transport/SrtpOpenSslCrypto), not the NSS ones Debian builds it
// with, which allocate in every call (see docs/srtp.md). Not thread-safe: one loop thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <variant>

#include "transport/SrtpProfile.hpp"

struct srtp_ctx_t_;  // libsrtp's session (srtp_t); kept out of this header

namespace switchyard::transport {

// Why a packet was not transformed. Specific enough for the transport to count drops by cause.
enum class SrtpError : uint8_t {
  kAuthFailed,  // tag did not verify: tampered, wrong key, or not SRTP at all
  kReplay,      // index already seen, or older than the replay window (RFC 3711 section 3.3.2)
  kBadLength,   // too short for a header and the trailer, malformed header lengths, a buffer
                // without room for the trailer, or master key + salt of the wrong length
  kOther,       // anything else libsrtp reports (key usage limit, cipher failure, direction
                // misuse)
};

const char* srtpErrorName(SrtpError error);

// Which implementation of AES-CM, AES-GCM and HMAC-SHA1 libsrtp runs, for every session of the
// process (libsrtp's crypto kernel is process-wide).
enum class SrtpCryptoBackend : uint8_t {
  kOpenSsl,         // the default: OpenSSL EVP, transport/SrtpOpenSslCrypto, installed into
                    // libsrtp after srtp_init
  kLibsrtpBuiltin,  // what Debian's libsrtp2 was built with (NSS); for comparison and fallback
};

const char* srtpCryptoBackendName(SrtpCryptoBackend backend);

// The value, or the reason for failure; never carries allocated text.
template <typename T>
class SrtpResult {
 public:
  SrtpResult(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  SrtpResult(SrtpError error) : v_(error) {}     // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  SrtpError error() const { return std::get<1>(v_); }

 private:
  std::variant<T, SrtpError> v_;
};

class SrtpSession {
 public:
  enum class Direction : uint8_t {
    kInbound,   // unprotectRtp / unprotectRtcp only
    kOutbound,  // protectRtp / protectRtcp only
  };

  // SRTP replay window (RFC 3711 section 3.3.2): the highest index received and the 1023
  // before it are tracked; an older index is kReplay. Large enough for a video stream whose
  // NACKed packets come back on their own SSRC an RTT later. SRTCP's window is libsrtp's
  // fixed 128.
  static constexpr unsigned long kReplayWindowPackets = 1024;
  // SRTCP appends the E flag and the 31-bit SRTCP index: before the tag (RFC 3711 section 3.4),
  // after it for GCM (RFC 7714 section 9.2).
  static constexpr size_t kSrtcpIndexSize = 4;
  // Authentication tag per profile: HMAC-SHA1 truncated to 80 bits (RFC 3711 section 4.2),
  // the full 128-bit GCM tag (RFC 7714 section 5.2).
  static constexpr size_t tagSize(SrtpProfile profile) {
    return profile == SrtpProfile::kAeadAes128Gcm ? 16 : 10;
  }
  // Bytes protectRtp / protectRtcp append to a packet.
  static constexpr size_t rtpTrailerSize(SrtpProfile profile) { return tagSize(profile); }
  static constexpr size_t rtcpTrailerSize(SrtpProfile profile) {
    return tagSize(profile) + kSrtcpIndexSize;
  }
  // Room a send buffer keeps after the packet so that either profile can protect it in place.
  // (GCM's 16-byte tag + the SRTCP index; checked against the functions in the .cpp.)
  static constexpr size_t kMaxTrailer = 16 + kSrtcpIndexSize;

  // masterKeyAndSalt is the master key followed by the master salt, as DTLS-SRTP exports them
  // for this direction (RFC 5764 section 4.2), srtpKeyLengths(profile) long in total. The bytes
  // are only read during the call. Errors: kBadLength for a wrong length, kOther when libsrtp
  // cannot be initialised or refuses the policy.
  static SrtpResult<std::unique_ptr<SrtpSession>> create(Direction direction, SrtpProfile profile,
                                                         std::span<const uint8_t> masterKeyAndSalt);

  // Chooses the crypto backend of every session in this process, once: only until libsrtp is
  // initialised (by the first create() or initializeLibrary()). Returns true when `backend`
  // is the one in force, false when the library was initialised with the other one already.
  // Thread-safe.
  static bool selectCryptoBackend(SrtpCryptoBackend backend);
  // The backend in force, or the one the first create() will install.
  static SrtpCryptoBackend cryptoBackend();
  // Initialises libsrtp with the chosen backend if that has not been done: srtp_init (which
  // runs libsrtp's own known-answer tests), then, for kOpenSsl, the OpenSSL types, each of
  // which libsrtp accepts only once its own vectors and those of the type it replaces pass.
  // Returns nullptr when ready, else static text saying what failed; the outcome is kept, and
  // every create() fails with kOther after a failure. Idempotent, thread-safe.
  static const char* initializeLibrary();

  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // Encrypts and authenticates the RTP packet in buffer[0, length) and appends the tag; buffer
  // must have rtpTrailerSize() bytes of room after length. Returns the new length. An index
  // already protected (a retransmission reusing its sequence number) is allowed; an index
  // older than the replay window is kReplay.
  SrtpResult<size_t> protectRtp(std::span<uint8_t> buffer, size_t length);
  // The same for one RTCP compound packet: appends the SRTCP index and the tag.
  SrtpResult<size_t> protectRtcp(std::span<uint8_t> buffer, size_t length);

  // Verifies, replay-checks and decrypts the SRTP packet in place. Returns the plaintext
  // length (the trailer stripped); on error the bytes must be treated as garbage.
  SrtpResult<size_t> unprotectRtp(std::span<uint8_t> packet);
  // The same for one SRTCP packet.
  SrtpResult<size_t> unprotectRtcp(std::span<uint8_t> packet);

  Direction direction() const { return direction_; }
  SrtpProfile profile() const { return profile_; }
  size_t rtpTrailerSize() const { return rtpTrailerSize(profile_); }
  size_t rtcpTrailerSize() const { return rtcpTrailerSize(profile_); }

 private:
  struct ContextDeleter {
    void operator()(srtp_ctx_t_* context) const;
  };

  SrtpSession(Direction direction, SrtpProfile profile, srtp_ctx_t_* context);

  Direction direction_;
  SrtpProfile profile_;
  std::unique_ptr<srtp_ctx_t_, ContextDeleter> context_;
};

}  // namespace switchyard::transport
