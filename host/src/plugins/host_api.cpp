#include "plugins/host_api.hpp"

#include "engine/workflow.hpp"
#include "store/audit_chain.hpp"
#include "text/input_check.hpp"
#include "text/measure.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>

namespace herald {
namespace {

CallContext& call_of(herald_call* call) {
  return *reinterpret_cast<CallContext*>(call);
}
ConfigContext& config_of(herald_config* config) {
  return *reinterpret_cast<ConfigContext*>(config);
}
std::string text_of(herald_str s) {
  return s.data ? std::string(s.data, s.size) : std::string();
}

/// The bytes of `s` as a view; a null pointer is empty whatever size it claims (the size is a
/// plugin's word, the pointer is what can be read).
std::string_view view_of(herald_str s) {
  return s.data ? std::string_view(s.data, s.size) : std::string_view();
}

/// Text a plugin hands back to be stored or shown to people. Refused when it is longer than
/// `limit` (checked before a byte is read), not UTF-8, holds a NUL, or breaks a one-line field
/// over lines: the host call then fails (HERALD_INVALID, the reason in `refused` for the
/// plugin's error) and the step fails with it even if the plugin carries on.
std::optional<std::string> accepted(CallContext& call, std::string_view field, herald_str value,
                                    size_t limit, Lines lines = Lines::any) {
  const std::string what = "plugin '" + call.plugin_name + "': " + std::string(field);
  std::string problem;
  if (!value.data && value.size > 0)
    problem = what + " is a null pointer with a size of " + std::to_string(value.size);
  else if (value.size > limit)  // before reading: the size may be anything
    problem = what + " is " + std::to_string(value.size) + " bytes, more than the limit of " +
              std::to_string(limit);
  else
    problem = input_problem(what, view_of(value), limit, lines);
  if (problem.empty()) return std::string(view_of(value));
  call.refused = problem;
  if (call.violation.empty()) call.violation = problem;
  return std::nullopt;
}

herald_str hand_out(CallContext& call, std::string value) {
  call.scratch.push_front(std::move(value));
  return herald_str{call.scratch.front().data(), call.scratch.front().size()};
}

void host_log(herald_call* call, herald_log_level level, herald_str message) {
  std::string source = call ? call_of(call).plugin_name : "plugin";
  std::string text = text_of(message);
  if (call && call_of(call).post)
    text = "post " + std::to_string(call_of(call).post->id) + ": " + text;
  switch (level) {
    case HERALD_LOG_DEBUG: spdlog::debug("[{}] {}", source, text); break;
    case HERALD_LOG_INFO: spdlog::info("[{}] {}", source, text); break;
    case HERALD_LOG_WARN: spdlog::warn("[{}] {}", source, text); break;
    default: spdlog::error("[{}] {}", source, text); break;
  }
}

void host_set_error(herald_call* call, herald_str message) {
  if (!call) return;
  CallContext& context = call_of(call);
  // "the host refused to set post field 'action': action must be ignore, ..."
  // Shown and stored as the post's reason: bytes that are not UTF-8 are repaired, not refused,
  // since refusing the message would hide why the step failed.
  context.error = repaired_utf8(view_of(message).substr(0, kLongTextLimit), kLongTextLimit) +
                  (context.refused.empty() ? "" : ": " + context.refused);
}

const SettingValue* setting(herald_config* config, herald_str key) {
  const StepSettings* settings = config_of(config).settings;
  if (!settings) return nullptr;
  auto it = settings->find(text_of(key));
  return it == settings->end() ? nullptr : &it->second;
}

/// A key path inside a map-list setting: "stages[0].roles" -> the node, or an invalid node.
/// `top` receives the setting the path starts at.
YAML::Node config_node(herald_config* config, const std::string& path, std::string* top = nullptr) {
  const StepSettings* settings = config_of(config).settings;
  size_t end = path.find_first_of(".[");
  std::string key = path.substr(0, end);
  if (top) *top = key;
  if (!settings) return YAML::Node(YAML::NodeType::Undefined);
  auto it = settings->find(key);
  if (it == settings->end() || it->second.type != HERALD_TYPE_MAP_LIST)
    return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node node = it->second.node;
  size_t at = end;
  while (at != std::string::npos && at < path.size()) {
    if (path[at] == '[') {
      size_t close = path.find(']', at);
      if (close == std::string::npos || !node.IsSequence())
        return YAML::Node(YAML::NodeType::Undefined);
      size_t index = 0;
      auto [ptr, ec] = std::from_chars(path.data() + at + 1, path.data() + close, index);
      if (ec != std::errc() || ptr != path.data() + close || index >= node.size())
        return YAML::Node(YAML::NodeType::Undefined);
      node.reset(node[index]);
      at = close + 1;
    } else if (path[at] == '.') {
      size_t next = path.find_first_of(".[", at + 1);
      std::string name = path.substr(at + 1, next == std::string::npos ? next : next - at - 1);
      if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
      const YAML::Node& const_node = node;
      YAML::Node child = const_node[name];
      if (!child) return YAML::Node(YAML::NodeType::Undefined);
      node.reset(child);
      at = next;
    } else {
      return YAML::Node(YAML::NodeType::Undefined);
    }
  }
  return node;
}
bool is_path(herald_str key) {
  std::string_view k(key.data ? key.data : "", key.size);
  return k.find_first_of(".[") != std::string_view::npos;
}
herald_str keep(herald_config* config, std::string value) {
  ConfigContext& context = config_of(config);
  context.scratch.push_front(std::move(value));
  return herald_str{context.scratch.front().data(), context.scratch.front().size()};
}

herald_status config_string(herald_config* config, herald_str key, herald_str* out) {
  if (is_path(key)) {
    YAML::Node node = config_node(config, text_of(key));
    if (!node.IsDefined() || !node.IsScalar()) return HERALD_NOT_FOUND;
    *out = keep(config, node.Scalar());
    return HERALD_OK;
  }
  const SettingValue* value = setting(config, key);
  if (!value || value->type == HERALD_TYPE_STRING_LIST || value->type == HERALD_TYPE_MAP_LIST)
    return HERALD_NOT_FOUND;
  *out = herald_str{value->scalar.data(), value->scalar.size()};
  return HERALD_OK;
}

herald_status config_int(herald_config* config, herald_str key, int64_t* out) {
  if (is_path(key)) {
    YAML::Node node = config_node(config, text_of(key));
    if (!node.IsDefined() || !node.IsScalar()) return HERALD_NOT_FOUND;
    return YAML::convert<int64_t>::decode(node, *out) ? HERALD_OK : HERALD_INVALID;
  }
  const SettingValue* value = setting(config, key);
  if (!value || value->type != HERALD_TYPE_INT) return HERALD_NOT_FOUND;
  *out = std::stoll(value->scalar);
  return HERALD_OK;
}

herald_status config_bool(herald_config* config, herald_str key, int* out) {
  if (is_path(key)) {
    YAML::Node node = config_node(config, text_of(key));
    bool flag = false;
    if (!node.IsDefined() || !node.IsScalar()) return HERALD_NOT_FOUND;
    if (!YAML::convert<bool>::decode(node, flag)) return HERALD_INVALID;
    *out = flag ? 1 : 0;
    return HERALD_OK;
  }
  const SettingValue* value = setting(config, key);
  if (!value || value->type != HERALD_TYPE_BOOL) return HERALD_NOT_FOUND;
  *out = value->scalar == "true" ? 1 : 0;
  return HERALD_OK;
}

herald_status config_double(herald_config* config, herald_str key, double* out) {
  if (is_path(key)) {
    YAML::Node node = config_node(config, text_of(key));
    if (!node.IsDefined() || !node.IsScalar()) return HERALD_NOT_FOUND;
    return YAML::convert<double>::decode(node, *out) ? HERALD_OK : HERALD_INVALID;
  }
  const SettingValue* value = setting(config, key);
  if (!value || (value->type != HERALD_TYPE_DOUBLE && value->type != HERALD_TYPE_INT))
    return HERALD_NOT_FOUND;
  *out = std::stod(value->scalar);
  return HERALD_OK;
}

herald_status config_list_size(herald_config* config, herald_str key, size_t* out) {
  const SettingValue* value = setting(config, key);
  if (value && value->type == HERALD_TYPE_STRING_LIST) {
    *out = value->list.size();
    return HERALD_OK;
  }
  YAML::Node node = config_node(config, text_of(key));
  if (!node.IsDefined()) return HERALD_NOT_FOUND;
  if (node.IsScalar()) {  // one item may be written without brackets
    *out = 1;
    return HERALD_OK;
  }
  if (!node.IsSequence()) return HERALD_NOT_FOUND;
  *out = node.size();
  return HERALD_OK;
}

herald_status config_list_item(herald_config* config, herald_str key, size_t index,
                               herald_str* out) {
  const SettingValue* value = setting(config, key);
  if (value && value->type == HERALD_TYPE_STRING_LIST) {
    if (index >= value->list.size()) return HERALD_NOT_FOUND;
    *out = herald_str{value->list[index].data(), value->list[index].size()};
    return HERALD_OK;
  }
  YAML::Node node = config_node(config, text_of(key));
  if (node.IsDefined() && node.IsScalar() && index == 0) {
    *out = keep(config, node.Scalar());
    return HERALD_OK;
  }
  if (!node.IsDefined() || !node.IsSequence() || index >= node.size() || !node[index].IsScalar())
    return HERALD_NOT_FOUND;
  *out = keep(config, node[index].Scalar());
  return HERALD_OK;
}

herald_status config_keys(herald_config* config, herald_str path, herald_str* out) {
  YAML::Node node = config_node(config, text_of(path));
  if (!node.IsDefined() || !node.IsMap()) return HERALD_NOT_FOUND;
  std::string keys;
  for (auto it = node.begin(); it != node.end(); ++it) keys += it->first.as<std::string>("") + "\n";
  *out = keep(config, std::move(keys));
  return HERALD_OK;
}

herald_status config_where(herald_config* config, herald_str path, herald_str* out) {
  ConfigContext& context = config_of(config);
  if (!context.step) return HERALD_NOT_FOUND;
  std::string key_path = text_of(path);
  std::string top;
  YAML::Node node = config_node(config, key_path, &top);
  if (!node.IsDefined()) {
    const YAML::Node& step_config = context.step->config;
    if (step_config.IsMap() && step_config[top]) node.reset(step_config[top]);
  }
  *out = keep(config, config_location(node, *context.step, key_path));
  return HERALD_OK;
}

size_t config_person_count(herald_config* config) {
  const ConfigContext& context = config_of(config);
  return context.configuration ? context.configuration->people.size() : 0;
}

size_t config_account_count(herald_config* config) {
  const ConfigContext& context = config_of(config);
  return context.configuration ? context.configuration->accounts.size() : 0;
}

herald_status config_account_field(herald_config* config, size_t index, herald_str field_name,
                                   herald_str* out) {
  const ConfigContext& context = config_of(config);
  if (!context.configuration || index >= context.configuration->accounts.size())
    return HERALD_NOT_FOUND;
  const AccountConfig& account = context.configuration->accounts[index];
  std::string_view field = view_of(field_name);
  std::string value;
  if (field == "name")
    value = account.name;
  else if (field == "network")
    value = account.network;
  else if (field == "timezone")
    value = account.timezone;
  else if (field == "audiences")
    value = describe_audiences(account.audiences);
  else
    return HERALD_NOT_FOUND;
  *out = keep(config, std::move(value));
  return HERALD_OK;
}

void config_error(herald_config* config, herald_str message) {
  // One line a mistake: a plugin may report several (at most 100 are kept).
  std::string& errors = config_of(config).error;
  if (std::count(errors.begin(), errors.end(), '\n') >= 99) return;
  std::string line = repaired_utf8(view_of(message).substr(0, kLongTextLimit), kLongTextLimit);
  std::replace(line.begin(), line.end(), '\n', ' ');
  errors += (errors.empty() ? "" : "\n") + line;
}

/// The fields of the mention an inbound step reads; null when `field` is not one.
herald_status mention_get(CallContext& call, std::string_view field, herald_str* out) {
  const Mention& m = *call.inbound->mention;
  std::string value;
  if (field == "author")
    value = m.author;
  else if (field == "text")
    value = m.text;
  else if (field == "network")
    value = m.network;
  else if (field == "account")
    value = m.account;
  else if (field == "handle")
    value = call.account ? call.account->handle : "";
  else if (field == "mention_id")
    value = m.from_network ? m.source_id : "";
  else if (field == "followers")
    value = std::to_string(m.followers);
  else if (field == "engagement")
    value = std::to_string(m.engagement);
  else if (field == "at")
    value = std::to_string(m.at_ms);
  else if (field == "score")
    value = std::to_string(m.score);
  else if (field == "score_detail")
    value = m.score_detail;
  else if (field == "action")
    value = m.action;
  else if (field == "rule")
    value = m.rule;
  else if (field == "step")
    value = call.step_name;
  else if (field == "config_dir")
    value = call.config ? call.config->directory : "";
  else
    return HERALD_NOT_FOUND;
  *out = hand_out(call, std::move(value));
  return HERALD_OK;
}

herald_status mention_set(CallContext& call, const std::string& field, std::string value) {
  Mention& m = *call.inbound->mention;
  if (field == "score") {
    char* end = nullptr;
    double score = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(score)) {
      call.refused = "score must be a number, got '" + value + "'";
      return HERALD_INVALID;
    }
    m.score = score;
  } else if (field == "score_detail") {
    m.score_detail = std::move(value);
  } else if (field == "rule") {
    m.rule = std::move(value);
  } else if (field == "action") {
    static const std::set<std::string> stops = {"ignore", "mute", "block", "report"};
    if (!stops.count(value)) {
      call.refused = "action must be ignore, mute, block or report, got '" + value +
                     "' (a reply is made with answer)";
      return HERALD_INVALID;
    }
    if (call.inbound->reply) {
      call.refused = "the mention is already answered; it cannot be stopped too";
      return HERALD_INVALID;
    }
    m.action = std::move(value);
  } else {
    return HERALD_INVALID;
  }
  return HERALD_OK;
}

herald_status post_get(herald_call* handle, herald_str field_name, herald_str* out) {
  CallContext& call = call_of(handle);
  if (call.inbound) return mention_get(call, text_of(field_name), out);
  const Post& post = *call.post;
  std::string_view field = view_of(field_name);
  // Fields no step can change during a call are lent directly; the others are copied, since a
  // post_set would move them.
  auto lend = [&](const std::string& value) {
    *out = herald_str{value.data(), value.size()};
    return HERALD_OK;
  };
  static const std::string empty;
  if (field == "account") return lend(post.account);
  if (field == "author") return lend(post.author);
  if (field == "workflow") return lend(post.workflow);
  if (field == "zone") return lend(post.zone);
  if (field == "idempotency_key") return lend(post.idempotency_key);
  if (field == "network") return lend(call.account ? call.account->network : empty);
  if (field == "handle") return lend(call.account ? call.account->handle : empty);
  if (field == "endpoint") return lend(call.account ? call.account->endpoint : empty);
  if (field == "step") return lend(call.step_name);
  if (field == "config_dir") return lend(call.config ? call.config->directory : empty);
  if (field == "mentions_cursor" && call.mentions_cursor) return lend(*call.mentions_cursor);
  if (call.moderation) {
    if (field == "moderation_action") return lend(call.moderation->action);
    if (field == "moderation_author") return lend(call.moderation->author);
    if (field == "moderation_mention_id") return lend(call.moderation->mention_id);
    if (field == "moderation_rule") return lend(call.moderation->rule);
  }
  if (call.notification) {
    if (field == "notify_to") return lend(call.notification->to);
    if (field == "notify_key") return lend(call.notification->key);
    if (field == "notify_message") return lend(call.notification->message);
  }

  std::string value;
  if (field == "id")
    value = std::to_string(post.id);
  else if (field == "text")
    value = post.text;
  else if (field == "tags")
    value = join_lines(post.tags);
  else if (field == "publish_at")
    value = std::to_string(post.publish_at_ms);
  else if (field == "char_limit" || field == "network_char_limit") {
    // The account's own char_limit wins; else what its network reported, if it did.
    int64_t reported = call.network_char_limit;
    if (call.text_limits && reported == 0)
      if (auto it = call.text_limits->find(post.account); it != call.text_limits->end())
        reported = it->second;
    if (field == "network_char_limit")
      value = std::to_string(reported);
    else if (call.account && (call.account->char_limit_set || reported == 0))
      value = std::to_string(call.account->char_limit);  // given, or the network's default
    else
      value = std::to_string(reported);
  } else if (field == "attempt")
    value = std::to_string(post.attempt);
  else if (field == "max_attempts")
    value = std::to_string(call.config ? call.config->engine.max_attempts : 0);
  else if (field == "outcome_unknown")
    value = call.outcome_unknown ? "1" : "0";
  else if (field == "remote_id")
    value = post.remote_id;
  else if (field == "note")
    value = post.note;
  else if (field == "claimed_from")
    value = std::string(to_string(post.claimed_from));
  else if (field == "revision")
    value = std::to_string(post.revision);
  else if (field == "stage")
    value = post.stage;
  else if (field == "step_since")
    value = std::to_string(post.step_entered_ms);
  else if (field == "planned_at")
    value = std::to_string(post.planned_ms);
  else if (field == "plan_note")
    value = post.plan_note;
  else if (field == "time_note")
    value = post.time_note;
  else if (field == "account_limited_until") {
    int64_t until = 0;
    if (call.account_limits)
      if (auto it = call.account_limits->find(post.account); it != call.account_limits->end())
        until = it->second;
    value = std::to_string(std::max(until, call.account_limited_until_ms));
  } else if (field == "account_zone")
    value = call.account ? call.account->timezone : "";
  else if (field == "audiences")
    value = call.account ? describe_audiences(call.account->audiences) : "";
  else
    return HERALD_NOT_FOUND;
  *out = hand_out(call, std::move(value));
  return HERALD_OK;
}

herald_status post_set(herald_call* handle, herald_str field_name, herald_str value) {
  CallContext& call = call_of(handle);
  std::optional<std::string> field =
      accepted(call, "the name of a post field", field_name, kShortTextLimit, Lines::one);
  if (!field) return HERALD_INVALID;
  // Text fields, checked before they are kept: what may be long, and what must be one line.
  static const std::map<std::string, std::pair<size_t, Lines>, std::less<>> kTextFields = {
      {"text", {kLongTextLimit, Lines::any}},
      {"note", {kLongTextLimit, Lines::any}},
      {"plan_note", {kLongTextLimit, Lines::any}},
      {"score_detail", {kLongTextLimit, Lines::any}},
      {"remote_id", {kShortTextLimit, Lines::one}},
      {"stage", {kShortTextLimit, Lines::one}},
      {"rule", {kShortTextLimit, Lines::one}},
      {"action", {kShortTextLimit, Lines::one}},
      {"mentions_cursor", {kLongTextLimit, Lines::one}},
  };
  std::optional<std::string> text;
  if (auto limits = kTextFields.find(*field); limits != kTextFields.end()) {
    text = accepted(call, "post field '" + *field + "'", value, limits->second.first,
                    limits->second.second);
    if (!text) return HERALD_INVALID;
  } else {
    text = accepted(call, "post field '" + *field + "'", value, kShortTextLimit, Lines::one);
    if (!text) return HERALD_INVALID;
  }
  if (call.inbound) return mention_set(call, *field, *text);
  if (*field == "mentions_cursor" && call.mentions_cursor) {
    *call.mentions_cursor = *text;
  } else if (*field == "text") {
    call.text_changed = call.text_changed || call.post->text != *text;
    call.post->text = *text;
  } else if (*field == "remote_id") {
    call.post->remote_id = *text;
  } else if (*field == "note") {
    call.post->note = *text;
  } else if (*field == "stage") {
    call.post->stage = *text;
  } else if (*field == "planned_at") {
    int64_t at = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), at);
    if (ec != std::errc() || end != text->data() + text->size() || at < 0) {
      call.error = "planned_at must be Unix milliseconds, got '" + *text + "'";
      return HERALD_INVALID;
    }
    call.post->planned_ms = at;
  } else if (*field == "plan_note") {
    call.post->plan_note = *text;
  } else if (*field == "account_limited_until") {
    int64_t until = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), until);
    if (ec != std::errc() || end != text->data() + text->size() || until < 0) {
      call.error = "account_limited_until must be Unix milliseconds, got '" + *text + "'";
      return HERALD_INVALID;
    }
    call.account_limited_until_ms = std::max(call.account_limited_until_ms, until);
  } else if (*field == "outcome_unknown") {
    if (*text != "0" && *text != "1") {
      call.error = "outcome_unknown must be 1 or 0, got '" + *text + "'";
      return HERALD_INVALID;
    }
    call.outcome_unknown = *text == "1";
  } else if (*field == "network_char_limit") {
    int64_t limit = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc() || end != text->data() + text->size() || limit < 1 || limit > 1'000'000) {
      call.error = "network_char_limit must be a number from 1 to 1000000, got '" + *text + "'";
      return HERALD_INVALID;
    }
    call.network_char_limit = limit;
  } else {
    return HERALD_INVALID;
  }
  return HERALD_OK;
}

