// Scripts inside workflows: hooks that run around steps, and steps written in a scripting
// language. The engine calls them through this interface; Herald's Python runtime (python/)
// implements it for both the `herald` program and the importable `herald` module.
#pragma once

#include "config/config.hpp"
#include "plugins/host_api.hpp"
#include "plugins/registry.hpp"

#include <herald/result.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// One call of a hook: where the post is and, for on_* hooks, what just happened to it.
struct HookCall {
  const HookConfig* hook = nullptr;
  const Post* post = nullptr;
  const Configuration* config = nullptr;
  const AccountConfig* account = nullptr;
  std::string step;       // the step's name
  std::string step_kind;  // draft, approve, ...
  std::string outcome;    // on_* and after_* hooks: advance, reject, revise, fail
  std::string reason;     // why
  int64_t now_ms = 0;
};

/// What a hook did.
struct HookResult {
  enum class Kind { ok, veto, error };
  Kind kind = Kind::ok;
  std::string message;              // the veto's reason, or the error with its traceback
  std::optional<std::string> text;  // the new text, when the hook changed it
  std::optional<std::vector<std::string>> tags;  // the new tags, when the hook changed them
  std::optional<std::string> account;            // the account the hook routed the post to
  std::vector<std::string> notes;                // ctx.note(...) calls, in order
};

class ScriptHook {
 public:
  virtual ~ScriptHook() = default;
  /// Runs the hook. May be called from several threads at once.
  virtual HookResult call(const HookCall& call) = 0;
};

/// A configured instance of a step class written in a script.
class ScriptStep {
 public:
  virtual ~ScriptStep() = default;
  /// Runs the step for `call.post`, setting the outcome in `call` as a plugin would. May be
  /// called from several threads at once (publish steps of different accounts).
  virtual herald_status run(CallContext& call) = 0;
};

/// A step class found by its `python:module:Class` name.
class ScriptStepType {
 public:
  virtual ~ScriptStepType() = default;
  /// Presents the class as a plugin with one component (kind, name, config keys), so that its
  /// configuration is checked exactly like a C++ plugin's and `herald plugins` can list it.
  virtual std::shared_ptr<LoadedPlugin> plugin() const = 0;
  /// Creates the instance for one step of a workflow with its checked settings.
  virtual Result<std::shared_ptr<ScriptStep>> create(const StepConfig& step,
                                                     const StepSettings& settings) = 0;
};

class ScriptRuntime {
 public:
  virtual ~ScriptRuntime() = default;
  /// Applies the configuration's `python:` section (sys.path, time limit) before anything is
  /// imported.
  virtual Status configure(const PythonConfig& python) = 0;
  /// Imports the hook's module and checks the function can be a hook. Errors say what is wrong
  /// and where; they do not carry the configuration's location (the caller adds it).
  virtual Result<std::shared_ptr<ScriptHook>> load_hook(const HookConfig& hook) = 0;
  /// Imports a step class from its target ("module:Class") for a step of `kind`.
  virtual Result<std::shared_ptr<ScriptStepType>> load_step(const std::string& target,
                                                            const std::string& kind) = 0;
};

}  // namespace herald
