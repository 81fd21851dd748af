#pragma once
// `switchyard-bench relay`: the reference forwarder the throughput comparison measures
// Switchyard against. It does the least a fan-out forwarder can do: recvmmsg from one socket,
// sendmmsg a copy of each datagram to N destinations, and, with --srtp, protect each copy as
// SRTP (AES_CM_128_HMAC_SHA1_80, RFC 3711, done with OpenSSL EVP) with a master key of its own
// per destination, so that receivers can decrypt and time the copies. Only the RTP header's
// length and a rollover counter per stream are read: a floor, not an SFU.

namespace switchyard::bench {

int runReferenceRelay(int argc, char** argv);

}  // namespace switchyard::bench
