// Header-only C++ wrapper over <herald/plugin_abi.h>, compiled into each plugin.
//
// A plugin author writes a class per step and one macro line:
//
//   class Shout : public herald::Step {
//    public:
//     static constexpr std::array<herald_config_key, 1> config_keys{{
//         {"limit", HERALD_TYPE_INT, 0, "3", "how many exclamation marks are too many"}}};
//     explicit Shout(herald::Config& config) : limit_(config.integer("limit")) {}
//     void run(herald::Context& post) override {
//       if (count_bangs(post.text()) >= limit_) post.reject("too loud");
//     }
//    private:
//     int64_t limit_;
//   };
//   HERALD_PLUGIN("shout", "1.0.0", "MIT",
//                 HERALD_COMPONENT(Shout, HERALD_KIND_DRAFT, "shout", "rejects loud posts"))
//
// Every exception thrown by a constructor or by run() is caught here and turned into a status
// with its message; herald::TransientError asks the host to retry instead of failing the post.
#ifndef HERALD_PLUGIN_HPP
#define HERALD_PLUGIN_HPP

#include <herald/plugin_abi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace herald {

/// Thrown by a step for a problem that may go away (a network timeout, a busy service).
class TransientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown by an optional operation a component does not offer (Step::fetch_mentions).
class NotOffered : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
inline herald_str to_abi(std::string_view text) {
  return herald_str{text.data(), text.size()};
}
inline std::string from_abi(herald_str text) {
  return text.data ? std::string(text.data, text.size) : std::string();
}
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}
}  // namespace detail

/// A person from the configuration's `people` section.
struct Person {
  std::string id;
  std::string name;
  std::vector<std::string> roles;
  bool amplify = false;
  std::vector<std::string> teams;           // ABI 1.3
  std::vector<std::string> advocate_for{};  // ABI 1.6, in a step: accounts they opted in to share
};

/// Where part of an account's audience lives (ABI 1.4).
struct Audience {
  std::string zone;  // IANA name
  double share = 1;  // shares of one account sum to 1
};

/// An account from the configuration (ABI 1.4).
struct Account {
  std::string name;
  std::string network;
  std::string timezone;  // "" when the account has none
  std::vector<Audience> audiences;
};

namespace detail {
inline std::vector<Audience> parse_audiences(const std::string& text) {
  std::vector<Audience> out;
  for (const std::string& line : split_lines(text)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    out.push_back({line.substr(0, tab), std::stod(line.substr(tab + 1))});
  }
  return out;
}
inline bool has_abi_1_4(const herald_host_api* host) {
  return host->struct_size >=
         offsetof(herald_host_api, config_account_field) + sizeof(host->config_account_field);
}
inline bool has_abi_1_6(const herald_host_api* host) {
  return host->struct_size >= offsetof(herald_host_api, spawn_post) + sizeof(host->spawn_post);
}
inline bool has_abi_1_7(const herald_host_api* host) {
  return host->struct_size >=
         offsetof(herald_host_api, config_notifier) + sizeof(host->config_notifier);
}
inline bool has_abi_1_8(const herald_host_api* host) {
  return host->struct_size >=
         offsetof(herald_host_api, config_workflow) + sizeof(host->config_workflow);
}
inline bool has_abi_1_9(const herald_host_api* host) {
  return host->struct_size >=
         offsetof(herald_host_api, remote_id_owner) + sizeof(host->remote_id_owner);
}
inline void require(bool offered, const char* version) {
  if (!offered)
    throw std::runtime_error(std::string("this Herald host is older than plugin ABI ") + version);
}
}  // namespace detail

/// A step's validated configuration, readable while the step is constructed. The host has
/// already checked types and required keys and filled in defaults.
class Config {
 public:
  Config(const herald_host_api* host, herald_config* config) : host_(host), config_(config) {}

