#!/usr/bin/python3
"""xferval's TPE against Optuna 3.1's TPESampler: median best value over seeds on Branin,
Hartmann-6, 5-D Rosenbrock and a 10-D mixed space (floats, log floats, ints, a log int and two
categoricals), 100 trials each, with a one-sided Mann-Whitney U test.

usage: /usr/bin/python3 bench/tpe_agreement.py [TPE_BENCH] [--optuna-seeds N] [--density 3.1|corrected]
                                               [--optuna-density 3.1|corrected]

The C++ side is bench/tpe_bench. xferval runs 30 seeds, Optuna --optuna-seeds (default 30; Optuna
takes 5-50 ms per trial). tests/e2e/test_tune_optuna.py runs this with fewer Optuna seeds under
ctest. --density picks xferval's truncated-normal density (default: xferval's default, Optuna
3.1's); --optuna-density corrected patches Optuna's _truncnorm.logpdf with the 3.5 fix (PR #5110),
to compare like with like (docs/tune.md, "Which density").
"""
import json, math, os, subprocess, sys
from multiprocessing import Pool

import numpy as np
import optuna
from optuna.samplers._tpe import _truncnorm
from scipy.stats import mannwhitneyu

TRIALS = 100
ALPHA = 0.01  # one-sided: the test fails when p(xferval's best values are stochastically larger) < ALPHA
FUNCTIONS = ["branin", "hartmann6", "rosenbrock5", "mixed10"]


def branin(t):
    x0, x1 = t.suggest_float("x0", -5, 10), t.suggest_float("x1", 0, 15)
    b, c, tt = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x1 - b * x0 ** 2 + c * x0 - 6) ** 2 + 10 * (1 - tt) * math.cos(x0) + 10


def hartmann6(t):
    x = [t.suggest_float(f"x{i}", 0, 1) for i in range(6)]
    alpha = [1.0, 1.2, 3.0, 3.2]
    A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
    P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
    return -sum(alpha[i] * math.exp(-sum(A[i][j] * (x[j] - 1e-4 * P[i][j]) ** 2 for j in range(6))) for i in range(4))


def rosenbrock5(t):
    x = [t.suggest_float(f"x{i}", -2, 2) for i in range(5)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4))


def mixed10(t):
    f = [t.suggest_float(f"f{i}", -5, 5) for i in range(4)]
    lr, wd = t.suggest_float("lr", 1e-5, 1, log=True), t.suggest_float("wd", 1e-4, 10, log=True)
    n, batch = t.suggest_int("n", 0, 10), t.suggest_int("batch", 8, 256, log=True)
    a, b = t.suggest_categorical("a", ["x", "y", "z"]), t.suggest_categorical("b", ["p", "q", "r", "s"])
    total = sum((f[i] - 0.3 * i) ** 2 for i in range(4))
    total += (math.log10(lr) + 2) ** 2 + (math.log10(wd) + 1) ** 2 + 0.1 * (n - 3) ** 2 + 0.01 * (batch - 40) ** 2
    return total + {"x": 0.0, "y": 1.0, "z": 2.0}[a] + {"p": 1.5, "q": 0.5, "r": 0.0, "s": 1.0}[b]


_logpdf_3_1 = _truncnorm.logpdf


def _logpdf_corrected(x, a, b, loc=0, scale=1):
    # Optuna >= 3.5 (PR #5110): the truncated normal density includes the 1/scale factor.
    return _logpdf_3_1(x, a, b, loc=loc, scale=scale) - np.log(scale)


def optuna_best(job):
    name, seed, density = job
    _truncnorm.logpdf = _logpdf_corrected if density == "corrected" else _logpdf_3_1
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(globals()[name], n_trials=TRIALS)
    return study.best_value


def xferval_best(tpe_bench, name, seeds, density=None):
    env = dict(os.environ)
    if density:
        env["XFERVAL_TPE_DENSITY"] = density
    return json.loads(subprocess.run([tpe_bench, "agreement", name, str(seeds), str(TRIALS)], env=env, check=True,
                                     capture_output=True, text=True).stdout)


def agreement(tpe_bench, optuna_seeds, xferval_seeds=30, density=None, optuna_density="3.1", processes=2):
    """Prints one line per function; returns the functions where xferval is worse beyond noise."""
    failures = []
    with Pool(processes) as pool:
        for name in FUNCTIONS:
            ours = xferval_best(tpe_bench, name, xferval_seeds, density)
            theirs = pool.map(optuna_best, [(name, s, optuna_density) for s in range(optuna_seeds)])
            # One-sided: are xferval's best values stochastically larger (worse) than Optuna's?
            p = mannwhitneyu(ours, theirs, alternative="greater").pvalue
            print(f"{name:12s} xferval median best {np.median(ours):10.5f} ({len(ours)} seeds)   optuna 3.1 "
                  f"median best {np.median(theirs):10.5f} ({len(theirs)} seeds)   one-sided Mann-Whitney "
                  f"p(xferval worse) = {p:.4f}", flush=True)
            if p < ALPHA:
                failures.append(name)
    return failures


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flag = lambda name, default: sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default
    here = os.path.dirname(os.path.abspath(__file__))
    tpe_bench = os.path.abspath(args[0] if args else os.path.join(here, "..", "build", "bench", "tpe_bench"))
    failures = agreement(tpe_bench, int(flag("--optuna-seeds", "30")), density=flag("--density", None),
                         optuna_density=flag("--optuna-density", "3.1"))
    if failures:
        print(f"xferval's TPE is worse than Optuna's at one-sided alpha = {ALPHA} on: " + ", ".join(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
