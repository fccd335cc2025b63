// Bulk submit: N posts checked and stored in one transaction (Host::submit_many), against the
// same posts submitted one by one (one transaction each).
#include "support/test_support.hpp"

#include <herald/host.hpp>

#include <benchmark/benchmark.h>

#include <memory>

namespace {

std::string submit_config() {
  return std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  corp: { network: mastodon, timezone: Europe/Oslo }
people:
  ana: { roles: [writer] }
workflows:
  announce:
    steps:
      - { kind: draft, plugin: draft/check }
      - { kind: schedule, plugin: schedule/at }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)";
}

/// Half of the posts with a local publish time, as a bulk composer's rows often have.
std::vector<herald::SubmitRequest> requests(int n) {
  std::vector<herald::SubmitRequest> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    out.push_back({"announce",
                   "corp",
                   "ana",
                   "Post number " + std::to_string(i) + ": we are hiring in Oslo 🎉",
                   {"jobs"},
                   i % 2 ? "2027-03-01 09:00" : ""});
  return out;
}

void submit_posts(benchmark::State& state, bool many) {
  const int n = static_cast<int>(state.range(0));
  const std::vector<herald::SubmitRequest> batch = requests(n);
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<herald::testing::TempDir>();
    herald::HostOptions options;
    options.clock = herald::make_virtual_clock(1'790'000'000'000);  // 2026-09
    auto host = herald::Host::open(dir->write("bench.yaml", submit_config()), options);
    if (!host) {
      state.SkipWithError(host.status().message().c_str());
      return;
    }
    state.ResumeTiming();
    if (many) {
      auto ids = (*host)->submit_many(batch);
      if (!ids || ids->size() != batch.size()) state.SkipWithError("submit_many failed");
    } else {
      for (const herald::SubmitRequest& request : batch)
        if (!(*host)->submit(request)) state.SkipWithError("submit failed");
    }
    state.PauseTiming();
    host->reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.counters["posts/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}

void BM_SubmitMany(benchmark::State& state) {
  submit_posts(state, true);
}
BENCHMARK(BM_SubmitMany)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SubmitOneByOne(benchmark::State& state) {
  submit_posts(state, false);
}
BENCHMARK(BM_SubmitOneByOne)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
