// StunMessage and StunMessageWriter: the RFC 5769 vectors parsed and rebuilt byte for byte,
// messages made by aioice parsed and verified, our messages verified by aioice, every
// malformed length and every truncation rejected, tampering detected.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/AioiceVerifier.hpp"
#include "tests/support/Fixtures.hpp"
#include "tests/support/Hex.hpp"
#include "transport/StunMessage.hpp"

namespace switchyard::transport {
namespace {

using rtp::ParseError;
using Bytes = std::vector<uint8_t>;
using test::hex;

constexpr std::string_view kRfcPassword = "VOkJxbRl1RmTxUk/WvJxBt";
const StunTransactionId kRfcTransactionId = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                             0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
constexpr uint8_t kRfcPadding = 0x20;

StunKey key(std::string_view password) {
  auto k = StunKey::fromPassword(password);
  EXPECT_TRUE(k.has_value());
  return std::move(*k);
}

SocketAddress address(std::string_view ip, uint16_t port) {
  auto a = SocketAddress::fromIp(ip, port);
  EXPECT_TRUE(a.has_value()) << ip;
  return a.value_or(SocketAddress());
}

Bytes fixtureBytes(const std::string& file, std::string_view namePrefix) {
  for (const auto& p : test::loadFixture(file)) {
    if (p.name.rfind(namePrefix, 0) == 0) return p.bytes;
  }
  ADD_FAILURE() << "no fixture " << namePrefix << " in " << file;
  return {};
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

// "label | k=v k=v" -> {k: v}
std::map<std::string, std::string> expectations(const std::string& name) {
  std::map<std::string, std::string> out;
  const auto bar = name.find('|');
  if (bar == std::string::npos) return out;
  std::istringstream in(name.substr(bar + 1));
  for (std::string token; in >> token;) {
    const auto eq = token.find('=');
    if (eq != std::string::npos) out[token.substr(0, eq)] = token.substr(eq + 1);
  }
  return out;
}

// Offset of the first attribute of `type`, found by walking the TLVs.
size_t attributeOffset(const StunMessage& m, uint16_t type) {
  size_t offset = StunMessage::kHeaderSize;
  for (const auto a : m.attributes()) {
    if (a.type == type) return offset;
    offset += StunMessage::kAttributeHeaderSize + (a.value.size() + 3) / 4 * 4;
  }
  return 0;
}

// --- RFC 5769 -----------------------------------------------------------------------------

TEST(StunMessageTest, ParsesRfc5769SampleRequest) {
  const Bytes bytes = fixtureBytes("stun/rfc5769.hex", "2.1 sample request");
  ASSERT_EQ(bytes.size(), 108u);
  auto m = StunMessage::parse(bytes);
  ASSERT_TRUE(m.ok()) << rtp::parseErrorName(m.error());
  EXPECT_EQ(m->messageClass(), StunClass::kRequest);
  EXPECT_EQ(m->method(), StunMessage::kMethodBinding);
  EXPECT_EQ(m->messageType(), 0x0001);
  EXPECT_EQ(m->transactionId(), kRfcTransactionId);
  EXPECT_EQ(m->software(), "STUN test client");
  EXPECT_EQ(m->priority(), 0x6e0001ffu);
  EXPECT_EQ(m->iceControlled(), 0x932ff9b151263b36u);
  EXPECT_FALSE(m->iceControlling().has_value());
  EXPECT_FALSE(m->useCandidate());
  EXPECT_EQ(m->username(), "evtj:h6vY");
  EXPECT_FALSE(m->xorMappedAddress().has_value());
  EXPECT_FALSE(m->errorCode().has_value());
  EXPECT_TRUE(m->unknownComprehensionRequired().empty());
  EXPECT_TRUE(m->hasMessageIntegrity());
  EXPECT_TRUE(m->hasFingerprint());
  EXPECT_TRUE(m->verifyFingerprint());
  const StunKey k = key(kRfcPassword);
  EXPECT_TRUE(m->verifyMessageIntegrity(k));
  EXPECT_TRUE(m->verifyMessageIntegrity(k)) << "a key is reusable";
  EXPECT_FALSE(m->verifyMessageIntegrity(key("VOkJxbRl1RmTxUk/WvJxBu")));
  EXPECT_FALSE(m->verifyMessageIntegrity(key("")));

  // The attribute walk sees the wire order.
  std::vector<std::pair<uint16_t, size_t>> walked;
  for (const auto a : m->attributes())
    walked.emplace_back(a.type, a.value.size());
  const std::vector<std::pair<uint16_t, size_t>> expected = {
      {0x8022, 16}, {0x0024, 4}, {0x8029, 8}, {0x0006, 9}, {0x0008, 20}, {0x8028, 4}};
  EXPECT_EQ(walked, expected);
}

TEST(StunMessageTest, ParsesRfc5769SampleResponses) {
  struct Case {
    const char* name;
    const char* ip;
  };
  for (const Case& c : {Case{"2.2 sample IPv4 response", "192.0.2.1"},
                        Case{"2.3 sample IPv6 response", "2001:db8:1234:5678:11:2233:4455:6677"}}) {
    SCOPED_TRACE(c.name);
    const Bytes bytes = fixtureBytes("stun/rfc5769.hex", c.name);
    auto m = StunMessage::parse(bytes);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->messageClass(), StunClass::kSuccess);
    EXPECT_EQ(m->method(), StunMessage::kMethodBinding);
    EXPECT_EQ(m->transactionId(), kRfcTransactionId);
    EXPECT_EQ(m->software(), "test vector");
    auto mapped = m->xorMappedAddress();
    ASSERT_TRUE(mapped.has_value());
    EXPECT_EQ(*mapped, address(c.ip, 32853)) << mapped->toString();
    EXPECT_TRUE(m->verifyFingerprint());
    EXPECT_TRUE(m->verifyMessageIntegrity(key(kRfcPassword)));
    EXPECT_FALSE(m->verifyMessageIntegrity(key("wrong password, wrong key")));
  }
}

TEST(StunMessageTest, BuildsRfc5769SampleRequestByteForByte) {
  const Bytes expected = fixtureBytes("stun/rfc5769.hex", "2.1 sample request");
  StunBindingRequestParams p;
  p.transactionId = kRfcTransactionId;
  p.username = "evtj:h6vY";
  p.priority = 0x6e0001ff;
  p.role = IceRole::kControlled;
  p.tieBreaker = 0x932ff9b151263b36;
  p.software = "STUN test client";
  p.paddingByte = kRfcPadding;
  Bytes out(200, 0xEE);
  const size_t size = buildStunBindingRequest(out, p, key(kRfcPassword));
  out.resize(size);
  EXPECT_EQ(toHex(out), toHex(expected));
}

TEST(StunMessageTest, BuildsRfc5769SampleResponsesByteForByte) {
  struct Case {
    const char* name;
    const char* ip;
  };
  for (const Case& c : {Case{"2.2 sample IPv4 response", "192.0.2.1"},
                        Case{"2.3 sample IPv6 response", "2001:db8:1234:5678:11:2233:4455:6677"}}) {
    SCOPED_TRACE(c.name);
    const Bytes expected = fixtureBytes("stun/rfc5769.hex", c.name);
    Bytes out(200, 0xEE);
    const size_t size = buildStunBindingSuccess(out, kRfcTransactionId, address(c.ip, 32853),
                                                key(kRfcPassword), "test vector", kRfcPadding);
    out.resize(size);
    EXPECT_EQ(toHex(out), toHex(expected));
  }
}

// --- Message type ---------------------------------------------------------------------------

TEST(StunMessageTest, DecodesClassAndMethodFromTheInterleavedType) {
  struct Case {
    uint16_t type;
    StunClass messageClass;
    uint16_t method;
  };
  // RFC 5389 section 6 examples, plus methods that use every method bit group.
  const Case cases[] = {
      {0x0001, StunClass::kRequest, 0x001}, {0x0011, StunClass::kIndication, 0x001},
      {0x0101, StunClass::kSuccess, 0x001}, {0x0111, StunClass::kError, 0x001},
      {0x0003, StunClass::kRequest, 0x003}, {0x0016, StunClass::kIndication, 0x006},
      {0x0020, StunClass::kRequest, 0x010}, {0x0200, StunClass::kRequest, 0x080},
      {0x3EEF, StunClass::kRequest, 0xFFF}, {0x3FFF, StunClass::kError, 0xFFF},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    Bytes bytes(20, 0);
    bytes[0] = static_cast<uint8_t>(c.type >> 8);
    bytes[1] = static_cast<uint8_t>(c.type);
    bytes[4] = 0x21;
    bytes[5] = 0x12;
    bytes[6] = 0xa4;
    bytes[7] = 0x42;
    auto m = StunMessage::parse(bytes);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->messageClass(), c.messageClass);
    EXPECT_EQ(m->method(), c.method);
    // And the writer encodes it back.
    Bytes out(20);
    StunMessageWriter w(out, c.messageClass, c.method, {});
    ASSERT_EQ(w.size(), 20u);
    EXPECT_EQ(out[0] << 8 | out[1], c.type);
  }
}

// --- aioice ---------------------------------------------------------------------------------

TEST(StunMessageTest, ParsesAndVerifiesAioiceMessages) {
  const auto fixtures = test::loadFixture("stun/aioice.hex");
  ASSERT_GE(fixtures.size(), 7u);
  for (const auto& f : fixtures) {
    SCOPED_TRACE(f.name);
    auto e = expectations(f.name);
    auto m = StunMessage::parse(f.bytes);
    ASSERT_TRUE(m.ok()) << rtp::parseErrorName(m.error());
    EXPECT_EQ(m->method(), StunMessage::kMethodBinding);
    EXPECT_TRUE(m->verifyFingerprint());
    EXPECT_TRUE(m->verifyMessageIntegrity(key(e.at("pwd"))));
    EXPECT_FALSE(m->verifyMessageIntegrity(key(e.at("pwd") + "x")));
    EXPECT_TRUE(m->unknownComprehensionRequired().empty());
    const std::string& kind = e.at("kind");
    if (kind == "request") {
      EXPECT_EQ(m->messageClass(), StunClass::kRequest);
      EXPECT_EQ(m->username(), e.at("user"));
      EXPECT_EQ(m->priority(), std::stoul(e.at("priority")));
      EXPECT_EQ(m->useCandidate(), e.at("usecandidate") == "1");
      if (e.count("controlling")) {
        EXPECT_EQ(m->iceControlling(), std::stoull(e.at("controlling")));
        EXPECT_FALSE(m->iceControlled().has_value());
      } else {
        EXPECT_EQ(m->iceControlled(), std::stoull(e.at("controlled")));
        EXPECT_FALSE(m->iceControlling().has_value());
      }
    } else if (kind == "success") {
      EXPECT_EQ(m->messageClass(), StunClass::kSuccess);
      const std::string& mapped = e.at("mapped");
      const auto comma = mapped.find(',');
      const auto port = static_cast<uint16_t>(std::stoul(mapped.substr(comma + 1)));
      EXPECT_EQ(m->xorMappedAddress(), address(mapped.substr(0, comma), port));
    } else {
      ASSERT_EQ(kind, "error");
      EXPECT_EQ(m->messageClass(), StunClass::kError);
      auto code = m->errorCode();
      ASSERT_TRUE(code.has_value());
      EXPECT_EQ(code->code, std::stoul(e.at("code")));
      EXPECT_EQ(code->reason, stunReasonPhrase(code->code));
    }
  }
}

using switchyard::test::runAioiceVerifier;

std::vector<std::string> ourMessagesForAioice() {
  const std::string password = "switchyardPasswordForTests0123ab";
  const StunKey k = key(password);
  std::vector<std::string> lines;
  Bytes out(512);
  const StunTransactionId id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

  StunBindingRequestParams p;
  p.transactionId = id;
  p.username = "peerUfrag:swydUfragTest123";
  p.priority = 0x6effffff;
  p.tieBreaker = 0xFEDCBA9876543210;
  for (bool nominate : {false, true}) {
    p.useCandidate = nominate;
    const size_t n = buildStunBindingRequest(out, p, k);
    lines.push_back(toHex({out.data(), n}) + " " + password +
                    " kind=request user=peerUfrag:swydUfragTest123 priority=1862270975"
                    " controlling=18364758544493064720 usecandidate=" +
                    (nominate ? "1" : "0"));
  }
  p.useCandidate = false;
  p.role = IceRole::kControlled;
  p.tieBreaker = 42;
  p.software = "switchyard";  // SOFTWARE with padding
  size_t n = buildStunBindingRequest(out, p, k);
  lines.push_back(toHex({out.data(), n}) + " " + password +
                  " kind=request controlled=42 usecandidate=0");

  for (const auto& [ip, port] :
       std::vector<std::pair<std::string, uint16_t>>{{"192.0.2.1", 32853},
                                                     {"203.0.113.200", 65535},
                                                     {"2001:db8::1", 1},
                                                     {"::ffff:1.2.3.4", 9}}) {
    n = buildStunBindingSuccess(out, id, address(ip, port), k);
    lines.push_back(toHex({out.data(), n}) + " " + password + " kind=success mapped=" + ip + "," +
                    std::to_string(port));
  }
  // Errors: without MESSAGE-INTEGRITY where the request was not authenticated.
  n = buildStunBindingError(out, id, 400, nullptr);
  lines.push_back(toHex({out.data(), n}) + " - kind=error code=400");
  n = buildStunBindingError(out, id, 401, nullptr);
  lines.push_back(toHex({out.data(), n}) + " - kind=error code=401");
  const uint16_t unknown[] = {0x0003, 0x7FFF};
  n = buildStunBindingError(out, id, 420, &k, unknown);
  lines.push_back(toHex({out.data(), n}) + " " + password + " kind=error code=420");
  n = buildStunBindingError(out, id, 487, &k);
  lines.push_back(toHex({out.data(), n}) + " " + password + " kind=error code=487");
  n = buildStunBindingError(out, id, 400, &k);
  lines.push_back(toHex({out.data(), n}) + " " + password + " kind=error code=400");
  // Tampered: aioice must refuse it (one byte of the XOR-MAPPED-ADDRESS changed).
  n = buildStunBindingSuccess(out, id, address("192.0.2.1", 32853), k);
  out[27] ^= 0x01;
  lines.push_back(toHex({out.data(), n}) + " " + password + " reject=1");
  return lines;
}

TEST(StunMessageTest, AioiceVerifiesOurMessages) {
  const auto lines = ourMessagesForAioice();
  const auto [status, output] = runAioiceVerifier(lines);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "ok " + std::to_string(lines.size()) + "\n");
}

