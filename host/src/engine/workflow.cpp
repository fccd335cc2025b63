#include "engine/workflow.hpp"

#include <cmath>
#include <filesystem>

namespace herald {
namespace {

std::string location(const YAML::Node& node, const StepConfig& step, const std::string& key) {
  return config_location(node, step, key);
}

/// Reads one scalar as `type`; returns an error text, or "" when it is fine.
std::string check_scalar(const YAML::Node& node, herald_value_type type, std::string& out) {
  if (!node.IsScalar()) return "expected a single " + value_type_name(type) + " value";
  out = node.Scalar();
  switch (type) {
    case HERALD_TYPE_INT: {
      int64_t v;
      if (!YAML::convert<int64_t>::decode(node, v))
        return "expected a whole number, got '" + out + "'";
      out = std::to_string(v);
      return "";
    }
    case HERALD_TYPE_BOOL: {
      bool v;
      if (!YAML::convert<bool>::decode(node, v)) return "expected true or false, got '" + out + "'";
      out = v ? "true" : "false";
      return "";
    }
    case HERALD_TYPE_DOUBLE: {
      double v;
      if (!YAML::convert<double>::decode(node, v)) return "expected a number, got '" + out + "'";
      if (!std::isfinite(v)) return "expected a finite number, got '" + out + "'";
      return "";
    }
    default: return "";
  }
}

/// Binds a `python:module:Class` step: the class is imported, its schema checks the step's
/// config like a plugin's, and one instance is created.
template <typename AddError>
void bind_script_step(const StepConfig& step, const Configuration& config, ScriptRuntime& scripts,
                      BoundWorkflow& bound, AddError& add_error) {
  std::string target = step.plugin.substr(7);
  Result<std::shared_ptr<ScriptStepType>> type = scripts.load_step(target, step.kind);
  if (!type) {
    add_error(step.where.describe() + ": step \"" + step.plugin +
              "\" cannot be used: " + type.status().message());
    return;
  }
  std::shared_ptr<LoadedPlugin> plugin = (*type)->plugin();
  Result<StepSettings> settings =
      validate_step_config(step, plugin->components.front(), config.directory);
  if (!settings) {
    add_error(settings.status().message());
    return;
  }
  Result<std::shared_ptr<ScriptStep>> instance = (*type)->create(step, *settings);
  if (!instance) {
    add_error(step.config_where.describe() + ": " + step.plugin +
              " refused this configuration: " + instance.status().message());
    return;
  }
  bound.steps.push_back(
      std::make_unique<BoundStep>(step, plugin, std::move(*instance), std::move(*settings)));
}

/// A step (or a notifier, which runs inside a step) that may wait `timeout_seconds` for an
/// answer must give up before its post's lease ends: otherwise another worker takes the post
/// while the call is still under way, and a publish may reach the network twice.
Status check_timeout_within_lease(const StepConfig& step, const StepSettings& settings,
                                  const Configuration& config) {
  if (step.kind == "inbound") return Status::ok();  // inbound steps run without a lease
  auto timeout = settings.find("timeout_seconds");
  if (timeout == settings.end() || timeout->second.type != HERALD_TYPE_INT) return Status::ok();
  const int64_t seconds = std::stoll(timeout->second.scalar);
  if (seconds <= 0 || seconds < config.engine.lease_ms / 1000) return Status::ok();
  const YAML::Node& written = step.config;
  const bool given = written.IsMap() && written["timeout_seconds"];
  const std::string where = given ? location(written["timeout_seconds"], step, "timeout_seconds")
                                  : step.config_where.describe();
  return Status(ErrorCode::config,
                where + ": timeout_seconds (" + std::to_string(seconds) +
                    (given ? "" : ", the default of " + step.plugin) +
                    ") is not shorter than engine.lease_seconds (" +
                    std::to_string(config.engine.lease_ms / 1000) +
                    "): a call still waiting when the lease ends lets another worker take the "
                    "post and " +
                    (step.kind == "publish" ? "publish it again" : "run this step again") +
                    "; set engine.lease_seconds above " + std::to_string(seconds) +
                    " or a shorter timeout_seconds");
}

}  // namespace

namespace {

/// The `screen` component of a legal step's plugin, when it offers one, made with the step's
/// own settings (docs/approvals.md: legal's rules are seen before anyone approves).
void bind_screen(const StepConfig& legal, const std::string& plugin, const Configuration& config,
                 const PluginRegistry& registry, BoundWorkflow& bound) {
  auto screen = std::make_unique<StepConfig>(legal);  // the bound step keeps a reference to it
  screen->kind = "draft";
  screen->plugin = plugin + "/screen";
  screen->name = legal.name + " (early)";
  if (!registry.resolve(screen->plugin, screen->kind)) return;
  Result<std::unique_ptr<BoundStep>> made = bind_plugin_step(*screen, config, registry);
  if (!made) return;
  bound.screens.push_back(std::move(*made));
  bound.screen_configs.push_back(std::move(screen));
}

}  // namespace

/// Resolves a step's (or notifier's) plugin component, checks its config and creates it.
Result<std::unique_ptr<BoundStep>> bind_plugin_step(const StepConfig& step,
                                                    const Configuration& config,
                                                    const PluginRegistry& registry) {
  auto resolved = registry.resolve(step.plugin, step.kind);
  if (!resolved)
    return Status(ErrorCode::config, step.where.describe() + ": " + resolved.status().message());
  auto [plugin, component] = *resolved;
  Result<StepSettings> settings = validate_step_config(step, *component, config.directory);
  if (!settings) return settings.status();
  if (Status s = check_timeout_within_lease(step, *settings, config); !s) return s;
  ConfigContext context;
  context.settings = &*settings;
  context.configuration = &config;
  context.step = &step;
  context.plugin_name = plugin->name;
  void* instance = nullptr;
  herald_status status = component->create(host_api(), as_handle(context), &instance);
  if (status != HERALD_OK) {
    // A plugin may say where each mistake is (config_where): "file:line:col (path): why", one
    // line each.
    std::string message;
    std::istringstream lines(context.error.empty() ? "no reason given" : context.error);
    for (std::string why; std::getline(lines, why);) {
      std::string where = step.config_where.describe();
      if (size_t split = why.find("): ");
          why.rfind(step.config_where.file + ":", 0) == 0 && split != std::string::npos) {
        where = why.substr(0, split + 1);
        why = why.substr(split + 3);
      }
      message += (message.empty() ? "" : "\n") + where + ": plugin " + plugin->name +
                 " refused this configuration: " + why;
    }
    return Status(ErrorCode::config, message);
  }
  return std::make_unique<BoundStep>(step, plugin, component, std::move(*settings), instance);
}

BoundStep::~BoundStep() {
  if (instance_) component_->destroy(instance_);
}

herald_status BoundStep::run(CallContext& call) const {
  if (script_) return script_->run(call);
  if (isolated_) return isolated_->run(call);
  return component_->run(instance_, as_handle(call));
}

Result<StepSettings> validate_step_config(const StepConfig& step, const herald_component& component,
                                          const std::string& config_dir) {
  std::vector<std::string> errors;
  std::vector<std::string> known;
  for (uint32_t k = 0; k < component.config_key_count; ++k)
    known.push_back(component.config_keys[k].name);
  StepSettings settings;
  const YAML::Node& node = step.config;
  if (!node.IsMap() && !node.IsNull()) {
    return Status(ErrorCode::config, location(node, step, "") + ": expected a mapping of settings");
  }
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.as<std::string>("");
      bool is_known = false;
      for (const auto& k : known) is_known = is_known || k == key;
      if (is_known) continue;
      std::string suggestion = closest_match(key, known);
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      errors.push_back(location(it->first, step, key) + ": unknown key '" + key + "' for " +
                       step.plugin + " (" + step.kind + ")" +
                       (suggestion.empty() ? "; known keys: " + (list.empty() ? "none" : list)
                                           : "; did you mean '" + suggestion + "'?"));
    }
  }
  for (uint32_t k = 0; k < component.config_key_count; ++k) {
    const herald_config_key& key = component.config_keys[k];
    const YAML::Node& const_node = node;
    YAML::Node value;
    if (const_node.IsMap() && const_node[key.name]) value.reset(const_node[key.name]);
    bool from_default = false;
    if (value.IsNull()) {
      if (key.required) {
        errors.push_back(location(node, step, "") + ": missing required key '" + key.name + "' (" +
                         value_type_name(key.type) + ": " +
                         (key.description ? key.description : "") + ")");
        continue;
      }
      if (!key.default_value) continue;
      try {
        // Scalar defaults are taken as written; list defaults are YAML ("[a, b]").
        value.reset(key.type == HERALD_TYPE_STRING_LIST
                        ? YAML::Load(key.default_value)
                        : YAML::Node(std::string(key.default_value)));
      } catch (const YAML::Exception& e) {
        errors.push_back(step.where.describe() + ": plugin " + step.plugin +
                         " declares an invalid default for '" + key.name + "': " + e.msg);
        continue;
      }
      from_default = true;
    }
    SettingValue setting;
    setting.type = key.type;
    if (key.type == HERALD_TYPE_MAP_LIST) {
      if (!value.IsSequence()) {
        errors.push_back(location(value, step, key.name) + ": expected a list of mappings");
        continue;
      }
      for (size_t i = 0; i < value.size(); ++i)
        if (!value[i].IsMap())
          errors.push_back(
              location(value[i], step, std::string(key.name) + "[" + std::to_string(i) + "]") +
              ": expected a mapping");
      setting.node.reset(value);
    } else if (key.type == HERALD_TYPE_STRING_LIST) {
      if (value.IsScalar()) {
        setting.list.push_back(value.Scalar());
      } else if (value.IsSequence()) {
        for (size_t i = 0; i < value.size(); ++i) {
          if (!value[i].IsScalar()) {
            errors.push_back(
                location(value[i], step, std::string(key.name) + "[" + std::to_string(i) + "]") +
                ": expected a text value");
            continue;
          }
          setting.list.push_back(value[i].Scalar());
        }
      } else if (!value.IsNull()) {
        errors.push_back(location(value, step, key.name) + ": expected a list of text values");
      }
    } else {
      std::string problem = check_scalar(value, key.type, setting.scalar);
      if (!problem.empty()) {
        errors.push_back((from_default ? step.where.describe() + ": default of"
                                       : location(value, step, key.name) + ":") +
                         " '" + key.name + "': " + problem);
        continue;
      }
      if (key.type == HERALD_TYPE_PATH && !setting.scalar.empty() &&
          std::filesystem::path(setting.scalar).is_relative())
        setting.scalar =
            (std::filesystem::path(config_dir) / setting.scalar).lexically_normal().string();
    }
    settings[key.name] = std::move(setting);
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    return Status(ErrorCode::config, all);
  }
  return settings;
}

