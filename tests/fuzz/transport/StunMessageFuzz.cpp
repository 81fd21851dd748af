// libFuzzer target: arbitrary bytes as one STUN message. Beyond parsing: every attribute is
// walked and must stay inside the message, every accessor is read, MESSAGE-INTEGRITY is checked
// with a fixed key, and whatever parses is fed to an IceServer (which must never answer garbage
// with a success unless the message really authenticates). Parsed messages are rebuilt through
// the writer where possible, and what the writer makes must parse.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "tests/fuzz/FuzzCheck.hpp"
#include "transport/IceServer.hpp"
#include "transport/StunMessage.hpp"

namespace {

using namespace switchyard::transport;

// The fixture credentials (tests/fixtures/stun): seeds made with them verify.
constexpr std::string_view kUfrag = "swydUfragTest123";
constexpr std::string_view kPassword = "switchyardPasswordForTests0123ab";
constexpr size_t kResponseCapacity = 1500;

using switchyard::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::optional<StunKey> key = StunKey::fromPassword(kPassword);
  check(key.has_value());
  // A copy, so that reads past the input are caught by ASan at the exact size.
  const std::vector<uint8_t> bytes(data, data + size);
  auto parsed = StunMessage::parse(bytes);
  if (!parsed) return 0;
  const StunMessage& m = *parsed;
  check(size >= StunMessage::kHeaderSize && size % 4 == 0);

  // The walk covers the body exactly.
  size_t covered = StunMessage::kHeaderSize;
  for (const StunAttribute a : m.attributes()) {
    check(a.value.data() >= bytes.data() + covered);
    check(a.value.data() + a.value.size() <= bytes.data() + size);
    covered += StunMessage::kAttributeHeaderSize + (a.value.size() + 3) / 4 * 4;
  }
  check(covered == size);

  (void)m.messageClass();
  (void)m.method();
  (void)m.transactionId();
  (void)m.username();
  (void)m.software();
  (void)m.priority();
  (void)m.useCandidate();
  (void)m.iceControlling();
  (void)m.iceControlled();
  if (auto e = m.errorCode()) check(e->code >= 300 && e->code <= 699);
  if (auto list = m.unknownAttributes()) {
    for (size_t i = 0; i < list->size(); ++i)
      (void)(*list)[i];
  }
  check(m.unknownComprehensionRequired().size() <= StunMessage::kMaxUnknownAttributes);
  for (uint16_t type : m.unknownComprehensionRequired())
    check(type < StunMessage::kComprehensionOptionalFirst);
  const bool integrity = m.verifyMessageIntegrity(*key);
  check(!integrity || m.hasMessageIntegrity());
  const bool fingerprint = m.verifyFingerprint();
  check(!fingerprint || m.hasFingerprint());

  // A mapped address survives a rebuild.
  std::vector<uint8_t> out(kResponseCapacity);
  if (auto mapped = m.xorMappedAddress()) {
    const size_t n = buildStunBindingSuccess(out, m.transactionId(), *mapped, *key);
    check(n > 0);
    auto again = StunMessage::parse({out.data(), n});
    check(again.ok() && again->xorMappedAddress() == mapped && again->verifyFingerprint() &&
          again->verifyMessageIntegrity(*key));
  }

  // Through an ICE-lite server: a success only for a message that really authenticates.
  auto server = IceServer::create(kUfrag, kPassword);
  check(server.has_value());
  const auto from = SocketAddress::fromIp("192.0.2.1", 5000);
  const IceStunResult r = server->onStun(bytes, *from, 1000, out);
  if (r.validCheck()) {
    check(integrity && fingerprint && m.messageClass() == StunClass::kRequest);
    check(server->state() == IceState::kConnected || server->state() == IceState::kCompleted);
    check(server->isKnownTuple(*from));
  } else {
    check(server->state() == IceState::kNew && server->knownTupleCount() == 0);
  }
  if (r.responseSize > 0) {
    auto response = StunMessage::parse({out.data(), r.responseSize});
    check(response.ok() && response->verifyFingerprint());
    check(response->transactionId() == m.transactionId());
  }
  return 0;
}
