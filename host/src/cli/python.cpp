// The `herald` program runs Python hooks and `python:` steps with an embedded interpreter that
// lives in a module of its own, lib/herald/herald-python.so (python/cli_runtime.cpp). It is
// loaded, and libpython with it, only when a configuration first uses Python: loading libpython
// takes about 14 ms, which every other command saves.
#include "cli/common.hpp"
#include "scripting/runtime.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#ifndef HERALD_INSTALL_PYTHON_MODULE
#define HERALD_INSTALL_PYTHON_MODULE ""
#endif

namespace herald {
namespace {

/// The module beside this program (bin/../lib/herald/, in the build tree and once installed),
/// else where it is installed.
std::filesystem::path python_module() {
  std::error_code ec;
  std::filesystem::path program = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path beside =
        program.parent_path().parent_path() / "lib" / "herald" / "herald-python.so";
    if (std::filesystem::exists(beside, ec)) return beside;
  }
  return HERALD_INSTALL_PYTHON_MODULE;
}

/// The Python runtime, loaded on first use.
class LazyPython final : public ScriptRuntime {
 public:
  ~LazyPython() override {
    // Finalizes the interpreter while the module's code is still there (it is never unloaded).
    runtime_.reset();
  }

  Status configure(const PythonConfig& python) override {
    auto runtime = load();
    return runtime ? (*runtime)->configure(python) : runtime.status();
  }

  Result<std::shared_ptr<ScriptHook>> load_hook(const HookConfig& hook) override {
    auto runtime = load();
    if (!runtime) return runtime.status();
    return (*runtime)->load_hook(hook);
  }

  Result<std::shared_ptr<ScriptStepType>> load_step(const std::string& target,
                                                    const std::string& kind) override {
    auto runtime = load();
    if (!runtime) return runtime.status();
    return (*runtime)->load_step(target, kind);
  }

 private:
  Result<ScriptRuntime*> load() {
    std::lock_guard lock(mutex_);
    if (runtime_) return runtime_.get();
    if (error_.empty()) {
      const std::filesystem::path module = python_module();
      // RTLD_GLOBAL: the extension modules Python imports find libpython's symbols there.
      void* handle = dlopen(module.c_str(), RTLD_NOW | RTLD_GLOBAL);
      using Make = void* (*)(char*, size_t);
      auto make =
          handle ? reinterpret_cast<Make>(dlsym(handle, "herald_cli_python_runtime")) : nullptr;
      if (!make) {
        const char* why = dlerror();
        error_ = "Python hooks and steps need " + module.string() + ", which cannot be loaded (" +
                 (why ? why : "no entry point") + "); reinstall Herald";
      } else {
        char why[512] = "";
        std::unique_ptr<std::shared_ptr<ScriptRuntime>> made(
            static_cast<std::shared_ptr<ScriptRuntime>*>(make(why, sizeof why)));
        if (made && *made)
          runtime_ = std::move(*made);
        else
          error_ = std::string("Python cannot be started: ") + why;
      }
    }
    if (runtime_) return runtime_.get();
    return Status(ErrorCode::internal, error_);
  }

  std::mutex mutex_;
  std::shared_ptr<ScriptRuntime> runtime_;
  std::string error_;
};

std::weak_ptr<ScriptRuntime> g_python;

}  // namespace

std::shared_ptr<ScriptRuntime> start_cli_python() {
  auto runtime = std::make_shared<LazyPython>();
  g_python = runtime;
  return runtime;
}

std::shared_ptr<ScriptRuntime> cli_python() {
  return g_python.lock();
}

}  // namespace herald
