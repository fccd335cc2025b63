#!/usr/bin/env bash
# Installs the reference Bluesky PDS that the bluesky publisher's tests run against: the pinned
# packages of tests/pds/package-lock.json, with `npm ci`, into a folder of the build.
#   scripts/setup-pds.sh [DEST]      # default: build/pds
# Runs again only when the lockfile changed. Needs Node.js 20 and npm (scripts/setup.sh installs
# Debian's when there is no node), and g++, make and python3 for the better-sqlite3 build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source_dir=$PWD/tests/pds
dest=${1:-${BUILD_DIR:-build}/pds}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

for tool in node npm; do
  if ! command -v "$tool" > /dev/null; then
    echo "setup-pds: $tool is not installed; run scripts/setup.sh (it installs Debian's nodejs and npm)" >&2
    exit 1
  fi
done

cp "$source_dir/package.json" "$source_dir/package-lock.json" "$source_dir/server.js" "$dest/"
stamp=$dest/node_modules/.herald-lock
if [[ -f $stamp ]] && cmp -s "$stamp" "$source_dir/package-lock.json"; then
  exit 0
fi

echo "setup-pds: installing the reference PDS into $dest (about a minute)"
# better-sqlite3 has no prebuilt binary here: node-gyp builds it against the installed
# Node headers instead of downloading them.
export npm_config_nodedir=${npm_config_nodedir:-/usr}
if ! (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error > npm.log 2>&1); then
  echo "setup-pds: npm ci failed; the end of $dest/npm.log:" >&2
  tail -n 30 "$dest/npm.log" >&2
  exit 1
fi
if ! (cd "$dest" && node -e 'require("better-sqlite3")(":memory:")'); then
  echo "setup-pds: better-sqlite3 did not build; see $dest/npm.log" >&2
  exit 1
fi
cp "$source_dir/package-lock.json" "$stamp"
