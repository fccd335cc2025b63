// herald::Host: the public face of the runtime, composed of config, plugins, store and engine.
#include <herald/host.hpp>

#include "host_impl.hpp"
#include "install_layout.hpp"

#include "engine/engine.hpp"
#include "store/audit_chain.hpp"
#include "store/audit_checkpoint.hpp"
#include "text/input_check.hpp"
#include "time/time.hpp"

#include <spdlog/spdlog.h>
#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <tuple>
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

#ifndef HERALD_INSTALL_PLUGIN_DIR
#define HERALD_INSTALL_PLUGIN_DIR ""
#endif
#ifndef HERALD_BUILD_PLUGIN_DIR
#define HERALD_BUILD_PLUGIN_DIR ""
#endif

namespace herald {
namespace fs = std::filesystem;

namespace {

std::string random_key() {
  // Seeded once per thread: opening the system's entropy source for every post cost more than
  // the rest of a submit.
  thread_local std::mt19937_64 generator = [] {
    std::random_device random;
    std::seed_seq seed{random(), random(), random(), random()};
    return std::mt19937_64(seed);
  }();
  static const char* hex = "0123456789abcdef";
  std::string key;
  for (int i = 0; i < 32; ++i) key += hex[generator() % 16];
  return key;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

}  // namespace

PostView view_of(const Post& post, const Configuration& config) {
  PostView v;
  v.id = post.id;
  v.workflow = post.workflow;
  v.account = post.account;
  v.author = post.author;
  v.text = post.text;
  v.tags = post.tags;
  v.state = std::string(to_string(post.state));
  v.step_index = post.step_index;
  v.step_kind = post.step_kind;
  if (const WorkflowConfig* w = config.workflow(post.workflow);
      w && post.step_index < static_cast<int>(w->steps.size()) && !is_terminal(post.state))
    v.step = w->steps[static_cast<size_t>(post.step_index)].name;
  v.reason = post.reason;
  v.expects = post.expects;
  v.wake_ms = post.wake_ms;
  v.publish_at_ms = post.publish_at_ms;
  v.zone = post.zone;
  v.remote_id = post.remote_id;
  v.attempt = post.attempt;
  v.created_ms = post.created_ms;
  v.updated_ms = post.updated_ms;
  v.revision = post.revision;
  v.stage = post.stage;
  v.step_since_ms = post.step_entered_ms;
  v.time_note = post.time_note;
  v.planned_ms = post.planned_ms;
  v.plan_note = post.plan_note;
  return v;
}

Status no_such_post(int64_t post_id, const Store& store) {
  return Status(ErrorCode::not_found,
                "no post " + std::to_string(post_id) + " in " + store.location());
}

/// "unknown person 'moo'; did you mean 'mo'? ..." (not_found).
Status unknown_person(const Configuration& config, const std::string& id) {
  std::vector<std::string> ids;
  for (const PersonConfig& p : config.people) ids.push_back(p.id);
  return Status(ErrorCode::not_found, "unknown person '" + id + "'" + did_you_mean(id, ids) +
                                          "; people are listed under `people` in " + config.file);
}

std::string builtin_plugin_dir() {
  if (const char* env = std::getenv("HERALD_PLUGIN_DIR"); env && *env) return env;
  std::error_code ec;
  fs::path here = boost::dll::this_line_location().parent_path();
  // The installed Python package finds the plugins installed with it, never a build tree's.
  if (std::optional<fs::path> prefix = python_package_prefix(here))
    return installed_plugin_dir(*prefix).string();
  for (const fs::path& candidate :
       {here / "herald" / "plugins", here / ".." / "lib" / "herald" / "plugins"})
    if (fs::is_directory(candidate, ec)) return candidate.lexically_normal().string();
  if (fs::is_directory(HERALD_BUILD_PLUGIN_DIR, ec)) return HERALD_BUILD_PLUGIN_DIR;
  return HERALD_INSTALL_PLUGIN_DIR;
}

void keep_heap_between_rounds(size_t bytes) {
#if defined(M_TOP_PAD) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
  const int keep = static_cast<int>(std::min<size_t>(bytes, size_t{1} << 30));
  mallopt(M_TOP_PAD, keep);         // grow the heap in steps of this much
  mallopt(M_TRIM_THRESHOLD, keep);  // and give back only what is free beyond it
  // Setting these turns off glibc's own adjustment of the size above which a block gets its
  // own mapping (unmapped, and so faulted in again, on every use): keep a round's arrays of
  // posts and transitions on the heap.
  mallopt(M_MMAP_THRESHOLD, std::min(keep, 32 << 20));
#else
  (void)bytes;
#endif
}

Result<std::vector<PluginDescription>> describe_plugins(
    const std::vector<std::string>& plugin_paths) {
  PluginRegistry registry;
  std::vector<std::string> paths =
      plugin_paths.empty() ? std::vector<std::string>{builtin_plugin_dir()} : plugin_paths;
  if (Status s = registry.load_paths(paths); !s) return s;
  return registry.describe();
}

Host::Host(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Host::~Host() {
  if (!impl_) return;
  // Step instances are destroyed before their plugins' libraries are released.
  impl_->workflows.clear();
}

Result<std::unique_ptr<Host>> Host::open(const std::string& config_path, HostOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->scripting = options.scripting;
  Result<Configuration> config = load_configuration(config_path);
  if (!config) return config.status();
  impl->config = std::move(*config);

  if (options.resolve_secrets) {
    std::string errors;
    for (const AccountConfig& account : impl->config.accounts) {
      for (const auto& [name, reference] : account.credentials) {
        Result<std::string> value = resolve_credential(reference, impl->config);
        if (!value)
          errors += (errors.empty() ? "" : "\n") + account.where.describe() + ": credential '" +
                    name + "': " + value.status().message();
      }
    }
    if (const AuditConfig& audit = impl->config.audit; audit.checkpoints) {
      Result<std::string> pem = resolve_secret(audit.key, impl->config);
      Status key = pem ? CheckpointKey::from_private_pem(*pem).status() : pem.status();
      if (!key)
        errors += (errors.empty() ? "" : "\n") + audit.where.describe() +
                  ": the checkpoint signing key: " + key.message();
    }
    if (!errors.empty()) return Status(ErrorCode::config, errors);
  }

  std::vector<std::string> paths = impl->config.plugin_paths;
  if (paths.empty()) paths.push_back(builtin_plugin_dir());
  if (Status s = impl->registry.load_paths(paths); !s) return s;

  Result<std::vector<BoundWorkflow>> workflows =
      bind_workflows(impl->config, impl->registry, impl->scripting.get());
  if (!workflows) return workflows.status();
  impl->workflows = std::move(*workflows);
  Result<Notifiers> notifiers = bind_notifiers(impl->config, impl->registry);
  if (!notifiers) return notifiers.status();
  impl->notifiers = std::move(*notifiers);
  Result<std::vector<std::unique_ptr<BoundStep>>> inbound =
      bind_inbound(impl->config, impl->registry, impl->scripting.get());
  if (!inbound) return inbound.status();
  impl->inbound = std::move(*inbound);

  if (options.open_store) {
    Result<std::unique_ptr<Store>> store = open_sqlite_store(impl->config.store_path);
    if (!store) return store.status();
    impl->store = std::move(*store);
  }

  impl->clock = options.clock;
  if (!impl->clock && impl->store) {
    Result<std::optional<std::string>> mode = impl->store->meta("clock");
    Result<std::optional<std::string>> now = impl->store->meta("virtual_now");
    if (mode && now && mode->value_or("") == "virtual" && now->has_value())
      impl->clock = make_virtual_clock(std::stoll(**now));
  }
  if (!impl->clock) impl->clock = make_real_clock();
  if (impl->store) {
    if (Status s = impl->store->set_meta("clock", impl->clock->is_virtual() ? "virtual" : "real");
        !s)
      return s;
    if (impl->clock->is_virtual())
      if (Status s = impl->store->set_meta("virtual_now", std::to_string(impl->clock->now_ms()));
          !s)
        return s;
  }
  return std::unique_ptr<Host>(new Host(std::move(impl)));
}

Status Host::Impl::prepare_post(const SubmitRequest& request, Post& post, AuditEntry& audit,
                                std::string* field) {
  auto in = [field](const char* name, Status status) {
    if (field && !status) *field = name;
    return status;
  };
  // What would be stored is checked before anything is looked up, so that no message repeats
  // bytes that are not text.
  for (const auto& [name, what, value] : {std::tuple<const char*, const char*, const std::string&>{
                                              "workflow", "the workflow name", request.workflow},
                                          {"account", "the account name", request.account},
                                          {"author", "the author", request.author}})
    if (Status s = check_input(what, value, kShortTextLimit, Lines::one); !s) return in(name, s);
  if (Status s = check_input("the post's text", request.text, kLongTextLimit); !s)
    return in("text", s);
  for (const std::string& tag : request.tags)
    if (Status s = check_input("a tag", tag, kShortTextLimit, Lines::one); !s) return in("tags", s);
  const WorkflowConfig* workflow = config.workflow(request.workflow);
  if (!workflow)
    return in("workflow", unknown("workflow", request.workflow, config.workflows, config.file));
  const AccountConfig* account = config.account(request.account);
  if (!account)
    return in("account", unknown("account", request.account, config.accounts, config.file));
  if (!request.author.empty() && !config.person(request.author))
    return in("author", Status(ErrorCode::not_found,
                               "unknown author '" + request.author +
                                   "'; authors are listed under `people` in " + config.file));
  if (request.text.empty())
    return in("text", Status(ErrorCode::invalid_argument, "the post has no text"));

  int64_t now = clock->now_ms();
  post = Post{};
  post.workflow = workflow->name;
  post.account = account->name;
  post.author = request.author;
  post.text = request.text;
  post.tags = request.tags;
  post.created_ms = now;
  // Account routing: the workflow's first matching rule decides where the post goes.
  std::string routed;
  for (size_t i = 0; i < workflow->routes.size(); ++i) {
    const Route& route = workflow->routes[i];
    if (!route.when.matches(post, account->network)) continue;
    if (route.account != account->name)
      routed = "routed from " + account->name + " to " + route.account + " by route " +
               std::to_string(i + 1) + " (" + route.when.describe() + ")";
    account = config.account(route.account);
    post.account = account->name;
    break;
  }
  post.zone = account->timezone;
  if (!request.at.empty()) {
    DstPolicy policy = account->dst_policy;
    if (!request.dst_policy.empty()) {
      std::optional<DstPolicy> chosen = zoned::parse_dst_policy(request.dst_policy);
      if (!chosen)
        return in("dst_policy",
                  Status(ErrorCode::invalid_argument, "unknown DST policy '" + request.dst_policy +
                                                          "'; use " + zoned::dst_policy_names()));
      policy = *chosen;
    }
    Result<ZonedInstant> at = parse_time(request.at, account->timezone, policy);
    if (!at)
      return in("at",
                Status(at.status().code(),
                       "--at: " + at.status().message() +
                           (account->timezone.empty() ? ""
                                                      : " (account " + account->name + " is in " +
                                                            account->timezone + ")")));
    if (at->utc_ms < now)
      return in("at", Status(ErrorCode::invalid_argument,
                             "--at " + request.at + " is in the past (it is " +
                                 format_time(at->utc_ms, at->zone) + "; now is " +
                                 format_time(now, at->zone) +
                                 "); give a time ahead, or leave --at out to "
                                 "publish as soon as the workflow allows"));
    post.publish_at_ms = at->utc_ms;
    post.zone = at->zone;
    post.time_note = at->dst_note;
  }
  start_at_first_step(post, *workflow, now);
  post.idempotency_key = "herald-" + random_key();
  audit = AuditEntry{
      0,  now,     request.author.empty() ? "anonymous" : request.author,        "submit", "",
      "", "ready", "workflow " + workflow->name + " on account " + account->name};
  if (post.publish_at_ms)
    audit.detail += ", publish at " + format_time(post.publish_at_ms, post.zone);
  if (!post.time_note.empty()) audit.detail += " (" + post.time_note + ")";
  if (!routed.empty()) audit.detail += "; " + routed;
  return Status::ok();
}

Result<int64_t> Host::submit(const SubmitRequest& request) {
  if (Status s = impl_->require_store(); !s) return s;
  Post post;
  AuditEntry audit;
  if (Status s = impl_->prepare_post(request, post, audit); !s) return s;
  if (Status s = impl_->store->insert_post(post, audit); !s) return s;
  return post.id;
}

Result<std::vector<int64_t>> Host::submit_many(const std::vector<SubmitRequest>& requests,
                                               std::vector<SubmitProblem>* problems) {
  if (Status s = impl_->require_store(); !s) return s;
  if (problems) problems->clear();
  std::vector<Post> posts(requests.size());
  std::vector<AuditEntry> audits(requests.size());
  std::vector<SubmitProblem> refused;
  ErrorCode code = ErrorCode::ok;
  for (size_t i = 0; i < requests.size(); ++i) {
    std::string field;
    Status s = impl_->prepare_post(requests[i], posts[i], audits[i], &field);
    if (s) continue;
    if (code == ErrorCode::ok) code = s.code();
    refused.push_back({i, field, s.message()});
  }
  if (!refused.empty()) {
    constexpr size_t kShown = 20;
    std::string message = std::to_string(refused.size()) + " of " +
                          std::to_string(requests.size()) +
                          " posts refused; nothing was stored. Correct these and submit them "
                          "all again:";
    for (size_t k = 0; k < refused.size() && k < kShown; ++k)
      message += "\n  row " + std::to_string(refused[k].index) + " (" + refused[k].field +
                 "): " + refused[k].message;
    if (refused.size() > kShown)
      message += "\n  and " + std::to_string(refused.size() - kShown) + " more";
    if (problems) *problems = std::move(refused);
    return Status(code, message);
  }
  if (Status s = impl_->store->insert_posts(posts, audits); !s) return s;
  std::vector<int64_t> ids;
  ids.reserve(posts.size());
  for (const Post& post : posts) ids.push_back(post.id);
  return ids;
}

namespace {

std::string past_tense(const std::string& type) {
  if (type == "approve") return "approved";
  if (type == "reject") return "rejected";
  if (type == "clear") return "cleared";
  if (type == "require_edit") return "required an edit of";
  return type + "ed";
}

/// When a delegation ends: its `until`, or when it was revoked, whichever is first.
int64_t end_ms(const Delegation& d) {
  return d.revoked_ms != 0 ? std::min(d.until_ms, d.revoked_ms) : d.until_ms;
}

bool active(const Delegation& d, int64_t now_ms) {
  return d.since_ms <= now_ms && now_ms < end_ms(d);
}

DelegationView delegation_view(const Delegation& d, int64_t now_ms) {
  DelegationView v;
  v.id = d.id;
  v.from = d.from;
  v.to = d.to;
  v.since_ms = d.since_ms;
  v.until_ms = d.until_ms;
  v.created_by = d.created_by;
  v.created_ms = d.created_ms;
  v.revoked_ms = d.revoked_ms;
  v.revoked_by = d.revoked_by;
  v.revoke_reason = d.revoke_reason;
  v.state = d.revoked_ms != 0 && d.revoked_ms < d.until_ms ? "revoked"
            : now_ms < d.until_ms                          ? "active"
                                                           : "expired";
  return v;
}

/// Who `person` may act as on an expectation naming `whos`: themself (""), someone who
/// delegated to them (their id), or nobody (nullopt).
std::optional<std::string> acting_as(const Configuration& config, const std::string& person_id,
                                     const std::vector<std::string>& whos,
                                     const std::vector<Delegation>& delegations, int64_t now_ms) {
  const PersonConfig* person = config.person(person_id);
  if (!person) return std::nullopt;
  for (const auto& who : whos)
    if (person->matches(who)) return std::string();
  for (const Delegation& d : delegations) {
    if (d.to != person_id || !active(d, now_ms)) continue;
    const PersonConfig* from = config.person(d.from);
    if (!from) continue;
    for (const auto& who : whos)
      if (from->matches(who)) return d.from;
  }
  return std::nullopt;
}

Status check_open(const Post& post, const std::string& type) {
  std::string id = std::to_string(post.id);
  switch (post.state) {
    case PostState::rejected:
      return Status(ErrorCode::failed_precondition, "post " + id + " was rejected (" + post.reason +
                                                        "); it cannot be " + past_tense(type) +
                                                        " now. Submit a new post.");
    case PostState::done:
      return Status(ErrorCode::failed_precondition,
                    "post " + id + " has already finished every step");
    case PostState::failed:
    case PostState::cancelled:
      return Status(
          ErrorCode::failed_precondition,
          "post " + id + " is " + std::string(to_string(post.state)) + " (" + post.reason + ")");
    default: return Status::ok();
  }
}

}  // namespace

Status Host::Impl::record_event(int64_t post_id, const std::string& type, const std::string& person,
                                const std::string& comment, const std::string& stage) {
  Impl& impl = *this;
  if (Status s = check_input("the person", person, kShortTextLimit, Lines::one); !s) return s;
  if (Status s = check_input("the comment", comment, kLongTextLimit); !s) return s;
  if (Status s = check_input("the stage", stage, kShortTextLimit, Lines::one); !s) return s;
  Result<std::optional<Post>> found = impl.store->find_post(post_id);
  if (!found) return found.status();
  if (!found->has_value()) return no_such_post(post_id, *impl.store);
  const Post& post = **found;
  const std::string id = std::to_string(post.id);
  const Configuration& config = impl.config;
  if (Status s = check_open(post, type); !s) return s;
  std::vector<std::string> whos;
  for (const Expectation& e : post.expects)
    if (e.type == type) whos.push_back(e.role);
  // A post woken by an earlier event is `ready` and still expects what it waited for.
  // So is an unconfirmed post parked for a person (wake 0): a retry has it looked for again.
  const bool parked = post.state == PostState::unconfirmed && post.wake_ms == 0;
  bool open_state = post.state == PostState::waiting || post.state == PostState::held ||
                    post.state == PostState::ready || post.state == PostState::quarantined ||
                    parked;
  if (!open_state || whos.empty()) {
    std::string waits;
    for (const Expectation& e : post.expects)
      waits += (waits.empty() ? "" : ", ") + e.type + " by " + describe_who(e.role);
    return Status(ErrorCode::failed_precondition,
                  "post " + id + " is not waiting for '" + type + "' (it is " +
                      std::string(to_string(post.state)) + " at its " + post.step_kind + " step" +
                      (waits.empty() ? "" : ", waiting for " + waits) + "); see `herald status " +
                      id + "`");
  }
  const PersonConfig* actor = config.person(person);
  if (!actor) return unknown_person(config, person);
  if (!stage.empty() && stage != post.stage)
    return Status(ErrorCode::failed_precondition,
                  "post " + id + " is " +
                      (post.stage.empty() ? std::string("not at an approval stage")
                                          : "at stage '" + post.stage + "'") +
                      ", not '" + stage + "'; see `herald status " + id + "`");
  int64_t now = impl.clock->now_ms();
  Result<std::vector<Delegation>> delegations = impl.store->delegations();
  if (!delegations) return delegations.status();
  std::optional<std::string> as = acting_as(config, person, whos, *delegations, now);
  if (!as) {
    std::string needs;
    for (const auto& who : whos) needs += (needs.empty() ? "" : " or ") + describe_who(who);
    return Status(ErrorCode::permission_denied,
                  person + " cannot " + type + " post " + id + ": its " + post.step_kind +
                      " step needs " + needs + ", and " + person + " has " +
                      (actor->roles.empty() ? "no roles" : "roles " + join(actor->roles)) +
                      " and no delegation from someone who may");
  }
  const std::string effective = as->empty() ? person : *as;
  if (!post.author.empty() && (type == "approve" || type == "clear") &&
      (person == post.author || effective == post.author))
    return Status(ErrorCode::permission_denied,
                  person + (effective == person ? "" : " (for " + effective + ")") + " cannot " +
                      type + " post " + id + ": " + post.author +
                      " wrote it (four eyes: someone else must)");
  Result<std::vector<PostEvent>> earlier =
      impl.store->events_for(post.id, post.step_index, post.revision);
  if (!earlier) return earlier.status();
  for (const PostEvent& e : *earlier) {
    std::string who = e.on_behalf.empty() ? e.actor : e.on_behalf;
    if (who == effective && e.type == type && e.stage == post.stage)
      return Status(ErrorCode::failed_precondition,
                    effective + " has already " + past_tense(type) + " post " + id +
                        (post.stage.empty() ? " at this step" : " at stage " + post.stage) +
                        (e.on_behalf.empty() ? "" : " (through " + e.actor + ")") +
                        "; each person counts once");
  }
  PostEvent event{0,   post.id, post.step_index,       type,       person,       comment,
                  now, *as,     sha256_hex(post.text), post.stage, post.revision};
  std::string step;
  if (const WorkflowConfig* w = config.workflow(post.workflow);
      w && post.step_index < static_cast<int>(w->steps.size()))
    step = w->steps[static_cast<size_t>(post.step_index)].name;
  std::string detail = comment;
  auto add = [&](const std::string& part) { detail += (detail.empty() ? "" : "; ") + part; };
  if (!post.stage.empty()) add("stage " + post.stage);
  if (!as->empty()) add("for " + *as + " (delegated)");
  add("revision " + std::to_string(post.revision) + ", text sha256 " +
      event.content_hash.substr(0, 16));
  // A released quarantined post at a publish step, or a parked one, reconciles first.
  const bool reconciles =
      parked || (post.state == PostState::quarantined && post.step_kind == "publish");
  AuditEntry audit{post.id,
                   now,
                   person,
                   type,
                   step,
                   std::string(to_string(post.state)),
                   reconciles ? "unconfirmed" : "ready",
                   detail};
  return impl.store->add_event(event, post, audit);
}

Status Host::approve(int64_t post_id, const std::string& person, const std::string& comment,
                     const std::string& stage) {
  if (Status s = impl_->require_store(); !s) return s;
  return impl_->record_event(post_id, "approve", person, comment, stage);
}

Status Host::reject(int64_t post_id, const std::string& person, const std::string& reason,
                    const std::string& stage) {
  if (Status s = impl_->require_store(); !s) return s;
  if (reason.empty()) return Status(ErrorCode::invalid_argument, "a rejection needs a reason");
  return impl_->record_event(post_id, "reject", person, reason, stage);
}

Status Host::retry(int64_t post_id, const std::string& person, const std::string& reason) {
  if (Status s = impl_->require_store(); !s) return s;
  return impl_->record_event(post_id, "retry", person, reason, "");
}

Status Host::legal_decision(int64_t post_id, const std::string& person, const std::string& decision,
                            const std::string& reason) {
  if (Status s = impl_->require_store(); !s) return s;
  if (decision != "clear" && decision != "reject" && decision != "require_edit")
    return Status(ErrorCode::invalid_argument,
                  "unknown legal decision '" + decision + "'; use clear, reject or require_edit");
  if (decision != "clear" && reason.empty())
    return Status(ErrorCode::invalid_argument,
                  "a legal " + std::string(decision == "reject" ? "rejection" : "edit request") +
                      " needs a reason (--reason)");
  return impl_->record_event(post_id, decision, person, reason, "");
}

Status Host::edit(int64_t post_id, const std::string& person, const std::string& text,
                  const std::string& reason) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  Result<std::optional<Post>> found = impl_->store->find_post(post_id);
  if (!found) return found.status();
  if (!found->has_value()) return no_such_post(post_id, *impl_->store);
  const Post& post = **found;
  const std::string id = std::to_string(post.id);
  if (Status s = check_open(post, "edit"); !s) return s;
  if (post.state == PostState::in_flight || post.state == PostState::unconfirmed)
    return Status(ErrorCode::failed_precondition,
                  "post " + id + " is being " +
                      (post.step_kind == "publish" ? "published" : "worked on") +
                      " right now and cannot be edited; see `herald status " + id + "`");
  const PersonConfig* editor = config.person(person);
  if (!editor) return unknown_person(config, person);
  if (person != post.author && !editor->has_role("editor"))
    return Status(ErrorCode::permission_denied, person + " cannot edit post " + id +
                                                    ": only its author (" +
                                                    (post.author.empty() ? "none" : post.author) +
                                                    ") or a person with role editor may");
  if (text.empty()) return Status(ErrorCode::invalid_argument, "the new text is empty");
  if (Status s = check_input("the new text", text, kLongTextLimit); !s) return s;
  if (Status s = check_input("the reason", reason, kLongTextLimit); !s) return s;
  if (text == post.text)
    return Status(ErrorCode::invalid_argument,
                  "the new text is the same as post " + id + "'s current text; nothing to edit");
  const WorkflowConfig* workflow = config.workflow(post.workflow);
  if (!workflow)
    return Status(ErrorCode::failed_precondition,
                  "post " + id + "'s workflow '" + post.workflow + "' is no longer configured");
  int64_t now = impl_->clock->now_ms();
  Post updated = post;
  updated.text = text;
  updated.revision = post.revision + 1;
  updated.step_index = 0;
  updated.step_kind = workflow->steps.front().kind;
  updated.state = PostState::ready;
  updated.wake_ms = now;
  updated.expects.clear();
  updated.attempt = 0;
  updated.stage.clear();
  updated.step_entered_ms = now;
  updated.step_events = 0;
  updated.planned_ms = 0;  // the new revision is scheduled afresh
  updated.plan_note.clear();
  updated.limited_since_ms = 0;
  updated.updated_ms = now;
  updated.reason = "edited by " + person + " (revision " + std::to_string(updated.revision) + ")";
  Revision superseded{post.id, post.revision, post.text, person, now, reason};
  std::string step;
  if (post.step_index < static_cast<int>(workflow->steps.size()))
    step = workflow->steps[static_cast<size_t>(post.step_index)].name;
  std::string detail = "revision " + std::to_string(updated.revision) + " replaces revision " +
                       std::to_string(post.revision) + " (text sha256 " +
                       sha256_hex(text).substr(0, 16) + ")";
  if (!reason.empty()) detail += ": " + reason;
  detail += "; back to step " + workflow->steps.front().name +
            ", and approvals and legal decisions on revision " + std::to_string(post.revision) +
            " no longer count";
  AuditEntry audit{post.id, now,   person, "edit", step, std::string(to_string(post.state)),
                   "ready", detail};
  return impl_->store->edit_post(post, updated, superseded, audit);
}

Result<int64_t> Host::delegate(const std::string& from, const std::string& to, int64_t until_ms) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  for (const std::string& who : {from, to})
    if (!config.person(who)) return unknown_person(config, who);
  if (from == to)
    return Status(ErrorCode::invalid_argument, "a person cannot delegate to themself");
  int64_t now = impl_->clock->now_ms();
  if (until_ms <= now)
    return Status(ErrorCode::invalid_argument, "--until " + format_utc(until_ms) +
                                                   " is not in the future (now is " +
                                                   format_utc(now) + ")");
  Result<std::vector<Delegation>> existing = impl_->store->delegations();
  if (!existing) return existing.status();
  // Follow delegations that overlap the new one from `to`: reaching `from` closes a circle.
  std::vector<std::string> path{from, to};
  std::function<bool(const std::string&)> reaches = [&](const std::string& person) {
    for (const Delegation& d : *existing) {
      if (d.from != person || end_ms(d) <= now || d.since_ms >= until_ms) continue;
      if (std::find(path.begin(), path.end(), d.to) != path.end() && d.to != from) continue;
      path.push_back(d.to);
      if (d.to == from || reaches(d.to)) return true;
      path.pop_back();
    }
    return false;
  };
  if (reaches(to)) {
    std::string circle;
    for (const auto& p : path) circle += (circle.empty() ? "" : " -> ") + p;
    return Status(ErrorCode::invalid_argument,
                  "circular delegation: " + circle +
                      "; a delegate cannot hand approvals back to the person they act for");
  }
  Delegation delegation{0, from, to, now, until_ms, from, now, 0, "", ""};
  AuditEntry audit{
      0,  now, from, "delegate",
      "", "",  "",   from + " delegates approvals to " + to + " until " + format_utc(until_ms)};
  if (Status s = impl_->store->add_delegation(delegation, audit); !s) return s;
  return delegation.id;
}

Result<std::vector<DelegationView>> Host::delegations(bool include_ended) {
  if (Status s = impl_->require_store(); !s) return s;
  Result<std::vector<Delegation>> all = impl_->store->delegations();
  if (!all) return all.status();
  int64_t now = impl_->clock->now_ms();
  std::vector<DelegationView> out;
  for (const Delegation& d : *all)
    if (include_ended || now < end_ms(d)) out.push_back(delegation_view(d, now));
  return out;
}

Result<DelegationView> Host::revoke_delegation(int64_t delegation_id, const std::string& person,
                                               const std::string& reason) {
  if (Status s = impl_->require_store(); !s) return s;
  if (Status s = check_input("the person", person, kShortTextLimit, Lines::one); !s) return s;
  if (Status s = check_input("the reason", reason, kLongTextLimit); !s) return s;
  const Configuration& config = impl_->config;
  if (!config.person(person)) return unknown_person(config, person);
  Result<std::vector<Delegation>> all = impl_->store->delegations();
  if (!all) return all.status();
  auto found = std::find_if(all->begin(), all->end(),
                            [&](const Delegation& d) { return d.id == delegation_id; });
  if (found == all->end())
    return Status(ErrorCode::not_found, "no delegation " + std::to_string(delegation_id) + " in " +
                                            impl_->store->location() +
                                            "; `herald delegate list CONFIG --all` lists them");
  Delegation d = *found;
  int64_t now = impl_->clock->now_ms();
  if (person != d.from && person != d.to)
    return Status(ErrorCode::permission_denied,
                  person + " may not revoke delegation " + std::to_string(d.id) + " (" + d.from +
                      " to " + d.to + "): only " + d.from + " or " + d.to + " may");
  if (d.revoked_ms != 0)
    return Status(ErrorCode::failed_precondition, "delegation " + std::to_string(d.id) +
                                                      " was already revoked by " + d.revoked_by +
                                                      " at " + format_utc(d.revoked_ms));
  if (d.until_ms <= now)
    return Status(ErrorCode::failed_precondition,
                  "delegation " + std::to_string(d.id) + " already ended at " +
                      format_utc(d.until_ms) + "; there is nothing to revoke");
  d.revoked_ms = now;
  d.revoked_by = person;
  d.revoke_reason = reason;
  AuditEntry audit{0,
                   now,
                   person,
                   "revoke_delegation",
                   "",
                   "",
                   "",
                   person + " revoked delegation " + std::to_string(d.id) + " (" + d.from + " to " +
                       d.to + ")" + (reason.empty() ? "" : ": " + reason)};
  if (Status s = impl_->store->revoke_delegation(d, audit); !s) return s;
  return delegation_view(d, now);
}

Result<std::vector<InboxItem>> Host::inbox(const std::string& person) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  if (!config.person(person)) return unknown_person(config, person);
  Result<std::vector<Post>> all = impl_->store->list_posts();
  if (!all) return all.status();
  Result<std::vector<Delegation>> delegations = impl_->store->delegations();
  if (!delegations) return delegations.status();
  int64_t now = impl_->clock->now_ms();
  std::vector<InboxItem> items;
  for (const Post& post : *all) {
    bool open_state = post.state == PostState::waiting || post.state == PostState::held ||
                      post.state == PostState::ready || post.state == PostState::quarantined;
    if (!open_state || post.expects.empty()) continue;
    Result<std::vector<PostEvent>> events = impl_->store->post_events(post.id);
    if (!events) return events.status();
    InboxItem item;
    for (const Expectation& e : post.expects) {
      if (std::find(item.actions.begin(), item.actions.end(), e.type) != item.actions.end())
        continue;
      std::optional<std::string> as = acting_as(config, person, {e.role}, *delegations, now);
      if (!as) continue;
      std::string effective = as->empty() ? person : *as;
      if ((e.type == "approve" || e.type == "clear") &&
          (person == post.author || effective == post.author))
        continue;
      bool done = false;
      for (const PostEvent& ev : *events)
        done = done || (ev.revision == post.revision && ev.step_index == post.step_index &&
                        ev.stage == post.stage && ev.type == e.type &&
                        (ev.on_behalf.empty() ? ev.actor : ev.on_behalf) == effective);
      if (done) continue;
      item.actions.push_back(e.type);
      if (!as->empty()) item.on_behalf = *as;
    }
    if (item.actions.empty()) continue;
    // Each finding once: legal's rules are run when the post starts and again by the legal step.
    for (const PostEvent& ev : *events)
      if (ev.type == "finding" && ev.revision == post.revision &&
          std::find(item.findings.begin(), item.findings.end(), ev.comment) == item.findings.end())
        item.findings.push_back(ev.comment);
    item.post = view_of(post, config);
    items.push_back(std::move(item));
  }
  std::stable_sort(items.begin(), items.end(), [](const InboxItem& a, const InboxItem& b) {
    return a.post.step_since_ms != b.post.step_since_ms
               ? a.post.step_since_ms < b.post.step_since_ms
               : a.post.id < b.post.id;
  });
  return items;
}