TEST(StunMessageTest, AioiceVerifierNoticesAWrongExpectation) {
  // The cross-check can fail: a wrong mapped address, a missing MI and a wrong password.
  const StunKey k = key("switchyardPasswordForTests0123ab");
  Bytes out(512);
  const size_t n = buildStunBindingSuccess(out, {}, address("192.0.2.1", 1), k);
  const std::string h = toHex({out.data(), n});
  for (const std::string& line :
       {h + " switchyardPasswordForTests0123ab kind=success mapped=192.0.2.1,2",
        h + " - kind=success", h + " switchyardPasswordForTests0123ac kind=success"}) {
    const auto [status, output] = runAioiceVerifier({line});
    EXPECT_EQ(status, 1) << line << "\n" << output;
  }
}

// --- Malformed messages ---------------------------------------------------------------------

// A header for `body` (already padded), then the body.
Bytes message(uint16_t type, const Bytes& body) {
  Bytes b = {static_cast<uint8_t>(type >> 8),
             static_cast<uint8_t>(type),
             static_cast<uint8_t>(body.size() >> 8),
             static_cast<uint8_t>(body.size()),
             0x21,
             0x12,
             0xa4,
             0x42};
  b.resize(20, 0x55);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

TEST(StunMessageTest, RejectsMalformedHeadersAndLengths) {
  const Bytes valid = fixtureBytes("stun/rfc5769.hex", "2.1 sample request");
  struct Case {
    const char* name;
    Bytes bytes;
    ParseError error;
  };
  auto patched = [&](size_t at, uint8_t value) {
    Bytes b = valid;
    b[at] = value;
    return b;
  };
  const Case cases[] = {
      {"empty", {}, ParseError::kTooShort},
      {"19 bytes", Bytes(valid.begin(), valid.begin() + 19), ParseError::kTooShort},
      {"top bit set", patched(0, 0x80), ParseError::kMalformed},
      {"second bit set", patched(0, 0x40), ParseError::kMalformed},
      {"no magic cookie (RFC 3489)", patched(4, 0x22), ParseError::kUnsupported},
      {"length not a multiple of 4", patched(3, 0x57), ParseError::kBadLength},
      {"length short of the bytes", patched(3, 0x54), ParseError::kBadLength},
      {"length beyond the bytes", patched(3, 0x5c), ParseError::kBadLength},
      {"length zero with attributes", patched(3, 0x00), ParseError::kBadLength},
      {"attribute overruns the message", patched(23, 0xFF), ParseError::kBadLength},
      {"last attribute 1 byte past the message", patched(103, 0x05), ParseError::kBadLength},
      {"padding past the message", message(0x0001, hex("80220005 61626364")),
       ParseError::kBadLength},
      {"body of 6 bytes", message(0x0001, hex("80220000 8022")), ParseError::kBadLength},
      {"MESSAGE-INTEGRITY of 16 bytes", message(0x0001, hex("00080010" + std::string(32, '0'))),
       ParseError::kMalformed},
      {"MESSAGE-INTEGRITY of 24 bytes", message(0x0001, hex("00080018" + std::string(48, '0'))),
       ParseError::kMalformed},
      {"FINGERPRINT of 8 bytes", message(0x0001, hex("80280008 00000000 00000000")),
       ParseError::kMalformed},
      {"FINGERPRINT not last", message(0x0001, hex("80280004 00000000 80220000")),
       ParseError::kMalformed},
      {"two FINGERPRINTs", message(0x0001, hex("80280004 00000000 80280004 00000000")),
       ParseError::kMalformed},
      {"PRIORITY of 3 bytes", message(0x0001, hex("00240003 01020300")), ParseError::kMalformed},
      {"PRIORITY of 8 bytes", message(0x0001, hex("00240008 0102030405060708")),
       ParseError::kMalformed},
      {"USE-CANDIDATE with a value", message(0x0001, hex("00250004 00000000")),
       ParseError::kMalformed},
      {"ICE-CONTROLLING of 4 bytes", message(0x0001, hex("802a0004 00000000")),
       ParseError::kMalformed},
      {"ICE-CONTROLLED of 12 bytes", message(0x0001, hex("8029000c 000000000000000000000000")),
       ParseError::kMalformed},
      {"XOR-MAPPED-ADDRESS IPv4 of 20 bytes",
       message(0x0101, hex("00200014 0001a147" + std::string(32, '0'))), ParseError::kMalformed},
      {"XOR-MAPPED-ADDRESS IPv6 of 8 bytes", message(0x0101, hex("00200008 0002a147 e112a643")),
       ParseError::kMalformed},
      {"XOR-MAPPED-ADDRESS family 3", message(0x0101, hex("00200008 0003a147 e112a643")),
       ParseError::kMalformed},
      {"XOR-MAPPED-ADDRESS of 2 bytes", message(0x0101, hex("00200002 00010000")),
       ParseError::kMalformed},
      {"ERROR-CODE of 2 bytes", message(0x0111, hex("00090002 00000000")), ParseError::kMalformed},
      {"ERROR-CODE class 2", message(0x0111, hex("00090004 00000200")), ParseError::kMalformed},
      {"ERROR-CODE class 7", message(0x0111, hex("00090004 00000700")), ParseError::kMalformed},
      {"ERROR-CODE number 100", message(0x0111, hex("00090004 00000464")), ParseError::kMalformed},
      {"UNKNOWN-ATTRIBUTES of odd length", message(0x0111, hex("000a0003 00030000")),
       ParseError::kMalformed},
  };
  for (const Case& c : cases) {
    auto m = StunMessage::parse(c.bytes);
    ASSERT_FALSE(m.ok()) << c.name;
    EXPECT_EQ(m.error(), c.error) << c.name << ": " << rtp::parseErrorName(m.error());
  }
}

TEST(StunMessageTest, RejectsAUsernameOf513Bytes) {
  Bytes out(1024);
  StunMessageWriter w(out, StunClass::kRequest, StunMessage::kMethodBinding, {});
  ASSERT_TRUE(w.addString(StunMessage::kAttrUsername, std::string(512, 'u')));
  EXPECT_TRUE(StunMessage::parse({out.data(), w.size()}).ok()) << "512 bytes are allowed";
  StunMessageWriter w2(out, StunClass::kRequest, StunMessage::kMethodBinding, {});
  ASSERT_TRUE(w2.addString(StunMessage::kAttrUsername, std::string(513, 'u')));
  auto m = StunMessage::parse({out.data(), w2.size()});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), ParseError::kMalformed);
}

