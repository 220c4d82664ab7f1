#!/usr/bin/env python3
"""Compares the start-up of two builds of `phoebe check` on one file.

    bench/health/compare-check.py BASELINE_DLL NEW_DLL FILE [RUNS]

Runs `dotnet DLL check FILE` RUNS times (default 60) for each build, interleaved and in
alternating order (A B, B A, ...) after one unrecorded warm-up pair, so that changes in
machine load hit both alike, and prints the median wall time and the median and minimum CPU
time (user + system, from wait4, microsecond resolution) of each. The disk cache of HEALTH
blocks is off (PHOEBE_HEALTH_CACHE=off). Used for "does compiling HEALTH blocks cost rule-only
files anything": BASELINE_DLL built from a tree without src/Phoebe.Runtime/Health.
"""
import os
import statistics
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    builds = {"baseline": sys.argv[1], "new": sys.argv[2]}
    path = sys.argv[3]
    runs = int(sys.argv[4]) if len(sys.argv) == 5 else 60
    env = dict(os.environ, PHOEBE_HEALTH_CACHE="off")
    wall = {name: [] for name in builds}
    cpu = {name: [] for name in builds}
    for i in range(runs + 1):
        order = list(builds) if i % 2 == 0 else list(reversed(builds))
        for name in order:
            start = time.perf_counter()
            child = subprocess.Popen(["dotnet", builds[name], "check", path],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            _, _, usage = os.wait4(child.pid, 0)
            elapsed = (time.perf_counter() - start) * 1000
            if i > 0:
                wall[name].append(elapsed)
                cpu[name].append((usage.ru_utime + usage.ru_stime) * 1000)
    print(f"| build | wall median | CPU median | CPU min |  ({runs} runs each, ms)")
    print("|---|---:|---:|---:|")
    for name in builds:
        print(f"| {name} | {statistics.median(wall[name]):.1f} | {statistics.median(cpu[name]):.1f} | {min(cpu[name]):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
