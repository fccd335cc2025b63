// Finds, checks and loads plugin shared libraries. A plugin is refused, with the reason, before
// any of its code runs when its ABI marker is wrong, and right after loading when its descriptor
// is. Loaded libraries stay loaded for the life of the process.
#pragma once

#include <herald/plugin_abi.h>
#include <herald/host.hpp>
#include <herald/result.hpp>

#include <memory>
#include <string>
#include <vector>

namespace herald {

struct LoadedPlugin {
  std::string file;
  std::string name;
  std::string version;
  std::string license;
  std::string description;
  int abi_major = 0;
  int abi_minor = 0;
  /// Copies of the plugin's components, zero-filled past the struct_size it was built with.
  std::vector<herald_component> components;
  std::shared_ptr<void> library;  // keeps the shared library loaded
};

/// Loads one plugin file and checks it. Errors start with the file name and say what to do.
Result<std::shared_ptr<LoadedPlugin>> load_plugin(const std::string& file);

/// Checks the descriptor a plugin's entry function returned (`raw`, possibly null) and copies
/// what it declares; load_plugin() does this once the library is loaded. Errors start with
/// `file`. The result's `library` is left empty.
Result<std::shared_ptr<LoadedPlugin>> plugin_from_descriptor(const std::string& file,
                                                             const herald_plugin_descriptor* raw);

std::string kind_name(herald_step_kind kind);
std::string value_type_name(herald_value_type type);

class PluginRegistry {
 public:
  /// Loads every plugin in each folder (files ending in .so), or the file itself.
  Status load_paths(const std::vector<std::string>& paths);
  Status add(std::shared_ptr<LoadedPlugin> plugin);

  const LoadedPlugin* find(const std::string& name) const;
  const std::vector<std::shared_ptr<LoadedPlugin>>& plugins() const { return plugins_; }

  /// Finds the component for a step: `reference` is "plugin" or "plugin/component"; `kind`
  /// is the step's kind.
  Result<std::pair<std::shared_ptr<LoadedPlugin>, const herald_component*>> resolve(
      const std::string& reference, const std::string& kind) const;

  std::vector<PluginDescription> describe() const;

 private:
  std::vector<std::shared_ptr<LoadedPlugin>> plugins_;
};

}  // namespace herald
