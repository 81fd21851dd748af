#pragma once
// N workers, one per core by default: spawned, watched, respawned when they die, and closed
// together. Places routers on the least loaded worker.

#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "control/orchestrator/Worker.hpp"

namespace switchyard::control {

struct WorkerPoolOptions {
  size_t count = 0;      // 0: one per core (uv_available_parallelism), or one per listed CPU
  WorkerOptions worker;  // its id (and CPU) is set per slot
  // Non-empty: worker i is pinned to cpus[i % cpus.size()], across respawns too.
  std::vector<int> cpus;
  bool respawn = true;
};

class WorkerPool {
 public:
  struct Slot {
    uint32_t id = 0;
    std::shared_ptr<Worker> worker;  // null while waiting to respawn
    uint64_t restarts = 0;
    uint64_t spawnedAtMs = 0;
    uint32_t quickFailures = 0;  // consecutive deaths soon after start, for back-off
    uint64_t routersPlaced = 0;
  };
  // `dead` is the worker that exited, still readable (its channel counters, its pid).
  using DiedHandler = std::function<void(const Slot&, const WorkerExit&, const Worker& dead)>;
  using SpawnedHandler = std::function<void(const Slot&)>;

  WorkerPool(uv_loop_t* loop, WorkerPoolOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Spawns every worker; an error if any cannot start at all.
  Result<void> start();
  // Asks every worker to exit and stops respawning; `done` runs once all have exited.
  void close(std::function<void()> done);

  const std::vector<Slot>& slots() const { return slots_; }
  // A live worker for a new router: the one with the fewest routers placed on it.
  std::shared_ptr<Worker> pick();
  uint64_t totalRestarts() const;

  void setDiedHandler(DiedHandler h) { onDied_ = std::move(h); }
  void setSpawnedHandler(SpawnedHandler h) { onSpawned_ = std::move(h); }
  void setLogHandler(Worker::LogHandler h) { onLog_ = std::move(h); }

 private:
  Result<void> spawnSlot(size_t index);
  void scheduleRespawn(size_t index);

  uv_loop_t* loop_;
  WorkerPoolOptions options_;
  std::vector<Slot> slots_;
  std::vector<uv_timer_t*> respawnTimers_;
  DiedHandler onDied_;
  SpawnedHandler onSpawned_;
  Worker::LogHandler onLog_;
  bool closing_ = false;
  std::function<void()> onClosed_;
  uv_timer_t* closeTimer_ = nullptr;
  std::shared_ptr<WorkerPool*> self_;
};

}  // namespace switchyard::control
