#include "engine/engine.hpp"

#include "schedule/best_time.hpp"
#include "time/time.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <random>
#include <thread>

namespace herald {
namespace {

std::string make_lease_owner() {
  std::random_device random;
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(random());
}

/// Counts a post that left the engine in `state` (nothing when it is not finished).
void count_finished(PostState state, RunSummary& summary) {
  if (!is_terminal(state)) return;
  ++summary.finished;
  if (state == PostState::done) ++summary.done;
  if (state == PostState::rejected) ++summary.rejected;
  if (state == PostState::failed) ++summary.failed;
}

}  // namespace

Engine::Engine(const Configuration& config, const std::vector<BoundWorkflow>& workflows,
               Store& store, Clock& clock, int batch_size)
    : config_(config),
      workflows_(workflows),
      store_(store),
      clock_(clock),
      batch_size_(std::max(1, batch_size)),
      pool_(config.engine.publish_concurrency) {
  lease_.owner = make_lease_owner();
}

const BoundWorkflow* Engine::workflow(const std::string& name) const {
  for (const auto& w : workflows_)
    if (w.config->name == name) return &w;
  return nullptr;
}

Result<std::vector<PlanEntry>> Engine::planned(const std::string& account, int64_t from_ms,
                                               int64_t to_ms, int64_t except_post) {
  std::lock_guard lock(plan_mutex_);
  // Waits for a round's transaction under way on the other thread: the store takes turns.
  Result<std::vector<PlanEntry>> stored = store_.planned(account, from_ms, to_ms);
  if (!stored) return stored;
  std::vector<PlanEntry> out;
  auto decided_in_round = [&](int64_t id) {
    if (!round_) return false;
    for (const Transition& t : *round_)
      if (t.post.id == id) return true;
    return false;
  };
  for (const PlanEntry& e : *stored)
    if (e.post_id != except_post && !decided_in_round(e.post_id)) out.push_back(e);
  if (round_)
    for (const Transition& t : *round_) {
      const Post& p = t.post;
      if (p.account != account || p.id == except_post || p.planned_ms < from_ms ||
          p.planned_ms >= to_ms || p.state == PostState::rejected || p.state == PostState::failed ||
          p.state == PostState::cancelled || p.planned_ms == 0)
        continue;
      out.push_back({p.id, p.planned_ms, p.state});
    }
  std::sort(out.begin(), out.end(), [](const PlanEntry& a, const PlanEntry& b) {
    return std::pair(a.at_ms, a.post_id) < std::pair(b.at_ms, b.post_id);
  });
  return out;
}

Result<int64_t> Engine::remote_id_owner(const std::string& account, const std::string& remote_id,
                                        int64_t except_post) {
  std::lock_guard lock(plan_mutex_);
  // Posts decided earlier in this round, not yet stored, first.
  if (round_)
    for (const Transition& t : *round_)
      if (t.post.account == account && t.post.id != except_post && !remote_id.empty() &&
          t.post.remote_id == remote_id)
        return t.post.id;
  return store_.remote_id_owner(account, remote_id, except_post);
}

Result<std::vector<SlotSuggestion>> Engine::best_slots(const AccountConfig& account) {
  std::lock_guard lock(plan_mutex_);
  auto cached = best_slots_.find(account.name);
  if (cached != best_slots_.end()) return cached->second;
  const date::time_zone* zone =
      zoned::find_zone(account.timezone.empty() ? "UTC" : account.timezone);
  Result<std::vector<EngagementRow>> history = store_.engagement(account.name);
  if (!history) return history.status();
  std::vector<SlotSuggestion> slots =
      zone ? suggest_slots(*history, *zone) : std::vector<SlotSuggestion>{};
  best_slots_[account.name] = slots;
  return slots;
}

const Pause* Engine::pause_of(const std::vector<Pause>& pauses, const std::string& account) {
  for (const Pause& p : pauses)
    if (p.account.empty() || p.account == account) return &p;
  return nullptr;
}

void Engine::finish(Transition& t, PostState from, PostState state, const std::string& action,
                    const std::string& step, const std::string& detail, int64_t now_ms,
                    bool audited) const {
  t.post.state = state;
  t.post.reason = detail;
  t.post.updated_ms = now_ms;
  t.post.lease_owner.clear();
  t.post.lease_expires_ms = 0;
  const bool for_a_person = state == PostState::held || state == PostState::quarantined;
  if (state != PostState::waiting && !for_a_person) t.post.expects.clear();
  if (is_terminal(state) || for_a_person) t.post.wake_ms = 0;
  if (!audited) return;
  t.audit.push_back({t.post.id, now_ms, "engine", action, step, std::string(to_string(from)),
                     std::string(to_string(state)), detail});
}

int64_t Engine::known_limit(const std::string& account) const {
  auto found = account_limits_.find(account);
  return found == account_limits_.end() ? 0 : found->second;
}

void Engine::process(Transition& t, int64_t now_ms, const std::vector<PostEvent>* events,
                     std::unique_ptr<Unflushed>& unflushed) {
  // What the post was when claimed; the step and the outcome below change t.post.
  const PostState from = t.post.claimed_from;
  const int step_index = t.post.step_index;
  const int attempt = t.post.attempt;
  const int64_t claim_seq = t.post.claim_seq;
  const Post& claimed = t.post;  // for fields nothing below changes (id, workflow, account)
  const int64_t planned_before = t.post.planned_ms;
  struct PlanCheck {  // however the step ends, a changed plan is written to the plan index
    Transition& t;
    int64_t before;
    ~PlanCheck() { t.plan_changed = t.plan_changed || t.post.planned_ms != before; }
  } plan_check{t, planned_before};
  // Whatever the step decides below, the post waits for its account's rate limit afterwards
  // only if it decides that again (HERALD_WAIT).
  const int64_t limited_since = t.post.limited_since_ms;
  t.post.limited_since_ms = 0;

  const BoundWorkflow* bound = workflow(claimed.workflow);
  if (!bound || step_index >= static_cast<int>(bound->steps.size())) {
    finish(t, from, PostState::failed, "fail", "",
           bound ? "the workflow has no step " + std::to_string(step_index + 1)
                 : "workflow '" + claimed.workflow + "' is no longer in the configuration",
           now_ms);
    return;
  }
  const BoundStep& step = *bound->steps[static_cast<size_t>(step_index)];
  const std::string& step_name = step.config().name;
  const AccountConfig* account = config_.account(claimed.account);
  if (!account) {
    finish(t, from, PostState::failed, "fail", step_name,
           "account '" + claimed.account + "' is no longer in the configuration", now_ms);
    return;
  }

  herald_outcome outcome = HERALD_ADVANCE;
  int64_t at_ms = 0;
  std::string reason;
  std::string action;
  CallContext call;
  const std::string& kind = step.config().kind;
  const bool is_publish = kind == "publish";
  // Hooks: before_<kind> when the post reaches the step (not when the step runs again after a
  // wait, an event or a retry; again for a post taken up from a worker that died, which may
  // have died in them), after_<kind> when the step is done with it.
  auto hooks = [&](const std::string& point, bool may_stop) {
    return run_hooks(*bound, point, t, *account, step_name, kind, outcome_name(outcome), reason,
                     now_ms, may_stop);
  };
  std::optional<HookVerdict> hooked;
  if (!step.config().when.matches(claimed, account->network)) {
    action = "skip";
    reason = "condition not met: " + step.config().when.describe();
  } else if ((from == PostState::ready || from == PostState::unconfirmed) && attempt == 0 &&
             t.post.step_events == 0 && (hooked = hooks("before_" + kind, true))) {
    outcome = hooked->outcome;
    reason = hooked->reason;
    action = outcome_name(outcome);
  } else {
    account = config_.account(t.post.account);  // a before_ hook may have routed the post
    // Another worker takes over a claim whose lease has ended. A worker that stalled past its
    // lease (a round longer than the lease, a slow hook, a paused process) hands the post back
    // instead of publishing it, so that the two never both publish it. (Only a lease that has
    // ended: one that ends during the step would hand back, again and again, the publish posts
    // of every round that takes longer than the lease less the step's deadline.)
    if (is_publish && t.post.lease_expires_ms > 0 && t.post.lease_expires_ms <= clock_.now_ms()) {
      spdlog::warn(
          "post {}: its claim's lease ended before its publish step began; handed back "
          "unpublished (another worker may have taken it over)",
          t.post.id);
      t = release(std::move(t.post), now_ms);
      return;
    }
    static const std::vector<PostEvent> no_events;
    call.post = &t.post;
    call.account = account;
    call.config = &config_;
    call.events = events ? events : &no_events;
    call.clock = &clock_;
    call.plan = this;
    call.account_limits = &account_limits_;
    call.text_limits = &text_limits_;
    call.advocates = &advocates_;
    call.notifiers = notifiers_;
    call.plugin_name = step.plugin().name;
    call.step_name = step_name;
    StepJournal::Running running =
        journal_ && !step.isolated()  // an isolated step cannot take the worker down
            ? journal_->begin(claimed.id, claim_seq, step_index, step_name, step.plugin().name,
                              now_ms, step.config().timeout_s)
            : StepJournal::Running{};
    // An isolated step keeps its own deadline, but a worker told to stop now must know it runs.
    struct IsolatedScope {
      std::atomic<int>* count;
      ~IsolatedScope() {
        if (count) count->fetch_sub(1);
      }
    } isolated_scope{step.isolated() ? &isolated_running_ : nullptr};
    if (isolated_scope.count) isolated_scope.count->fetch_add(1);
    // A post (or a new revision) that starts its workflow: legal's rules run first, so that
    // approvers see what they will find.
    if (step_index == 0 && attempt == 0 && t.post.step_events == 0) run_screens(*bound, call, t);
    if (step.flushes())  // what the post goes back to if the step's flush fails
      unflushed.reset(new Unflushed{&step, t.post, t.audit.size(), t.emitted.size(),
                                    t.spawned.size(), t.spawned_audit.size()});
    herald_status status = step.run(call);
    const bool late = running.overdue();
    std::string plugin_error = call.error.empty() ? "no message" : call.error;
    const std::string past_deadline = "step " + step_name + " (plugin " + step.plugin().name +
                                      ") ran past its deadline of " +
                                      std::to_string(step.config().timeout_s) + " s";
    if (late && !is_publish) {
      // What it decided so late is not taken: the post runs the step again (an attempt).
      outcome = HERALD_RETRY;
      reason = past_deadline;
      call.spawned.clear();
      call.emitted.clear();
    } else if (!call.violation.empty()) {
      // The plugin handed back text the host refused to store; whatever it did next, the step
      // fails with that (the message names the plugin and the field).
      outcome = HERALD_FAIL;
      reason = call.violation;
    } else if (status == HERALD_OK) {
      outcome = call.outcome;
      at_ms = call.outcome_at_ms;
      reason = call.reason;
      spawn(t, call, step_name, now_ms);
    } else if (status == HERALD_UNAVAILABLE) {
      outcome = HERALD_RETRY;
      reason = "plugin " + step.plugin().name + ": " + plugin_error;
    } else {
      outcome = HERALD_FAIL;
      reason = "plugin " + step.plugin().name + " failed: " + plugin_error;
    }
    if (late && is_publish)  // what reached the network stands; the delay is reported
      reason += (reason.empty() ? "" : "; ") + past_deadline;
    action = outcome_name(outcome);
    if (call.text_changed)
      reason += (reason.empty() ? "" : "; ") + std::string("text changed by the step");
    // The step sees what it emitted when it runs again (for example, that it escalated).
    t.post.step_events += static_cast<int>(call.emitted.size());
    for (PostEvent& e : call.emitted) t.emitted.push_back(std::move(e));
    t.text_changed = t.text_changed || call.text_changed;
    if (call.network_char_limit > 0) {
      t.network_char_limit = call.network_char_limit;
      text_limits_[claimed.account] = call.network_char_limit;  // later posts of the round
    }
    if (call.account_limited_until_ms > 0) {
      t.account_limited_until_ms =
          std::max(t.account_limited_until_ms, call.account_limited_until_ms);
      // Later posts of the round see it too.
      int64_t& known = account_limits_[claimed.account];
      known = std::max(known, call.account_limited_until_ms);
    }
    spdlog::debug("post {} step {}: {} {}", claimed.id, step_name, action, reason);
    if (outcome == HERALD_ADVANCE) {
      // A published post stays published whatever its after_publish hooks say.
      if ((hooked = hooks("after_" + kind, !is_publish))) {
        outcome = hooked->outcome;
        reason = hooked->reason;
        action = outcome_name(outcome);
      }
      if (is_publish) hooks("on_publish", false);
    }
  }

  // The step said that the post may already be on its network (ABI 1.9 outcome_unknown).
  const bool may_be_published = is_publish && call.outcome_unknown;
  switch (outcome) {
    case HERALD_ADVANCE: {
      t.post.attempt = 0;
      t.post.expects.clear();
      t.post.step_events = 0;
      t.post.stage.clear();
      t.post.step_entered_ms = now_ms;
      int next = step_index + 1;
      if (next >= static_cast<int>(bound->steps.size())) {
        finish(t, from, PostState::done, action, step_name,
               reason.empty() ? "finished every step" : reason, now_ms);
        return;
      }
      // Advance and keep the claim: the next step runs in the next round, after this commit.
      t.post.step_index = next;
      t.post.step_kind = bound->steps[static_cast<size_t>(next)]->config().kind;
      t.post.state = PostState::in_flight;
      t.post.claimed_from = PostState::ready;
      t.post.claim_seq = claim_seq + 1;
      t.post.wake_ms = now_ms;
      t.post.reason = reason;
      t.post.updated_ms = now_ms;
      t.audit.push_back({claimed.id, now_ms, "engine", action, step_name,
                         std::string(to_string(from)), "ready", reason});
      return;
    }
    case HERALD_WAIT: {
      t.post.expects = call.expects;
      t.post.wake_ms = at_ms;
      // A publish step that may already have put the post on the network keeps it
      // `unconfirmed` through the wait (a rate limit, a settle time): it is looked for first.
      const PostState next = may_be_published ? PostState::unconfirmed : PostState::waiting;
      // A publish step that waits until its account's rate limit ends waits for that limit.
      // The trail records the wait once, when it begins: a post that already waited for the
      // limit and waits for it again (the network answered with a later reset, or the other
      // posts of the account took the window's calls) only moves its wake time and reason.
      if (is_publish && call.expects.empty() && at_ms > now_ms &&
          at_ms == known_limit(claimed.account)) {
        if (limited_since > 0 && from == next) {
          t.post.limited_since_ms = limited_since;
          finish(t, from, next, action, step_name, reason, now_ms, false);
          return;
        }
        t.post.limited_since_ms = now_ms;
      }
      finish(t, from, next, action, step_name, reason, now_ms);
      return;
    }
    case HERALD_HOLD:
      t.post.expects = call.expects;
      if (may_be_published) {
        // For a person (`herald retry` looks again), never `done` or `failed` by itself.
        t.post.wake_ms = 0;
        finish(t, from, PostState::unconfirmed, action, step_name, reason, now_ms);
        t.post.expects = call.expects;  // parked: who may have it looked for again
        return;
      }
      finish(t, from, PostState::held, action, step_name, reason, now_ms);
      return;
    case HERALD_REJECT:
      hooks("on_reject", false);
      finish(t, from, PostState::rejected, action, step_name, reason, now_ms);
      return;
    case HERALD_RETRY: {
      t.post.attempt = attempt + 1;
      // A publish step whose plugin reported a transient error may have reached the network:
      // reconcile before trying again, unless the plugin itself asked for a retry (and did not
      // say that the outcome is unknown).
      const bool unconfirmed =
          may_be_published || (is_publish && call.error.size() && call.outcome != HERALD_RETRY);
      if (t.post.attempt >= config_.engine.max_attempts && unconfirmed) {
        // Out of attempts, but the post may be on the network: failing it would invite a
        // person to submit it again. It stays unconfirmed, looked for at the longest delay.
        t.post.attempt = config_.engine.max_attempts;
        t.post.wake_ms = at_ms > now_ms ? at_ms : now_ms + config_.engine.max_retry_delay_ms;
        finish(t, from, PostState::unconfirmed, action, step_name,
               reason + " (all " + std::to_string(config_.engine.max_attempts) +
                   " attempts used; not failed while it may be on the network: looked for "
                   "again at " +
                   format_utc(t.post.wake_ms) + ")",
               now_ms);
        return;
      }
      if (t.post.attempt >= config_.engine.max_attempts) {
        reason = "gave up after " + std::to_string(t.post.attempt) + " attempts: " + reason;
        outcome = HERALD_FAIL;
        hooks("on_fail", false);
        finish(t, from, PostState::failed, "fail", step_name, reason, now_ms);
        return;
      }
      t.post.wake_ms = at_ms > now_ms ? at_ms : now_ms + backoff_ms(t.post.attempt);
      PostState next_state = unconfirmed ? PostState::unconfirmed : PostState::ready;
      finish(t, from, next_state, action, step_name,
             reason + " (attempt " + std::to_string(t.post.attempt) + " of " +
                 std::to_string(config_.engine.max_attempts) + ", next at " +
                 format_utc(t.post.wake_ms) + ")",
             now_ms);
      return;
    }
    case HERALD_FAIL:
      hooks("on_fail", false);
      finish(t, from, PostState::failed, action, step_name, reason, now_ms);
      return;
    case HERALD_REVISE: {
      hooks("on_reject", false);
      // Back to the first step, held for its author; `herald edit` starts the next revision.
      t.post.step_index = 0;
      t.post.step_kind = bound->steps.front()->config().kind;
      t.post.attempt = 0;
      t.post.stage.clear();
      t.post.step_entered_ms = now_ms;
      t.post.step_events = 0;
      t.post.planned_ms = 0;  // the next revision is scheduled afresh
      t.post.plan_note.clear();
      t.post.expects = {{"edit", claimed.author.empty() ? "editor" : "person:" + claimed.author}};
      finish(t, from, PostState::held, action, step_name,
             "returned for revision: " + (reason.empty() ? std::string("no reason given") : reason),
             now_ms);
      return;
    }
  }
  return;
}

int64_t Engine::backoff_ms(int attempt) {
  // Exponential backoff with a cap, and jitter (half to all of it) so that posts that failed
  // together do not all come back together.
  int64_t backoff = std::min(config_.engine.retry_delay_ms << std::clamp(attempt - 1, 0, 20),
                             config_.engine.max_retry_delay_ms);
  uint64_t random = 0;
  {
    std::lock_guard lock(jitter_mutex_);
    random = jitter_();
  }
  return backoff / 2 + static_cast<int64_t>(random % static_cast<uint64_t>(backoff / 2 + 1));
}

void Engine::spawn(Transition& t, CallContext& call, const std::string& step, int64_t now_ms) {
  (void)step;
  for (CallContext::Spawned& s : call.spawned) {
    const WorkflowConfig* workflow = config_.workflow(s.workflow);
    const AccountConfig* account = config_.account(s.account);
    if (!workflow || !account) continue;  // checked by spawn_post
    Post p;
    p.workflow = s.workflow;
    p.account = s.account;
    p.author = t.post.author;
    p.text = std::move(s.text);
    p.tags = std::move(s.tags);
    p.created_ms = now_ms;
    p.zone = account->timezone;
    start_at_first_step(p, *workflow, now_ms);
    // Derived from the original's key: the same copy always has the same key.
    p.idempotency_key = t.post.idempotency_key + "-copy-" + std::to_string(t.spawned.size() + 1);
    t.spawned_audit.push_back({0, now_ms, "engine", "submit", "", "", "ready",
                               "workflow " + p.workflow + " on account " + p.account +
                                   "; a copy of post " + std::to_string(t.post.id)});
    t.spawned.push_back(std::move(p));
  }
}

void Engine::run_screens(const BoundWorkflow& bound, const CallContext& step_call, Transition& t) {
  for (const auto& screen : bound.screens) {
    // A legal step its condition skips will say nothing of this post.
    if (step_call.account && !screen->config().when.matches(t.post, step_call.account->network))
      continue;
    Post post = t.post;  // a screen records findings; it changes nothing of the post
    CallContext call;
    call.post = &post;
    call.account = step_call.account;
    call.config = step_call.config;
    call.events = step_call.events;
    call.clock = step_call.clock;
    call.account_limits = step_call.account_limits;
    call.text_limits = step_call.text_limits;
    call.advocates = step_call.advocates;
    call.plugin_name = screen->plugin().name;
    call.step_name = screen->config().name;
    const herald_status status = screen->run(call);
    if (status != HERALD_OK || !call.violation.empty()) {
      spdlog::warn("post {}: {} (plugin {}) did not run: {}", t.post.id, call.step_name,
                   call.plugin_name, call.violation.empty() ? call.error : call.violation);
      continue;
    }
    for (PostEvent& e : call.emitted) {
      if (e.type != "finding") continue;
      t.emitted.push_back(std::move(e));
      ++t.post.step_events;
    }
  }
}

std::optional<Engine::HookVerdict> Engine::run_hooks(
    const BoundWorkflow& bound, const std::string& point, Transition& t,
    const AccountConfig& account, const std::string& step, const std::string& kind,
    const std::string& outcome, const std::string& reason, int64_t now_ms, bool may_stop) {
  const std::vector<BoundHook>* hooks = bound.hooks_at(point);
  if (!hooks) return std::nullopt;
  const std::string state(to_string(t.post.claimed_from));
  auto note = [&](const BoundHook& hook, const std::string& action, const std::string& detail) {
    t.audit.push_back({t.post.id, now_ms, "hook " + hook.config->target, action, step, state, state,
                       point + ": " + detail});
  };
  for (const BoundHook& hook : *hooks) {
    HookCall call;
    call.hook = hook.config;
    call.post = &t.post;
    call.config = &config_;
    call.account = &account;
    call.step = step;
    call.step_kind = kind;
    call.outcome = outcome;
    call.reason = reason;
    call.now_ms = now_ms;
    HookResult result = hook.hook->call(call);
    for (const std::string& text : result.notes) note(hook, "note", text);
    if (result.text && *result.text != t.post.text) {
      if (point == "after_publish" || point == "on_publish") {
        note(hook, "note",
             "the text of a published post is not changed; the hook's change is dropped");
      } else {
        t.post.text = std::move(*result.text);
        t.text_changed = true;
        note(hook, "edit", "changed the text");
      }
    }
    if (result.account && *result.account != t.post.account) {
      if (point == "after_publish" || point == "on_publish" || point == "before_publish") {
        note(hook, "note", "a post is not moved to another account at its publish step");
      } else if (!config_.account(*result.account)) {
        result.kind = HookResult::Kind::error;
        result.message = "set the account to '" + *result.account + "', which is not configured";
      } else {
        note(hook, "edit", "moved the post from " + t.post.account + " to " + *result.account);
        t.post.account = std::move(*result.account);
        t.text_changed = true;
      }
    }
    if (result.tags && *result.tags != t.post.tags) {
      t.post.tags = std::move(*result.tags);
      t.text_changed = true;  // the store writes the post's content: text and tags
      note(hook, "edit", "changed the tags");
    }
    if (result.kind == HookResult::Kind::ok) continue;
    const bool veto = result.kind == HookResult::Kind::veto;
    std::string why =
        veto ? "vetoed by hook " + hook.config->target + " (" + point +
                   "): " + (result.message.empty() ? "no reason given" : result.message)
             : "hook " + hook.config->target + " (" + point + ") failed: " + result.message;
    spdlog::warn("post {}: {}", t.post.id, why);
    if (may_stop) return HookVerdict{veto ? HERALD_REJECT : HERALD_FAIL, why};
    note(hook, veto ? "veto_ignored" : "hook_error",
         why + (veto ? " (too late to change the outcome)" : ""));
  }
  return std::nullopt;
}

Transition Engine::run_steps(Post&& claimed, int64_t now_ms, const std::vector<PostEvent>* events,
                             int64_t& steps_run, std::unique_ptr<Unflushed>& unflushed) {
  // A post that already waits for its account's rate limit, claimed before this worker learned
  // that the limit holds on (another post of the account met it earlier in the round): its step
  // does not run, and it only follows the limit's reset.
  if (claimed.limited_since_ms > 0 &&
      (claimed.claimed_from == PostState::waiting ||
       claimed.claimed_from == PostState::unconfirmed) &&
      at_publish_step(claimed))
    if (const int64_t until = known_limit(claimed.account); until > now_ms)
      return defer(std::move(claimed), until, now_ms);
  const BoundWorkflow* bound = workflow(claimed.workflow);
  auto is_publish = [&](int index) {
    return bound && index >= 0 && index < static_cast<int>(bound->steps.size()) &&
           bound->steps[static_cast<size_t>(index)]->config().kind == "publish";
  };
  Transition t;
  t.post = std::move(claimed);
  // Most transitions write one to three entries; three fit glibc's per-thread cache of small
  // blocks, four do not.
  t.audit.reserve(3);
  t.expected_claim_seq = t.post.claim_seq;  // the store still holds this claim throughout
  process(t, now_ms, events, unflushed);
  ++steps_run;
  // Carry on while the post advanced to a step that is neither a publish step nor right after
  // one: a publish starts only once its in_flight state is committed, and its result is
  // committed before anything else happens to the post. A step that offers flush ends the
  // post's round too: its outcome stands only once the round's flush succeeded.
  while (t.post.state == PostState::in_flight && !unflushed && !is_publish(t.post.step_index - 1) &&
         !is_publish(t.post.step_index)) {
    t.post.claim_seq = t.expected_claim_seq;
    t.post.claimed_from = PostState::ready;
    process(t, now_ms, nullptr, unflushed);  // a step not yet reached has no events
    ++steps_run;
  }
  return t;
}

bool Engine::at_publish_step(const Post& post) const {
  const BoundWorkflow* bound = workflow(post.workflow);
  return bound && post.step_index >= 0 && post.step_index < static_cast<int>(bound->steps.size()) &&
         bound->steps[static_cast<size_t>(post.step_index)]->config().kind == "publish";
}

void Engine::publish_all(std::vector<Post>& posts, const std::vector<size_t>& publishing,
                         int64_t now_ms, const std::map<int64_t, std::vector<PostEvent>>& events,
                         std::vector<Transition>& slots,
                         std::vector<std::unique_ptr<Unflushed>>& unflushed, int64_t& steps_run) {
  std::map<std::string, std::vector<size_t>> by_account;
  for (size_t i : publishing) {
    by_account[posts[i].account].push_back(i);
    // Each worker updates only its own account's entry; none is added while they run.
    account_limits_.try_emplace(posts[i].account, 0);
    text_limits_.try_emplace(posts[i].account, 0);
  }
  std::vector<int64_t> steps(by_account.size(), 0);
  std::vector<std::function<void()>> tasks;
  tasks.reserve(by_account.size());
  size_t task = 0;
  for (const auto& [account, indexes] : by_account) {
    tasks.emplace_back([&, task, indexes = &indexes] {
      for (size_t i : *indexes) {
        auto found = events.find(posts[i].id);
        // unflushed[i] is this task's alone.
        Transition decided =
            run_steps(std::move(posts[i]), now_ms, found == events.end() ? nullptr : &found->second,
                      steps[task], unflushed[i]);
        // Into the post's place in the round, which planned() reads from other workers.
        std::lock_guard lock(plan_mutex_);
        slots[i] = std::move(decided);
      }
    });
    ++task;
  }
  // More accounts than workers: the pool hands out one account at a time.
  pool_.run_all(tasks);
  for (int64_t n : steps) steps_run += n;
}

Result<Engine::Committed> Engine::commit_round(std::vector<Transition>& decided, int64_t now_ms,
                                               bool starting) {
  size_t carried = 0;
  for (const Transition& t : decided) carried += t.post.state == PostState::in_flight;
  // A worker with nothing under way claims a quarter batch first: nothing runs until that
  // claim is committed, and the full batches that follow are claimed while steps run.
  const int room =
      starting ? std::max(1, batch_size_ / 4) : batch_size_ - static_cast<int>(carried);
  int64_t lost = 0;
  // The transaction stays open while the next round's inputs are read in it.
  Result<std::vector<Post>> claimed = store_.write_and_claim(decided, now_ms, room, lease_, &lost);
  if (!claimed) return claimed.status();
  struct OpenTransaction {  // rolled back if a read fails
    Store& store;
    bool open = true;
    ~OpenTransaction() {
      if (open) store.rollback_open();
    }
  } transaction{store_};
  Committed round;
  round.lost = lost;
  // Hand-backs are not transitions; a lost one (rare) is counted as a lost transition.
  for (const Transition& t : decided) round.transitions += !t.handed_back;
  round.transitions = std::max<int64_t>(0, round.transitions - lost);
  // The posts carried on (unless a transition was lost: then none, to be safe), then the
  // posts claimed.
  const bool carry = carried > 0 && lost == 0;
  if (carry) round.next.reserve(carried + claimed->size());
  for (Transition& t : decided) {
    count_finished(t.post.state, round.finished);
    if (t.post.state == PostState::in_flight && carry) round.next.push_back(std::move(t.post));
  }
  round.written = std::move(decided);  // destroyed by the caller, off this thread
  decided.clear();
  if (carry)
    for (Post& p : *claimed) round.next.push_back(std::move(p));
  else
    round.next = std::move(*claimed);
  if (!round.next.empty()) {
    RoundInputs& in = round.inputs;
    Result<std::map<int64_t, std::vector<PostEvent>>> events = store_.events_for_posts(round.next);
    if (!events) return events.status();
    in.events = std::move(*events);
    // A pause that began after these posts were claimed (or while they moved on to their next
    // step) stops them: they go back untouched, and the claim query leaves them alone.
    Result<std::vector<Pause>> pauses = store_.active_pauses();
    if (!pauses) return pauses.status();
    in.pauses = std::move(*pauses);
    Result<std::map<std::string, int64_t>> limits = store_.account_limits(now_ms);
    if (!limits) return limits.status();
    in.account_limits = std::move(*limits);
    Result<std::map<std::string, int64_t>> text_limits = store_.text_limits();
    if (!text_limits) return text_limits.status();
    in.text_limits = std::move(*text_limits);
    Result<std::map<std::string, std::vector<std::string>>> advocates = store_.advocates();
    if (!advocates) return advocates.status();
    in.advocates = std::move(*advocates);
  }
  transaction.open = false;
  if (Status committed = store_.commit_open(); !committed) return committed;
  return round;
}

std::vector<Transition> Engine::run_round(std::vector<Post>& posts, RoundInputs& inputs,
                                          int64_t now_ms, int64_t& steps_run) {
  // The limits read with these posts, and those this worker learned since: the transaction
  // that read them may have been written before the last round's limits were.
  std::erase_if(account_limits_, [&](const auto& known) { return known.second <= now_ms; });
  for (const auto& [account, until] : inputs.account_limits) {
    int64_t& known = account_limits_[account];
    known = std::max(known, until);
  }
  text_limits_ = std::move(inputs.text_limits);
  advocates_ = std::move(inputs.advocates);
  std::vector<Transition> slots(posts.size());                      // in the order of `posts`
  std::vector<std::unique_ptr<Unflushed>> unflushed(posts.size());  // in the same order
  round_ = &slots;
  best_slots_.clear();
  std::vector<size_t> publishing;  // the places of posts at a publish step
  for (size_t i = 0; i < posts.size(); ++i) {
    Post& post = posts[i];
    if (!inputs.pauses.empty() && pause_of(inputs.pauses, post.account)) {
      slots[i] = release(std::move(post), now_ms);
      continue;
    }
    if (pool_.size() > 1 && at_publish_step(post)) {
      publishing.push_back(i);  // after the others, accounts in parallel
      continue;
    }
    auto found = inputs.events.find(post.id);
    slots[i] =
        run_steps(std::move(post), now_ms, found == inputs.events.end() ? nullptr : &found->second,
                  steps_run, unflushed[i]);
  }
  if (!publishing.empty())
    publish_all(posts, publishing, now_ms, inputs.events, slots, unflushed, steps_run);
  // Every run of the round has returned; nothing of it is committed before this.
  flush_round(slots, unflushed, now_ms);
  round_ = nullptr;
  posts.clear();
  return slots;
}

void Engine::flush_round(std::vector<Transition>& slots,
                         std::vector<std::unique_ptr<Unflushed>>& unflushed, int64_t now_ms) {
  std::vector<const BoundStep*> steps;  // each once, in the order their posts came
  for (const std::unique_ptr<Unflushed>& u : unflushed)
    if (u && std::find(steps.begin(), steps.end(), u->step) == steps.end())
      steps.push_back(u->step);
  for (const BoundStep* step : steps) {
    const std::string& step_name = step->config().name;
    Post nobody;
    CallContext call;
    call.post = &nobody;
    call.config = &config_;
    call.clock = &clock_;
    call.plugin_name = step->plugin().name;
    call.step_name = step_name;
    if (step->flush(call) == HERALD_OK) continue;
    const std::string why =
        "step " + step_name + " (plugin " + step->plugin().name +
        ") could not make its work durable: " + (call.error.empty() ? "no message" : call.error);
    spdlog::error("{}; its posts of this round are taken as if it had crashed", why);
    const bool is_publish = step->config().kind == "publish";
    const int max = config_.engine.max_attempts;
    for (size_t i = 0; i < slots.size(); ++i) {
      if (!unflushed[i] || unflushed[i]->step != step) continue;
      // Back to the post as the step found it: nothing the step decided or made stands.
      Unflushed& before = *unflushed[i];
      Transition& t = slots[i];
      t.post = std::move(before.post);
      t.audit.resize(before.audit);
      t.emitted.resize(before.emitted);
      t.spawned.resize(before.spawned);
      t.spawned_audit.resize(before.spawned_audit);
      const PostState from = t.post.claimed_from;
      t.post.attempt += 1;
      t.post.expects.clear();
      if (is_publish) {
        // The post may be on the network now, or not: it is looked for before anything else,
        // and never failed for running out of attempts (as after a crash mid-call).
        const bool used_up = t.post.attempt >= max;
        if (used_up) t.post.attempt = max;
        t.post.wake_ms =
            now_ms + (used_up ? config_.engine.max_retry_delay_ms : backoff_ms(t.post.attempt));
        finish(t, from, PostState::unconfirmed, "retry", step_name,
               why + " (attempt " + std::to_string(t.post.attempt) + " of " + std::to_string(max) +
                   "; looked for again at " + format_utc(t.post.wake_ms) + ")",
               now_ms);
      } else if (t.post.attempt >= max) {
        finish(t, from, PostState::failed, "fail", step_name,
               "gave up after " + std::to_string(t.post.attempt) + " attempts: " + why, now_ms);
      } else {
        t.post.wake_ms = now_ms + backoff_ms(t.post.attempt);
        finish(t, from, PostState::ready, "retry", step_name,
               why + " (attempt " + std::to_string(t.post.attempt) + " of " + std::to_string(max) +
                   ", next at " + format_utc(t.post.wake_ms) + ")",
               now_ms);
      }
    }
  }
}

Status Engine::recover_dead_workers(int64_t now_ms) {
  if (!journal_ || journal_->in_memory()) return Status::ok();
  const std::string location = store_.location();
  for (const DeadWorker& worker :
       StepJournal::dead_workers(StepJournal::directory_for(location), lease_.owner)) {
    if (worker.owner.empty()) {  // not a journal this Herald can read
      StepJournal::forget(worker);
      continue;
    }
    std::vector<Transition> struck;
    for (const JournalEntry& e : worker.running) {
      std::string cause;
      if (e.signal != 0)
        cause = "crashed the worker (" + signal_name(e.signal) + ")";
      else if (e.overdue)
        cause = "ran past its deadline of " + std::to_string(e.deadline_s) +
                " s and the worker was stopped";
      else
        continue;  // stopped from outside while the step ran: not the post's doing
      Result<std::optional<Post>> found = store_.find_post(e.post_id);
      if (!found) return found.status();
      if (!found->has_value()) continue;
      Post& post = **found;
      if (post.state != PostState::in_flight || post.lease_owner != worker.owner ||
          post.claim_seq != e.claim_seq)
        continue;  // already taken up
      Transition t;
      t.expected_claim_seq = post.claim_seq;
      t.post = std::move(post);
      // Taking the claim over ends it (as rescue_owner does): another worker that read the
      // same journal before this commit loses its copy instead of counting the crash again.
      t.post.claim_seq += 1;
      t.post.attempt += 1;
      t.post.limited_since_ms = 0;  // the trail's newest entry is the crash, not a wait
      const int max = config_.engine.max_attempts;
      const std::string what = "step " + e.step + " (plugin " + e.plugin + ") " + cause;
      if (t.post.attempt >= max) {
        t.post.expects = {{"retry", ""}};
        finish(t, PostState::in_flight, PostState::quarantined, "quarantine", e.step,
               "quarantined: " + what + ", " + std::to_string(t.post.attempt) +
                   " time(s); other posts go on. Fix or remove the plugin, then release the "
                   "post with `herald retry CONFIG " +
                   std::to_string(t.post.id) + " --as PERSON`",
               now_ms);
      } else {
        t.post.wake_ms = now_ms + backoff_ms(t.post.attempt);
        const PostState next =
            t.post.step_kind == "publish" ? PostState::unconfirmed : PostState::ready;
        finish(t, PostState::in_flight, next, "crash", e.step,
               what + " (attempt " + std::to_string(t.post.attempt) + " of " + std::to_string(max) +
                   ", next at " + format_utc(t.post.wake_ms) + ")",
               now_ms);
      }
      struck.push_back(std::move(t));
    }
    if (!struck.empty()) {
      int64_t lost = 0;
      Result<std::vector<Post>> written = store_.commit_and_claim(struck, now_ms, 0, lease_, &lost);
      if (!written) return written.status();
    }
    Result<int64_t> rescued = store_.rescue_owner(worker.owner, now_ms);
    if (!rescued) return rescued.status();
    spdlog::warn("worker {} (pid {}) stopped{}; took up {} post(s), {} of them counted an attempt",
                 worker.owner, worker.pid,
                 worker.signal ? " with " + signal_name(worker.signal) : std::string(),
                 *rescued + static_cast<int64_t>(struck.size()), struck.size());
    StepJournal::forget(worker);
  }
  return Status::ok();
}

void Engine::watch(const RunOptions& options, const std::atomic<bool>* stop) {
  bool told_waiting = false;
  std::unique_lock lock(watch_mutex_);
  while (!watch_wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return watch_done_; })) {
    const bool stopping = stop && stop->load();
    for (const StepJournal::Overdue& late : journal_->check_deadlines()) {
      const std::string what = "post " + std::to_string(late.post_id) + ": step " + late.step +
                               " (plugin " + late.plugin + ") has run past its deadline of " +
                               std::to_string(late.deadline_s) + " s";
      spdlog::error("{}; {}", what,
                    options.abandon && (options.abandon_overdue_steps || stopping)
                        ? "abandoning it: the next worker takes up the post"
                        : "the post is tried again when it returns");
      if (options.abandon && (options.abandon_overdue_steps || stopping)) options.abandon(what);
    }
    if (!stopping) continue;
    const int running = journal_->running() + isolated_running_.load();
    if (running > 0 && options.stop_now && options.stop_now->load() && options.abandon)
      options.abandon(std::to_string(running) + " step(s) still running when told to stop now");
    if (running > 0 && !told_waiting) {
      told_waiting = true;
      spdlog::warn("stopping once the {} step(s) running return (or pass their deadline)", running);
    }
  }
}

