// Workflows bound to plugins: each configured step gets its plugin component, its config
// checked against the component's schema, and one created instance.
#pragma once

#include "config/config.hpp"
#include "plugins/host_api.hpp"
#include "plugins/isolation.hpp"
#include "plugins/registry.hpp"
#include "scripting/runtime.hpp"

#include <memory>
#include <string>
#include <vector>

namespace herald {

class BoundStep {
 public:
  BoundStep(const StepConfig& config, std::shared_ptr<LoadedPlugin> plugin,
            const herald_component* component, StepSettings settings, void* instance)
      : config_(config),
        plugin_(std::move(plugin)),
        component_(component),
        settings_(std::move(settings)),
        instance_(instance) {}
  /// A step written in a script: `plugin` presents its class, `script` is the instance.
  BoundStep(const StepConfig& config, std::shared_ptr<LoadedPlugin> plugin,
            std::shared_ptr<ScriptStep> script, StepSettings settings)
      : config_(config),
        plugin_(std::move(plugin)),
        component_(&plugin_->components.front()),
        settings_(std::move(settings)),
        instance_(nullptr),
        script_(std::move(script)) {}
  ~BoundStep();
  BoundStep(const BoundStep&) = delete;
  BoundStep& operator=(const BoundStep&) = delete;

  const StepConfig& config() const { return config_; }
  const LoadedPlugin& plugin() const { return *plugin_; }
  const herald_component& component() const { return *component_; }
  /// Calls the component's run; the outcome is collected in `call`.
  herald_status run(CallContext& call) const;
  /// Runs the step's calls in a child process from now on (`isolation: process`).
  void isolate(std::unique_ptr<ProcessStep> process) { isolated_ = std::move(process); }
  bool isolated() const { return isolated_ != nullptr; }
  /// Calls the component's fetch_mentions (ABI 1.7); HERALD_NOT_FOUND when it has none.
  herald_status fetch_mentions(CallContext& call) const {
    if (script_ || !component_->fetch_mentions) return HERALD_NOT_FOUND;
    return component_->fetch_mentions(instance_, as_handle(call));
  }
  /// Whether the engine must call flush after the runs of a round (ABI 1.10). A step in its own
  /// process flushes there after each call; a script step has nothing to flush.
  bool flushes() const { return !script_ && !isolated_ && component_->flush; }
  /// Calls the component's flush; HERALD_OK when it has none.
  herald_status flush(CallContext& call) const {
    if (script_ || !component_->flush) return HERALD_OK;
    return component_->flush(instance_, as_handle(call));
  }
  /// Calls the component's moderate (ABI 1.8); HERALD_NOT_FOUND when it has none.
  herald_status moderate(CallContext& call) const {
    if (script_ || !component_->moderate) return HERALD_NOT_FOUND;
    return component_->moderate(instance_, as_handle(call));
  }

 private:
  const StepConfig& config_;
  std::shared_ptr<LoadedPlugin> plugin_;  // keeps the library alive while the instance lives
  const herald_component* component_;
  StepSettings settings_;
  void* instance_;
  std::shared_ptr<ScriptStep> script_;
  std::unique_ptr<ProcessStep> isolated_;  // its calls take turns on the child process
};

struct BoundHook {
  const HookConfig* config = nullptr;
  std::shared_ptr<ScriptHook> hook;
};

struct BoundWorkflow {
  const WorkflowConfig* config = nullptr;
  std::vector<std::unique_ptr<BoundStep>> steps;
  /// The `screen` components of its later legal steps, with their settings: run when a post (or
  /// a new revision) starts the workflow, they record what legal's rules will find.
  std::vector<std::unique_ptr<BoundStep>> screens;
  std::vector<std::unique_ptr<StepConfig>> screen_configs;  // what `screens` were made with
  std::map<std::string, std::vector<BoundHook>> hooks;      // by hook point, in the order they run

  /// The hooks at `point`, or null when there are none.
  const std::vector<BoundHook>* hooks_at(const std::string& point) const {
    auto found = hooks.find(point);
    return found == hooks.end() ? nullptr : &found->second;
  }
};

/// Checks a step's `config:` against the component's schema: unknown keys (with a
/// suggestion), wrong types and missing required keys are errors; defaults are filled in.
Result<StepSettings> validate_step_config(const StepConfig& step, const herald_component& component,
                                          const std::string& config_dir);

/// Resolves a step's (or notifier's) plugin component, checks its config and creates it.
Result<std::unique_ptr<BoundStep>> bind_plugin_step(const StepConfig& step,
                                                    const Configuration& config,
                                                    const PluginRegistry& registry);

/// Binds every workflow of `config`: plugins, `python:` steps and hooks (through `scripts`,
/// which may be null when the configuration uses no Python). Every error names
/// file:line:column.
Result<std::vector<BoundWorkflow>> bind_workflows(const Configuration& config,
                                                  const PluginRegistry& registry,
                                                  ScriptRuntime* scripts);

/// Binds the configuration's `notifiers:` (plugin components of kind notify).
Result<Notifiers> bind_notifiers(const Configuration& config, const PluginRegistry& registry);

/// Binds the inbound steps (plugin components of kind inbound), in their order.
Result<std::vector<std::unique_ptr<BoundStep>>> bind_inbound(const Configuration& config,
                                                             const PluginRegistry& registry,
                                                             ScriptRuntime* scripts);

}  // namespace herald
