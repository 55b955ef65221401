"""Scenarios whose truth is known, on the bundled real datasets: random source/target splits pass,
a scaled feature is flagged (and at most one other), digits 0-4 against 5-9 fails on multivariate
drift and Mahalanobis distance, and renamed, dropped and retyped columns give their named anomaly."""
import json
import os
import tempfile

import numpy as np
import pandas as pd

from common import DATA, check, finish, run


def card_and_check(folder, source, target, label, *extra):
    source_path = os.path.join(folder, "source.csv")
    target_path = os.path.join(folder, "target.csv")
    card = os.path.join(folder, "model.card.json")
    report = os.path.join(folder, "report.json")
    source.to_csv(source_path, index=False)
    target.to_csv(target_path, index=False)
    run("card", "--data", source_path, "--label", label, "-q", "-o", card)
    result = run("check", "--card", card, "--data", target_path, "-q", "-o", report, *extra, check=False)
    with open(report) as handle:
        return result, json.load(handle)


def failed(report, name=None):
    return [c for c in report["checks"] if c["outcome"] == "fail" and (name is None or c["name"] == name)]


def drift_flagged(report):
    names = {"drift.ks", "drift.chi2", "drift.z", "drift.wasserstein", "drift.jensen_shannon"}
    return sorted(c["feature"] for c in report["checks"] if c["name"] in names and c["outcome"] == "fail")


def random_splits(folder, file, label):
    frame = pd.read_csv(os.path.join(DATA, file))
    passes, scaled_ok = 0, 0
    feature = frame.columns[0]
    for seed in range(20):
        order = np.random.RandomState(seed).permutation(len(frame))
        half = len(frame) // 2
        source, target = frame.iloc[order[:half]], frame.iloc[order[half:]].copy()
        result, report = card_and_check(folder, source, target, label)
        check(result.returncode == (0 if report["verdict"] == "PASS" else 1),
              f"{file} seed {seed}: exit {result.returncode} with verdict {report['verdict']}")
        passes += report["verdict"] == "PASS"
        target[feature] = target[feature] * 1.5
        result, report = card_and_check(folder, source, target, label)
        flagged = drift_flagged(report)
        check(feature in flagged, f"{file} seed {seed}: {feature} x1.5 not flagged ({flagged})")
        scaled_ok += feature in flagged and len(flagged) <= 2
    check(passes >= 18, f"{file}: {passes} of 20 random splits pass, need 18")
    # A random half can differ by chance in a feature (breast_cancer seed 17 has two features with
    # raw KS p < 0.001 before any scaling), so "at most one other" is held as the pass rate is.
    check(scaled_ok >= 18, f"{file}: scaled '{feature}' flagged with at most one other in {scaled_ok} of 20")
    print(f"{file}: {passes}/20 random splits PASS; {scaled_ok}/20 scaled '{feature}' flagged with at most one other")


def digits_shift(folder):
    frame = pd.read_csv(os.path.join(DATA, "digits.csv"))
    result, report = card_and_check(folder, frame[frame.digit < 5], frame[frame.digit >= 5], "digit")
    check(result.returncode == 1 and report["verdict"] == "FAIL", f"digits 0-4 vs 5-9: exit {result.returncode}")
    for name in ("multivariate.mahalanobis_ks", "multivariate.mmd", "multivariate.hotelling"):
        check(len(failed(report, name)) == 1, f"digits 0-4 vs 5-9: {name} did not fail")
    check(failed(report, "schema.new_labels"), "digits 0-4 vs 5-9: new labels not reported")
    check("multivariate.mahalanobis_ks" in result.stdout, "digits: the summary does not name the Mahalanobis check")


def schema_anomalies(folder):
    frame = pd.read_csv(os.path.join(DATA, "breast_cancer.csv"))
    source, target = frame.iloc[::2], frame.iloc[1::2].copy()
    target = target.rename(columns={"mean_radius": "radius_mean"}).drop(columns=["mean_texture"])
    target["mean_area"] = ["a" + str(v) for v in target["mean_area"]]
    result, report = card_and_check(folder, source, target, "diagnosis")
    check(result.returncode == 1, f"schema: exit {result.returncode}")
    anomalies = {(c["name"], c["feature"]) for c in failed(report)}
    for expected in [("schema.missing_feature", "mean_radius"), ("schema.missing_feature", "mean_texture"),
                     ("schema.unexpected_feature", "radius_mean"), ("schema.type_mismatch", "mean_area")]:
        check(expected in anomalies, f"schema: {expected} not among {sorted(anomalies)}")
    for name in ("schema.missing_feature", "schema.type_mismatch", "radius_mean"):
        check(name in result.stdout, f"schema: {name} not in the terminal summary")


with tempfile.TemporaryDirectory() as folder:
    random_splits(folder, "wine.csv", "cultivar")
    random_splits(folder, "breast_cancer.csv", "diagnosis")
    digits_shift(folder)
    schema_anomalies(folder)
finish("test_check_scenarios")
