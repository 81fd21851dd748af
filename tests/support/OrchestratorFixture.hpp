#pragma once
// A libuv loop and helpers for tests of the orchestrator library against real workers.

#include <gtest/gtest.h>

#include <optional>

#include "control/orchestrator/Worker.hpp"
#include "support/LoopRunner.hpp"

namespace switchyard::test {

class OrchestratorFixture : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    // Every handle the library opened must close once its objects are gone.
    EXPECT_EQ(drainAndClose(&loop_), 0) << "libuv handles left open";
  }

  control::WorkerOptions workerOptions(uint32_t id = 0) {
    control::WorkerOptions o;
    o.binary = std::string(SWITCHYARD_BIN_DIR) + "/switchyard-worker";
    o.id = id;
    o.logLevel = "info";
    return o;
  }

  std::shared_ptr<control::Worker> spawn(control::WorkerOptions o) {
    auto r = control::Worker::spawn(&loop_, std::move(o));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
    return r.ok() ? r.value() : nullptr;
  }

  // Runs an async call to completion and returns its result.
  template <typename T, typename Call>
  std::optional<control::Result<T>> await(Call&& call, uint64_t timeoutMs = 5000) {
    std::optional<control::Result<T>> out;
    call([&](control::Result<T> r) { out.emplace(std::move(r)); });
    runUntil(
        &loop_, [&] { return out.has_value(); }, timeoutMs);
    return out;
  }

  uv_loop_t loop_{};
};

}  // namespace switchyard::test
