// Herald's log, in a Python process that imported the module, goes to Python's `logging`, to the
// logger named "herald": a script configures it (or quiets it) as it does any other library's.
//
// Messages come from any thread: the engine's workers, publish workers, plugin hosts, and the
// thread that holds the GIL. The sink never waits for the GIL while it holds a lock, and a thread
// without the GIL never waits for it at all: it queues the message, and one forwarding thread
// takes the GIL to hand the queue to `logging`. So a thread that holds the GIL and waits for a
// worker (closing a Host, say) never deadlocks with a worker that logs. A thread that holds the
// GIL hands the queue over itself, first what others queued, so messages keep their order.
#include "log_forward.hpp"

#include <pybind11/pybind11.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

namespace py = pybind11;

namespace herald::python {
namespace {

struct Message {
  int level = 20;  // Python's
  std::string text;
};

int python_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return 5;
    case spdlog::level::debug: return 10;
    case spdlog::level::info: return 20;
    case spdlog::level::warn: return 30;
    case spdlog::level::err: return 40;
    case spdlog::level::critical: return 50;
    default: return 20;
  }
}

spdlog::level::level_enum spdlog_level(int python) {
  if (python <= 0) return spdlog::level::trace;  // NOTSET on the root: everything
  if (python <= 5) return spdlog::level::trace;
  if (python <= 10) return spdlog::level::debug;
  if (python <= 20) return spdlog::level::info;
  if (python <= 30) return spdlog::level::warn;
  if (python <= 40) return spdlog::level::err;
  return spdlog::level::critical;
}

class Forwarder {
 public:
  void push(Message message) {
    {
      const std::lock_guard hold(mutex_);
      if (stopped_) {  // Python's logging is shutting down: warnings and errors to stderr
        if (message.level >= 30) std::fprintf(stderr, "herald: %s\n", message.text.c_str());
        return;
      }
      queue_.push_back(std::move(message));
    }
    if (PyGILState_Check()) {
      drain();
    } else {
      ready_.notify_one();
    }
  }

  /// Hands every queued message to `logging`. The caller holds the GIL.
  void drain() {
    std::deque<Message> batch;
    {
      const std::lock_guard hold(mutex_);
      batch.swap(queue_);
    }
    if (batch.empty()) return;
    // Keep whatever exception the caller is handling: logging must not replace it.
    py::error_scope keep;
    try {
      py::object logger = herald_logger();
      for (const Message& m : batch) logger.attr("log")(m.level, "%s", m.text);
    } catch (const py::error_already_set&) {
      // logging itself failed (a handler raised, or the interpreter is going away)
    }
  }

  void start() {
    const std::lock_guard hold(mutex_);
    if (thread_.joinable() || stopped_) return;
    thread_ = std::thread([this] { loop(); });
  }

  /// At interpreter exit: what is queued goes to `logging`, later messages to stderr. The caller
  /// holds the GIL.
  void stop() {
    {
      const std::lock_guard hold(mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    ready_.notify_one();
    if (thread_.joinable()) {
      py::gil_scoped_release nogil;
      thread_.join();
    }
    drain();
  }

  /// The "herald" logger (looked up once, and kept for the life of the process).
  py::object herald_logger() {
    if (!logger_) {
      py::object found = py::module_::import("logging").attr("getLogger")("herald");
      logger_ = found.release().ptr();
    }
    return py::reinterpret_borrow<py::object>(logger_);
  }

 private:
  void loop() {
    for (;;) {
      bool stopping = false;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
        stopping = stopped_;
      }
      if (stopping) return;  // stop() drains, with the GIL it holds
      py::gil_scoped_acquire gil;
      drain();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Message> queue_;
  bool stopped_ = false;
  std::thread thread_;
  PyObject* logger_ = nullptr;
};

// Never destroyed: worker threads may log while the process exits.
Forwarder& forwarder() {
  static auto* instance = new Forwarder;
  return *instance;
}

class PythonSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    forwarder().push(
        Message{python_level(msg.level), std::string(msg.payload.data(), msg.payload.size())});
  }
  void flush_() override {}
};

}  // namespace

void forward_logs_to_python(py::module_& m) {
  auto logger = std::make_shared<spdlog::logger>("herald", std::make_shared<PythonSink>());
  spdlog::set_default_logger(logger);
  sync_logs();
  forwarder().start();
  py::module_::import("atexit").attr("register")(py::cpp_function([] { forwarder().stop(); }));
  m.def("_sync_logs", &sync_logs,
        "Hands Herald's queued log messages to the 'herald' logger, and lets through the levels "
        "that logger is enabled for.");
}

void sync_logs() {
  Forwarder& f = forwarder();
  f.drain();
  try {
    int level = f.herald_logger().attr("getEffectiveLevel")().cast<int>();
    spdlog::set_level(spdlog_level(level));
  } catch (const py::error_already_set&) {
  }
}

}  // namespace herald::python
