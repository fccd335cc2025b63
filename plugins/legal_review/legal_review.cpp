// Built-in legal review. Legal owns its rules in their own YAML file: RE2 patterns or word lists,
// with a severity, a message and the accounts and networks they cover. A `review` match holds
// the post for a person with the legal role, who clears it, rejects it or requires an edit;
// `block` rejects at once; `warn` is noted. Required disclaimers are appended and counted
// against the network's limit; an unchanged instance of a pre-approved template skips review.
#include <herald/json.hpp>
#include <herald/plugin.hpp>

#include "common/governance.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace {

using herald::builtin::Deadline;
using herald::builtin::describe_who;
using herald::builtin::join;
using herald::builtin::LatePolicy;
using herald::builtin::PostCondition;

enum class Severity { review, block, warn };

struct Rule {
  std::string name;
  std::shared_ptr<re2::RE2> pattern;
  Severity severity = Severity::review;
  std::string message;
  std::vector<std::string> accounts, networks;
};

struct Disclaimer {
  std::string text;
  PostCondition when;
};

struct Match {
  const Rule* rule;
  size_t start, end;
};

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::review: return "review";
    case Severity::block: return "block";
    case Severity::warn: return "warn";
  }
  return "review";
}

using herald::builtin::yaml_where;

std::vector<std::string> scalars(const std::string& file, const YAML::Node& node,
                                 const std::string& what) {
  std::vector<std::string> out;
  if (node.IsScalar()) return {node.Scalar()};
  if (!node.IsSequence())
    throw std::invalid_argument(yaml_where(file, node) + ": " + what + ": expected a list");
  for (const auto& item : node) {
    if (!item.IsScalar())
      throw std::invalid_argument(yaml_where(file, item) + ": " + what + ": expected text");
    out.push_back(item.Scalar());
  }
  return out;
}

void check_keys(const std::string& file, const YAML::Node& map,
                const std::vector<std::string>& known, const std::string& what) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string key = it->first.as<std::string>("");
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw std::invalid_argument(yaml_where(file, it->first) + ": " + what + ": unknown key '" +
                                  key + "' (known: " + join(known) + ")");
  }
}

