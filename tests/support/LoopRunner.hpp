#pragma once
// Runs a libuv loop in a test until a condition holds or a time limit passes.

#include <uv.h>

#include <chrono>
#include <functional>

namespace switchyard::test {

// Returns true when `done` became true before `timeoutMs`.
inline bool runUntil(uv_loop_t* loop, const std::function<bool()>& done, uint64_t timeoutMs) {
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  // A periodic wake-up so the predicate is re-checked even when nothing else happens.
  uv_timer_start(
      &tick, [](uv_timer_t*) {}, 5, 5);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  bool ok = false;
  while (!(ok = done()) && std::chrono::steady_clock::now() < deadline) {
    uv_run(loop, UV_RUN_ONCE);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return ok;
}

// Drains the loop so every handle closes; returns uv_loop_close's result (0 = nothing leaked).
inline int drainAndClose(uv_loop_t* loop, uint64_t timeoutMs = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (uv_loop_alive(loop) && std::chrono::steady_clock::now() < deadline) {
    uv_run(loop, UV_RUN_ONCE);
  }
  return uv_loop_close(loop);
}

}  // namespace switchyard::test
