#pragma once
// The ICE-lite side of a WebRTC transport (RFC 8445 sections 2.5 and 7.3, RFC 7675): answers
// connectivity checks, learns which remote addresses (tuples) proved they know the credentials,
// follows the controlling agent's nomination, and expires consent 30 s after the last check.
// Pure logic: bytes and the time come in, response bytes and state go out; no sockets, no
// timers. A lite agent is always the controlled agent and never sends checks itself.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "transport/SocketAddress.hpp"
#include "transport/StunMessage.hpp"

namespace switchyard::transport {

enum class IceState : uint8_t {
  kNew,           // no valid check yet
  kConnected,     // a valid check arrived; nothing nominated (or the nominated tuple went quiet)
  kCompleted,     // a tuple is selected and has consent
  kDisconnected,  // consent expired (RFC 7675 section 5.1): no valid check for 30 s
  kClosed,        // close() was called; everything is dropped
};
const char* iceStateName(IceState state);

// Why onStun() sent nothing back.
enum class IceDropReason : uint8_t {
  kNone,            // not dropped
  kMalformed,       // not a valid STUN message (StunMessage::parse failed)
  kNoFingerprint,   // FINGERPRINT missing: checks must carry it (RFC 8445 section 7.2)
  kBadFingerprint,  // FINGERPRINT wrong: RFC 5389 section 7.3, silent discard
  kNotRequest,      // an indication or a response: nothing to answer
  kNotBinding,      // a request of another method than Binding
  kCannotRespond,   // the response did not fit the buffer, or `from` is not an IP address
  kClosed,          // after close()
};
inline constexpr size_t kIceDropReasonCount = 8;
const char* iceDropReasonName(IceDropReason reason);

// What onStun() did with one datagram.
struct IceStunResult {
  size_t responseSize = 0;  // bytes at the start of the response buffer to send to `from`
  uint16_t errorCode = 0;   // the error response's code (400, 401, 420, 487); 0 otherwise
  IceDropReason drop = IceDropReason::kNone;
  bool validCheck() const { return responseSize > 0 && errorCode == 0; }
};

struct IceCounters {
  uint64_t messagesReceived = 0;  // every datagram given to onStun()
  uint64_t requestsReceived = 0;  // Binding requests that passed parsing and FINGERPRINT
  uint64_t responsesSent = 0;     // success and error responses
  uint64_t successResponses = 0;  // valid checks
  uint64_t badRequest = 0;        // 400 sent
  uint64_t unauthorized = 0;      // 401 sent
  uint64_t unknownAttribute = 0;  // 420 sent
  uint64_t roleConflict = 0;      // 487 sent
  std::array<uint64_t, kIceDropReasonCount> drops{};  // indexed by IceDropReason
  uint64_t dropped(IceDropReason reason) const { return drops[static_cast<size_t>(reason)]; }
};

struct IceCredentials {
  std::string ufrag;
  std::string password;
};

// Told about changes as they happen, from inside onStun()/onTimer()/close(). A tuple change is
// reported before the state change it causes. Callbacks must not call back into the server.
class IceServerListener {
 public:
  virtual ~IceServerListener() = default;
  virtual void onIceStateChange(IceState state) = 0;
  virtual void onSelectedTupleChange(const SocketAddress& tuple) = 0;
};

class IceServer {
 public:
  // RFC 8839 section 5.4: ice-ufrag 4..256 and ice-pwd 22..256 ice-chars.
  static constexpr size_t kMinUfragLength = 4;
  static constexpr size_t kMaxUfragLength = 256;
  static constexpr size_t kMinPasswordLength = 22;
  static constexpr size_t kMaxPasswordLength = 256;
  // What generateCredentials() makes: 96 and 192 random bits (6 bits per ice-char).
  static constexpr size_t kGeneratedUfragLength = 16;
  static constexpr size_t kGeneratedPasswordLength = 32;
  // Remote addresses remembered as having passed a check; the least recently checked one that
  // is not selected makes room for a new one.
  static constexpr size_t kMaxTuples = 8;
  static_assert(kMaxTuples >= 2, "eviction needs a tuple besides the selected one");
  // RFC 7675 section 5.1: consent expires 30 s after the last successful check.
  static constexpr uint64_t kConsentTimeoutMs = 30000;