/// The rules file: `rules:` (and optionally `disclaimers:`). A rule with a mistake is left out
/// and its mistake added to `problems`, so that every bad rule is named at once; a file that
/// cannot be read as a rules file throws.
void load_rules(const std::string& file, std::vector<Rule>& rules,
                std::vector<Disclaimer>& disclaimers, std::vector<std::string>& problems) {
  YAML::Node root = herald::builtin::load_yaml_file(file, "legal rules file");
  if (!root.IsMap() || !root["rules"] || !root["rules"].IsSequence())
    throw std::invalid_argument(file + ":1:1: expected `rules:` with a list of rules");
  check_keys(file, root, {"rules", "disclaimers"}, "rules file");
  for (const YAML::Node& node : root["rules"]) {
    try {
      if (!node.IsMap())
        throw std::invalid_argument(yaml_where(file, node) + ": a rule is a mapping");
      check_keys(file, node,
                 {"name", "pattern", "words", "severity", "message", "accounts", "networks"},
                 "rule");
      Rule rule;
      if (!node["name"] || !node["name"].IsScalar())
        throw std::invalid_argument(yaml_where(file, node) + ": a rule needs a `name`");
      rule.name = node["name"].Scalar();
      for (const Rule& other : rules)
        if (other.name == rule.name)
          throw std::invalid_argument(yaml_where(file, node["name"]) + ": rule '" + rule.name +
                                      "' is defined twice");
      std::string where = yaml_where(file, node) + ": rule '" + rule.name + "'";
      bool has_pattern = static_cast<bool>(node["pattern"]),
           has_words = static_cast<bool>(node["words"]);
      if (has_pattern == has_words)
        throw std::invalid_argument(where + ": give exactly one of `pattern` (RE2) or `words`");
      std::string expression;
      if (has_pattern) {
        if (!node["pattern"].IsScalar())
          throw std::invalid_argument(where + ": `pattern` must be text");
        expression = node["pattern"].Scalar();
        where = yaml_where(file, node["pattern"]) + ": rule '" + rule.name + "'";
        if (expression.empty())
          throw std::invalid_argument(where + ": an empty pattern would match every post");
      } else {
        std::string alternatives;
        for (const auto& word : scalars(file, node["words"], "rule '" + rule.name + "' words"))
          alternatives += (alternatives.empty() ? "" : "|") + RE2::QuoteMeta(word);
        if (alternatives.empty()) throw std::invalid_argument(where + ": `words` is empty");
        expression = "(?i)\\b(?:" + alternatives + ")\\b";
      }
      RE2::Options options;
      options.set_log_errors(false);
      rule.pattern = std::make_shared<re2::RE2>(expression, options);
      if (!rule.pattern->ok())
        throw std::invalid_argument(where + ": the pattern is not valid RE2 (" +
                                    rule.pattern->error() +
                                    "); RE2 has no backreferences or lookaround, which keeps "
                                    "matching linear in the text");
      std::string severity = node["severity"] ? node["severity"].as<std::string>("") : "review";
      if (severity == "review")
        rule.severity = Severity::review;
      else if (severity == "block")
        rule.severity = Severity::block;
      else if (severity == "warn")
        rule.severity = Severity::warn;
      else
        throw std::invalid_argument(yaml_where(file, node["severity"]) + ": rule '" + rule.name +
                                    "': severity is review, block or warn, not '" + severity + "'");
      rule.message = node["message"] ? node["message"].as<std::string>("") : "";
      if (rule.message.empty())
        throw std::invalid_argument(where + ": a rule needs a `message` for the reviewer");
      if (node["accounts"]) rule.accounts = scalars(file, node["accounts"], "accounts");
      if (node["networks"]) rule.networks = scalars(file, node["networks"], "networks");
      rules.push_back(std::move(rule));
    } catch (const std::invalid_argument& error) {
      problems.push_back(error.what());  // and on to the next rule
    }
  }
  if (const YAML::Node& list = root["disclaimers"]) {
    if (!list.IsSequence())
      throw std::invalid_argument(yaml_where(file, list) + ": `disclaimers` is a list");
    for (const YAML::Node& node : list) {
      if (!node.IsMap() || !node["text"])
        throw std::invalid_argument(yaml_where(file, node) +
                                    ": a disclaimer needs `text` (and `when`)");
      check_keys(file, node, {"text", "when"}, "disclaimer");
      Disclaimer d;
      d.text = node["text"].as<std::string>("");
      if (const YAML::Node& when = node["when"]) {
        if (!when.IsMap())
          throw std::invalid_argument(yaml_where(file, when) + ": `when` is a mapping");
        check_keys(file, when, {"tag", "account", "network", "author_role"}, "disclaimer when");
        if (when["tag"]) d.when.tags = scalars(file, when["tag"], "tag");
        if (when["account"]) d.when.accounts = scalars(file, when["account"], "account");
        if (when["network"]) d.when.networks = scalars(file, when["network"], "network");
        if (when["author_role"])
          d.when.author_roles = scalars(file, when["author_role"], "author_role");
      }
      disclaimers.push_back(std::move(d));
    }
  }
}

