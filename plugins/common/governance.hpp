// What the approve and legal_review plugins share: durations and late policies, conditions on a
// post, pre-approved templates (the fast lane), and reading a list of maps from a step's config.
#pragma once

#include "common/duration.hpp"

#include <herald/plugin.hpp>

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald::builtin {

/// Items joined with a separator.
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");
/// How people read a `who`: "role legal", "team compliance", "ana".
std::string describe_who(const std::string& who);

/// What happens when a person does not act by the deadline.
enum class LatePolicy { hold, expire, escalate, publish };
std::optional<LatePolicy> parse_late_policy(const std::string& text);
const char* late_policy_name(LatePolicy policy);

/// A deadline with its policy. `escalate_to` names who else may act once it passed (a role,
/// "team:NAME" or "person:ID").
struct Deadline {
  int64_t after_ms = 0;  // 0: none
  LatePolicy policy = LatePolicy::hold;
  std::string escalate_to;
};

/// `when:` on a stage, rule or disclaimer: every field given must match one of its values.
struct PostCondition {
  std::vector<std::string> tags, accounts, networks, author_roles;
  bool empty() const;
  bool matches(const herald::Context& post) const;
  std::string describe() const;
};

/// A pre-approved answer text with placeholders: "Hi {name}, order {order:[0-9]{4,12}} ships
/// today." A placeholder without a pattern takes 1-60 letters, digits, spaces and . , ' - only,
/// so no link, mention or hashtag can ride in on it.
struct Template {
  std::string name;
  std::string text;
  std::shared_ptr<re2::RE2> pattern;
};

/// "file:line:column" of a node in a YAML file.
std::string yaml_where(const std::string& file, const YAML::Node& node);
/// Loads a YAML file; errors say what the file is for and where it does not parse.
YAML::Node load_yaml_file(const std::string& path, const std::string& what);

/// Loads `templates:` from a YAML file. Errors name file:line:column and the template.
std::vector<Template> load_templates(const std::string& path);
/// The template `text` is an unchanged instance of, or nullptr.
const Template* match_template(const std::vector<Template>& templates, const std::string& text);

/// Whether someone in `people` is named by `who` (a role, "team:NAME" or "person:ID").
bool anyone_is(const std::vector<herald::Person>& people, const std::string& who);
bool person_is(const herald::Person& person, const std::string& who);

/// Tells the people `whos` names (the approvers or reviewers) and those of `escalate_to`, except
/// the post's author, that `what` ("stage marketing", "legal review") was escalated because
/// `why`: one message each through `notifier`, keyed by the post, `what` and the person, so
/// that a notifier, which never delivers a key twice, tells each of them once (for each revision
/// of the post). Records who was told. Returns "" when every notice is sent (or refused, which
/// is logged), else why one waits: the caller then waits `kNoticeRetryMs` and tries again (the
/// notices sent are not sent again), and approvals are taken meanwhile.
constexpr int64_t kNoticeRetryMs = 5 * 60'000;
std::string tell_of_escalation(herald::Context& post, const std::string& notifier,
                               const std::vector<herald::Person>& people,
                               const std::vector<std::string>& whos, const std::string& escalate_to,
                               const std::string& what, const std::string& why);

/// Reads settings from one map of a map-list setting ("stages[2]"): checks its keys against
/// `known` and says where a problem is (file:line:column).
class MapItem {
 public:
  MapItem(const herald::Config& config, std::string path, std::vector<std::string> known);
  std::optional<std::string> string(const std::string& key) const;
  std::vector<std::string> strings(const std::string& key) const;
  bool has(const std::string& key) const;
  /// Throws std::invalid_argument: "file:line:column (path.key): message".
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  /// Records the mistake (Config::error) and goes on: "file:line:column (path.key): message".
  void error(const std::string& key, const std::string& message) const;
  PostCondition condition(const std::string& key) const;
  const std::string& path() const { return path_; }

 private:
  const herald::Config& config_;
  std::string path_;
  std::vector<std::string> keys_;
};

}  // namespace herald::builtin