Result<std::vector<BoundWorkflow>> bind_workflows(const Configuration& config,
                                                  const PluginRegistry& registry,
                                                  ScriptRuntime* scripts) {
  std::vector<BoundWorkflow> workflows;
  std::string errors;
  auto add_error = [&](const std::string& e) { errors += (errors.empty() ? "" : "\n") + e; };
  if (config.uses_python()) {
    if (!scripts)
      return Status(ErrorCode::config,
                    config.file +
                        ": uses Python hooks or steps, but this program has no Python runtime; "
                        "run it with the `herald` command or from Python (`import herald`)");
    if (Status s = scripts->configure(config.python); !s) {
      // A runtime that cannot start is not the configuration's fault: its own code and words.
      if (s.code() == ErrorCode::internal)
        return Status(ErrorCode::internal, config.file + ": " + s.message());
      const std::string where =
          config.python.where.line > 0 ? config.python.where.describe() : config.file;
      return Status(ErrorCode::config, where + ": " + s.message());
    }
  }
  // A hook named twice is imported once.
  std::map<std::string, std::shared_ptr<ScriptHook>> loaded_hooks;  // null: reported already
  auto bind_hooks = [&](const std::vector<HookConfig>& hooks, BoundWorkflow& bound) {
    for (const HookConfig& hook : hooks) {
      auto found = loaded_hooks.find(hook.target);
      if (found == loaded_hooks.end()) {
        Result<std::shared_ptr<ScriptHook>> loaded = scripts->load_hook(hook);
        if (!loaded)
          add_error(hook.where.describe() + ": hook \"" + hook.target +
                    "\" cannot be used: " + loaded.status().message());
        found = loaded_hooks.emplace(hook.target, loaded ? *loaded : nullptr).first;
      }
      if (found->second) bound.hooks[hook.point].push_back({&hook, found->second});
    }
  };
  for (const WorkflowConfig& workflow : config.workflows) {
    BoundWorkflow bound;
    bound.config = &workflow;
    bind_hooks(config.hooks, bound);
    bind_hooks(workflow.hooks, bound);
    for (const StepConfig& step : workflow.steps) {
      if (step.plugin.rfind("python:", 0) == 0) {
        bind_script_step(step, config, *scripts, bound, add_error);
        continue;
      }
      Result<std::unique_ptr<BoundStep>> made = bind_plugin_step(step, config, registry);
      if (!made) {
        add_error(made.status().message());
        continue;
      }
      // A legal step after the first: its rules also run as soon as the text exists.
      if (step.kind == "legal_review" && !bound.steps.empty() && step.isolation != "process")
        bind_screen(step, (*made)->plugin().name, config, registry, bound);
      if (step.isolation == "process")  // its calls run in a child process
        (*made)->isolate(std::make_unique<ProcessStep>(
            config.file, workflow.name, static_cast<int>(bound.steps.size()),
            (*made)->plugin().file, (*made)->plugin().name, step.timeout_s, step.memory_limit_mb));
      bound.steps.push_back(std::move(*made));
    }
    workflows.push_back(std::move(bound));
  }
  if (!errors.empty()) return Status(ErrorCode::config, errors);
  return workflows;
}

