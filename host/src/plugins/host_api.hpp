// The host side of the plugin boundary: the function table plugins call, and the per-call
// context behind the opaque herald_call and herald_config handles.
#pragma once

#include "config/config.hpp"
#include "engine/model.hpp"

#include <herald/plugin_abi.h>
#include <herald/host.hpp>

#include <forward_list>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald {

class BoundStep;
/// The configuration's notifiers (kind notify), by name.
using Notifiers = std::map<std::string, std::unique_ptr<BoundStep>>;

/// What a notifier component is asked to deliver (post fields notify_to, notify_key and
/// notify_message during its run).
struct NotifyRequest {
  std::string to;
  std::string key;
  std::string message;
};

/// One validated configuration value of a step.
struct SettingValue {
  herald_value_type type = HERALD_TYPE_STRING;
  std::string scalar;
  std::vector<std::string> list;
  YAML::Node node;  // HERALD_TYPE_MAP_LIST: the list itself, read with key paths
};
using StepSettings = std::map<std::string, SettingValue>;

/// Behind herald_config*: valid while a component's create runs.
struct ConfigContext {
  const StepSettings* settings = nullptr;
  const Configuration* configuration = nullptr;  // people and teams
  const StepConfig* step = nullptr;              // where the settings were written
  std::string plugin_name;
  std::string error;
  std::forward_list<std::string> scratch;  // strings handed out during create
};

/// Where `node` (inside a step's config) was written, with `key_path` below the step's config.
std::string config_location(const YAML::Node& node, const StepConfig& step,
                            const std::string& key_path);

/// What a schedule step may ask about an account's plan (the engine answers, from the store and
/// from the posts of the round in progress).
class PlanSource {
 public:
  virtual ~PlanSource() = default;
  /// Planned instants of the account's posts in [from_ms, to_ms), except `except_post`.
  virtual Result<std::vector<PlanEntry>> planned(const std::string& account, int64_t from_ms,
                                                 int64_t to_ms, int64_t except_post) = 0;
  /// The account's best weekly slots, best first.
  virtual Result<std::vector<SlotSuggestion>> best_slots(const AccountConfig& account) = 0;
  /// The post of `account`, other than `except_post`, that has `remote_id`; 0 for none.
  virtual Result<int64_t> remote_id_owner(const std::string& account, const std::string& remote_id,
                                          int64_t except_post) = 0;
};

/// "zone\tshare" per line.
std::string describe_audiences(const std::vector<AudienceConfig>& audiences);

/// What a publisher's moderate() is asked to do about a mention's author.
struct ModerationOrder {
  std::string action, author, mention_id, rule;
};

/// What an inbound step works on: one mention, and what the step decided about it.
struct InboundCall {
  Mention* mention = nullptr;  // score, score_detail, action and rule are written here
  /// The author's mentions on this network stopped from `since_ms` up to this one.
  std::function<Result<int64_t>(int64_t since_ms)> stopped_since;
  struct Reply {
    std::string workflow, account, author, text;
    std::vector<std::string> tags;
  };
  std::optional<Reply> reply;  // set by answer()
};

/// Behind herald_call*: valid while a component's run runs. Inputs are borrowed; outputs are
/// collected here and applied by the engine after the call.
struct CallContext {
  // Inputs.
  Post* post = nullptr;
  const AccountConfig* account = nullptr;
  const Configuration* config = nullptr;
  const std::vector<PostEvent>* events = nullptr;
  const Clock* clock = nullptr;
  PlanSource* plan = nullptr;
  const std::map<std::string, int64_t>* account_limits = nullptr;  // account -> reset
  const std::map<std::string, int64_t>* text_limits = nullptr;     // account -> the network's limit
  const std::map<std::string, std::vector<std::string>>* advocates = nullptr;  // person -> accounts
  const Notifiers* notifiers = nullptr;
  const NotifyRequest* notification = nullptr;  // set when the call runs a notifier
  std::string* mentions_cursor = nullptr;       // set when the call fetches mentions
  InboundCall* inbound = nullptr;               // set when an inbound step reads a mention
  const ModerationOrder* moderation = nullptr;  // set when a publisher moderates
  std::string plugin_name;
  std::string step_name;

  // Outputs.
  herald_outcome outcome = HERALD_ADVANCE;
  int64_t outcome_at_ms = 0;
  std::string reason;
  std::vector<Expectation> expects;
  std::vector<PostEvent> emitted;
  std::string error;
  std::string refused;  // why the host refused the step's last request (added to its error)
  /// Set when the plugin handed back text the host cannot store (not UTF-8, too long, a line
  /// break in a one-line field): the step then fails with this, whatever it decides after.
  std::string violation;
  bool text_changed = false;
  int64_t account_limited_until_ms = 0;  // set by the step: the account's rate limit
  int64_t network_char_limit = 0;        // set by the step: the limit the network reported
  bool outcome_unknown = false;  // set by the step: the post may be on the network (ABI 1.9)
  struct Spawned {
    std::string workflow, account, text;
    std::vector<std::string> tags;
  };
  std::vector<Spawned> spawned;  // new posts (ABI 1.6 spawn_post), stored with the outcome

  // Strings handed to the plugin stay alive until the call returns.
  std::forward_list<std::string> scratch;  // stable addresses; allocates only when used
};

const herald_host_api* host_api();

/// "advance", "wait", "hold", "reject", "retry", "fail" or "revise".
std::string outcome_name(herald_outcome outcome);

inline herald_call* as_handle(CallContext& context) {
  return reinterpret_cast<herald_call*>(&context);
}
inline herald_config* as_handle(ConfigContext& context) {
  return reinterpret_cast<herald_config*>(&context);
}

}  // namespace herald
