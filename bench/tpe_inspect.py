#!/usr/bin/python3
"""xferval's TPE step against Optuna 3.1's own functions on the same history.

usage: /usr/bin/python3 bench/tpe_inspect.py [TPE_BENCH] [--draws K] [--density 3.1|corrected]

For each function and a few seeds and history lengths, tpe_bench runs xferval's TPE and prints
the history and, for every parameter, its below/above split, both Parzen estimators, their log
densities on a grid and the values the next trial gets under K sampler seeds. This script loads
the same history into an Optuna study (add_trial), and compares: the split (exactly), mixture
weights, mus, sigmas (1e-12), log l and log g on the grid (1e-9), and the distribution of the next
value against Optuna's TPESampler.sample_independent under K seeds (two-sample Kolmogorov-Smirnov;
the random streams differ, so only the distributions can agree).
"""
import json, os, subprocess, sys

import numpy as np
import optuna
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator
from optuna.samplers._tpe.sampler import _get_observation_pairs, _split_observation_pairs
from scipy.stats import ks_2samp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tpe_agreement import FUNCTIONS  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)
_logpdf_3_1 = _truncnorm.logpdf


def corrected_logpdf(x, a, b, loc=0, scale=1):
    # Optuna >= 3.5 (PR #5110): the truncated normal density includes 1/scale.
    return _logpdf_3_1(x, a, b, loc=loc, scale=scale) - np.log(scale)


def distributions_of(name):
    """The search space, taken from one trial of the objective (same definitions as the test)."""
    import tpe_agreement
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(getattr(tpe_agreement, name), n_trials=1)
    return study.trials[0].distributions


def compare(binary, name, seed, trials, draws, density):
    env = dict(os.environ)
    env["XFERVAL_TPE_DENSITY"] = density
    _truncnorm.logpdf = _logpdf_3_1 if density == "3.1" else corrected_logpdf
    out = json.loads(subprocess.run([binary, "inspect", name, str(seed), str(trials), str(draws)], env=env,
                                    check=True, capture_output=True, text=True).stdout)
    dists = distributions_of(name)
    study = optuna.create_study()
    for h in out["history"]:
        params = {k: dists[k].to_external_repr(v) for k, v in h["params"].items()}
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=h["value"]))
    values, scores, _ = _get_observation_pairs(study, list(dists))
    n = sum(s < float("inf") for s, _ in scores)
    below_idx, above_idx = _split_observation_pairs(scores, optuna.samplers._tpe.sampler.default_gamma(n), None)
    parameters = optuna.samplers.TPESampler()._parzen_estimator_parameters
    worst = {"split": 0, "mixture": 0.0, "log_pdf": 0.0, "ks_p_min": 1.0}
    for p, dist in dists.items():
        x = out["params"][p]
        v = np.asarray(values[p], dtype=float)
        below, above = v[below_idx], v[above_idx]
        if not (np.array_equal(below, x["below"]) and np.array_equal(above, x["above"])):
            worst["split"] += 1
        for key, obs in (("l", below), ("g", above)):
            pe = _ParzenEstimator({p: obs}, {p: dist}, parameters)
            worst["mixture"] = max(worst["mixture"], np.max(np.abs(pe._weights - x["weights_" + key])))
            if pe._mus[p] is not None:
                worst["mixture"] = max(worst["mixture"], np.max(np.abs(pe._mus[p] - x["mus_" + key])),
                                       np.max(np.abs(pe._sigmas[p] - x["sigmas_" + key])))
            grid = np.asarray(x["grid"], dtype=int if isinstance(dist, optuna.distributions.CategoricalDistribution) else float)
            theirs = pe.log_pdf({p: grid})
            worst["log_pdf"] = max(worst["log_pdf"], np.max(np.abs(theirs - x["log_" + key])))
        trial = study.ask()
        chosen = [dist.to_internal_repr(optuna.samplers.TPESampler(seed=1000 + d).sample_independent(study, trial, p, dist))
                  for d in range(draws)]
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        worst["ks_p_min"] = min(worst["ks_p_min"], ks_2samp(chosen, x["chosen"]).pvalue)
    return worst


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    here = os.path.dirname(os.path.abspath(__file__))
    binary = args[0] if args else os.path.join(here, "..", "build", "bench", "tpe_bench")
    draws = int(sys.argv[sys.argv.index("--draws") + 1]) if "--draws" in sys.argv else 300
    densities = [sys.argv[sys.argv.index("--density") + 1]] if "--density" in sys.argv else ["3.1", "corrected"]
    for density in densities:
        for name in FUNCTIONS:
            for seed, trials in ((1, 15), (2, 40), (3, 100)):
                w = compare(binary, name, seed, trials, draws, density)
                print(f"{density:5s} {name:12s} seed {seed} after {trials:3d} trials: split mismatches {w['split']}, "
                      f"max |mixture diff| {w['mixture']:.1e}, max |log pdf diff| {w['log_pdf']:.1e}, "
                      f"min KS p over params {w['ks_p_min']:.3f}", flush=True)


if __name__ == "__main__":
    main()
