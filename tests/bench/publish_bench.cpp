// Publishing to herald-netsim across 100 Mastodon accounts: posts per second through the publish
// protocol (in_flight committed before each call, the remote id committed with done), with no
// added latency and with 20 ms per call; and the same posts to the local outbox, for the cost of
// the protocol without a network.
#include "support/netsim.hpp"
#include "support/test_support.hpp"

#include <herald/host.hpp>

#include <benchmark/benchmark.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace {

/// The host logs through spdlog's default logger, which writes to standard output: send it to
/// standard error, so that `--benchmark_format=json` prints JSON alone.
const bool kLogsToStandardError = [] {
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return true;
}();

std::string config_yaml(const std::string& url, bool to_network, int concurrency) {
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR +
                     "]\nstore: { path: bench.db }\nengine: { publish_concurrency: " +
                     std::to_string(concurrency) + " }\naccounts:\n";
  for (int a = 0; a < 100; ++a)
    yaml += "  a" + std::to_string(a) + ": { network: mastodon, endpoint: \"" + url +
            "\", credentials: { token: \"${env:HERALD_BENCH_TOKEN}\" } }\n";
  yaml += "people:\n  ana: { roles: [writer] }\nworkflows:\n  w:\n    steps:\n";
  yaml += to_network ? "      - { kind: publish, plugin: mastodon }\n"
                     : "      - { kind: publish, plugin: outbox, config: { fsync: false } }\n";
  return yaml;
}

/// Arg 0: added latency per call in ms (-1: the outbox instead of the network); arg 1: posts;
/// arg 2: accounts published to at once (engine.publish_concurrency).
void BM_PublishAcrossAccounts(benchmark::State& state) {
  const int latency = static_cast<int>(state.range(0));
  const int posts = static_cast<int>(state.range(1));
  const int concurrency = static_cast<int>(state.range(2));
  setenv("HERALD_BENCH_TOKEN", "bench-token", 1);
  herald::testing::Netsim netsim(NETSIM);
  if (latency > 0) netsim.post("/_netsim/faults", {{"kind", "latency"}, {"latency_ms", latency}});
  int64_t published = 0;
  int64_t rounds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<herald::testing::TempDir>();
    std::string config =
        dir->write("bench.yaml", config_yaml(netsim.url(), latency >= 0, concurrency));
    herald::HostOptions options;
    options.clock = herald::make_virtual_clock(1'800'000'000'000);
    auto host = herald::Host::open(config, options);
    if (!host) {
      state.SkipWithError(host.status().message().c_str());
      return;
    }
    for (int i = 0; i < posts; ++i)
      (void)(*host)->submit({"w",
                             "a" + std::to_string(i % 100),
                             "ana",
                             "Benchmark post " + std::to_string(i),
                             {},
                             ""});
    state.ResumeTiming();
    auto summary = (*host)->run({});
    if (!summary) {
      state.SkipWithError(summary.status().message().c_str());
      return;
    }
    published += summary->finished;
    rounds += summary->rounds;
  }
  state.counters["rounds"] = static_cast<double>(rounds) / static_cast<double>(state.iterations());
  state.counters["posts/s"] =
      benchmark::Counter(static_cast<double>(published), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PublishAcrossAccounts)
    ->Args({-1, 1000, 1})
    ->Args({-1, 1000, 8})
    ->Args({0, 1000, 1})
    ->Args({0, 1000, 8})
    ->Args({20, 200, 1})
    ->Args({20, 1000, 8})
    ->Args({20, 1000, 32})
    ->ArgNames({"latency_ms", "posts", "concurrency"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
