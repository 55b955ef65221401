#!/usr/bin/python3
"""One fine-tuning epoch: xferval's LibTorch loop (bench/train_bench.cpp over src/model/fine_tune.cpp)
against the same loop in python3-torch, same run, same model (examples/models/fmnist_cnn_0-4.pt),
same data (the 5000 source images of fmnist_source_0-4.npz, standardised as the card says), batch
64, Adam 1e-3, a seeded shuffle each epoch, the same thread count. Python runs the loop on the
eager SmallCnn carrying the model's weights (how a Python user writes it) and on the TorchScript
module itself (what xferval trains). Reported: the median epoch after one warm-up epoch.

xferval sets OpenBLAS's kernel from the CPU's features, keeps OpenBLAS single-threaded under
LibTorch's own threads and shortens OpenMP's spin-wait (src/model/torch_backend_loader.cpp); the
last line runs the eager Python loop again in a process given the same settings, to show what that
choice is worth to a Python user.

Usage: /usr/bin/python3 bench/train_epoch_vs_torch.py BUILD/xferval BUILD/bench/train_bench
           [--epochs 4] [--threads 2]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "examples", "models", "fmnist_cnn_0-4.pt")
DATA = os.path.join(ROOT, "examples", "models", "fmnist_source_0-4.npz")


class SmallCnn(nn.Module):
    """The architecture of examples/models/make_models.py."""

    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU())
        self.classifier = nn.Linear(64, classes)

    def forward(self, x):
        return self.classifier(self.features(x))


def python_epochs(model, x, y, epochs, batch=64, lr=1e-3):
    torch.manual_seed(0)
    model.train()
    optimiser = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x))
        total = torch.zeros(())
        for begin in range(0, len(x), batch):
            index = order[begin:begin + batch]
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(x[index]), y[index])
            loss.backward()
            optimiser.step()
            total += loss.detach() * len(index)
        total.item()
        seconds.append(time.perf_counter() - start)
    return seconds


BLAS_SETTINGS = ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "GOMP_SPINCOUNT")


def xferval_blas_environment():
    """The environment xferval gives OpenBLAS on this CPU (torch_backend_loader.cpp)."""
    flags = set()
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    environment = dict(os.environ)
    environment.setdefault("OPENBLAS_NUM_THREADS", "1")
    environment.setdefault("GOMP_SPINCOUNT", "10000")
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        environment.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    elif {"avx2", "fma"} <= flags:
        environment.setdefault("OPENBLAS_CORETYPE", "Haswell")
    return environment


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("xferval")
    parser.add_argument("bench")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eager-only", metavar="CARD", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as folder:
        card_path = args.eager_only or os.path.join(folder, "card.json")
        if not args.eager_only:
            subprocess.run([args.xferval, "card", "--model", MODEL, "--data", DATA, "--member", "images", "--label",
                            "labels", "-q", "-o", card_path], check=True, capture_output=True)
        with open(card_path) as handle:
            card = json.load(handle)
        if not args.eager_only:
            ours = json.loads(subprocess.run([args.bench, MODEL, card_path, DATA, str(args.epochs),
                                              str(args.threads)], check=True, capture_output=True, text=True).stdout)
            same_blas = json.loads(subprocess.run(
                [sys.executable, __file__, args.xferval, args.bench, "--epochs", str(args.epochs), "--threads",
                 str(args.threads), "--eager-only", card_path], env=xferval_blas_environment(), check=True,
                capture_output=True, text=True).stdout)

    tensor = card["input"]["tensor"]
    mean, std = tensor["channel_mean"][0], tensor["channel_std"][0]
    archive = np.load(DATA)
    x = (torch.tensor(archive["images"], dtype=torch.float32).unsqueeze(1) - mean) / std
    names = card["output"]["labels"]
    y = torch.tensor([names.index(str(int(v))) for v in archive["labels"]])

    scripted = torch.jit.load(MODEL)
    eager = SmallCnn(len(names))
    eager.load_state_dict(scripted.state_dict())
    eager_seconds = python_epochs(eager, x, y, args.epochs)
    if args.eager_only:
        print(json.dumps(eager_seconds))
        return
    script_seconds = python_epochs(torch.jit.load(MODEL), x, y, args.epochs)

    def median(values):
        return statistics.median(values[1:] if len(values) > 1 else values)

    xferval_epoch, eager_epoch, script_epoch = median(ours["seconds"]), median(eager_seconds), median(script_seconds)
    print(f"fine-tuning epoch, {len(x)} images, batch 64, Adam, {args.threads} threads "
          f"(median of epochs 2-{args.epochs}):")
    print(f"  xferval (LibTorch, C++)          {xferval_epoch * 1000:8.1f} ms   losses {ours['loss']}")
    print(f"  python3-torch, eager nn.Module   {eager_epoch * 1000:8.1f} ms   ratio python/xferval "
          f"{eager_epoch / xferval_epoch:.2f}")
    print(f"  python3-torch, TorchScript module {script_epoch * 1000:7.1f} ms   ratio python/xferval "
          f"{script_epoch / xferval_epoch:.2f}")
    blas = xferval_blas_environment()
    settings = " ".join(f"{name}={blas[name]}" for name in BLAS_SETTINGS if name in blas)
    print(f"  python3-torch, eager, {settings}: {median(same_blas) * 1000:7.1f} ms   ratio python/xferval "
          f"{median(same_blas) / xferval_epoch:.2f}")
    print("target: ratio >= 1 (xferval at least as fast)")


if __name__ == "__main__":
    main()
