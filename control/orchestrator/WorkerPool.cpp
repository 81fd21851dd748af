#include "control/orchestrator/WorkerPool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>

namespace switchyard::control {

namespace {

// Respawn delay doubles from the first to the last value while a worker keeps dying soon after
// it starts, so a crash loop does not spin a core.
constexpr uint64_t kFirstRespawnDelayMs = 50;
constexpr uint64_t kMaxRespawnDelayMs = 10000;
// A worker that ran this long before dying counts as a fresh failure, not a crash loop.
constexpr uint64_t kStableRunMs = 30000;
// Workers that have not exited this long after being asked to close are killed.
constexpr uint64_t kCloseGraceMs = 3000;

}  // namespace

WorkerPool::WorkerPool(uv_loop_t* loop, WorkerPoolOptions options)
    : loop_(loop), options_(std::move(options)), self_(std::make_shared<WorkerPool*>(this)) {
  size_t n = options_.count           ? options_.count
             : !options_.cpus.empty() ? options_.cpus.size()
                                      : uv_available_parallelism();
  slots_.resize(n);
  respawnTimers_.resize(n, nullptr);
  for (size_t i = 0; i < n; ++i)
    slots_[i].id = static_cast<uint32_t>(i);
}

WorkerPool::~WorkerPool() {
  if (closeTimer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(closeTimer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
  for (auto*& t : respawnTimers_) {
    if (t) {
      uv_close(reinterpret_cast<uv_handle_t*>(t),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
      t = nullptr;
    }
  }
  for (auto& s : slots_) {
    if (s.worker) s.worker->setExitHandler(nullptr);
  }
}

Result<void> WorkerPool::start() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (auto r = spawnSlot(i); !r) return r;
  }
  return {};
}

Result<void> WorkerPool::spawnSlot(size_t index) {
  auto& slot = slots_[index];
  WorkerOptions wo = options_.worker;
  wo.id = slot.id;
  if (!options_.cpus.empty()) wo.cpu = options_.cpus[index % options_.cpus.size()];
  auto spawned = Worker::spawn(loop_, wo);
  if (!spawned) return spawned.error();
  slot.worker = spawned.value();
  slot.spawnedAtMs = uv_now(loop_);
  slot.routersPlaced = 0;
  std::weak_ptr<WorkerPool*> alive = self_;
  slot.worker->setLogHandler([this, alive](const LogLine& line) {
    if (!alive.expired() && onLog_) onLog_(line);
  });
  slot.worker->setExitHandler([this, alive, index](const WorkerExit& exit) {
    if (alive.expired()) return;
    auto& s = slots_[index];
    auto dead = std::move(s.worker);
    s.worker = nullptr;
    if (closing_) {
      bool allGone = std::all_of(slots_.begin(), slots_.end(),
                                 [](const Slot& x) { return !x.worker || !x.worker->alive(); });
      if (allGone && closeTimer_) {
        uv_close(reinterpret_cast<uv_handle_t*>(closeTimer_),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
        closeTimer_ = nullptr;
      }
      if (allGone && onClosed_) {
        auto done = std::move(onClosed_);
        onClosed_ = nullptr;
        done();
      }
      return;
    }
    spdlog::error("worker {} (pid {}) {}", s.id, dead->pid(), exit.describe());
    if (uv_now(loop_) - s.spawnedAtMs < kStableRunMs) {
      ++s.quickFailures;
    } else {
      s.quickFailures = 0;
    }
    if (onDied_) onDied_(s, exit, *dead);
    if (alive.expired()) return;
    if (options_.respawn) scheduleRespawn(index);
  });
  if (onSpawned_) onSpawned_(slot);
  return {};
}

void WorkerPool::scheduleRespawn(size_t index) {
  auto& slot = slots_[index];
  uint64_t delay = kFirstRespawnDelayMs;
  for (uint32_t i = 1; i < slot.quickFailures && delay < kMaxRespawnDelayMs; ++i)
    delay *= 2;
  delay = std::min(delay, kMaxRespawnDelayMs);
  if (!respawnTimers_[index]) {
    respawnTimers_[index] = new uv_timer_t;
    uv_timer_init(loop_, respawnTimers_[index]);
  }
  auto* t = respawnTimers_[index];
  // The pool closes its timers before it goes, so the back-pointer cannot dangle.
  t->data = this;
  uv_timer_start(
      t,
      [](uv_timer_t* timer) {
        auto* pool = static_cast<WorkerPool*>(timer->data);
        for (size_t i = 0; i < pool->respawnTimers_.size(); ++i) {
          if (pool->respawnTimers_[i] != timer || pool->closing_) continue;
          auto& s = pool->slots_[i];
          if (auto r = pool->spawnSlot(i); !r) {
            spdlog::error("respawning worker {} failed: {}", s.id, r.error().describe());
            ++s.quickFailures;
            pool->scheduleRespawn(i);
            return;
          }
          ++s.restarts;
          spdlog::warn("worker {} respawned (pid {}), restart #{}", s.id, s.worker->pid(),
                       s.restarts);
        }
      },
      delay, 0);
}

void WorkerPool::close(std::function<void()> done) {
  closing_ = true;
  for (auto* t : respawnTimers_) {
    if (t) uv_timer_stop(t);
  }
  bool any = false;
  for (auto& s : slots_) {
    if (s.worker && s.worker->alive()) {
      any = true;
      s.worker->close();
    }
  }
  if (!any) {
    if (done) done();
    return;
  }
  onClosed_ = std::move(done);
  closeTimer_ = new uv_timer_t;
  uv_timer_init(loop_, closeTimer_);
  closeTimer_->data = this;
  uv_timer_start(
      closeTimer_,
      [](uv_timer_t* t) {
        auto* pool = static_cast<WorkerPool*>(t->data);
        for (auto& s : pool->slots_) {
          if (s.worker && s.worker->alive()) {
            spdlog::warn("worker {} did not exit in time; killing it", s.id);
            s.worker->kill(SIGKILL);
          }
        }
      },
      kCloseGraceMs, 0);
  uv_unref(reinterpret_cast<uv_handle_t*>(closeTimer_));
}

std::shared_ptr<Worker> WorkerPool::pick() {
  Slot* best = nullptr;
  for (auto& s : slots_) {
    if (!s.worker || !s.worker->alive()) continue;
    if (!best || s.routersPlaced < best->routersPlaced) best = &s;
  }
  if (!best) return nullptr;
  ++best->routersPlaced;
  return best->worker;
}

uint64_t WorkerPool::totalRestarts() const {
  uint64_t n = 0;
  for (const auto& s : slots_)
    n += s.restarts;
  return n;
}

}  // namespace switchyard::control
