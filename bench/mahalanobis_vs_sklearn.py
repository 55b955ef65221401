#!/usr/bin/python3
"""Ledoit-Wolf fit + squared Mahalanobis distances of every row: scikit-learn vs bench/mahalanobis_bench.

Usage: /usr/bin/python3 bench/mahalanobis_vs_sklearn.py BUILD/bench/mahalanobis_bench [--rows N] [--columns P]

Writes seeded correlated float64 data to a temporary .npy, times LedoitWolf().fit(X) + .mahalanobis(X)
(best of --repeats), runs the C++ program on the same file (best of --repeats), checks that the
shrinkage, the mean distance and a few rows agree, and prints both times and the ratio.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.covariance import LedoitWolf


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", help="path to the mahalanobis_bench binary")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(42)
    p = args.columns
    mixing = np.eye(p) + rng.standard_normal((p, p)) / np.sqrt(p)
    X = rng.standard_normal((args.rows, p)) @ mixing + np.linspace(0.0, 1.0, p)

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "rows.npy")
        np.save(path, X)

        sklearn_seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            estimator = LedoitWolf().fit(X)
            distances = estimator.mahalanobis(X)
            sklearn_seconds.append(time.perf_counter() - start)

        cpp_seconds = []
        for _ in range(args.repeats):
            run = subprocess.run([args.bench, path], capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"bench failed: {run.stderr}")
            values = dict(line.split(" ", 1) for line in run.stdout.splitlines())
            cpp_seconds.append(float(values["seconds"]))

    checks = [("shrinkage", float(values["shrinkage"]), estimator.shrinkage_),
              ("mean", float(values["mean"]), distances.mean())]
    checks += [(f"row_{i}", float(values[f"row_{i}"]), distances[i]) for i in range(5)]
    checks.append(("row_last", float(values["row_last"]), distances[-1]))
    worst = 0.0
    for name, cpp, reference in checks:
        relative = abs(cpp - reference) / abs(reference)
        worst = max(worst, relative)
        print(f"{name:10s} C++ {cpp:.12g}  sklearn {reference:.12g}  relative difference {relative:.1e}")
    agree = worst < 1e-8

    best_sklearn, best_cpp = min(sklearn_seconds), min(cpp_seconds)
    print(f"data: {args.rows} x {p} float64")
    print(f"scikit-learn LedoitWolf().fit + mahalanobis: {best_sklearn:.3f} s (best of {args.repeats})")
    print(f"xferval fit_gaussian + MahalanobisScorer:    {best_cpp:.3f} s (best of {args.repeats}; "
          f"fit {float(values['fit_seconds']):.3f} s, distances {float(values['score_seconds']):.3f} s)")
    print(f"speed-up: {best_sklearn / best_cpp:.2f}x")
    print("distances agree" if agree else f"DISTANCES DISAGREE (worst relative difference {worst:.1e})")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