  std::optional<std::string> optional_string(std::string_view key) const {
    herald_str out{};
    if (host_->config_string(config_, detail::to_abi(key), &out) != HERALD_OK) return std::nullopt;
    return detail::from_abi(out);
  }
  std::string string(std::string_view key) const { return optional_string(key).value_or(""); }
  int64_t integer(std::string_view key, int64_t fallback = 0) const {
    int64_t out = 0;
    return host_->config_int(config_, detail::to_abi(key), &out) == HERALD_OK ? out : fallback;
  }
  bool boolean(std::string_view key, bool fallback = false) const {
    int out = 0;
    return host_->config_bool(config_, detail::to_abi(key), &out) == HERALD_OK ? out != 0
                                                                               : fallback;
  }
  double number(std::string_view key, double fallback = 0) const {
    double out = 0;
    return host_->config_double(config_, detail::to_abi(key), &out) == HERALD_OK ? out : fallback;
  }
  std::vector<std::string> strings(std::string_view key) const {
    std::vector<std::string> items;
    size_t count = 0;
    if (host_->config_list_size(config_, detail::to_abi(key), &count) != HERALD_OK) return items;
    for (size_t i = 0; i < count; ++i) {
      herald_str item{};
      if (host_->config_list_item(config_, detail::to_abi(key), i, &item) == HERALD_OK)
        items.push_back(detail::from_abi(item));
    }
    return items;
  }
  const herald_host_api* host() const { return host_; }

  /// How many items a list setting has (or a list at a key path, e.g. "stages"); 0 if unset.
  size_t size(std::string_view key) const {
    size_t count = 0;
    return host_->config_list_size(config_, detail::to_abi(key), &count) == HERALD_OK ? count : 0;
  }

  /// Whether the host offers ABI 1.3 (list-of-maps settings, people at create time).
  bool has_abi_1_3() const {
    return host_->struct_size >=
           offsetof(herald_host_api, person_matches) + sizeof(host_->person_matches);
  }
  /// The keys of a map inside a list-of-maps setting, e.g. keys("stages[0]"). ABI 1.3.
  std::vector<std::string> keys(std::string_view path) const {
    require_1_3();
    herald_str out{};
    if (host_->config_keys(config_, detail::to_abi(path), &out) != HERALD_OK) return {};
    return detail::split_lines(detail::from_abi(out));
  }
  /// Where a key or key path was written: "file:line:column (key path)". ABI 1.3.
  std::string where(std::string_view path) const {
    herald_str out{};
    if (!has_abi_1_3() || host_->config_where(config_, detail::to_abi(path), &out) != HERALD_OK)
      return std::string(path);
    return detail::from_abi(out);
  }
  /// The configuration's people, with roles and teams. ABI 1.3.
  std::vector<Person> people() const {
    require_1_3();
    std::vector<Person> people;
    size_t count = host_->config_person_count(config_);
    for (size_t i = 0; i < count; ++i) {
      auto field = [&](std::string_view name) {
        herald_str out{};
        return host_->config_person_field(config_, i, detail::to_abi(name), &out) == HERALD_OK
                   ? detail::from_abi(out)
                   : std::string();
      };
      people.push_back({field("id"), field("name"), detail::split_lines(field("roles")),
                        field("amplify") == "true", detail::split_lines(field("teams"))});
    }
    return people;
  }
  /// The configuration's accounts, with zones and audiences. ABI 1.4.
  std::vector<Account> accounts() const {
    if (!detail::has_abi_1_4(host_))
      throw std::runtime_error("this Herald host is older than plugin ABI 1.4");
    std::vector<Account> accounts;
    size_t count = host_->config_account_count(config_);
    for (size_t i = 0; i < count; ++i) {
      auto field = [&](std::string_view name) {
        herald_str out{};
        return host_->config_account_field(config_, i, detail::to_abi(name), &out) == HERALD_OK
                   ? detail::from_abi(out)
                   : std::string();
      };
      accounts.push_back({field("name"), field("network"), field("timezone"),
                          detail::parse_audiences(field("audiences"))});
    }
    return accounts;
  }
  /// Records a mistake in the setting at `path` ("file:line:column (path): message") and goes
  /// on, so that a step names every mistake of its configuration at once; creating the step
  /// fails when any was recorded. Throw instead when nothing after the mistake can be checked.
  void error(std::string_view path, std::string_view message) const {
    host_->config_error(config_, detail::to_abi(where(path) + ": " + std::string(message)));
    ++errors_;
  }
  /// How many mistakes `error` has recorded.
  int errors() const { return errors_; }
  /// Whether the configuration declares the notifier `name` (`outbox` always exists). ABI 1.7.
  bool has_notifier(std::string_view name) const {
    detail::require(detail::has_abi_1_7(host_), "1.7");
    return host_->config_notifier(config_, detail::to_abi(name)) == HERALD_OK;
  }
  /// Whether the configuration has the workflow `name`. ABI 1.8.
  bool has_workflow(std::string_view name) const {
    detail::require(detail::has_abi_1_8(host_), "1.8");
    return host_->config_workflow(config_, detail::to_abi(name)) == HERALD_OK;
  }

