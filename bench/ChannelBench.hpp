#pragma once
// The `channel` benchmark: control-channel round trips through a real switchyard-worker, next to
// a trivial echo process that gives the floor (two processes, a socketpair, two context switches).

namespace switchyard::bench {

// Children get their end of the socketpair here: the worker's default --channel-fd, so the echo
// child and the worker are started the same way.
constexpr int kChildChannelFd = 3;

// `switchyard-bench channel [options]`; argv[0] is "channel".
int runChannelBench(int argc, char** argv);

// Hidden `switchyard-bench echo-child`: writes back every byte read on kChildChannelFd until EOF.
int runEchoChild(int argc, char** argv);

}  // namespace switchyard::bench
