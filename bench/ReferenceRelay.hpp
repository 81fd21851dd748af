#pragma once
// `switchyard-bench relay`: the reference forwarder the throughput comparison measures
// Switchyard against. It does the least a fan-out forwarder can do: recvmmsg from one socket,
// sendmmsg a copy of each datagram to N destinations, and, with --srtp, encrypt each copy as
// SRTP would (AES-128-CTR over the payload and an 80-bit HMAC-SHA1 tag, OpenSSL EVP) with a
// key of its own per destination. No parsing, no state: a floor, not an SFU.

namespace switchyard::bench {

int runReferenceRelay(int argc, char** argv);

}  // namespace switchyard::bench