 private:
  void require_1_3() const {
    if (!has_abi_1_3()) throw std::runtime_error("this Herald host is older than plugin ABI 1.3");
  }
  const herald_host_api* host_;
  herald_config* config_;
  mutable int errors_ = 0;
};

/// An event delivered to the current step (an approval, a rejection, a legal decision).
struct Event {
  std::string type;
  std::string actor;
  std::string comment;
  int64_t at_ms = 0;
  std::string on_behalf;     // ABI 1.3: the person a delegate acted for, or ""
  std::string content_hash;  // ABI 1.3: SHA-256 of the text the person saw
  std::string stage;         // ABI 1.3: the stage it was given at
  /// The person this counts for: whoever delegated, or the actor.
  const std::string& person() const { return on_behalf.empty() ? actor : on_behalf; }
};

/// How a network counts one text (Context::count_text).
struct TextCount {
  bool valid = false;
  int64_t length = 0;  // what the network compares with `limit` (weighted length for X)
  int64_t limit = 0;
  int64_t graphemes = 0;
  int64_t bytes = 0;
};

/// Something a network links in a text (Context::text_entities). UTF-8 byte offsets.
struct TextEntity {
  std::string type;  // url, mention, hashtag, cashtag
  size_t start = 0;
  size_t end = 0;  // exclusive
  std::string value;
};

/// A suggested weekly slot from the account's engagement history (ABI 1.4).
struct BestSlot {
  int weekday = 0;  // 0 Monday .. 6 Sunday
  int minute = 0;   // minute of the day in the account's timezone
  double rate = 0;  // smoothed engagement rate
};

/// What a notifier did with one message (Context::notify, ABI 1.7).
struct Delivery {
  enum class State { sent, later, refused };
  State state = State::sent;
  std::string reason;  // why not sent
  bool sent() const { return state == State::sent; }
};

/// The message a notifier component is asked to deliver (Context::notification, ABI 1.7).
struct Notification {
  std::string to;       // a person id from the configuration
  std::string key;      // idempotency key: the same key must not reach the person twice
  std::string message;  // UTF-8; JSON from the built-in steps
};

/// The mention an inbound step reads (Context::mention, ABI 1.8).
struct InboundMention {
  std::string author;  // the handle of whoever wrote it
  std::string text;
  std::string network;  // x, mastodon, bluesky, linkedin
  std::string account;  // the company's account it mentions
  std::string id;       // the network's id of the mention, "" when unknown
  int64_t followers = 0;
  int64_t engagement = 0;  // likes, reposts and replies it got
  int64_t at_ms = 0;       // when it was written
  double score = 0;        // set by an earlier step (influence)
};

/// A reply draft for the mention (Context::answer, ABI 1.8). It goes through `workflow` like
/// any post.
struct Reply {
  std::string workflow;
  std::string account;  // the account the reply goes out from
  std::string author;   // the person it is written as ("" for none)
  std::string text;
  std::vector<std::string> tags{};  // besides reply, inbound and reply-to:ID
};

/// What a publisher is asked to do about a mention's author (Context::moderation, ABI 1.8).
struct ModerationRequest {
  std::string action;      // mute, block or report
  std::string author;      // the handle to act on, as the mention gave it
  std::string mention_id;  // the network's id of the mention, "" when unknown
  std::string rule;        // why: the inbound step's rule
};

/// Another post's place in the account's plan (ABI 1.4).
struct Planned {
  int64_t at_ms = 0;
  int64_t post_id = 0;
};

/// One post at one step, for the length of one run() call.
class Context {
 public:
  Context(const herald_host_api* host, herald_call* call) : host_(host), call_(call) {}

  std::optional<std::string> optional_field(std::string_view name) const {
    herald_str out{};
    if (host_->post_get(call_, detail::to_abi(name), &out) != HERALD_OK) return std::nullopt;
    return detail::from_abi(out);
  }
  std::string field(std::string_view name) const { return optional_field(name).value_or(""); }
  void set_field(std::string_view name, std::string_view value) {
    if (host_->post_set(call_, detail::to_abi(name), detail::to_abi(value)) != HERALD_OK)
      throw std::runtime_error("the host refused to set post field '" + std::string(name) + "'");
  }

