// Inbound mentions: import, influence score, moderation (never answer an abusive mention) and
// routing of support questions to reply drafts that go through a workflow like any post.
#include "host_impl.hpp"
#include "time/time.hpp"

#include <re2/re2.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

namespace herald {
namespace {

using nlohmann::json;

/// A handle without its leading @, in lower case: how authors are compared.
std::string handle_key(std::string handle) {
  if (!handle.empty() && handle.front() == '@') handle.erase(0, 1);
  for (char& c : handle) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return handle;
}

/// Compiled words and patterns of one rule or route; `matches` says what matched.
class Matcher {
 public:
  Matcher(const std::vector<std::string>& words, const std::vector<std::string>& patterns) {
    RE2::Options options;
    options.set_log_errors(false);
    if (!words.empty()) {
      std::string alternatives;
      for (const std::string& word : words)
        alternatives += (alternatives.empty() ? "" : "|") + RE2::QuoteMeta(word);
      expressions_.push_back(std::make_unique<RE2>(
          "(?i)(?:^|[^\\pL\\pN_])(" + alternatives + ")(?:$|[^\\pL\\pN_])", options));
    }
    for (const std::string& pattern : patterns)
      expressions_.push_back(std::make_unique<RE2>("(" + pattern + ")", options));
  }
  /// What matched in `text`, or nullopt.
  std::optional<std::string> match(const std::string& text) const {
    for (const auto& re : expressions_) {
      std::string found;
      if (re->ok() && RE2::PartialMatch(text, *re, &found)) return found;
    }
    return std::nullopt;
  }

 private:
  std::vector<std::unique_ptr<RE2>> expressions_;
};

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

/// The influence score and the formula with this mention's numbers.
std::pair<double, std::string> influence(const InfluenceConfig& config, const Mention& m) {
  bool vip = false;
  for (const std::string& handle : config.vip)
    vip = vip || handle_key(handle) == handle_key(m.author);
  double followers = config.followers_weight * std::log10(1.0 + static_cast<double>(m.followers));
  double engagement =
      config.engagement_weight * std::log10(1.0 + static_cast<double>(m.engagement));
  double score = followers + engagement + (vip ? config.vip_bonus : 0.0);
  std::string detail =
      number(config.followers_weight) + " × log10(1 + " + std::to_string(m.followers) +
      " followers) + " + number(config.engagement_weight) + " × log10(1 + " +
      std::to_string(m.engagement) + " engagements)" +
      (vip ? " + " + number(config.vip_bonus) + " (VIP)" : "") + " = " + number(score);
  return {score, detail};
}

std::string fill(std::string text, const Mention& m) {
  auto replace = [&](const std::string& key, const std::string& value) {
    for (size_t at = 0; (at = text.find(key, at)) != std::string::npos; at += value.size())
      text.replace(at, key.size(), value);
  };
  replace("{author}", "@" + handle_key(m.author));
  replace("{text}", m.text);
  return text;
}

/// Reads one JSON line into a mention; an error says what is wrong with it.
Result<Mention> read_mention(const std::string& line, const Configuration& config, int64_t now_ms) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status(ErrorCode::invalid_argument, "not a JSON object");
  Mention m;
  auto text = [&](const char* key, bool required) -> Result<std::string> {
    if (!j.contains(key)) {
      if (required)
        return Status(ErrorCode::invalid_argument, std::string("missing \"") + key + "\"");
      return std::string();
    }
    if (!j[key].is_string())
      return Status(ErrorCode::invalid_argument, std::string("\"") + key + "\" must be text");
    return j[key].get<std::string>();
  };
  auto count = [&](const char* key) -> Result<int64_t> {
    if (!j.contains(key)) return int64_t{0};
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < 0)
      return Status(ErrorCode::invalid_argument,
                    std::string("\"") + key + "\" must be a whole number, 0 or more");
    return j[key].get<int64_t>();
  };
  Result<std::string> author = text("author", true), body = text("text", true),
                      network = text("network", true), account = text("account", false),
                      id = text("id", false), at = text("at", false);
  for (const Result<std::string>* r : {&author, &body, &network, &account, &id, &at})
    if (!*r) return r->status();
  Result<int64_t> followers = count("followers"), engagement = count("engagement");
  if (!followers) return followers.status();
  if (!engagement) return engagement.status();
  m.author = *author;
  m.text = *body;
  m.network = *network;
  m.followers = *followers;
  m.engagement = *engagement;
  if (m.author.empty() || m.text.empty())
    return Status(ErrorCode::invalid_argument, "\"author\" and \"text\" must not be empty");
  // The account mentioned: as given, else the first inbound account on that network.
  const std::vector<std::string>& allowed = config.inbound.accounts;
  if (!account->empty()) {
    const AccountConfig* a = config.account(*account);
    if (!a) return Status(ErrorCode::not_found, "unknown account '" + *account + "'");
    if (a->network != m.network)
      return Status(ErrorCode::invalid_argument,
                    "account '" + *account + "' is on " + a->network + ", not " + m.network);
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *account) == allowed.end())
      return Status(ErrorCode::invalid_argument,
                    "account '" + *account + "' is not in inbound.accounts");
    m.account = *account;
  } else {
    for (const AccountConfig& a : config.accounts)
      if (a.network == m.network &&
          (allowed.empty() || std::find(allowed.begin(), allowed.end(), a.name) != allowed.end())) {
        m.account = a.name;
        break;
      }
    if (m.account.empty())
      return Status(ErrorCode::invalid_argument, "no inbound account on " + m.network +
                                                     "; add \"account\" or list one in "
                                                     "inbound.accounts");
  }
  m.at_ms = now_ms;
  if (!at->empty()) {
    Result<ZonedInstant> when = parse_time(*at, "UTC");
    if (!when) return Status(ErrorCode::invalid_argument, "\"at\": " + when.status().message());
    m.at_ms = when->utc_ms;
  }
  // Without an id, the same author, time and text are the same mention.
  m.from_network = !id->empty();
  m.source_id = !id->empty() ? *id
                             : m.author + "@" + std::to_string(m.at_ms) + ":" +
                                   std::to_string(std::hash<std::string>{}(m.text));
  m.imported_ms = now_ms;
  return m;
}

