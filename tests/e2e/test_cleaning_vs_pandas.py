"""Cleaning checked against pandas and scikit-learn on real data (wine) with planted problems:
missing cells, NaN and inf, duplicate rows, a constant column. Row drops match
drop_duplicates + dropna; imputation matches fillna(mean/median/mode); the --clean-out matrix
matches StandardScaler; --standardize-from uses the reference profile's statistics."""
import json
import os
import tempfile

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from common import DATA, check, close, finish, run

LABEL = "cultivar"
frame = pd.read_csv(os.path.join(DATA, "wine.csv"), float_precision="round_trip")
dirty = frame.copy()
dirty["constant"] = 7.0
rng = np.random.default_rng(7)
for column in ["alcohol", "ash", "hue", "proline"]:
    rows = rng.choice(len(dirty), size=6, replace=False)
    dirty.loc[rows, column] = np.nan
dirty.loc[3, "magnesium"] = np.inf
dirty = pd.concat([dirty, dirty.iloc[[10, 20, 20]]], ignore_index=True)  # three duplicate rows


def write_dirty(folder):
    path = os.path.join(folder, "dirty.csv")
    text = dirty.to_csv(index=False, na_rep="NA")
    text = text.replace("inf", "inf")
    with open(path, "w") as handle:
        handle.write(text)
    return path


def features_of(profile_doc):
    return {f["name"]: f for f in profile_doc["features"]}


def load(path):
    with open(path) as handle:
        return json.load(handle)


