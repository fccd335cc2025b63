#!/usr/bin/env bash
# Publishing throughput to herald-netsim across 100 accounts (and to the outbox, for the cost of
# the publish protocol alone), then against each network's rate-limit windows shortened to
# seconds: how full Herald fills each window (saturation) and the 429s it meets.
# Results: docs/performance.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
HERALD_PLUGIN_DIR="$PWD/$build_dir/lib/herald/plugins" \
  "$build_dir/bin/herald_publish_bench" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true "$@"
