#include "plugins/isolation.hpp"

#include "config/json_problem.hpp"
#include "engine/step_journal.hpp"
#include "engine/workflow.hpp"
#include "install_layout.hpp"
#include "plugins/registry.hpp"
#include "store/audit_chain.hpp"

#include <spdlog/spdlog.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

extern char** environ;

namespace herald {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kRequestFd = 3;  // the child reads requests here
constexpr int kAnswerFd = 4;   // and writes answers here
constexpr uint32_t kMaxFrame = 64u << 20;

// --- What crosses the pipe ----------------------------------------------------------------

json to_json(const std::vector<Expectation>& expects) {
  json out = json::array();
  for (const Expectation& e : expects) out.push_back({e.type, e.role});
  return out;
}

std::vector<Expectation> expects_from(const json& in) {
  std::vector<Expectation> out;
  for (const json& e : in) out.push_back({e.at(0).get<std::string>(), e.at(1).get<std::string>()});
  return out;
}

json to_json(const PostEvent& e) {
  return {{"id", e.id},       {"post_id", e.post_id},     {"step_index", e.step_index},
          {"type", e.type},   {"actor", e.actor},         {"comment", e.comment},
          {"at_ms", e.at_ms}, {"on_behalf", e.on_behalf}, {"content_hash", e.content_hash},
          {"stage", e.stage}, {"revision", e.revision}};
}

PostEvent event_from(const json& in) {
  PostEvent e;
  e.id = in.at("id");
  e.post_id = in.at("post_id");
  e.step_index = in.at("step_index");
  e.type = in.at("type");
  e.actor = in.at("actor");
  e.comment = in.at("comment");
  e.at_ms = in.at("at_ms");
  e.on_behalf = in.at("on_behalf");
  e.content_hash = in.at("content_hash");
  e.stage = in.at("stage");
  e.revision = in.at("revision");
  return e;
}

json to_json(const Post& p) {
  return {{"id", p.id},
          {"workflow", p.workflow},
          {"account", p.account},
          {"author", p.author},
          {"text", p.text},
          {"tags", p.tags},
          {"created_ms", p.created_ms},
          {"publish_at_ms", p.publish_at_ms},
          {"zone", p.zone},
          {"step_index", p.step_index},
          {"step_kind", p.step_kind},
          {"state", std::string(to_string(p.state))},
          {"wake_ms", p.wake_ms},
          {"reason", p.reason},
          {"expects", to_json(p.expects)},
          {"attempt", p.attempt},
          {"claim_seq", p.claim_seq},
          {"claimed_from", std::string(to_string(p.claimed_from))},
          {"lease_owner", p.lease_owner},
          {"lease_expires_ms", p.lease_expires_ms},
          {"idempotency_key", p.idempotency_key},
          {"remote_id", p.remote_id},
          {"note", p.note},
          {"updated_ms", p.updated_ms},
          {"step_events", p.step_events},
          {"last_audit_id", p.last_audit_id},
          {"revision", p.revision},
          {"stage", p.stage},
          {"step_entered_ms", p.step_entered_ms},
          {"time_note", p.time_note},
          {"planned_ms", p.planned_ms},
          {"plan_note", p.plan_note}};
}

Post post_from(const json& in) {
  Post p;
  p.id = in.at("id");
  p.workflow = in.at("workflow");
  p.account = in.at("account");
  p.author = in.at("author");
  p.text = in.at("text");
  p.tags = in.at("tags").get<std::vector<std::string>>();
  p.created_ms = in.at("created_ms");
  p.publish_at_ms = in.at("publish_at_ms");
  p.zone = in.at("zone");
  p.step_index = in.at("step_index");
  p.step_kind = in.at("step_kind");
  p.state = parse_post_state(in.at("state").get<std::string>()).value_or(PostState::in_flight);
  p.wake_ms = in.at("wake_ms");
  p.reason = in.at("reason");
  p.expects = expects_from(in.at("expects"));
  p.attempt = in.at("attempt");
  p.claim_seq = in.at("claim_seq");
  p.claimed_from =
      parse_post_state(in.at("claimed_from").get<std::string>()).value_or(PostState::ready);
  p.lease_owner = in.at("lease_owner");
  p.lease_expires_ms = in.at("lease_expires_ms");
  p.idempotency_key = in.at("idempotency_key");
  p.remote_id = in.at("remote_id");
  p.note = in.at("note");
  p.updated_ms = in.at("updated_ms");
  p.step_events = in.at("step_events");
  p.last_audit_id = in.at("last_audit_id");
  p.revision = in.at("revision");
  p.stage = in.at("stage");
  p.step_entered_ms = in.at("step_entered_ms");
  p.time_note = in.at("time_note");
  p.planned_ms = in.at("planned_ms");
  p.plan_note = in.at("plan_note");
  return p;
}

json request_of(const CallContext& call) {
  json events = json::array();
  for (const PostEvent& e : *call.events) events.push_back(to_json(e));
  return {{"post", to_json(*call.post)},
          {"account", call.account ? call.account->name : std::string()},
          {"events", events},
          {"now_ms", call.clock->now_ms()},
          {"account_limits", call.account_limits ? json(*call.account_limits) : json::object()},
          {"text_limits", call.text_limits ? json(*call.text_limits) : json::object()},
          {"advocates", call.advocates ? json(*call.advocates) : json::object()},
          {"step_name", call.step_name}};
}

json answer_of(herald_status status, const CallContext& call) {
  json emitted = json::array();
  for (const PostEvent& e : call.emitted) emitted.push_back(to_json(e));
  json spawned = json::array();
  for (const CallContext::Spawned& s : call.spawned)
    spawned.push_back({s.workflow, s.account, s.text, s.tags});
  return {{"status", static_cast<int>(status)},
          {"post", to_json(*call.post)},
          {"outcome", static_cast<int>(call.outcome)},
          {"outcome_at_ms", call.outcome_at_ms},
          {"reason", call.reason},
          {"expects", to_json(call.expects)},
          {"emitted", emitted},
          {"error", call.error},
          {"refused", call.refused},
          {"violation", call.violation},
          {"text_changed", call.text_changed},
          {"outcome_unknown", call.outcome_unknown},
          {"account_limited_until_ms", call.account_limited_until_ms},
          {"network_char_limit", call.network_char_limit},
          {"spawned", spawned}};
}

herald_status apply_answer(const json& in, CallContext& call) {
  *call.post = post_from(in.at("post"));
  call.outcome = static_cast<herald_outcome>(in.at("outcome").get<int>());
  call.outcome_at_ms = in.at("outcome_at_ms");
  call.reason = in.at("reason");
  call.expects = expects_from(in.at("expects"));
  for (const json& e : in.at("emitted")) call.emitted.push_back(event_from(e));
  call.error = in.at("error");
  call.refused = in.at("refused");
  call.violation = in.at("violation");
  call.text_changed = in.at("text_changed");
  call.outcome_unknown = in.at("outcome_unknown");
  call.account_limited_until_ms = in.at("account_limited_until_ms");
  call.network_char_limit = in.at("network_char_limit");
  for (const json& s : in.at("spawned"))
    call.spawned.push_back({s.at(0), s.at(1), s.at(2), s.at(3).get<std::vector<std::string>>()});
  return static_cast<herald_status>(in.at("status").get<int>());
}

// --- Frames: a 4-byte length, then that many bytes of JSON ----------------------------------

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool write_frame(int fd, const json& message) {
  const std::string bytes = message.dump(-1, ' ', false, json::error_handler_t::replace);
  const uint32_t size = static_cast<uint32_t>(bytes.size());
  char header[4];
  std::memcpy(header, &size, 4);
  return write_all(fd, header, 4) && write_all(fd, bytes.data(), bytes.size());
}

enum class Read { ok, closed, timed_out };

/// Reads exactly `size` bytes before `deadline` (none: wait as long as it takes).
Read read_all(int fd, char* data, size_t size,
              std::optional<std::chrono::steady_clock::time_point> deadline) {
  while (size > 0) {
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      *deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return Read::timed_out;
      pollfd p{fd, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) return Read::timed_out;
    }
    ssize_t n = ::read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Read::closed;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Read::ok;
}

Read read_frame(int fd, json& message,
                std::optional<std::chrono::steady_clock::time_point> deadline) {
  char header[4];
  if (Read r = read_all(fd, header, 4, deadline); r != Read::ok) return r;
  uint32_t size = 0;
  std::memcpy(&size, header, 4);
  if (size > kMaxFrame) return Read::closed;
  std::string bytes(size, '\0');
  if (Read r = read_all(fd, bytes.data(), size, deadline); r != Read::ok) return r;
  message = json::parse(bytes, nullptr, false);
  return message.is_discarded() ? Read::closed : Read::ok;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The exit code of a child that finds the configuration file changed since the worker read it.
constexpr int kConfigChanged = 5;

extern "C" void* end_with_worker(void*) {
  for (;;) {
    pollfd p{kRequestFd, 0, 0};
    int ready = ::poll(&p, 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) _exit(0);
  }
}

}  // namespace

std::string plugin_host_program() {
  if (const char* env = std::getenv("HERALD_PLUGIN_HOST"); env && *env) return env;
  std::error_code ec;
  const fs::path here = boost::dll::this_line_location().parent_path().string();
  if (std::optional<fs::path> prefix = python_package_prefix(here))
    return installed_plugin_host(*prefix).string();
  for (const fs::path& candidate :
       {here / "herald-plugin-host", here / ".." / "bin" / "herald-plugin-host"})
    if (fs::exists(candidate, ec)) return candidate.lexically_normal().string();
#ifdef HERALD_BUILD_BIN_DIR
  if (fs::exists(fs::path(HERALD_BUILD_BIN_DIR) / "herald-plugin-host", ec))
    return (fs::path(HERALD_BUILD_BIN_DIR) / "herald-plugin-host").string();
#endif
  return "herald-plugin-host";  // on PATH
}

ProcessStep::ProcessStep(std::string config_path, std::string workflow, int step_index,
                         std::string library, std::string plugin_name, int64_t deadline_s,
                         int64_t memory_limit_mb)
    : config_path_(std::move(config_path)),
      workflow_(std::move(workflow)),
      library_(std::move(library)),
      plugin_name_(std::move(plugin_name)),
      step_index_(step_index),
      deadline_s_(deadline_s),
      memory_limit_mb_(memory_limit_mb),
      config_sha256_(sha256_hex(read_bytes(config_path_))) {}

ProcessStep::~ProcessStep() {
  std::lock_guard lock(mutex_);
  stop(false);
}

bool ProcessStep::start(std::string& error) {
  static std::once_flag once;
  // A child that died makes a write to its pipe fail with EPIPE instead of killing the worker.
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
  int requests[2], answers[2];
  if (pipe2(requests, O_CLOEXEC) != 0) {
    error = std::strerror(errno);
    return false;
  }
  if (pipe2(answers, O_CLOEXEC) != 0) {
    error = std::strerror(errno);
    ::close(requests[0]);
    ::close(requests[1]);
    return false;
  }
  const std::string program = plugin_host_program();
  std::vector<std::string> args = {program,       config_path_,
                                   workflow_,     std::to_string(step_index_),
                                   library_,      std::to_string(memory_limit_mb_),
                                   config_sha256_};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, requests[0], kRequestFd);
  posix_spawn_file_actions_adddup2(&actions, answers[1], kAnswerFd);
  posix_spawn_file_actions_adddup2(&actions, 2, 1);  // what the plugin prints goes to stderr
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(requests[0]);
  ::close(answers[1]);
  if (spawned != 0) {
    error = program + ": " + std::strerror(spawned);
    ::close(requests[1]);
    ::close(answers[0]);
    return false;
  }
  pid_ = pid;
  to_child_ = requests[1];
  from_child_ = answers[0];
  return true;
}

