"""Every figure of `xferval check` against SciPy and scikit-learn on the bundled real datasets:
per-feature KS, Wasserstein, chi-square, Z-test and Jensen-Shannon with their corrections, the
card's Gaussian reference (mean, covariance, Ledoit-Wolf and OAS intensities), Mahalanobis
distances, the KS test of target against held-out distances, Hotelling's T-squared."""
import json
import os
import tempfile

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon, mahalanobis
from sklearn.covariance import OAS, LedoitWolf

from common import DATA, check, close, finish, run


KLL_RANK_ERROR = 2.296 / 400**0.9723  # the profile's KLL sketches (k = 400), DataSketches' bound


def card(folder, source, *args):
    path = os.path.join(folder, "c.json")
    run("card", "--data", source, "-q", "-o", path, *args)
    with open(path) as handle:
        return path, json.load(handle)


def check_report(folder, card_path, target, *args):
    path = os.path.join(folder, "r.json")
    run("check", "--card", card_path, "--data", target, "-q", "-o", path, *args, check=False)
    with open(path) as handle:
        return json.load(handle)


def bh(p):
    p = np.asarray(p)
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(adjusted)
    out[order] = np.minimum(adjusted, 1)
    return out


def split(folder, file, drop_label=None):
    frame = pd.read_csv(os.path.join(DATA, file))
    if drop_label:
        frame = frame.drop(columns=[drop_label])
    order = np.random.RandomState(3).permutation(len(frame))
    half = len(frame) // 2
    source, target = frame.iloc[order[:half]], frame.iloc[order[half:]]
    paths = os.path.join(folder, "s.csv"), os.path.join(folder, "t.csv")
    source.to_csv(paths[0], index=False)
    target.to_csv(paths[1], index=False)
    return source, target, paths


def univariate_small(folder):
    # wine with the cultivar as a feature: 13 KS features and one 3-category chi-square feature.
    source, target, (s, t) = split(folder, "wine.csv")
    card_path, _ = card(folder, s)
    for correction in ("bonferroni", "bh"):
        policy = os.path.join(folder, "p.toml")
        with open(policy, "w") as handle:
            handle.write(f'[options]\ncorrection = "{correction}"\n')
        report = check_report(folder, card_path, t, "--source-data", s, "--policy", policy)
        tests = [c for c in report["checks"] if c["name"] in ("drift.ks", "drift.chi2", "drift.z")]
        check(len(tests) == 14, f"wine: {len(tests)} drift tests, expected 14")
        raw = []
        for c in tests:
            a, b = source[c["feature"]].to_numpy(), target[c["feature"]].to_numpy()
            if c["name"] == "drift.ks":
                a, b = a.astype(float), b.astype(float)
                expected = stats.ks_2samp(a, b)
                close(c["details"]["ks_statistic"], expected.statistic, 1e-12, f"wine {c['feature']} KS D")
                close(c["details"]["p_value"], expected.pvalue, 1e-9, f"wine {c['feature']} KS p")
                w = stats.wasserstein_distance(a, b) / np.std(a)
                close(c["details"]["wasserstein_normalised"], w, 1e-9, f"wine {c['feature']} W/std")
                raw.append(expected.pvalue)
            else:
                check(c["name"] == "drift.chi2" and c["feature"] == "cultivar", f"wine: unexpected {c['name']}")
                values = sorted(set(a) | set(b))
                table = [[np.sum(a == v) for v in values], [np.sum(b == v) for v in values]]
                chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
                close(c["details"]["statistic"], chi2, 1e-9, "wine cultivar chi-square")
                close(c["details"]["p_value"], p, 1e-9, "wine cultivar chi-square p")
                close(c["details"]["jensen_shannon"], jensenshannon(table[0], table[1]), 1e-9, "wine cultivar JS")
                raw.append(p)
        adjusted = np.minimum(np.array(raw) * len(raw), 1) if correction == "bonferroni" else bh(raw)
        for c, expected in zip(tests, adjusted):
            close(c["value"], expected, 1e-9, f"wine {c['feature']} {correction}-adjusted p")


def univariate_binary(folder):
    # breast_cancer with the diagnosis as a feature: the two-proportion Z-test.
    source, target, (s, t) = split(folder, "breast_cancer.csv")
    card_path, _ = card(folder, s)
    report = check_report(folder, card_path, t, "--source-data", s)
    [z] = [c for c in report["checks"] if c["name"] == "drift.z"]
    a, b = source["diagnosis"].to_numpy(), target["diagnosis"].to_numpy()
    value = min(set(a) | set(b))
    p1, p2 = np.mean(a == value), np.mean(b == value)
    pooled = (np.sum(a == value) + np.sum(b == value)) / (len(a) + len(b))
    statistic = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
    close(abs(z["details"]["statistic"]), abs(statistic), 1e-9, "breast_cancer diagnosis Z")
    close(z["details"]["p_value"], 2 * stats.norm.sf(abs(statistic)), 1e-9, "breast_cancer diagnosis Z p")


