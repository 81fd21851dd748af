// switchyard-bench: end-to-end benchmarks of switchyard's processes, one subcommand each.

#include <cstdio>
#include <string_view>

#include "bench/ChannelBench.hpp"
#include "bench/LoadGenerator.hpp"
#include "bench/ReferenceRelay.hpp"
#include "bench/SfuFanout.hpp"

namespace switchyard::bench {

namespace {

constexpr int kExitUsage = 2;

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, char** argv);
  bool hidden;  // internal helpers the benchmarks start as child processes
};

constexpr Subcommand kSubcommands[] = {
    {"channel", "control-channel round trips: worker vs an echo process", &runChannelBench, false},
    {"relay", "reference fan-out relay (recvmmsg/sendmmsg, optional SRTP per copy)",
     &runReferenceRelay, false},
    {"load", "load generator: one RTP/SRTP/WebRTC stream out, N receivers, JSON report",
     &runLoadGenerator, false},
    {"sfu", "a worker set up for a plain-transport fan-out (1 publisher -> N viewers)",
     &runSfuFanout, false},
    {"echo-child", "", &runEchoChild, true},
};

void printUsage(std::FILE* out) {
  std::fputs("usage: switchyard-bench <subcommand> [options]\n\nsubcommands:\n", out);
  for (const auto& s : kSubcommands) {
    if (s.hidden) continue;
    std::fprintf(out, "  %-12.*s %.*s\n", static_cast<int>(s.name.size()), s.name.data(),
                 static_cast<int>(s.summary.size()), s.summary.data());
  }
  std::fputs("\n`switchyard-bench <subcommand> --help` describes its options.\n", out);
}

}  // namespace

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    printUsage(stderr);
    return kExitUsage;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printUsage(stdout);
    return 0;
  }
  for (const auto& s : kSubcommands) {
    if (s.name == name) return s.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "switchyard-bench: unknown subcommand '%s'\n\n", argv[1]);
  printUsage(stderr);
  return kExitUsage;
}

}  // namespace switchyard::bench

int main(int argc, char** argv) {
  return switchyard::bench::dispatch(argc, argv);
}