std::string ProcessStep::reap() {
  if (pid_ <= 0) return "it was not running";
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  pid_ = 0;
  if (done < 0) return "it ended";
  if (WIFSIGNALED(status)) return "its process died of " + signal_name(WTERMSIG(status));
  if (WEXITSTATUS(status) == kConfigChanged)
    return "its process would not run it: " + config_path_ +
           " changed since the worker read it (restart `herald run` to use the new "
           "configuration)";
  return "its process exited with code " + std::to_string(WEXITSTATUS(status));
}

void ProcessStep::stop(bool kill_first) {
  if (to_child_ >= 0) ::close(to_child_);
  to_child_ = -1;
  if (pid_ > 0) {
    if (kill_first) {
      kill(pid_, SIGKILL);
    } else {
      // It ends when its request pipe closes; one that does not within a second is killed.
      for (int i = 0; i < 100; ++i) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = 0;
          break;
        }
        ::usleep(10'000);
      }
      if (pid_ > 0) kill(pid_, SIGKILL);
    }
    if (pid_ > 0) reap();
  }
  if (from_child_ >= 0) ::close(from_child_);
  from_child_ = -1;
}

herald_status ProcessStep::run(CallContext& call) {
  std::lock_guard lock(mutex_);
  const std::string isolated = " (isolation: process)";
  std::string error;
  if (pid_ <= 0 && !start(error)) {
    call.error = "cannot start herald-plugin-host" + isolated + ": " + error;
    return HERALD_UNAVAILABLE;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(deadline_s_);
  json answer;
  Read got = write_frame(to_child_, request_of(call)) ? read_frame(from_child_, answer, deadline)
                                                      : Read::closed;
  if (got == Read::timed_out) {
    stop(true);
    call.error = "no answer within the step's deadline of " + std::to_string(deadline_s_) + " s" +
                 isolated + "; its process was killed (SIGKILL) and starts again";
    return HERALD_UNAVAILABLE;
  }
  if (got == Read::closed) {
    const std::string why = reap();
    stop(true);
    call.error = why + isolated + "; the worker goes on and the call is tried again";
    return HERALD_UNAVAILABLE;
  }
  try {
    return apply_answer(answer, call);
  } catch (const json::exception& e) {
    stop(true);
    call.error = std::string("its process answered what Herald cannot read") + isolated + " (" +
                 json_problem(e) + ")";
    return HERALD_UNAVAILABLE;
  }
}

int plugin_host_main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: herald-plugin-host CONFIG WORKFLOW STEP_INDEX LIBRARY MEMORY_LIMIT_MB "
                 "CONFIG_SHA256\n"
                 "Runs one step's plugin for `herald run` (isolation: process); not for use by "
                 "hand.\n";
    return 2;
  }
  // What the plugin starts (system(), popen()) does not inherit the pipes: a helper left
  // running would otherwise keep the answer pipe open after this process died, and the worker
  // would wait out the step's deadline instead of seeing the crash.
  for (int fd : {kRequestFd, kAnswerFd}) fcntl(fd, F_SETFD, FD_CLOEXEC);
  // This process ends with its worker, even in a call that hangs or ignores SIGTERM: the
  // request pipe hangs up when the worker is gone, however it went.
  // (A thread with a small stack: it counts against memory_limit_mb.)
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 64 << 10);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t watcher;
  pthread_create(&watcher, &attributes, &end_with_worker, nullptr);
  pthread_attr_destroy(&attributes);
  const std::string workflow_name = argv[2], library = argv[4];
  const int step_index = std::atoi(argv[3]);
  const int64_t memory_limit_mb = std::atoll(argv[5]);
  if (memory_limit_mb > 0) {
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(memory_limit_mb) << 20;
    setrlimit(RLIMIT_AS, &limit);
  }
  // The step must run as the worker configured it: a configuration edited since the worker
  // started (and read only by this process, started later) could send the post elsewhere.
  if (sha256_hex(read_bytes(argv[1])) != argv[6]) {
    std::cerr << "herald-plugin-host: " << argv[1]
              << " changed since the worker read it; restart `herald run` to use it\n";
    return kConfigChanged;
  }
  Result<Configuration> config = load_configuration(argv[1]);
  if (!config) {
    std::cerr << "herald-plugin-host: " << config.status().message() << "\n";
    return 3;
  }
  const WorkflowConfig* workflow = config->workflow(workflow_name);
  if (!workflow || step_index < 0 || step_index >= static_cast<int>(workflow->steps.size())) {
    std::cerr << "herald-plugin-host: no step " << step_index << " in workflow " << workflow_name
              << "\n";
    return 3;
  }
  const StepConfig& step = workflow->steps[static_cast<size_t>(step_index)];
  PluginRegistry registry;
  if (Status s = registry.load_paths({library}); !s) {
    std::cerr << "herald-plugin-host: " << s.message() << "\n";
    return 4;
  }
  Result<std::unique_ptr<BoundStep>> bound = bind_plugin_step(step, *config, registry);
  if (!bound) {
    std::cerr << "herald-plugin-host: " << bound.status().message() << "\n";
    return 3;
  }
  for (;;) {
    json request;
    Read got = read_frame(kRequestFd, request, std::nullopt);
    if (got != Read::ok) return 0;  // the worker closed the pipe: done
    try {
      Post post = post_from(request.at("post"));
      std::vector<PostEvent> events;
      for (const json& e : request.at("events")) events.push_back(event_from(e));
      const auto account_limits =
          request.at("account_limits").get<std::map<std::string, int64_t>>();
      const auto text_limits = request.at("text_limits").get<std::map<std::string, int64_t>>();
      const auto advocates =
          request.at("advocates").get<std::map<std::string, std::vector<std::string>>>();
      std::shared_ptr<Clock> clock = make_virtual_clock(request.at("now_ms").get<int64_t>());
      CallContext call;
      call.post = &post;
      call.account = config->account(request.at("account").get<std::string>());
      call.config = &*config;
      call.events = &events;
      call.clock = clock.get();
      call.account_limits = &account_limits;
      call.text_limits = &text_limits;
      call.advocates = &advocates;
      call.plugin_name = (*bound)->plugin().name;
      call.step_name = request.at("step_name");
      herald_status status = (*bound)->run(call);
      // The worker cannot flush this process's step once per round: it is flushed after each
      // call, before the answer, so that what the answer reports is durable.
      if ((*bound)->flushes()) {
        Post nobody;
        CallContext flushing;
        flushing.post = &nobody;
        flushing.config = &*config;
        flushing.clock = clock.get();
        flushing.plugin_name = call.plugin_name;
        flushing.step_name = call.step_name;
        if ((*bound)->flush(flushing) != HERALD_OK && status == HERALD_OK) {
          status = HERALD_UNAVAILABLE;  // a publish step's post becomes unconfirmed
          call.error = "could not make its work durable: " +
                       (flushing.error.empty() ? std::string("no message") : flushing.error);
        }
      }
      if (!write_frame(kAnswerFd, answer_of(status, call))) return 0;
    } catch (const json::exception& e) {
      std::cerr << "herald-plugin-host: a request it cannot read: " << json_problem(e) << "\n";
      return 2;
    }
  }
}

}  // namespace herald
