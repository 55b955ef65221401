#!/usr/bin/python3
"""Embedding extraction of the Fashion-MNIST training images (60,000) through the example CNN:
xferval (LibTorch from C++, bench/embed_bench.cpp) against python3-torch on the same model and
input, same run. Both read the gzipped IDX file, normalise, and compute embeddings and logits in
batches of 256 on the CPU with the same number of threads.

Usage: /usr/bin/python3 bench/embed_vs_torch.py BUILD/bench/embed_bench [--repeat 3]
"""
import argparse
import gzip
import os
import struct
import subprocess
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "examples", "models", "fmnist_cnn_0-4.pt")
IMAGES = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
MEAN, STD = 80.0, 92.5


def python_side():
    start = time.perf_counter()
    with gzip.open(IMAGES, "rb") as handle:
        data = handle.read()
    shape = struct.unpack(">III", data[4:16])
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(shape)
    x = (torch.from_numpy(images.astype(np.float32)).unsqueeze(1) - MEAN) / STD
    read = time.perf_counter()
    model = torch.jit.load(MODEL)
    embeddings, logits = [], []
    with torch.no_grad():
        for i in range(0, len(x), 256):
            batch = x[i:i + 256]
            embeddings.append(model.forward_features(batch))
            logits.append(model(batch))
    e, l = torch.cat(embeddings), torch.cat(logits)
    return read - start, time.perf_counter() - read, e.double().sum().item(), l.double().sum().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())  # LibTorch in C++ uses every core by default
    threads = torch.get_num_threads()
    best_py, best_cpp = None, None
    for _ in range(args.repeat):
        read, embed, e_sum, l_sum = python_side()
        best_py = min(best_py or 1e9, read + embed)
        out = subprocess.run([args.bench, MODEL, IMAGES, str(MEAN), str(STD)], capture_output=True, text=True,
                             check=True).stdout.split("\n")
        values = dict(line.split(" ", 1) for line in out if line)
        best_cpp = min(best_cpp or 1e9, float(values["read"].split()[0]) + float(values["embed"].split()[0]))
        c_e, c_l = map(float, values["checksum"].split())
    print(f"python3-torch {torch.__version__} ({threads} threads): {best_py:.3f} s")
    print(f"xferval embed_bench: {best_cpp:.3f} s")
    print(f"ratio: {best_py / best_cpp:.2f}x")
    print(f"checksums: embeddings {c_e:.6f} vs {e_sum:.6f}, logits {c_l:.6f} vs {l_sum:.6f}")
    assert abs(c_e - e_sum) <= 1e-4 * abs(e_sum) and abs(c_l - l_sum) <= 1e-4 * abs(l_sum), "outputs differ"


if __name__ == "__main__":
    main()