  std::string id() const { return field("id"); }
  std::string text() const { return field("text"); }
  std::string account() const { return field("account"); }
  std::string network() const { return field("network"); }
  std::string author() const { return field("author"); }
  std::vector<std::string> tags() const { return detail::split_lines(field("tags")); }

  std::vector<Event> events() const {
    std::vector<Event> events;
    size_t count = host_->event_count(call_);
    for (size_t i = 0; i < count; ++i) {
      Event event;
      event.type = event_field(i, "type");
      event.actor = event_field(i, "actor");
      event.comment = event_field(i, "comment");
      event.at_ms = std::stoll("0" + event_field(i, "at"));
      event.on_behalf = event_field(i, "on_behalf");
      event.content_hash = event_field(i, "content_hash");
      event.stage = event_field(i, "stage");
      events.push_back(std::move(event));
    }
    return events;
  }
  void expect(std::string_view event_type, std::string_view role) {
    host_->expect_event(call_, detail::to_abi(event_type), detail::to_abi(role));
  }
  void emit(std::string_view event_type, std::string_view detail_text) {
    host_->emit_event(call_, detail::to_abi(event_type), detail::to_abi(detail_text));
  }

  std::vector<Person> people() const {
    std::vector<Person> people;
    size_t count = host_->person_count(call_);
    for (size_t i = 0; i < count; ++i) {
      Person person;
      person.id = person_field(i, "id");
      person.name = person_field(i, "name");
      person.roles = detail::split_lines(person_field(i, "roles"));
      person.amplify = person_field(i, "amplify") == "true";
      person.teams = detail::split_lines(person_field(i, "teams"));
      if (host_->abi_minor >= 6)
        person.advocate_for = detail::split_lines(person_field(i, "advocate_for"));
      people.push_back(std::move(person));
    }
    return people;
  }
  bool has_role(std::string_view person, std::string_view role) const {
    return host_->person_has_role(call_, detail::to_abi(person), detail::to_abi(role)) != 0;
  }
  /// Whether `person` is named by `who`: a role, "team:NAME" or "person:ID". ABI 1.3.
  bool person_matches(std::string_view person, std::string_view who) const {
    require_1_3();
    return host_->person_matches(call_, detail::to_abi(person), detail::to_abi(who)) != 0;
  }
  /// SHA-256 of the post's current text; events carry the hash of the text they saw. ABI 1.3.
  std::string content_hash() const {
    require_1_3();
    herald_str out{};
    host_->content_hash(call_, &out);
    return detail::from_abi(out);
  }

  /// The planned instants of the account's other posts in [from_ms, to_ms). ABI 1.4. Throws
  /// std::runtime_error when the host cannot read its plan (the step should retry).
  std::vector<Planned> account_plan(int64_t from_ms, int64_t to_ms) const {
    require_1_4();
    herald_str out{};
    if (host_->account_plan(call_, from_ms, to_ms, &out) != HERALD_OK)
      throw std::runtime_error("the host could not read the account's plan");
    std::vector<Planned> plan;
    for (const std::string& line : detail::split_lines(detail::from_abi(out))) {
      size_t tab = line.find('\t');
      if (tab == std::string::npos) continue;
      plan.push_back({std::stoll(line.substr(0, tab)), std::stoll(line.substr(tab + 1))});
    }
    return plan;
  }
  /// The account's best weekly slots, best first (empty without history). ABI 1.4.
  std::vector<BestSlot> best_slots(uint32_t count) const {
    require_1_4();
    herald_str out{};
    if (host_->best_slots(call_, count, &out) != HERALD_OK)
      throw std::runtime_error("the host could not read the account's engagement history");
    std::vector<BestSlot> slots;
    for (const std::string& line : detail::split_lines(detail::from_abi(out))) {
      size_t a = line.find('\t'), b = line.find('\t', a + 1);
      if (b == std::string::npos) continue;
      slots.push_back({std::stoi(line.substr(0, a)), std::stoi(line.substr(a + 1, b - a - 1)),
                       std::stod(line.substr(b + 1))});
    }
    return slots;
  }
  /// Where the account's audience lives (the account's timezone alone when it lists no
  /// audiences; empty when it has neither). ABI 1.4.
  std::vector<Audience> audiences() const {
    require_1_4();
    return detail::parse_audiences(field("audiences"));
  }
  /// Records the instant this step chose for the post, and why; 0 clears it. ABI 1.4.
  void set_plan(int64_t at_ms, std::string_view why) {
    require_1_4();
    set_field("planned_at", std::to_string(at_ms));
    set_field("plan_note", why);
  }

