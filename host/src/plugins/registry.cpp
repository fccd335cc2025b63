#include "plugins/registry.hpp"

#include "config/config.hpp"
#include "text/input_check.hpp"

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace herald {
namespace fs = std::filesystem;

namespace {

const std::string kHostAbi =
    std::to_string(HERALD_ABI_MAJOR) + "." + std::to_string(HERALD_ABI_MINOR);

/// Libraries are never unloaded: code and data of a plugin may be referenced until exit.
std::vector<std::shared_ptr<boost::dll::shared_library>>& resident_libraries() {
  static std::vector<std::shared_ptr<boost::dll::shared_library>> libraries;
  return libraries;
}
std::mutex& load_mutex() {
  static std::mutex mutex;
  return mutex;
}

Status refuse(const std::string& file, const std::string& why) {
  return Status(ErrorCode::plugin, file + ": " + why);
}

/// Reads the ABI major a plugin declares from its file, without loading it: the marker
/// section "heraldN", else an entry symbol "herald_plugin_vN". 0 when there is neither.
Result<int> declared_abi_major(const std::string& file) {
  try {
    boost::dll::library_info info(fs::path(file), /*throw_if_not_native=*/true);
    for (const std::string& section : info.sections()) {
      if (section.rfind("herald", 0) == 0 && section.size() > 6 &&
          std::all_of(section.begin() + 6, section.end(), ::isdigit))
        return std::stoi(section.substr(6));
    }
    for (const std::string& symbol : info.symbols()) {
      if (symbol.rfind("herald_plugin_v", 0) == 0 && symbol.size() > 15 &&
          std::all_of(symbol.begin() + 15, symbol.end(), ::isdigit))
        return std::stoi(symbol.substr(15));
    }
    return 0;
  } catch (const std::exception&) {
    // boost reads the file as ELF; its messages ("basic_ios::clear: iostream error") mean
    // nothing to a user.
    return refuse(file,
                  "not a loadable plugin: not a shared library for this platform (a file "
                  "of other bytes, or a truncated one); remove it from the plugin folder, "
                  "or replace it with a plugin built for this Herald");
  }
}

/// The system loader's own words from a boost::dll error ("... (dlerror system message: X):
/// ..."), else the message without boost's prefix.
std::string loader_reason(const std::string& message) {
  const std::string marker = "dlerror system message: ";
  size_t at = message.find(marker);
  if (at == std::string::npos) {
    const size_t colon = message.rfind(": ");
    return colon == std::string::npos ? message : message.substr(colon + 2);
  }
  std::string reason = message.substr(at + marker.size());
  // "/path/x.so: file too short)": up to the bracket that closes it.
  const size_t close = reason.rfind(')');
  if (close != std::string::npos) reason = reason.substr(0, close);
  return reason;
}

std::string safe(const char* text) {
  return text ? text : "";
}

// A descriptor's counts are the plugin's word; more than these is a corrupt descriptor, not a
// plugin (Herald's own plugins have at most a handful of each).
constexpr uint32_t kMaxComponents = 256;
constexpr uint32_t kMaxConfigKeys = 1024;

/// Why a descriptor's string cannot be used, or "": NULL is empty; otherwise at most `limit`
/// bytes before its NUL (no more are read) and UTF-8, since it reaches logs and JSON.
std::string descriptor_text_problem(const char* text, const std::string& what, size_t limit,
                                    Lines lines = Lines::one) {
  if (!text) return "";
  const size_t length = strnlen(text, limit + 1);
  if (length > limit)
    return what + " is longer than " + std::to_string(limit) +
           " bytes (or not NUL-terminated); the descriptor is corrupt";
  std::string problem = input_problem(what, std::string_view(text, length), limit, lines);
  return problem.empty() ? "" : problem + "; the descriptor is corrupt";
}

}  // namespace

std::string kind_name(herald_step_kind kind) {
  switch (kind) {
    case HERALD_KIND_DRAFT: return "draft";
    case HERALD_KIND_APPROVE: return "approve";
    case HERALD_KIND_LEGAL_REVIEW: return "legal_review";
    case HERALD_KIND_SCHEDULE: return "schedule";
    case HERALD_KIND_PUBLISH: return "publish";
    case HERALD_KIND_AMPLIFY: return "amplify";
    case HERALD_KIND_NOTIFY: return "notify";
    case HERALD_KIND_INBOUND: return "inbound";
  }
  return "";
}

std::string value_type_name(herald_value_type type) {
  switch (type) {
    case HERALD_TYPE_STRING: return "string";
    case HERALD_TYPE_INT: return "int";
    case HERALD_TYPE_BOOL: return "bool";
    case HERALD_TYPE_DOUBLE: return "double";
    case HERALD_TYPE_STRING_LIST: return "list of strings";
    case HERALD_TYPE_PATH: return "path";
    case HERALD_TYPE_MAP_LIST: return "list of maps";
  }
  return "";
}

Result<std::shared_ptr<LoadedPlugin>> load_plugin(const std::string& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return refuse(file, "no such plugin file");

  Result<int> major = declared_abi_major(file);
  if (!major) return major.status();
  if (*major == 0)
    return refuse(file, "no Herald entry symbol '" HERALD_ENTRY_SYMBOL
                        "' and no ABI marker: not a Herald plugin (a plugin declares itself with "
                        "HERALD_PLUGIN(...) from <herald/plugin.hpp>)");
  if (*major != HERALD_ABI_MAJOR)
    return refuse(file, "built for Herald plugin ABI " + std::to_string(*major) +
                            ", but this host speaks ABI " + kHostAbi +
                            "; rebuild the plugin against this Herald's SDK");

  std::lock_guard<std::mutex> lock(load_mutex());
  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    library->load(fs::path(file),
                  boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return refuse(file, "not a loadable plugin: the system's loader refused it (" +
                            loader_reason(e.what()) +
                            "); rebuild it for this platform and Herald, or remove it from the "
                            "plugin folder");
  }
  if (!library->has(HERALD_ENTRY_SYMBOL))
    return refuse(file, "has the Herald ABI marker but no entry symbol '" HERALD_ENTRY_SYMBOL
                        "'; was it built with HERALD_PLUGIN(...) and default visibility for it?");
  // A library loaded before (every Host::open loads its plugins) is kept once.
  auto& resident = resident_libraries();
  auto same = std::find_if(resident.begin(), resident.end(),
                           [&](const auto& other) { return other->native() == library->native(); });
  if (same != resident.end())
    library = *same;
  else
    resident.push_back(library);

  auto entry = library->get<const herald_plugin_descriptor*()>(HERALD_ENTRY_SYMBOL);
  Result<std::shared_ptr<LoadedPlugin>> plugin = plugin_from_descriptor(file, entry());
  if (!plugin) return plugin.status();
  (*plugin)->library = library;
  return plugin;
}

Result<std::shared_ptr<LoadedPlugin>> plugin_from_descriptor(const std::string& file,
                                                             const herald_plugin_descriptor* raw) {
  if (!raw) return refuse(file, "its entry function returned no descriptor");
  if (raw->magic != HERALD_PLUGIN_MAGIC)
    return refuse(file,
                  "its descriptor has the wrong magic number; it is corrupt or not built "
                  "with the Herald SDK");
  if (raw->abi_major != HERALD_ABI_MAJOR)
    return refuse(file, "built for Herald plugin ABI " + std::to_string(raw->abi_major) + "." +
                            std::to_string(raw->abi_minor) + ", but this host speaks ABI " +
                            kHostAbi + "; rebuild the plugin against this Herald's SDK");
  if (raw->abi_minor > HERALD_ABI_MINOR)
    return refuse(file, "built for Herald plugin ABI " + std::to_string(raw->abi_major) + "." +
                            std::to_string(raw->abi_minor) + ", newer than this host's ABI " +
                            kHostAbi +
                            "; upgrade Herald or rebuild the plugin against this Herald's SDK");
  constexpr size_t kMinimumDescriptor =
      offsetof(herald_plugin_descriptor, component_count) + sizeof(uint32_t);
  if (raw->struct_size < kMinimumDescriptor)
    return refuse(file, "its descriptor is too short (" + std::to_string(raw->struct_size) +
                            " bytes; ABI 1.0 needs " + std::to_string(kMinimumDescriptor) + ")");

  // A compiler makes a struct's size a multiple of its alignment; any other size would cut a
  // pointer field in half below.
  if (raw->struct_size % alignof(herald_plugin_descriptor) != 0)
    return refuse(file, "its descriptor has a struct_size of " + std::to_string(raw->struct_size) +
                            " bytes, not a multiple of " +
                            std::to_string(alignof(herald_plugin_descriptor)) +
                            "; it is corrupt or not built with the Herald SDK");

  // Copy what the plugin knows; fields appended after its ABI stay zero.
  herald_plugin_descriptor descriptor{};
  std::memcpy(&descriptor, raw, std::min<size_t>(raw->struct_size, sizeof descriptor));

  for (const auto& [text, what] : {std::pair<const char*, const char*>{descriptor.name, "its name"},
                                   {descriptor.version, "its version"},
                                   {descriptor.license, "its license"},
                                   {descriptor.homepage, "its homepage"}})
    if (std::string problem = descriptor_text_problem(text, what, kShortTextLimit);
        !problem.empty())
      return refuse(file, problem);
  if (std::string problem = descriptor_text_problem(descriptor.description, "its description",
                                                    kLongTextLimit, Lines::any);
      !problem.empty())
    return refuse(file, problem);
  if (descriptor.component_count > kMaxComponents)
    return refuse(file, "its descriptor declares " + std::to_string(descriptor.component_count) +
                            " components, more than " + std::to_string(kMaxComponents) +
                            "; it is corrupt or not built with the Herald SDK");

  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->file = fs::absolute(file).lexically_normal().string();
  plugin->name = safe(descriptor.name);
  plugin->version = safe(descriptor.version);
  plugin->license = safe(descriptor.license);
  plugin->description = safe(descriptor.description);
  plugin->abi_major = descriptor.abi_major;
  plugin->abi_minor = descriptor.abi_minor;
  if (plugin->name.empty()) return refuse(file, "its descriptor has no name");
  if (plugin->version.empty()) return refuse(file, "plugin '" + plugin->name + "' has no version");
  if (plugin->license.empty()) return refuse(file, "plugin '" + plugin->name + "' has no license");
  if (descriptor.component_count == 0 || !descriptor.components)
    return refuse(file, "plugin '" + plugin->name + "' offers no components");

  constexpr size_t kMinimumComponent = offsetof(herald_component, destroy) + sizeof(void*);
  const auto* bytes = reinterpret_cast<const unsigned char*>(descriptor.components);
  for (uint32_t i = 0; i < descriptor.component_count; ++i) {
    // Components are laid out with the plugin's own struct size, which a compiler makes a
    // multiple of the struct's alignment; read as bytes until that is checked.
    uint32_t size = 0;
    std::memcpy(&size, bytes + offsetof(herald_component, struct_size), sizeof size);
    if (size < kMinimumComponent)
      return refuse(file, "plugin '" + plugin->name + "': component " + std::to_string(i) +
                              " has a struct_size of " + std::to_string(size) +
                              " bytes, less than ABI 1.0's " + std::to_string(kMinimumComponent));
    if (size % alignof(herald_component) != 0)
      return refuse(file, "plugin '" + plugin->name + "': component " + std::to_string(i) +
                              " has a struct_size of " + std::to_string(size) +
                              " bytes, not a multiple of " +
                              std::to_string(alignof(herald_component)) +
                              "; the descriptor is corrupt or not built with the Herald SDK");
    // The kind is read as the integer the plugin wrote: a value outside the enumeration is not
    // a herald_step_kind.
    int32_t kind = 0;
    std::memcpy(&kind, bytes + offsetof(herald_component, kind), sizeof kind);
    herald_component component{};
    std::memcpy(&component, bytes, std::min<size_t>(size, sizeof component));
    bytes += size;
    const std::string numbered = "plugin '" + plugin->name + "': component " + std::to_string(i);
    if (std::string problem =
            descriptor_text_problem(component.name, numbered + "'s name", kShortTextLimit);
        !problem.empty())
      return refuse(file, problem);
    if (std::string problem = descriptor_text_problem(
            component.description, numbered + "'s description", kLongTextLimit, Lines::any);
        !problem.empty())
      return refuse(file, problem);
    std::string label = "plugin '" + plugin->name + "' component '" + safe(component.name) + "'";
    if (safe(component.name).empty())
      return refuse(
          file, "plugin '" + plugin->name + "': component " + std::to_string(i) + " has no name");
    if (kind < HERALD_KIND_DRAFT || kind > HERALD_KIND_INBOUND)
      return refuse(file, label + " has unknown kind " + std::to_string(kind));
    if (!component.create) return refuse(file, label + " is missing its required create function");
    if (!component.run) return refuse(file, label + " is missing its required run function");
    if (!component.destroy)
      return refuse(file, label + " is missing its required destroy function");
    if (component.config_key_count > 0 && !component.config_keys)
      return refuse(file, label + " declares " + std::to_string(component.config_key_count) +
                              " config keys but no table of them");
    if (component.config_key_count > kMaxConfigKeys)
      return refuse(file, label + " declares " + std::to_string(component.config_key_count) +
                              " config keys, more than " + std::to_string(kMaxConfigKeys) +
                              "; the descriptor is corrupt or not built with the Herald SDK");
    for (uint32_t k = 0; k < component.config_key_count; ++k) {
      const herald_config_key& key = component.config_keys[k];
      const std::string key_label = label + ": config key " + std::to_string(k);
      if (std::string problem =
              descriptor_text_problem(key.name, key_label + "'s name", kShortTextLimit);
          !problem.empty())
        return refuse(file, problem);
      for (const auto& [text, what] :
           {std::pair<const char*, const char*>{key.default_value, "'s default value"},
            {key.description, "'s description"}})
        if (std::string problem =
                descriptor_text_problem(text, key_label + what, kLongTextLimit, Lines::any);
            !problem.empty())
          return refuse(file, problem);
      // The type is read as the integer the plugin wrote (see kind above).
      int32_t type = 0;
      std::memcpy(&type,
                  reinterpret_cast<const unsigned char*>(&key) + offsetof(herald_config_key, type),
                  sizeof type);
      if (safe(key.name).empty() || type < HERALD_TYPE_STRING || type > HERALD_TYPE_MAP_LIST)
        return refuse(
            file, label + ": config key " + std::to_string(k) + " has no name or an unknown type");
    }
    for (const auto& existing : plugin->components)
      if (safe(existing.name) == safe(component.name))
        return refuse(file, label + " is declared twice");
    plugin->components.push_back(component);
  }
  return plugin;
}

Status PluginRegistry::add(std::shared_ptr<LoadedPlugin> plugin) {
  if (const LoadedPlugin* existing = find(plugin->name))
    return Status(ErrorCode::plugin, "two plugins are named '" + plugin->name +
                                         "': " + existing->file + " and " + plugin->file +
                                         "; remove one from plugin_paths");
  plugins_.push_back(std::move(plugin));
  return Status::ok();
}

Status PluginRegistry::load_paths(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    std::error_code ec;
    std::vector<std::string> files;
    if (fs::is_directory(path, ec)) {
      for (const auto& entry : fs::directory_iterator(path, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".so")
          files.push_back(entry.path().string());
      std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      return Status(ErrorCode::plugin, path +
                                           ": plugin path does not exist (plugin_paths lists "
                                           "folders of plugins or plugin files)");
    }
    for (const std::string& file : files) {
      Result<std::shared_ptr<LoadedPlugin>> plugin = load_plugin(file);
      if (!plugin) return plugin.status();
      if (Status s = add(std::move(*plugin)); !s) return s;
    }
  }
  return Status::ok();
}

const LoadedPlugin* PluginRegistry::find(const std::string& name) const {
  for (const auto& plugin : plugins_)
    if (plugin->name == name) return plugin.get();
  return nullptr;
}

Result<std::pair<std::shared_ptr<LoadedPlugin>, const herald_component*>> PluginRegistry::resolve(
    const std::string& reference, const std::string& kind) const {
  std::string plugin_name = reference;
  std::string component_name;
  if (auto slash = reference.find('/'); slash != std::string::npos) {
    plugin_name = reference.substr(0, slash);
    component_name = reference.substr(slash + 1);
  }
  std::shared_ptr<LoadedPlugin> plugin;
  std::vector<std::string> names;
  for (const auto& candidate : plugins_) {
    names.push_back(candidate->name);
    if (candidate->name == plugin_name) plugin = candidate;
  }
  if (!plugin) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    return Status(ErrorCode::config, "unknown plugin '" + plugin_name + "'" +
                                         did_you_mean(plugin_name, names) +
                                         " (loaded: " + (known.empty() ? "none" : known) + ")");
  }
  std::vector<const herald_component*> matches;
  for (const auto& component : plugin->components) {
    if (kind_name(component.kind) != kind) continue;
    if (!component_name.empty() && component.name != component_name) continue;
    matches.push_back(&component);
  }
  if (matches.empty()) {
    // What it does offer for this kind: "did you mean 'moderation'? (inbound components:
    // influence, moderation, route)".
    std::vector<std::string> offered;
    for (const auto& component : plugin->components)
      if (kind_name(component.kind) == kind) offered.push_back(component.name);
    std::string hint;
    if (!component_name.empty() && !offered.empty()) {
      std::string list;
      for (const auto& n : offered) list += (list.empty() ? "" : ", ") + n;
      hint = did_you_mean(component_name, offered) + " (its " + kind + " components: " + list + ")";
    }
    return Status(ErrorCode::config,
                  "plugin '" + plugin_name + "' has no " + kind + " component" +
                      (component_name.empty() ? "" : " named '" + component_name + "'") + hint +
                      "; `herald plugins` lists what each plugin offers");
  }
  if (matches.size() > 1)
    return Status(ErrorCode::config, "plugin '" + plugin_name + "' has several " + kind +
                                         " components; name one as '" + plugin_name +
                                         "/COMPONENT'");
  return std::make_pair(plugin, matches.front());
}

std::vector<PluginDescription> PluginRegistry::describe() const {
  std::vector<PluginDescription> out;
  for (const auto& plugin : plugins_) {
    PluginDescription d;
    d.name = plugin->name;
    d.version = plugin->version;
    d.license = plugin->license;
    d.file = plugin->file;
    d.abi = std::to_string(plugin->abi_major) + "." + std::to_string(plugin->abi_minor);
    for (const auto& component : plugin->components) {
      PluginComponentDescription c;
      c.kind = kind_name(component.kind);
      c.name = safe(component.name);
      c.description = safe(component.description);
      for (uint32_t k = 0; k < component.config_key_count; ++k) {
        const herald_config_key& key = component.config_keys[k];
        c.config_keys.push_back({safe(key.name), value_type_name(key.type), key.required != 0,
                                 safe(key.default_value), safe(key.description)});
      }
      d.components.push_back(std::move(c));
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace herald
