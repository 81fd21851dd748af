// IceServer: driven by checks built with StunMessageWriter / buildStunBindingRequest and by
// checks aioice made (tests/fixtures/stun/aioice.hex); its responses are parsed back and, for
// the aioice session, verified by aioice itself.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/support/AioiceVerifier.hpp"
#include "tests/support/Fixtures.hpp"
#include "transport/IceServer.hpp"

namespace switchyard::transport {
namespace {

using Bytes = std::vector<uint8_t>;

// The same credentials as make_aioice_fixtures.py gives the SFU.
constexpr std::string_view kUfrag = "swydUfragTest123";
constexpr std::string_view kPassword = "switchyardPasswordForTests0123ab";
constexpr std::string_view kAioiceUfrag = "aioL";
constexpr std::string_view kPeerUfrag = "peerUfrag";
constexpr uint64_t kStartMs = 1'000'000;

SocketAddress address(std::string_view ip, uint16_t port) {
  auto a = SocketAddress::fromIp(ip, port);
  EXPECT_TRUE(a.has_value()) << ip;
  return a.value_or(SocketAddress());
}

std::string toHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

Bytes aioiceFixture(std::string_view namePrefix) {
  for (const auto& p : test::loadFixture("stun/aioice.hex")) {
    if (p.name.rfind(namePrefix, 0) == 0) return p.bytes;
  }
  ADD_FAILURE() << "no aioice fixture " << namePrefix;
  return {};
}

// A check with every part optional, so that each rule can be broken on its own.
struct Check {
  std::string username = std::string(kUfrag) + ":" + std::string(kPeerUfrag);
  std::string password = std::string(kPassword);
  bool withUsername = true;
  bool withPriority = true;
  bool withIntegrity = true;
  bool withFingerprint = true;
  bool corruptFingerprint = false;
  bool useCandidate = false;
  std::optional<IceRole> role = IceRole::kControlling;
  std::optional<uint16_t> extraAttribute;
  StunClass messageClass = StunClass::kRequest;
  uint16_t method = StunMessage::kMethodBinding;
  uint8_t transactionByte = 7;

  Bytes build() const {
    Bytes out(512);
    StunTransactionId id;
    id.fill(transactionByte);
    StunMessageWriter w(out, messageClass, method, id);
    if (withPriority) w.addUint32(StunMessage::kAttrPriority, 0x6e7f1eff);
    if (role) {
      w.addUint64(*role == IceRole::kControlling ? StunMessage::kAttrIceControlling
                                                 : StunMessage::kAttrIceControlled,
                  0x1122334455667788);
    }
    if (useCandidate) w.addFlag(StunMessage::kAttrUseCandidate);
    if (extraAttribute) w.addUint32(*extraAttribute, 0);
    if (withUsername) w.addString(StunMessage::kAttrUsername, username);
    if (withIntegrity) w.addMessageIntegrity(*StunKey::fromPassword(password));
    if (withFingerprint) w.addFingerprint();
    EXPECT_TRUE(w.ok());
    out.resize(w.size());
    if (corruptFingerprint) out.back() ^= 0x01;
    return out;
  }
};

Bytes nominating() {
  Check c;
  c.useCandidate = true;
  return c.build();
}

struct Recorder : IceServerListener {
  void onIceStateChange(IceState state) override {
    events.push_back(std::string("state ") + iceStateName(state));
  }
  void onSelectedTupleChange(const SocketAddress& tuple) override {
    events.push_back("tuple " + tuple.toString());
  }
  std::vector<std::string> take() { return std::exchange(events, {}); }
  std::vector<std::string> events;
};

class IceServerTest : public ::testing::Test {
 protected:
  IceServerTest() : server(*IceServer::create(kUfrag, kPassword, &recorder)) {}

  IceStunResult send(const Bytes& bytes, const SocketAddress& from, uint64_t nowMs = kStartMs) {
    response.assign(1500, 0);
    IceStunResult r = server.onStun(bytes, from, nowMs, response);
    response.resize(r.responseSize);
    return r;
  }