Status no_inbound(const Configuration& config) {
  return Status(ErrorCode::failed_precondition,
                config.file +
                    " has no `inbound:` section (influence, moderation, routes); "
                    "see docs/inbound.md");
}

}  // namespace

Result<InboundImport> Host::import_mentions(const std::string& jsonl_path) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  if (!config.inbound.configured) return no_inbound(config);
  std::ifstream in(jsonl_path, std::ios::binary);
  if (!in) return Status(ErrorCode::not_found, jsonl_path + ": cannot open the mentions file");
  const int64_t now = impl_->clock->now_ms();
  std::vector<Mention> mentions;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<Mention> m = read_mention(line, config, now);
    if (!m)
      return Status(ErrorCode::invalid_argument, jsonl_path + ":" + std::to_string(number) + ": " +
                                                     m.status().message() +
                                                     "; nothing was imported");
    mentions.push_back(std::move(*m));
  }
  return triage(mentions);
}

Result<InboundFetch> Host::fetch_mentions(const std::string& only_account) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  if (!config.inbound.configured) return no_inbound(config);
  std::vector<std::string> names = config.inbound.accounts;
  if (names.empty())
    for (const AccountConfig& a : config.accounts) names.push_back(a.name);
  if (!only_account.empty()) {
    if (!config.account(only_account))
      return unknown("account", only_account, config.accounts, config.file);
    if (std::find(names.begin(), names.end(), only_account) == names.end())
      return Status(ErrorCode::invalid_argument,
                    "account '" + only_account + "' is not in inbound.accounts");
    names = {only_account};
  }
  InboundFetch out;
  for (const std::string& name : names) {
    const AccountConfig& account = *config.account(name);
    // The account's network's publisher, as a workflow configured it.
    const BoundStep* publisher = nullptr;
    for (const BoundWorkflow& w : impl_->workflows)
      for (const auto& step : w.steps)
        if (!publisher && step->config().kind == "publish" &&
            step->plugin().name == account.network && step->component().fetch_mentions)
          publisher = step.get();
    InboundFetch::Account fetched;
    fetched.account = name;
    if (!publisher) {
      fetched.note =
          "no workflow publishes with a " + account.network + " publisher that fetches mentions";
      out.accounts.push_back(std::move(fetched));
      continue;
    }
    const std::string cursor_key = "mentions_cursor:" + name;
    Result<std::optional<std::string>> stored = impl_->store->meta(cursor_key);
    if (!stored) return stored.status();
    std::string cursor = stored->value_or("");
    Post nobody;
    nobody.account = name;
    static const std::vector<PostEvent> no_events;
    CallContext call;
    call.post = &nobody;
    call.account = &account;
    call.config = &config;
    call.events = &no_events;
    call.clock = impl_->clock.get();
    call.mentions_cursor = &cursor;
    call.plugin_name = publisher->plugin().name;
    call.step_name = "fetch_mentions";
    const herald_status status = publisher->fetch_mentions(call);
    if (status == HERALD_NOT_FOUND) {
      fetched.note = publisher->plugin().name + " does not fetch mentions";
      out.accounts.push_back(std::move(fetched));
      continue;
    }
    if (status != HERALD_OK)
      return Status(ErrorCode::plugin, "fetching the mentions of " + name + " with " +
                                           publisher->plugin().name + ": " +
                                           (call.error.empty() ? "no reason given" : call.error) +
                                           "; nothing was imported for it");
    const int64_t now = impl_->clock->now_ms();
    std::vector<Mention> mentions;
    for (const PostEvent& e : call.emitted) {
      if (e.type != "mention") continue;
      json line = json::parse(e.comment, nullptr, false);
      if (!line.is_object())
        return Status(ErrorCode::plugin, publisher->plugin().name +
                                             " handed over a mention that is not JSON; nothing "
                                             "was imported for " +
                                             name);
      if (!line.contains("account")) line["account"] = name;
      if (!line.contains("network")) line["network"] = account.network;
      Result<Mention> m = read_mention(line.dump(), config, now);
      if (!m)
        return Status(ErrorCode::plugin, publisher->plugin().name + " handed over a mention of " +
                                             name +
                                             " that cannot be read: " + m.status().message());
      mentions.push_back(std::move(*m));
    }
    Result<InboundImport> imported = triage(mentions);
    if (!imported) return imported.status();
    // Only now that the mentions are stored does the cursor move on.
    if (Status s = impl_->store->set_meta(cursor_key, cursor); !s) return s;
    fetched.imported = *imported;
    fetched.cursor = cursor;
    out.accounts.push_back(std::move(fetched));
  }
  return out;
}

