// Built-in schedule steps.
// - at: publish at the requested instant (stored in UTC with the zone it was meant in), or now.
// - cadence: per-account rhythm (daily cap, minimum gap, allowed days and hours in the audience's
//   zones, weekly slots, best times from engagement history) and blackouts. See
//   docs/scheduling.md.
#include "common/governance.hpp"
#include "schedule/cadence.hpp"

#include <herald/plugin.hpp>

#include <map>

namespace {

using herald::builtin::format_duration;
using herald::builtin::MapItem;
using herald::builtin::parse_duration;
namespace sched = herald::schedule;

class PublishAt : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 1> config_keys{{
      {"delay_minutes", HERALD_TYPE_INT, 0, "0",
       "minimum time between approval and publication, for posts without a time"},
  }};

  explicit PublishAt(herald::Config& config) {
    const int64_t minutes = config.integer("delay_minutes");
    // A year: a longer delay is a mistyped number, not a plan.
    if (minutes < 0 || minutes > 366 * 1440)
      config.error("delay_minutes", "delay_minutes must be from 0 to 527040 (a year), got " +
                                        std::to_string(minutes));
    else
      delay_ms_ = minutes * 60'000;
  }

  void run(herald::Context& post) override {
    int64_t now = post.now_ms();
    int64_t requested = std::stoll("0" + post.field("publish_at"));
    if (requested > now) {
      post.set_plan(requested, "the requested time");
      post.wait_until(requested, "scheduled (" + post.field("zone") + ")");
      return;
    }
    // Without a requested time, wait out the delay once: a post this step woke from its wait
    // has served it.
    if (requested == 0 && delay_ms_ > 0 && post.field("claimed_from") != "waiting") {
      post.set_plan(now + delay_ms_, "after the configured delay");
      post.wait_until(now + delay_ms_, "publishing after the configured delay");
      return;
    }
    if (std::stoll("0" + post.field("planned_at")) == 0) post.set_plan(now, "as soon as approved");
    post.advance();
  }

 private:
  int64_t delay_ms_ = 0;
};

/// A duration setting that may also be "0".
int64_t duration_setting(const std::string& text, const std::string& where) {
  if (text == "0" || text.empty()) return 0;
  std::optional<int64_t> ms = parse_duration(text);
  if (!ms)
    throw std::invalid_argument(where + ": cannot read the duration '" + text +
                                "'; write 90m, 2h, 1d or 0");
  return *ms;
}

