// The YAML configuration of one Herald deployment: store, plugin folders, accounts, people and
// workflows. Loading checks everything that can be checked without plugins; step configs are
// checked against plugin schemas by the workflow binder (engine/workflow.hpp).
#pragma once

#include "engine/model.hpp"
#include "time/zoned.hpp"

#include <yaml-cpp/yaml.h>
#include <herald/result.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

using zoned::DstPolicy;

/// Where something was written: file:line:column and the key path inside the document.
struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string key_path;
  std::string describe() const;  // "company.yaml:12:7 (workflows.announce.steps[2].config)"
};

/// Where an account's readers are: an IANA zone and the share of the audience in it.
struct AudienceConfig {
  std::string zone;
  double share = 1.0;
};

struct AccountConfig {
  std::string name;
  std::string network;  // x, mastodon, bluesky, linkedin, webhook, outbox
  std::string handle;
  std::string
      endpoint;  // the network's API base URL (a Mastodon instance, a webhook URL); "" default
  std::string timezone;  // IANA zone local times are read in; "" when not configured
  /// The audience's zones with their shares (summing to 1); without `audiences`, the account's
  /// timezone with share 1; empty when the account has neither.
  std::vector<AudienceConfig> audiences;
  DstPolicy dst_policy = DstPolicy::shift_forward;  // for local times in a DST gap or overlap
  int64_t char_limit = 0;                           // 0: no limit
  bool char_limit_set = false;  // char_limit was given (else it is the network's default)
  std::map<std::string, std::string> credentials;  // name -> ${env:..} or ${file:..} reference
  SourceLocation where;
};

struct PersonConfig {
  std::string id;
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> teams;  // from the configuration's `teams`
  bool amplify = false;            // opted in to share the company's posts
  bool has_role(const std::string& role) const;
  /// Whether this person is named by `who`: a role, "team:NAME" or "person:ID" ("" is anyone).
  bool matches(const std::string& who) const;
};

/// How people read a `who`: "role legal", "team compliance", "ana", "anyone".
std::string describe_who(const std::string& who);

/// A step's `when:` condition. Each listed field must match one of its values.
struct Condition {
  std::vector<std::string> tags;
  std::vector<std::string> accounts;
  std::vector<std::string> authors;
  std::vector<std::string> networks;
  bool empty() const;
  bool matches(const Post& post, const std::string& network) const;
  std::string describe() const;
};

struct StepConfig {
  std::string name;    // unique in its workflow; defaults to the kind
  std::string kind;    // draft, approve, legal_review, schedule, publish, amplify
  std::string plugin;  // "plugin" or "plugin/component"
  YAML::Node config;   // validated later against the component's schema
  Condition when;
  int64_t timeout_s = 0;  // the step's deadline (`timeout_seconds`, else its kind's default)
  std::string isolation = "in_process";  // or "process": its plugin runs in a child process
  int64_t memory_limit_mb = 0;           // the child's address-space limit (0: none)
  SourceLocation where;
  SourceLocation config_where;
  SourceLocation timeout_where;
  std::string unwrapped;  // the config is {unwrapped: X} written as X (inbound's short form)
};

/// The deadline of a step of `kind` that sets no `timeout_seconds`: 120 s for publish and
/// amplify (network calls with their own retries), 60 s for the others.
int64_t default_step_timeout_s(const std::string& kind);

/// Account routing: a submitted post that matches `when` goes to `account`.
struct Route {
  Condition when;
  std::string account;
  SourceLocation where;
};

/// A Python hook: at `point` (before_publish, on_reject, ...) call `target` ("module:function").
struct HookConfig {
  std::string point;
  std::string target;
  SourceLocation where;
};

/// The hook points: before_<kind> and after_<kind> for every step kind, then on_reject,
/// on_fail and on_publish.
const std::vector<std::string>& hook_points();

struct WorkflowConfig {
  std::string name;
  std::string description;
  std::vector<Route> routes;  // the first match decides the post's account
  std::vector<StepConfig> steps;
  std::vector<HookConfig> hooks;  // after the configuration's own `hooks`, in the order written
  SourceLocation where;
};

/// The embedded Python: where hooks and Python steps are imported from, and how long they may run.
struct PythonConfig {
  std::vector<std::string> paths;  // absolute; put at the front of sys.path, in this order
  int64_t timeout_ms = 10'000;     // a hook or Python step running longer fails its post (0: none)
  SourceLocation where;
};

