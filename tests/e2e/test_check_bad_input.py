"""Bad input to `xferval card` and `xferval check`: exit 2 with a message naming the file and the
place, nothing written; data problems (singular covariance, unknown labels) become named
results, never a NaN."""
import json
import math
import os
import tempfile

import numpy as np
import pandas as pd

from common import DATA, check, finish, run


def expect_error(folder, args, needles, what):
    out = os.path.join(folder, "out")
    os.makedirs(out, exist_ok=True)
    result = run(*args, "-o", os.path.join(out, "result.json"), check=False)
    check(result.returncode == 2, f"{what}: exit {result.returncode}, stderr {result.stderr!r}")
    for needle in needles:
        check(needle in result.stderr, f"{what}: {needle!r} not in {result.stderr!r}")
    check(os.listdir(out) == [], f"{what}: output left behind {os.listdir(out)}")


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as handle:
        handle.write(text)
    return path


def all_finite(value):
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(all_finite(v) for v in value)
    return True


with tempfile.TemporaryDirectory() as folder:
    wine = os.path.join(DATA, "wine.csv")
    card = os.path.join(folder, "wine.card.json")
    run("card", "--data", wine, "--label", "cultivar", "-q", "-o", card)
    with open(card) as handle:
        document = json.load(handle)

    other = dict(document, format="xferval.card/2")
    expect_error(folder, ["check", "--card", write(folder, "v2.json", json.dumps(other)), "--data", wine],
                 ["v2.json", "xferval.card/2", "format"], "card of another version")
    expect_error(folder, ["check", "--card", write(folder, "bad.json", '{"format": "xferval.card/1", "input": '),
                          "--data", wine], ["bad.json", "byte"], "truncated card")
    broken = dict(document)
    broken["input"] = {"kind": "tabular", "features": [{"name": "x", "kind": "numeric"}], "tensor": None}
    expect_error(folder, ["check", "--card", write(folder, "broken.json", json.dumps(broken)), "--data", wine],
                 ["broken.json", "input"], "card lacking a feature's scale")
    expect_error(folder, ["check", "--card", card, "--data", write(folder, "empty.csv", "alcohol,hue\n")],
                 ["empty.csv", "no data rows"], "empty target")
    expect_error(folder, ["check", "--card", card, "--data", os.path.join(DATA, "iris.csv")],
                 ["iris.csv", "none of the card's 13 features"], "unrelated target")
    expect_error(folder, ["check", "--card", os.path.join(folder, "absent.json"), "--data", wine],
                 ["absent.json", "cannot open"], "missing card")
    expect_error(folder, ["check", "--card", card, "--data", wine, "--policy",
                          write(folder, "p1.toml", '[checks."drift.nope"]\nthreshold = 1\n')],
                 ["p1.toml", "line 1", "drift.nope"], "policy naming an unknown check")
    expect_error(folder, ["check", "--card", card, "--data", wine, "--policy",
                          write(folder, "p2.toml", '[checks."drift.ks"]\nseverity = "fatal"\n')],
                 ["p2.toml", "line 2", "severity"], "policy with a bad severity")
    expect_error(folder, ["check", "--card", card, "--data", wine, "--policy",
                          write(folder, "p3.toml", '[options\n')], ["p3.toml", "line 1"], "policy that is not TOML")
    expect_error(folder, ["card", "--data", write(folder, "none.csv", "a,b\n")], ["none.csv", "no data rows"],
                 "empty source")
    expect_error(folder, ["card", "--data", wine, "--label", "nope"], ["wine.csv", "nope"], "absent label")

    # A constant column and more features than rows: shrinkage keeps every figure finite.
    frame = pd.read_csv(os.path.join(DATA, "digits.csv"))
    wide = frame.iloc[:40].copy()
    wide["constant"] = 1.0
    source, target = os.path.join(folder, "wide.csv"), os.path.join(folder, "wide_t.csv")
    wide.to_csv(source, index=False)
    frame.iloc[40:80].assign(constant=1.0).to_csv(target, index=False)
    wide_card = os.path.join(folder, "wide.card.json")
    run("card", "--data", source, "--label", "digit", "-q", "-o", wide_card)
    report_path = os.path.join(folder, "wide.report.json")
    result = run("check", "--card", wide_card, "--data", target, "-q", "-o", report_path, check=False)
    check(result.returncode in (0, 1), f"wide data: exit {result.returncode}: {result.stderr}")
    with open(report_path) as handle:
        report = json.load(handle)
    check(all_finite(report), "wide data: a NaN or infinity in the report")
    checks = {c["name"]: c for c in report["checks"]}
    ks = checks["multivariate.mahalanobis_ks"]
    check(ks["outcome"] != "skipped" and ks["details"]["shrinkage"] > 0,
          f"wide data: Mahalanobis without shrinkage: {ks}")
    check(checks["multivariate.hotelling"]["outcome"] == "skipped" or
          checks["multivariate.hotelling"]["details"]["shrinkage"] > 0, "wide data: Hotelling without shrinkage")

    # Labels the card does not know are a named anomaly, not an input error.
    target_labels = os.path.join(folder, "labels.csv")
    pd.read_csv(wine).assign(cultivar=lambda f: f.cultivar.str.replace("class_2", "class_9")).to_csv(
        target_labels, index=False)
    result = run("check", "--card", card, "--data", target_labels, "-q", "--json", check=False)
    report = json.loads(result.stdout)
    [new] = [c for c in report["checks"] if c["name"] == "schema.new_labels"]
    check(new["outcome"] == "fail" and new["details"]["labels"] == ["class_9"], f"new labels: {new}")
    [absent] = [c for c in report["checks"] if c["name"] == "schema.missing_labels"]
    check(absent["details"]["labels"] == ["class_2"], f"absent labels: {absent}")
finish("test_check_bad_input")
