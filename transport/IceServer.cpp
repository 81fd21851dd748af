#include "transport/IceServer.hpp"

#include <openssl/rand.h>

namespace switchyard::transport {

namespace {

// RFC 8839 section 5.4: ice-char = ALPHA / DIGIT / "+" / "/". 64 of them, so that 6 random bits
// pick one without bias.
constexpr std::string_view kIceChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(kIceChars.size() == 64);
constexpr uint8_t kIceCharMask = 0x3F;

constexpr uint16_t kCodeBadRequest = 400;
constexpr uint16_t kCodeUnauthorized = 401;
constexpr uint16_t kCodeUnknownAttribute = 420;
constexpr uint16_t kCodeRoleConflict = 487;

bool isIceChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

bool isIceString(std::string_view s, size_t minLength, size_t maxLength) {
  if (s.size() < minLength || s.size() > maxLength) return false;
  for (char c : s) {
    if (!isIceChar(c)) return false;
  }
  return true;
}

bool isUfrag(std::string_view s) {
  return isIceString(s, IceServer::kMinUfragLength, IceServer::kMaxUfragLength);
}

bool isPassword(std::string_view s) {
  return isIceString(s, IceServer::kMinPasswordLength, IceServer::kMaxPasswordLength);
}

}  // namespace

const char* iceStateName(IceState state) {
  switch (state) {
    case IceState::kNew:
      return "new";
    case IceState::kConnected:
      return "connected";
    case IceState::kCompleted:
      return "completed";
    case IceState::kDisconnected:
      return "disconnected";
    case IceState::kClosed:
      return "closed";
  }
  return "unknown";
}

const char* iceDropReasonName(IceDropReason reason) {
  switch (reason) {
    case IceDropReason::kNone:
      return "none";
    case IceDropReason::kMalformed:
      return "malformed";
    case IceDropReason::kNoFingerprint:
      return "no fingerprint";
    case IceDropReason::kBadFingerprint:
      return "bad fingerprint";
    case IceDropReason::kNotRequest:
      return "not a request";
    case IceDropReason::kNotBinding:
      return "not a binding request";
    case IceDropReason::kCannotRespond:
      return "cannot respond";
    case IceDropReason::kClosed:
      return "closed";
  }
  return "unknown";
}

std::optional<IceCredentials> IceServer::generateCredentials() {
  std::array<unsigned char, kGeneratedUfragLength + kGeneratedPasswordLength> random;
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return std::nullopt;
  IceCredentials out;
  out.ufrag.reserve(kGeneratedUfragLength);
  out.password.reserve(kGeneratedPasswordLength);
  for (size_t i = 0; i < random.size(); ++i) {
    const char c = kIceChars[random[i] & kIceCharMask];
    (i < kGeneratedUfragLength ? out.ufrag : out.password).push_back(c);
  }
  return out;
}

std::optional<IceServer> IceServer::create(std::string_view localUfrag,
                                           std::string_view localPassword,
                                           IceServerListener* listener) {
  if (!isUfrag(localUfrag) || !isPassword(localPassword)) return std::nullopt;
  auto key = StunKey::fromPassword(localPassword);
  if (!key) return std::nullopt;
  IceServer server(std::move(*key), listener);
  server.localUfrag_ = localUfrag;
  server.localPassword_ = localPassword;
  return server;
}

bool IceServer::setRemoteUfrag(std::string_view remoteUfrag) {
  if (!remoteUfrag.empty() && !isUfrag(remoteUfrag)) return false;
  remoteUfrag_ = remoteUfrag;
  return true;
}

bool IceServer::restart(std::string_view localUfrag, std::string_view localPassword,
                        std::optional<std::string_view> remoteUfrag) {
  if (state_ == IceState::kClosed || !isUfrag(localUfrag) || !isPassword(localPassword)) {
    return false;
  }
  if (remoteUfrag && !remoteUfrag->empty() && !isUfrag(*remoteUfrag)) return false;
  auto key = StunKey::fromPassword(localPassword);
  if (!key) return false;
  key_ = std::move(*key);
  localUfrag_ = localUfrag;
  localPassword_ = localPassword;
  remoteUfrag_ = remoteUfrag.value_or(std::string_view());
  return true;
}

void IceServer::close() {
  if (state_ == IceState::kClosed) return;
  tupleCount_ = 0;
  selected_.reset();
  setState(IceState::kClosed);
}

bool IceServer::usernameMatches(std::string_view username) const {
  // RFC 8445 section 7.2.2: the requester writes "<our ufrag>:<its ufrag>".
  const size_t local = localUfrag_.size();
  if (username.size() <= local + 1 || username.substr(0, local) != localUfrag_ ||
      username[local] != ':') {
    return false;
  }
  const std::string_view remote = username.substr(local + 1);
  return remoteUfrag_.empty() || remote == remoteUfrag_;
}

IceStunResult IceServer::drop(IceDropReason reason) {
  ++counters_.drops[static_cast<size_t>(reason)];
  return {0, 0, reason};
}

IceStunResult IceServer::sendError(std::span<uint8_t> out, const StunTransactionId& id,
                                   uint16_t code, bool authenticated,
                                   std::span<const uint16_t> unknown) {
  const size_t size =
      buildStunBindingError(out, id, code, authenticated ? &key_ : nullptr, unknown);
  if (size == 0) return drop(IceDropReason::kCannotRespond);
  ++counters_.responsesSent;
  switch (code) {
    case kCodeBadRequest:
      ++counters_.badRequest;
      break;
    case kCodeUnauthorized:
      ++counters_.unauthorized;
      break;
    case kCodeUnknownAttribute:
      ++counters_.unknownAttribute;
      break;
    case kCodeRoleConflict:
      ++counters_.roleConflict;
      break;
    default:
      break;
  }
  return {size, code, IceDropReason::kNone};
}

IceStunResult IceServer::onStun(std::span<const uint8_t> bytes, const SocketAddress& from,
                                uint64_t nowMs, std::span<uint8_t> responseBuffer) {
  ++counters_.messagesReceived;
  if (state_ == IceState::kClosed) return drop(IceDropReason::kClosed);
  const auto parsed = StunMessage::parse(bytes);
  if (!parsed) return drop(IceDropReason::kMalformed);
  const StunMessage& m = *parsed;
  // RFC 5389 section 7.3: with the FINGERPRINT extension in use (RFC 8445 section 7.2), a missing
  // or wrong FINGERPRINT means the datagram is discarded silently.
  if (!m.hasFingerprint()) return drop(IceDropReason::kNoFingerprint);
  if (!m.verifyFingerprint()) return drop(IceDropReason::kBadFingerprint);
  // RFC 5389 section 7.3.2/7.3.3: a lite agent sends no requests, so responses are stray and
  // indications need no answer. Other methods are not ours to answer (and answering unknown
  // traffic only helps reflection): dropped, counted.
  if (m.messageClass() != StunClass::kRequest) return drop(IceDropReason::kNotRequest);
  if (m.method() != StunMessage::kMethodBinding) return drop(IceDropReason::kNotBinding);
  ++counters_.requestsReceived;

  const StunTransactionId id = m.transactionId();
  // RFC 5389 section 10.1.2: both credentials present (400), the username ours and the
  // integrity right (401); neither response can carry MESSAGE-INTEGRITY.
  const auto username = m.username();
  if (!username || !m.hasMessageIntegrity()) {
    return sendError(responseBuffer, id, kCodeBadRequest, false);
  }
  if (!usernameMatches(*username) || !m.verifyMessageIntegrity(key_)) {
    return sendError(responseBuffer, id, kCodeUnauthorized, false);
  }
  // Authenticated from here: responses carry MESSAGE-INTEGRITY (section 10.1.2).
  // RFC 5389 section 7.3.1: unknown comprehension-required attributes.
  if (!m.unknownComprehensionRequired().empty()) {
    return sendError(responseBuffer, id, kCodeUnknownAttribute, true,
                     m.unknownComprehensionRequired());
  }
  // RFC 8445 section 7.1.1: a check carries PRIORITY.
  if (!m.priority()) return sendError(responseBuffer, id, kCodeBadRequest, true);
  // RFC 8445 section 7.3.1.1: the peer claims the controlled role too. The repair would be for
  // one side to become controlling, which a lite agent never is (section 6.1.1), so the peer
  // must switch: 487 whatever the tie-breakers say.
  if (m.iceControlled()) return sendError(responseBuffer, id, kCodeRoleConflict, true);

  const size_t size = buildStunBindingSuccess(responseBuffer, id, from, key_);
  if (size == 0) return drop(IceDropReason::kCannotRespond);
  ++counters_.responsesSent;
  ++counters_.successResponses;

  // A valid check: the tuple has consent (RFC 7675 section 5.1) and, with USE-CANDIDATE, is
  // nominated (RFC 8445 section 7.3.1.5); a later nomination from elsewhere moves the selection.
  Tuple& tuple = rememberTuple(from);
  tuple.lastCheckMs = nowMs;
  lastCheckMs_ = nowMs;
  const bool reselect = m.useCandidate() && !(selected_ && *selected_ == from);
  if (reselect) selected_ = from;
  const IceState next = consentState(nowMs);
  if (reselect && listener_ != nullptr) listener_->onSelectedTupleChange(*selected_);
  setState(next);
  return {size, 0, IceDropReason::kNone};
}

void IceServer::onTimer(uint64_t nowMs) {
  if (state_ == IceState::kConnected || state_ == IceState::kCompleted) {
    setState(consentState(nowMs));
  }
}

std::optional<uint64_t> IceServer::nextTimeoutMs() const {
  if (state_ == IceState::kCompleted) {
    if (const Tuple* t = findTuple(*selected_)) return t->lastCheckMs + kConsentTimeoutMs;
  }
  if (state_ == IceState::kConnected) return lastCheckMs_ + kConsentTimeoutMs;
  return std::nullopt;
}

IceState IceServer::consentState(uint64_t nowMs) const {
  // A clock that steps back counts as no time passed.
  const auto fresh = [nowMs](uint64_t lastMs) {
    return nowMs < lastMs || nowMs - lastMs < kConsentTimeoutMs;
  };
  if (selected_) {
    const Tuple* t = findTuple(*selected_);
    if (t != nullptr && fresh(t->lastCheckMs)) return IceState::kCompleted;
  }
  return fresh(lastCheckMs_) ? IceState::kConnected : IceState::kDisconnected;
}

void IceServer::setState(IceState state) {
  if (state == state_) return;
  state_ = state;
  if (listener_ != nullptr) listener_->onIceStateChange(state);
}

bool IceServer::isKnownTuple(const SocketAddress& address) const {
  return findTuple(address) != nullptr;
}

IceServer::Tuple* IceServer::findTuple(const SocketAddress& address) {
  for (size_t i = 0; i < tupleCount_; ++i) {
    if (tuples_[i].address == address) return &tuples_[i];
  }
  return nullptr;
}

const IceServer::Tuple* IceServer::findTuple(const SocketAddress& address) const {
  return const_cast<IceServer*>(this)->findTuple(address);
}

IceServer::Tuple& IceServer::rememberTuple(const SocketAddress& address) {
  if (Tuple* t = findTuple(address)) return *t;
  if (tupleCount_ < kMaxTuples) {
    tuples_[tupleCount_] = {address, 0};
    return tuples_[tupleCount_++];
  }
  // Full: replace the least recently checked tuple, never the selected one (media flows there).
  Tuple* oldest = nullptr;
  for (size_t i = 0; i < tupleCount_; ++i) {
    Tuple& t = tuples_[i];
    if (selected_ && t.address == *selected_) continue;
    if (oldest == nullptr || t.lastCheckMs < oldest->lastCheckMs) oldest = &t;
  }
  *oldest = {address, 0};
  return *oldest;
}

}  // namespace switchyard::transport