Result<InboundImport> Host::triage(std::vector<Mention>& mentions) {
  const Configuration& config = impl_->config;

  // Decide each mention: score, then the first moderation rule that fires, then the first
  // route that matches; what is left waits in the inbox.
  std::vector<Matcher> rules, routes;
  for (const ModerationRule& rule : config.inbound.moderation)
    rules.emplace_back(rule.words, rule.patterns);
  for (const InboundRoute& route : config.inbound.routes)
    routes.emplace_back(route.words, route.patterns);
  // When this import's earlier mentions were stopped, by network and author.
  std::map<std::pair<std::string, std::string>, std::vector<int64_t>> stopped_now;
  std::vector<const InboundRoute*> route_of(mentions.size(), nullptr);
  for (size_t i = 0; i < mentions.size(); ++i) {
    Mention& m = mentions[i];
    std::tie(m.score, m.score_detail) = influence(config.inbound.influence, m);
    for (size_t k = 0; k < rules.size() && m.action.empty(); ++k) {
      const ModerationRule& rule = config.inbound.moderation[k];
      if (std::optional<std::string> found = rules[k].match(m.text)) {
        m.action = rule.action;
        m.rule = "moderation '" + rule.name + "' (matched \"" + *found + "\")";
      } else if (rule.repeat_count > 0) {
        Result<int64_t> before = impl_->store->moderated_count(
            m.network, m.author, m.at_ms - rule.repeat_days * 86'400'000, m.at_ms);
        if (!before) return before.status();
        int64_t since = m.at_ms - rule.repeat_days * 86'400'000;
        int64_t times = *before;
        for (int64_t at : stopped_now[{m.network, m.author}]) times += at >= since ? 1 : 0;
        if (times >= rule.repeat_count) {
          m.action = rule.action;
          m.rule = "moderation '" + rule.name + "' (" + std::to_string(times) + " earlier " +
                   (times == 1 ? "mention" : "mentions") + " stopped in " +
                   std::to_string(rule.repeat_days) + " days)";
        }
      }
    }
    if (!m.action.empty()) {
      stopped_now[{m.network, m.author}].push_back(m.at_ms);
      continue;
    }
    for (size_t k = 0; k < routes.size(); ++k) {
      if (std::optional<std::string> found = routes[k].match(m.text)) {
        route_of[i] = &config.inbound.routes[k];
        m.action = "answer";
        m.rule = "route '" + route_of[i]->name + "' (matched \"" + *found + "\")";
        break;
      }
    }
  }
  if (Status s = impl_->store->add_mentions(mentions); !s) return s;

  InboundImport out;
  out.rows = static_cast<int64_t>(mentions.size());
  for (size_t i = 0; i < mentions.size(); ++i) {
    Mention& m = mentions[i];
    if (m.id == 0) {
      ++out.duplicates;
      continue;
    }
    ++out.added;
    if (m.action.empty()) {
      ++out.inbox;
      continue;
    }
    if (m.action != "answer") {
      ++out.moderated;
      continue;
    }
    const InboundRoute& route = *route_of[i];
    SubmitRequest reply;
    bool templated = !route.templ.empty();
    reply.workflow =
        templated && !route.fast_workflow.empty() ? route.fast_workflow : route.workflow;
    reply.account = route.account;
    reply.author = route.author;
    reply.text = templated ? fill(route.templ, m) : "@" + handle_key(m.author) + " ";
    reply.tags = {"reply", "inbound"};
    // Publishers that can thread a reply (Mastodon, X) answer the mention itself.
    if (m.from_network) reply.tags.push_back("reply-to:" + m.source_id);
    if (templated) reply.tags.push_back("templated");
    Result<int64_t> post = submit(reply);
    if (!post)
      return Status(post.status().code(),
                    "mention " + std::to_string(m.id) + " by " + m.author +
                        ": the reply draft could not be made: " + post.status().message());
    if (Status s = impl_->store->set_mention_reply(m.id, *post); !s) return s;
    ++out.answered;
  }
  return out;
}

