// libFuzzer target: arbitrary bytes unprotected as SRTP and as SRTCP by inbound sessions of
// both profiles with fixed master keys. Beyond not crashing (ASan watches libsrtp's reads and
// writes of the exact-sized copy): a failure leaves the length alone, a success shrinks the
// packet by exactly the trailer, and a decrypted RTP packet protected again by a fresh outbound
// session gives back the input bytes. The seeds are packets protected under these keys
// (tests/fixtures/srtp/srtp_reference.py fuzz-seeds), so the decrypting paths are reached.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "tests/fuzz/FuzzCheck.hpp"
#include "transport/SrtpSession.hpp"

namespace {

using switchyard::transport::SrtpProfile;
using switchyard::transport::SrtpSession;

// The keys srtp_reference.py fuzz-seeds protects the seeds with.
constexpr uint8_t kGcmKey[28] = {0x46, 0x55, 0x5a, 0x5a, 0x2d, 0x47, 0x43, 0x4d, 0x2d, 0x6b,
                                 0x65, 0x79, 0x2d, 0x31, 0x32, 0x38, 0x73, 0x61, 0x6c, 0x74,
                                 0x2d, 0x39, 0x36, 0x2d, 0x62, 0x69, 0x74, 0x73};
constexpr uint8_t kCmKey[30] = {0x46, 0x55, 0x5a, 0x5a, 0x2d, 0x43, 0x4d, 0x2d, 0x6b, 0x65,
                                0x79, 0x2d, 0x31, 0x32, 0x38, 0x62, 0x73, 0x61, 0x6c, 0x74,
                                0x2d, 0x31, 0x31, 0x32, 0x2d, 0x62, 0x69, 0x74, 0x73, 0x21};

using switchyard::fuzz::check;

std::span<const uint8_t> keyOf(SrtpProfile profile) {
  if (profile == SrtpProfile::kAeadAes128Gcm) return kGcmKey;
  return kCmKey;
}

std::unique_ptr<SrtpSession> make(SrtpSession::Direction direction, SrtpProfile profile) {
  auto created = SrtpSession::create(direction, profile, keyOf(profile));
  check(created.ok());
  return std::move(*created);
}

// One inbound session per profile, kept across inputs: creating one costs tens of
// microseconds, and NSS re-initialises (close to a millisecond) whenever its last context goes.
// Only a packet that authenticates changes a session (replay state, a stream for its SSRC), so
// after one the session is replaced and every input meets a fresh session.
struct Inbound {
  SrtpProfile profile;
  std::unique_ptr<SrtpSession> session;
};

Inbound& inbound(size_t i) {
  static Inbound sessions[2] = {
      {SrtpProfile::kAeadAes128Gcm,
       make(SrtpSession::Direction::kInbound, SrtpProfile::kAeadAes128Gcm)},
      {SrtpProfile::kAes128CmHmacSha1_80,
       make(SrtpSession::Direction::kInbound, SrtpProfile::kAes128CmHmacSha1_80)},
  };
  return sessions[i];
}

void renew(Inbound& in) {
  auto fresh = make(SrtpSession::Direction::kInbound, in.profile);  // before the old one goes
  in.session = std::move(fresh);
}

void unprotectOnce(Inbound& in, const uint8_t* data, size_t size, bool rtcp) {
  std::vector<uint8_t> packet(data, data + size);  // exact size: ASan sees any overrun
  auto result = rtcp ? in.session->unprotectRtcp(packet) : in.session->unprotectRtp(packet);
  if (!result.ok()) return;
  const size_t trailer = rtcp ? in.session->rtcpTrailerSize() : in.session->rtpTrailerSize();
  check(*result + trailer == size);
  // The same bytes again are a replay now.
  std::vector<uint8_t> again(data, data + size);
  auto replay = rtcp ? in.session->unprotectRtcp(again) : in.session->unprotectRtp(again);
  check(!replay.ok());
  if (!rtcp) {
    // A fresh sender at the same index (ROC 0 for a new stream) reproduces the input.
    auto out = make(SrtpSession::Direction::kOutbound, in.profile);
    packet.resize(size);
    auto length = out->protectRtp(packet, *result);
    check(length.ok() && *length == size && std::memcmp(packet.data(), data, size) == 0);
  }
  renew(in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (size_t i = 0; i < 2; ++i) {
    unprotectOnce(inbound(i), data, size, false);
    unprotectOnce(inbound(i), data, size, true);
  }
  return 0;
}
