// Calls hooks and Python steps from the engine's threads: the GIL is taken only around each
// call, a call that runs past the configured time is abandoned (its post fails, the calling
// thread carries on), and every Python error is turned into text inside the GIL scope.
#include "herald_python.hpp"

#include "host_impl.hpp"

#include <pybind11/embed.h>
#include <pybind11/stl.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace py = pybind11;

namespace herald::python {
namespace {

/// A C++ thread's Python thread state, kept from its first call until the thread ends.
struct KeptThreadState {
  PyThreadState* state = nullptr;
  ~KeptThreadState() {
    if (!state || !Py_IsInitialized() || _Py_IsFinalizing()) return;
    PyEval_RestoreThread(state);
    PyGILState_Release(PyGILState_UNLOCKED);  // deletes the thread state
  }
};

void keep_thread_state() {
  thread_local KeptThreadState kept;
  if (kept.state || PyGILState_GetThisThreadState() != nullptr) return;  // kept, or Python's
  PyGILState_Ensure();
  kept.state = PyEval_SaveThread();
}

/// Python's text for the exception being handled: the traceback when `traceback`, else the
/// last line ("ModuleNotFoundError: No module named 'x'") with a syntax error's place.
std::string describe(py::error_already_set& e, bool traceback) {
  try {
    py::module_ tb = py::module_::import("traceback");
    py::list lines = traceback ? tb.attr("format_exception")(e.type(), e.value(), e.trace())
                               : tb.attr("format_exception_only")(e.type(), e.value());
    std::string out;
    for (py::handle line : lines) out += line.cast<std::string>();
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  } catch (py::error_already_set& inner) {
    return e.what();
  }
}

std::string type_name(const py::handle& value) {
  return py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>();
}

std::string seconds_text(int64_t ms) {
  std::string s = std::to_string(ms / 1000);
  if (ms % 1000) s += "." + std::to_string(ms % 1000 + 1000).substr(1);
  return s + " s";
}

/// Raises herald.Timeout in Python calls that run past their deadline. A call runs on the
/// thread that makes it; it writes its deadline into its thread's slot when it starts and clears
/// it when it ends, both with the GIL held, so a call costs a clock read and a few plain stores.
/// One thread looks at the slots every 5 ms while calls are being made, and every 100 ms after a
/// second without calls (a call that starts then is seen within 100 ms, well before any limit).
class Watchdog {
 public:
  static constexpr std::chrono::milliseconds kTick{5};
  static constexpr std::chrono::milliseconds kIdleTick{100};
  static constexpr std::chrono::seconds kIdleAfter{1};
  // A call that caught herald.Timeout, or is still unwinding from it (its `finally` blocks),
  // gets it again only after this long.
  static constexpr std::chrono::seconds kRaiseAgainAfter{1};

  struct Slot {
    std::atomic<int64_t> deadline_ns{0};  // steady clock; 0: no call running
    std::atomic<bool> fired{false};       // herald.Timeout was raised in the running call
    std::atomic<int64_t> fired_ns{0};     // steady clock: when it was last raised
    std::atomic<uint64_t> calls{0};       // written by its thread only
    unsigned long thread_id = PyThread_get_thread_ident();
  };

  static Watchdog& instance() {
    static auto* watchdog = new Watchdog();  // lives as long as the process
    return *watchdog;
  }

  /// The calling thread's slot, registered on its first call and removed when the thread ends.
  Slot& slot() {
    struct Registration {
      Watchdog& watchdog;
      std::shared_ptr<Slot> slot = std::make_shared<Slot>();
      explicit Registration(Watchdog& w) : watchdog(w) {
        std::lock_guard lock(watchdog.mutex_);
        watchdog.slots_.push_back(slot);
      }
      ~Registration() {
        std::lock_guard lock(watchdog.mutex_);
        std::erase(watchdog.slots_, slot);
      }
    };
    thread_local Registration registration(*this);
    return *registration.slot;
  }

