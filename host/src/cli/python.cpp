// The `herald` program embeds Python for hooks and `python:` steps: the same bind_all as the
// importable module, registered as the built-in module `herald` before the interpreter starts.
#include "cli/common.hpp"

#include "herald_python.hpp"

#include <pybind11/embed.h>

PYBIND11_EMBEDDED_MODULE(herald, m) {
  herald::python::bind_all(m);
}

namespace herald {
namespace {
std::weak_ptr<ScriptRuntime> g_python;
}  // namespace

std::shared_ptr<ScriptRuntime> start_cli_python() {
  std::shared_ptr<ScriptRuntime> runtime = python::make_runtime(/*embedded=*/true);
  g_python = runtime;
  return runtime;
}

std::shared_ptr<ScriptRuntime> cli_python() {
  return g_python.lock();
}

}  // namespace herald