with tempfile.TemporaryDirectory() as folder:
    data = write_dirty(folder)
    expected_clean = dirty.replace([np.inf, -np.inf], np.nan).drop_duplicates()
    numeric = [c for c in dirty.columns if c != LABEL]

    # missing=drop (default): drop_duplicates then dropna.
    out = os.path.join(folder, "drop.json")
    matrix = os.path.join(folder, "drop.npy")
    run("profile", data, "--label", LABEL, "-q", "--clean", "-o", out, "--clean-out", matrix)
    result = load(out)
    expected = expected_clean.dropna()
    check(result["rows"] == len(expected), f"drop: rows {result['rows']} vs {len(expected)}")
    cleaning = result["cleaning"]
    check(cleaning["rows_in"] == len(dirty) and cleaning["rows_out"] == len(expected), f"drop: log rows {cleaning}")
    reasons = {(e["reason"], e["feature"]): e for e in cleaning["entries"]}
    check(reasons[("duplicate", "")]["count"] == 3, f"drop: duplicates {reasons.get(('duplicate', ''))}")
    check(reasons[("duplicate", "")]["first_rows"] == [len(frame) + 1, len(frame) + 2, len(frame) + 3],
          f"drop: duplicate rows {reasons[('duplicate', '')]['first_rows']}")
    check(reasons[("inf", "magnesium")]["first_rows"] == [4], "drop: inf row")
    check(("constant", "constant") in reasons, "drop: constant column flagged")
    features = features_of(result)
    for column in numeric:
        close(features[column]["mean"], expected[column].mean(), 1e-12, f"drop: {column} mean")
        close(features[column]["std"], expected[column].std(), 1e-12, f"drop: {column} std", abs_floor=1e-15)
    got = np.load(matrix)
    columns = load(os.path.join(folder, "drop.columns.json"))
    check(columns["columns"] == numeric, f"clean-out columns {columns['columns']}")
    reference = StandardScaler().fit_transform(expected[numeric].to_numpy())
    check(got.shape == reference.shape, f"clean-out shape {got.shape} vs {reference.shape}")
    if got.shape == reference.shape:
        check(np.allclose(got, reference, rtol=1e-12, atol=1e-12), f"StandardScaler diff {np.abs(got - reference).max()}")
    check(columns["labels"] == expected[LABEL].tolist(), "clean-out labels")

    for how in ("mean", "median", "mode"):
        out = os.path.join(folder, f"{how}.json")
        run("profile", data, "--label", LABEL, "-q", "--clean", f"missing={how}", "-o", out)
        result = load(out)
        base = expected_clean
        if how == "mode":
            filled = base.fillna({c: base[c].mode().iloc[0] for c in numeric})
        else:
            filled = base.fillna(getattr(base[numeric], how)())
        check(result["rows"] == len(filled), f"{how}: rows {result['rows']} vs {len(filled)}")
        features = features_of(result)
        for column in numeric:
            close(features[column]["mean"], filled[column].mean(), 1e-12, f"{how}: {column} mean")
            close(features[column]["std"], filled[column].std(), 1e-12, f"{how}: {column} std", abs_floor=1e-15)
        imputed = [e for e in result["cleaning"]["entries"] if e["action"] == f"imputed:{how}"]
        check(sum(e["count"] for e in imputed) == int(base[numeric].isna().sum().sum()), f"{how}: imputed count")

    # constant=drop removes the column; duplicates=keep keeps the copies.
    out = os.path.join(folder, "keep.json")
    run("profile", data, "--label", LABEL, "-q", "--clean", "missing=median,duplicates=keep,constant=drop", "-o", out)
    result = load(out)
    check(result["rows"] == len(dirty), f"keep: rows {result['rows']}")
    check("constant" not in features_of(result), "constant=drop removed the column")

    # --standardize-from: the reference profile's mean and population std.
    reference_profile = os.path.join(folder, "wine.profile.json")
    run("profile", os.path.join(DATA, "wine.csv"), "--label", LABEL, "-q", "-o", reference_profile)
    target = os.path.join(folder, "target.csv")
    frame.iloc[:60].to_csv(target, index=False)
    matrix = os.path.join(folder, "target.npy")
    run("profile", target, "--label", LABEL, "-q", "--clean", "--clean-out", matrix,
        "--standardize-from", reference_profile)
    columns = [c for c in frame.columns if c != LABEL]
    scaler = StandardScaler().fit(frame[columns].to_numpy())
    reference = scaler.transform(frame.iloc[:60][columns].to_numpy())
    got = np.load(matrix)
    check(got.shape == reference.shape and np.allclose(got, reference, rtol=1e-12, atol=1e-12),
          "standardize-from differs from StandardScaler fitted on the source")
    bad = run("profile", target, "-q", "--clean", "--clean-out", matrix, "--standardize-from",
              os.path.join(DATA, "iris.csv"), check=False)
    check(bad.returncode == 2, f"standardize-from a CSV: exit {bad.returncode}")

    # A 2-D .npy with NaN and inf, labels from a second .npy: the same cleaning as pandas.
    features = dirty[numeric].to_numpy(dtype=np.float64)
    np.save(os.path.join(folder, "x.npy"), features)
    codes = dirty[LABEL].map({"class_0": 0, "class_1": 1, "class_2": 2}).to_numpy(dtype=np.int64)
    np.save(os.path.join(folder, "y.npy"), codes)
    out = os.path.join(folder, "npy.json")
    matrix = os.path.join(folder, "npy-clean.npy")
    run("profile", os.path.join(folder, "x.npy"), "--labels", os.path.join(folder, "y.npy"), "-q", "--clean",
        "missing=mean", "-o", out, "--clean-out", matrix)
    array_frame = pd.DataFrame(features, columns=[f"f{j}" for j in range(len(numeric))])
    array_frame["label"] = codes
    base = array_frame.replace([np.inf, -np.inf], np.nan).drop_duplicates()
    filled = base.fillna(base.mean())
    result = load(out)
    check(result["rows"] == len(filled), f"npy: rows {result['rows']} vs {len(filled)}")
    by_name = features_of(result)
    for j in range(len(numeric)):
        close(by_name[f"f{j}"]["mean"], filled[f"f{j}"].mean(), 1e-12, f"npy: f{j} mean")
    scaled = StandardScaler().fit_transform(filled[[f"f{j}" for j in range(len(numeric))]].to_numpy())
    got = np.load(matrix)
    check(got.shape == scaled.shape and np.allclose(got, scaled, rtol=1e-12, atol=1e-12), "npy: clean-out matrix")
    check(load(os.path.join(folder, "npy-clean.columns.json"))["labels"] == [str(c) for c in filled["label"]],
          "npy: labels kept row by row")

finish("cleaning_vs_pandas")