size_t event_count(herald_call* handle) {
  const CallContext& call = call_of(handle);
  return call.events ? call.events->size() : 0;
}

herald_status event_field(herald_call* handle, size_t index, herald_str field_name,
                          herald_str* out) {
  CallContext& call = call_of(handle);
  if (!call.events || index >= call.events->size()) return HERALD_NOT_FOUND;
  const PostEvent& event = (*call.events)[index];
  std::string field = text_of(field_name);
  std::string value;
  if (field == "type")
    value = event.type;
  else if (field == "actor")
    value = event.actor;
  else if (field == "comment")
    value = event.comment;
  else if (field == "at")
    value = std::to_string(event.at_ms);
  else if (field == "on_behalf")
    value = event.on_behalf;
  else if (field == "content_hash")
    value = event.content_hash;
  else if (field == "stage")
    value = event.stage;
  else if (field == "revision")
    value = std::to_string(event.revision);
  else
    return HERALD_NOT_FOUND;
  *out = hand_out(call, std::move(value));
  return HERALD_OK;
}

herald_status expect_event(herald_call* handle, herald_str type, herald_str role) {
  CallContext& call = call_of(handle);
  std::optional<std::string> type_text =
      accepted(call, "an expected event's type", type, kShortTextLimit, Lines::one);
  std::optional<std::string> role_text =
      type_text ? accepted(call, "an expected event's role", role, kShortTextLimit, Lines::one)
                : std::nullopt;
  if (!role_text) return HERALD_INVALID;
  Expectation expectation{std::move(*type_text), std::move(*role_text)};
  if (expectation.type.empty()) return HERALD_INVALID;
  for (const auto& e : call.expects)
    if (e.type == expectation.type && e.role == expectation.role) return HERALD_OK;
  call.expects.push_back(std::move(expectation));
  return HERALD_OK;
}