Result<std::vector<MentionView>> Host::mentions(const std::string& person) {
  if (Status s = impl_->require_store(); !s) return s;
  std::set<int64_t> waiting_for_person;
  if (!person.empty()) {
    Result<std::vector<InboxItem>> items = inbox(person);
    if (!items) return items.status();
    for (const InboxItem& item : *items) waiting_for_person.insert(item.post.id);
  }
  Result<std::vector<Mention>> stored = impl_->store->mentions();
  if (!stored) return stored.status();
  std::vector<MentionView> out;
  for (const Mention& m : *stored) {
    if (!person.empty() && !m.action.empty() && !waiting_for_person.count(m.reply_post_id))
      continue;
    MentionView v;
    v.id = m.id;
    v.network = m.network;
    v.account = m.account;
    v.author = m.author;
    v.text = m.text;
    v.source_id = m.source_id;
    v.followers = m.followers;
    v.engagement = m.engagement;
    v.at_ms = m.at_ms;
    v.score = m.score;
    v.score_detail = m.score_detail;
    v.action = m.action;
    v.rule = m.rule;
    v.reply_post_id = m.reply_post_id;
    if (m.reply_post_id) {
      Result<std::optional<Post>> reply = impl_->store->find_post(m.reply_post_id);
      if (reply && reply->has_value()) v.reply_state = std::string(to_string((*reply)->state));
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace herald

namespace herald {

Result<bool> Host::advocacy(const std::string& person, const std::string& account, bool opted_in) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  if (!config.person(person)) return unknown_person(config, person);
  if (!config.account(account)) return unknown("account", account, config.accounts, config.file);
  return impl_->store->set_advocate(person, account, opted_in, impl_->clock->now_ms());
}

Result<std::map<std::string, std::vector<std::string>>> Host::advocates() {
  if (Status s = impl_->require_store(); !s) return s;
  return impl_->store->advocates();
}

Status Host::report_share(int64_t post_id, const std::string& person, const std::string& url) {
  if (Status s = impl_->require_store(); !s) return s;
  if (!impl_->config.person(person)) return unknown_person(impl_->config, person);
  if (url.empty()) return Status(ErrorCode::invalid_argument, "give the URL of the share");
  Result<std::optional<Post>> found = impl_->store->find_post(post_id);
  if (!found) return found.status();
  if (!found->has_value()) return no_such_post(post_id, *impl_->store);
  const Post& post = **found;
  if (post.remote_id.empty())
    return Status(ErrorCode::failed_precondition, "post " + std::to_string(post_id) +
                                                      " is not published yet (it is " +
                                                      std::string(to_string(post.state)) + ")");
  int64_t now = impl_->clock->now_ms();
  PostEvent event;
  event.post_id = post_id;
  event.step_index = post.step_index;
  event.type = "shared";
  event.actor = person;
  event.comment = url;
  event.at_ms = now;
  event.revision = post.revision;
  AuditEntry audit{post_id,
                   now,
                   person,
                   "shared",
                   "",
                   std::string(to_string(post.state)),
                   std::string(to_string(post.state)),
                   url};
  return impl_->store->add_event(event, post, audit);
}

Result<AmplifyStatus> Host::amplify_status(int64_t post_id) {
  Result<PostView> view = post(post_id);
  if (!view) return view.status();
  Result<std::vector<PostEvent>> events = impl_->store->post_events(post_id);
  if (!events) return events.status();
  AmplifyStatus out;
  out.post = std::move(*view);
  for (const PostEvent& e : *events) {
    if (e.type == "share_requests") out.requests_sent += std::atoll(e.comment.c_str());
    if (e.type == "share_requests_over_cap") out.requests_over_cap += std::atoll(e.comment.c_str());
    if (e.type == "share_requests_refused") out.requests_refused += std::atoll(e.comment.c_str());
    if (e.type == "shared") out.shares.push_back({e.actor, e.comment, e.at_ms});
  }
  return out;
}

}  // namespace herald
