// The cost of calling Python from the engine: one hook call from a worker thread (take the GIL,
// build the post and context objects, call, read the result back, release the GIL), with and
// without a time limit, and one Python step call, beside one C++ step call through the plugin ABI.
#include "herald_python.hpp"
#include "plugins/host_api.hpp"
#include "plugins/registry.hpp"

#include <benchmark/benchmark.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace {

/// The host logs through spdlog's default logger, which writes to standard output: send it to
/// standard error, so that `--benchmark_format=json` prints JSON alone.
const bool kLogsToStandardError = [] {
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return true;
}();

using namespace herald;

struct Python {
  std::shared_ptr<ScriptRuntime> runtime = python::make_runtime(/*embedded=*/true);
  std::string dir = (std::filesystem::temp_directory_path() / "herald-python-bench").string();
  Python() {
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/bench_hooks.py") << "import herald\n"
                                              "def noop(post, ctx):\n    pass\n"
                                              "def touch(post, ctx):\n"
                                              "    post.text = post.text + '!'\n"
                                              "class Step:\n"
                                              "    def run(self, post, ctx):\n"
                                              "        return herald.advance()\n";
  }
  std::shared_ptr<ScriptHook> hook(const std::string& target, int64_t timeout_ms) {
    PythonConfig python;
    python.paths = {dir};
    python.timeout_ms = timeout_ms;
    if (!runtime->configure(python)) std::abort();
    static std::deque<HookConfig> configs;  // hooks keep a pointer to their configuration
    configs.push_back({"before_publish", target, {}});
    auto loaded = runtime->load_hook(configs.back());
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
      std::abort();
    }
    return *loaded;
  }
};

Python& python_runtime() {
  static auto* python = new Python();  // the interpreter lives as long as the process
  return *python;
}

struct Scene {
  Configuration config;
  AccountConfig account;
  Post post;
  HookConfig hook_config{"before_publish", "bench_hooks:noop", {}};
  Scene() {
    account.name = "corp";
    account.network = "mastodon";
    post.id = 1;
    post.workflow = "announce";
    post.account = "corp";
    post.author = "ana";
    post.text = "We open our Oslo office today! https://acme.example/oslo";
    post.tags = {"news", "oslo"};
  }
  HookCall call(const HookConfig* hook) {
    HookCall c;
    c.hook = hook;
    c.post = &post;
    c.config = &config;
    c.account = &account;
    c.step = "publish";
    c.step_kind = "publish";
    c.now_ms = 1'800'000'000'000;
    return c;
  }
};

void hook_calls(benchmark::State& state, const char* target, int64_t timeout_ms) {
  std::shared_ptr<ScriptHook> hook;
  static std::mutex setup;
  {
    std::lock_guard lock(setup);
    hook = python_runtime().hook(target, timeout_ms);
  }
  Scene scene;
  for (auto _ : state) {
    HookResult result = hook->call(scene.call(&scene.hook_config));
    benchmark::DoNotOptimize(result.kind);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_HookCall(benchmark::State& state) {
  hook_calls(state, "bench_hooks:noop", 0);
}
BENCHMARK(BM_HookCall)->Threads(1)->Threads(2)->UseRealTime();

void BM_HookCallChangingText(benchmark::State& state) {
  hook_calls(state, "bench_hooks:touch", 0);
}
BENCHMARK(BM_HookCallChangingText)->UseRealTime();

void BM_HookCallWithTimeLimit(benchmark::State& state) {
  hook_calls(state, "bench_hooks:noop", 10'000);
}
BENCHMARK(BM_HookCallWithTimeLimit)->UseRealTime();

/// A hook call as the engine makes it: between two calls the thread does other work (the store,
/// the plugins), here a sleep of 200 µs. Only the call is timed. Argument: the time limit in ms
/// (10,000 is the default, `python.timeout_seconds: 10`; 0 is none).
void BM_HookCallAmidOtherWork(benchmark::State& state) {
  std::shared_ptr<ScriptHook> hook = python_runtime().hook("bench_hooks:noop", state.range(0));
  Scene scene;
  for (auto _ : state) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    const auto start = std::chrono::steady_clock::now();
    HookResult result = hook->call(scene.call(&scene.hook_config));
    const auto took = std::chrono::steady_clock::now() - start;
    benchmark::DoNotOptimize(result.kind);
    state.SetIterationTime(std::chrono::duration<double>(took).count());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HookCallAmidOtherWork)->Arg(0)->Arg(10'000)->Iterations(3000)->UseManualTime();

void BM_CppStepThroughAbi(benchmark::State& state) {
  auto plugin = load_plugin(NOOP_PLUGIN);
  if (!plugin) {
    state.SkipWithError(plugin.status().message().c_str());
    return;
  }
  const herald_component& component = (*plugin)->components[0];
  StepSettings settings;
  ConfigContext config_context;
  config_context.settings = &settings;
  config_context.plugin_name = "bench_noop";
  void* instance = nullptr;
  component.create(host_api(), as_handle(config_context), &instance);
  Scene scene;
  std::vector<PostEvent> events;
  auto clock = make_virtual_clock(0);
  for (auto _ : state) {
    CallContext call;
    call.post = &scene.post;
    call.account = &scene.account;
    call.config = &scene.config;
    call.events = &events;
    call.clock = clock.get();
    herald_status status = component.run(instance, as_handle(call));
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(call.outcome);
  }
  component.destroy(instance);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CppStepThroughAbi)->UseRealTime();

}  // namespace
