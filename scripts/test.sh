#!/usr/bin/env bash
# Runs the test suites (run scripts/setup.sh first). See docs/reliability.md.
#   scripts/test.sh                          # every suite (ctest) with the build in ./build
#   scripts/test.sh -R 'Cli\.'               # further arguments go to ctest
#   scripts/test.sh --faketime +1y           # the suite a year from now (also +5y, -2d, ...)
#   scripts/test.sh --faketime '2025-03-30 01:30:00'   # ... or as if it were then (UTC)
#   scripts/test.sh --asan                   # ASan + UBSan build in ./build-asan, then its suites
#   scripts/test.sh --tsan                   # TSan build in ./build-tsan, the threaded suites
#   scripts/test.sh --all                    # what CI runs: all of the above, and the fuzzers
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# ccache keys on paths relative to the checkout, so another clone of the same sources (CI's)
# reuses what this one compiled; the sloppiness lets it cache the files built with the
# precompiled header.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G} \
  CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime

usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# The tests that never read the clock, the calendar or a time zone (text conformance, the
# configuration's and loader's refusals, the format check, the suites that build or fetch with
# other tools). CI runs every other test a year ahead on every run.
# docs_code_blocks fixes its own date with faketime, which does not nest.
readonly clockless_tests='^(BlueskyConformance|MastodonConformance|XConformance|XUrls|Languages/|Texts/|Style|Voice|Finding|Table/ConfigErrors|Table/BadChains|BadPlugins/|Loader|Config\.|Signature|SignedNote|CliText|installed_package_builds_samples|clang_format_clean|pds_setup|RealBluesky|docs_code_blocks|python_types|benchmarks_run_once)'
# What the thread sanitizer checks: the engine's two-thread group commit and its worker pool,
# the store, and the publishing and crash suites that drive them with the plugins.
readonly thread_tests='^(EngineTest|SqliteStore|Thread|Crash|CrashPublishing|Publishing|Workers/|EveryNetwork|Networks/|Governance|Scheduling|JsonlFiles|AuditCheckpoints)'

# faketime with the monotonic clock left real: libfaketime does not wrap the waits C++ and
# Python make on that clock (pthread_cond_clockwait, sem_clockwait), so shifting it stretches
# every timed wait by the shift. A date becomes an offset from now, so that every process the
# tests start sees the same clock (faketime's "@date" restarts the clock in each process).
run_faketime() {
  local when=$1
  shift
  command -v faketime > /dev/null || { echo "test: faketime is not installed (scripts/setup.sh)" >&2; exit 2; }
  local spec=$when
  if [[ $when != [+-]* ]]; then
    local then_s
    then_s=$(date -u -d "$when" +%s) || { echo "test: --faketime: cannot read '$when' as a date" >&2; exit 2; }
    spec="$((then_s - $(date -u +%s)))s"
    [[ $spec == -* ]] || spec="+$spec"
  fi
  echo "test: faketime $spec ($(FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$spec" date -u '+%F %T UTC'))"
  FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$spec" \
    ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
}

# A sanitizer build in its own folder: configured once, then rebuilt as the sources change.
sanitizer_build() {
  local dir=$1 sanitize=$2
  shift 2
  local launcher=()
  command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$dir" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO='-O1 -g1' -DHERALD_SANITIZE="$sanitize" \
    -DHERALD_BUILD_BENCHMARKS=OFF > /dev/null
  cmake --build "$dir" -j "$(nproc)" "$@"
}

