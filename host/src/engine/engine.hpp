// The engine: claims due posts, runs each one's current step through its plugin, and commits
// the outcome with its audit entry. One store transaction per round holds every transition of
// the round (group commit) together with the next claim.
#pragma once

#include "config/config.hpp"
#include "engine/workflow.hpp"
#include "store/store.hpp"

#include <herald/host.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace herald {

class Engine {
 public:
  Engine(const Configuration& config, const std::vector<BoundWorkflow>& workflows, Store& store,
         Clock& clock, int batch_size);

  /// Runs rounds until idle (see RunOptions), `stop` is set, or a store error.
  Result<RunSummary> run(const RunOptions& options, const std::atomic<bool>* stop = nullptr);

  /// Runs as many steps of one claimed post as may run before the next commit (see
  /// docs/architecture.md: never past a publish step), as one combined transition.
  Transition run_steps(Post&& claimed, int64_t now_ms, const std::vector<PostEvent>* events,
                       int64_t& steps_run);

 private:
  /// Runs the current step of the post in `t` in place, with the events delivered to that step,
  /// and appends what to record to `t`.
  void process(Transition& t, int64_t now_ms, const std::vector<PostEvent>* events);

  const BoundWorkflow* workflow(const std::string& name) const;
  void finish(Transition& t, PostState from, PostState state, const std::string& action,
              const std::string& step, const std::string& detail, int64_t now_ms) const;

  const Configuration& config_;
  const std::vector<BoundWorkflow>& workflows_;
  Store& store_;
  Clock& clock_;
  int batch_size_;
  Lease lease_;
};

}  // namespace herald