  Recorder recorder;
  IceServer server;
  Bytes response;
  const SocketAddress a = address("192.0.2.1", 50000);
  const SocketAddress b = address("198.51.100.2", 50001);
  const SocketAddress c6 = address("2001:db8::3", 50002);
};

// --- Answers --------------------------------------------------------------------------------

TEST_F(IceServerTest, AnswersAValidCheckWithAnAuthenticatedSuccess) {
  const Bytes request = Check().build();
  const auto r = send(request, c6);
  EXPECT_TRUE(r.validCheck());
  EXPECT_EQ(r.errorCode, 0);
  EXPECT_EQ(r.drop, IceDropReason::kNone);
  auto m = StunMessage::parse(response);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->messageClass(), StunClass::kSuccess);
  EXPECT_EQ(m->method(), StunMessage::kMethodBinding);
  EXPECT_EQ(m->transactionId(), StunMessage::parse(request)->transactionId());
  EXPECT_EQ(m->xorMappedAddress(), c6);
  EXPECT_TRUE(m->verifyMessageIntegrity(*StunKey::fromPassword(kPassword)));
  EXPECT_TRUE(m->verifyFingerprint());
  EXPECT_FALSE(m->username().has_value()) << "RFC 8445 7.2.2: no USERNAME in responses";
}

struct RuleCase {
  const char* name;
  Check check;
  uint16_t errorCode;  // 0: success or silent drop
  IceDropReason drop;
  bool responseHasIntegrity;
  std::vector<uint16_t> unknown;
};

std::vector<RuleCase> ruleCases() {
  std::vector<RuleCase> cases;
  auto add = [&](const char* name, auto mutate, uint16_t code, IceDropReason drop, bool mi,
                 std::vector<uint16_t> unknown = {}) {
    Check c;
    mutate(c);
    cases.push_back({name, c, code, drop, mi, std::move(unknown)});
  };
  const auto none = IceDropReason::kNone;
  add(
      "valid", [](Check&) {}, 0, none, true);
  add(
      "valid, comprehension-optional unknown", [](Check& c) { c.extraAttribute = 0xC057; }, 0, none,
      true);
  add(
      "valid, no role attribute (RFC 5245 peer)", [](Check& c) { c.role.reset(); }, 0, none, true);
  add(
      "bad FINGERPRINT", [](Check& c) { c.corruptFingerprint = true; }, 0,
      IceDropReason::kBadFingerprint, false);
  add(
      "no FINGERPRINT", [](Check& c) { c.withFingerprint = false; }, 0,
      IceDropReason::kNoFingerprint, false);
  add(
      "no USERNAME", [](Check& c) { c.withUsername = false; }, 400, none, false);
  add(
      "no MESSAGE-INTEGRITY", [](Check& c) { c.withIntegrity = false; }, 400, none, false);
  add(
      "neither credential", [](Check& c) { c.withIntegrity = c.withUsername = false; }, 400, none,
      false);
  add(
      "wrong local ufrag", [](Check& c) { c.username = "swydUfragTest124:peerUfrag"; }, 401, none,
      false);
  add(
      "local ufrag only", [](Check& c) { c.username = std::string(kUfrag); }, 401, none, false);
  add(
      "empty remote part", [](Check& c) { c.username = std::string(kUfrag) + ":"; }, 401, none,
      false);
  add(
      "ufrags swapped", [](Check& c) { c.username = "peerUfrag:" + std::string(kUfrag); }, 401,
      none, false);
  add(
      "local ufrag as prefix", [](Check& c) { c.username = std::string(kUfrag) + "X:peer"; }, 401,
      none, false);
  add(
      "wrong password", [](Check& c) { c.password = "switchyardPasswordForTests0123ac"; }, 401,
      none, false);
  add(
      "no PRIORITY", [](Check& c) { c.withPriority = false; }, 400, none, true);
  add("unknown comprehension-required", [](Check& c) { c.extraAttribute = 0x0003; }, 420, none,
      true, {0x0003});
  add(
      "ICE-CONTROLLED: role conflict", [](Check& c) { c.role = IceRole::kControlled; }, 487, none,
      true);
  add(
      "ICE-CONTROLLED with USE-CANDIDATE",
      [](Check& c) {
        c.role = IceRole::kControlled;
        c.useCandidate = true;
      },
      487, none, true);
  add(
      "indication", [](Check& c) { c.messageClass = StunClass::kIndication; }, 0,
      IceDropReason::kNotRequest, false);
  add(
      "success response", [](Check& c) { c.messageClass = StunClass::kSuccess; }, 0,
      IceDropReason::kNotRequest, false);
  add(
      "error response", [](Check& c) { c.messageClass = StunClass::kError; }, 0,
      IceDropReason::kNotRequest, false);
  add(
      "Allocate request", [](Check& c) { c.method = 0x003; }, 0, IceDropReason::kNotBinding, false);
  return cases;
}

TEST_F(IceServerTest, AppliesEachRuleWithItsExactOutcome) {
  const StunKey key = *StunKey::fromPassword(kPassword);
  for (const RuleCase& rc : ruleCases()) {
    SCOPED_TRACE(rc.name);
    auto fresh = IceServer::create(kUfrag, kPassword);
    ASSERT_TRUE(fresh.has_value());
    Bytes out(1500);
    const Bytes request = rc.check.build();
    const auto r = fresh->onStun(request, a, kStartMs, out);
    EXPECT_EQ(r.errorCode, rc.errorCode);
    EXPECT_EQ(r.drop, rc.drop);
    const bool valid = rc.errorCode == 0 && rc.drop == IceDropReason::kNone;
    EXPECT_EQ(r.validCheck(), valid);
    EXPECT_EQ(fresh->state(), valid ? IceState::kConnected : IceState::kNew);
    EXPECT_EQ(fresh->isKnownTuple(a), valid);
    EXPECT_EQ(fresh->knownTupleCount(), valid ? 1u : 0u);
    EXPECT_FALSE(fresh->selectedTuple().has_value());
    if (rc.drop != IceDropReason::kNone) {
      EXPECT_EQ(r.responseSize, 0u);
      EXPECT_EQ(fresh->counters().dropped(rc.drop), 1u);
      EXPECT_EQ(fresh->counters().responsesSent, 0u);
      continue;
    }
    ASSERT_GT(r.responseSize, 0u);
    EXPECT_EQ(fresh->counters().responsesSent, 1u);
    auto m = StunMessage::parse({out.data(), r.responseSize});
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->transactionId(), StunMessage::parse(request)->transactionId());
    EXPECT_EQ(m->messageClass(), valid ? StunClass::kSuccess : StunClass::kError);
    EXPECT_TRUE(m->verifyFingerprint());
    EXPECT_EQ(m->hasMessageIntegrity(), rc.responseHasIntegrity);
    if (rc.responseHasIntegrity) {
      EXPECT_TRUE(m->verifyMessageIntegrity(key));
    }
    if (!valid) {
      ASSERT_TRUE(m->errorCode().has_value());
      EXPECT_EQ(m->errorCode()->code, rc.errorCode);
    }
    if (!rc.unknown.empty()) {
      auto list = m->unknownAttributes();
      ASSERT_TRUE(list.has_value());
      ASSERT_EQ(list->size(), rc.unknown.size());
      for (size_t i = 0; i < rc.unknown.size(); ++i)
        EXPECT_EQ((*list)[i], rc.unknown[i]);
    }
  }
}

