// Inbound mentions: import and fetch, then the inbound workflow: each mention goes through the
// inbound steps (plugins of kind inbound: influence, moderation, routes to reply drafts, or a
// company's own) until one stops it or answers it; replies go through a workflow like any post.
#include "config/json_problem.hpp"
#include "host_impl.hpp"
#include "text/input_check.hpp"
#include "time/time.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>

namespace herald {
namespace {

using nlohmann::json;

/// Reads one JSON line into a mention; an error says what is wrong with it.
Result<Mention> read_mention(const std::string& line, const Configuration& config, int64_t now_ms) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {
    return Status(ErrorCode::invalid_argument, "not JSON: " + json_problem(e, -1));
  }
  if (!j.is_object()) return Status(ErrorCode::invalid_argument, "not a JSON object");
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

/// The publisher a workflow configured for `network` that offers `function`, or null.
const BoundStep* publisher_for(const std::vector<BoundWorkflow>& workflows,
                               const std::string& network,
                               herald_status (*herald_component::*function)(void*, herald_call*)) {
  for (const BoundWorkflow& w : workflows)
    for (const auto& step : w.steps)
      if (step->config().kind == "publish" && step->plugin().name == network &&
          step->component().*function)
        return step.get();
  return nullptr;
}

/// A call about an account rather than a post: fetching its mentions, moderating, or an
/// inbound step. `nobody` stands in for the post and must outlive the call.
CallContext account_call(Post& nobody, const AccountConfig* account, const Configuration& config,
                         const Clock* clock, const BoundStep& step, std::string step_name) {
  static const std::vector<PostEvent> no_events;
  nobody.account = account ? account->name : "";
  CallContext call;
  call.post = &nobody;
  call.account = account;
  call.config = &config;
  call.events = &no_events;
  call.clock = clock;
  call.plugin_name = step.plugin().name;
  call.step_name = std::move(step_name);
  return call;
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
  Result<InboundImport> imported = triage(mentions);
  if (imported) imported->moderation = send_moderation_now();
  return imported;
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
    const BoundStep* publisher =
        publisher_for(impl_->workflows, account.network, &herald_component::fetch_mentions);
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
    CallContext call =
        account_call(nobody, &account, config, impl_->clock.get(), *publisher, "fetch_mentions");
    call.mentions_cursor = &cursor;
    const herald_status status = publisher->fetch_mentions(call);
    if (status == HERALD_NOT_FOUND) {
      fetched.note = publisher->plugin().name + " does not fetch mentions";
      out.accounts.push_back(std::move(fetched));
      continue;
    }
    if (!call.violation.empty())
      return Status(ErrorCode::plugin, "fetching the mentions of " + name + ": " + call.violation +
                                           "; nothing was imported for it");
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
    imported->moderation = send_moderation_now();
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
  // When this import's earlier mentions were stopped, by network and author.
  std::map<std::pair<std::string, std::string>, std::vector<int64_t>> stopped_now;
  std::vector<MentionReply> replies;

  // Each mention goes through the inbound steps in order until one decides it: stops it
  // (ignore, mute, block, report) or answers it with a reply draft. The rest wait in the inbox.
  for (size_t i = 0; i < mentions.size(); ++i) {
    Mention& m = mentions[i];
    InboundCall inbound;
    inbound.mention = &m;
    inbound.stopped_since = [&](int64_t since_ms) -> Result<int64_t> {
      Result<int64_t> before =
          impl_->store->moderated_count(m.network, m.author, since_ms, m.at_ms);
      if (!before) return before.status();
      int64_t times = *before;
      for (int64_t at : stopped_now[{m.network, m.author}]) times += at >= since_ms ? 1 : 0;
      return times;
    };
    Post nobody;
    for (const auto& step : impl_->inbound) {
      CallContext call = account_call(nobody, config.account(m.account), config, impl_->clock.get(),
                                      *step, step->config().name);
      call.inbound = &inbound;
      const herald_status status = step->run(call);
      if (!call.violation.empty() || status != HERALD_OK || call.outcome != HERALD_ADVANCE) {
        std::string why = !call.violation.empty() ? call.violation
                          : status != HERALD_OK
                              ? (call.error.empty() ? "no reason given" : call.error)
                              : (call.outcome == HERALD_FAIL
                                     ? call.reason
                                     : "an inbound step advances or fails, but it decided " +
                                           outcome_name(call.outcome));
        return Status(ErrorCode::plugin, "inbound step '" + step->config().name + "' (" +
                                             step->config().plugin + ") on the mention by " +
                                             m.author + ": " + why + "; nothing was imported");
      }
      if (inbound.reply || !m.action.empty()) break;
    }
    if (!m.action.empty()) stopped_now[{m.network, m.author}].push_back(m.at_ms);
    // A mute, block or report is also sent to the network, once the mention is stored.
    if (m.action == "mute" || m.action == "block" || m.action == "report") m.moderation = "pending";
    if (!inbound.reply) continue;
    m.action = "answer";
    SubmitRequest request;
    request.workflow = inbound.reply->workflow;
    request.account = inbound.reply->account;
    request.author = inbound.reply->author;
    request.text = inbound.reply->text;
    request.tags = {"reply", "inbound"};
    // Publishers that can thread a reply (Mastodon, X) answer the mention itself.
    if (m.from_network) request.tags.push_back("reply-to:" + m.source_id);
    for (const std::string& tag : inbound.reply->tags)
      if (std::find(request.tags.begin(), request.tags.end(), tag) == request.tags.end())
        request.tags.push_back(tag);
    MentionReply reply;
    reply.mention = i;
    if (Status s = impl_->prepare_post(request, reply.post, reply.audit); !s)
      return Status(s.code(), "the mention by " + m.author +
                                  ": the reply draft could not be made: " + s.message() +
                                  "; nothing was imported");
    replies.push_back(std::move(reply));
  }
  // What the steps left to be made durable is, before anything of the import is stored.
  for (const auto& step : impl_->inbound) {
    if (!step->flushes()) continue;
    Post nobody;
    CallContext call =
        account_call(nobody, nullptr, config, impl_->clock.get(), *step, step->config().name);
    if (step->flush(call) != HERALD_OK)
      return Status(ErrorCode::plugin, "inbound step '" + step->config().name + "' (" +
                                           step->config().plugin +
                                           ") could not make its work "
                                           "durable: " +
                                           (call.error.empty() ? "no reason given" : call.error) +
                                           "; nothing was imported");
  }
  // The mentions and their reply drafts are stored together, or not at all.
  if (Status s = impl_->store->add_mentions(mentions, replies); !s) return s;

  InboundImport out;
  out.rows = static_cast<int64_t>(mentions.size());
  for (const Mention& m : mentions) {
    if (m.id == 0)
      ++out.duplicates;
    else if (m.action.empty())
      ++out.inbox;
    else if (m.action != "answer")
      ++out.moderated;
    else
      ++out.answered;
  }
  out.added = out.rows - out.duplicates;
  return out;
}

Result<ModerationSent> Host::send_moderation() {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  Result<std::vector<Mention>> pending = impl_->store->pending_moderation();
  if (!pending) return pending.status();
  ModerationSent out;
  std::set<std::string> unavailable;  // accounts whose network did not answer this time
  for (const Mention& m : *pending) {
    const AccountConfig* account = config.account(m.account);
    const BoundStep* publisher =
        account ? publisher_for(impl_->workflows, account->network, &herald_component::moderate)
                : nullptr;
    std::string state, note;
    if (m.moderation == "sending" && m.action == "report") {
      // The process stopped while a report was out: it may have reached the network. A report
      // is not sent twice (a mute or a block is simply sent again: it sets a relationship).
      state = "unknown";
      note =
          "the process stopped while the report was being sent; it may have reached the "
          "network and is not sent again";
    } else if (!account) {
      state = "refused";
      note = "the account '" + m.account + "' is no longer configured";
    } else if (!publisher) {
      state = "not offered";
      note = "no workflow publishes with a " + account->network + " publisher";
    } else if (unavailable.count(m.account)) {
      ++out.later;  // its network did not answer a moment ago: next time
      continue;
    } else {
      ModerationOrder order{m.action, m.author, m.from_network ? m.source_id : "", m.rule};
      if (Status s = impl_->store->set_moderation(m.id, "sending", m.moderation_note); !s) return s;
      Post nobody;
      CallContext call =
          account_call(nobody, account, config, impl_->clock.get(), *publisher, "moderate");
      call.moderation = &order;
      const herald_status status = publisher->moderate(call);
      const std::string why =
          publisher->plugin().name + ": " + (call.error.empty() ? "no reason given" : call.error);
      if (status == HERALD_OK) {
        state = "sent";
      } else if (status == HERALD_NOT_FOUND) {
        state = "not offered";
        note = why;
      } else if (status == HERALD_UNAVAILABLE) {
        unavailable.insert(m.account);
        state = "pending";
        note = why;
      } else {
        state = "refused";
        note = why;
      }
    }
    if (Status s = impl_->store->set_moderation(m.id, state, note); !s) return s;
    if (state == "sent") {
      ++out.sent;
      spdlog::info("[inbound] {} of {} on {} sent", m.action, m.author, m.account);
    } else if (state == "pending") {
      ++out.later;
      spdlog::warn("[inbound] {} of {} on {}: not now ({}); it is sent next time", m.action,
                   m.author, m.account, note);
    } else if (state == "not offered") {
      ++out.not_offered;
    } else if (state == "unknown") {
      ++out.unknown;
      spdlog::warn("[inbound] report of {} on {}: {}", m.author, m.account, note);
    } else {
      ++out.refused;
      spdlog::warn("[inbound] {} of {} on {} refused: {}", m.action, m.author, m.account, note);
    }
  }
  return out;
}

ModerationSent Host::send_moderation_now() {
  Result<ModerationSent> sent = send_moderation();
  if (sent) return *sent;
  // The mentions are stored; what is not sent now stays pending for the next time.
  spdlog::error("[inbound] sending mutes, blocks and reports: {}", sent.status().message());
  return {};
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
    v.moderation = m.moderation;
    v.moderation_note = m.moderation_note;
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
  if (Status s = check_input("the URL", url, kShortTextLimit * 8, Lines::one); !s) return s;
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