Result<RunSummary> Engine::run(const RunOptions& options, const std::atomic<bool>* stop) {
  RunSummary summary;
  // Which step runs is written down where a crash cannot erase it; the journal goes when the
  // run ends, after the watchdog below.
  struct JournalScope {
    std::unique_ptr<StepJournal>& journal;
    ~JournalScope() { journal.reset(); }
  } journal_scope{journal_};
  if (const std::string location = store_.location();
      !location.empty() && location != ":memory:" && location.rfind("file:", 0) != 0) {
    std::string error;
    journal_ = StepJournal::open(StepJournal::directory_for(location), lease_.owner, error);
    if (journal_)
      StepJournal::install_crash_handler();
    else
      spdlog::warn(
          "steps run without a journal ({}): a post whose step crashes this worker "
          "will not be told from the others",
          error);
  }
  // Without a file the journal is kept in memory: step deadlines and stopping still need it.
  if (!journal_) journal_ = StepJournal::open_in_memory(lease_.owner);
  std::thread watchdog;
  if (journal_) {
    watch_done_ = false;
    watchdog = std::thread([&] { watch(options, stop); });
  }
  struct WatchdogScope {
    Engine& engine;
    std::thread& thread;
    ~WatchdogScope() {
      if (!thread.joinable()) return;
      {
        std::lock_guard lock(engine.watch_mutex_);
        engine.watch_done_ = true;
      }
      engine.watch_wake_.notify_all();
      thread.join();
    }
  } watchdog_scope{*this, watchdog};
  if (Status recovered = recover_dead_workers(clock_.now_ms()); !recovered) return recovered;
  if (Result<int64_t> rescued = store_.rescue_expired(clock_.now_ms()); !rescued)
    return rescued.status();
  else if (*rescued > 0)
    spdlog::warn("took up {} post(s) whose worker stopped while running a step", *rescued);

  // Each round's transaction writes what the round before decided, claims more posts and reads
  // what the next round needs. While it runs and commits, on another thread, the steps run of
  // the posts the transaction before made durable: those it claimed, and those carried on to
  // (or past) a publish step. So a post's step runs only once its claim, or its last step's
  // outcome, is committed (see docs/architecture.md), and the store's work and the steps' work
  // share two cores.
  std::vector<Transition> pending;  // decided, to be written by the next transaction
  std::vector<Post> ready;          // made durable by the last transaction, to run next
  RoundInputs inputs;               // read for `ready` in that transaction
  std::vector<Transition> written;  // written by the last transaction, to be freed
  int64_t next_rescue = clock_.now_ms() + config_.engine.lease_ms;
  int64_t next_periodic = clock_.now_ms() + periodic_every_ms_;
  // Claims of a worker that stopped are taken over once their lease has expired: whenever this
  // worker is idle, and at least once per lease period while it is busy.
  auto rescue = [&](int64_t now) -> Result<int64_t> {
    if (Status recovered = recover_dead_workers(now); !recovered) return recovered;
    Result<int64_t> rescued = store_.rescue_expired(now);
    if (rescued && *rescued > 0) spdlog::warn("took up {} post(s) whose lease expired", *rescued);
    next_rescue = now + config_.engine.lease_ms;
    return rescued;
  };
  while (!(stop && stop->load())) {
    int64_t now = clock_.now_ms();
    lease_.expires_ms = now + config_.engine.lease_ms;
    std::vector<Transition> decided;
    Result<Committed> committed = [&] {
      if (ready.empty()) return commit_round(pending, now, pending.empty());
      std::future<Result<Committed>> committing =
          std::async(std::launch::async, [&] { return commit_round(pending, now, false); });
      ++summary.rounds;
      written.clear();  // the last round's transitions, freed here while the store works
      decided = run_round(ready, inputs, now, summary.steps_run);
      return committing.get();
    }();
    // A failed commit keeps nothing of its transaction: what this round decided rests on it.
    if (!committed) return committed.status();
    summary.transitions += committed->transitions;
    summary.finished += committed->finished.finished;
    summary.done += committed->finished.done;
    summary.rejected += committed->finished.rejected;
    summary.failed += committed->finished.failed;
    if (committed->lost > 0)
      spdlog::warn("{} transition(s) dropped: their claim was taken over", committed->lost);
    pending = std::move(decided);
    written = std::move(committed->written);
    ready = std::move(committed->next);
    inputs = std::move(committed->inputs);
    if (periodic_ && now >= next_periodic) {  // no transaction is in flight here
      periodic_();
      next_periodic = now + periodic_every_ms_;
    }

    if (!ready.empty() || !pending.empty()) {
      if (now >= next_rescue)
        if (Result<int64_t> rescued = rescue(now); !rescued) return rescued.status();
      if (options.max_rounds > 0 && summary.rounds >= options.max_rounds) break;
      continue;
    }
    // Idle.
    Result<int64_t> rescued = rescue(now);
    if (!rescued) return rescued.status();
    if (*rescued > 0) continue;
    if (options.max_rounds > 0 && summary.rounds >= options.max_rounds) break;
    Result<std::optional<int64_t>> wake = store_.next_wake();
    if (!wake) return wake.status();
    if (clock_.is_virtual()) {
      if (!wake->has_value()) {  // nothing left that time can wake
        if (options.until_ms > clock_.now_ms()) clock_.advance_to(options.until_ms);
        break;
      }
      if (options.until_ms > 0 && **wake > options.until_ms) {
        clock_.advance_to(options.until_ms);
        break;
      }
      clock_.advance_to(**wake);
      continue;
    }
    if (options.until_idle) break;
    int64_t at = wake->value_or(now + 1000);
    clock_.advance_to(std::min(at, now + 1000));  // poll for events from other processes
  }
  if (!pending.empty() || !ready.empty()) {
    // Commit what the last round decided, and release the posts it would have carried on and
    // those made ready for the next round.
    const size_t decided = pending.size();
    int64_t handed_back = 0;
    for (const Transition& t : pending) handed_back += t.handed_back;
    for (Transition& t : pending) {
      if (t.post.state != PostState::in_flight) continue;
      t.post.state = PostState::ready;
      t.post.lease_owner.clear();
      t.post.lease_expires_ms = 0;
    }
    for (Post& post : ready) pending.push_back(release(std::move(post), clock_.now_ms()));
    int64_t lost = 0;
    Result<std::vector<Post>> last =
        store_.commit_and_claim(pending, clock_.now_ms(), 0, lease_, &lost);
    if (!last) return last.status();
    summary.transitions += std::max<int64_t>(0, static_cast<int64_t>(decided) - handed_back - lost);
    for (size_t i = 0; i < decided; ++i) count_finished(pending[i].post.state, summary);
  }
  if (periodic_) periodic_();
  return summary;
}

Transition Engine::defer(Post&& post, int64_t until_ms, int64_t now_ms) {
  Transition t = release(std::move(post), now_ms);
  t.post.wake_ms = until_ms;
  t.post.updated_ms = now_ms;
  t.post.reason =
      rate_limit_wait_reason(t.post.account, until_ms, t.post.state == PostState::unconfirmed);
  return t;
}

Transition Engine::release(Post&& post, int64_t now_ms) {
  Transition t;
  t.expected_claim_seq = post.claim_seq;
  t.post = std::move(post);
  t.handed_back = true;
  t.post.state = t.post.claimed_from;  // ready, waiting or unconfirmed: claimable again
  t.post.lease_owner.clear();
  t.post.lease_expires_ms = 0;
  if (t.post.wake_ms == 0) t.post.wake_ms = now_ms;
  return t;
}

}  // namespace herald