TEST_F(IceServerTest, CountsEveryOutcome) {
  for (const RuleCase& rc : ruleCases())
    send(rc.check.build(), a);
  send(Bytes{0x80, 0x60, 0x00, 0x01}, a);  // RTP-looking garbage
  const IceCounters& c = server.counters();
  EXPECT_EQ(c.messagesReceived, ruleCases().size() + 1);
  EXPECT_EQ(c.successResponses, 3u);
  EXPECT_EQ(c.badRequest, 4u);
  EXPECT_EQ(c.unauthorized, 6u);
  EXPECT_EQ(c.unknownAttribute, 1u);
  EXPECT_EQ(c.roleConflict, 2u);
  EXPECT_EQ(c.responsesSent, 16u);
  EXPECT_EQ(c.requestsReceived, 16u);
  EXPECT_EQ(c.dropped(IceDropReason::kBadFingerprint), 1u);
  EXPECT_EQ(c.dropped(IceDropReason::kNoFingerprint), 1u);
  EXPECT_EQ(c.dropped(IceDropReason::kNotRequest), 3u);
  EXPECT_EQ(c.dropped(IceDropReason::kNotBinding), 1u);
  EXPECT_EQ(c.dropped(IceDropReason::kMalformed), 1u);
  EXPECT_EQ(c.dropped(IceDropReason::kNone), 0u);
}

