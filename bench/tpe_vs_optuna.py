#!/usr/bin/python3
"""Sampler CPU time per trial, xferval TPE (bench/tpe_bench) vs Optuna 3.1 TPESampler, 5-D sphere,
both with an in-memory history (Optuna's in-memory storage; tpe_bench's vector of trials).

usage: /usr/bin/python3 bench/tpe_vs_optuna.py [TPE_BENCH] [--optuna-max N] [--agreement]
Optuna runs up to --optuna-max trials (default 1000); larger sizes are extrapolated linearly
from its per-trial cost growth (cost ~ a + b*n, tpe.md section 17) and marked as such.
--agreement runs the full statistical comparison (30 seeds x 100 trials, 4 functions).
"""
import json, os, subprocess, sys, time

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


class TimedTPE(optuna.samplers.TPESampler):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.times = []

    def sample_independent(self, study, trial, name, dist):
        # Thread CPU time, as tpe_bench measures: on a shared machine wall time counts neighbours.
        start = time.thread_time()
        value = super().sample_independent(study, trial, name, dist)
        if len(self.times) <= trial.number:
            self.times.append(0.0)
        self.times[trial.number] += time.thread_time() - start
        return value


def optuna_timing(n):
    sampler = TimedTPE(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: sum(t.suggest_float(f"x{i}", -10, 10) ** 2 for i in range(5)), n_trials=n)
    tail = max(n // 10, 1)
    return {"mean_ms": 1e3 * sum(sampler.times) / n, "last10_ms": 1e3 * sum(sampler.times[-tail:]) / tail}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    here = os.path.dirname(os.path.abspath(__file__))
    binary = args[0] if args else os.path.join(here, "..", "build", "bench", "tpe_bench")
    optuna_max = 1000
    if "--optuna-max" in sys.argv:
        optuna_max = int(sys.argv[sys.argv.index("--optuna-max") + 1])
    if "--agreement" in sys.argv:
        sys.path.insert(0, here)
        import tpe_agreement
        failures = tpe_agreement.agreement(binary, optuna_seeds=30, xferval_seeds=30)
        print("worse beyond noise on: " + ", ".join(failures) if failures else "ok")
        return
    sizes = [100, 1000, 10000]
    ours = json.loads(subprocess.run([binary, "timing"] + [str(s) for s in sizes], check=True,
                                     capture_output=True, text=True).stdout)
    theirs = {}
    for n in sizes:
        if n <= optuna_max:
            theirs[n] = dict(optuna_timing(n), extrapolated=False)
    measured = sorted(theirs)
    if len(measured) >= 2:
        (n0, n1) = measured[-2], measured[-1]
        slope = (theirs[n1]["last10_ms"] - theirs[n0]["last10_ms"]) / (n1 - n0)
        for n in sizes:
            if n not in theirs:
                last = theirs[n1]["last10_ms"] + slope * (n - n1)
                mean = theirs[n1]["mean_ms"] + slope * (n - n1) / 2
                theirs[n] = {"mean_ms": mean, "last10_ms": last, "extrapolated": True}
    print(f"{'trials':>7} {'xferval mean':>13} {'last10%':>9} {'optuna mean':>12} {'last10%':>9} {'ratio(mean)':>11}")
    for n in sizes:
        o, t = ours[str(n)], theirs.get(n)
        if t is None:
            print(f"{n:>7} {o['mean_ms']:>11.3f}ms {o['last10_ms']:>7.3f}ms   (optuna not run: raise --optuna-max)")
            continue
        flag = " (optuna extrapolated)" if t["extrapolated"] else ""
        print(f"{n:>7} {o['mean_ms']:>11.3f}ms {o['last10_ms']:>7.3f}ms {t['mean_ms']:>10.2f}ms "
              f"{t['last10_ms']:>7.2f}ms {t['mean_ms'] / o['mean_ms']:>10.0f}x{flag}")


if __name__ == "__main__":
    main()