Result<Notifiers> bind_notifiers(const Configuration& config, const PluginRegistry& registry) {
  Notifiers notifiers;
  std::string errors;
  for (const StepConfig& notifier : config.notifiers) {
    Result<std::unique_ptr<BoundStep>> made = bind_plugin_step(notifier, config, registry);
    if (!made) {
      errors += (errors.empty() ? "" : "\n") + made.status().message();
      continue;
    }
    notifiers[notifier.name] = std::move(*made);
  }
  if (!errors.empty()) return Status(ErrorCode::config, errors);
  return notifiers;
}

Result<std::vector<std::unique_ptr<BoundStep>>> bind_inbound(const Configuration& config,
                                                             const PluginRegistry& registry,
                                                             ScriptRuntime* scripts) {
  std::vector<std::unique_ptr<BoundStep>> steps;
  std::string errors;
  auto add_error = [&](const std::string& message) {
    errors += (errors.empty() ? "" : "\n") + message;
  };
  for (const StepConfig& step : config.inbound.steps) {
    if (step.plugin.rfind("python:", 0) == 0) {
      if (!scripts) {
        add_error(step.where.describe() +
                  ": a python: step needs Herald's Python runtime, which this host was opened "
                  "without");
        continue;
      }
      BoundWorkflow bound;
      bind_script_step(step, config, *scripts, bound, add_error);
      for (auto& made : bound.steps) steps.push_back(std::move(made));
      continue;
    }
    Result<std::unique_ptr<BoundStep>> made = bind_plugin_step(step, config, registry);
    if (!made) {
      errors += (errors.empty() ? "" : "\n") + made.status().message();
      continue;
    }
    steps.push_back(std::move(*made));
  }
  if (!errors.empty()) return Status(ErrorCode::config, errors);
  return steps;
}

}  // namespace herald