TEST(StunMessageTest, RejectsEveryTruncation) {
  std::vector<Bytes> messages;
  for (const auto& f : test::loadFixture("stun/rfc5769.hex"))
    messages.push_back(f.bytes);
  for (const auto& f : test::loadFixture("stun/aioice.hex"))
    messages.push_back(f.bytes);
  for (const Bytes& full : messages) {
    ASSERT_TRUE(StunMessage::parse(full).ok());
    for (size_t size = 0; size < full.size(); ++size) {
      EXPECT_FALSE(StunMessage::parse({full.data(), size}).ok()) << size << " of " << full.size();
    }
  }
}

TEST(StunMessageTest, TruncationWithTheLengthFixedIsValidOnlyAtAttributeBoundaries) {
  const Bytes full = fixtureBytes("stun/rfc5769.hex", "2.1 sample request");
  const std::vector<size_t> boundaries = {20, 40, 48, 60, 76, 100, 108};
  for (size_t size = 20; size <= full.size(); size += 4) {
    Bytes b(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
    b[2] = static_cast<uint8_t>((size - 20) >> 8);
    b[3] = static_cast<uint8_t>(size - 20);
    auto m = StunMessage::parse(b);
    const bool boundary = std::find(boundaries.begin(), boundaries.end(), size) != boundaries.end();
    ASSERT_EQ(m.ok(), boundary) << size;
    if (!boundary) {
      EXPECT_EQ(m.error(), ParseError::kBadLength) << size;
      continue;
    }
    // Cut before FINGERPRINT but after MESSAGE-INTEGRITY: the integrity still holds, because it
    // was computed over a length that ends at MESSAGE-INTEGRITY.
    EXPECT_EQ(m->hasFingerprint(), size == 108) << size;
    EXPECT_EQ(m->verifyMessageIntegrity(key(kRfcPassword)), size >= 100) << size;
  }
}

// --- Tampering ------------------------------------------------------------------------------

TEST(StunMessageTest, DetectsEveryFlippedBit) {
  std::vector<std::pair<Bytes, std::string>> messages;
  messages.emplace_back(fixtureBytes("stun/rfc5769.hex", "2.1"), std::string(kRfcPassword));
  messages.emplace_back(fixtureBytes("stun/rfc5769.hex", "2.3"), std::string(kRfcPassword));
  for (const auto& f : test::loadFixture("stun/aioice.hex"))
    messages.emplace_back(f.bytes, expectations(f.name).at("pwd"));
  for (const auto& [original, password] : messages) {
    const StunKey k = key(password);
    auto parsed = StunMessage::parse(original);
    ASSERT_TRUE(parsed.ok());
    const size_t integrityEnd = attributeOffset(*parsed, StunMessage::kAttrMessageIntegrity) + 24;
    for (size_t i = 0; i < original.size(); ++i) {
      for (const uint8_t bit : {uint8_t{0x01}, uint8_t{0x10}, uint8_t{0x80}}) {
        Bytes b = original;
        b[i] ^= bit;
        auto m = StunMessage::parse(b);
        if (!m.ok()) continue;
        EXPECT_FALSE(m->verifyFingerprint()) << "byte " << i << " bit " << int(bit);
        if (i < integrityEnd) {
          EXPECT_FALSE(m->verifyMessageIntegrity(k)) << "byte " << i << " bit " << int(bit);
        }
      }
    }
  }
}

TEST(StunMessageTest, IntegrityAndFingerprintAreCheckedIndependently) {
  const StunKey right = key("theRightPasswordIsThis");
  const StunKey wrong = key("theWrongPasswordIsThis");
  const auto from = address("198.51.100.7", 40000);
  Bytes out(128);

  // MI made with another key, FINGERPRINT over the result: FP holds, MI does not.
  size_t n = buildStunBindingSuccess(out, {}, from, wrong);
  auto m = StunMessage::parse({out.data(), n});
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->verifyFingerprint());
  EXPECT_FALSE(m->verifyMessageIntegrity(right));
  EXPECT_TRUE(m->verifyMessageIntegrity(wrong));

  // FINGERPRINT value changed: MI still holds, FP does not.
  n = buildStunBindingSuccess(out, {}, from, right);
  out[n - 1] ^= 0x01;
  m = StunMessage::parse({out.data(), n});
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->verifyFingerprint());
  EXPECT_TRUE(m->verifyMessageIntegrity(right));
}

