#!/usr/bin/env bash
# Runs the quickstart demo with the build in ./build (run scripts/setup.sh first), then the same
# kind of workflow driven from Python, with a Python step and a hook.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
bash samples/quickstart/run-demo.sh "$build_dir/bin/herald" "$build_dir/demo"

echo
echo "=== From Python: samples/python/drive.py (a complaint routed to support by a Python step,"
echo "=== UTM parameters added by a before_publish hook) ==="
work="$build_dir/demo/python"
rm -rf "$work" && mkdir -p "$work"
cp -r samples/python/herald.yaml samples/python/drive.py samples/python/acme "$work/"
PYTHONPATH="$build_dir/python" HERALD_PLUGIN_DIR="$build_dir/lib/herald/plugins" \
  /usr/bin/python3 "$work/drive.py" --fresh
