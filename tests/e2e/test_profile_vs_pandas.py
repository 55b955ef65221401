"""Every bundled dataset profiled by xferval against pandas and NumPy (independent references):
count, mean, std (ddof 1), min, max to 1e-12 relative; covariance to 1e-10; quantiles within the
KLL rank bound; distinct counts within the HyperLogLog bound; label counts exact. Each file is
profiled twice: read as one piece, and read in byte segments of 2 KB on every core (how files of
64 MB and more are read) whose per-segment states are merged."""
import os

import numpy as np
import pandas as pd

from common import DATA, DATASETS, check, close, finish, profile


def quantile_within_bound(values, q, estimate, epsilon, what):
    values = np.sort(values)
    below = np.searchsorted(values, estimate, side="left") / len(values)
    at_most = np.searchsorted(values, estimate, side="right") / len(values)
    check(below - epsilon - 1e-12 <= q <= at_most + epsilon + 1e-12,
          f"{what}: q={q} estimate {estimate} has rank [{below}, {at_most}], bound {epsilon}")


def check_dataset(name, label, segment_bytes=None):
    frame = pd.read_csv(os.path.join(DATA, name), float_precision="round_trip")
    env = None if segment_bytes is None else {"XFERVAL_CSV_SEGMENT_BYTES": str(segment_bytes)}
    result = profile(os.path.join(DATA, name), "--label", label, env=env)
    if segment_bytes is not None:
        name = f"{name} in {segment_bytes}-byte segments"
    check(result["format"] == "xferval.profile/1", "format")
    check(result["rows"] == len(frame), f"{name}: rows {result['rows']} vs {len(frame)}")
    features = {f["name"]: f for f in result["features"]}
    numeric = [c for c in frame.columns if c != label and pd.api.types.is_numeric_dtype(frame[c])]
    check(sorted(features) == sorted(c for c in frame.columns if c != label), f"{name}: feature names")
    for column in numeric:
        series = frame[column]
        feature = features[column]
        what = f"{name}:{column}"
        check(feature["count"] == series.count(), f"{what}: count")
        check(feature["missing"] == series.isna().sum(), f"{what}: missing")
        close(feature["mean"], series.mean(), 1e-12, f"{what}: mean")
        close(feature["std"], series.std(ddof=1), 1e-12, f"{what}: std")
        close(feature["min"], series.min(), 1e-12, f"{what}: min")
        close(feature["max"], series.max(), 1e-12, f"{what}: max")
        check(feature["zeros"] == int((series == 0).sum()), f"{what}: zeros")
        epsilon = feature["quantile_rank_error"]
        for q_text, estimate in feature["quantiles"].items():
            quantile_within_bound(series.dropna().to_numpy(), float(q_text), estimate, epsilon, what)
        distinct = series.nunique()
        bound = max(0.02, 3 * feature["distinct"]["relative_error"]) * distinct
        check(abs(feature["distinct"]["estimate"] - distinct) <= bound,
              f"{what}: distinct {feature['distinct']['estimate']} vs {distinct}")
        if feature["distinct"]["exact"]:
            check(feature["distinct"]["estimate"] == distinct, f"{what}: exact distinct")
        kind = feature["kind"]
        expected_kind = "integer" if pd.api.types.is_integer_dtype(series) else "numeric"
        check(kind == expected_kind, f"{what}: kind {kind} vs {expected_kind}")
        histogram = feature["histogram"]
        check(sum(histogram["counts"]) == series.count(), f"{what}: histogram total")
        if histogram["exact"]:
            counts, _ = np.histogram(series.to_numpy(), bins=np.array(histogram["edges"]))
            # numpy bins are [a, b) with the last closed; xferval's are (a, b] with the first closed.
            ours = np.array(histogram["counts"])
            edges = np.array(histogram["edges"])
            values = series.to_numpy()
            expected = [np.sum((values > edges[i]) & (values <= edges[i + 1])) + (np.sum(values == edges[0]) if i == 0 else 0)
                        for i in range(len(ours))]
            check(list(ours) == [int(x) for x in expected], f"{what}: exact histogram {list(ours)} vs {expected}")
        top = feature["top_values"]
        counts = series.value_counts()
        if feature["top_values_exact"] and top:
            check(top[0]["count"] == counts.iloc[0], f"{what}: top count {top[0]} vs {counts.iloc[0]}")
            for item in top:
                check(counts[item["value"]] == item["count"], f"{what}: top value {item}")

    covariance = result["covariance"]
    expected = frame[numeric].cov().to_numpy()
    check(covariance["features"] == numeric, f"{name}: covariance features")
    ours = np.array(covariance["matrix"], dtype=float)
    scale = np.abs(expected).max()
    check(np.allclose(ours, expected, rtol=1e-10, atol=1e-10 * scale),
          f"{name}: covariance max diff {np.abs(ours - expected).max()} (scale {scale})")
    label_counts = frame[label].astype(str).value_counts() if frame[label].dtype == object else \
        frame[label].value_counts()
    got = {item["value"]: item["count"] for item in result["label"]["counts"]}
    if frame[label].dtype == object:
        check(got == {k: int(v) for k, v in label_counts.items()}, f"{name}: label counts")
    else:
        check(sum(got.values()) == len(frame), f"{name}: label total")
        for value, count in label_counts.items():
            key = format(float(value), "g") if float(value) != int(value) else str(int(value))
            check(got.get(key) == count, f"{name}: label {key} count {got.get(key)} vs {count}")


for dataset, label_column in DATASETS:
    check_dataset(dataset, label_column)
    check_dataset(dataset, label_column, segment_bytes=2048)
finish("profile_vs_pandas")
