// One step call through the plugin ABI (a loaded shared library, C function pointers, the
// exception-catching shim) against the same step called directly through a C++ virtual call,
// and against a native C++ step that reads the host's own structures with no C API at all.
#include "noop_step.hpp"
#include "plugins/host_api.hpp"
#include "plugins/isolation.hpp"
#include "plugins/registry.hpp"

#include <benchmark/benchmark.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

namespace {

struct Fixture {
  herald::Post post;
  herald::AccountConfig account;
  herald::Configuration config;
  std::vector<herald::PostEvent> events;
  std::shared_ptr<herald::Clock> clock = herald::make_virtual_clock(0);
  Fixture() {
    post.account = "corp";
    account.name = "corp";
  }
  herald::CallContext call() {
    herald::CallContext c;
    c.post = &post;
    c.account = &account;
    c.config = &config;
    c.events = &events;
    c.clock = clock.get();
    return c;
  }
};

void BM_StepThroughAbi(benchmark::State& state) {
  auto plugin = herald::load_plugin(NOOP_PLUGIN);
  if (!plugin) {
    state.SkipWithError(plugin.status().message().c_str());
    return;
  }
  const herald_component& component = (*plugin)->components[0];
  herald::StepSettings settings;
  herald::ConfigContext config_context;
  config_context.settings = &settings;
  config_context.plugin_name = "bench_noop";
  void* instance = nullptr;
  component.create(herald::host_api(), herald::as_handle(config_context), &instance);
  Fixture fixture;
  for (auto _ : state) {
    herald::CallContext call = fixture.call();
    herald_status status = component.run(instance, herald::as_handle(call));
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(call.outcome);
  }
  component.destroy(instance);
}
BENCHMARK(BM_StepThroughAbi);

void BM_StepDirectVirtualCall(benchmark::State& state) {
  herald::StepSettings settings;
  herald::ConfigContext config_context;
  config_context.settings = &settings;
  config_context.plugin_name = "direct";
  herald::Config config(herald::host_api(), herald::as_handle(config_context));
  std::unique_ptr<herald::Step> step = std::make_unique<NoopStep>(config);
  benchmark::DoNotOptimize(step.get());
  Fixture fixture;
  for (auto _ : state) {
    herald::CallContext call = fixture.call();
    herald::Context context(herald::host_api(), herald::as_handle(call));
    step->run(context);
    benchmark::DoNotOptimize(call.outcome);
  }
}
BENCHMARK(BM_StepDirectVirtualCall);

/// What a step would be with no plugin boundary at all: a C++ interface over the host's own
/// call structure, the post read as a C++ object.
class NativeStep {
 public:
  virtual ~NativeStep() = default;
  virtual void run(herald::CallContext& call) = 0;
};

class NativeNoopStep final : public NativeStep {
 public:
  void run(herald::CallContext& call) override {
    if (call.post->account.empty()) {
      call.outcome = HERALD_FAIL;
      call.reason = "no account";
      return;
    }
    call.outcome = HERALD_ADVANCE;
  }
};

// The baseline the other two are measured against: the same decision, read from the post
// itself (BM_StepDirectVirtualCall still reads it through the C host API).
void BM_StepNativeCpp(benchmark::State& state) {
  std::unique_ptr<NativeStep> step = std::make_unique<NativeNoopStep>();
  benchmark::DoNotOptimize(step.get());
  Fixture fixture;
  for (auto _ : state) {
    herald::CallContext call = fixture.call();
    step->run(call);
    benchmark::DoNotOptimize(call.outcome);
  }
}
BENCHMARK(BM_StepNativeCpp);

// The same step with `isolation: process`: the call and its answer cross two pipes to
// herald-plugin-host and back (a snapshot of the post out, what the step did back).
void BM_StepThroughChildProcess(benchmark::State& state) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("herald-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path config = dir / "company.yaml";
  std::ofstream(config) << "herald: 1\nplugin_paths: [" << NOOP_PLUGIN
                        << "]\naccounts:\n  corp: { network: mastodon }\n"
                           "workflows:\n  noop:\n    steps:\n"
                           "      - { kind: draft, plugin: bench_noop, isolation: process }\n";
  herald::ProcessStep process(config.string(), "noop", 0, NOOP_PLUGIN, "bench_noop", 60, 0);
  Fixture fixture;
  fixture.post.text = std::string(280, 'x');  // a full-length post crosses the pipe
  for (auto _ : state) {
    herald::CallContext call = fixture.call();
    herald_status status = process.run(call);
    if (status != HERALD_OK) {
      state.SkipWithError(call.error.c_str());
      break;
    }
    benchmark::DoNotOptimize(call.outcome);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StepThroughChildProcess)->UseRealTime();

}  // namespace
