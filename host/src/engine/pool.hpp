// A fixed set of worker threads that run one batch of tasks at a time; the calling thread
// works on the batch too and returns when every task has finished.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace herald {

class WorkerPool {
 public:
  /// `threads` in all, the caller included (1: everything runs in the caller's thread).
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs every task once, spread over the threads, and returns when all have finished. A task
  /// must not throw.
  void run_all(const std::vector<std::function<void()>>& tasks);

 private:
  void work();
  /// Takes tasks of the current batch until none is left. Called with `lock` held.
  void drain(std::unique_lock<std::mutex>& lock);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::vector<std::function<void()>>* batch_ = nullptr;
  size_t next_ = 0;
  size_t running_ = 0;
  size_t generation_ = 0;
  bool stopping_ = false;
};

}  // namespace herald
