// Posts per second through all six steps (draft, approve, legal review, schedule, publish to
// the outbox, amplify) on SQLite with synchronous=FULL: every transition is committed durably,
// many per transaction (group commit). BM_PostsThroughSixSteps runs the outbox with
// `fsync: false`; BM_PostsThroughSixStepsOutboxFsync with its default, `fsync: true`.
#include "support/test_support.hpp"

#include <herald/host.hpp>

#include <benchmark/benchmark.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace {

/// The host logs through spdlog's default logger, which writes to standard output: send it to
/// standard error, so that `--benchmark_format=json` prints JSON alone.
const bool kLogsToStandardError = [] {
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return true;
}();

std::string config_yaml(bool outbox_fsync) {
  return std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
  grace: { roles: [legal] }
workflows:
  announce:
    steps:
      - { kind: draft, plugin: draft/check, config: { forbidden_words: [free, cheap] } }
      - { kind: approve, plugin: approve, config: { role: marketing } }
      - { kind: legal_review, plugin: legal_review, config: { keywords: [forecast] } }
      - { kind: schedule, plugin: schedule/at }
      - { kind: publish, plugin: outbox, config: { directory: out)" +
         (outbox_fsync ? "" : ", fsync: false") + R"( } }
      - { kind: amplify, plugin: amplify, config: { directory: out } }
)";
}

void posts_through_six_steps(benchmark::State& state, bool outbox_fsync) {
  const int posts = static_cast<int>(state.range(0));
  int64_t steps = 0;
  herald::keep_heap_between_rounds();  // as `herald run` does
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<herald::testing::TempDir>();  // removed below, untimed
    std::string config = dir->write("bench.yaml", config_yaml(outbox_fsync));
    herald::HostOptions options;
    options.clock = herald::make_virtual_clock(1'800'000'000'000);
    options.batch_size = static_cast<int>(state.range(1));
    auto host = herald::Host::open(config, options);
    if (!host) {
      state.SkipWithError(host.status().message().c_str());
      return;
    }
    std::vector<int64_t> ids;
    for (int i = 0; i < posts; ++i)
      ids.push_back(*(*host)->submit(
          {"announce", "corp", "ana", "Post number " + std::to_string(i), {}, ""}));
    state.ResumeTiming();

    auto first = (*host)->run({});  // draft, then every post waits for marketing
    state.PauseTiming();
    for (int64_t id : ids) (void)(*host)->approve(id, "mo", "");
    state.ResumeTiming();
    auto second = (*host)->run({});  // approve, legal review, schedule, publish, amplify
    steps += first->steps_run + second->steps_run;
    state.PauseTiming();
    if (second->finished != posts) state.SkipWithError("not every post finished");
    host->reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * posts);
  state.counters["posts/s"] = benchmark::Counter(static_cast<double>(state.iterations() * posts),
                                                 benchmark::Counter::kIsRate);
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}

void BM_PostsThroughSixSteps(benchmark::State& state) {
  posts_through_six_steps(state, /*outbox_fsync=*/false);
}
BENCHMARK(BM_PostsThroughSixSteps)
    ->Args({2000, 256})
    ->Args({2000, 1024})
    ->Args({10000, 1024})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_PostsThroughSixStepsOutboxFsync(benchmark::State& state) {
  posts_through_six_steps(state, /*outbox_fsync=*/true);
}
BENCHMARK(BM_PostsThroughSixStepsOutboxFsync)
    ->Args({2000, 1024})
    ->Args({10000, 1024})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
