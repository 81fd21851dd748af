#pragma once
// `switchyard-bench sfu`: a Switchyard worker set up for a fan-out benchmark through the
// orchestrator library, with no server around it: one router, a publisher plain transport
// (comedia, optionally SRTP with the load tool's key) with one producer, and N viewer plain
// transports (optionally SRTP) each connected to one of the load tool's receiver ports with
// one consumer. The worker can be pinned to a CPU. It prints one JSON line when ready (the
// publisher's port, the viewers' SRTP keys) and one with the worker's counters and CPU time
// when it stops (after --seconds, or when stdin closes).

namespace switchyard::bench {

int runSfuFanout(int argc, char** argv);

}  // namespace switchyard::bench
