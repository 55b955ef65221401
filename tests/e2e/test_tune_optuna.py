"""Statistical agreement of xferval's TPE with Optuna 3.1's TPESampler (the tuning issue's test):
on Branin, Hartmann-6, 5-D Rosenbrock and a 10-D mixed space, 100 trials per run, xferval's
median best value over 30 seeds must not be worse than Optuna's beyond noise: a one-sided
Mann-Whitney U test at alpha = 0.01 (bench/tpe_agreement.py). Prints both medians and the p-value.

Both sides run the issue's 30 seeds. Optuna is the slow side (5-50 ms per trial): about 2-3
minutes on 2 busy cores (two Optuna processes); XFERVAL_OPTUNA_SEEDS=N runs fewer for a quick look.
The C++ side is bench/tpe_bench from the same build folder as the binary."""
import os
import sys

from common import BINARY, ROOT, check, finish

sys.path.insert(0, os.path.join(ROOT, "bench"))
import tpe_agreement  # noqa: E402

OPTUNA_SEEDS = int(os.environ.get("XFERVAL_OPTUNA_SEEDS", "30"))

tpe_bench = os.path.join(os.path.dirname(BINARY), "bench", "tpe_bench")
check(os.path.exists(tpe_bench), f"{tpe_bench} exists (build the tpe_bench target)")
if os.path.exists(tpe_bench):
    failures = tpe_agreement.agreement(tpe_bench, OPTUNA_SEEDS)
    check(not failures, f"xferval's TPE not worse than Optuna 3.1's at one-sided alpha = {tpe_agreement.ALPHA} "
                        f"on every function (worse on: {', '.join(failures) or 'none'})")
finish("test_tune_optuna")
