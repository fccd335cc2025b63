// Built-in approve step: an approval chain written as data. Ordered stages, each naming roles,
// teams or people and a quorum (any, all, N, "N of M"), each optionally conditional on the post
// and with a deadline and a late policy. Approvals are bound to the exact text they saw, the
// author never counts, and each person counts once per stage.
#include <herald/json.hpp>
#include <herald/plugin.hpp>

#include "common/governance.hpp"

#include <algorithm>
#include <set>

namespace {

using herald::builtin::Deadline;
using herald::builtin::describe_who;
using herald::builtin::join;
using herald::builtin::LatePolicy;
using herald::builtin::MapItem;
using herald::builtin::PostCondition;

struct Stage {
  std::string name;
  std::vector<std::string> whos;  // role, "team:NAME", "person:ID"
  enum class Quorum { any, all, count } quorum = Quorum::any;
  int64_t count = 1;
  PostCondition when;
  Deadline deadline;
};

std::string plural(int64_t n, const std::string& word) {
  if (word == "person") return std::to_string(n) + (n == 1 ? " person" : " people");
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

class Chain : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 6> config_keys{{
      {"stages", HERALD_TYPE_MAP_LIST, 0, nullptr,
       "ordered stages: name, roles/teams/people, quorum, when, deadline, on_late, escalate_to"},
      {"role", HERALD_TYPE_STRING, 0, nullptr,
       "shorthand for one stage: the role whose members approve"},
      {"count", HERALD_TYPE_INT, 0, "1", "with `role`: how many different people must approve"},
      {"on_reject", HERALD_TYPE_STRING, 0, "revise",
       "revise (back to the author for an edit) or terminal"},
      {"templates", HERALD_TYPE_PATH, 0, nullptr,
       "pre-approved templates: an unchanged instance skips the chain (fast lane)"},
      {"notifier", HERALD_TYPE_STRING, 0, "outbox",
       "the notifier that tells the stage's approvers and escalate_to of an escalation"},
  }};

  explicit Chain(herald::Config& config) : notifier_(config.string("notifier")) {
    people_ = config.people();
    if (!config.has_notifier(notifier_))
      config.error("notifier", "no notifier '" + notifier_ +
                                   "' in the configuration; declare it under notifiers: with a "
                                   "plugin such as notify/webhook (outbox is built in)");
    std::optional<std::string> role = config.optional_string("role");
    const size_t stage_count = config.size("stages");
    // Every mistake is recorded (config.error) and the rest still checked, so that all of them
    // are shown at once.
    if (role && !role->empty() && stage_count > 0)
      config.error("role", "write either `role` (one stage) or `stages`, not both");
    if (role && !role->empty()) {
      Stage stage;
      stage.name = *role;
      stage.whos = {*role};
      stage.quorum = Stage::Quorum::count;
      stage.count = config.integer("count", 1);
      if (stage.count < 1) config.error("count", "count must be at least 1");
      check_pool(config, stage);
      stages_.push_back(std::move(stage));
    }
    for (size_t i = 0; i < stage_count; ++i) read_stage(config, i);
    if (stages_.empty() && stage_count == 0)
      config.error("stages", "the chain needs `stages` (or `role` for a single stage)");
    std::string on_reject = config.string("on_reject");
    if (on_reject != "revise" && on_reject != "terminal")
      config.error("on_reject", "expected revise or terminal, got '" + on_reject + "'");
    revise_on_reject_ = on_reject == "revise";
    if (auto path = config.optional_string("templates"); path && !path->empty())
      templates_ = herald::builtin::load_templates(*path);
  }

  void run(herald::Context& post) override {
    const std::string text = post.text();
    if (const auto* t = herald::builtin::match_template(templates_, text)) {
      post.advance("fast lane: an unchanged instance of pre-approved template '" + t->name +
                   "'; the approval chain is skipped");
      return;
    }
    const std::string author = post.author();
    const int64_t now = post.now_ms();
    int64_t stage_start = std::stoll("0" + post.field("step_since"));
    const std::vector<herald::Event> events = post.events();
    // The text's hash is needed only to check decisions that carry one.
    const bool any_bound = std::any_of(events.begin(), events.end(), [](const herald::Event& e) {
      return !e.content_hash.empty();
    });
    const std::string hash = any_bound ? post.content_hash() : std::string();

    std::vector<std::string> done;    // "marketing: mo, li"
    std::vector<std::string> voided;  // approvals of text that has changed since
    std::vector<std::string> skipped;
    for (const Stage& stage : stages_) {
      if (!stage.when.matches(post)) {
        skipped.push_back(stage.name + " (needs " + stage.when.describe() + ")");
        continue;
      }
      post.set_field("stage", stage.name);
      bool escalated = false;
      std::vector<std::string> counted;    // people, once each
      std::vector<std::string> approvers;  // as the audit shows them
      int64_t reached_at = 0;
      for (const herald::Event& e : events) {
        if (e.type == "escalated" && e.comment == stage.name) escalated = true;
        if (e.stage != stage.name || (e.type != "approve" && e.type != "reject")) continue;
        if (!e.content_hash.empty() && e.content_hash != hash) {
          voided.push_back(e.type + " by " + e.person() + " at " + stage.name);
          continue;
        }
        if (e.type == "reject") {
          std::string why = "rejected at stage " + stage.name + " by " + e.actor +
                            (e.on_behalf.empty() ? "" : " (for " + e.on_behalf + ")") + ": " +
                            e.comment;
          if (revise_on_reject_)
            post.revise(why);
          else
            post.reject(why);
          return;
        }
        const std::string& who = e.person();
        if (who == author || e.actor == author) continue;  // four eyes, whatever the host said
        if (std::find(counted.begin(), counted.end(), who) != counted.end()) continue;
        counted.push_back(who);
        approvers.push_back(e.on_behalf.empty() ? who : who + " (by " + e.actor + ")");
        reached_at = e.at_ms;
      }
      std::vector<std::string> whos = stage.whos;
      if (escalated) whos.push_back(stage.deadline.escalate_to);
      int64_t pool = eligible(whos, author);
      int64_t needed = stage.quorum == Stage::Quorum::any   ? 1
                       : stage.quorum == Stage::Quorum::all ? eligible(stage.whos, author)
                                                            : stage.count;
      if (static_cast<int64_t>(approvers.size()) >= needed && needed > 0) {
        done.push_back(stage.name + ": " + join(approvers));
        stage_start = std::max(stage_start, reached_at);
        continue;
      }
      // This stage waits.
      for (const auto& who : whos) {
        post.expect("approve", who);
        post.expect("reject", who);
      }
      int64_t missing = needed - static_cast<int64_t>(approvers.size());
      std::string from;
      for (const auto& who : whos) from += (from.empty() ? "" : " or ") + describe_who(who);
      std::string status =
          "stage " + stage.name + " needs " + plural(missing, "more approval") + " from " + from;
      if (!approvers.empty()) status += " (approved so far by " + join(approvers) + ")";
      if (!voided.empty()) status += "; no longer counted, the text changed since: " + join(voided);
      if (pool < missing || needed <= 0) {
        post.hold("stage " + stage.name + " cannot be approved: only " + plural(pool, "person") +
                  " other than the author " + (pool == 1 ? "is" : "are") + " eligible");
        return;
      }
      if (stage.deadline.after_ms == 0) {
        post.wait_for_event(status);
        return;
      }
      const int64_t due = stage_start + stage.deadline.after_ms;
      if (now < due) {
        post.wait_until(due, status + "; due " + herald::builtin::format_instant(due));
        return;
      }
      std::string late = "stage " + stage.name + " was due " + herald::builtin::format_instant(due);
      switch (stage.deadline.policy) {
        case LatePolicy::hold: post.hold("late: " + late + "; " + status); return;
        case LatePolicy::expire: post.reject("expired: " + late + " and was not approved"); return;
        case LatePolicy::publish:
          post.advance("approval late: " + late + "; going ahead without it as configured (" +
                       status + ")");
          return;
        case LatePolicy::escalate:
          if (!escalated) {
            // escalate_to may approve from now on, also while a notice waits for its notifier.
            post.expect("approve", stage.deadline.escalate_to);
            post.expect("reject", stage.deadline.escalate_to);
            from += " or " + describe_who(stage.deadline.escalate_to);
            const std::string waiting = herald::builtin::tell_of_escalation(
                post, notifier_, people_, stage.whos, stage.deadline.escalate_to,
                "stage " + stage.name, late);
            if (!waiting.empty()) {
              post.wait_until(now + herald::builtin::kNoticeRetryMs,
                              "escalated to " + describe_who(stage.deadline.escalate_to) + ": " +
                                  late + "; stage " + stage.name + " needs " +
                                  plural(missing, "more approval") + " from " + from + "; " +
                                  waiting);
              return;
            }
            post.emit("escalated", stage.name);
            post.emit("notify", herald::json_line({{"event", "escalated"},
                                                   {"stage", stage.name},
                                                   {"to", stage.deadline.escalate_to},
                                                   {"post", std::stoll(post.id())}}));
          }
          post.wait_for_event("escalated to " + describe_who(stage.deadline.escalate_to) + ": " +
                              late + "; stage " + stage.name + " needs " +
                              plural(missing, "more approval") + " from " + from);
          return;
      }
    }
    std::string note =
        done.empty() ? "no stage applies to this post" : "approved: " + join(done, "; ");
    if (!skipped.empty()) note += "; stages not needed: " + join(skipped);
    post.set_field("stage", "");
    post.advance(note);
  }

 private:
  /// The people `whos` names, except `except` (the author), in configuration order.
  std::vector<std::string> named(const std::vector<std::string>& whos,
                                 const std::string& except = "") const {
    std::vector<std::string> ids;
    for (const herald::Person& p : people_) {
      if (p.id == except) continue;
      for (const auto& who : whos)
        if (herald::builtin::person_is(p, who)) {
          ids.push_back(p.id);
          break;
        }
    }
    return ids;
  }
  int64_t eligible(const std::vector<std::string>& whos, const std::string& author) const {
    return static_cast<int64_t>(named(whos, author).size());
  }

  /// Why `who` cannot approve anything at `stage` (nobody has the role, no such person), or "".
  std::string unknown_who(const Stage& stage, const std::string& who) const {
    if (herald::builtin::anyone_is(people_, who)) return "";
    return "stage '" + stage.name + "': " +
           (who.rfind("person:", 0) == 0 ? "'" + who.substr(7) + "' is not one of `people`"
                                         : "nobody has " + describe_who(who)) +
           "; add them under `people` (or `teams`)";
  }

  static std::string too_few(const Stage& stage, int64_t needed,
                             const std::vector<std::string>& names) {
    return "stage '" + stage.name + "' needs " + plural(needed, "approval") + " but only " +
           plural(static_cast<int64_t>(names.size()), "person") + " can give one (" + join(names) +
           ")";
  }

  /// The `role` shorthand: one stage, checked like a stage of `stages`.
  void check_pool(const herald::Config& config, const Stage& stage) const {
    for (const auto& who : stage.whos)
      if (std::string problem = unknown_who(stage, who); !problem.empty())
        config.error("role", problem);
    std::vector<std::string> names = named(stage.whos);
    if (stage.count > static_cast<int64_t>(names.size()))
      config.error("role", too_few(stage, stage.count, names));
  }

  void read_stage(herald::Config& config, size_t index) {
    std::string path = "stages[" + std::to_string(index) + "]";
    MapItem item(config, path,
                 {"name", "roles", "teams", "people", "quorum", "when", "deadline", "on_late",
                  "escalate_to"});
    Stage stage;
    stage.name = item.string("name").value_or("stage " + std::to_string(index + 1));
    if (stage.name.empty()) item.error("name", "a stage's name cannot be empty (or leave it out)");
    for (const Stage& other : stages_)
      if (other.name == stage.name) item.error("name", "stage '" + stage.name + "' is named twice");
    for (const auto& role : item.strings("roles")) stage.whos.push_back(role);
    for (const auto& team : item.strings("teams")) stage.whos.push_back("team:" + team);
    for (const auto& person : item.strings("people")) stage.whos.push_back("person:" + person);
    if (stage.whos.empty())
      item.error("", "stage '" + stage.name + "' names nobody: give roles, teams or people");
    // Check the names before the quorum, so the error says which name is wrong.
    for (const auto& who : stage.whos)
      if (std::string problem = unknown_who(stage, who); !problem.empty())
        item.error(who.rfind("person:", 0) == 0 ? "people"
                   : who.rfind("team:", 0) == 0 ? "teams"
                                                : "roles",
                   problem);
    const std::vector<std::string> names = named(stage.whos);
    const int64_t pool = static_cast<int64_t>(names.size());
    std::string quorum = item.string("quorum").value_or("any");
    if (quorum == "any") {
      stage.quorum = Stage::Quorum::any;
    } else if (quorum == "all") {
      stage.quorum = Stage::Quorum::all;
    } else {
      int64_t n = 0, m = 0;
      char rest = 0;
      int fields = std::sscanf(quorum.c_str(), "%ld of %ld%c", &n, &m, &rest);
      const bool whole_number = quorum.find_first_not_of("0123456789") == std::string::npos;
      if (!((fields == 1 && whole_number) || fields == 2) || n < 1)
        item.error("quorum", "quorum '" + quorum + "' is not any, all, N or 'N of M'");
      else if (fields == 2 && m != pool)
        item.error("quorum", "quorum '" + quorum + "' says " + std::to_string(m) + " people, but " +
                                 std::to_string(pool) + " can approve (" + join(names) +
                                 "); write '" + std::to_string(n) + " of " + std::to_string(pool) +
                                 "' or just '" + std::to_string(n) + "'");
      else if (n > pool)
        item.error("quorum", too_few(stage, n, names));
      stage.quorum = Stage::Quorum::count;
      stage.count = n;
    }
    stage.when = item.condition("when");
    if (auto deadline = item.string("deadline")) {
      auto ms = herald::builtin::parse_duration(*deadline);
      if (!ms)
        item.error("deadline", "'" + *deadline + "' is not a duration like 30m, 4h or 2d");
      else
        stage.deadline.after_ms = *ms;
    }
    if (auto policy = item.string("on_late")) {
      auto parsed = herald::builtin::parse_late_policy(*policy);
      if (!parsed)
        item.error("on_late", "expected hold, expire, escalate or publish");
      else if (stage.deadline.after_ms == 0 && !item.has("deadline"))
        item.error("on_late", "on_late needs a `deadline`");
      if (parsed) stage.deadline.policy = *parsed;
    }
    if (auto to = item.string("escalate_to")) {
      if (!herald::builtin::anyone_is(people_, *to))
        item.error("escalate_to", "nobody has " + describe_who(*to) + " to escalate to");
      stage.deadline.escalate_to = *to;
    }
    if (stage.deadline.policy == LatePolicy::escalate && stage.deadline.escalate_to.empty())
      item.error("on_late",
                 "on_late: escalate needs `escalate_to` (a role, team:NAME or person:ID)");
    stages_.push_back(std::move(stage));
  }

  std::string notifier_;
  std::vector<herald::Person> people_;
  std::vector<Stage> stages_;
  bool revise_on_reject_ = true;
  std::vector<herald::builtin::Template> templates_;
};

}  // namespace

HERALD_PLUGIN(
    "approve", "0.2.0", "Apache-2.0",
    HERALD_COMPONENT(Chain, HERALD_KIND_APPROVE, "chain",
                     "approval chain: ordered stages with quorums, conditions, deadlines; "
                     "approvals bound to the exact text; the author never counts"))