// --- Attribute rules ------------------------------------------------------------------------

TEST(StunMessageTest, ListsUnknownComprehensionRequiredAttributesOnce) {
  Bytes out(512);
  StunMessageWriter w(out, StunClass::kRequest, StunMessage::kMethodBinding, {});
  w.addUint32(0x0003, 0);        // CHANGE-REQUEST (RFC 5780): required, not understood
  w.addFlag(0x8000);             // optional: ignored
  w.addUint32(0xC057, 1);        // GOOG-NETWORK-INFO: optional
  w.addString(0x7FFF, "x");      // required
  w.addUint32(0x0003, 0);        // repeated: listed once
  w.addFlag(0x0000);             // reserved 0x0000 is required too
  w.addString(0x0014, "realm");  // REALM: long-term credentials are not understood here
  w.addUint32(StunMessage::kAttrPriority, 5);
  ASSERT_TRUE(w.ok());
  auto m = StunMessage::parse({out.data(), w.size()});
  ASSERT_TRUE(m.ok());
  const auto unknown = m->unknownComprehensionRequired();
  EXPECT_EQ(std::vector<uint16_t>(unknown.begin(), unknown.end()),
            (std::vector<uint16_t>{0x0003, 0x7FFF, 0x0000, 0x0014}));
  EXPECT_EQ(m->priority(), 5u);

  // At most kMaxUnknownAttributes are remembered.
  StunMessageWriter many(out, StunClass::kRequest, StunMessage::kMethodBinding, {});
  for (uint16_t t = 0x0100; t < 0x0100 + 20; ++t)
    many.addFlag(t);
  m = StunMessage::parse({out.data(), many.size()});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->unknownComprehensionRequired().size(), StunMessage::kMaxUnknownAttributes);
  EXPECT_EQ(m->unknownComprehensionRequired()[0], 0x0100);
}

