// Where an installed Herald keeps its parts, found from the file this code is loaded from: the
// `herald` program (bin/), the Herald::host library (lib/) or the Python package's extension
// module (the site-packages folder `cmake --install` put it in).
#ifndef HERALD_INSTALL_LAYOUT_HPP
#define HERALD_INSTALL_LAYOUT_HPP

#include <filesystem>
#include <optional>

namespace herald {

/// The install prefix, when `module_dir` is the folder of the installed Python package
/// (PREFIX/lib/python3.11/dist-packages/herald, or what HERALD_INSTALL_PYTHON_DIR said);
/// nullopt otherwise.
std::optional<std::filesystem::path> python_package_prefix(const std::filesystem::path& module_dir);

/// PREFIX/lib/herald/plugins (with the configured library folder).
std::filesystem::path installed_plugin_dir(const std::filesystem::path& prefix);
/// PREFIX/bin/herald-plugin-host (with the configured program folder).
std::filesystem::path installed_plugin_host(const std::filesystem::path& prefix);

}  // namespace herald

#endif  // HERALD_INSTALL_LAYOUT_HPP