Result<std::vector<RevisionView>> Host::revisions(int64_t post_id) {
  if (Status s = impl_->require_store(); !s) return s;
  Result<std::vector<Revision>> found = impl_->store->revisions(post_id);
  if (!found) return found.status();
  std::vector<RevisionView> out;
  for (const Revision& r : *found) out.push_back({r.revision, r.text, r.editor, r.at_ms, r.reason});
  return out;
}

Status Host::scan_audit(int64_t since_ms, const std::function<void(const AuditRecord&)>& visit) {
  if (Status s = impl_->require_store(); !s) return s;
  return impl_->store->scan_audit([&](const AuditRecord& r) {
    if (r.at_ms >= since_ms) visit(r);
    return true;
  });
}

Result<PostView> Host::post(int64_t post_id) {
  if (Status s = impl_->require_store(); !s) return s;
  Result<std::optional<Post>> found = impl_->store->find_post(post_id);
  if (!found) return found.status();
  if (!found->has_value()) return no_such_post(post_id, *impl_->store);
  std::vector<PostView> one{view_of(**found, impl_->config)};
  if (Status s = impl_->mark_paused(one); !s) return s;
  return one.front();
}

Result<std::vector<PostView>> Host::posts() {
  if (Status s = impl_->require_store(); !s) return s;
  Result<std::vector<Post>> all = impl_->store->list_posts();
  if (!all) return all.status();
  std::vector<PostView> views;
  for (const Post& p : *all) views.push_back(view_of(p, impl_->config));
  if (Status s = impl_->mark_paused(views); !s) return s;
  return views;
}

