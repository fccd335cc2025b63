// The built-in inbound steps, run in order on every mention of the company's accounts:
//   influence   scores a mention from followers, engagement and the company's VIP list, and
//               shows the formula with the mention's numbers;
//   moderation  stops abuse and trolls (words, RE2 patterns, repeat offenders): the mention is
//               ignored, muted, blocked or reported, never answered;
//   route       turns a support question into a reply draft on the support account, templated
//               (the fast lane) or left for a person to write.
#include <herald/plugin.hpp>

#include "common/governance.hpp"

#include <re2/re2.h>

#include <cmath>
#include <memory>

namespace {

using herald::builtin::MapItem;

/// A handle without its leading @, in lower case: how authors are compared.
std::string handle_key(std::string handle) {
  if (!handle.empty() && handle.front() == '@') handle.erase(0, 1);
  for (char& c : handle) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return handle;
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

/// Whole words (any case) and RE2 patterns; `match` says what matched.
class Matcher {
 public:
  /// Patterns are checked here: one RE2 rejects is an error at its place in the config.
  Matcher(const MapItem& item) {
    RE2::Options options;
    options.set_log_errors(false);
    std::vector<std::string> words = item.strings("words");
    if (!words.empty()) {
      std::string alternatives;
      for (const std::string& word : words)
        alternatives += (alternatives.empty() ? "" : "|") + RE2::QuoteMeta(word);
      expressions_.push_back(std::make_unique<RE2>(
          "(?i)(?:^|[^\\pL\\pN_])(" + alternatives + ")(?:$|[^\\pL\\pN_])", options));
    }
    for (const std::string& pattern : item.strings("patterns")) {
      RE2 written(pattern, options);
      if (!written.ok())
        item.fail("patterns", "'" + pattern + "' is not a valid RE2 pattern (" + written.error() +
                                  "); RE2 has no backreferences or lookaround, which keeps "
                                  "matching linear");
      expressions_.push_back(std::make_unique<RE2>("(" + pattern + ")", options));
    }
  }
  bool empty() const { return expressions_.empty(); }
  /// What matched in `text`, or nullopt.
  std::optional<std::string> match(const std::string& text) const {
    for (const auto& re : expressions_) {
      std::string found;
      if (RE2::PartialMatch(text, *re, &found)) return found;
    }
    return std::nullopt;
  }

 private:
  std::vector<std::unique_ptr<RE2>> expressions_;
};

/// A whole number of 1 or more at `key` of `item`.
int64_t positive(const MapItem& item, const std::string& key, int64_t fallback) {
  std::optional<std::string> text = item.string(key);
  if (!text) return fallback;
  char* end = nullptr;
  long long value = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || value < 1)
    item.fail(key, "expected a whole number of 1 or more, got '" + *text + "'");
  return value;
}

class Influence : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 4> config_keys{{
      {"followers_weight", HERALD_TYPE_DOUBLE, 0, "10", "× log10(1 + the author's followers)"},
      {"engagement_weight", HERALD_TYPE_DOUBLE, 0, "1",
       "× log10(1 + likes, reposts and replies the mention got)"},
      {"vip", HERALD_TYPE_STRING_LIST, 0, nullptr,
       "the company's own list of handles (any case, @ optional)"},
      {"vip_bonus", HERALD_TYPE_DOUBLE, 0, "100", "added for an author on the VIP list"},
  }};
  explicit Influence(herald::Config& config)
      : followers_weight_(config.number("followers_weight", 10)),
        engagement_weight_(config.number("engagement_weight", 1)),
        vip_bonus_(config.number("vip_bonus", 100)) {
    for (const std::string& handle : config.strings("vip")) vip_.push_back(handle_key(handle));
  }

  void run(herald::Context& context) override {
    const herald::InboundMention m = context.mention();
    const bool vip = std::find(vip_.begin(), vip_.end(), handle_key(m.author)) != vip_.end();
    const double score = followers_weight_ * std::log10(1.0 + static_cast<double>(m.followers)) +
                         engagement_weight_ * std::log10(1.0 + static_cast<double>(m.engagement)) +
                         (vip ? vip_bonus_ : 0.0);
    context.set_score(
        score, number(followers_weight_) + " × log10(1 + " + std::to_string(m.followers) +
                   " followers) + " + number(engagement_weight_) + " × log10(1 + " +
                   std::to_string(m.engagement) + " engagements)" +
                   (vip ? " + " + number(vip_bonus_) + " (VIP)" : "") + " = " + number(score));
  }

 private:
  double followers_weight_, engagement_weight_, vip_bonus_;
  std::vector<std::string> vip_;
};

