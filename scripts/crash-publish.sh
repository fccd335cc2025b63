#!/usr/bin/env bash
# The crash and fault tests of publishing, longer: ROUNDS runs (default 10) of the three
# CrashPublishing tests, each with a new seed, POSTS posts (default 1000) and KILLS kills of
# `herald run` (default 200). Every run must end with every post published exactly once.
#   scripts/crash-publish.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
rounds=${1:-10}
export HERALD_PLUGIN_DIR="$PWD/$build_dir/lib/herald/plugins"
export HERALD_CRASH_POSTS=${POSTS:-1000} HERALD_CRASH_KILLS=${KILLS:-200}
for ((i = 1; i <= rounds; i++)); do
  export HERALD_CRASH_SEED=$((RANDOM * 32768 + RANDOM))
  echo "round $i of $rounds: seed $HERALD_CRASH_SEED, $HERALD_CRASH_POSTS posts, $HERALD_CRASH_KILLS kills"
  "$build_dir/bin/herald_tests" --gtest_filter='CrashPublishing*' --gtest_brief=1
done
