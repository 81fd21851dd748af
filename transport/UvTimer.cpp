#include "transport/UvTimer.hpp"

namespace switchyard::transport {

UvTimer::UvTimer(uv_loop_t* loop, std::function<void()> onFire)
    : handle_(new uv_timer_t), onFire_(std::move(onFire)) {
  uv_timer_init(loop, handle_);
  handle_->data = this;
}

UvTimer::~UvTimer() {
  uv_timer_stop(handle_);
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void UvTimer::start(uint64_t timeoutMs, uint64_t repeatMs) {
  uv_timer_start(handle_, onTimer, timeoutMs, repeatMs);
}

void UvTimer::stop() {
  uv_timer_stop(handle_);
}

bool UvTimer::active() const {
  return uv_is_active(reinterpret_cast<const uv_handle_t*>(handle_)) != 0;
}

void UvTimer::onTimer(uv_timer_t* handle) {
  auto* self = static_cast<UvTimer*>(handle->data);
  if (self != nullptr && self->onFire_) self->onFire_();
}

}  // namespace switchyard::transport
