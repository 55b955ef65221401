"""Helpers for the end-to-end tests: run the xferval binary, compare with NumPy and pandas."""
import json
import math
import os
import subprocess
import sys
import tempfile

BINARY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/xferval"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "data")
FASHION = "/usr/share/datasets/fashion-mnist"

# (file, label column) of every bundled dataset.
DATASETS = [
    ("iris.csv", "species"),
    ("wine.csv", "cultivar"),
    ("breast_cancer.csv", "diagnosis"),
    ("diabetes.csv", "progression"),
    ("digits.csv", "digit"),
]

failures = []
checks_run = [0]


def run(*args, check=True, env=None):
    """env: variables to set on top of this process's environment."""
    environment = None if env is None else {**os.environ, **env}
    result = subprocess.run([BINARY, *args], capture_output=True, text=True, env=environment)
    if check and result.returncode != 0:
        raise AssertionError(f"xferval {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def profile(path, *args, env=None):
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "p.json")
        run("profile", path, "-q", "-o", out, *args, env=env)
        with open(out) as handle:
            return json.load(handle)


def check(condition, message):
    checks_run[0] += 1
    if not condition:
        failures.append(message)


def close(actual, expected, rel, what, abs_floor=0.0):
    if actual is None or expected is None or math.isnan(expected):
        check(actual is None and (expected is None or math.isnan(expected)), f"{what}: {actual} vs {expected}")
        return
    tolerance = max(rel * abs(expected), abs_floor)
    check(abs(actual - expected) <= tolerance, f"{what}: {actual!r} vs {expected!r} (tolerance {tolerance:g})")


def finish(name):
    if failures:
        for failure in failures[:50]:
            print("FAIL:", failure)
        print(f"{len(failures)} check(s) failed")
        print(f"{name}: 0 passed, 1 failed")
        sys.exit(1)
    if checks_run[0] == 0:
        print(f"{name}: no check ran")
        sys.exit(1)
    print(f"{checks_run[0]} checks held")
    print(f"{name}: 1 passed, 0 failed")
