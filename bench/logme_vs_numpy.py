#!/usr/bin/python3
"""LogME: xferval's logme_classification against a NumPy implementation of the reference algorithm.

Usage: /usr/bin/python3 bench/logme_vs_numpy.py BUILD/bench/logme_bench [N D CLASSES]

Writes seeded features (N = 10,000, D = 1,024, 10 classes by default) and labels to temporary .npy files,
times thuml/LogME's default LogME.py fixed-point algorithm (truncated_svd through FᵀF when N > D, at most
11 updates, 1e-5 guards, stop at 1e-3) with the rank fix (k/2 log alpha), runs the C++ bench on the same
files, checks that the values agree to 1e-6 relative and prints both times (best of 3) and the ratio.
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def truncated_svd(x):
    u, s, vh = np.linalg.svd(x.transpose() @ x)
    s = np.sqrt(s)
    u_times_sigma = x @ vh.transpose()
    k = np.sum((s > 1e-10) * 1)
    s = s.reshape(-1, 1)[:k]
    vh = vh[:k]
    u = u_times_sigma[:, :k] / s.reshape(1, -1)
    return u, s, vh


def logme_fixed_point(f, y):
    f = f.astype(np.float64)
    N, D = f.shape
    if N > D:
        u, s, vh = truncated_svd(f)
    else:
        u, s, vh = np.linalg.svd(f, full_matrices=False)
    s = s.reshape(-1, 1)
    sigma = s ** 2
    k = sigma.shape[0]
    evidences = []
    for i in range(int(y.max() + 1)):
        y_ = (y == i).astype(np.float64).reshape(-1, 1)
        x = u.T @ y_
        x2 = x ** 2
        res_x2 = (y_ ** 2).sum() - x2.sum()
        alpha, beta = 1.0, 1.0
        for _ in range(11):
            t = alpha / beta
            gamma = (sigma / (sigma + t)).sum()
            m2 = (sigma * x2 / ((t + sigma) ** 2)).sum()
            res2 = (x2 / ((1 + sigma / t) ** 2)).sum() + res_x2
            alpha = gamma / (m2 + 1e-5)
            beta = (N - gamma) / (res2 + 1e-5)
            if abs(alpha / beta - t) / t <= 1e-3:
                break
        # The rank fix: the log-determinant over all D directions pads sigma with D - k zeros.
        evidence = (k / 2.0 * np.log(alpha) + N / 2.0 * np.log(beta)
                    - 0.5 * np.sum(np.log(alpha + beta * sigma))
                    - beta / 2.0 * res2 - alpha / 2.0 * m2 - N / 2.0 * np.log(2 * np.pi)) / N
        evidences.append(evidence)
    return float(np.mean(evidences))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    n, d, classes = (int(a) for a in sys.argv[2:5]) if len(sys.argv) >= 5 else (10000, 1024, 10)
    rs = np.random.RandomState(42)
    labels = np.arange(n) % classes
    features = 0.3 * rs.randn(classes, d)[labels] + rs.randn(n, d)
    with tempfile.TemporaryDirectory() as folder:
        features_path = os.path.join(folder, "features.npy")
        labels_path = os.path.join(folder, "labels.npy")
        np.save(features_path, features)
        np.save(labels_path, labels.astype(np.int64))
        numpy_times = []
        for _ in range(3):
            start = time.perf_counter()
            numpy_score = logme_fixed_point(features, labels)
            numpy_times.append(time.perf_counter() - start)
        out = subprocess.run([binary, features_path, labels_path, "3"], check=True, capture_output=True,
                             text=True)
    values = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    cpp_score, cpp_seconds = float(values["score"]), float(values["seconds"])
    numpy_seconds = min(numpy_times)
    relative = abs(cpp_score - numpy_score) / abs(numpy_score)
    print(f"data: N={n} D={d} classes={classes}")
    print(f"numpy  LogME {numpy_score:.12f}  {numpy_seconds:.3f} s (best of 3)")
    print(f"xferval LogME {cpp_score:.12f}  {cpp_seconds:.3f} s (best of 3)")
    print(f"relative difference {relative:.2e} (limit 1e-6); speed-up {numpy_seconds / cpp_seconds:.2f}x (target >= 3x)")
    if relative > 1e-6:
        sys.exit("values differ by more than 1e-6 relative")


if __name__ == "__main__":
    main()
