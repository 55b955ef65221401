#!/usr/bin/env python3
"""Benchmark: `xferval profile` against pandas read_csv + describe(percentiles) + cov on the same
1,000,000 x 32 numeric CSV (fixed seed), in the same run. Prints both times, MB/s and the ratio.

usage: /usr/bin/python3 bench/profile_vs_pandas.py [path/to/xferval] [--rows N] [--repeat K]

Also times xferval with XFERVAL_VECTOR=portable (the code a CPU without AVX-512 runs).
"""
import argparse
import os
import subprocess
import sys
import resource
import tempfile
import time

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PERCENTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]


def generate(path, rows, columns, seed=20261128):
    """Mixed scales and shapes: normal, lognormal, uniform and integer-valued columns."""
    rng = np.random.default_rng(seed)
    blocks = []
    for j in range(columns):
        kind = j % 4
        if kind == 0:
            blocks.append(rng.normal(loc=j, scale=1 + j, size=rows))
        elif kind == 1:
            blocks.append(rng.lognormal(mean=0.0, sigma=1.0, size=rows))
        elif kind == 2:
            blocks.append(rng.uniform(-1000, 1000, size=rows))
        else:
            blocks.append(rng.integers(0, 100, size=rows).astype(np.float64))
    frame = pd.DataFrame(np.column_stack(blocks), columns=[f"x{j}" for j in range(columns)])
    temporary = path + ".tmp"
    frame.to_csv(temporary, index=False, float_format="%.6g")
    os.replace(temporary, path)


def best_time(function, repeat, cpu_clock):
    """Best wall time and best CPU time (cpu_clock: seconds of CPU used so far) of `repeat` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), cpu_clock()
        function()
        walls.append(time.perf_counter() - start)
        cpus.append(cpu_clock() - start_cpu)
    return min(walls), min(cpus)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?", default=os.path.join(ROOT, "build", "xferval"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    folder = os.path.join(ROOT, "bench", "data")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"numeric_{args.rows}x{args.columns}.csv")
    if not os.path.exists(path):
        print(f"generating {path} ...", file=sys.stderr)
        generate(path, args.rows, args.columns)
    size_mb = os.path.getsize(path) / 1e6

    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "bench.profile.json")

        def run_xferval(environment=None):
            subprocess.run([args.binary, "profile", path, "-q", "-o", out], check=True, stdout=subprocess.DEVNULL,
                           env=environment)

        def run_portable():  # the vector kernels off: what a CPU without AVX-512 runs
            run_xferval({**os.environ, "XFERVAL_VECTOR": "portable"})

        def run_pandas():
            frame = pd.read_csv(path)
            frame.describe(percentiles=PERCENTILES)
            frame.cov()

        run_xferval()  # warm the page cache for both
        xferval_seconds, xferval_cpu = best_time(run_xferval, args.repeat, children_cpu)
        portable_seconds, portable_cpu = best_time(run_portable, args.repeat, children_cpu)
        pandas_seconds, pandas_cpu = best_time(run_pandas, args.repeat, time.process_time)

    print(f"input: {path} ({args.rows} rows x {args.columns} columns, {size_mb:.1f} MB)")
    print(f"xferval profile: {xferval_seconds:8.3f} s  {size_mb / xferval_seconds:8.1f} MB/s")
    print(f"pandas {pd.__version__} read_csv+describe+cov: {pandas_seconds:8.3f} s  {size_mb / pandas_seconds:8.1f} MB/s")
    print(f"ratio (pandas / xferval): {pandas_seconds / xferval_seconds:.1f}x  (best of {args.repeat})")
    # On a shared machine wall time also measures the neighbours; CPU time (xferval's on all its
    # threads, pandas' process time) does not, and says what the work costs.
    print(f"CPU time: xferval {xferval_cpu:.3f} s, pandas {pandas_cpu:.3f} s, ratio {pandas_cpu / xferval_cpu:.1f}x")
    print(f"xferval with XFERVAL_VECTOR=portable (no AVX-512 kernels): {portable_seconds:.3f} s, "
          f"ratio {pandas_seconds / portable_seconds:.1f}x, CPU {portable_cpu:.3f} s")


if __name__ == "__main__":
    main()
