"""The profile's vector kernels (eight-record CSV parsing, the structural index with and without
VBMI2, the chunk quicksort, the runs of a sorted chunk, the co-moments) against their portable
paths, end to end: the file profiled under each XFERVAL_VECTOR level gives the profile of
XFERVAL_VECTOR=portable, every field equal except the co-moments, which may differ in their last
bits (another summation order). Levels this CPU lacks run the portable code; the test says so."""
import math
import os
import tempfile

import numpy as np

from common import check, finish, profile, run


LEVELS = {  # XFERVAL_VECTOR level: the CPU flags it needs
    "avx512f": ("avx512f",),
    "avx512": ("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"),
    "avx512vbmi2": ("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_vbmi2", "bmi2"),
}


def cpu_has(flags):
    present = set(open("/proc/cpuinfo").read().split())
    return all(flag in present for flag in flags)


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
    for level, flags in LEVELS.items():
        if not cpu_has(flags):
            print(f"note: this CPU lacks {level}; that run takes the portable paths")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mixed.csv")
        write_mixed_csv(path, 120_000)
        for segment_bytes in (None, 1 << 20):  # one reader, and segments on every core
            env = {} if segment_bytes is None else {"XFERVAL_CSV_SEGMENT_BYTES": str(segment_bytes)}
            portable = profile(path, "--label", "flag", env={**env, "XFERVAL_VECTOR": "portable"})
            reader = f"segments of {segment_bytes} bytes" if segment_bytes else "one reader"
            check(portable["features"][0]["kind"] == "numeric", f"{reader}: normal read as {portable['features'][0]['kind']}")
            for level in LEVELS:
                vector = profile(path, "--label", "flag", env={**env, "XFERVAL_VECTOR": level})
                compare(vector, portable, f"{reader}, {level}", False)
        bad = run("profile", path, "-q", "-o", os.path.join(folder, "bad.json"), check=False,
                  env={"XFERVAL_VECTOR": "avx2"})
        check(bad.returncode == 2 and "XFERVAL_VECTOR='avx2'" in bad.stderr,
              f"a bad XFERVAL_VECTOR: exit {bad.returncode}, {bad.stderr!r}")
        check(not os.path.exists(os.path.join(folder, "bad.json")), "a bad XFERVAL_VECTOR left a profile behind")
    finish("profile_vector_paths")


if __name__ == "__main__":
    main()
