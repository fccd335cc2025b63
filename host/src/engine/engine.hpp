// The engine: claims due posts, runs each one's current step through its plugin, and commits
// the outcome with its audit entry. One store transaction per round holds every transition of
// the round before (group commit) together with the next claim; it runs on a second thread while
// the steps of the posts the transaction before made durable run (see docs/architecture.md).
#pragma once

#include "config/config.hpp"
#include "engine/pool.hpp"
#include "engine/step_journal.hpp"
#include "engine/workflow.hpp"
#include "plugins/host_api.hpp"
#include "store/store.hpp"

#include <herald/host.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace herald {

class Engine final : private PlanSource {
 public:
  Engine(const Configuration& config, const std::vector<BoundWorkflow>& workflows, Store& store,
         Clock& clock, int batch_size);

  /// The notifiers steps may call (host function notify).
  void use_notifiers(const Notifiers* notifiers) { notifiers_ = notifiers; }

  /// Calls `task` between rounds at most once every `every_ms` of the clock, and once when a
  /// run ends (signed audit checkpoints). It runs while no transaction is in flight.
  void use_periodic(std::function<void()> task, int64_t every_ms) {
    periodic_ = std::move(task);
    periodic_every_ms_ = every_ms;
  }

  /// Runs rounds until idle (see RunOptions), `stop` is set, or a store error.
  Result<RunSummary> run(const RunOptions& options, const std::atomic<bool>* stop = nullptr);

  /// A post whose last step offers flush (ABI 1.10): that step, and the post's transition as
  /// it was just before the step ran, to go back to if the step's flush fails.
  struct Unflushed {
    const BoundStep* step = nullptr;
    Post post;
    size_t audit = 0, emitted = 0, spawned = 0, spawned_audit = 0;
  };

  /// Runs as many steps of one claimed post as may run before the next commit (see
  /// docs/architecture.md: never past a publish step, nor past a step that offers flush), as
  /// one combined transition. `unflushed` is set when its last step offers flush.
  Transition run_steps(Post&& claimed, int64_t now_ms, const std::vector<PostEvent>* events,
                       int64_t& steps_run, std::unique_ptr<Unflushed>& unflushed);

 private:
  /// Runs the current step of the post in `t` in place, with the events delivered to that step,
  /// and appends what to record to `t`; sets `unflushed` when the step offers flush.
  void process(Transition& t, int64_t now_ms, const std::vector<PostEvent>* events,
               std::unique_ptr<Unflushed>& unflushed);
  /// Calls flush once for each step in `unflushed` (the round's places, as `slots`). The posts
  /// of a step whose flush fails go back to that step as if it had crashed: `unconfirmed` at a
  /// publish step, else `ready`, counting an attempt.
  void flush_round(std::vector<Transition>& slots,
                   std::vector<std::unique_ptr<Unflushed>>& unflushed, int64_t now_ms);

  struct HookVerdict {
    herald_outcome outcome;  // reject (a veto) or fail (an error)
    std::string reason;
  };
  /// Runs the hooks at `point` for the post in `t`, in order: their changes go to t.post and
  /// their notes to t.audit. A veto or an error stops the hooks and is returned when `may_stop`;
  /// otherwise it is only recorded.
  /// Runs the workflow's screens (legal's rules, early) on `t`'s post and keeps their findings.
  void run_screens(const BoundWorkflow& bound, const CallContext& step_call, Transition& t);
  std::optional<HookVerdict> run_hooks(const BoundWorkflow& bound, const std::string& point,
                                       Transition& t, const AccountConfig& account,
                                       const std::string& step, const std::string& kind,
                                       const std::string& outcome, const std::string& reason,
                                       int64_t now_ms, bool may_stop);

  /// Turns the posts a step made (spawn_post) into new posts stored with the transition.
  void spawn(Transition& t, CallContext& call, const std::string& step, int64_t now_ms);

  const BoundWorkflow* workflow(const std::string& name) const;
  /// Whether the post's current step is a publish step.
  bool at_publish_step(const Post& post) const;
  /// Runs the publish steps of the posts at `publishing` (places in `posts`): different accounts
  /// at once, on the worker pool; the posts of one account one after another, in the order
  /// given. Each post's transition goes to the same place in `slots`.
  void publish_all(std::vector<Post>& posts, const std::vector<size_t>& publishing, int64_t now_ms,
                   const std::map<int64_t, std::vector<PostEvent>>& events,
                   std::vector<Transition>& slots,
                   std::vector<std::unique_ptr<Unflushed>>& unflushed, int64_t& steps_run);

