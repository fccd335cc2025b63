#!/usr/bin/python3
"""Counts the WAL frames (4 KiB pages) the throughput benchmark's two timed engine runs write,
by table, for docs/performance.md.

Drives the benchmark's workflow (draft, approve, legal review, schedule, publish to the outbox,
amplify) through the Python module: N posts are submitted, the engine runs until every post waits
for an approval, each post is approved, and the engine runs until every post is done. Before each
timed run the WAL is checkpointed away; after it, each frame's page number is read from the -wal
file and mapped to its table or index with SQLite's dbstat.

Usage: scripts/setup.sh && /usr/bin/python3 scripts/wal-frames.py [--posts N]
(1024 posts per group commit, the host's default, as in BM_PostsThroughSixSteps/N/1024)
"""
import argparse
import collections
import os
import pathlib
import sqlite3
import struct
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "python"))
import herald  # noqa: E402

CONFIG = """herald: 1
plugin_paths: [{plugins}]
accounts:
  corp: {{ network: mastodon }}
people:
  ana: {{ roles: [writer] }}
  mo: {{ roles: [marketing] }}
  grace: {{ roles: [legal] }}
workflows:
  announce:
    steps:
      - {{ kind: draft, plugin: draft/check, config: {{ forbidden_words: [free, cheap] }} }}
      - {{ kind: approve, plugin: approve, config: {{ role: marketing }} }}
      - {{ kind: legal_review, plugin: legal_review, config: {{ keywords: [forecast] }} }}
      - {{ kind: schedule, plugin: schedule/at }}
      - {{ kind: publish, plugin: outbox, config: {{ directory: out, fsync: false }} }}
      - {{ kind: amplify, plugin: amplify, config: {{ directory: out }} }}
"""


def checkpoint(db):
    # The store's own checkpointer may be copying the log on its thread right now: try again.
    for _ in range(100):
        with sqlite3.connect(db) as c:
            busy, _, _ = c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return
        time.sleep(0.05)
    sys.exit("wal-frames: the WAL could not be checkpointed in 5 s")


def frames(db):
    """(page number, commit size) of every frame in the -wal file."""
    data = pathlib.Path(db + "-wal").read_bytes()
    if len(data) < 32:
        return []
    page_size = struct.unpack(">I", data[8:12])[0]
    out, offset = [], 32
    while offset + 24 + page_size <= len(data):
        out.append(struct.unpack(">II", data[offset:offset + 8]))
        offset += 24 + page_size
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    args = parser.parse_args()
    plugins = os.environ.get("HERALD_PLUGIN_DIR", str(ROOT / "build/lib/herald/plugins"))
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "bench.yaml")
        pathlib.Path(config).write_text(CONFIG.format(plugins=plugins))
        db = os.path.join(work, "bench.db")
        host = herald.Host(config, clock=herald.VirtualClock("2027-01-15T08:00:00Z"))
        ids = [host.submit("announce", "corp", f"Post number {i}", author="ana").id
               for i in range(args.posts)]
        runs = []
        checkpoint(db)
        host.run()
        runs.append(("first run (draft)", frames(db)))
        for post_id in ids:
            host.approve(post_id, as_="mo")
        checkpoint(db)
        host.run()
        runs.append(("second run (approve to amplify)", frames(db)))
        with sqlite3.connect(db) as c:
            table_of = dict(c.execute("SELECT pageno, name FROM dbstat"))
        del host
    total = collections.Counter()
    for label, written in runs:
        by_table = collections.Counter(table_of.get(page, "?") for page, _ in written)
        total.update(by_table)
        commits = sum(1 for _, size in written if size)
        print(f"{label}: {len(written)} frames in {commits} commits: "
              + ", ".join(f"{name} {n}" for name, n in by_table.most_common()))
    print(f"both runs: {sum(total.values())} frames for {args.posts} posts: "
          + ", ".join(f"{name} {n}" for name, n in total.most_common()))


if __name__ == "__main__":
    main()
