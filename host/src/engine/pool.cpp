#include "engine/pool.hpp"

namespace herald {

WorkerPool::WorkerPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void WorkerPool::drain(std::unique_lock<std::mutex>& lock) {
  while (batch_ && next_ < batch_->size()) {
    const std::function<void()>& task = (*batch_)[next_++];
    ++running_;
    lock.unlock();
    task();
    lock.lock();
    --running_;
  }
  if (running_ == 0) done_.notify_all();
}

void WorkerPool::work() {
  std::unique_lock lock(mutex_);
  size_t seen = generation_;
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    drain(lock);
  }
}

void WorkerPool::run_all(const std::vector<std::function<void()>>& tasks) {
  if (tasks.empty()) return;
  if (workers_.empty() || tasks.size() == 1) {
    for (const auto& task : tasks) task();
    return;
  }
  std::unique_lock lock(mutex_);
  batch_ = &tasks;
  next_ = 0;
  ++generation_;
  wake_.notify_all();
  drain(lock);
  done_.wait(lock, [&] { return next_ >= tasks.size() && running_ == 0; });
  batch_ = nullptr;
}

}  // namespace herald