  // PlanSource: the store's plan, overlaid with the posts this round has decided so far.
  Result<std::vector<PlanEntry>> planned(const std::string& account, int64_t from_ms, int64_t to_ms,
                                         int64_t except_post) override;
  Result<std::vector<SlotSuggestion>> best_slots(const AccountConfig& account) override;
  Result<int64_t> remote_id_owner(const std::string& account, const std::string& remote_id,
                                  int64_t except_post) override;

  /// What a round runs on besides its posts, read in the transaction that made them durable.
  struct RoundInputs {
    std::map<int64_t, std::vector<PostEvent>> events;  // for each post's current step
    std::vector<Pause> pauses;
    std::map<std::string, int64_t> account_limits;
    std::map<std::string, int64_t> text_limits;
    std::map<std::string, std::vector<std::string>> advocates;
  };
  /// What one round's transaction did.
  struct Committed {
    std::vector<Post> next;           // durable now: the posts to run in the next round
    std::vector<Transition> written;  // what it wrote (their posts moved to `next`)
    RoundInputs inputs;               // for them
    int64_t transitions = 0;
    RunSummary finished;  // of it, only the counts of posts that finished
    int64_t lost = 0;     // transitions dropped because their claim was taken over
  };
  /// One transaction: writes `decided` (and clears it), claims due posts up to the batch size
  /// (a quarter of it when `starting`), reads the next round's inputs, and commits. Uses
  /// nothing of the engine that a round running meanwhile uses.
  Result<Committed> commit_round(std::vector<Transition>& decided, int64_t now_ms, bool starting);
  /// Runs the steps of `posts` (and empties it); returns their transitions in that order.
  std::vector<Transition> run_round(std::vector<Post>& posts, RoundInputs& inputs, int64_t now_ms,
                                    int64_t& steps_run);
  /// Hands a claimed post back untouched: it is claimable again, as it was before the claim.
  static Transition release(Post&& post, int64_t now_ms);
  /// Hands a claimed post that waits for its account's rate limit back, due at `until_ms` (the
  /// limit's reset), without running its step or writing an audit entry.
  static Transition defer(Post&& post, int64_t until_ms, int64_t now_ms);
  /// The delay before attempt `attempt` + 1 (exponential, capped, jittered).
  int64_t backoff_ms(int attempt);
  /// Applies what the journals of workers that are gone say (see step_journal.hpp): a post
  /// whose step crashed the worker or ran past its deadline counts an attempt, and is
  /// quarantined after engine.max_attempts; every claim of such a worker is taken up at once.
  Status recover_dead_workers(int64_t now_ms);
  /// The watchdog: reports steps past their deadline and abandons them as `options` says.
  void watch(const RunOptions& options, const std::atomic<bool>* stop);

  /// Whether a pause in `pauses` covers the account.
  static const Pause* pause_of(const std::vector<Pause>& pauses, const std::string& account);
  /// Sets the post's outcome; `audited`: with its audit entry (a post that waits on for its
  /// account's rate limit has none).
  void finish(Transition& t, PostState from, PostState state, const std::string& action,
              const std::string& step, const std::string& detail, int64_t now_ms,
              bool audited = true) const;
  /// The reset of the account's rate limit as this worker knows it (0: none known).
  int64_t known_limit(const std::string& account) const;

  const Configuration& config_;
  const std::vector<BoundWorkflow>& workflows_;
  Store& store_;
  Clock& clock_;
  int batch_size_;
  Lease lease_;
  std::minstd_rand jitter_{std::random_device{}()};
  std::mutex jitter_mutex_;
  std::mutex plan_mutex_;  // PlanSource calls may come from several publish workers
  WorkerPool pool_;
  const std::vector<Transition>* round_ = nullptr;  // decided so far in the round running
  std::map<std::string, std::vector<SlotSuggestion>> best_slots_;  // per account, per round
  std::map<std::string, int64_t> account_limits_;  // rate limits in force, read each round
  std::map<std::string, int64_t> text_limits_;     // the networks' reported text limits
  std::map<std::string, std::vector<std::string>> advocates_;  // person -> accounts, per round
  const Notifiers* notifiers_ = nullptr;
  std::function<void()> periodic_;
  int64_t periodic_every_ms_ = 0;
  std::unique_ptr<StepJournal> journal_;  // while run() runs (in memory when not in a file)
  std::atomic<int> isolated_running_{0};  // isolated steps under way (not in the journal)
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool watch_done_ = false;
};

}  // namespace herald