  /// The id of another post of this account that already has `remote_id` as its network id, or
  /// 0. ABI 1.9. Throws std::runtime_error when the host cannot tell (the step should retry).
  int64_t remote_id_owner(std::string_view remote_id) const {
    detail::require(detail::has_abi_1_9(host_), "1.9");
    int64_t owner = 0;
    if (host_->remote_id_owner(call_, detail::to_abi(remote_id), &owner) != HERALD_OK)
      throw std::runtime_error("the host could not tell which post has remote id " +
                               std::string(remote_id));
    return owner;
  }

  int64_t now_ms() const { return host_->now_ms(call_); }
  std::optional<std::string> secret(std::string_view name) const {
    herald_str out{};
    if (host_->secret(call_, detail::to_abi(name), &out) != HERALD_OK) return std::nullopt;
    return detail::from_abi(out);
  }

  /// The host's text rules (ABI 1.2): counting, linked entities and where a text may be split,
  /// exactly as `herald text` and the built-in steps see them. Throws std::invalid_argument for
  /// text that is not UTF-8 or an unknown network.
  TextCount count_text(std::string_view network, std::string_view text, int64_t limit = 0) const {
    require_text_api();
    herald_text_count out{};
    out.struct_size = sizeof(out);
    check_text(host_->text_count(call_, detail::to_abi(network), detail::to_abi(text), limit, &out),
               network);
    return TextCount{out.valid != 0, out.length, out.limit, out.graphemes, out.bytes};
  }
  std::vector<TextEntity> text_entities(std::string_view network, std::string_view text) const {
    require_text_api();
    herald_str out{};
    check_text(host_->text_entities(call_, detail::to_abi(network), detail::to_abi(text), &out),
               network);
    std::vector<TextEntity> entities;
    for (const std::string& line : detail::split_lines(detail::from_abi(out))) {
      size_t a = line.find('\t'), b = line.find('\t', a + 1), c = line.find('\t', b + 1);
      if (c == std::string::npos) continue;
      entities.push_back({line.substr(0, a), std::stoul(line.substr(a + 1, b - a - 1)),
                          std::stoul(line.substr(b + 1, c - b - 1)), line.substr(c + 1)});
    }
    return entities;
  }
  std::vector<size_t> text_breaks(std::string_view network, std::string_view text) const {
    require_text_api();
    herald_str out{};
    check_text(host_->text_breaks(call_, detail::to_abi(network), detail::to_abi(text), &out),
               network);
    std::vector<size_t> breaks;
    for (const std::string& line : detail::split_lines(detail::from_abi(out)))
      breaks.push_back(std::stoul(line));
    return breaks;
  }

  void log(herald_log_level level, std::string_view message) const {
    host_->log(call_, level, detail::to_abi(message));
  }
  void info(std::string_view message) const { log(HERALD_LOG_INFO, message); }
  void warn(std::string_view message) const { log(HERALD_LOG_WARN, message); }

