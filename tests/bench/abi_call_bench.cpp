// One step call through the plugin ABI (a loaded shared library, C function pointers, the
// exception-catching shim) against the same step called directly through a C++ virtual call.
#include "noop_step.hpp"
#include "plugins/host_api.hpp"
#include "plugins/registry.hpp"

#include <benchmark/benchmark.h>

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

}  // namespace