  /// Tells the watchdog that a call started in `slot`.
  static void started(Slot& slot) {
    slot.calls.store(slot.calls.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

 private:
  Watchdog() {
    std::thread([this] { loop(); }).detach();
  }

  static int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  void loop() {
    uint64_t seen = 0;
    auto quiet_since = std::chrono::steady_clock::now();
    bool idle = false;
    std::vector<std::shared_ptr<Slot>> overdue;
    for (;;) {
      std::this_thread::sleep_for(idle ? kIdleTick : kTick);
      int64_t now = 0;
      {
        std::lock_guard lock(mutex_);
        const uint64_t calls = count_calls();
        now = now_ns();
        bool running = false;
        for (const std::shared_ptr<Slot>& slot : slots_) {
          const int64_t deadline = slot->deadline_ns.load(std::memory_order_acquire);
          running = running || deadline != 0;
          if (deadline != 0 && deadline < now) overdue.push_back(slot);
        }
        if (calls != seen || running) {
          seen = calls;
          quiet_since = std::chrono::steady_clock::now();
          idle = false;
        } else {
          idle = std::chrono::steady_clock::now() - quiet_since > kIdleAfter;
        }
      }
      if (!overdue.empty()) interrupt(overdue, now);
      overdue.clear();
    }
  }

  /// Calls made so far by the threads that have slots now (with `mutex_` held).
  uint64_t count_calls() const {
    uint64_t calls = 0;
    for (const std::shared_ptr<Slot>& slot : slots_)
      calls += slot->calls.load(std::memory_order_relaxed);
    return calls;
  }

  /// Raises herald.Timeout in each overdue call that is still the one that was overdue. A call
  /// ends with the GIL held, so what is read here with the GIL cannot change under it.
  static void interrupt(const std::vector<std::shared_ptr<Slot>>& overdue, int64_t now) {
    if (!Py_IsInitialized() || _Py_IsFinalizing()) return;
    // Its own thread state for the moment: the watchdog outlives any one interpreter.
    PyGILState_STATE state = PyGILState_Ensure();
    if (PyObject* timeout = exception_types().timeout) {
      for (const std::shared_ptr<Slot>& slot : overdue) {
        const int64_t deadline = slot->deadline_ns.load(std::memory_order_acquire);
        if (deadline == 0 || deadline >= now) continue;  // it ended, and another began
        if (slot->fired.load(std::memory_order_acquire) &&
            now - slot->fired_ns.load(std::memory_order_relaxed) <
                std::chrono::nanoseconds(kRaiseAgainAfter).count())
          continue;  // let its cleanup run
        slot->fired_ns.store(now, std::memory_order_relaxed);
        slot->fired.store(true, std::memory_order_release);
        PyThreadState_SetAsyncExc(slot->thread_id, timeout);
      }
    }
    PyGILState_Release(state);
  }

  std::mutex mutex_;  // guards slots_; never held while waiting for the GIL
  std::vector<std::shared_ptr<Slot>> slots_;
};

/// Runs `body` with the GIL held, within `timeout_ms` (0: no limit). False when it ran past
/// the limit: herald.Timeout was raised in it (Python code stops there; a call blocked outside
/// Python, in a `sleep` or a socket, gets it as soon as it returns to Python).
template <typename Body>
bool run_limited(Body&& body, int64_t timeout_ms) {
  Gil gil;
  if (timeout_ms <= 0) {
    body();
    return true;
  }
  Watchdog& watchdog = Watchdog::instance();
  Watchdog::Slot& slot = watchdog.slot();
  const int64_t outer = slot.deadline_ns.load(std::memory_order_relaxed);  // a call inside a call
  const int64_t deadline =
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          (std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms))
              .time_since_epoch())
          .count();
  slot.deadline_ns.store(outer != 0 ? std::min(outer, deadline) : deadline,
                         std::memory_order_release);
  Watchdog::started(slot);
  // Ends the call however `body` leaves (an exception too), with the GIL still held: the outer
  // deadline back, and a Timeout raised late cleared, so that it reaches no later call.
  struct End {
    Watchdog::Slot& slot;
    int64_t outer;
    bool& interrupted;
    ~End() {
      slot.deadline_ns.store(outer, std::memory_order_release);
      // The watchdog sets `fired` with the GIL held, as this thread holds it now.
      if (!slot.fired.load(std::memory_order_acquire)) return;
      slot.fired.store(false, std::memory_order_relaxed);
      interrupted = true;
      PyThreadState_SetAsyncExc(slot.thread_id, nullptr);
    }
  };
  bool interrupted = false;
  {
    End end{slot, outer, interrupted};
    body();
  }
  return !interrupted;
}

/// A Python object that may be dropped from any thread, after the interpreter too.
struct Held {
  py::object object;
  Held() = default;
  explicit Held(py::object o) : object(std::move(o)) {}
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  ~Held() {
    if (!object) return;
    if (!Py_IsInitialized() || _Py_IsFinalizing()) {
      object.release();  // nothing to give it back to
      return;
    }
    Gil gil;
    object = py::object();
  }
};

ScriptContext context_for(const std::string& point, const std::string& workflow,
                          const std::string& step, const std::string& kind,
                          const AccountConfig* account, int64_t now_ms) {
  ScriptContext ctx;
  ctx.point = point;
  ctx.workflow = workflow;
  ctx.step = step;
  ctx.kind = kind;
  if (account) {
    ctx.account = account->name;
    ctx.network = account->network;
  }
  ctx.now_ms = now_ms;
  return ctx;
}

/// A hook function or a step instance, with the name it was configured by. Shared with calls
/// that may outlive their hook (a call abandoned at its time limit).
struct Callable {
  std::string target;
  Held object;
  Callable(std::string t, py::object o) : target(std::move(t)), object(std::move(o)) {}
};

/// What one call of a hook or a step did.
struct CallOutcome {
  HookResult::Kind kind = HookResult::Kind::ok;  // veto: herald.Veto was raised
  std::string message;                           // the veto's reason, or the error
  std::optional<std::string> text;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> account;
  std::vector<std::string> notes;
  Outcome outcome;  // steps: what run returned (None: advance)
};

/// Calls a hook (`function(post, ctx)`) or a step (`instance.run(post, ctx)`) with the GIL,
/// within `timeout_ms`, and reports what it returned and what it changed in the post.
CallOutcome call_python(const Callable& callable, bool step, const PostView& before,
                        ScriptContext& ctx, int64_t timeout_ms) {
  CallOutcome out;
  auto body = [&] {
    try {
      py::object py_post = py::cast(before);
      py::object py_ctx = py::cast(&ctx, py::return_value_policy::reference);
      const py::object& target = callable.object.object;
      py::object returned = step ? target.attr("run")(py_post, py_ctx) : target(py_post, py_ctx);
      const PostView& after = py_post.cast<const PostView&>();
      if (after.text != before.text) out.text = after.text;
      if (after.tags != before.tags) out.tags = after.tags;
      if (after.account != before.account) out.account = after.account;
      if (step && py::isinstance<Outcome>(returned)) {
        out.outcome = returned.cast<Outcome>();
      } else if (!returned.is_none() && (step || !returned.is(py_post))) {
        out.kind = HookResult::Kind::error;
        out.message = callable.target + (step ? ".run" : "") + " returned " + type_name(returned) +
                      (step ? "; return herald.advance(), herald.wait(...), herald.hold(...), "
                              "herald.reject(...), herald.retry(...) or herald.fail(...)"
                            : "; a hook returns None (it changes the post in place) or raises "
                              "herald.Veto(\"why\")");
      }
    } catch (py::error_already_set& e) {
      const ExceptionTypes& types = exception_types();
      bool veto = types.veto && e.matches(types.veto);
      out.kind = veto ? HookResult::Kind::veto : HookResult::Kind::error;
      try {  // str() of the reason runs Python code, which may raise too
        out.message = veto ? py::str(e.value()).cast<std::string>() : describe(e, true);
      } catch (const std::exception& unprintable) {
        out.message = std::string(veto ? "a reason whose str() failed: "
                                       : "an error that could not be described: ") +
                      unprintable.what();
      }
    } catch (const std::exception& e) {
      out.kind = HookResult::Kind::error;
      out.message = e.what();
    }
    out.notes = ctx.notes;
  };
  if (!run_limited(body, timeout_ms)) {
    CallOutcome late;
    late.kind = HookResult::Kind::error;
    late.message = "did not return within " + seconds_text(timeout_ms) +
                   " (python.timeout_seconds); it was interrupted";
    return late;
  }
  return out;
}

class PythonHook final : public ScriptHook {
 public:
  PythonHook(std::string target, py::object function, int64_t timeout_ms)
      : function_(std::make_shared<Callable>(std::move(target), std::move(function))),
        timeout_ms_(timeout_ms) {}

