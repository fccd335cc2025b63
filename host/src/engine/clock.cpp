#include <herald/host.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace herald {
namespace {

class RealClock final : public Clock {
 public:
  int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void advance_to(int64_t at_ms) override {
    int64_t wait = at_ms - now_ms();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
  bool is_virtual() const override { return false; }
};

class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(int64_t start_ms) : now_(start_ms) {}
  int64_t now_ms() const override { return now_.load(); }
  void advance_to(int64_t at_ms) override {
    int64_t current = now_.load();
    while (at_ms > current && !now_.compare_exchange_weak(current, at_ms)) {
    }
  }
  bool is_virtual() const override { return true; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace

std::shared_ptr<Clock> make_real_clock() {
  return std::make_shared<RealClock>();
}
std::shared_ptr<Clock> make_virtual_clock(int64_t start_ms) {
  return std::make_shared<VirtualClock>(start_ms);
}

}  // namespace herald
