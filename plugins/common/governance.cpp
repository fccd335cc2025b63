#include "common/governance.hpp"

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace herald::builtin {
namespace {

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

bool overlaps(const std::vector<std::string>& wanted, const std::vector<std::string>& have) {
  for (const auto& w : wanted)
    if (contains(have, w)) return true;
  return false;
}

}  // namespace

std::string yaml_where(const std::string& file, const YAML::Node& node) {
  return file + ":" + std::to_string(node.Mark().line + 1) + ":" +
         std::to_string(node.Mark().column + 1);
}

YAML::Node load_yaml_file(const std::string& path, const std::string& what) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw std::invalid_argument(path + ": cannot read the " + what);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": the " + what +
                                " does not parse: " + e.msg);
  }
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string describe_who(const std::string& who) {
  if (who.rfind("person:", 0) == 0) return who.substr(7);
  if (who.rfind("team:", 0) == 0) return "team " + who.substr(5);
  return "role " + who;
}

std::optional<LatePolicy> parse_late_policy(const std::string& text) {
  if (text == "hold") return LatePolicy::hold;
  if (text == "expire") return LatePolicy::expire;
  if (text == "escalate") return LatePolicy::escalate;
  if (text == "publish") return LatePolicy::publish;
  return std::nullopt;
}

const char* late_policy_name(LatePolicy policy) {
  switch (policy) {
    case LatePolicy::hold: return "hold";
    case LatePolicy::expire: return "expire";
    case LatePolicy::escalate: return "escalate";
    case LatePolicy::publish: return "publish";
  }
  return "hold";
}

bool PostCondition::empty() const {
  return tags.empty() && accounts.empty() && networks.empty() && author_roles.empty();
}

bool PostCondition::matches(const herald::Context& post) const {
  if (!tags.empty() && !overlaps(tags, post.tags())) return false;
  if (!accounts.empty() && !contains(accounts, post.account())) return false;
  if (!networks.empty() && !contains(networks, post.network())) return false;
  if (!author_roles.empty()) {
    std::string author = post.author();
    bool any = false;
    for (const auto& role : author_roles) any = any || post.has_role(author, role);
    if (!any) return false;
  }
  return true;
}

std::string PostCondition::describe() const {
  std::vector<std::string> parts;
  if (!tags.empty()) parts.push_back("tag " + join(tags));
  if (!accounts.empty()) parts.push_back("account " + join(accounts));
  if (!networks.empty()) parts.push_back("network " + join(networks));
  if (!author_roles.empty()) parts.push_back("author role " + join(author_roles));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " and ") + p;
  return out;
}

namespace {

/// "{name}" or "{name:PATTERN}" -> a capture group; the rest is literal.
std::string template_pattern(const std::string& text, const std::string& context) {
  std::string out = "(?s)";
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '{') {
      literal += text[i++];
      continue;
    }
    int depth = 0;
    size_t close = i;
    for (; close < text.size(); ++close) {
      if (text[close] == '{') ++depth;
      if (text[close] == '}' && --depth == 0) break;
    }
    if (close >= text.size())
      throw std::invalid_argument(context + ": a '{' at character " + std::to_string(i + 1) +
                                  " has no closing '}'");
    std::string inside = text.substr(i + 1, close - i - 1);
    size_t colon = inside.find(':');
    std::string name = inside.substr(0, colon);
    if (name.empty() ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") != std::string::npos)
      throw std::invalid_argument(context + ": placeholder '{" + inside +
                                  "}' needs a name of lowercase letters, digits and _");
    out += RE2::QuoteMeta(literal);
    literal.clear();
    out += colon == std::string::npos ? std::string("([\\pL\\pN .,'-]{1,60})")
                                      : "(" + inside.substr(colon + 1) + ")";
    i = close + 1;
  }
  out += RE2::QuoteMeta(literal);
  return out;
}

}  // namespace

std::vector<Template> load_templates(const std::string& path) {
  YAML::Node root = load_yaml_file(path, "templates file");
  YAML::Node list = root.IsMap() ? root["templates"] : YAML::Node();
  if (!list || !list.IsSequence())
    throw std::invalid_argument(path + ":1:1: expected `templates:` with a list of {name, text}");
  std::vector<Template> templates;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& item = list[i];
    std::string at = yaml_where(path, item);
    if (!item.IsMap() || !item["name"] || !item["text"] || !item["name"].IsScalar() ||
        !item["text"].IsScalar())
      throw std::invalid_argument(at + ": a template needs `name` and `text`");
    for (auto it = item.begin(); it != item.end(); ++it) {
      std::string key = it->first.as<std::string>("");
      if (key != "name" && key != "text")
        throw std::invalid_argument(yaml_where(path, it->first) + ": unknown key '" + key +
                                    "' in a template (known: name, text)");
    }
    Template t;
    t.name = item["name"].Scalar();
    t.text = item["text"].Scalar();
    for (const Template& other : templates)
      if (other.name == t.name)
        throw std::invalid_argument(at + ": template '" + t.name + "' is defined twice");
    std::string context = yaml_where(path, item["text"]) + ": template '" + t.name + "'";
    RE2::Options options;
    options.set_log_errors(false);
    t.pattern = std::make_shared<re2::RE2>(template_pattern(t.text, context), options);
    if (!t.pattern->ok())
      throw std::invalid_argument(
          context + ": a placeholder pattern is not valid RE2: " + t.pattern->error());
    templates.push_back(std::move(t));
  }
  return templates;
}