  HookResult call(const HookCall& call) override {
    ScriptContext ctx = context_for(call.hook->point, call.post->workflow, call.step,
                                    call.step_kind, call.account, call.now_ms);
    ctx.outcome = call.outcome;
    ctx.reason = call.reason;
    CallOutcome done = call_python(*function_, /*step=*/false, view_of(*call.post, *call.config),
                                   ctx, timeout_ms_);
    HookResult result;
    result.kind = done.kind;
    result.message = std::move(done.message);
    result.text = std::move(done.text);
    result.tags = std::move(done.tags);
    result.account = std::move(done.account);
    result.notes = std::move(done.notes);
    return result;
  }

 private:
  std::shared_ptr<Callable> function_;
  int64_t timeout_ms_;
};

class PythonStep final : public ScriptStep {
 public:
  PythonStep(std::string target, py::object instance, int64_t timeout_ms)
      : instance_(std::make_shared<Callable>(std::move(target), std::move(instance))),
        timeout_ms_(timeout_ms) {}

  herald_status run(CallContext& call) override {
    if (call.inbound) return run_inbound(call);
    const std::string& target = instance_->target;
    int64_t now_ms = call.clock->now_ms();
    ScriptContext ctx = context_for("step", call.post->workflow, call.step_name,
                                    call.post->step_kind, call.account, now_ms);
    if (call.events) ctx.events = *call.events;
    CallOutcome done =
        call_python(*instance_, /*step=*/true, view_of(*call.post, *call.config), ctx, timeout_ms_);
    if (done.kind == HookResult::Kind::error) {
      call.error = std::move(done.message);
      return HERALD_ERROR;
    }
    if (done.text) call.post->text = std::move(*done.text);
    if (done.tags) call.post->tags = std::move(*done.tags);
    call.text_changed = done.text || done.tags;
    std::string moved;
    if (done.account) {
      if (call.post->step_kind == "publish") {
        call.error = target + " moved the post to another account at its publish step";
        return HERALD_ERROR;
      }
      if (!call.config->account(*done.account)) {
        call.error =
            target + " set the account to '" + *done.account + "', which is not configured";
        return HERALD_ERROR;
      }
      moved = "moved from " + call.post->account + " to " + *done.account;
      call.post->account = std::move(*done.account);
      call.text_changed = true;
    }
    Outcome& o = done.outcome;
    if (done.kind == HookResult::Kind::veto) o = Outcome{HERALD_REJECT, done.message, 0, {}};
    call.outcome = o.kind;
    call.outcome_at_ms = o.kind == HERALD_RETRY && o.at_ms < 0 ? now_ms - o.at_ms : o.at_ms;
    call.reason = o.reason;
    for (const std::string& extra : done.notes)
      call.reason += (call.reason.empty() ? "" : "; ") + extra;
    if (!moved.empty()) call.reason += (call.reason.empty() ? "" : "; ") + moved;
    call.expects = o.expects;
    return HERALD_OK;
  }