TEST(StunMessageTest, IgnoresAttributesAfterMessageIntegrityExceptFingerprint) {
  Bytes out(256);
  StunMessageWriter w(out, StunClass::kRequest, StunMessage::kMethodBinding, {});
  w.addString(StunMessage::kAttrUsername, "a:b");
  // An integrity attribute written raw, so that the writer lets attributes follow it.
  w.addAttribute(StunMessage::kAttrMessageIntegrity, Bytes(20, 0));
  w.addUint32(StunMessage::kAttrPriority, 7);
  w.addFlag(StunMessage::kAttrUseCandidate);
  w.addString(StunMessage::kAttrUsername, "c:d");
  w.addFlag(0x0003);
  w.addFingerprint();
  ASSERT_TRUE(w.ok());
  auto m = StunMessage::parse({out.data(), w.size()});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->username(), "a:b");
  EXPECT_FALSE(m->priority().has_value());
  EXPECT_FALSE(m->useCandidate());
  EXPECT_TRUE(m->unknownComprehensionRequired().empty());
  EXPECT_TRUE(m->hasMessageIntegrity());
  EXPECT_TRUE(m->verifyFingerprint());
  size_t count = 0;
  for ([[maybe_unused]] const auto a : m->attributes())
    ++count;
  EXPECT_EQ(count, 7u) << "the walk still sees every attribute";
}

