#!/usr/bin/env bash
# Runs the quickstart demo with the build in ./build (run scripts/setup.sh first).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
exec bash samples/quickstart/run-demo.sh "$build_dir/bin/herald" "$build_dir/demo"
