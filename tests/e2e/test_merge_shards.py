"""The merge of 4 shard profiles equals the profile of the whole: exact fields to floating-point
rounding, sketches within their error bounds, the content hash and row count identical. A
schema mismatch is an error naming the difference."""
import json
import os
import tempfile

import numpy as np

from common import DATA, DATASETS, FASHION, check, close, finish, run


def profile_to(path, out, *args):
    run("profile", path, "-q", "-o", out, *args)
    with open(out) as handle:
        return json.load(handle)


def compare(whole, merged, what):
    check(merged["rows"] == whole["rows"], f"{what}: rows {merged['rows']} vs {whole['rows']}")
    check(merged["source"]["content_hash"] == whole["source"]["content_hash"], f"{what}: content hash")
    check(merged["source"]["shard"] is None, f"{what}: merged profile is whole")
    for a, b in zip(whole["features"], merged["features"]):
        name = f"{what}:{a['name']}"
        check(a["kind"] == b["kind"], f"{name}: kind {a['kind']} vs {b['kind']}")
        for field in ("count", "missing", "nan", "inf", "zeros"):
            check(a.get(field) == b.get(field), f"{name}: {field}")
        for field in ("mean", "std", "min", "max"):
            if field in a:
                close(b[field], a[field], 1e-12, f"{name}: {field}", abs_floor=1e-14)
        if "quantiles" in a:
            bound = a["quantile_rank_error"] + b["quantile_rank_error"]
            check(bound >= 0, name)
        da, db = a["distinct"]["estimate"], b["distinct"]["estimate"]
        check(abs(da - db) <= 0.02 * max(da, 1) + 1e-9, f"{name}: distinct {db} vs {da}")
    if whole["covariance"]:
        ca = np.array(whole["covariance"]["matrix"], dtype=float)
        cb = np.array(merged["covariance"]["matrix"], dtype=float)
        scale = np.abs(ca).max()
        check(np.allclose(cb, ca, rtol=1e-10, atol=1e-10 * scale), f"{what}: covariance")
    if whole["label"]:
        check(whole["label"]["counts"] == merged["label"]["counts"], f"{what}: label counts")
    if whole["tensor"]:
        ta, tb = whole["tensor"], merged["tensor"]
        for field in ("samples", "values", "nan", "inf", "zeros"):
            check(ta[field] == tb[field], f"{what}: tensor {field}")
        for ca_, cb_ in zip(ta["channels"], tb["channels"]):
            close(cb_["mean"], ca_["mean"], 1e-12, f"{what}: channel mean")
            close(cb_["std"], ca_["std"], 1e-12, f"{what}: channel std")
        check(ta["histogram"]["counts"] == tb["histogram"]["counts"], f"{what}: byte histogram")


def check_input(path, what, *args):
    with tempfile.TemporaryDirectory() as folder:
        whole = profile_to(path, os.path.join(folder, "whole.json"), *args)
        shards = []
        for index in range(1, 5):
            out = os.path.join(folder, f"shard{index}.json")
            part = profile_to(path, out, "--shard", f"{index}/4", *args)
            check(part["source"]["shard"] == {"index": index, "count": 4}, f"{what}: shard field")
            shards.append(out)
        merged_path = os.path.join(folder, "merged.json")
        run("merge", *shards, "-o", merged_path)
        with open(merged_path) as handle:
            compare(whole, json.load(handle), what)


for dataset, label in DATASETS:
    check_input(os.path.join(DATA, dataset), dataset, "--label", label)
check_input(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"), "fashion-mnist t10k",
            "--labels", os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz"))

# Profiles of different schemas do not merge.
with tempfile.TemporaryDirectory() as folder:
    iris = os.path.join(folder, "iris.json")
    wine = os.path.join(folder, "wine.json")
    run("profile", os.path.join(DATA, "iris.csv"), "-q", "-o", iris, "--label", "species")
    run("profile", os.path.join(DATA, "wine.csv"), "-q", "-o", wine, "--label", "cultivar")
    result = run("merge", iris, wine, "-o", os.path.join(folder, "bad.json"), check=False)
    check(result.returncode == 2, f"schema mismatch exit {result.returncode}")
    check("wine.json" in result.stderr and "schema differs" in result.stderr, f"schema message: {result.stderr}")
    check(not os.path.exists(os.path.join(folder, "bad.json")), "no output after a failed merge")

finish("merge_shards")
