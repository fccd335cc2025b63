#!/usr/bin/python3
"""Posts per second end to end: Herald driven from Python against a six-queue BullMQ pipeline,
run interleaved (Herald, BullMQ, Herald, BullMQ ...), with the medians and their ratio.

Each Herald run is tests/bench/e2e/herald_e2e.py in a new process; each BullMQ run is
tests/bench/e2e/bullmq_pipeline.js in a new Node.js process against a new redis-server on a free
loopback port, in a temporary folder, with the append-only file on (`appendonly yes`) and
`appendfsync` everysec (Redis's default), always (an fsync before each reply, as durable as
SQLite's synchronous=FULL), or both in turn. Every post must reach Herald's outbox, and every
job the BullMQ publish file, exactly once; a run that fails or loses a post makes the exit
status non-zero.

Started by scripts/bench-e2e.sh, which installs what it needs; see docs/performance.md.
"""
import argparse
import collections
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent


def load_average():
    return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])


def fsync_ms(count=200):
    """The median time to append 100 bytes to a file and fsync it, in this folder's file system
    (the temporary one both sides write to): what each durable commit pays at least."""
    times = []
    with tempfile.NamedTemporaryFile() as f:
        for _ in range(count):
            start = time.perf_counter()
            os.write(f.fileno(), b"x" * 99 + b"\n")
            os.fsync(f.fileno())
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class Redis:
    """A redis-server of its own in `folder`, stopped on exit."""

    def __init__(self, folder, appendfsync):
        self.folder, self.appendfsync = pathlib.Path(folder), appendfsync
        self.process = None

    def __enter__(self):
        for _ in range(5):  # the free port may be taken between the look and the bind
            self.port = free_port()
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--dir", str(self.folder), "--appendonly", "yes",
                 "--appendfsync", self.appendfsync, "--save", "",
                 "--maxmemory-policy", "noeviction", "--daemonize", "no",
                 "--logfile", str(self.folder / "redis.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.process.poll() is None:
                if redis_ping(self.port):
                    return self
                time.sleep(0.02)
            self.stop()
        raise RuntimeError("redis-server did not start; see " + str(self.folder / "redis.log"))

    def aof_bytes(self):
        return sum(p.stat().st_size for p in self.folder.rglob("*.aof*") if p.is_file())

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __exit__(self, *_):
        self.stop()


def last_json_line(text):
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def run_herald(args, env):
    command = ["/usr/bin/python3", str(HERE / "herald_e2e.py"), "--posts", str(args.posts),
               "--advocates", str(args.advocates), "--legal-every", str(args.legal_every)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    result = last_json_line(done.stdout)
    problems = []
    if done.returncode != 0 or result is None:
        problems.append(f"exit status {done.returncode}: {done.stderr.strip()[-2000:]}")
    elif not result["ok"] or result["published_once"] != args.posts \
            or result["published"] != args.posts:
        problems.append(f"{result['published_once']} of {args.posts} posts in the outbox "
                        f"({result['published']} lines), states {result['states']}")
    return result, problems


def run_bullmq(args, env, appendfsync):
    with tempfile.TemporaryDirectory(prefix="bullmq-e2e-") as folder:
        published = pathlib.Path(folder) / "published.jsonl"
        with Redis(folder, appendfsync) as redis:
            command = ["node", str(HERE / "bullmq_pipeline.js"), "--port", str(redis.port),
                       "--out", str(published), "--posts", str(args.posts),
                       "--concurrency", str(args.concurrency)]
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            aof = redis.aof_bytes()
        result = last_json_line(done.stdout)
        problems = []
        if done.returncode != 0 or result is None:
            problems.append(f"exit status {done.returncode}: "
                            f"{(done.stderr.strip() or done.stdout.strip())[-2000:]}")
        lines = published.read_text().splitlines() if published.exists() else []
        counted = collections.Counter(json.loads(line)["post"] for line in lines if line)
        if set(counted) != set(range(1, args.posts + 1)) or len(lines) != args.posts:
            problems.append(f"{len(counted)} of {args.posts} posts in the publish file "
                            f"({len(lines)} lines)")
        if result is not None:
            result.update(appendfsync=appendfsync, aof_bytes=aof, published=len(lines),
                          published_once=len(counted))
        return result, problems


def describe(result):
    if result["side"] == "herald":
        return (f"herald           {result['posts_per_s']:>8,.0f} posts/s  "
                f"{result['seconds']:.2f} s: ingest {result['ingest_s']:.3f}, runs "
                f"{result['runs_s']:.2f} ({result['engine_runs']} runs, {result['rounds']} rounds), "
                f"approvals {result['approvals_s']:.2f}, legal {result['legal_s']:.2f}")
    return (f"bullmq {result['appendfsync']:<9} {result['posts_per_s']:>8,.0f} posts/s  "
            f"{result['seconds']:.2f} s: enqueue {result['enqueue_s']:.3f}; "
            f"append-only file {result['aof_bytes'] / 1e6:.1f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000, help="posts per run (default 2000)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each side (default 5)")
    parser.add_argument("--appendfsync", choices=["everysec", "always", "both"], default="both",
                        help="Redis's append-only file policy (default both: everysec, then "
                             "always, in each round)")
    parser.add_argument("--concurrency", type=int, default=10,
                        help="jobs each BullMQ worker runs at once (default 10)")
    parser.add_argument("--advocates", type=int, default=3,
                        help="people opted in to share Herald's posts (default 3)")
    parser.add_argument("--legal-every", type=int, default=10,
                        help="one Herald post in this many is held by legal review and "
                             "cleared through the API (0: none; default 10)")
    parser.add_argument("--json", metavar="FILE", help="also write every run to FILE")
    args = parser.parse_args()
    if args.posts < 1 or args.runs < 1:
        parser.error("--posts and --runs must be 1 or more")

    modes = ["everysec", "always"] if args.appendfsync == "both" else [args.appendfsync]
    env = dict(os.environ)
    print(f"load average at start: {load_average()}  "
          f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores); "
          f"append and fsync: {fsync_ms():.2f} ms (median)")
    print(f"{args.posts} posts a run, {args.runs} runs of each side, interleaved; Herald with "
          f"{args.advocates} advocates, one post in {args.legal_every or 'none'} held by legal; "
          f"BullMQ with {args.concurrency} jobs at once per worker")
    results = collections.defaultdict(list)
    failures = []
    everything = []
    for round_ in range(1, args.runs + 1):
        sides = [("herald", lambda: run_herald(args, env))]
        sides += [(f"bullmq {m}", lambda m=m: run_bullmq(args, env, m)) for m in modes]
        for name, run in sides:
            result, problems = run()
            if result is not None:
                result["round"] = round_
                everything.append(result)
            if problems:
                failures.append(f"run {round_} {name}: " + "; ".join(problems))
                print(f"run {round_}/{args.runs}  {name}: FAILED (below)", flush=True)
                continue
            results[name].append(result["posts_per_s"])
            print(f"run {round_}/{args.runs}  {describe(result)}", flush=True)

    print(f"load average at end: {load_average()}; append and fsync: {fsync_ms():.2f} ms")
    medians = {name: statistics.median(rates) for name, rates in results.items()}
    for name, rates in results.items():
        print(f"median {name:<16} {medians[name]:>8,.0f} posts/s  "
              f"(range {min(rates):,.0f}–{max(rates):,.0f})")
    for mode in modes:
        key = f"bullmq {mode}"
        if "herald" in medians and key in medians:
            print(f"ratio herald / bullmq {mode}: {medians['herald'] / medians[key]:.2f}×")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {"load_average": load_average(), "runs": everything,
             "medians": medians, "failures": failures}, indent=1) + "\n")
    for failure in failures:
        print("bench-e2e: " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