TEST_F(IceServerTest, RemoteUfragOnceKnownMustMatchExactly) {
  ASSERT_TRUE(server.setRemoteUfrag("otherPeer"));
  EXPECT_EQ(send(Check().build(), a).errorCode, 401) << "peerUfrag is not otherPeer";
  Check c;
  c.username = std::string(kUfrag) + ":otherPeer";
  EXPECT_TRUE(send(c.build(), a).validCheck());
  c.username = std::string(kUfrag) + ":otherPeerX";
  EXPECT_EQ(send(c.build(), a).errorCode, 401);
  ASSERT_TRUE(server.setRemoteUfrag(""));
  EXPECT_TRUE(send(c.build(), a).validCheck()) << "cleared: anything non-empty again";
  EXPECT_FALSE(server.setRemoteUfrag("has:colon"));
  EXPECT_FALSE(server.setRemoteUfrag("abc"));
  EXPECT_EQ(server.remoteUfrag(), "");
}

TEST_F(IceServerTest, DropsWhatItCannotAnswer) {
  Bytes small(40);
  EXPECT_EQ(server.onStun(Check().build(), a, kStartMs, small).drop, IceDropReason::kCannotRespond);
  EXPECT_EQ(server.onStun(Check().build(), SocketAddress(), kStartMs, response).drop,
            IceDropReason::kCannotRespond);
  EXPECT_EQ(server.state(), IceState::kNew);
  EXPECT_EQ(server.knownTupleCount(), 0u);
}

// --- aioice ---------------------------------------------------------------------------------

using switchyard::test::runAioiceVerifier;

TEST_F(IceServerTest, ServesAnAioiceSessionAndAioiceAcceptsTheAnswers) {
  ASSERT_TRUE(server.setRemoteUfrag(kAioiceUfrag));
  const std::string pwd(kPassword);
  std::vector<std::string> lines;

  auto r = send(aioiceFixture("aioice check"), a);
  ASSERT_TRUE(r.validCheck());
  EXPECT_EQ(server.state(), IceState::kConnected);
  lines.push_back(toHex(response) + " " + pwd + " kind=success mapped=192.0.2.1,50000");

  r = send(aioiceFixture("aioice nominating check"), c6);
  ASSERT_TRUE(r.validCheck());
  EXPECT_EQ(server.state(), IceState::kCompleted);
  EXPECT_EQ(server.selectedTuple(), c6);
  lines.push_back(toHex(response) + " " + pwd + " kind=success mapped=2001:db8::3,50002");

  r = send(aioiceFixture("aioice controlled-role check"), a);
  EXPECT_EQ(r.errorCode, 487);
  lines.push_back(toHex(response) + " " + pwd + " kind=error code=487");

  // A restart without telling the peer: its checks now fail authentication.
  ASSERT_TRUE(server.restart("newUfragAfterRestart", "newPasswordAfterRestart0123"));
  r = send(aioiceFixture("aioice check"), a);
  EXPECT_EQ(r.errorCode, 401);
  lines.push_back(toHex(response) + " - kind=error code=401");
  EXPECT_EQ(server.selectedTuple(), c6);

  const auto [status, output] = runAioiceVerifier(lines);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "ok 4\n");
}

TEST_F(IceServerTest, AioiceChecksWithAnotherRemoteUfragAreRefused) {
  ASSERT_TRUE(server.setRemoteUfrag("notAioice"));
  EXPECT_EQ(send(aioiceFixture("aioice nominating check"), a).errorCode, 401);
  EXPECT_EQ(server.state(), IceState::kNew);
}

// --- Nomination and roaming -----------------------------------------------------------------

TEST_F(IceServerTest, NominationSelectsTheTuple) {
  EXPECT_TRUE(send(Check().build(), a).validCheck());
  EXPECT_EQ(server.state(), IceState::kConnected);
  EXPECT_FALSE(server.selectedTuple().has_value());
  EXPECT_TRUE(server.isKnownTuple(a));
  EXPECT_FALSE(server.isKnownTuple(b));
  EXPECT_EQ(recorder.take(), (std::vector<std::string>{"state connected"}));

  EXPECT_TRUE(send(nominating(), a).validCheck());
  EXPECT_EQ(server.state(), IceState::kCompleted);
  EXPECT_EQ(server.selectedTuple(), a);
  EXPECT_EQ(recorder.take(),
            (std::vector<std::string>{"tuple 192.0.2.1:50000", "state completed"}));

  // Nominating the same tuple again changes nothing.
  EXPECT_TRUE(send(nominating(), a).validCheck());
  EXPECT_TRUE(recorder.take().empty());
}