 private:
  /// An inbound step: run(mention, ctx) may change the score, and returns None (no decision),
  /// herald.stop(...) or herald.answer(...). Decisions go through the host's own functions, so
  /// they are checked exactly as a C++ step's are.
  herald_status run_inbound(CallContext& call) {
    Mention& m = *call.inbound->mention;
    auto mention = std::make_shared<MentionScript>(
        MentionScript{m.author, m.text, m.network, m.account, m.from_network ? m.source_id : "",
                      m.followers, m.engagement, m.at_ms, m.score, m.score_detail});
    auto ctx = std::make_shared<ScriptContext>(context_for(
        "step", "inbound", call.step_name, "inbound", call.account, call.clock->now_ms()));
    // The script may keep `ctx` and ask later; by then the import has moved on.
    auto alive = std::make_shared<std::atomic<bool>>(true);
    InboundCall* inbound = call.inbound;
    ctx->stopped_since = [inbound, alive](int64_t since_ms) {
      if (!alive->load()) throw std::runtime_error("the import this step ran for is over");
      Result<int64_t> count = inbound->stopped_since(since_ms);
      if (!count) throw std::runtime_error(count.status().message());
      return *count;
    };
    auto decision = std::make_shared<std::optional<InboundDecision>>();
    auto error = std::make_shared<std::string>();
    std::shared_ptr<Callable> callable = instance_;
    auto body = [mention, ctx, decision, error, callable] {
      try {
        py::object py_mention = py::cast(mention.get(), py::return_value_policy::reference);
        py::object py_ctx = py::cast(ctx.get(), py::return_value_policy::reference);
        py::object returned = callable->object.object.attr("run")(py_mention, py_ctx);
        if (py::isinstance<InboundDecision>(returned))
          *decision = returned.cast<InboundDecision>();
        else if (!returned.is_none())
          *error = callable->target + ".run returned " + type_name(returned) +
                   "; an inbound step returns None, herald.stop(...) or herald.answer(...)";
      } catch (py::error_already_set& e) {
        *error = describe(e, true);
      } catch (const std::exception& e) {
        *error = e.what();
      }
    };
    const bool finished = run_limited(body, timeout_ms_);
    alive->store(false);
    if (!finished) {
      call.error = "did not return within " + seconds_text(timeout_ms_) +
                   " (python.timeout_seconds); it was interrupted";
      return HERALD_ERROR;
    }
    if (!error->empty()) {
      call.error = *error;
      return HERALD_ERROR;
    }
    m.score = mention->score;
    m.score_detail = mention->score_detail;
    if (!decision->has_value()) return HERALD_OK;
    const InboundDecision& d = **decision;
    const herald_host_api* host = host_api();
    herald_call* handle = as_handle(call);
    auto str = [](const std::string& s) { return herald_str{s.data(), s.size()}; };
    host->post_set(handle, str("rule"), str(d.rule));
    if (!d.answer) {
      if (host->post_set(handle, str("action"), str(d.action)) != HERALD_OK) {
        call.error =
            instance_->target + " returned herald.stop(" + d.action + ", ...): " + call.refused;
        return HERALD_ERROR;
      }
      return HERALD_OK;
    }
    std::string tags;
    for (const std::string& tag : d.tags) tags += (tags.empty() ? "" : "\n") + tag;
    herald_status answered = host->answer(handle, str(d.workflow), str(d.account), str(d.author),
                                          str(d.text), str(tags));
    if (answered != HERALD_OK) {
      call.error = instance_->target + " returned herald.answer(...) " +
                   (answered == HERALD_NOT_FOUND
                        ? "naming a workflow, account or person the configuration does not have"
                        : "with no text, or for a mention already decided");
      return HERALD_ERROR;
    }
    return HERALD_OK;
  }

