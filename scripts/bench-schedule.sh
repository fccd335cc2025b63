#!/usr/bin/env bash
# The due queue at scale: claim latency with 1,000,000 scheduled posts across 1,000 accounts,
# one `herald submit` process against stores of 10,000, 100,000 and 1,000,000 posts, and the
# host's memory with 10,000, 100,000 and 1,000,000 posts (one process each, so that peaks
# do not mix). The first run generates the databases in $HERALD_BENCH_DIR (default
# /tmp/herald-bench, about 1 GB) and keeps them. Results: docs/performance.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
bench="$build_dir/bin/herald_schedule_bench"
export HERALD_PLUGIN_DIR="$PWD/$build_dir/lib/herald/plugins"
"$bench" --benchmark_filter='BM_Fsync|BM_ClaimDueBatch' "$@"
"$bench" --benchmark_filter='BM_SubmitCommand' "$@"
for posts in 10000 100000 1000000; do
  "$bench" --benchmark_filter="BM_HostMemory/posts:$posts/" "$@"
done