class Moderation : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 1> config_keys{{
      {"rules", HERALD_TYPE_MAP_LIST, 1, nullptr,
       "checked in order, the first that fires decides: name, words, patterns (RE2), repeat "
       "{count, days}, action (ignore, mute, block or report)"},
  }};
  explicit Moderation(herald::Config& config) {
    const size_t count = config.size("rules");
    for (size_t k = 0; k < count; ++k) {
      MapItem item(config, "rules[" + std::to_string(k) + "]",
                   {"name", "words", "patterns", "repeat", "action"});
      Rule rule{item.string("name").value_or("rule " + std::to_string(k + 1)), Matcher(item)};
      if (item.has("repeat")) {
        MapItem repeat(config, item.path() + ".repeat", {"count", "days"});
        rule.repeat_count = positive(repeat, "count", 1);
        rule.repeat_days = positive(repeat, "days", 30);
      }
      if (rule.matcher.empty() && rule.repeat_count == 0)
        item.fail("", "a moderation rule needs `words`, `patterns` or `repeat`");
      static const std::vector<std::string> actions = {"ignore", "mute", "block", "report"};
      std::optional<std::string> action = item.string("action");
      if (!action) item.fail("", "missing `action` (ignore, mute, block or report)");
      if (std::find(actions.begin(), actions.end(), *action) == actions.end())
        item.fail("action", "unknown action '" + *action +
                                "'; an abusive mention is never answered: ignore, mute, block "
                                "or report");
      rule.action = *action;
      rules_.push_back(std::move(rule));
    }
  }

  void run(herald::Context& context) override {
    const herald::InboundMention m = context.mention();
    for (const Rule& rule : rules_) {
      if (std::optional<std::string> found = rule.matcher.match(m.text)) {
        context.stop(rule.action, "moderation '" + rule.name + "' (matched \"" + *found + "\")");
        return;
      }
      if (rule.repeat_count == 0) continue;
      int64_t times = context.mentions_stopped(m.at_ms - rule.repeat_days * 86'400'000);
      if (times >= rule.repeat_count) {
        context.stop(rule.action, "moderation '" + rule.name + "' (" + std::to_string(times) +
                                      " earlier " + (times == 1 ? "mention" : "mentions") +
                                      " stopped in " + std::to_string(rule.repeat_days) + " days)");
        return;
      }
    }
  }

 private:
  struct Rule {
    std::string name;
    Matcher matcher;
    int64_t repeat_count = 0;  // or: the author was stopped this often before ...
    int64_t repeat_days = 30;  // ... within this many days
    std::string action{};
  };
  std::vector<Rule> rules_;
};

class RouteStep : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 1> config_keys{{
      {"routes", HERALD_TYPE_MAP_LIST, 1, nullptr,
       "the first that matches decides: name, words, patterns (RE2), account, workflow, "
       "fast_workflow, author, template"},
  }};
  explicit RouteStep(herald::Config& config) {
    std::vector<std::string> accounts;
    for (const herald::Account& a : config.accounts()) accounts.push_back(a.name);
    std::vector<std::string> people;
    for (const herald::Person& p : config.people()) people.push_back(p.id);
    const size_t count = config.size("routes");
    for (size_t k = 0; k < count; ++k) {
      MapItem item(config, "routes[" + std::to_string(k) + "]",
                   {"name", "words", "patterns", "account", "workflow", "fast_workflow", "author",
                    "template"});
      Route route{item.string("name").value_or("route " + std::to_string(k + 1)), Matcher(item)};
      if (route.matcher.empty())
        item.fail("", "a route needs `words` or `patterns` (what sends a mention this way)");
      route.account = item.string("account").value_or("");
      route.workflow = item.string("workflow").value_or("");
      if (route.account.empty() || route.workflow.empty())
        item.fail("", "a route needs `account` (the reply's account) and `workflow`");
      route.fast_workflow = item.string("fast_workflow").value_or("");
      route.author = item.string("author").value_or("");
      route.templ = item.string("template").value_or("");
      if (std::find(accounts.begin(), accounts.end(), route.account) == accounts.end())
        item.fail("account", "unknown account '" + route.account + "'");
      for (const char* key : {"workflow", "fast_workflow"}) {
        std::string name = item.string(key).value_or("");
        if (!name.empty() && !config.has_workflow(name))
          item.fail(key, "unknown workflow '" + name + "'");
      }
      if (!route.author.empty() &&
          std::find(people.begin(), people.end(), route.author) == people.end())
        item.fail("author", "unknown person '" + route.author + "'");
      routes_.push_back(std::move(route));
    }
  }

  void run(herald::Context& context) override {
    const herald::InboundMention m = context.mention();
    for (const Route& route : routes_) {
      std::optional<std::string> found = route.matcher.match(m.text);
      if (!found) continue;
      const bool templated = !route.templ.empty();
      herald::Reply reply;
      reply.workflow =
          templated && !route.fast_workflow.empty() ? route.fast_workflow : route.workflow;
      reply.account = route.account;
      reply.author = route.author;
      reply.text = templated ? fill(route.templ, m) : "@" + handle_key(m.author) + " ";
      if (templated) reply.tags.push_back("templated");
      context.answer(reply, "route '" + route.name + "' (matched \"" + *found + "\")");
      return;
    }
  }

 private:
  struct Route {
    std::string name;
    Matcher matcher;
    std::string account{}, workflow{}, fast_workflow{}, author{};
    std::string templ{};  // "{author}" and "{text}" are filled in; "": a draft to write
  };
  static std::string fill(std::string text, const herald::InboundMention& m) {
    auto replace = [&](const std::string& key, const std::string& value) {
      for (size_t at = 0; (at = text.find(key, at)) != std::string::npos; at += value.size())
        text.replace(at, key.size(), value);
    };
    replace("{author}", "@" + handle_key(m.author));
    replace("{text}", m.text);
    return text;
  }
  std::vector<Route> routes_;
};

}  // namespace

HERALD_PLUGIN("inbound", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Influence, HERALD_KIND_INBOUND, "influence",
                               "scores a mention from followers, engagement and a VIP list"),
              HERALD_COMPONENT(Moderation, HERALD_KIND_INBOUND, "moderation",
                               "stops abuse and trolls: ignore, mute, block or report"),
              HERALD_COMPONENT(RouteStep, HERALD_KIND_INBOUND, "route",
                               "turns support questions into reply drafts on the support account"))