  std::shared_ptr<Callable> instance_;
  int64_t timeout_ms_;
};

herald_step_kind parse_kind(const std::string& kind) {
  static const char* kinds[] = {"draft",   "approve", "legal_review", "schedule",
                                "publish", "amplify", "notify",       "inbound"};
  for (int k = 0; k < 8; ++k)
    if (kind == kinds[k]) return static_cast<herald_step_kind>(k);
  return HERALD_KIND_DRAFT;
}

class PythonStepType final : public ScriptStepType {
 public:
  PythonStepType(std::string target, py::object cls, int64_t timeout_ms)
      : target_(std::move(target)), class_(std::move(cls)), timeout_ms_(timeout_ms) {}

  /// Reads the class's `schema` and describes it as a plugin. Needs the GIL.
  Status describe(const std::string& kind) {
    auto plugin = std::make_shared<LoadedPlugin>();
    plugin->name = "python:" + target_;
    plugin->abi_major = HERALD_ABI_MAJOR;
    plugin->abi_minor = HERALD_ABI_MINOR;
    py::module_ inspect = py::module_::import("inspect");
    py::object file = inspect.attr("getfile")(class_.object);
    plugin->file = py::str(file).cast<std::string>();
    py::object doc = inspect.attr("getdoc")(class_.object);
    if (!doc.is_none()) {
      std::string text = doc.cast<std::string>();
      plugin->description = text.substr(0, text.find('\n'));
    }
    py::object schema = py::getattr(class_.object, "schema", py::dict());
    if (!py::isinstance<py::dict>(schema))
      return Status(ErrorCode::config, target_ +
                                           ".schema must be a dict from key to "
                                           "herald.Setting, not " +
                                           type_name(schema));
    for (auto [key, value] : schema.cast<py::dict>()) {
      if (!py::isinstance<py::str>(key) || !py::isinstance<Setting>(value))
        return Status(ErrorCode::config,
                      target_ + ".schema[" + py::repr(key).cast<std::string>() +
                          "] must be a herald.Setting(type, required=..., default=..., "
                          "description=...), not " +
                          type_name(value));
      const Setting& setting = value.cast<const Setting&>();
      const std::string& name = strings_.emplace_back(key.cast<std::string>());
      const char* default_value =
          setting.default_yaml ? strings_.emplace_back(*setting.default_yaml).c_str() : nullptr;
      const std::string& description = strings_.emplace_back(setting.description);
      keys_.push_back({name.c_str(), setting.type, setting.required ? 1 : 0, default_value,
                       description.c_str()});
    }
    herald_component component{};
    component.struct_size = sizeof(herald_component);
    component.kind = parse_kind(kind);
    component.name = "";
    component.description = strings_.emplace_back(plugin->description).c_str();
    component.config_keys = keys_.data();
    component.config_key_count = static_cast<uint32_t>(keys_.size());
    plugin->components.push_back(component);
    plugin_ = plugin;
    return Status::ok();
  }

