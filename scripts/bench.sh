#!/usr/bin/env bash
# Runs Herald's benchmarks (Google Benchmark) with the build in ./build; results in
# docs/performance.md come from this command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
HERALD_PLUGIN_DIR="$PWD/$build_dir/lib/herald/plugins" \
  "$build_dir/bin/herald_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true "$@"
