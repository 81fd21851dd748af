#pragma once
// `switchyard-bench load`: a native load generator that speaks the real wire, to measure
// forwarders under the same load: the reference relay (`switchyard-bench relay`), a plain or
// SRTP RTP forwarder, and Switchyard's WebRTC transports through WHIP/WHEP. One publisher stream
// goes out, N receivers count what comes back, and one JSON object reports it. See
// bench/README.md and `switchyard-bench load --help`.

namespace switchyard::bench {

int runLoadGenerator(int argc, char** argv);

}  // namespace switchyard::bench