  std::shared_ptr<LoadedPlugin> plugin() const override { return plugin_; }

  Result<std::shared_ptr<ScriptStep>> create(const StepConfig&,
                                             const StepSettings& settings) override {
    Gil gil;
    try {
      py::dict config;
      for (const auto& [key, value] : settings) {
        switch (value.type) {
          case HERALD_TYPE_INT: config[key.c_str()] = std::stoll(value.scalar); break;
          case HERALD_TYPE_BOOL: config[key.c_str()] = value.scalar == "true"; break;
          case HERALD_TYPE_DOUBLE: config[key.c_str()] = std::stod(value.scalar); break;
          case HERALD_TYPE_STRING_LIST: config[key.c_str()] = value.list; break;
          default: config[key.c_str()] = value.scalar; break;
        }
      }
      py::module_ inspect = py::module_::import("inspect");
      py::object signature = inspect.attr("signature")(class_.object);
      bool takes_config = true;
      try {
        signature.attr("bind")(config);
      } catch (py::error_already_set&) {
        takes_config = false;
      }
      py::object instance = takes_config ? class_.object(config) : class_.object();
      return std::shared_ptr<ScriptStep>(
          std::make_shared<PythonStep>(target_, std::move(instance), timeout_ms_));
    } catch (py::error_already_set& e) {
      return Status(ErrorCode::config, describe_error(e));
    }
  }

 private:
  static std::string describe_error(py::error_already_set& e) { return python::describe(e, false); }

  std::string target_;
  Held class_;
  int64_t timeout_ms_;
  std::shared_ptr<LoadedPlugin> plugin_;
  std::deque<std::string> strings_;  // stable addresses for the component's keys
  std::vector<herald_config_key> keys_;
};

class PythonRuntime final : public ScriptRuntime {
 public:
  explicit PythonRuntime(bool embedded) : embedded_(embedded) {}
  ~PythonRuntime() override {
    if (!started_) return;
    PyEval_RestoreThread(main_state_);
    py::finalize_interpreter();
  }