  void advance() { decide(HERALD_ADVANCE, 0, ""); }
  /// Moves on, with a note for the audit trail (warnings a reviewer should see).
  void advance(std::string_view note) { decide(HERALD_ADVANCE, 0, note); }
  void wait_until(int64_t at_ms, std::string_view reason) { decide(HERALD_WAIT, at_ms, reason); }
  /// A new post in `workflow` on `account` (ABI 1.6), stored with this step's outcome: a
  /// cross-posted copy goes through that workflow's draft steps for its own network.
  void spawn_post(std::string_view workflow, std::string_view account, std::string_view text,
                  const std::vector<std::string>& tags = {}) {
    if (!detail::has_abi_1_6(host_))
      throw std::runtime_error("this Herald host is older than plugin ABI 1.6");
    std::string lines;
    for (const std::string& tag : tags) lines += (lines.empty() ? "" : "\n") + tag;
    herald_status status =
        host_->spawn_post(call_, detail::to_abi(workflow), detail::to_abi(account),
                          detail::to_abi(text), detail::to_abi(lines));
    if (status == HERALD_NOT_FOUND)
      throw std::invalid_argument("no workflow '" + std::string(workflow) + "' or account '" +
                                  std::string(account) + "' to post a copy to");
    if (status != HERALD_OK) throw std::runtime_error("the host refused the new post");
  }
  /// Sends `message` to the person `to` through the configuration's notifier `notifier`, with
  /// `key` as the idempotency key (ABI 1.7). Throws std::invalid_argument for an unknown
  /// notifier.
  Delivery notify(std::string_view notifier, std::string_view to, std::string_view key,
                  std::string_view message) {
    if (!detail::has_abi_1_7(host_))
      throw std::runtime_error("this Herald host is older than plugin ABI 1.7");
    herald_str reason{};
    herald_status status = host_->notify(call_, detail::to_abi(notifier), detail::to_abi(to),
                                         detail::to_abi(key), detail::to_abi(message), &reason);
    if (status == HERALD_NOT_FOUND)
      throw std::invalid_argument("no notifier '" + std::string(notifier) +
                                  "' in the configuration's notifiers");
    if (status == HERALD_OK) return {};
    return {status == HERALD_UNAVAILABLE ? Delivery::State::later : Delivery::State::refused,
            detail::from_abi(reason)};
  }
  /// In an inbound step: the mention (ABI 1.8).
  InboundMention mention() const {
    detail::require(detail::has_abi_1_8(host_), "1.8");
    auto number = [&](std::string_view name) {
      std::string value = field(name);
      return value.empty() ? int64_t{0} : std::stoll(value);
    };
    std::string score = field("score");
    return {field("author"),      field("text"),       field("network"),
            field("account"),     field("mention_id"), number("followers"),
            number("engagement"), number("at"),        score.empty() ? 0.0 : std::stod(score)};
  }
  /// In an inbound step: the mention's influence score and how it was reached (ABI 1.8).
  void set_score(double score, std::string_view detail) {
    set_field("score", std::to_string(score));
    set_field("score_detail", detail);
  }
  /// In an inbound step: the mention is never answered; `action` is ignore, mute, block or
  /// report, and `rule` says why (ABI 1.8). The steps after this one do not run.
  void stop(std::string_view action, std::string_view rule) {
    set_field("rule", rule);
    set_field("action", action);
  }
  /// In an inbound step: how many of the author's earlier mentions on this network were stopped
  /// from `since_ms` up to this one (ABI 1.8).
  int64_t mentions_stopped(int64_t since_ms) const {
    detail::require(detail::has_abi_1_8(host_), "1.8");
    int64_t out = 0;
    if (host_->mentions_stopped(call_, since_ms, &out) != HERALD_OK)
      throw std::runtime_error("the host could not read the author's earlier mentions");
    return out;
  }
  /// In an inbound step: answers the mention with a reply draft, because of `rule` (ABI 1.8).
  /// The steps after this one do not run. Throws std::invalid_argument for an unknown
  /// workflow, account or person, and for a mention already stopped.
  void answer(const Reply& reply, std::string_view rule) {
    detail::require(detail::has_abi_1_8(host_), "1.8");
    set_field("rule", rule);
    std::string lines;
    for (const std::string& tag : reply.tags) lines += (lines.empty() ? "" : "\n") + tag;
    herald_status status = host_->answer(
        call_, detail::to_abi(reply.workflow), detail::to_abi(reply.account),
        detail::to_abi(reply.author), detail::to_abi(reply.text), detail::to_abi(lines));
    if (status == HERALD_NOT_FOUND)
      throw std::invalid_argument("no workflow '" + reply.workflow + "', account '" +
                                  reply.account + "' or person '" + reply.author +
                                  "' for the reply");
    if (status != HERALD_OK)
      throw std::invalid_argument(
          "the host refused the reply (empty text, or the mention is "
          "already decided)");
  }
  /// In a publisher's moderate(): what to do (ABI 1.8).
  ModerationRequest moderation() const {
    return {field("moderation_action"), field("moderation_author"), field("moderation_mention_id"),
            field("moderation_rule")};
  }
  /// In a notifier component: the message to deliver (ABI 1.7).
  Notification notification() const {
    return {field("notify_to"), field("notify_key"), field("notify_message")};
  }
  void wait_for_event(std::string_view reason) { decide(HERALD_WAIT, 0, reason); }
  void hold(std::string_view reason) { decide(HERALD_HOLD, 0, reason); }
  void reject(std::string_view reason) { decide(HERALD_REJECT, 0, reason); }
  void retry(int64_t at_ms, std::string_view reason) { decide(HERALD_RETRY, at_ms, reason); }
  void fail(std::string_view reason) { decide(HERALD_FAIL, 0, reason); }
  /// Back to the author: the post returns to its first step and waits for an edit. ABI 1.3.
  void revise(std::string_view reason) {
    require_1_3();
    decide(HERALD_REVISE, 0, reason);
  }