Result<std::vector<AuditRecord>> Host::audit(std::optional<int64_t> post_id) {
  if (Status s = impl_->require_store(); !s) return s;
  if (post_id) {
    Result<std::optional<Post>> found = impl_->store->find_post(*post_id);
    if (!found) return found.status();
    if (!found->has_value()) return no_such_post(*post_id, *impl_->store);
  }
  return impl_->store->audit(post_id);
}

Result<RunSummary> Host::run(const RunOptions& options) {
  if (Status s = impl_->require_store(); !s) return s;
  Engine engine(impl_->config, impl_->workflows, *impl_->store, *impl_->clock,
                impl_->options.batch_size);
  engine.use_notifiers(&impl_->notifiers);
  if (impl_->config.audit.checkpoints && impl_->config.audit.every_ms > 0)
    engine.use_periodic(
        [this] {
          Result<AuditCheckpointResult> written = checkpoint_audit();
          if (!written)
            spdlog::error("audit checkpoint not written: {}", written.status().message());
          else if (!written->verified.intact)
            spdlog::error("audit checkpoint not written: the audit trail does not verify: {}",
                          written->verified.problem.empty()
                              ? "a checkpoint does not hold (run `herald audit verify`)"
                              : written->verified.problem);
          else if (written->written)
            spdlog::info("audit checkpoint of {} entries written to {}", written->size,
                         written->file);
        },
        impl_->config.audit.every_ms);
  Result<RunSummary> summary = engine.run(options, options.stop);
  if (impl_->clock->is_virtual())
    if (Status s = impl_->store->set_meta("virtual_now", std::to_string(impl_->clock->now_ms()));
        !s)
      return s;
  return summary;
}

