#!/usr/bin/env python3
"""How s3logq scales with cores: `SELECT count(*)`, each report alone and
all reports together over one log file, run on the first N cores (CPU
affinity, which the parse pool and DataFusion both follow), for one or more
builds, in interleaved rounds so that a slow spell hits every configuration
alike. Per run: wall time, CPU time (user + system) and peak RSS of that
process alone. Prints the median and best wall of each configuration and,
per core count and build, all reports together against the dearest alone.

    benches/scaling.py LOG ROUNDS CORES BINARY... [--only NAME,...]

CORES is a comma-separated list (1,2,4,8,16); --only limits the reports run
alone (the dearest must be among them for the ratio to mean anything).
"""
import argparse
import collections
import os
import statistics
import subprocess
import time


def measure(binary, args, cores):
    """Wall seconds, CPU seconds, peak RSS in MiB and exit status of one run."""
    cpus = set(range(cores))
    start = time.perf_counter()
    process = subprocess.Popen([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log")
    parser.add_argument("rounds", type=int)
    parser.add_argument("cores")
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--only", help="reports to run alone, comma-separated (default: all)")
    opts = parser.parse_args()
    listed = subprocess.run([opts.binaries[0], "reports"], capture_output=True, text=True, check=True).stdout
    names = opts.only.split(",") if opts.only else [line.split()[0] for line in listed.splitlines() if line.strip()]
    report = lambda *only: ["report", "--quiet", "--format", "json"] + [a for n in only for a in ("--only", n)] + [opts.log]
    core_counts = [int(c) for c in opts.cores.split(",")]
    runs = []  # (cores, build, name, binary, args)
    for cores in core_counts:
        runs.append((cores, "", "count(*)", opts.binaries[0], ["query", "--format", "csv", "SELECT count(*) FROM logs", opts.log]))
        for binary in opts.binaries:
            build = os.path.basename(binary)
            runs += [(cores, build, name, binary, report(name)) for name in names]
            runs.append((cores, build, "all", binary, report()))
    results = collections.defaultdict(list)
    for _ in range(opts.rounds):
        for cores, build, name, binary, args in runs:
            results[(cores, build, name)].append(measure(binary, args, cores))

    print(f"{'cores':>5} {'build':<16} {'run':<34} {'wall med':>8} {'wall min':>8} {'CPU med':>7} {'RSS MiB':>7}")
    for (cores, build, name), values in results.items():
        failed = sum(1 for v in values if v[3] != 0)
        print(f"{cores:5} {build:<16} {name:<34} {statistics.median(v[0] for v in values):8.3f} "
              f"{min(v[0] for v in values):8.3f} {statistics.median(v[1] for v in values):7.2f} "
              f"{max(v[2] for v in values):7.0f}" + (f"  {failed} FAILED" if failed else ""))
    for cores in core_counts:
        for binary in opts.binaries:
            build = os.path.basename(binary)
            wall = lambda name, pick: pick(v[0] for v in results[(cores, build, name)])
            median_dearest = max(names, key=lambda n: wall(n, statistics.median))
            best_dearest = max(names, key=lambda n: wall(n, min))
            print(f"{cores:2} cores, {build}: all together / dearest alone: "
                  f"median {wall('all', statistics.median) / wall(median_dearest, statistics.median):.2f}x "
                  f"({median_dearest}), best {wall('all', min) / wall(best_dearest, min):.2f}x ({best_dearest})")


if __name__ == "__main__":
    main()
