#!/usr/bin/env bash
# Builds and runs Herald's libFuzzer targets (tests/fuzz/), with clang and AddressSanitizer and
# UndefinedBehaviorSanitizer, in their own build folder.
#   scripts/fuzz.sh TARGET SECONDS   run one target for that long
#   scripts/fuzz.sh all SECONDS      run every target, one after another, SECONDS each
#   scripts/fuzz.sh --list           the targets
#   scripts/fuzz.sh --help
# Each run starts from a copy of the target's seed corpus (tests/fuzz/corpus/TARGET), so the
# repository's corpus is not changed; new inputs and any crash are kept under the work folder.
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_WORK_DIR (default FUZZ_BUILD_DIR/runs),
# FUZZ_JOBS (build parallelism, default 2), FUZZ_ARGS (more libFuzzer flags), FUZZ_SEED (the
# random seed; 'all' uses 1 unless told otherwise, so that a CI run explores the inputs a run
# here explored first and a failure can be replayed; a single target gets a new seed each run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
# ccache keys on paths relative to the checkout, so another clone of the same sources (CI's)
# reuses what this one compiled; the sloppiness lets it cache the files built with the
# precompiled header.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G} \
  CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
work_dir=${FUZZ_WORK_DIR:-$build_dir/runs}
jobs=${FUZZ_JOBS:-2}

targets() {
  sed -n 's/^herald_fuzzer(\([a-z_]*\) .*/\1/p' tests/fuzz/CMakeLists.txt
}

usage() {
  cat <<USAGE
usage: scripts/fuzz.sh TARGET SECONDS | all SECONDS | --list | --help

Runs a libFuzzer target of tests/fuzz/ for SECONDS (libFuzzer's -max_total_time) on a copy of
its seed corpus tests/fuzz/corpus/TARGET, after building it with clang in $build_dir
(-DHERALD_BUILD_FUZZERS=ON). An input that runs longer than 10 s, a crash, a leak, a failed
assertion or sanitizer report, or more than 2048 MB of memory, fails the run: the script then
exits non-zero and names the input that did it (kept in the run's folder under $work_dir).
'all' runs every target in turn and prints, per target, executions per second and total
executions.

Targets:
$(targets | sed 's/^/  /')
USAGE
}

configure() {
  [[ -f $build_dir/build.ninja ]] && return
  local launcher=()
  command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DHERALD_BUILD_FUZZERS=ON \
    -DHERALD_BUILD_TESTS=OFF -DHERALD_BUILD_BENCHMARKS=OFF -DHERALD_BUILD_PYTHON=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" > /dev/null
}

build() {
  configure
  local names=()
  for target in "$@"; do names+=("fuzz_$target"); done
  cmake --build "$build_dir" -j "$jobs" --target "${names[@]}"
}

# run TARGET SECONDS: runs it; prints "TARGET exec/s total seconds status"; returns its status.
run() {
  local target=$1 seconds=$2
  local run_dir=$work_dir/$target-$(date +%Y%m%d-%H%M%S)
  mkdir -p "$run_dir/corpus" "$run_dir/artifacts"
  cp -r "tests/fuzz/corpus/$target/." "$run_dir/corpus/" 2> /dev/null || true
  local log=$run_dir/fuzz.log status=0
  echo "fuzz: $target for ${seconds}s in $run_dir" >&2
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$build_dir/bin/fuzz_$target" "$run_dir/corpus" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 \
      -print_final_stats=1 -artifact_prefix="$run_dir/artifacts/" ${FUZZ_SEED:+-seed=$FUZZ_SEED} \
      ${FUZZ_ARGS:-} \
      > "$log" 2>&1 || status=$?
  local execs per_second took
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  took=$( (grep -o 'Done [0-9]* runs in [0-9]* second' "$log" || true) | tail -1 | awk '{print $5}')
  printf '%-20s %10s exec/s %12s executions %6ss %s\n' "$target" "${per_second:-?}" \
    "${execs:-?}" "${took:-$seconds}" "$([[ $status == 0 ]] && echo ok || echo "FAILED ($status)")"
  if [[ $status != 0 ]]; then
    grep -E 'ERROR: |runtime error|SUMMARY|Test unit written|deadly signal|Timeout|out-of-memory' \
      "$log" | head -20 >&2 || true
    echo "fuzz: $target failed; log: $log" >&2
  fi
  return "$status"
}

case ${1:-} in
  -h | --help | "") usage; [[ -n ${1:-} ]]; exit ;;
  --list) targets; exit ;;
esac
[[ $# == 2 && $2 =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
seconds=$2
if [[ $1 == all ]]; then
  export FUZZ_SEED=${FUZZ_SEED-1}
  mapfile -t all < <(targets)
  build "${all[@]}"
  failed=0
  results=()
  for target in "${all[@]}"; do
    line=$(run "$target" "$seconds") || failed=$((failed + 1))
    results+=("$line")
    echo "$line"
  done
  echo
  printf '%-20s %10s        %12s\n' target exec/s executions
  printf '%s\n' "${results[@]}"
  echo "fuzz: $((${#all[@]} - failed)) passed, $failed failed"
  exit $((failed > 0))
fi
targets | grep -qx "$1" || { echo "fuzz: no target '$1' (scripts/fuzz.sh --list)" >&2; exit 2; }
build "$1"
run "$1" "$seconds"
