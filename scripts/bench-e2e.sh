#!/usr/bin/env bash
# Posts per second end to end, as a user sees them: Herald's six-step workflow driven from Python
# (bulk submit, the engine's runs, every approval and legal decision through the API, every step
# at its default durability, people opted in to advocacy) against a six-queue BullMQ pipeline on
# Redis with its append-only file, timed from the first enqueue. Runs interleaved and prints each
# run, the medians, their ratio and the load average; see docs/performance.md.
#   scripts/bench-e2e.sh [--posts N] [--runs R] [--appendfsync everysec|always|both]
#                        [--concurrency C] [--advocates A] [--legal-every K] [--json FILE]
# Installs Debian's redis-server when it is missing (with sudo when not root) and bullmq from the
# npm registry into $BUILD_DIR/npm-bullmq (Node.js and npm come from Debian: apt-get install
# nodejs npm). Exits non-zero if a run fails or a post is lost or published twice.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
[[ -d $build_dir/python/herald ]] ||
  { echo "bench-e2e.sh: build first (scripts/setup.sh)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "bench-e2e.sh: needs node and npm (sudo apt-get install nodejs npm)" >&2; exit 1; }
if ! command -v redis-server >/dev/null; then
  echo "bench-e2e.sh: installing redis-server"
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends redis-server
fi
build_dir=$(cd "$build_dir" && pwd)
reference="$build_dir/npm-bullmq"
# Exact versions, so that the figures in docs/performance.md can be reproduced.
packages=(bullmq@6.7.6 ioredis@5.9.3)
if [[ ! -f $reference/.installed ]] || [[ $(cat "$reference/.installed") != "${packages[*]}" ]]; then
  mkdir -p "$reference"
  npm install --prefix "$reference" --no-save --no-audit --no-fund --loglevel=error "${packages[@]}"
  echo "${packages[*]}" > "$reference/.installed"
fi
export PYTHONPATH="$build_dir/python${PYTHONPATH:+:$PYTHONPATH}"
export HERALD_PLUGIN_DIR="$build_dir/lib/herald/plugins"
export NODE_PATH="$reference/node_modules"
exec /usr/bin/python3 tests/bench/e2e/bench_e2e.py "$@"
