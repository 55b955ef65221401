"""Comparison throughput of `xferval verify` against NumPy on a pair of generated float32 safetensors
files (about 1 GB each; 256 MB each with --small). NumPy reads the same files with np.memmap at the
tensors' offsets and computes the same per-tensor MSE, max |delta|, relative L2 and cosine in
float64. Both run on warm page cache. Usage: /usr/bin/python3 bench/verify_vs_numpy.py BINARY [--small]"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

BINARY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/xferval"
SMALL = "--small" in sys.argv
ROWS, COLS = 4096, 4096                 # 64 MB float32 per tensor
COUNT = 4 if SMALL else 16              # 256 MB or 1 GB per file


def write_pair(folder):
    rng = np.random.default_rng(0)
    names = [f"layer{i:02d}.weight" for i in range(COUNT)]
    size = ROWS * COLS * 4
    header = {name: {"dtype": "F32", "shape": [ROWS, COLS], "data_offsets": [i * size, (i + 1) * size]}
              for i, name in enumerate(names)}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    paths = [os.path.join(folder, "base.safetensors"), os.path.join(folder, "tuned.safetensors")]
    with open(paths[0], "wb") as base, open(paths[1], "wb") as tuned:
        for handle in (base, tuned):
            handle.write(struct.pack("<Q", len(text)) + text)
        for _ in names:
            w = rng.standard_normal((ROWS, COLS), dtype=np.float32) * np.float32(0.02)
            base.write(w.tobytes())
            tuned.write((w + rng.standard_normal((ROWS, COLS), dtype=np.float32) * np.float32(1e-4)).tobytes())
    return paths, 8 + len(text), names


def numpy_compare(paths, data_start, names):
    out = {}
    size = ROWS * COLS
    for i, name in enumerate(names):
        offset = data_start + i * size * 4
        b = np.memmap(paths[0], dtype="<f4", mode="r", offset=offset, shape=(size,)).astype(np.float64)
        t = np.memmap(paths[1], dtype="<f4", mode="r", offset=offset, shape=(size,)).astype(np.float64)
        d = t - b
        bn, tn = np.linalg.norm(b), np.linalg.norm(t)
        out[name] = {"mse": float(np.mean(d * d)), "max": float(np.max(np.abs(d))),
                     "rel": float(np.linalg.norm(d) / (bn + 1e-12)), "cos": float(b @ t / (bn * tn))}
    return out


def main():
    folder = tempfile.mkdtemp(prefix="xferval-bench-", dir="/tmp")
    try:
        paths, data_start, names = write_pair(folder)
        total = sum(os.path.getsize(p) for p in paths)
        for path in paths:  # warm the page cache for both contenders
            with open(path, "rb") as handle:
                while handle.read(1 << 24):
                    pass
        report = os.path.join(folder, "report.json")
        started = time.perf_counter()
        result = subprocess.run([BINARY, "verify", "--base", paths[0], "--tuned", paths[1], "--no-alpha", "-q",
                                 "-o", report], capture_output=True, text=True)
        ours = time.perf_counter() - started
        if result.returncode not in (0, 1):
            sys.exit(f"xferval failed: {result.stderr}")
        started = time.perf_counter()
        reference = numpy_compare(paths, data_start, names)
        theirs = time.perf_counter() - started
        with open(report) as handle:
            tensors = {t["name"]: t for t in json.load(handle)["sections"]["params"]["tensors"]}
        worst = max(abs(tensors[n][k] - reference[n][m]) / abs(reference[n][m])
                    for n in names for k, m in [("mse", "mse"), ("max_abs_delta", "max"), ("relative_l2", "rel"),
                                                ("cosine", "cos")])
        print(f"files: 2 x {total / 2 / 1e9:.3f} GB float32, {len(names)} tensors of {ROWS}x{COLS}")
        print(f"xferval verify --no-alpha: {ours:.3f} s, {total / ours / 1e9:.2f} GB/s (both files)")
        print(f"NumPy memmap + float64:    {theirs:.3f} s, {total / theirs / 1e9:.2f} GB/s")
        print(f"ratio NumPy / xferval:     {theirs / ours:.2f}x")
        print(f"largest relative difference of a figure: {worst:.2e}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


main()
