#pragma once
// A libuv loop owned by one test: runUntil(done) turns it until done() holds (about 2 s at
// most), and at the end every handle must have closed.

#include <gtest/gtest.h>
#include <uv.h>

#include <cstdint>
#include <functional>

#include "tests/support/LoopRunner.hpp"

namespace switchyard::test {

struct TestLoop {
  static constexpr uint64_t kDefaultTimeoutMs = 2000;

  uv_loop_t loop;
  TestLoop() { uv_loop_init(&loop); }
  ~TestLoop() { EXPECT_EQ(drainAndClose(&loop), 0) << "libuv handles left open"; }
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  bool runUntil(const std::function<bool()>& done, uint64_t timeoutMs = kDefaultTimeoutMs) {
    return test::runUntil(&loop, done, timeoutMs);
  }
};

}  // namespace switchyard::test