TEST(StunMessageTest, FirstOccurrenceOfAKnownAttributeWins) {
  Bytes out(256);
  StunMessageWriter w(out, StunClass::kRequest, StunMessage::kMethodBinding, {});
  w.addUint32(StunMessage::kAttrPriority, 1);
  w.addUint32(StunMessage::kAttrPriority, 2);
  w.addString(StunMessage::kAttrUsername, "first:one");
  w.addString(StunMessage::kAttrUsername, "second:one");
  auto m = StunMessage::parse({out.data(), w.size()});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->priority(), 1u);
  EXPECT_EQ(m->username(), "first:one");
}

TEST(StunMessageTest, XorMappedAddressRoundTrips) {
  const StunKey k = key("roundTripPasswordIsLong");
  Bytes out(128);
  const StunTransactionId id = {0xff, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 1};
  for (const auto& [ip, port] : std::vector<std::pair<std::string, uint16_t>>{
           {"0.0.0.0", 0},
           {"255.255.255.255", 65535},
           {"10.1.2.3", 0x2112},
           {"::", 0},
           {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535},
           {"fe80::1", 5000}}) {
    const size_t n = buildStunBindingSuccess(out, id, address(ip, port), k);
    ASSERT_GT(n, 0u) << ip;
    auto m = StunMessage::parse({out.data(), n});
    ASSERT_TRUE(m.ok()) << ip;
    EXPECT_EQ(m->xorMappedAddress(), address(ip, port)) << ip;
    EXPECT_EQ(m->transactionId(), id);
    EXPECT_TRUE(m->verifyMessageIntegrity(k));
    EXPECT_TRUE(m->verifyFingerprint());
  }
}