herald_status emit_event(herald_call* handle, herald_str type, herald_str detail) {
  CallContext& call = call_of(handle);
  std::optional<std::string> type_text =
      accepted(call, "an event's type", type, kShortTextLimit, Lines::one);
  std::optional<std::string> detail_text =
      type_text ? accepted(call, "an event's detail", detail, kLongTextLimit) : std::nullopt;
  if (!detail_text) return HERALD_INVALID;
  PostEvent event;
  event.post_id = call.post->id;
  event.step_index = call.post->step_index;
  event.type = std::move(*type_text);
  event.actor = call.plugin_name;
  event.comment = std::move(*detail_text);
  event.at_ms = call.clock ? call.clock->now_ms() : 0;
  event.stage = call.post->stage;
  event.revision = call.post->revision;
  if (event.type.empty()) return HERALD_INVALID;
  call.emitted.push_back(std::move(event));
  return HERALD_OK;
}

size_t person_count(herald_call* handle) {
  const CallContext& call = call_of(handle);
  return call.config ? call.config->people.size() : 0;
}

/// A field of a person, as plugins read it (roles and teams one per line).
std::optional<std::string> person_value(const PersonConfig& person, std::string_view field) {
  if (field == "id") return person.id;
  if (field == "name") return person.name;
  if (field == "roles") return join_lines(person.roles);
  if (field == "teams") return join_lines(person.teams);
  if (field == "amplify") return std::string(person.amplify ? "true" : "false");
  return std::nullopt;
}

