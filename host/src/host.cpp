// herald::Host: the public face of the runtime, composed of config, plugins, store and engine.
#include <herald/host.hpp>

#include "config/config.hpp"
#include "engine/engine.hpp"
#include "engine/workflow.hpp"
#include "plugins/registry.hpp"
#include "store/store.hpp"
#include "time/time.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

#include <cstdlib>
#include <filesystem>
#include <random>

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
  std::random_device random;
  std::mt19937_64 generator(((uint64_t)random() << 32) ^ random());
  static const char* hex = "0123456789abcdef";
  std::string key;
  for (int i = 0; i < 32; ++i) key += hex[generator() % 16];
  return key;
}

/// Well-formed UTF-8: no stray or missing continuation bytes, no overlong forms, no surrogates,
/// nothing above U+10FFFF.
bool valid_utf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t code_point = byte;
    if (byte >= 0xF0 && byte <= 0xF4)
      extra = 3, code_point = byte & 0x07;
    else if (byte >= 0xE0 && byte <= 0xEF)
      extra = 2, code_point = byte & 0x0F;
    else if (byte >= 0xC2 && byte <= 0xDF)
      extra = 1, code_point = byte & 0x1F;
    else if (byte >= 0x80)
      return false;
    if (text.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[extra] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF))
      return false;
    i += extra + 1;
  }
  return true;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

/// "unknown workflow 'anounce'; did you mean 'announce'? (workflows in company.yaml: ...)".
template <typename Named>
Status unknown(const std::string& what, const std::string& name, const std::vector<Named>& known,
               const std::string& file) {
  std::vector<std::string> names;
  for (const auto& item : known) names.push_back(item.name);
  return Status(ErrorCode::not_found, "unknown " + what + " '" + name + "'" +
                                          did_you_mean(name, names) + " (" + what + "s in " + file +
                                          ": " + (names.empty() ? "none" : join(names)) + ")");
}

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
  return v;
}

}  // namespace

std::string builtin_plugin_dir() {
  if (const char* env = std::getenv("HERALD_PLUGIN_DIR"); env && *env) return env;
  std::error_code ec;
  fs::path here = boost::dll::this_line_location().parent_path();
  for (const fs::path& candidate :
       {here / "herald" / "plugins", here / ".." / "lib" / "herald" / "plugins"})
    if (fs::is_directory(candidate, ec)) return candidate.lexically_normal().string();
  if (fs::is_directory(HERALD_BUILD_PLUGIN_DIR, ec)) return HERALD_BUILD_PLUGIN_DIR;
  return HERALD_INSTALL_PLUGIN_DIR;
}

Result<std::vector<PluginDescription>> describe_plugins(
    const std::vector<std::string>& plugin_paths) {
  PluginRegistry registry;
  std::vector<std::string> paths =
      plugin_paths.empty() ? std::vector<std::string>{builtin_plugin_dir()} : plugin_paths;
  if (Status s = registry.load_paths(paths); !s) return s;
  return registry.describe();
}

struct Host::Impl {
  Configuration config;
  PluginRegistry registry;
  std::vector<BoundWorkflow> workflows;
  std::unique_ptr<Store> store;
  std::shared_ptr<Clock> clock;
  HostOptions options;

  Status record_event(int64_t post_id, const std::string& type, const std::string& person,
                      const std::string& comment);

  Status require_store() const {
    if (!store) return Status(ErrorCode::internal, "this host was opened without its store");
    return Status::ok();
  }
};