struct EngineConfig {
  int max_attempts = 5;
  int64_t retry_delay_ms = 60'000;         // the first retry's delay; doubles each attempt
  int64_t max_retry_delay_ms = 3'600'000;  // the cap on that delay
  int64_t lease_ms = 300'000;
  int publish_concurrency = 8;  // accounts published to at once (posts of one account in order)
};

/// Inbound mentions: the steps (plugin components of kind inbound) each mention goes through,
/// in order (see docs/inbound.md).
struct InboundConfig {
  bool configured = false;
  std::vector<std::string> accounts;  // mentions of these accounts ("" : all)
  std::vector<StepConfig> steps;      // kind "inbound"; the short form makes the built-in ones
  SourceLocation where;
};

/// Signed checkpoints of the audit trail (docs/approvals.md): the trail's size and head hash,
/// signed with an Ed25519 key and written outside the database, so that a trail cut short,
/// rewritten or restored from an old copy is caught by `herald audit verify`.
struct AuditConfig {
  bool checkpoints = false;  // `audit.checkpoints` is configured
  std::string key;           // ${env:..} or ${file:..} reference to a PEM Ed25519 private key
  std::string directory;     // absolute; where checkpoint files are written
  std::string origin;        // the name of this trail in its checkpoints
  int64_t every_ms =
      3'600'000;  // `run` writes one at most this often when the trail grew (0: never)
  SourceLocation where;
};

struct Configuration {
  std::string file;  // absolute
  std::string directory;
  std::string store_path;
  std::vector<std::string> plugin_paths;  // absolute; empty: the built-in folder
  /// Folders `${file:..}` references may read from (absolute, symlinks resolved): `secrets:
  /// directories:`, else the configuration file's own folder.
  std::vector<std::string> secret_directories;
  EngineConfig engine;
  std::vector<AccountConfig> accounts;
  std::vector<PersonConfig> people;
  std::map<std::string, std::vector<std::string>> teams;  // team -> person ids
  std::vector<WorkflowConfig> workflows;
  PythonConfig python;
  std::vector<HookConfig> hooks;  // for every workflow
  InboundConfig inbound;
  std::vector<StepConfig> notifiers;  // kind "notify"; `outbox` is always there
  AuditConfig audit;

  /// Whether any hook or `python:` step is configured (the host then needs a Python runtime).
  bool uses_python() const;
  const AccountConfig* account(const std::string& name) const;
  const StepConfig* notifier(const std::string& name) const;
  const PersonConfig* person(const std::string& id) const;
  const WorkflowConfig* workflow(const std::string& name) const;
};

/// Loads and checks a configuration file. All problems are reported at once, one per line,
/// each with file:line:column.
Result<Configuration> load_configuration(const std::string& path);

/// The parts of a ${env:NAME} or ${file:PATH} reference: source "env" or "file", and the name
/// (not empty, without '}'); nothing when `text` is not exactly such a reference.
struct SecretReference {
  std::string source;
  std::string name;
};
std::optional<SecretReference> secret_reference(std::string_view text);

/// Resolves a ${env:NAME} or ${file:PATH} reference. A relative PATH is read from `base_dir`;
/// the file must be inside one of `allowed_directories` once `..` and symlinks are resolved.
/// Errors name the variable or file, never a value or a file's contents.
Result<std::string> resolve_secret(const std::string& reference, const std::string& base_dir,
                                   const std::vector<std::string>& allowed_directories);
/// The same with `base_dir` as the only allowed folder.
Result<std::string> resolve_secret(const std::string& reference, const std::string& base_dir);
/// A secret of the configuration (`config.secret_directories` apply).
Result<std::string> resolve_secret(const std::string& reference, const Configuration& config);
/// An account's credential: a secret that is one line (a CR or LF inside it, once the final
/// line break of a file is dropped, would split an HTTP header).
Result<std::string> resolve_credential(const std::string& reference, const Configuration& config);

/// The closest candidate to `word` (edit distance), or "" if none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

/// "; did you mean 'workflows'?" for the closest candidate, or "" if none is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

/// Default character limit of a network (0: none).
int64_t default_char_limit(const std::string& network);

/// Puts a new post at the first step of `workflow`, due at `now_ms` (submit and copies).
void start_at_first_step(Post& post, const WorkflowConfig& workflow, int64_t now_ms);

/// Step kinds in workflow order.
const std::vector<std::string>& step_kinds();

}  // namespace herald