 private:
  std::string event_field(size_t index, std::string_view name) const {
    herald_str out{};
    if (host_->event_field(call_, index, detail::to_abi(name), &out) != HERALD_OK) return "";
    return detail::from_abi(out);
  }
  std::string person_field(size_t index, std::string_view name) const {
    herald_str out{};
    if (host_->person_field(call_, index, detail::to_abi(name), &out) != HERALD_OK) return "";
    return detail::from_abi(out);
  }
  void require_1_3() const {
    if (host_->struct_size <
        offsetof(herald_host_api, person_matches) + sizeof(host_->person_matches))
      throw std::runtime_error("this Herald host is older than plugin ABI 1.3");
  }
  void require_1_4() const {
    if (!detail::has_abi_1_4(host_))
      throw std::runtime_error("this Herald host is older than plugin ABI 1.4");
  }
  void require_text_api() const {
    if (host_->struct_size < offsetof(herald_host_api, text_breaks) + sizeof(host_->text_breaks))
      throw std::runtime_error(
          "this Herald host is older than plugin ABI 1.2 and has no text rules");
  }
  static void check_text(herald_status status, std::string_view network) {
    if (status != HERALD_OK)
      throw std::invalid_argument("cannot count the text for '" + std::string(network) +
                                  "': the network is unknown or the text is not valid UTF-8");
  }
  void decide(herald_outcome outcome, int64_t at_ms, std::string_view reason) {
    host_->set_outcome(call_, outcome, at_ms, detail::to_abi(reason));
  }

  const herald_host_api* host_;
  herald_call* call_;
};

/// Base class of every step implementation. One instance serves one step of one workflow and
/// may run many posts, one at a time.
class Step {
 public:
  virtual ~Step() = default;
  virtual void run(Context& post) = 0;
  /// A publisher whose network has mentions may fetch them (ABI 1.7): read the account's
  /// mentions after field("mentions_cursor"), hand each to the host with emit("mention",
  /// JSON), and set_field("mentions_cursor", ...) to where it stopped.
  virtual void fetch_mentions(Context& account) {
    (void)account;
    throw NotOffered("this component does not fetch mentions");
  }
  /// A publisher whose network can mute, block or report an account carries out an inbound
  /// step's decision (ABI 1.8): Context::moderation() says what. Throw NotOffered for an action
  /// the network does not have; doing it again after a crash must be harmless.
  virtual void moderate(Context& account) {
    (void)account;
    throw NotOffered("this component does not mute, block or report");
  }
  /// Makes durable what this round's run() calls left to be made durable (ABI 1.10): the
  /// engine calls it once per round, after every run of the round returned and before their
  /// outcomes are committed. Throw if it fails: the round's outcomes of this step are then not
  /// committed (a publish step's posts become `unconfirmed`). Override it only when needed: a
  /// post that ran a step that overrides it goes on to its next step in the next round.
  virtual void flush() {}
};

