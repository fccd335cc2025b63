#!/usr/bin/env bash
# Runs every test suite with the build in ./build (run scripts/setup.sh first).
#   scripts/test.sh                 # every suite (ctest), in parallel
#   scripts/test.sh -R 'Cli\.'      # further arguments go to ctest
#   faketime -f '+1y' scripts/test.sh   # the suite a year from now (see docs/reliability.md)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
if [[ -n ${FAKETIME:-} ]]; then
  # Under faketime, only the calendar moves: the monotonic clock stays real. libfaketime does
  # not wrap pthread_cond_clockwait() or sem_clockwait(), which C++ and Python waits use with
  # the monotonic clock, so a shifted monotonic clock makes every timed wait last for the shift.
  export FAKETIME_DONT_FAKE_MONOTONIC=1
fi
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
