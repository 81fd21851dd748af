#pragma once
// A libuv timer owned by one object. The uv_timer_t lives on the heap because libuv needs it
// until its close callback runs, which is after the owner is gone; destruction stops the timer
// and hands the handle to uv_close, which frees it. Loop-thread only.

#include <uv.h>

#include <cstdint>
#include <functional>

namespace switchyard::transport {

class UvTimer {
 public:
  UvTimer(uv_loop_t* loop, std::function<void()> onFire);
  ~UvTimer();
  UvTimer(const UvTimer&) = delete;
  UvTimer& operator=(const UvTimer&) = delete;

  // Fires once after timeoutMs, then every repeatMs if that is non-zero; restarts if running.
  void start(uint64_t timeoutMs, uint64_t repeatMs = 0);
  void stop();
  bool active() const;

 private:
  static void onTimer(uv_timer_t* handle);

  uv_timer_t* handle_;
  std::function<void()> onFire_;
};

}  // namespace switchyard::transport