herald_status person_field(herald_call* handle, size_t index, herald_str field_name,
                           herald_str* out) {
  CallContext& call = call_of(handle);
  if (!call.config || index >= call.config->people.size()) return HERALD_NOT_FOUND;
  if (text_of(field_name) == "advocate_for") {  // ABI 1.6: the accounts they share posts of
    std::vector<std::string> accounts;
    if (call.advocates)
      if (auto found = call.advocates->find(call.config->people[index].id);
          found != call.advocates->end())
        accounts = found->second;
    *out = hand_out(call, join_lines(accounts));
    return HERALD_OK;
  }
  std::optional<std::string> value = person_value(call.config->people[index], text_of(field_name));
  if (!value) return HERALD_NOT_FOUND;
  *out = hand_out(call, std::move(*value));
  return HERALD_OK;
}

herald_status config_person_field(herald_config* config, size_t index, herald_str field_name,
                                  herald_str* out) {
  const ConfigContext& context = config_of(config);
  if (!context.configuration || index >= context.configuration->people.size())
    return HERALD_NOT_FOUND;
  std::optional<std::string> value =
      person_value(context.configuration->people[index], text_of(field_name));
  if (!value) return HERALD_NOT_FOUND;
  *out = keep(config, std::move(*value));
  return HERALD_OK;
}

