#pragma once

#include <cstdio>
#include <cstdlib>

namespace switchyard::fuzz {

// A target's invariant: says where it broke, then aborts so libFuzzer keeps the input. The
// targets are built optimised, where an inlined check leaves no line in the stack trace. (The
// builtins stand in for std::source_location, which clang 14 lacks with this libstdc++.)
inline void check(bool condition, const char* file = __builtin_FILE(),
                  int line = __builtin_LINE()) {
  if (condition) return;
  std::fprintf(stderr, "fuzz invariant failed at %s:%d\n", file, line);
  std::abort();
}

}  // namespace switchyard::fuzz
