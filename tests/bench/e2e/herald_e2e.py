#!/usr/bin/python3
"""One end-to-end run of Herald's six-step workflow, as a user drives it from Python.

A fresh store and configuration: draft, approve (marketing), legal review, schedule, publish to
the outbox and amplify (advocacy: the people who opted in to the account are asked to share),
every step at its default durability (SQLite synchronous=FULL, the outbox's fsync on, the
advocacy ledger and share requests fsync'd). Timed from the first submit to the last post done:
submit_many, run, one approval per post through the API, legal's decision on the posts legal
review holds, and run again until every post is done.

Prints one JSON line: posts, seconds, posts_per_s, the split (ingest, runs, approvals, legal)
and what reached the outbox. Exits non-zero if a post is not done or did not reach the outbox
exactly once.

Usage: PYTHONPATH=build/python /usr/bin/python3 tests/bench/e2e/herald_e2e.py [--posts N]
"""
import argparse
import collections
import json
import os
import pathlib
import sys
import tempfile
import time

import herald

CONFIG = """herald: 1
accounts:
  corp: {{ network: mastodon }}
people:
  ana: {{ roles: [writer] }}
  mo: {{ roles: [marketing] }}
  grace: {{ roles: [legal] }}
{advocates}
workflows:
  announce:
    steps:
      - {{ kind: draft, plugin: draft/check, config: {{ forbidden_words: [free, cheap] }} }}
      - {{ kind: approve, plugin: approve, config: {{ role: marketing }} }}
      - {{ kind: legal_review, plugin: legal_review, config: {{ keywords: [forecast] }} }}
      - {{ kind: schedule, plugin: schedule/at }}
      - {{ kind: publish, plugin: outbox, config: {{ directory: out }} }}
      - {{ kind: amplify, plugin: advocacy, config: {{ directory: out }} }}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--advocates", type=int, default=3,
                        help="people opted in to share the account's posts (default 3)")
    parser.add_argument("--legal-every", type=int, default=10,
                        help="one post in this many mentions a forecast, which legal review "
                             "holds until legal clears it (0: none; default 10)")
    args = parser.parse_args()

    advocates = [f"adv{i}" for i in range(args.advocates)]
    with tempfile.TemporaryDirectory(prefix="herald-e2e-") as work:
        config = pathlib.Path(work) / "herald.yaml"
        config.write_text(CONFIG.format(
            advocates="\n".join(f"  {name}: {{}}" for name in advocates)))
        clock = herald.VirtualClock("2027-01-15T08:00:00Z")
        host = herald.Host(str(config), clock=clock)
        for name in advocates:
            host.advocacy(name, "corp")
        held = set()
        posts = []
        for i in range(args.posts):
            if args.legal_every and i % args.legal_every == args.legal_every - 1:
                text = f"Post number {i}: our forecast for the quarter"
                held.add(i)
            else:
                text = f"Post number {i}"
            posts.append({"workflow": "announce", "account": "corp", "author": "ana",
                          "text": text})

        split = collections.Counter()
        runs = []

        def run():
            start = time.perf_counter()
            summary = host.run()
            split["runs"] += time.perf_counter() - start
            runs.append(summary)
            return summary

        start = time.perf_counter()
        ids = host.submit_many(posts)
        split["ingest"] = time.perf_counter() - start
        run()  # draft; every post waits for marketing
        mark = time.perf_counter()
        for post_id in ids:
            host.approve(post_id, as_="mo")
        split["approvals"] = time.perf_counter() - mark
        finished = run().finished  # approve to amplify; legal review holds the forecasts
        mark = time.perf_counter()
        for i in held:
            host.legal(ids[i], as_="grace", decision="clear")
        split["legal"] = time.perf_counter() - mark
        while finished < args.posts:
            summary = run()
            if summary.finished == 0:
                break
            finished += summary.finished
        seconds = time.perf_counter() - start

        # Untimed checks: every post done, and in the outbox exactly once.
        states = collections.Counter(post.state for post in host.status())
        outbox = pathlib.Path(work) / "out" / "corp.jsonl"
        published = collections.Counter(
            json.loads(line)["post"] for line in outbox.read_text().splitlines() if line)
        requests = pathlib.Path(work) / "outbox" / "share-requests.jsonl"  # the built-in notifier's
        share_requests = len(requests.read_text().splitlines()) if requests.exists() else 0
        host.close()

    ok = (states.get("done", 0) == args.posts and len(published) == args.posts
          and set(published) == set(ids) and max(published.values()) == 1)
    print(json.dumps({
        "side": "herald", "posts": args.posts, "seconds": round(seconds, 4),
        "posts_per_s": round(args.posts / seconds, 1),
        "ingest_s": round(split["ingest"], 4), "runs_s": round(split["runs"], 4),
        "approvals_s": round(split["approvals"], 4), "legal_s": round(split["legal"], 4),
        "engine_runs": len(runs), "rounds": sum(s.rounds for s in runs),
        "legal_holds": len(held), "advocates": len(advocates),
        "share_requests": share_requests, "states": dict(states),
        "published": sum(published.values()), "published_once": len(published), "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
