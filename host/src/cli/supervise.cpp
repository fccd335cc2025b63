// `herald run --supervise`: a parent process that keeps a worker running. The worker is this
// program again (`herald run ... --supervised`); when it dies of a signal (a plugin crashed it)
// or abandons a step that ran past its deadline (exit code kAbandoned), a new worker is started,
// which takes up the posts of the old one at once (see engine/step_journal.hpp). SIGINT and
// SIGTERM are passed on to the worker; the supervisor ends when the worker ends of its own
// accord.
#include "cli/common.hpp"
#include "engine/step_journal.hpp"

#include <spdlog/spdlog.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace herald {
namespace {

std::atomic<pid_t> g_worker{0};
std::atomic<int> g_stop_signal{0};

extern "C" void pass_on(int signal) {
  g_stop_signal.store(signal);
  if (pid_t worker = g_worker.load(); worker > 0) kill(worker, signal);
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) return "died of " + signal_name(WTERMSIG(status));
  if (WEXITSTATUS(status) == kAbandoned) return "abandoned a step that ran past its deadline";
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

int supervise_worker(int argc, char** argv, double restart_delay_s) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    args.push_back(arg == "--supervise" ? "--supervised" : arg);
  }
  std::vector<char*> child_argv;
  for (std::string& arg : args) child_argv.push_back(arg.data());
  child_argv.push_back(nullptr);

  struct sigaction action {};
  action.sa_handler = pass_on;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  using std::chrono::milliseconds;
  const milliseconds first(static_cast<int64_t>(restart_delay_s * 1000));
  milliseconds delay = first;
  int restarts = 0;
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    pid_t pid = 0;
    if (int error =
            posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, child_argv.data(), environ);
        error != 0) {
      std::cerr << "herald run --supervise: cannot start a worker: " << std::strerror(error)
                << "\n";
      return 1;
    }
    g_worker.store(pid);
    if (int signal = g_stop_signal.load(); signal != 0) kill(pid, signal);  // told while starting
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    g_worker.store(0);
    const bool crashed = WIFSIGNALED(status) || WEXITSTATUS(status) == kAbandoned;
    if (!crashed || g_stop_signal.load() != 0)
      return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    // A worker that ran a good while before it stopped is started again quickly; one that
    // keeps stopping waits longer each time, up to 30 s.
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(60)) delay = first;
    ++restarts;
    spdlog::error("the worker (pid {}) {}; starting worker {} in {} s", pid, describe(status),
                  restarts + 1, static_cast<double>(delay.count()) / 1000);
    for (auto waited = std::chrono::milliseconds(0); waited < delay && !g_stop_signal.load();
         waited += std::chrono::milliseconds(50))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (g_stop_signal.load() != 0) return 128 + g_stop_signal.load();
    delay = std::min<milliseconds>(delay * 2, std::chrono::seconds(30));
  }
}

}  // namespace herald