  Status configure(const PythonConfig& python) override {
    if (Status s = start(); !s) return s;
    timeout_ms_ = python.timeout_ms;
    Gil gil;
    try {
      py::list path = py::module_::import("sys").attr("path");
      for (auto it = python.paths.rbegin(); it != python.paths.rend(); ++it) {
        py::str entry(*it);
        if (!path.contains(entry)) path.insert(0, entry);
      }
      py::module_::import("herald");  // the exception types hooks raise
      return Status::ok();
    } catch (py::error_already_set& e) {
      return Status(ErrorCode::config, "Python could not be set up: " + describe(e, false));
    }
  }

  Result<std::shared_ptr<ScriptHook>> load_hook(const HookConfig& hook) override {
    Gil gil;
    try {
      Result<py::object> function = import(hook.target, "function");
      if (!function) return function.status();
      py::module_ inspect = py::module_::import("inspect");
      py::object f = *function;
      if (inspect.attr("isclass")(f).cast<bool>())
        return Status(ErrorCode::config,
                      hook.target + " is a class; a hook is a function taking (post, ctx)");
      if (!PyCallable_Check(f.ptr()))
        return Status(ErrorCode::config, hook.target + " is a " + type_name(f) +
                                             ", not a function taking (post, ctx)");
      if (inspect.attr("iscoroutinefunction")(f).cast<bool>())
        return Status(ErrorCode::config,
                      hook.target + " is async; a hook is a plain function taking (post, ctx)");
      py::object signature = inspect.attr("signature")(f);
      try {
        signature.attr("bind")(py::none(), py::none());
      } catch (py::error_already_set&) {
        return Status(ErrorCode::config,
                      hook.target + py::str(signature).cast<std::string>() +
                          " cannot be called as a hook: a hook takes two arguments, (post, ctx)");
      }
      py::object returns = signature.attr("return_annotation");
      if (!returns.is(inspect.attr("Signature").attr("empty")) && !returns.is_none() &&
          !returns.is(py::type::of(py::none())) &&
          !returns.is(py::module_::import("herald").attr("Post"))) {
        std::string text =
            py::isinstance<py::str>(returns)
                ? returns.cast<std::string>()
                : py::str(py::getattr(returns, "__name__", py::repr(returns))).cast<std::string>();
        if (text != "None" && text != "Post" && text != "herald.Post")
          return Status(ErrorCode::config,
                        hook.target + " is declared to return " + text +
                            "; a hook returns None (it changes the post in place) or raises "
                            "herald.Veto(\"why\")");
      }
      return std::shared_ptr<ScriptHook>(
          std::make_shared<PythonHook>(hook.target, std::move(f), timeout_ms_));
    } catch (py::error_already_set& e) {
      return Status(ErrorCode::config, describe(e, false));
    }
  }

  Result<std::shared_ptr<ScriptStepType>> load_step(const std::string& target,
                                                    const std::string& kind) override {
    Gil gil;
    try {
      Result<py::object> cls = import(target, "class");
      if (!cls) return cls.status();
      py::module_ inspect = py::module_::import("inspect");
      if (!inspect.attr("isclass")(*cls).cast<bool>())
        return Status(ErrorCode::config, target + " is a " + type_name(*cls) +
                                             ", not a class with run(self, post, ctx)");
      py::object run = py::getattr(*cls, "run", py::none());
      if (run.is_none() || !PyCallable_Check(run.ptr()))
        return Status(ErrorCode::config, target +
                                             " has no run method; a Python step is a class with "
                                             "run(self, post, ctx) returning herald.advance(), "
                                             "herald.wait(...), ...");
      try {
        inspect.attr("signature")(run).attr("bind")(py::none(), py::none(), py::none());
      } catch (py::error_already_set&) {
        return Status(ErrorCode::config,
                      target + ".run" +
                          py::str(inspect.attr("signature")(run)).cast<std::string>() +
                          " cannot be called as a step: it takes (self, post, ctx)");
      }
      py::object kinds = py::getattr(*cls, "kinds", py::none());
      if (!kinds.is_none()) {
        bool allowed = false;
        std::string list;
        for (py::handle k : kinds) {
          std::string name = py::str(k).cast<std::string>();
          allowed = allowed || name == kind;
          list += (list.empty() ? "" : ", ") + name;
        }
        if (!allowed)
          return Status(ErrorCode::config, target + " is a step for " + list + ", not " + kind);
      }
      auto type = std::make_shared<PythonStepType>(target, *cls, timeout_ms_);
      if (Status s = type->describe(kind); !s) return s;
      return std::shared_ptr<ScriptStepType>(type);
    } catch (py::error_already_set& e) {
      return Status(ErrorCode::config, describe(e, false));
    }
  }