/// Tags a plugin hands back, one per line: each within the tag limit.
std::optional<std::vector<std::string>> accepted_tags(CallContext& call, std::string_view what,
                                                      herald_str tags) {
  std::optional<std::string> lines = accepted(call, what, tags, kLongTextLimit);
  if (!lines) return std::nullopt;
  std::vector<std::string> out = split_lines(*lines);
  for (const std::string& tag : out) {
    herald_str one{tag.data(), tag.size()};
    if (!accepted(call, std::string(what) + " (a tag)", one, kShortTextLimit, Lines::one))
      return std::nullopt;
  }
  return out;
}

herald_status spawn_post(herald_call* handle, herald_str workflow, herald_str account,
                         herald_str text, herald_str tags) {
  CallContext& call = call_of(handle);
  std::optional<std::string> workflow_name =
      accepted(call, "a new post's workflow", workflow, kShortTextLimit, Lines::one);
  std::optional<std::string> account_name =
      workflow_name ? accepted(call, "a new post's account", account, kShortTextLimit, Lines::one)
                    : std::nullopt;
  std::optional<std::string> body =
      account_name ? accepted(call, "a new post's text", text, kLongTextLimit) : std::nullopt;
  std::optional<std::vector<std::string>> tag_list =
      body ? accepted_tags(call, "a new post's tags", tags) : std::nullopt;
  if (!tag_list) return HERALD_INVALID;
  CallContext::Spawned post{std::move(*workflow_name), std::move(*account_name), std::move(*body),
                            std::move(*tag_list)};
  if (!call.config || !call.config->workflow(post.workflow) || !call.config->account(post.account))
    return HERALD_NOT_FOUND;
  if (post.text.empty()) return HERALD_INVALID;
  call.spawned.push_back(std::move(post));
  return HERALD_OK;
}

