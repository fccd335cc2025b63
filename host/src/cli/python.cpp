// The `herald` program embeds Python for hooks and `python:` steps (python/embedded.cpp registers
// the built-in module `herald`); the interpreter starts only when a configuration needs it.
#include "cli/common.hpp"

#include "herald_python.hpp"

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