std::vector<WorkflowDescription> Host::workflows() const {
  std::vector<WorkflowDescription> out;
  for (const BoundWorkflow& bound : impl_->workflows) {
    WorkflowDescription w;
    w.name = bound.config->name;
    w.description = bound.config->description;
    for (const auto& step : bound.steps)
      w.steps.push_back({step->config().name, step->config().kind,
                         step->component().name[0] == '\0'
                             ? step->plugin().name
                             : step->plugin().name + "/" + step->component().name,
                         step->config().when.describe()});
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<StepDescription> Host::inbound_steps() const {
  std::vector<StepDescription> out;
  for (const auto& step : impl_->inbound)
    out.push_back({step->config().name, "inbound",
                   step->component().name[0] == '\0'
                       ? step->plugin().name
                       : step->plugin().name + "/" + step->component().name,
                   ""});
  return out;
}

std::vector<StepDescription> Host::notifiers() const {
  std::vector<StepDescription> out;
  for (const auto& [name, notifier] : impl_->notifiers)
    out.push_back({name, "notify", notifier->plugin().name + "/" + notifier->component().name, ""});
  return out;
}

std::vector<PluginDescription> Host::plugins() const {
  return impl_->registry.describe();
}

std::string Host::store_location() const {
  return impl_->config.store_path;
}

Clock& Host::clock() {
  return *impl_->clock;
}

Status Host::use_clock(std::shared_ptr<Clock> clock) {
  if (!clock) return Status(ErrorCode::invalid_argument, "no clock given");
  impl_->clock = std::move(clock);
  if (!impl_->store) return Status::ok();
  if (Status s = impl_->store->set_meta("clock", impl_->clock->is_virtual() ? "virtual" : "real");
      !s)
    return s;
  if (impl_->clock->is_virtual())
    return impl_->store->set_meta("virtual_now", std::to_string(impl_->clock->now_ms()));
  return Status::ok();
}

}  // namespace herald
