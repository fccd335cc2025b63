#!/usr/bin/env bash
# Texts per second for `herald text` against the networks' reference JavaScript libraries
# (twitter-text for X, @atproto/api for Bluesky) on one generated corpus, with their agreement.
#   scripts/bench-text.sh [--texts N] [--runs R] [--json FILE]
# Installs the reference packages from the npm registry into $BUILD_DIR/npm-reference (Node.js
# and npm come from Debian: apt-get install nodejs npm). Exits non-zero if any text disagrees.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
herald="$build_dir/bin/herald"
[[ -x $herald ]] || { echo "bench-text.sh: build first (scripts/setup.sh)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "bench-text.sh: needs node and npm (sudo apt-get install nodejs npm)" >&2; exit 1; }
reference="$build_dir/npm-reference"
# Exact versions: the ones the conformance data and docs/text-rules.md describe.
packages=(twitter-text@3.1.0 @atproto/api@0.19.19 tlds@1.261.0 twemoji-parser@11.0.2)
if [[ ! -f $reference/.installed ]] || [[ $(cat "$reference/.installed") != "${packages[*]}" ]]; then
  mkdir -p "$reference"
  npm install --prefix "$reference" --no-save --no-audit --no-fund --loglevel=error "${packages[@]}"
  echo "${packages[*]}" > "$reference/.installed"
fi
NODE_PATH="$PWD/$reference/node_modules" exec node tests/bench/text/text-bench.js --herald "$herald" "$@"