TEST_F(IceServerTest, NominationOnTheFirstCheckGoesStraightToCompleted) {
  EXPECT_TRUE(send(nominating(), b).validCheck());
  EXPECT_EQ(server.state(), IceState::kCompleted);
  EXPECT_EQ(recorder.take(),
            (std::vector<std::string>{"tuple 198.51.100.2:50001", "state completed"}));
}

TEST_F(IceServerTest, ALaterNominationFromElsewhereRoams) {
  send(nominating(), a);
  recorder.take();
  // A plain check from b: known, not selected.
  EXPECT_TRUE(send(Check().build(), b, kStartMs + 100).validCheck());
  EXPECT_EQ(server.selectedTuple(), a);
  EXPECT_TRUE(server.isKnownTuple(b));
  EXPECT_TRUE(recorder.take().empty());
  // Nominated from b: the selection moves, the state stays.
  EXPECT_TRUE(send(nominating(), b, kStartMs + 200).validCheck());
  EXPECT_EQ(server.selectedTuple(), b);
  EXPECT_EQ(server.state(), IceState::kCompleted);
  EXPECT_EQ(recorder.take(), (std::vector<std::string>{"tuple 198.51.100.2:50001"}));
  EXPECT_TRUE(server.isKnownTuple(a)) << "a passed a check; it stays known";
  // And back to a.
  EXPECT_TRUE(send(nominating(), a, kStartMs + 300).validCheck());
  EXPECT_EQ(server.selectedTuple(), a);
  EXPECT_EQ(recorder.take(), (std::vector<std::string>{"tuple 192.0.2.1:50000"}));
}

TEST_F(IceServerTest, RejectedChecksNeverSelectOrRegisterATuple) {
  send(nominating(), a);
  Check bad;
  bad.useCandidate = true;
  bad.password = "switchyardPasswordForTests0123ac";
  EXPECT_EQ(send(bad.build(), b).errorCode, 401);
  Check conflict;
  conflict.useCandidate = true;
  conflict.role = IceRole::kControlled;
  EXPECT_EQ(send(conflict.build(), b).errorCode, 487);
  EXPECT_EQ(server.selectedTuple(), a);
  EXPECT_FALSE(server.isKnownTuple(b));
}

// --- Consent --------------------------------------------------------------------------------