namespace detail {

struct Instance {
  const herald_host_api* host;
  Step* step;
};

template <typename StepClass>
herald_status create(const herald_host_api* host, herald_config* config, void** out) {
  try {
    Config wrapped(host, config);
    auto step = std::make_unique<StepClass>(wrapped);
    if (wrapped.errors() > 0) return HERALD_ERROR;  // each was recorded with config_error
    *out = new Instance{host, step.release()};
    return HERALD_OK;
  } catch (const std::exception& error) {
    host->config_error(config, to_abi(error.what()));
  } catch (...) {
    host->config_error(config, to_abi("unknown exception while creating the step"));
  }
  return HERALD_ERROR;
}

/// Calls `body` with the step and a Context for `call`; every exception becomes a status with
/// its message (TransientError: UNAVAILABLE, NotOffered: NOT_FOUND, others: ERROR).
template <typename Body>
herald_status guarded(void* opaque, herald_call* call, Body body) {
  auto* instance = static_cast<Instance*>(opaque);
  herald_status status = HERALD_ERROR;
  try {
    Context context(instance->host, call);
    body(*instance->step, context);
    return HERALD_OK;
  } catch (const NotOffered& error) {
    instance->host->set_error(call, to_abi(error.what()));
    status = HERALD_NOT_FOUND;
  } catch (const TransientError& error) {
    instance->host->set_error(call, to_abi(error.what()));
    status = HERALD_UNAVAILABLE;
  } catch (const std::exception& error) {
    instance->host->set_error(call, to_abi(error.what()));
  } catch (...) {
    instance->host->set_error(call, to_abi("unknown exception"));
  }
  return status;
}

template <typename StepClass>
herald_status run(void* opaque, herald_call* call) {
  return guarded(opaque, call, [](Step& step, Context& post) { step.run(post); });
}

template <typename StepClass>
herald_status fetch_mentions(void* opaque, herald_call* call) {
  return guarded(opaque, call, [](Step& step, Context& account) { step.fetch_mentions(account); });
}

template <typename StepClass>
herald_status moderate(void* opaque, herald_call* call) {
  return guarded(opaque, call, [](Step& step, Context& account) { step.moderate(account); });
}

template <typename StepClass>
herald_status flush(void* opaque, herald_call* call) {
  return guarded(opaque, call, [](Step& step, Context&) { step.flush(); });
}

/// The component's flush function when StepClass overrides Step::flush, else NULL: the engine
/// then has nothing to call and carries the step's posts on in the same round.
using ComponentCall = herald_status (*)(void* instance, herald_call* call);

template <typename StepClass>
constexpr ComponentCall flush_of() {
  if constexpr (std::is_same_v<decltype(&StepClass::flush), void (Step::*)()>)
    return nullptr;
  else
    return &flush<StepClass>;
}

template <typename StepClass>
void destroy(void* opaque) {
  auto* instance = static_cast<Instance*>(opaque);
  delete instance->step;
  delete instance;
}

template <typename StepClass>
constexpr const herald_config_key* keys_of() {
  return StepClass::config_keys.empty() ? nullptr : StepClass::config_keys.data();
}

}  // namespace detail
}  // namespace herald

/// One step implementation: a class derived from herald::Step with a constructor taking
/// herald::Config& and a `static constexpr std::array<herald_config_key, N> config_keys`.
#define HERALD_COMPONENT(StepClass, kind, name, description)                                   \
  herald_component {                                                                           \
    sizeof(herald_component), kind, name, description, ::herald::detail::keys_of<StepClass>(), \
        static_cast<uint32_t>(StepClass::config_keys.size()),                                  \
        &::herald::detail::create<StepClass>, &::herald::detail::run<StepClass>,               \
        &::herald::detail::destroy<StepClass>, &::herald::detail::fetch_mentions<StepClass>,   \
        &::herald::detail::moderate<StepClass>, ::herald::detail::flush_of<StepClass>()        \
  }

/// Declares the plugin: its name, version, licence and one or more HERALD_COMPONENT(...).
/// Emits the ABI marker section and the entry symbol; use it once per shared library.
#define HERALD_PLUGIN(plugin_name, plugin_version, plugin_license, ...)                       \
  namespace {                                                                                 \
  constexpr herald_component herald_plugin_components_[] = {__VA_ARGS__};                     \
  constexpr herald_plugin_descriptor herald_plugin_descriptor_ = {                            \
      HERALD_PLUGIN_MAGIC,                                                                    \
      sizeof(herald_plugin_descriptor),                                                       \
      HERALD_ABI_MAJOR,                                                                       \
      HERALD_ABI_MINOR,                                                                       \
      plugin_name,                                                                            \
      plugin_version,                                                                         \
      plugin_license,                                                                         \
      herald_plugin_components_,                                                              \
      sizeof(herald_plugin_components_) / sizeof(herald_plugin_components_[0]),               \
      nullptr,                                                                                \
      nullptr};                                                                               \
  __attribute__((section(HERALD_ABI_SECTION), used)) const char herald_plugin_abi_marker_[] = \
      "herald-abi 1";                                                                         \
  }                                                                                           \
  extern "C" HERALD_EXPORT const herald_plugin_descriptor* herald_plugin_v1(void) {           \
    return &herald_plugin_descriptor_;                                                        \
  }

#endif  // HERALD_PLUGIN_HPP
