"""The profile's AVX-512 kernels (eight-record CSV parsing, the chunk quicksort, the runs of a
sorted chunk, the co-moments) against their portable paths (XFERVAL_PORTABLE=1), end to end: the
same profile, every field equal except the co-moments, which may differ in their last bits (another
summation order). On a CPU without AVX-512 both runs take the portable paths; the test says so."""
import math
import os
import subprocess
import tempfile

import numpy as np

from common import check, finish, profile


def cpu_has_vector_paths():
    flags = open("/proc/cpuinfo").read()
    return all(f" {flag}" in flags for flag in ("avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vbmi2"))


def write_mixed_csv(path, rows, seed=20261129):
    """Short and long decimals, integers, negative zeros, missing markers, infinities, text and
    boolean columns, CRLF on some lines: every path of the reader and of the profile."""
    rng = np.random.default_rng(seed)
    normal = rng.normal(0.0, 1.0, rows)
    lognormal = rng.lognormal(0.0, 2.0, rows)
    uniform = rng.uniform(-1000, 1000, rows)
    counts = rng.integers(0, 60, rows)
    with open(path, "w", newline="") as out:
        out.write("normal,lognormal,uniform,count,name,flag,sparse\n")
        for r in range(rows):
            sparse = ["", "NA", "-0", "0", "inf", "-inf", "12.5"][r % 7] if r % 5 == 0 else f"{normal[r] * 3:.3f}"
            line = (f"{normal[r]:.6g},{lognormal[r]:.6g},{uniform[r]:.6g},{counts[r]},item{counts[r] % 9},"
                    f"{'true' if counts[r] % 2 else 'false'},{sparse}")
            out.write(line + ("\r\n" if r % 11 == 0 else "\n"))


def compare(a, b, path, numbers_close):
    if isinstance(a, dict):
        check(isinstance(b, dict) and sorted(a) == sorted(b), f"{path}: keys {sorted(a)[:5]} vs {sorted(b)[:5]}")
        for key in a:
            if key in b:
                compare(a[key], b[key], f"{path}/{key}", numbers_close or key in ("covariance",))
    elif isinstance(a, list):
        check(isinstance(b, list) and len(a) == len(b), f"{path}: lengths differ")
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", numbers_close)
    elif numbers_close and isinstance(a, float) and isinstance(b, float):
        check(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9), f"{path}: {a!r} vs {b!r}")
    else:
        check(a == b, f"{path}: {a!r} vs {b!r}")


def main():
    if not cpu_has_vector_paths():
        print("note: this CPU lacks AVX-512 (F, DQ, BW, VL, VBMI2); both runs take the portable paths")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mixed.csv")
        write_mixed_csv(path, 120_000)
        for segment_bytes in (None, 1 << 20):  # one reader, and segments on every core
            env = {} if segment_bytes is None else {"XFERVAL_CSV_SEGMENT_BYTES": str(segment_bytes)}
            vector = profile(path, "--label", "flag", env=env)
            portable = profile(path, "--label", "flag", env={**env, "XFERVAL_PORTABLE": "1"})
            what = f"segments of {segment_bytes} bytes" if segment_bytes else "one reader"
            compare(vector, portable, what, False)
            check(vector["features"][0]["kind"] == "numeric", f"{what}: normal read as {vector['features'][0]['kind']}")
    finish("profile_vector_paths")


if __name__ == "__main__":
    main()
