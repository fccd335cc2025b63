#include "install_layout.hpp"

#include <algorithm>
#include <vector>

namespace herald {
namespace fs = std::filesystem;

std::optional<fs::path> python_package_prefix(const fs::path& module_dir) {
#ifdef HERALD_INSTALL_PYTHON_DIR
  const fs::path package = fs::path(HERALD_INSTALL_PYTHON_DIR) / "herald";
  if (package.is_absolute()) return std::nullopt;  // no prefix to find from it
  std::vector<fs::path> tail, here;
  for (const fs::path& part : package.lexically_normal())
    if (!part.empty() && part != ".") tail.push_back(part);
  for (const fs::path& part : module_dir.lexically_normal())
    if (!part.empty()) here.push_back(part);
  if (tail.empty() || here.size() <= tail.size()) return std::nullopt;
  if (!std::equal(tail.rbegin(), tail.rend(), here.rbegin())) return std::nullopt;
  fs::path prefix;
  for (size_t i = 0; i + tail.size() < here.size(); ++i) prefix /= here[i];
  return prefix;
#else
  (void)module_dir;
  return std::nullopt;
#endif
}

fs::path installed_plugin_dir(const fs::path& prefix) {
  return (prefix / HERALD_INSTALL_LIBDIR / "herald" / "plugins").lexically_normal();
}

fs::path installed_plugin_host(const fs::path& prefix) {
  return (prefix / HERALD_INSTALL_BINDIR / "herald-plugin-host").lexically_normal();
}

}  // namespace herald