const Template* match_template(const std::vector<Template>& templates, const std::string& text) {
  for (const Template& t : templates)
    if (RE2::FullMatch(text, *t.pattern)) return &t;
  return nullptr;
}

bool person_is(const herald::Person& person, const std::string& who) {
  if (who.rfind("person:", 0) == 0) return person.id == who.substr(7);
  if (who.rfind("team:", 0) == 0) return contains(person.teams, who.substr(5));
  return contains(person.roles, who);
}

bool anyone_is(const std::vector<herald::Person>& people, const std::string& who) {
  for (const auto& p : people)
    if (person_is(p, who)) return true;
  return false;
}

std::string tell_of_escalation(herald::Context& post, const std::string& notifier,
                               const std::vector<herald::Person>& people,
                               const std::vector<std::string>& whos, const std::string& escalate_to,
                               const std::string& what, const std::string& why) {
  const std::string author = post.author();
  std::vector<std::string> told, refused;
  for (const herald::Person& person : people) {
    if (person.id == author) continue;
    const bool target = person_is(person, escalate_to);
    if (!target && std::none_of(whos.begin(), whos.end(),
                                [&](const std::string& who) { return person_is(person, who); }))
      continue;
    const nlohmann::json message = {{"event", "escalated"},
                                    {"post", std::stoll(post.id())},
                                    {"escalated", what},
                                    {"person", person.id},
                                    {"as", target ? "escalate_to" : "approver"},
                                    {"account", post.account()},
                                    {"why", why},
                                    {"text", post.text()}};
    const std::string key =
        post.id() + ":" + post.field("revision") + ":escalated:" + what + ":" + person.id;
    const herald::Delivery delivery = post.notify(notifier, person.id, key, message.dump());
    if (delivery.state == herald::Delivery::State::later)
      return "the escalation notice to " + person.id + " waits (" + delivery.reason + ")";
    (delivery.sent() ? told : refused).push_back(person.id);
  }
  if (!refused.empty()) post.warn("the notifier refused the escalation notice to " + join(refused));
  if (!told.empty()) post.emit("notified", "escalation of " + what + ": " + join(told));
  return "";
}

MapItem::MapItem(const herald::Config& config, std::string path, std::vector<std::string> known)
    : config_(config), path_(std::move(path)) {
  keys_ = config_.keys(path_);
  for (const auto& key : keys_)
    if (!contains(known, key)) error(key, "unknown key '" + key + "' (known: " + join(known) + ")");
}

void MapItem::error(const std::string& key, const std::string& message) const {
  config_.error(key.empty() ? path_ : path_ + "." + key, message);
}

bool MapItem::has(const std::string& key) const {
  return contains(keys_, key);
}

std::optional<std::string> MapItem::string(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  std::optional<std::string> value = config_.optional_string(path_ + "." + key);
  if (!value) fail(key, "expected a single value");
  return value;
}

std::vector<std::string> MapItem::strings(const std::string& key) const {
  if (!has(key)) return {};
  return config_.strings(path_ + "." + key);
}

void MapItem::fail(const std::string& key, const std::string& message) const {
  throw std::invalid_argument(config_.where(key.empty() ? path_ : path_ + "." + key) + ": " +
                              message);
}

PostCondition MapItem::condition(const std::string& key) const {
  PostCondition condition;
  if (!has(key)) return condition;
  std::string base = path_ + "." + key;
  static const std::vector<std::string> known{"tag", "account", "network", "author_role"};
  for (const auto& k : config_.keys(base))
    if (!contains(known, k))
      throw std::invalid_argument(config_.where(base + "." + k) + ": unknown condition '" + k +
                                  "' (known: " + join(known) + ")");
  condition.tags = config_.strings(base + ".tag");
  condition.accounts = config_.strings(base + ".account");
  condition.networks = config_.strings(base + ".network");
  condition.author_roles = config_.strings(base + ".author_role");
  return condition;
}

}  // namespace herald::builtin