bool covers(const std::vector<std::string>& list, const std::string& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

/// Every place a rule that covers the account and network matches `text`.
std::vector<Match> match_rules(const std::vector<Rule>& rules, const std::string& text,
                               const std::string& account, const std::string& network) {
  std::vector<Match> matches;
  for (const Rule& rule : rules) {
    if (!covers(rule.accounts, account) || !covers(rule.networks, network)) continue;
    re2::StringPiece input(text);
    re2::StringPiece found;
    size_t from = 0;
    while (from <= text.size() &&
           rule.pattern->Match(input, from, text.size(), RE2::UNANCHORED, &found, 1)) {
      size_t start = static_cast<size_t>(found.data() - text.data());
      size_t end = start + found.size();
      if (end > start) matches.push_back({&rule, start, end});  // an empty match says nothing
      from = end > start ? end : end + 1;
    }
  }
  return matches;
}

/// A match as the `finding` event the inbox shows.
std::string finding_of(const Match& m, const std::string& text) {
  return herald::json_line({{"rule", "legal_review/" + m.rule->name},
                            {"severity", severity_name(m.rule->severity)},
                            {"message", m.rule->message},
                            {"start", m.start},
                            {"end", m.end},
                            {"excerpt", text.substr(m.start, m.end - m.start)}});
}

/// Whether this revision's findings of legal's rules are recorded already (by the screen).
bool legal_findings_recorded(const std::vector<herald::Event>& events) {
  return std::any_of(events.begin(), events.end(), [](const herald::Event& e) {
    return e.type == "finding" && e.comment.find("\"rule\":\"legal_review/") != std::string::npos;
  });
}

/// Legal's rules of the step's `rules` file and `keywords`.
void load_step_rules(herald::Config& config, std::vector<Rule>& rules,
                     std::vector<Disclaimer>& disclaimers) {
  if (auto file = config.optional_string("rules"); file && !file->empty()) {
    std::vector<std::string> problems;
    load_rules(*file, rules, disclaimers, problems);
    for (const std::string& problem : problems) config.error("rules", problem);
  }
  std::vector<std::string> keywords = config.strings("keywords");
  for (const std::string& word : keywords)
    if (word.empty())
      config.error("keywords", "an empty keyword would match every post; remove it");
  if (!keywords.empty()) {
    Rule rule;
    rule.name = "keywords";
    std::string alternatives;
    for (const auto& word : keywords)
      alternatives += (alternatives.empty() ? "" : "|") + RE2::QuoteMeta(word);
    rule.pattern = std::make_shared<re2::RE2>("(?i)(?:" + alternatives + ")");
    rule.message = "matches a word legal reviews";
    rules.push_back(std::move(rule));
  }
}

bool countable(const std::string& network) {
  return network == "x" || network == "mastodon" || network == "bluesky" || network == "linkedin";
}

class Review : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 8> config_keys{{
      {"rules", HERALD_TYPE_PATH, 0, nullptr,
       "legal's rules file (YAML): rules with RE2 patterns or word lists, and disclaimers"},
      {"keywords", HERALD_TYPE_STRING_LIST, 0, nullptr,
       "shorthand: words or phrases (any case) that send a post to legal"},
      {"role", HERALD_TYPE_STRING, 0, "legal", "who clears, rejects or requires an edit"},
      {"deadline", HERALD_TYPE_STRING, 0, nullptr, "how long review may take, e.g. 4h"},
      {"on_late", HERALD_TYPE_STRING, 0, "hold", "hold, expire, escalate or publish"},
      {"escalate_to", HERALD_TYPE_STRING, 0, nullptr,
       "with on_late: escalate, who else may decide (role, team:NAME or person:ID)"},
      {"templates", HERALD_TYPE_PATH, 0, nullptr,
       "pre-approved templates: an unchanged instance skips review (fast lane)"},
      {"notifier", HERALD_TYPE_STRING, 0, "outbox",
       "the notifier that tells the reviewers and escalate_to of an escalation"},
  }};

  explicit Review(herald::Config& config)
      : role_(config.string("role")), notifier_(config.string("notifier")) {
    // Each mistake is recorded (config.error) and the rest still checked; a rules file that
    // does not load throws, with its own file:line:column.
    if (!config.has_notifier(notifier_))
      config.error("notifier", "no notifier '" + notifier_ +
                                   "' in the configuration; declare it under notifiers: with a "
                                   "plugin such as notify/webhook (outbox is built in)");
    people_ = config.people();
    if (!herald::builtin::anyone_is(people_, role_))
      config.error("role", "nobody has role '" + role_ +
                               "' to review held posts; give someone that role under `people`");
    if (auto deadline = config.optional_string("deadline")) {
      if (auto ms = herald::builtin::parse_duration(*deadline))
        deadline_.after_ms = *ms;
      else
        config.error("deadline", "'" + *deadline + "' is not a duration like 30m, 4h or 2d");
    }
    if (auto policy = herald::builtin::parse_late_policy(config.string("on_late")))
      deadline_.policy = *policy;
    else
      config.error("on_late", "expected hold, expire, escalate or publish");
    deadline_.escalate_to = config.string("escalate_to");
    if (deadline_.policy == LatePolicy::escalate && deadline_.escalate_to.empty())
      config.error("on_late", "escalate needs `escalate_to`");
    if (!deadline_.escalate_to.empty() &&
        !herald::builtin::anyone_is(people_, deadline_.escalate_to))
      config.error("escalate_to", "nobody is '" + deadline_.escalate_to + "' to escalate to");
    const int before = config.errors();
    load_step_rules(config, rules_, disclaimers_);
    if (rules_.empty() && disclaimers_.empty() && config.errors() == before)
      config.error("rules", "legal review needs `rules` (a rules file) or `keywords`");
    if (auto path = config.optional_string("templates"); path && !path->empty())
      templates_ = herald::builtin::load_templates(*path);
  }

  void run(herald::Context& post) override {
    const std::string original = post.text();
    const std::string network = post.network();
    const std::string account = post.account();

    // Disclaimers first: they are part of what gets published and counted.
    std::string text = original;
    std::vector<std::string> added;
    for (const Disclaimer& d : disclaimers_) {
      if (!d.when.matches(post) || text.find(d.text) != std::string::npos) continue;
      text += (text.empty() || text.back() == '\n' ? "" : " ") + d.text;
      added.push_back(d.text);
    }
    if (!added.empty()) {
      if (countable(network)) {
        int64_t limit = std::stoll("0" + post.field("char_limit"));
        herald::TextCount count = post.count_text(network, text, limit);
        if (!count.valid) {
          post.revise("adding the required disclaimer " + join(added) + " makes the post " +
                      std::to_string(count.length) + " of " + std::to_string(count.limit) + " on " +
                      network + "; shorten it by " + std::to_string(count.length - count.limit));
          return;
        }
      }
      post.set_field("text", text);
    }

    if (const auto* t = herald::builtin::match_template(templates_, original)) {
      post.advance("fast lane: an unchanged instance of pre-approved template '" + t->name +
                   "'; legal review skipped" +
                   (added.empty() ? "" : "; added disclaimer " + join(added)));
      return;
    }

    const std::vector<Match> matches = match_rules(rules_, text, account, network);
    std::vector<herald::Event> events = post.events();
    const bool reported = legal_findings_recorded(events);
    std::vector<std::string> review, warn;
    for (const Match& m : matches) {
      std::string excerpt = text.substr(m.start, m.end - m.start);
      std::string line = "'" + m.rule->name + "' matched \"" + excerpt + "\" at " +
                         std::to_string(m.start) + ".." + std::to_string(m.end);
      if (!reported) post.emit("finding", finding_of(m, text));
      if (m.rule->severity == Severity::block) {
        post.reject("legal: blocked by rule " + line + ": " + m.rule->message);
        return;
      }
      (m.rule->severity == Severity::review ? review : warn).push_back(line);
    }
    std::string notes;
    if (!added.empty()) notes += "added disclaimer " + join(added);
    if (!warn.empty())
      notes += (notes.empty() ? "" : "; ") + std::string("warnings: ") + join(warn, "; ");
    if (review.empty()) {
      post.advance(notes);
      return;
    }

    bool escalated = false;
    for (const herald::Event& e : events) {
      if (e.type == "escalated") escalated = true;
      std::string by = e.actor + (e.on_behalf.empty() ? "" : " (for " + e.on_behalf + ")");
      if (e.type == "clear") {
        post.advance("cleared by legal (" + by + ")" + (e.comment.empty() ? "" : ": " + e.comment) +
                     "; matched " + join(review, "; ") + (notes.empty() ? "" : "; " + notes));
        return;
      }
      if (e.type == "reject") {
        post.reject("legal: rejected by " + by + ": " + e.comment);
        return;
      }
      if (e.type == "require_edit") {
        post.revise("legal (" + by + ") requires an edit: " + e.comment);
        return;
      }
    }
    std::vector<std::string> whos{role_};
    if (escalated) whos.push_back(deadline_.escalate_to);
    for (const auto& who : whos)
      for (const char* type : {"clear", "reject", "require_edit"}) post.expect(type, who);
    std::string why = "legal review: " + join(review, "; ");
    if (deadline_.after_ms == 0) {
      post.hold(why);
      return;
    }
    int64_t due = std::stoll("0" + post.field("step_since")) + deadline_.after_ms;
    if (post.now_ms() < due) {
      post.wait_until(due, why + "; due " + herald::builtin::format_instant(due));
      return;
    }
    std::string late = "legal review was due " + herald::builtin::format_instant(due);
    switch (deadline_.policy) {
      case LatePolicy::hold: post.hold("late: " + late + "; " + why); return;
      case LatePolicy::expire: post.reject("expired: " + late + " and nobody decided"); return;
      case LatePolicy::publish:
        post.advance("legal review late: " + late + "; going ahead as configured (" + why + ")");
        return;
      case LatePolicy::escalate:
        if (!escalated) {
          for (const char* type : {"clear", "reject", "require_edit"})
            post.expect(type, deadline_.escalate_to);
          const std::string waiting = herald::builtin::tell_of_escalation(
              post, notifier_, people_, {role_}, deadline_.escalate_to, "legal review", late);
          if (!waiting.empty()) {
            post.wait_until(post.now_ms() + herald::builtin::kNoticeRetryMs,
                            "escalated to " + deadline_.escalate_to + ": " + late + "; " + why +
                                "; " + waiting);
            return;
          }
          post.emit("escalated", "legal");
          post.emit("notify", herald::json_line({{"event", "escalated"},
                                                 {"step", "legal_review"},
                                                 {"to", deadline_.escalate_to},
                                                 {"post", std::stoll(post.id())}}));
        }
        post.hold("escalated to " + deadline_.escalate_to + ": " + late + "; " + why);
        return;
    }
  }

 private:
  std::string role_;
  std::string notifier_;
  std::vector<herald::Person> people_;
  std::vector<Rule> rules_;
  std::vector<Disclaimer> disclaimers_;
  Deadline deadline_;
  std::vector<herald::builtin::Template> templates_;
};