// --- Writer ---------------------------------------------------------------------------------

TEST(StunMessageTest, BuildersNeverWritePastTheBuffer) {
  const StunKey k = key("bufferPasswordIsLongEnough");
  StunBindingRequestParams p;
  p.username = "someUfrag:otherUfrag";
  p.useCandidate = true;
  const uint16_t unknown[] = {0x0003};
  const auto from = address("2001:db8::5", 3478);
  const std::vector<std::function<size_t(std::span<uint8_t>)>> builders = {
      [&](std::span<uint8_t> b) { return buildStunBindingRequest(b, p, k); },
      [&](std::span<uint8_t> b) { return buildStunBindingSuccess(b, {}, from, k); },
      [&](std::span<uint8_t> b) { return buildStunBindingError(b, {}, 420, &k, unknown); },
      [&](std::span<uint8_t> b) { return buildStunBindingError(b, {}, 401, nullptr); },
  };
  constexpr uint8_t kGuard = 0xA5;
  for (size_t i = 0; i < builders.size(); ++i) {
    Bytes big(256);
    const size_t full = builders[i](big);
    ASSERT_GT(full, 0u) << i;
    ASSERT_TRUE(StunMessage::parse({big.data(), full}).ok()) << i;
    for (size_t capacity = 0; capacity < full; ++capacity) {
      Bytes b(full + 16, kGuard);
      EXPECT_EQ(builders[i](std::span(b).first(capacity)), 0u) << i << " in " << capacity;
      for (size_t j = capacity; j < b.size(); ++j)
        ASSERT_EQ(b[j], kGuard) << i << " in " << capacity << " wrote byte " << j;
    }
    Bytes exact(full);
    EXPECT_EQ(builders[i](exact), full) << i;
  }
}