def univariate_large(folder):
    # digits: more than 1000 reference rows, so distances decide; from the raw source and from sketches.
    frame = pd.read_csv(os.path.join(DATA, "digits.csv"))
    source, target = frame, frame.iloc[::3]
    s, t = os.path.join(folder, "s.csv"), os.path.join(folder, "t.csv")
    source.to_csv(s, index=False)
    target.to_csv(t, index=False)
    card_path, _ = card(folder, s, "--label", "digit")
    for extra in (["--source-data", s], []):
        report = check_report(folder, card_path, t, *extra)
        for c in report["checks"]:
            a, b = source[c["feature"] or "digit"].to_numpy(float), target[c["feature"] or "digit"].to_numpy(float)
            if c["name"] == "drift.wasserstein":
                expected = stats.wasserstein_distance(a, b) / np.std(a)
                # From the card's KLL sketch, W is off by at most the rank error times the range.
                bound = 0 if extra else KLL_RANK_ERROR * (a.max() - a.min()) / np.std(a)
                close(c["value"], expected, 1e-9, f"digits {c['feature']} W/std {extra}", bound)
            elif c["name"] == "drift.jensen_shannon":
                values = sorted(set(a) | set(b))
                expected = jensenshannon([np.sum(a == v) for v in values], [np.sum(b == v) for v in values])
                close(c["value"], expected, 1e-9, f"digits {c['feature']} JS {extra}")


def multivariate(folder):
    frame = pd.read_csv(os.path.join(DATA, "breast_cancer.csv"))
    source, target = frame.iloc[::2].drop(columns=["diagnosis"]), frame.iloc[1::2].drop(columns=["diagnosis"])
    s, t = os.path.join(folder, "s.csv"), os.path.join(folder, "t.csv")
    source.to_csv(s, index=False)
    target.to_csv(t, index=False)
    standardise = lambda x: (x - source.mean().to_numpy()) / source.std(ddof=0).to_numpy()
    # With nothing held out the fit uses every source row: compare it with scikit-learn.
    _, document = card(folder, s, "--holdout", "0")
    reference = document["reference"]
    z = standardise(source.to_numpy(float))
    close(np.max(np.abs(np.array(reference["mean"]) - z.mean(axis=0))), 0, 0, "card mean", 1e-12)
    S = np.cov(z, rowvar=False, ddof=0)
    close(np.max(np.abs(np.array(reference["covariance"]) - S)), 0, 0, "card covariance", 1e-12)
    close(reference["shrinkage"]["ledoit-wolf"], LedoitWolf().fit(z).shrinkage_, 1e-9, "card Ledoit-Wolf")
    close(reference["shrinkage"]["oas"], OAS().fit(z).shrinkage_, 1e-9, "card OAS")

    card_path, document = card(folder, s)
    reference = document["reference"]
    mean, S = np.array(reference["mean"]), np.array(reference["covariance"])
    holdout = np.array(reference["holdout"])
    for method, key in (("ledoit-wolf", "ledoit-wolf"), ("oas", "oas")):
        policy = os.path.join(folder, "p.toml")
        with open(policy, "w") as handle:
            handle.write(f'[options]\nshrinkage = "{method}"\n')
        report = check_report(folder, card_path, t, "--policy", policy)
        rho = reference["shrinkage"][key]
        p = S.shape[0]
        shrunk = (1 - rho) * S + rho * np.trace(S) / p * np.eye(p)
        precision = np.linalg.inv(shrunk)
        zt = standardise(target.to_numpy(float))
        d_target = np.array([mahalanobis(row, mean, precision) ** 2 for row in zt])
        d_holdout = np.array([mahalanobis(row, mean, precision) ** 2 for row in holdout])
        checks = {c["name"]: c for c in report["checks"]}
        ks = checks["multivariate.mahalanobis_ks"]
        close(ks["details"]["target_mean_d2"], d_target.mean(), 1e-9, f"{method} target mean D2")
        close(ks["details"]["calibration_mean_d2"], d_holdout.mean(), 1e-9, f"{method} held-out mean D2")
        close(ks["value"], stats.ks_2samp(d_target, d_holdout).pvalue, 1e-9, f"{method} KS of distances")
        q = stats.chi2.ppf(0.99, p)
        excess = np.mean(d_target > q) - np.mean(d_holdout > q)
        close(checks["multivariate.mahalanobis_exceedance"]["value"], excess, 1e-12, f"{method} exceedance", 1e-12)
    # Hotelling's two-sample T-squared from the fit's summary and the target rows (NumPy formula).
    n1, n2 = reference["fit_rows"], len(target)
    zt = standardise(target.to_numpy(float))
    S1 = S * n1 / (n1 - 1)
    S2 = np.cov(zt, rowvar=False, ddof=1)
    pooled = ((n1 - 1) * S1 + (n2 - 1) * S2) / (n1 + n2 - 2)
    d = mean - zt.mean(axis=0)
    t2 = n1 * n2 / (n1 + n2) * d @ np.linalg.solve(pooled, d)
    p = len(d)
    f = (n1 + n2 - p - 1) / (p * (n1 + n2 - 2)) * t2
    hotelling = checks["multivariate.hotelling"]
    close(hotelling["details"]["t_squared"], t2, 1e-9, "Hotelling T2")
    close(hotelling["value"], stats.f.sf(f, p, n1 + n2 - p - 1), 1e-9, "Hotelling p")


with tempfile.TemporaryDirectory() as folder:
    univariate_small(folder)
    univariate_binary(folder)
    univariate_large(folder)
    multivariate(folder)
finish("test_check_vs_scipy")