 private:
  /// Starts the interpreter when this program embeds it and it is not running yet.
  Status start() {
    if (!embedded_ || started_ || Py_IsInitialized()) return Status::ok();
    PyConfig config;
    // The Python configuration (not the isolated one pybind11 2.10 uses) so that PYTHONPATH
    // and the user's site-packages count, as they do for `python3`.
    PyConfig_InitPythonConfig(&config);
    config.install_signal_handlers = 0;  // Ctrl-C stays Herald's
    config.parse_argv = 0;
    try {
      py::initialize_interpreter(&config, 0, nullptr, false);
    } catch (const std::exception& e) {
      return Status(ErrorCode::config, std::string("Python could not start: ") + e.what());
    }
    started_ = true;
    main_state_ = PyEval_SaveThread();  // workers take the GIL around each call
    return Status::ok();
  }

  /// Imports "module:name" and returns the object. Errors say which part failed and why.
  Result<py::object> import(const std::string& target, const char* what) {
    size_t colon = target.find(':');
    if (colon == std::string::npos)
      return Status(ErrorCode::config, "write it as \"module:" + std::string(what) + "\"");
    std::string module_name = target.substr(0, colon);
    std::string name = target.substr(colon + 1);
    py::object module;
    try {
      module = py::module_::import("importlib").attr("import_module")(module_name);
    } catch (py::error_already_set& e) {
      std::string path;
      for (py::handle entry : py::module_::import("sys").attr("path").cast<py::list>())
        path += (path.empty() ? "" : ", ") + py::str(entry).cast<std::string>();
      if (e.matches(PyExc_ModuleNotFoundError))
        return Status(ErrorCode::config,
                      "module '" + module_name + "' does not import: " + describe(e, false) +
                          " (sys.path: " + path + "; add its folder to python.paths)");
      return Status(ErrorCode::config,
                    "module '" + module_name + "' does not import:\n" + describe(e, true));
    }
    py::object found = module;
    for (size_t start = 0; start <= name.size();) {
      size_t dot = name.find('.', start);
      std::string part =
          name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!py::hasattr(found, part.c_str())) {
        std::string available;
        for (py::handle n : py::module_::import("builtins").attr("dir")(module)) {
          std::string s = n.cast<std::string>();
          if (s.rfind("_", 0) == 0) continue;
          py::object item = module.attr(s.c_str());
          if (PyCallable_Check(item.ptr()) && !py::isinstance<py::module_>(item))
            available += (available.empty() ? "" : ", ") + s;
        }
        std::string file =
            py::str(py::getattr(module, "__file__", py::str("?"))).cast<std::string>();
        return Status(ErrorCode::config, "module '" + module_name + "' (" + file + ") has no " +
                                             what + " '" + name + "'" +
                                             (available.empty() ? "" : "; it has: " + available));
      }
      found = found.attr(part.c_str());
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return found;
  }

  bool embedded_;
  bool started_ = false;
  PyThreadState* main_state_ = nullptr;
  int64_t timeout_ms_ = 10'000;
};

}  // namespace

Gil::Gil() {
  keep_thread_state();
  state_ = static_cast<int>(PyGILState_Ensure());
}

Gil::~Gil() {
  PyGILState_Release(static_cast<PyGILState_STATE>(state_));
}

std::shared_ptr<ScriptRuntime> make_runtime(bool embedded) {
  return std::make_shared<PythonRuntime>(embedded);
}

std::shared_ptr<ScriptRuntime> module_runtime() {
  static std::shared_ptr<ScriptRuntime> runtime = make_runtime(false);
  return runtime;
}

}  // namespace herald::python