herald_status content_hash(herald_call* handle, herald_str* out) {
  CallContext& call = call_of(handle);
  *out = hand_out(call, sha256_hex(call.post->text));
  return HERALD_OK;
}

int person_matches(herald_call* handle, herald_str person_id, herald_str who) {
  const CallContext& call = call_of(handle);
  if (!call.config) return 0;
  const PersonConfig* person = call.config->person(text_of(person_id));
  return person && person->matches(text_of(who)) ? 1 : 0;
}

int person_has_role(herald_call* handle, herald_str person_id, herald_str role) {
  const CallContext& call = call_of(handle);
  if (!call.config) return 0;
  const PersonConfig* person = call.config->person(text_of(person_id));
  return person && person->has_role(text_of(role)) ? 1 : 0;
}

int64_t now_ms(herald_call* handle) {
  const CallContext& call = call_of(handle);
  return call.clock ? call.clock->now_ms() : 0;
}

herald_status secret(herald_call* handle, herald_str name, herald_str* out) {
  CallContext& call = call_of(handle);
  if (!call.account) return HERALD_NOT_FOUND;
  auto it = call.account->credentials.find(text_of(name));
  if (it == call.account->credentials.end()) return HERALD_NOT_FOUND;
  if (!call.config) return HERALD_NOT_FOUND;
  Result<std::string> value = resolve_credential(it->second, *call.config);
  if (!value) {
    call.error = "credential '" + text_of(name) + "' of account '" + call.account->name +
                 "': " + value.status().message();
    return HERALD_NOT_FOUND;
  }
  *out = hand_out(call, std::move(*value));
  return HERALD_OK;
}

void set_outcome(herald_call* handle, herald_outcome outcome, int64_t at_ms, herald_str reason) {
  CallContext& call = call_of(handle);
  std::optional<std::string> reason_text = accepted(call, "the reason", reason, kLongTextLimit);
  if (!reason_text) {  // the step fails, with what was wrong with the reason
    call.outcome = HERALD_FAIL;
    call.outcome_at_ms = 0;
    call.reason = call.violation;
    return;
  }
  call.outcome = outcome;
  call.outcome_at_ms = at_ms;
  call.reason = std::move(*reason_text);
  if (outcome < HERALD_ADVANCE || outcome > HERALD_REVISE) {
    call.outcome = HERALD_FAIL;
    call.reason = "the step decided an outcome this host does not know (" +
                  std::to_string(static_cast<int>(outcome)) + ")";
  }
}

/// Runs one of the text rules for a plugin: `rule(network, utf8)` gives a Result, whose value
/// `deliver` hands over. An unknown network or text that is not UTF-8 is HERALD_INVALID, with
/// the reason recorded for the plugin's error.
template <typename Rule, typename Deliver>
herald_status run_text_rule(herald_call* handle, herald_str network_name, herald_str utf8,
                            Rule rule, Deliver deliver) {
  CallContext& call = call_of(handle);
  Result<text::Network> network = text::parse_network(text_of(network_name));
  if (!network) {
    call.error = network.status().message();
    return HERALD_INVALID;
  }
  auto result = rule(*network, std::string_view(utf8.data ? utf8.data : "", utf8.size));
  if (!result) {
    call.error = result.status().message();
    return HERALD_INVALID;
  }
  return deliver(call, *result);
}

herald_status text_count(herald_call* handle, herald_str network_name, herald_str utf8,
                         int64_t limit, herald_text_count* out) {
  if (!out || out->struct_size < sizeof(uint32_t)) return HERALD_INVALID;
  return run_text_rule(
      handle, network_name, utf8,
      [&](text::Network network, std::string_view text) {
        return text::measure(network, text, limit);
      },
      [&](CallContext&, const text::Measure& m) {
        herald_text_count result{
            sizeof(herald_text_count), m.valid ? 1 : 0, m.length, m.limit, m.graphemes, m.bytes};
        // Fill what the caller's version of the struct has room for.
        const size_t room = std::min<size_t>(out->struct_size, sizeof(result));
        std::memcpy(out, &result, room);
        out->struct_size = static_cast<uint32_t>(room);
        return HERALD_OK;
      });
}