run_asan() {
  sanitizer_build build-asan address,undefined
  # Every suite but those that build or fetch with other compilers (the installed-package check,
  # the reference Bluesky PDS) and the format check. A test that fails is run once more, and
  # fails the run if it fails again; the first attempt's report stays in the output.
  # The crash suites start `herald run` hundreds of times, many of them killed on purpose;
  # there LeakSanitizer's end-of-process check is off, because its tracer can itself crash
  # ("Tracer caught signal 11") and fail a run that had nothing wrong. There too the faults
  # the poison plugin makes on purpose are left to kill the process (AddressSanitizer would
  # report them and exit with code 1, and a worker must be seen to die of its signal). Every
  # other suite, and every other sanitizer check in those, stays on.
  # intercept_tls_get_addr=0: with glibc 2.36, the runtime's interception of __tls_get_addr can
  # mistake a word of the dynamic thread vector for the start of a plugin's thread-local block
  # ("__tls_get_addr: glibc >=2.19 suspected; tls={0x1dcb ...}"), and LeakSanitizer's check at
  # exit then reads that address and dies ("Tracer caught signal 11"), failing a process that did
  # nothing wrong, depending only on how the program happens to be laid out.
  local status=0 options=detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:intercept_tls_get_addr=0
  # The checks of the docs' examples are skipped too: they build and run programs of their own
  # with the system compiler (not with the sanitizer runtime), and `herald validate` over the
  # examples is what the configuration suites check here already.
  local skip='^(installed_package_builds_samples|clang_format_clean|pds_setup|RealBluesky|approval_examples_validate|scheduling_examples_validate|docs_code_blocks)'
  local crash='^Crash[A-Za-z]*\.'
  ASAN_OPTIONS=$options UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp" \
    ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --repeat until-pass:2 \
    -E "$skip|$crash" "$@" || status=$?
  ASAN_OPTIONS=$options:detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0 \
    UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --repeat until-pass:2 \
    -R "$crash" -E "$skip" "$@" || status=$?
  return "$status"
}

run_tsan() {
  sanitizer_build build-tsan thread --target herald_tests
  # The faults the poison plugin makes on purpose are left to kill the process (see run_asan).
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 handle_segv=0 handle_sigbus=0 handle_sigfpe=0 suppressions=$PWD/tests/sanitizers/tsan.supp" \
    ctest --test-dir build-tsan --output-on-failure -j "$(nproc)" -R "$thread_tests" "$@"
}

case ${1:-} in
  -h | --help) usage ;;
  --faketime)
    [[ $# -ge 2 ]] || { echo "test: --faketime needs a shift (+1y) or a date" >&2; exit 2; }
    when=$2
    shift 2
    run_faketime "$when" "$@"
    ;;
  --asan) shift; run_asan "$@" ;;
  --tsan) shift; run_tsan "$@" ;;
  --all)
    shift
    start=$SECONDS
    tally=$(mktemp)
    trap 'rm -f "$tally"' EXIT
    section() { echo; echo "== $1 ($((SECONDS - start)) s in)"; }
    counted() { "$@" | tee -a "$tally"; }
    section "every suite"
    counted ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
    section "every suite that reads the clock, a year ahead (faketime)"
    counted run_faketime +1y -E "$clockless_tests"
    section "AddressSanitizer and UndefinedBehaviorSanitizer"
    counted run_asan
    section "ThreadSanitizer"
    counted run_tsan
    section "fuzzing, ${HERALD_FUZZ_SECONDS:-60} s a target"
    counted scripts/fuzz.sh all "${HERALD_FUZZ_SECONDS:-60}"
    section "done in $((SECONDS - start)) s"
    # One closing line for all of it: ctest's "N tests failed out of M" and the fuzzers' lines.
    awk '/tests failed out of/ { failed += $4; total += $NF }
         /^fuzz: [0-9]+ passed, [0-9]+ failed$/ { total += $2 + $4; failed += $4 }
         END { printf "all: %d passed, %d failed\n", total - failed, failed }' "$tally"
    ;;
  *)
    if [[ -n ${FAKETIME:-} ]]; then
      # Run under faketime by hand: leave the monotonic clock real (see run_faketime).
      export FAKETIME_DONT_FAKE_MONOTONIC=1
    fi
    ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
    ;;
esac
