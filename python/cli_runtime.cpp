// The Python side of the `herald` program, as a module of its own (lib/herald/herald-python.so):
// the embedded interpreter, the built-in module `herald` and the runtime behind hooks and
// `python:` steps. The program loads it, and with it libpython, only when a configuration first
// uses Python (host/src/cli/python.cpp), so that every other command starts without them.
#include "herald_python.hpp"

#include <cstdio>
#include <exception>
#include <memory>

/// A new std::shared_ptr<herald::ScriptRuntime> for an embedded interpreter, or null with the
/// reason in `error` (NUL-terminated, cut to `error_size`).
extern "C" __attribute__((visibility("default"))) void* herald_cli_python_runtime(
    char* error, size_t error_size) {
  try {
    return new std::shared_ptr<herald::ScriptRuntime>(
        herald::python::make_runtime(/*embedded=*/true));
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "%s", e.what());
  } catch (...) {
    std::snprintf(error, error_size, "unknown error");
  }
  return nullptr;
}
