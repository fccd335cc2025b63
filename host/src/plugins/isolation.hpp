// `isolation: process`: a step whose plugin runs in a child process (herald-plugin-host), so
// that a crash, an abort, a hang past the step's deadline or memory past a limit ends that call
// and not the worker.
//
// The child loads the same configuration and only the step's plugin library, binds the step
// with the same descriptor and configuration checks as the worker, and then answers calls over
// two pipes (its descriptors 3 and 4): each request carries a snapshot of what the step may
// read (the post, its events, the time, the account's known limits), each answer what the
// step did (the post as it left it and the call's outcome, reason, expectations, events and
// new posts), which the worker applies as if the step had run in-process. A step there cannot
// read the account's plan or send notifications (those host functions answer NOT_FOUND).
#pragma once

#include "config/config.hpp"
#include "plugins/host_api.hpp"

#include <sys/types.h>
#include <mutex>
#include <string>

namespace herald {

/// The worker's end of one isolated step: its child process, started on the first call and
/// again after one that crashed or hung. Calls from several threads take turns.
class ProcessStep {
 public:
  /// `workflow` and `step_index` name the step in the configuration at `config_path`;
  /// `library` is the plugin's shared library.
  ProcessStep(std::string config_path, std::string workflow, int step_index, std::string library,
              std::string plugin_name, int64_t deadline_s, int64_t memory_limit_mb);
  ~ProcessStep();
  ProcessStep(const ProcessStep&) = delete;
  ProcessStep& operator=(const ProcessStep&) = delete;

  /// Runs the step for `call` in the child. A child that dies, or does not answer within the
  /// deadline (it is then killed), makes this return HERALD_UNAVAILABLE with call.error naming
  /// the plugin and the signal; the next call starts a new child.
  herald_status run(CallContext& call);

 private:
  bool start(std::string& error);
  void stop(bool kill_first);
  /// Why the child ended (after it closed its pipe or was killed).
  std::string reap();

  std::string config_path_, workflow_, library_, plugin_name_;
  int step_index_;
  int64_t deadline_s_, memory_limit_mb_;
  std::string config_sha256_;  // of the configuration file as the worker read it
  std::mutex mutex_;
  pid_t pid_ = 0;
  int to_child_ = -1, from_child_ = -1;
};

/// The path of herald-plugin-host: $HERALD_PLUGIN_HOST, else next to this program or library.
std::string plugin_host_program();

/// `herald-plugin-host CONFIG WORKFLOW STEP_INDEX LIBRARY MEMORY_LIMIT_MB CONFIG_SHA256`: the
/// child's side; it refuses to run when the configuration file changed since the worker read it.
int plugin_host_main(int argc, char** argv);

}  // namespace herald