TEST_F(IceServerTest, ConsentExpiresThirtySecondsAfterTheLastCheckAndRecovers) {
  send(nominating(), a, kStartMs);
  recorder.take();
  EXPECT_EQ(server.nextTimeoutMs(), kStartMs + 30'000);
  server.onTimer(kStartMs + 29'999);
  EXPECT_EQ(server.state(), IceState::kCompleted);
  server.onTimer(kStartMs + 30'000);
  EXPECT_EQ(server.state(), IceState::kDisconnected);
  EXPECT_EQ(recorder.take(), (std::vector<std::string>{"state disconnected"}));
  EXPECT_EQ(server.selectedTuple(), a) << "kept for recovery";
  EXPECT_TRUE(server.isKnownTuple(a));
  EXPECT_FALSE(server.nextTimeoutMs().has_value());
  server.onTimer(kStartMs + 90'000);
  EXPECT_TRUE(recorder.take().empty());

  // A check on the selected tuple brings it back.
  EXPECT_TRUE(send(Check().build(), a, kStartMs + 100'000).validCheck());
  EXPECT_EQ(server.state(), IceState::kCompleted);
  EXPECT_EQ(recorder.take(), (std::vector<std::string>{"state completed"}));
  EXPECT_EQ(server.nextTimeoutMs(), kStartMs + 130'000);
}

TEST_F(IceServerTest, ChecksEveryFewSecondsKeepConsent) {
  send(nominating(), a, kStartMs);
  for (uint64_t t = kStartMs; t < kStartMs + 300'000; t += 1'000) {
    if ((t - kStartMs) % 10'000 == 0) send(Check().build(), a, t);
    server.onTimer(t);
    ASSERT_EQ(server.state(), IceState::kCompleted) << t;
  }
}

TEST_F(IceServerTest, ConsentWithoutNominationExpiresToo) {
  send(Check().build(), a, kStartMs);
  server.onTimer(kStartMs + 29'999);
  EXPECT_EQ(server.state(), IceState::kConnected);
  server.onTimer(kStartMs + 30'000);
  EXPECT_EQ(server.state(), IceState::kDisconnected);
  send(Check().build(), b, kStartMs + 31'000);
  EXPECT_EQ(server.state(), IceState::kConnected);
  EXPECT_EQ(recorder.take(),
            (std::vector<std::string>{"state connected", "state disconnected", "state connected"}));
}

TEST_F(IceServerTest, ChecksOnAnotherTupleDoNotRefreshTheSelectedOne) {
  // RFC 7675 consent is per tuple: media goes to the selected one, so its own checks count.
  send(nominating(), a, kStartMs);
  for (uint64_t t = kStartMs + 10'000; t <= kStartMs + 40'000; t += 10'000)
    send(Check().build(), b, t);
  server.onTimer(kStartMs + 40'000);
  EXPECT_EQ(server.state(), IceState::kConnected) << "b is alive, the selected a is not";
  EXPECT_EQ(server.selectedTuple(), a);
  send(nominating(), b, kStartMs + 41'000);
  EXPECT_EQ(server.state(), IceState::kCompleted);
  EXPECT_EQ(server.selectedTuple(), b);
}

TEST_F(IceServerTest, RejectedAndGarbageTrafficDoesNotRefreshConsent) {
  send(nominating(), a, kStartMs);
  Check bad;
  bad.password = "switchyardPasswordForTests0123ac";
  send(bad.build(), a, kStartMs + 20'000);
  send(Bytes(64, 0), a, kStartMs + 25'000);
  server.onTimer(kStartMs + 30'000);
  EXPECT_EQ(server.state(), IceState::kDisconnected);
}

TEST_F(IceServerTest, AClockSteppingBackDoesNotExpireConsent) {
  send(nominating(), a, kStartMs);
  server.onTimer(kStartMs - 50'000);
  EXPECT_EQ(server.state(), IceState::kCompleted);
}

// --- Restart --------------------------------------------------------------------------------

TEST_F(IceServerTest, RestartRejectsOldCredentialsAndKeepsTheSelectionUntilANewNomination) {
  ASSERT_TRUE(server.setRemoteUfrag(kPeerUfrag));
  send(nominating(), a, kStartMs);
  recorder.take();

  ASSERT_TRUE(server.restart("restartUfrag", "restartPasswordIsLong0123", "peerUfrag2"));
  EXPECT_EQ(server.localUfrag(), "restartUfrag");
  EXPECT_EQ(server.remoteUfrag(), "peerUfrag2");
  EXPECT_EQ(server.state(), IceState::kCompleted);
  EXPECT_EQ(server.selectedTuple(), a);
  EXPECT_TRUE(server.isKnownTuple(a));
  EXPECT_TRUE(recorder.take().empty());

  // Old credentials, old or new tuple: 401, nothing moves.
  EXPECT_EQ(send(nominating(), a, kStartMs + 1'000).errorCode, 401);
  EXPECT_EQ(send(nominating(), b, kStartMs + 1'000).errorCode, 401);
  // New password but the old username: still 401.
  Check mixed;
  mixed.password = "restartPasswordIsLong0123";
  mixed.useCandidate = true;
  EXPECT_EQ(send(mixed.build(), b, kStartMs + 1'000).errorCode, 401);
  EXPECT_EQ(server.selectedTuple(), a);
  EXPECT_FALSE(server.isKnownTuple(b));

  // The new credentials: a plain check keeps the selection, a nomination moves it.
  Check renewed;
  renewed.username = "restartUfrag:peerUfrag2";
  renewed.password = "restartPasswordIsLong0123";
  EXPECT_TRUE(send(renewed.build(), b, kStartMs + 2'000).validCheck());
  EXPECT_EQ(server.selectedTuple(), a);
  renewed.useCandidate = true;
  EXPECT_TRUE(send(renewed.build(), b, kStartMs + 3'000).validCheck());
  EXPECT_EQ(server.selectedTuple(), b);
  EXPECT_EQ(recorder.take(), (std::vector<std::string>{"tuple 198.51.100.2:50001"}));

  // The response is signed with the new password.
  auto m = StunMessage::parse(response);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->verifyMessageIntegrity(*StunKey::fromPassword("restartPasswordIsLong0123")));
  EXPECT_FALSE(m->verifyMessageIntegrity(*StunKey::fromPassword(kPassword)));
}

TEST_F(IceServerTest, RestartWithoutTheRemoteUfragAcceptsAnyUntilItIsKnown) {
  ASSERT_TRUE(server.setRemoteUfrag(kPeerUfrag));
  ASSERT_TRUE(server.restart("restartUfrag", "restartPasswordIsLong0123"));
  EXPECT_EQ(server.remoteUfrag(), "");
  Check renewed;
  renewed.username = "restartUfrag:anyoneAtAll";
  renewed.password = "restartPasswordIsLong0123";
  EXPECT_TRUE(send(renewed.build(), a).validCheck());
}

TEST_F(IceServerTest, RestartWithInvalidCredentialsChangesNothing) {
  for (const auto& [u, p, r] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"abc", "restartPasswordIsLong0123", ""},
           {"restartUfrag", "tooShortPassword", ""},
           {"restartUfrag", "restartPasswordIsLong012 ", ""},
           {"restartUfrag", "restartPasswordIsLong0123", "a:b:c"}}) {
    EXPECT_FALSE(server.restart(u, p, r)) << u << " " << p << " " << r;
  }
  EXPECT_EQ(server.localUfrag(), kUfrag);
  EXPECT_EQ(server.localPassword(), kPassword);
  EXPECT_TRUE(send(Check().build(), a).validCheck());
}

// --- Tuples ---------------------------------------------------------------------------------

TEST_F(IceServerTest, KnownTuplesAreBoundedAndTheSelectedOneIsNeverDropped) {
  send(nominating(), a, kStartMs);
  std::vector<SocketAddress> others;
  for (uint16_t i = 0; i < 12; ++i) {
    others.push_back(address("203.0.113.9", static_cast<uint16_t>(40000 + i)));
    EXPECT_TRUE(send(Check().build(), others.back(), kStartMs + 1 + i).validCheck());
    EXPECT_LE(server.knownTupleCount(), IceServer::kMaxTuples);
  }
  EXPECT_EQ(server.knownTupleCount(), IceServer::kMaxTuples);
  EXPECT_TRUE(server.isKnownTuple(a)) << "selected, though the oldest";
  // The newest seven others are known, the first five were replaced in order.
  for (size_t i = 0; i < others.size(); ++i)
    EXPECT_EQ(server.isKnownTuple(others[i]), i >= 5) << i;

  // A fresh check makes an old tuple the newest: the next eviction takes another.
  send(Check().build(), others[5], kStartMs + 100);
  send(Check().build(), b, kStartMs + 101);
  EXPECT_TRUE(server.isKnownTuple(others[5]));
  EXPECT_FALSE(server.isKnownTuple(others[6]));
  EXPECT_TRUE(server.isKnownTuple(b));
  EXPECT_EQ(server.selectedTuple(), a);
}

TEST_F(IceServerTest, TuplesAreExactAddressAndPort) {
  send(Check().build(), a);
  EXPECT_TRUE(server.isKnownTuple(address("192.0.2.1", 50000)));
  EXPECT_FALSE(server.isKnownTuple(address("192.0.2.1", 50001)));
  EXPECT_FALSE(server.isKnownTuple(address("::ffff:192.0.2.1", 50000)));
}

// --- Garbage --------------------------------------------------------------------------------

TEST_F(IceServerTest, GarbageNeverChangesTheState) {
  send(Check().build(), b, kStartMs);
  send(nominating(), a, kStartMs);
  recorder.take();
  const auto countersBefore = server.counters().successResponses;

  std::mt19937 rng(5389);
  std::vector<Bytes> garbage;
  for (int i = 0; i < 2000; ++i) {
    Bytes g(rng() % 200);
    for (auto& byte : g)
      byte = static_cast<uint8_t>(rng());
    if (i % 2 == 0 && g.size() >= 8) {
      // Half of it looks like STUN: zero top bits, the cookie, a consistent length.
      g.resize(20 + (g.size() - 8) / 4 * 4);
      g[0] &= 0x3F;
      g[2] = static_cast<uint8_t>((g.size() - 20) >> 8);
      g[3] = static_cast<uint8_t>(g.size() - 20);
      g[4] = 0x21, g[5] = 0x12, g[6] = 0xa4, g[7] = 0x42;
    }
    garbage.push_back(std::move(g));
  }
  // Valid checks with one bit flipped, truncated, or with a byte appended.
  const Bytes valid = nominating();
  for (size_t i = 0; i < valid.size(); ++i) {
    Bytes flipped = valid;
    flipped[i] ^= static_cast<uint8_t>(1u << (i % 8));
    garbage.push_back(flipped);
    garbage.emplace_back(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(i));
  }
  Bytes longer = valid;
  longer.push_back(0);
  garbage.push_back(longer);

  const SocketAddress stranger = address("203.0.113.77", 9);
  uint64_t t = kStartMs;
  for (const Bytes& g : garbage) {
    for (const SocketAddress* from : {&a, &stranger}) {
      const auto r = send(g, *from, ++t);
      EXPECT_EQ(r.responseSize, 0u);
    }
  }
  EXPECT_EQ(server.state(), IceState::kCompleted);
  EXPECT_EQ(server.selectedTuple(), a);
  EXPECT_FALSE(server.isKnownTuple(stranger));
  EXPECT_EQ(server.knownTupleCount(), 2u);
  EXPECT_TRUE(recorder.take().empty());
  EXPECT_EQ(server.counters().successResponses, countersBefore);
  // And consent still dates from the last real check.
  server.onTimer(kStartMs + 30'000);
  EXPECT_EQ(server.state(), IceState::kDisconnected);
}

// --- Lifecycle and credentials --------------------------------------------------------------

TEST_F(IceServerTest, CloseEndsEverything) {
  send(nominating(), a);
  recorder.take();
  server.close();
  EXPECT_EQ(server.state(), IceState::kClosed);
  EXPECT_EQ(recorder.take(), (std::vector<std::string>{"state closed"}));
  EXPECT_FALSE(server.isKnownTuple(a));
  EXPECT_FALSE(server.selectedTuple().has_value());
  const auto r = send(nominating(), a);
  EXPECT_EQ(r.drop, IceDropReason::kClosed);
  EXPECT_EQ(r.responseSize, 0u);
  server.onTimer(kStartMs + 100'000);
  EXPECT_FALSE(server.restart("restartUfrag", "restartPasswordIsLong0123"));
  server.close();
  EXPECT_EQ(server.state(), IceState::kClosed);
  EXPECT_TRUE(recorder.take().empty());
  EXPECT_FALSE(server.nextTimeoutMs().has_value());
}

TEST(IceCredentialsTest, GeneratedCredentialsAreRandomIceChars) {
  auto first = IceServer::generateCredentials();
  auto second = IceServer::generateCredentials();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->ufrag.size(), 16u);
  EXPECT_EQ(first->password.size(), 32u);
  EXPECT_NE(first->ufrag, second->ufrag);
  EXPECT_NE(first->password, second->password);
  const std::string iceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (const auto& s : {first->ufrag, first->password, second->ufrag, second->password}) {
    EXPECT_EQ(s.find_first_not_of(iceChars), std::string::npos) << s;
  }
  EXPECT_TRUE(IceServer::create(first->ufrag, first->password).has_value());

  // Over many draws every ice-char shows up: the mapping covers the whole set.
  std::string seen;
  for (int i = 0; i < 100; ++i) {
    auto c = IceServer::generateCredentials();
    ASSERT_TRUE(c);
    seen += c->ufrag + c->password;
  }
  for (char ch : iceChars)
    EXPECT_NE(seen.find(ch), std::string::npos) << ch;
}

TEST(IceCredentialsTest, CreateRejectsInvalidCredentials) {
  const std::string okPassword(22, 'p');
  EXPECT_TRUE(IceServer::create("abcd", okPassword).has_value());
  EXPECT_TRUE(IceServer::create(std::string(256, 'u'), std::string(256, 'p')).has_value());
  EXPECT_FALSE(IceServer::create("abc", okPassword).has_value());
  EXPECT_FALSE(IceServer::create(std::string(257, 'u'), okPassword).has_value());
  EXPECT_FALSE(IceServer::create("ab:cd", okPassword).has_value());
  EXPECT_FALSE(IceServer::create("abcd", std::string(21, 'p')).has_value());
  EXPECT_FALSE(IceServer::create("abcd", std::string(257, 'p')).has_value());
  EXPECT_FALSE(IceServer::create("abcd", okPassword + " ").has_value());
  EXPECT_FALSE(IceServer::create("abcd", okPassword + "=").has_value());
}

}  // namespace
}  // namespace switchyard::transport
