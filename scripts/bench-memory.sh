#!/usr/bin/env bash
# Peak resident set of `herald run --until-idle` as the store grows: POSTS posts (default 2,000,
# 20,000, 200,000 and 500,000) submitted in bulk from Python, then published to the outbox
# (fsync: false) across 20 accounts by one `herald run`, measured with /usr/bin/time.
#   scripts/bench-memory.sh [POSTS...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=$(cd "${BUILD_DIR:-build}" && pwd)
[[ -x $build_dir/bin/herald ]] || { echo "bench-memory.sh: build first (scripts/setup.sh)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench-memory.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo "herald: 1"
  echo "store: { path: herald.db }"
  echo "plugin_paths: [ $build_dir/lib/herald/plugins ]"
  echo "accounts:"
  for i in $(seq 0 19); do echo "  a$i: { network: mastodon }"; done
  echo "people:"
  echo "  ana: { roles: [writer] }"
  echo "workflows:"
  echo "  w:"
  echo "    steps:"
  echo "      - { kind: draft, plugin: draft/check }"
  echo "      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }"
} > "$work/company.yaml"
(($#)) || set -- 2000 20000 200000 500000
for posts in "$@"; do
  rm -rf "$work"/herald.db* "$work/out"
  (cd "$work" && PYTHONPATH="$build_dir/python" /usr/bin/python3 -c '
import sys, herald
n = int(sys.argv[1])
with herald.Host("company.yaml") as host:
    for start in range(0, n, 10000):
        host.submit_many([{"workflow": "w", "account": f"a{i % 20}", "author": "ana",
                           "text": f"Post number {i} about our new office"}
                          for i in range(start, min(n, start + 10000))])
' "$posts")
  (cd "$work" && /usr/bin/time -f "$posts posts: peak resident set %M KB, %e s" \
    "$build_dir/bin/herald" run company.yaml --until-idle 2>&1 >/dev/null | tail -1)
  published=$(cat "$work"/out/*.jsonl | wc -l)
  [[ $published -eq $posts ]] || { echo "bench-memory.sh: $published of $posts published" >&2; exit 1; }
done