  // Fresh credentials from RAND_bytes, ice-chars only; nullopt if the RNG fails.
  static std::optional<IceCredentials> generateCredentials();

  // nullopt when the ufrag or password is not valid per RFC 8839 section 5.4, or OpenSSL cannot
  // set up HMAC-SHA1. `listener` may be null and must outlive the server.
  static std::optional<IceServer> create(std::string_view localUfrag,
                                         std::string_view localPassword,
                                         IceServerListener* listener = nullptr);

  // The remote ufrag from the peer's description. Once set, USERNAME must be exactly
  // "<local ufrag>:<remote ufrag>"; before, any non-empty remote part is accepted. An empty
  // string clears it. False (and nothing changed) when not a valid ufrag.
  bool setRemoteUfrag(std::string_view remoteUfrag);

  // Handles one STUN datagram from `from`. When the result's responseSize is non-zero, those
  // bytes of `responseBuffer` are the response to send back to `from`.
  IceStunResult onStun(std::span<const uint8_t> bytes, const SocketAddress& from, uint64_t nowMs,
                       std::span<uint8_t> responseBuffer);
  // Expires consent. Call at least every few seconds; nextTimeoutMs() says when it matters.
  void onTimer(uint64_t nowMs);
  // When consent runs out if no check arrives before; nullopt when nothing is pending.
  std::optional<uint64_t> nextTimeoutMs() const;

  // ICE restart (RFC 8445 section 9, RFC 8839): new local credentials, and
  // the peer's new ufrag if already known (otherwise it is cleared: the old one no longer
  // applies). Checks with the old credentials get 401 from now on. Tuples, the selected tuple
  // and the state stay until checks with the new credentials change them, so media keeps
  // flowing. False (and nothing changed) when a credential is invalid or after close().
  bool restart(std::string_view localUfrag, std::string_view localPassword,
               std::optional<std::string_view> remoteUfrag = std::nullopt);

  // Ends the session: state kClosed, tuples forgotten, every later datagram dropped.
  void close();

  IceState state() const { return state_; }
  const std::optional<SocketAddress>& selectedTuple() const { return selected_; }
  // Whether `address` passed a check: the transport accepts DTLS, RTP and RTCP only from these.
  bool isKnownTuple(const SocketAddress& address) const;
  size_t knownTupleCount() const { return tupleCount_; }
  const IceCounters& counters() const { return counters_; }
  const std::string& localUfrag() const { return localUfrag_; }
  const std::string& localPassword() const { return localPassword_; }
  const std::string& remoteUfrag() const { return remoteUfrag_; }

 private:
  struct Tuple {
    SocketAddress address;
    uint64_t lastCheckMs = 0;
  };

  IceServer(StunKey key, IceServerListener* listener) : key_(std::move(key)), listener_(listener) {}
  bool usernameMatches(std::string_view username) const;
  IceStunResult drop(IceDropReason reason);
  IceStunResult sendError(std::span<uint8_t> out, const StunTransactionId& id, uint16_t code,
                          bool authenticated, std::span<const uint16_t> unknown = {});
  Tuple* findTuple(const SocketAddress& address);
  const Tuple* findTuple(const SocketAddress& address) const;
  Tuple& rememberTuple(const SocketAddress& address);
  // kCompleted / kConnected / kDisconnected from the tuples' consent at nowMs.
  IceState consentState(uint64_t nowMs) const;
  void setState(IceState state);

  std::string localUfrag_;
  std::string localPassword_;
  std::string remoteUfrag_;
  StunKey key_;
  IceServerListener* listener_;
  IceState state_ = IceState::kNew;
  std::array<Tuple, kMaxTuples> tuples_{};
  size_t tupleCount_ = 0;
  std::optional<SocketAddress> selected_;
  uint64_t lastCheckMs_ = 0;  // the last valid check from any tuple
  IceCounters counters_;
};

}  // namespace switchyard::transport