TEST(StunMessageTest, WriterKeepsTheAttributeOrder) {
  const StunKey k = key("orderPasswordIsLongEnough");
  Bytes out(256);
  {
    StunMessageWriter w(out, StunClass::kRequest, StunMessage::kMethodBinding, {});
    ASSERT_TRUE(w.addMessageIntegrity(k));
    EXPECT_FALSE(w.addUint32(StunMessage::kAttrPriority, 1)) << "nothing but FP after MI";
    EXPECT_EQ(w.size(), 0u);
  }
  {
    StunMessageWriter w(out, StunClass::kRequest, StunMessage::kMethodBinding, {});
    ASSERT_TRUE(w.addFingerprint());
    EXPECT_FALSE(w.addMessageIntegrity(k)) << "nothing after FP";
    EXPECT_EQ(w.size(), 0u);
  }
  {
    StunMessageWriter w(out, StunClass::kRequest, StunMessage::kMethodBinding, {});
    ASSERT_TRUE(w.addMessageIntegrity(k));
    ASSERT_TRUE(w.addFingerprint());
    EXPECT_EQ(w.size(), 20u + 24u + 8u);
  }
  StunMessageWriter tooSmall(std::span<uint8_t>(out).first(19), StunClass::kRequest, 1, {});
  EXPECT_FALSE(tooSmall.ok());
  StunMessageWriter badCode(out, StunClass::kError, 1, {});
  EXPECT_FALSE(badCode.addErrorCode(299, "x"));
  StunMessageWriter badCode2(out, StunClass::kError, 1, {});
  EXPECT_FALSE(badCode2.addErrorCode(700, "x"));
  StunMessageWriter noAddress(out, StunClass::kSuccess, 1, {});
  EXPECT_FALSE(noAddress.addXorMappedAddress(SocketAddress()));
}

TEST(StunMessageTest, ErrorResponsesCarryIntegrityOnlyWhereAllowed) {
  const StunKey k = key("errorPasswordIsLongEnough");
  Bytes out(256);
  const StunTransactionId id = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  // RFC 5389 section 10.1.2: a 401 never carries MESSAGE-INTEGRITY.
  EXPECT_EQ(buildStunBindingError(out, id, 401, &k), 0u);
  // 420 needs the list; other codes take none.
  EXPECT_EQ(buildStunBindingError(out, id, 420, &k), 0u);
  const uint16_t unknown[] = {0x0003, 0x0004};
  EXPECT_EQ(buildStunBindingError(out, id, 487, &k, unknown), 0u);

  struct Case {
    uint16_t code;
    bool withKey;
    const char* reason;
  };
  for (const Case& c : {Case{400, false, "Bad Request"}, Case{400, true, "Bad Request"},
                        Case{401, false, "Unauthorized"}, Case{420, true, "Unknown Attribute"},
                        Case{487, true, "Role Conflict"}}) {
    SCOPED_TRACE(c.code);
    const size_t n = buildStunBindingError(
        out, id, c.code, c.withKey ? &k : nullptr,
        c.code == 420 ? std::span<const uint16_t>(unknown) : std::span<const uint16_t>());
    ASSERT_GT(n, 0u);
    auto m = StunMessage::parse({out.data(), n});
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->messageClass(), StunClass::kError);
    EXPECT_EQ(m->transactionId(), id);
    ASSERT_TRUE(m->errorCode().has_value());
    EXPECT_EQ(m->errorCode()->code, c.code);
    EXPECT_EQ(m->errorCode()->reason, c.reason);
    EXPECT_EQ(m->hasMessageIntegrity(), c.withKey);
    EXPECT_EQ(m->verifyMessageIntegrity(k), c.withKey);
    EXPECT_TRUE(m->verifyFingerprint());
    if (c.code == 420) {
      auto list = m->unknownAttributes();
      ASSERT_TRUE(list.has_value());
      ASSERT_EQ(list->size(), 2u);
      EXPECT_EQ((*list)[0], 0x0003);
      EXPECT_EQ((*list)[1], 0x0004);
    } else {
      EXPECT_FALSE(m->unknownAttributes().has_value());
    }
  }
}

}  // namespace
}  // namespace switchyard::transport
