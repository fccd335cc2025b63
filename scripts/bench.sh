#!/usr/bin/env bash
# Herald's benchmarks; the figures in docs/performance.md come from this script.
#   scripts/bench.sh            every suite, one after the other, each headed by the machine's
#                               load average: the engine, the plugin ABI, submitting and
#                               validating (herald_bench), Python hooks (herald_python_bench), the
#                               due queue at 1,000,000 posts, `herald submit` against large
#                               stores and memory (bench-schedule.sh),
#                               memory of `herald run` as the store grows (bench-memory.sh),
#                               publishing (bench-publish.sh), the WAL frames of an engine run
#                               (wal-frames.py), one 100 MB line of text, text counting against
#                               the networks' own libraries (bench-text.sh, which needs npm), and
#                               posts end to end against BullMQ (bench-e2e.sh, which needs npm and
#                               installs redis-server when it is missing). About 25 minutes; the
#                               first run also builds a 410 MB store in $HERALD_BENCH_DIR (default
#                               /tmp/herald-bench).
#   scripts/bench.sh ARGS...    herald_bench alone, three repetitions, with ARGS passed on
#                               (for example --benchmark_filter='PostsThrough.*/1024').
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
export HERALD_PLUGIN_DIR="$PWD/$build_dir/lib/herald/plugins"
[[ -x $build_dir/bin/herald_bench ]] || { echo "bench.sh: build first (scripts/setup.sh)" >&2; exit 1; }
repeat=(--benchmark_repetitions=3 --benchmark_report_aggregates_only=true)

if (($#)); then
  exec "$build_dir/bin/herald_bench" "${repeat[@]}" "$@"
fi

suite() {
  echo
  echo "== $1 (load average: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'))"
}

suite "engine, plugin ABI, submit, validate: herald_bench"
"$build_dir/bin/herald_bench" "${repeat[@]}"
suite "Python hooks: herald_python_bench"
"$build_dir/bin/herald_python_bench" --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
suite "due queue at 1,000,000 posts, the disk's fsync, herald submit against large stores, memory: bench-schedule.sh"
scripts/bench-schedule.sh
suite "memory of herald run as the store grows: bench-memory.sh"
scripts/bench-memory.sh
suite "publishing: bench-publish.sh"
scripts/bench-publish.sh
suite "WAL frames of the engine runs: wal-frames.py"
/usr/bin/python3 scripts/wal-frames.py
suite "herald submit --from a CSV file of 10,000 rows (quoted commas, quotes, line breaks), a new process"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp samples/quickstart/*.yaml "$scratch"/
/usr/bin/python3 - "$scratch/posts.csv" <<'PY'
import csv, sys
with open(sys.argv[1], "w", newline="") as f:
    rows = csv.writer(f)
    rows.writerow(["workflow", "account", "author", "text", "tags"])
    for i in range(10000):
        rows.writerow(["announce", "acme_mastodon", "ana",
                       f'Post {i}, with "quotes", commas and a second line:\nsee our site', "news, bench"])
PY
TIMEFORMAT="10,000 rows: %R s"
for run in 1 2 3; do
  rm -f "$scratch"/quickstart.db*
  time "$build_dir/bin/herald" submit "$scratch/herald.yaml" --from "$scratch/posts.csv" > /dev/null
done
suite "audit entries and steps per post through a rate-limit storm (a test of the suite)"
"$build_dir/bin/herald_tests" --gtest_filter='CrashPublishing.ARateLimitStorm*' \
  --gtest_output="xml:$scratch/storm.xml" > /dev/null
grep -oE 'name="[a-z_]+_per_post" value="[^"]*"' "$scratch/storm.xml"
suite "one line of 100 MB (X), from a file and from a pipe"
big="$scratch/big.jsonl"
/usr/bin/python3 -c 'import json; print(json.dumps({"text": "hello world " * 8333333}))' > "$big"
TIMEFORMAT="from a file: %R s"
time "$build_dir/bin/herald" text --network x "$big" > /dev/null
TIMEFORMAT="from a pipe: %R s"
time (cat "$big" | "$build_dir/bin/herald" text --network x - > /dev/null)
suite "instructions of the two engine runs of 2,000 posts: callgrind"
if command -v valgrind > /dev/null; then
  valgrind --tool=callgrind --callgrind-out-file="$scratch/callgrind.out" \
    --toggle-collect='herald::Host::run*' "$build_dir/bin/herald_bench" \
    --benchmark_filter='PostsThroughSixSteps/2000/1024' --benchmark_min_time=0.01 2>&1 |
    grep -E 'Collected' || true
else
  echo "valgrind is not installed (apt-get install valgrind): skipped"
fi
suite "text counting against twitter-text and @atproto/api: bench-text.sh"
scripts/bench-text.sh --texts 20000 --runs 5
suite "posts end to end from Python against a BullMQ pipeline: bench-e2e.sh"
scripts/bench-e2e.sh --runs 5
