// Cold start of `herald validate` with the six built-in plugins: a new process each time,
// loading the configuration and dlopen-ing every plugin.
#include "support/test_support.hpp"

#include <benchmark/benchmark.h>

namespace {

void BM_ValidateColdStart(benchmark::State& state) {
  herald::testing::TempDir dir;
  std::string config = dir.write(
      "company.yaml", std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  corp: { network: x, timezone: America/New_York }
people:
  mo: { roles: [marketing] }
  lee: { roles: [legal] }
workflows:
  announce:
    steps:
      - { kind: draft, plugin: draft/check }
      - { kind: approve, plugin: approve, config: { role: marketing } }
      - { kind: legal_review, plugin: legal_review, config: { keywords: [forecast] } }
      - { kind: schedule, plugin: schedule/at }
      - { kind: publish, plugin: outbox }
      - { kind: amplify, plugin: amplify }
)");
  std::string command = std::string(HERALD_CLI) + " validate " + config + " > /dev/null";
  for (auto _ : state) {
    int rc = std::system(command.c_str());
    if (rc != 0) state.SkipWithError("herald validate failed");
  }
}
BENCHMARK(BM_ValidateColdStart)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