herald_status text_entities(herald_call* handle, herald_str network_name, herald_str utf8,
                            herald_str* out) {
  return run_text_rule(handle, network_name, utf8, &text::entities,
                       [&](CallContext& call, const std::vector<text::TextEntity>& found) {
                         std::string lines;
                         for (const text::TextEntity& e : found)
                           lines += e.type + "\t" + std::to_string(e.start) + "\t" +
                                    std::to_string(e.end) + "\t" + e.value + "\n";
                         *out = hand_out(call, std::move(lines));
                         return HERALD_OK;
                       });
}

herald_status text_breaks(herald_call* handle, herald_str network_name, herald_str utf8,
                          herald_str* out) {
  return run_text_rule(handle, network_name, utf8, &text::break_opportunities,
                       [&](CallContext& call, const std::vector<size_t>& found) {
                         std::string lines;
                         for (size_t offset : found) lines += std::to_string(offset) + "\n";
                         *out = hand_out(call, std::move(lines));
                         return HERALD_OK;
                       });
}

}  // namespace

std::string config_location(const YAML::Node& node, const StepConfig& step,
                            const std::string& key_path) {
  SourceLocation where = step.config_where;
  if (node.IsDefined() && node.Mark().line >= 0) {
    where.line = node.Mark().line + 1;
    where.column = node.Mark().column + 1;
  }
  std::string path = key_path;
  // The short form `moderation: [...]` is the step's `rules`: rules[1].action is moderation[1].
  if (!step.unwrapped.empty() && path.rfind(step.unwrapped, 0) == 0)
    where.key_path += path.substr(step.unwrapped.size());
  else if (!path.empty())
    where.key_path += "." + path;
  return where.describe();
}