/// Legal's rules, run as soon as the text exists: the host runs it (with the legal step's own
/// settings) when a post, or a new revision of it, starts its workflow, so that approvers see
/// in their inbox what legal's rules will say before they spend time on the post. It only
/// records findings; the legal step still decides in its place in the chain.
class Screen : public herald::Step {
 public:
  static constexpr auto config_keys = Review::config_keys;

  explicit Screen(herald::Config& config) {
    load_step_rules(config, rules_, disclaimers_);
    if (auto path = config.optional_string("templates"); path && !path->empty())
      templates_ = herald::builtin::load_templates(*path);
  }

  void run(herald::Context& post) override {
    const std::string text = post.text();
    // An unchanged instance of a pre-approved template skips legal review: nothing to show.
    if (herald::builtin::match_template(templates_, text)) {
      post.advance();
      return;
    }
    for (const Match& m : match_rules(rules_, text, post.account(), post.network()))
      post.emit("finding", finding_of(m, text));
    post.advance();
  }

 private:
  std::vector<Rule> rules_;
  std::vector<Disclaimer> disclaimers_;
  std::vector<herald::builtin::Template> templates_;
};

}  // namespace

HERALD_PLUGIN("legal_review", "0.3.0", "Apache-2.0",
              HERALD_COMPONENT(Review, HERALD_KIND_LEGAL_REVIEW, "rules",
                               "legal's rules (RE2 patterns, word lists) hold a post for a lawyer; "
                               "disclaimers; templates skip review"),
              HERALD_COMPONENT(Screen, HERALD_KIND_DRAFT, "screen",
                               "legal's rules as soon as the text exists: findings for the "
                               "approvers' inbox (run by the host for each legal_review step)"))
