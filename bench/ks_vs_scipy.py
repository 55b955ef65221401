#!/usr/bin/python3
"""Side-by-side timing of ks_2samp over 64 features of 1,000,000 rows per side: SciPy in a loop
over the columns against the C++ bench (bench/ks_bench.cpp, sort once per column, 2 threads).

Usage: /usr/bin/python3 bench/ks_vs_scipy.py BUILD/bench/ks_bench [--rows N] [--features F]

The data are generated here with the same counter-based splitmix64 stream the C++ bench uses, so
both sides test identical columns; the statistics and p-values are checked to agree before the
times are printed. Generation is not timed on either side.
"""
import argparse
import subprocess
import sys
import time

import numpy as np
from scipy import stats

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def column(seed, side, feature, rows, features):
    k = (np.uint64(side * features + feature) * np.uint64(rows)) + np.arange(rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        u = (splitmix64(np.uint64(seed) + k * GOLDEN) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return u if side == 0 else u ** (1.0 + 0.002 * feature)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    scipy_seconds = 0.0
    expected = []
    for f in range(args.features):
        a = column(args.seed, 0, f, args.rows, args.features)
        b = column(args.seed, 1, f, args.rows, args.features)
        start = time.perf_counter()
        r = stats.ks_2samp(a, b)
        scipy_seconds += time.perf_counter() - start
        expected.append((float(r.statistic), float(r.pvalue)))

    out = subprocess.run([args.bench, "--rows", str(args.rows), "--features", str(args.features),
                          "--seed", str(args.seed), "--threads", "2"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    cpp_seconds = float(out[0].split()[1])
    worst_stat, worst_p = 0.0, 0.0
    for line, (d, p) in zip(out[1:], expected):
        _, cd, cp = line.split()
        cd, cp = float(cd), float(cp)
        worst_stat = max(worst_stat, abs(cd - d) / max(d, 1e-300))
        worst_p = max(worst_p, abs(cp - p) / max(p, 1e-300))
    ok = len(out) - 1 == args.features and worst_stat <= 1e-9 and worst_p <= 1e-9
    print(f"features {args.features} x rows {args.rows} per side")
    print(f"scipy.stats.ks_2samp loop: {scipy_seconds:.3f} s")
    print(f"xferval ks_bench (2 threads): {cpp_seconds:.3f} s")
    print(f"speed-up: {scipy_seconds / cpp_seconds:.1f}x")
    print(f"largest relative difference: statistic {worst_stat:.2e}, p-value {worst_p:.2e}")
    print(f"p-values range {min(p for _, p in expected):.3g} .. {max(p for _, p in expected):.3g}")
    if not ok:
        print("MISMATCH between SciPy and xferval", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