namespace {

herald_status account_plan(herald_call* handle, int64_t from_ms, int64_t to_ms, herald_str* out) {
  CallContext& call = call_of(handle);
  if (!call.plan || !call.post) return HERALD_NOT_FOUND;
  Result<std::vector<PlanEntry>> entries =
      call.plan->planned(call.post->account, from_ms, to_ms, call.post->id);
  if (!entries) {
    call.error = entries.status().message();
    return HERALD_UNAVAILABLE;
  }
  std::string lines;
  for (const PlanEntry& e : *entries)
    lines += std::to_string(e.at_ms) + "\t" + std::to_string(e.post_id) + "\n";
  *out = hand_out(call, std::move(lines));
  return HERALD_OK;
}

herald_status remote_id_owner(herald_call* handle, herald_str remote_id, int64_t* out) {
  CallContext& call = call_of(handle);
  if (!call.plan || !call.post) return HERALD_UNAVAILABLE;
  Result<int64_t> owner =
      call.plan->remote_id_owner(call.post->account, text_of(remote_id), call.post->id);
  if (!owner) {
    call.error = owner.status().message();
    return HERALD_UNAVAILABLE;
  }
  *out = *owner;
  return HERALD_OK;
}

herald_status best_slots(herald_call* handle, uint32_t count, herald_str* out) {
  CallContext& call = call_of(handle);
  if (!call.plan || !call.account) return HERALD_NOT_FOUND;
  Result<std::vector<SlotSuggestion>> slots = call.plan->best_slots(*call.account);
  if (!slots) {
    call.error = slots.status().message();
    return HERALD_UNAVAILABLE;
  }
  std::string lines;
  for (size_t i = 0; i < slots->size() && i < count; ++i)
    lines += std::to_string((*slots)[i].weekday) + "\t" + std::to_string((*slots)[i].minute) +
             "\t" + std::to_string((*slots)[i].rate) + "\n";
  *out = hand_out(call, std::move(lines));
  return HERALD_OK;
}

herald_status notify(herald_call* handle, herald_str notifier_name, herald_str recipient,
                     herald_str key, herald_str message, herald_str* reason) {
  CallContext& call = call_of(handle);
  const std::string name = text_of(notifier_name);
  auto found = call.notifiers ? call.notifiers->find(name) : Notifiers::const_iterator{};
  if (!call.notifiers || found == call.notifiers->end()) return HERALD_NOT_FOUND;
  const BoundStep& notifier = *found->second;
  std::optional<std::string> to =
      accepted(call, "a notification's recipient", recipient, kShortTextLimit, Lines::one);
  std::optional<std::string> key_text =
      to ? accepted(call, "a notification's key", key, kShortTextLimit, Lines::one) : std::nullopt;
  std::optional<std::string> body =
      key_text ? accepted(call, "a notification's message", message, kLongTextLimit) : std::nullopt;
  if (!body) return HERALD_INVALID;
  const NotifyRequest note{std::move(*to), std::move(*key_text), std::move(*body)};
  // The notifier sees the post but cannot change it.
  Post post = *call.post;
  static const std::vector<PostEvent> no_events;
  CallContext inner;
  inner.post = &post;
  inner.account = call.account;
  inner.config = call.config;
  inner.events = &no_events;
  inner.clock = call.clock;
  inner.account_limits = call.account_limits;
  inner.text_limits = call.text_limits;
  inner.advocates = call.advocates;
  inner.notification = &note;
  inner.plugin_name = notifier.plugin().name;
  inner.step_name = name;
  const herald_status status = notifier.run(inner);
  auto answer = [&](herald_status result, const std::string& why) {
    *reason = hand_out(call, "notifier " + name + " (" + notifier.config().plugin +
                                 "): " + (why.empty() ? "no reason given" : why));
    return result;
  };
  if (status == HERALD_UNAVAILABLE) return answer(HERALD_UNAVAILABLE, inner.error);
  if (status != HERALD_OK) return answer(HERALD_ERROR, inner.error);
  switch (inner.outcome) {
    case HERALD_ADVANCE: return HERALD_OK;
    case HERALD_RETRY:
    case HERALD_WAIT:
    case HERALD_HOLD: return answer(HERALD_UNAVAILABLE, inner.reason);
    default: return answer(HERALD_ERROR, inner.reason);
  }
}

herald_status config_notifier(herald_config* config, herald_str name) {
  const ConfigContext& context = config_of(config);
  return context.configuration && context.configuration->notifier(text_of(name)) ? HERALD_OK
                                                                                 : HERALD_NOT_FOUND;
}

herald_status mentions_stopped(herald_call* handle, int64_t since_ms, int64_t* out) {
  CallContext& call = call_of(handle);
  if (!call.inbound || !call.inbound->stopped_since) return HERALD_INVALID;
  Result<int64_t> count = call.inbound->stopped_since(since_ms);
  if (!count) {
    call.error = count.status().message();
    return HERALD_UNAVAILABLE;
  }
  *out = *count;
  return HERALD_OK;
}

herald_status answer_mention(herald_call* handle, herald_str workflow, herald_str account,
                             herald_str author, herald_str text, herald_str tags) {
  CallContext& call = call_of(handle);
  if (!call.inbound) return HERALD_INVALID;
  std::optional<std::string> workflow_name =
      accepted(call, "the answer's workflow", workflow, kShortTextLimit, Lines::one);
  std::optional<std::string> account_name =
      workflow_name ? accepted(call, "the answer's account", account, kShortTextLimit, Lines::one)
                    : std::nullopt;
  std::optional<std::string> author_name =
      account_name ? accepted(call, "the answer's author", author, kShortTextLimit, Lines::one)
                   : std::nullopt;
  std::optional<std::string> body =
      author_name ? accepted(call, "the answer's text", text, kLongTextLimit) : std::nullopt;
  std::optional<std::vector<std::string>> tag_list =
      body ? accepted_tags(call, "the answer's tags", tags) : std::nullopt;
  if (!tag_list) return HERALD_INVALID;
  InboundCall::Reply reply{std::move(*workflow_name), std::move(*account_name),
                           std::move(*author_name), std::move(*body), std::move(*tag_list)};
  if (!call.config || !call.config->workflow(reply.workflow) ||
      !call.config->account(reply.account) ||
      (!reply.author.empty() && !call.config->person(reply.author)))
    return HERALD_NOT_FOUND;
  if (reply.text.empty() || !call.inbound->mention->action.empty() || call.inbound->reply)
    return HERALD_INVALID;
  call.inbound->reply = std::move(reply);
  return HERALD_OK;
}

herald_status config_workflow(herald_config* config, herald_str name) {
  const ConfigContext& context = config_of(config);
  return context.configuration && context.configuration->workflow(text_of(name)) ? HERALD_OK
                                                                                 : HERALD_NOT_FOUND;
}

}  // namespace

std::string describe_audiences(const std::vector<AudienceConfig>& audiences) {
  std::string out;
  for (const AudienceConfig& a : audiences) out += a.zone + "\t" + std::to_string(a.share) + "\n";
  return out;
}

namespace {

const herald_host_api kHostApi = {
    sizeof(herald_host_api),
    HERALD_ABI_MAJOR,
    HERALD_ABI_MINOR,
    &host_log,
    &host_set_error,
    &config_string,
    &config_int,
    &config_bool,
    &config_double,
    &config_list_size,
    &config_list_item,
    &config_error,
    &post_get,
    &post_set,
    &event_count,
    &event_field,
    &expect_event,
    &emit_event,
    &person_count,
    &person_field,
    &person_has_role,
    &now_ms,
    &secret,
    &set_outcome,
    &text_count,
    &text_entities,
    &text_breaks,
    &config_keys,
    &config_where,
    &config_person_count,
    &config_person_field,
    &content_hash,
    &person_matches,
    &account_plan,
    &best_slots,
    &config_account_count,
    &config_account_field,
    &spawn_post,
    &notify,
    &config_notifier,
    &mentions_stopped,
    &answer_mention,
    &config_workflow,
    &remote_id_owner,
};

}  // namespace

const herald_host_api* host_api() {
  return &kHostApi;
}

std::string outcome_name(herald_outcome outcome) {
  switch (outcome) {
    case HERALD_ADVANCE: return "advance";
    case HERALD_WAIT: return "wait";
    case HERALD_HOLD: return "hold";
    case HERALD_REJECT: return "reject";
    case HERALD_RETRY: return "retry";
    case HERALD_FAIL: return "fail";
    case HERALD_REVISE: return "revise";
  }
  return "unknown";
}

}  // namespace herald
