#!/usr/bin/env python3
"""Drives a whole workflow from Python: submit two posts, approve one as two people and the
other as support, run the engine on a virtual clock, and print each post's audit trail.

    PYTHONPATH=build/python /usr/bin/python3 samples/python/drive.py [--fresh]
"""

import argparse
import os
import pathlib
import sys

import herald

HERE = pathlib.Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(HERE / "herald.yaml"))
    parser.add_argument("--fresh", action="store_true", help="start from an empty store")
    args = parser.parse_args()
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            path = pathlib.Path(args.config).with_name("python-demo.db" + suffix)
            if path.exists():
                path.unlink()

    clock = herald.VirtualClock("2026-12-01T09:00:00Z")
    host = herald.Host(args.config, clock=clock)

    launch = host.submit("announce", "acme_mastodon",
                         "We open our Oslo office today! Read more: https://acme.example/oslo",
                         author="ana", tags=["news"])
    complaint = host.submit("announce", "acme_mastodon",
                            "We are sorry the app was not working this morning. "
                            "Details and refund: https://acme.example/status",
                            author="ana")
    host.run(clock=clock)

    for post in (launch, complaint):
        now = host.status(post.id)
        print(f"post {now.id}: {now.state} at {now.step or '-'} on {now.account}; "
              f"waits for {now.expects}")

    host.approve(launch.id, as_="mo", comment="great news")
    host.approve(launch.id, as_="li")
    host.approve(complaint.id, as_="eve")
    summary = host.run(clock=clock)
    print(f"engine: {summary.rounds} rounds, {summary.steps_run} steps, "
          f"{summary.finished} posts finished")

    for post in (launch, complaint):
        now = host.status(post.id)
        print(f"\npost {now.id} ({now.state} on {now.account}, tags {now.tags}):\n  {now.text}")
        for entry in host.audit(post.id):
            print(f"  {entry.actor:<24} {entry.action:<8} {entry.step:<16} "
                  f"{entry.from_state}->{entry.to_state}  {entry.detail}")
    finished = [host.status(p.id).state for p in (launch, complaint)]
    return 0 if finished == ["done", "done"] else 1


if __name__ == "__main__":
    sys.exit(main())