Host::Host(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Host::~Host() {
  if (!impl_) return;
  // Step instances are destroyed before their plugins' libraries are released.
  impl_->workflows.clear();
}

Result<std::unique_ptr<Host>> Host::open(const std::string& config_path, HostOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  Result<Configuration> config = load_configuration(config_path);
  if (!config) return config.status();
  impl->config = std::move(*config);

  if (options.resolve_secrets) {
    std::string errors;
    for (const AccountConfig& account : impl->config.accounts) {
      for (const auto& [name, reference] : account.credentials) {
        Result<std::string> value = resolve_secret(reference, impl->config.directory);
        if (!value)
          errors += (errors.empty() ? "" : "\n") + account.where.describe() + ": credential '" +
                    name + "': " + value.status().message();
      }
    }
    if (!errors.empty()) return Status(ErrorCode::config, errors);
  }

  std::vector<std::string> paths = impl->config.plugin_paths;
  if (paths.empty()) paths.push_back(builtin_plugin_dir());
  if (Status s = impl->registry.load_paths(paths); !s) return s;

  Result<std::vector<BoundWorkflow>> workflows = bind_workflows(impl->config, impl->registry);
  if (!workflows) return workflows.status();
  impl->workflows = std::move(*workflows);

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

Result<int64_t> Host::submit(const SubmitRequest& request) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  const WorkflowConfig* workflow = config.workflow(request.workflow);
  if (!workflow) return unknown("workflow", request.workflow, config.workflows, config.file);
  const AccountConfig* account = config.account(request.account);
  if (!account) return unknown("account", request.account, config.accounts, config.file);
  if (!request.author.empty() && !config.person(request.author))
    return Status(ErrorCode::not_found, "unknown author '" + request.author +
                                            "'; authors are listed under `people` in " +
                                            config.file);
  if (request.text.empty()) return Status(ErrorCode::invalid_argument, "the post has no text");
  if (!valid_utf8(request.text))
    return Status(ErrorCode::invalid_argument, "the post's text is not valid UTF-8");

  int64_t now = impl_->clock->now_ms();
  Post post;
  post.workflow = workflow->name;
  post.account = account->name;
  post.author = request.author;
  post.text = request.text;
  post.tags = request.tags;
  post.created_ms = now;
  post.zone = account->timezone;
  if (!request.at.empty()) {
    Result<ZonedInstant> at = parse_time(request.at, account->timezone);
    if (!at) return at.status();
    post.publish_at_ms = at->utc_ms;
    post.zone = at->zone;
  }
  post.step_index = 0;
  post.step_kind = workflow->steps.front().kind;
  post.state = PostState::ready;
  post.wake_ms = now;
  post.idempotency_key = "herald-" + random_key();
  post.updated_ms = now;
  AuditEntry audit{
      0,  now,     request.author.empty() ? "anonymous" : request.author,        "submit", "",
      "", "ready", "workflow " + workflow->name + " on account " + account->name};
  if (post.publish_at_ms)
    audit.detail += ", publish at " + format_time(post.publish_at_ms, post.zone);
  if (Status s = impl_->store->insert_post(post, audit); !s) return s;
  return post.id;
}

namespace {

Status check_event(const Configuration& config, const Post& post, const std::string& type,
                   const std::string& person_id, const std::vector<PostEvent>& earlier) {
  std::string id = std::to_string(post.id);
  switch (post.state) {
    case PostState::rejected:
      return Status(ErrorCode::failed_precondition,
                    "post " + id + " was rejected (" + post.reason + "); it cannot be " +
                        (type == "approve" ? "approved" : "rejected again") +
                        ". Submit a new post.");
    case PostState::done:
      return Status(ErrorCode::failed_precondition,
                    "post " + id + " has already finished every step");
    case PostState::failed:
    case PostState::cancelled:
      return Status(
          ErrorCode::failed_precondition,
          "post " + id + " is " + std::string(to_string(post.state)) + " (" + post.reason + ")");
    default: break;
  }
  std::vector<std::string> roles;
  for (const Expectation& e : post.expects)
    if (e.type == type) roles.push_back(e.role);
  // A post woken by an earlier event is `ready` and still expects what it waited for.
  bool open_state = post.state == PostState::waiting || post.state == PostState::held ||
                    post.state == PostState::ready;
  if (!open_state || roles.empty())
    return Status(ErrorCode::failed_precondition,
                  "post " + id + " is not waiting for " +
                      (type == "approve" ? "an approval" : "a rejection") + " (it is " +
                      std::string(to_string(post.state)) + " at its " + post.step_kind +
                      " step); run `herald run` to move it along, and see `herald status " + id +
                      "`");
  const PersonConfig* person = config.person(person_id);
  if (!person)
    return Status(
        ErrorCode::not_found,
        "unknown person '" + person_id + "'; people are listed under `people` in " + config.file);
  bool allowed = false;
  for (const auto& role : roles) allowed = allowed || role.empty() || person->has_role(role);
  if (!allowed)
    return Status(ErrorCode::permission_denied,
                  person_id + " cannot " + type + " post " + id + ": its " + post.step_kind +
                      " step needs role " + join(roles) + ", and " + person_id + " has " +
                      (person->roles.empty() ? "no roles" : "roles " + join(person->roles)));
  if (!post.author.empty() && post.author == person_id && type == "approve")
    return Status(
        ErrorCode::permission_denied,
        person_id + " wrote post " + id + " and cannot approve it (four eyes: someone else must)");
  for (const PostEvent& e : earlier)
    if (e.actor == person_id && e.type == type)
      return Status(ErrorCode::failed_precondition,
                    person_id + " has already " + (type == "approve" ? "approved" : "rejected") +
                        " post " + id + " at this step");
  return Status::ok();
}

}  // namespace

Status Host::Impl::record_event(int64_t post_id, const std::string& type, const std::string& person,
                                const std::string& comment) {
  Impl& impl = *this;
  Result<std::optional<Post>> found = impl.store->find_post(post_id);
  if (!found) return found.status();
  if (!found->has_value())
    return Status(ErrorCode::not_found,
                  "no post " + std::to_string(post_id) + " in " + impl.store->location());
  const Post& post = **found;
  Result<std::vector<PostEvent>> earlier = impl.store->events_for(post.id, post.step_index);
  if (!earlier) return earlier.status();
  if (Status s = check_event(impl.config, post, type, person, *earlier); !s) return s;
  int64_t now = impl.clock->now_ms();
  PostEvent event{0, post.id, post.step_index, type, person, comment, now};
  std::string step;
  if (const WorkflowConfig* w = impl.config.workflow(post.workflow);
      w && post.step_index < static_cast<int>(w->steps.size()))
    step = w->steps[static_cast<size_t>(post.step_index)].name;
  AuditEntry audit{post.id, now,    person, type, step, std::string(to_string(post.state)),
                   "ready", comment};
  return impl.store->add_event(event, post, audit);
}

Status Host::approve(int64_t post_id, const std::string& person, const std::string& comment) {
  if (Status s = impl_->require_store(); !s) return s;
  return impl_->record_event(post_id, "approve", person, comment);
}

Status Host::reject(int64_t post_id, const std::string& person, const std::string& reason) {
  if (Status s = impl_->require_store(); !s) return s;
  if (reason.empty()) return Status(ErrorCode::invalid_argument, "a rejection needs a reason");
  return impl_->record_event(post_id, "reject", person, reason);
}

Result<PostView> Host::post(int64_t post_id) {
  if (Status s = impl_->require_store(); !s) return s;
  Result<std::optional<Post>> found = impl_->store->find_post(post_id);
  if (!found) return found.status();
  if (!found->has_value())
    return Status(ErrorCode::not_found,
                  "no post " + std::to_string(post_id) + " in " + impl_->store->location());
  return view_of(**found, impl_->config);
}

Result<std::vector<PostView>> Host::posts() {
  if (Status s = impl_->require_store(); !s) return s;
  Result<std::vector<Post>> all = impl_->store->list_posts();
  if (!all) return all.status();
  std::vector<PostView> views;
  for (const Post& p : *all) views.push_back(view_of(p, impl_->config));
  return views;
}

Result<std::vector<AuditRecord>> Host::audit(std::optional<int64_t> post_id) {
  if (Status s = impl_->require_store(); !s) return s;
  if (post_id) {
    Result<std::optional<Post>> found = impl_->store->find_post(*post_id);
    if (!found) return found.status();
    if (!found->has_value())
      return Status(ErrorCode::not_found,
                    "no post " + std::to_string(*post_id) + " in " + impl_->store->location());
  }
  return impl_->store->audit(post_id);
}

Result<RunSummary> Host::run(const RunOptions& options) {
  if (Status s = impl_->require_store(); !s) return s;
  Engine engine(impl_->config, impl_->workflows, *impl_->store, *impl_->clock,
                impl_->options.batch_size);
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
                         step->plugin().name + "/" + step->component().name,
                         step->config().when.describe()});
    out.push_back(std::move(w));
  }
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

}  // namespace herald