class Cadence : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 11> config_keys{{
      {"per_day", HERALD_TYPE_INT, 0, "0",
       "most posts per account per day (in the main audience's zone); 0: no cap"},
      {"min_gap", HERALD_TYPE_STRING, 0, "0", "least time between two posts of an account (2h)"},
      {"days", HERALD_TYPE_STRING_LIST, 0, nullptr,
       "days posts may go out (mon-fri, weekends, sat, ...); default every day"},
      {"hours", HERALD_TYPE_STRING, 0, "00:00-24:00",
       "hours posts may go out, in each audience's zone (08:00-20:00)"},
      {"slots", HERALD_TYPE_STRING_LIST, 0, nullptr,
       "weekly slots posts without a time take ('weekdays 09:00 17:00 America/New_York')"},
      {"best_slots", HERALD_TYPE_INT, 0, "0",
       "also take this many best slots suggested from the account's engagement history"},
      {"blackouts", HERALD_TYPE_MAP_LIST, 0, nullptr,
       "times nothing goes out: {name, from, to} or {name, days, hours} or {name, dates}"},
      {"accounts", HERALD_TYPE_MAP_LIST, 0, nullptr,
       "per-account settings: {account, per_day, min_gap, days, hours, slots, best_slots}"},
      {"urgent_role", HERALD_TYPE_STRING, 0, "",
       "who may send a post at a requested time that breaks the cadence (herald urgent)"},
      {"late_after", HERALD_TYPE_STRING, 0, "15m",
       "a post this late for its slot (a pause, a stopped worker) counts as having missed it"},
      {"on_missed", HERALD_TYPE_STRING, 0, "next_slot",
       "what a post that missed its slot does: next_slot or publish"},
  }};

  explicit Cadence(herald::Config& config) {
    defaults_ = read_rules(config, "", defaults_);
    for (size_t i = 0; i < config.size("blackouts"); ++i)
      blackouts_.push_back(read_blackout(config, "blackouts[" + std::to_string(i) + "]"));
    std::vector<herald::Account> accounts = config.accounts();
    auto known_account = [&](const std::string& name) {
      for (const auto& a : accounts)
        if (a.name == name) return true;
      return false;
    };
    for (const sched::Blackout& b : blackouts_)
      for (const std::string& a : b.accounts)
        if (!known_account(a))
          config.error("blackouts",
                       "blackout '" + b.name + "' names the unknown account '" + a + "'");
    for (size_t i = 0; i < config.size("accounts"); ++i) {
      const std::string path = "accounts[" + std::to_string(i) + "]";
      MapItem item(config, path,
                   {"account", "per_day", "min_gap", "days", "hours", "slots", "best_slots"});
      std::vector<std::string> names = item.strings("account");
      if (names.empty()) item.error("", "each entry needs `account` (a name or a list)");
      sched::Rules rules = read_rules(config, path + ".", defaults_);
      for (const std::string& name : names) {
        if (!known_account(name)) item.error("account", "unknown account '" + name + "'");
        if (per_account_.count(name))
          item.error("account", "account '" + name + "' is listed twice");
        per_account_[name] = rules;
      }
    }
    // Rules that can never be met, and rules that need a zone an account lacks, are errors now
    // rather than posts that never go out (once the rules themselves read without a mistake).
    std::vector<const sched::Blackout*> every_blackout;
    for (const auto& b : blackouts_) every_blackout.push_back(&b);
    for (const herald::Account& account :
         config.errors() == 0 ? accounts : std::vector<herald::Account>{}) {
      const sched::Rules& rules = rules_for(account.name);
      std::string why = rules.impossible(every_blackout);
      if (!why.empty())
        config.error(per_account_.count(account.name) ? "accounts" : "days",
                     "the cadence of account " + account.name + " can never be met: " + why);
      bool needs_zone = rules.restricts_time() || !rules.slots.empty() || rules.per_day > 0;
      if (needs_zone && account.audiences.empty())
        config.error("hours", "account " + account.name +
                                  " has no timezone or audiences, and its cadence is read in its "
                                  "audience's zone; give the account `timezone:` (or "
                                  "`audiences:`)");
    }
    urgent_role_ = config.string("urgent_role");
    if (!urgent_role_.empty()) {
      bool someone = false;
      for (const herald::Person& p : config.people())
        for (const std::string& role : p.roles) someone = someone || role == urgent_role_;
      if (!someone) config.error("urgent_role", "nobody has the role '" + urgent_role_ + "'");
    }
    late_after_ms_ = duration_setting(config.string("late_after"), config.where("late_after"));
    const std::string on_missed = config.string("on_missed");
    if (on_missed != "next_slot" && on_missed != "publish")
      config.error("on_missed", "unknown policy '" + on_missed + "'; use next_slot or publish");
    publish_missed_ = on_missed == "publish";
  }

  void run(herald::Context& post) override {
    const int64_t now = post.now_ms();
    const int64_t planned = std::stoll("0" + post.field("planned_at"));
    const int64_t requested = std::stoll("0" + post.field("publish_at"));
    const std::string account = post.account();
    bool urgent = false;
    std::string urgent_note;
    for (const herald::Event& e : post.events())
      if (e.type == "urgent") {
        urgent = true;
        urgent_note = "marked urgent by " + e.actor + (e.comment.empty() ? "" : ": " + e.comment);
      }

    std::string missed;
    if (planned > 0) {
      if (now < planned) {
        post.wait_until(planned, post.field("plan_note"));
        return;
      }
      if (now - planned <= late_after_ms_ || publish_missed_ || urgent) {
        post.advance();
        return;
      }
      missed = "missed its slot at " + herald::builtin::format_instant(planned) + " by " +
               format_duration(now - planned) + "; ";
    }

    sched::Situation s = situation(post, account, now);
    if (requested > 0 && missed.empty()) {
      if (requested < now - late_after_ms_) {
        missed = "its requested time " + herald::builtin::format_instant(requested) + " passed; ";
      } else {
        fill_others(post, s, requested - 2 * herald::zoned::kDay,
                    requested + 2 * herald::zoned::kDay);
        std::vector<std::string> why = sched::problems(s, requested);
        if (why.empty() || urgent) {
          plan(post, std::max(requested, now),
               urgent && !why.empty() ? "requested time; " + urgent_note
                                      : std::string("requested time, within the cadence"));
          return;
        }
        std::string reason =
            "the requested time breaks the cadence: " + herald::builtin::join(why, "; ");
        if (!urgent_role_.empty()) {
          post.expect("urgent", urgent_role_);
          reason += ". Someone with role " + urgent_role_ +
                    " can send it anyway (herald urgent); or edit the post";
        } else {
          reason += ". Edit the post, or set urgent_role on the schedule step to allow exceptions";
        }
        post.hold(reason);
        return;
      }
    }

    fill_others(post, s, now - 2 * herald::zoned::kDay, now + 37 * herald::zoned::kDay);
    std::optional<sched::Choice> choice = sched::next_free(s);
    if (!choice) {
      post.wait_until(now + herald::zoned::kDay,
                      missed + "no free slot in the next 35 days for account " + account +
                          "; looking again in a day");
      return;
    }
    plan(post, choice->at_ms, missed + choice->note);
  }

 private:
  static sched::Rules read_rules(herald::Config& config, const std::string& prefix,
                                 const sched::Rules& base) {
    sched::Rules rules = base;
    auto key = [&](const char* name) { return prefix + name; };
    auto present = [&](const char* name) {
      if (prefix.empty()) return true;
      std::string path = prefix.substr(0, prefix.size() - 1);
      for (const auto& k : config.keys(path))
        if (k == name) return true;
      return false;
    };
    // Each mistake is recorded (config.error) and the setting keeps what it had.
    if (present("per_day")) {
      const int64_t per_day = config.integer(key("per_day"));
      if (per_day < 0)
        config.error(key("per_day"), "per_day must be 0 or more");
      else
        rules.per_day = per_day;
    }
    if (present("min_gap")) {
      const std::string text = config.string(key("min_gap"));
      if (text == "0" || text.empty())
        rules.min_gap_ms = 0;
      else if (std::optional<int64_t> ms = parse_duration(text))
        rules.min_gap_ms = *ms;
      else
        config.error(key("min_gap"),
                     "cannot read the duration '" + text + "'; write 90m, 2h, 1d or 0");
    }
    std::string error;
    if (present("days") && config.size(key("days")) > 0) {
      std::optional<uint8_t> days = sched::parse_days(config.strings(key("days")), error);
      if (!days)
        config.error(key("days"), error);
      else if (*days == 0)
        config.error(key("days"), "no day allowed");
      else
        rules.days = *days;
    }
    if (present("hours") && !config.string(key("hours")).empty()) {
      std::optional<sched::Hours> hours = sched::parse_hours(config.string(key("hours")), error);
      if (!hours)
        config.error(key("hours"), error);
      else
        rules.hours = *hours;
    }
    if (present("slots") && config.size(key("slots")) > 0) {
      rules.slots.clear();
      for (const std::string& text : config.strings(key("slots"))) {
        std::optional<std::vector<sched::Slot>> slots = sched::parse_slots(text, error);
        if (!slots)
          config.error(key("slots"), error);
        else
          rules.slots.insert(rules.slots.end(), slots->begin(), slots->end());
      }
    }
    if (present("best_slots")) {
      const int64_t best = config.integer(key("best_slots"));
      if (best < 0 || best > 168)
        config.error(key("best_slots"), "best_slots must be between 0 and 168");
      else
        rules.best_slots = best;
    }
    return rules;
  }

  static sched::Blackout read_blackout(herald::Config& config, const std::string& path) {
    MapItem item(config, path,
                 {"name", "from", "to", "days", "hours", "dates", "zone", "accounts"});
    sched::Blackout b;
    b.name = item.string("name").value_or("");
    if (b.name.empty()) item.fail("", "each blackout needs a `name` (shown on held posts)");
    b.accounts = item.strings("accounts");
    b.zone = item.string("zone").value_or("");
    if (!b.zone.empty() && !herald::zoned::find_zone(b.zone))
      item.fail("zone", "unknown time zone '" + b.zone + "'");
    std::string error;
    if (item.has("from") || item.has("to")) {
      b.kind = sched::Blackout::Kind::window;
      auto from = sched::parse_local(item.string("from").value_or(""));
      auto to = sched::parse_local(item.string("to").value_or(""));
      if (!from) item.fail("from", "write the start as 2026-12-24 00:00 (local time)");
      if (!to) item.fail("to", "write the end as 2026-12-27 00:00 (local time)");
      if (*to <= *from) item.fail("to", "the blackout ends before it starts");
      b.from_local = *from;
      b.to_local = *to;
    } else if (item.has("dates")) {
      b.kind = sched::Blackout::Kind::yearly;
      std::string dates = item.string("dates").value_or("");
      size_t dots = dates.find("..");
      auto from = sched::parse_month_day(dates.substr(0, dots));
      auto to = dots == std::string::npos ? from : sched::parse_month_day(dates.substr(dots + 2));
      if (!from || !to) item.fail("dates", "write a day of the year as 12-25, or 12-24..12-26");
      b.from_day = *from;
      b.to_day = *to;
    } else if (item.has("days") || item.has("hours")) {
      b.kind = sched::Blackout::Kind::weekly;
      if (item.has("days")) {
        auto days = sched::parse_days(item.strings("days"), error);
        if (!days) item.fail("days", error);
        b.days = *days;
      }
      if (item.has("hours")) {
        auto hours = sched::parse_hours(item.string("hours").value_or(""), error);
        if (!hours) item.fail("hours", error);
        b.hours = *hours;
      }
    } else {
      item.fail("", "say when: from and to, days and/or hours, or dates");
    }
    return b;
  }

  const sched::Rules& rules_for(const std::string& account) const {
    auto it = per_account_.find(account);
    return it == per_account_.end() ? defaults_ : it->second;
  }

  sched::Situation situation(herald::Context& post, const std::string& account, int64_t now) {
    sched::Situation s;
    s.now_ms = now;
    s.rules = &rules_for(account);
    for (const herald::Audience& a : post.audiences())
      if (const date::time_zone* zone = herald::zoned::find_zone(a.zone))
        s.audiences.push_back({zone, a.share, a.zone});
    for (const sched::Blackout& b : blackouts_)
      if (b.applies_to(account)) s.blackouts.push_back(&b);
    s.slots = s.rules->slots;
    if (s.rules->best_slots > 0) {
      const std::string zone = post.field("account_zone");
      for (const herald::BestSlot& best :
           post.best_slots(static_cast<uint32_t>(s.rules->best_slots)))
        s.slots.push_back({static_cast<uint8_t>(1u << best.weekday), best.minute, zone,
                           "best time " +
                               std::string(kDayNames[static_cast<size_t>(best.weekday)]) + " " +
                               sched::format_clock(best.minute)});
    }
    return s;
  }

  static void fill_others(herald::Context& post, sched::Situation& s, int64_t from, int64_t to) {
    for (const herald::Planned& p : post.account_plan(from, to)) s.others.push_back(p.at_ms);
  }

  static void plan(herald::Context& post, int64_t at, const std::string& note) {
    post.set_plan(at, note);
    if (at <= post.now_ms())
      post.advance(note);
    else
      post.wait_until(at, note);
  }

  static constexpr std::array<const char*, 7> kDayNames = {"mon", "tue", "wed", "thu",
                                                           "fri", "sat", "sun"};

  sched::Rules defaults_;
  std::map<std::string, sched::Rules> per_account_;
  std::vector<sched::Blackout> blackouts_;
  std::string urgent_role_;
  int64_t late_after_ms_ = 0;
  bool publish_missed_ = false;
};

}  // namespace

HERALD_PLUGIN("schedule", "0.2.0", "Apache-2.0",
              HERALD_COMPONENT(PublishAt, HERALD_KIND_SCHEDULE, "at",
                               "publish at the requested time (time-zone aware), or now"),
              HERALD_COMPONENT(Cadence, HERALD_KIND_SCHEDULE, "cadence",
                               "per-account rhythm: caps, gaps, quiet hours, slots, best times, "
                               "blackouts"))
