#!/usr/bin/env python3
"""Runs every benchmark once, with as few iterations as Google Benchmark allows, so that a
benchmark that no longer works (it skips with an error, crashes or prints something other than
its results) fails the test suite instead of going unnoticed until someone measures.

    run_once.py BIN_DIR

The due-queue benchmark at a million posts (BM_ClaimDueBatch) builds a store of a million posts
and runs a fixed 500 claims: it is left to scripts/bench-schedule.sh; its memory benchmark runs
here at 10,000 posts, and so does `herald submit` against a store (BM_SubmitCommand).
"""
import json
import os
import subprocess
import sys
import tempfile

# Each binary, and the benchmarks of it to run (None: all).
BENCHMARKS = [
    ("herald_bench", None),
    ("herald_python_bench", None),
    ("herald_publish_bench", "latency_ms:0/posts:1000/concurrency:8"),
    ("herald_schedule_bench", "(BM_HostMemory|BM_SubmitCommand)/posts:10000"),
]


def run(binary, selection, scratch):
    command = [binary, "--benchmark_min_time=0", "--benchmark_format=json"]
    if selection:
        command.append("--benchmark_filter=" + selection)
    env = dict(os.environ, HERALD_BENCH_DIR=scratch)
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)
    name = os.path.basename(binary)
    if done.returncode != 0:
        return [f"{name} exited with {done.returncode}:\n{done.stderr[-2000:]}"]
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError as e:
        return [f"{name} printed something other than JSON on standard output ({e}):\n"
                f"{done.stdout[:500]}"]
    problems = []
    ran = report.get("benchmarks", [])
    if not ran:
        problems.append(f"{name}: no benchmark ran (filter {selection!r})")
    for b in ran:
        if b.get("error_occurred"):
            problems.append(f"{name}: {b['name']}: {b.get('error_message', 'error')}")
        else:
            print(f"ok  {name}: {b['name']}")
    return problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bin_dir = sys.argv[1]
    problems = []
    with tempfile.TemporaryDirectory(prefix="herald-bench-once-") as scratch:
        for binary, selection in BENCHMARKS:
            problems += run(os.path.join(bin_dir, binary), selection, scratch)
    for p in problems:
        print("FAILED", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
