"""`xferval verify` on real parameters (a scikit-learn MLP fitted on the digits, then trained further
on the digits 0-4), written as safetensors by NumPy from the format's specification: every figure
against NumPy, and planted faults each caught with the right message and exit status."""
import json
import os
import struct
import tempfile
import warnings

import numpy as np
import pandas as pd
from sklearn.neural_network import MLPClassifier

from common import DATA, check, close, finish, run
from parameters_numpy import change_figures, fast_fit, write_safetensors

warnings.filterwarnings("ignore")


def verify(folder, *args, expect):
    out = os.path.join(folder, "out")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        os.remove(os.path.join(out, name))
    path = os.path.join(out, "report.json")
    result = run("verify", *args, "-q", "-o", path, check=False)
    check(result.returncode == expect, f"verify {args}: exit {result.returncode}, want {expect}: {result.stderr}")
    if result.returncode == 2:
        check(os.listdir(out) == [], f"verify {args}: output left behind")
        return result, None
    with open(path) as handle:
        return result, json.load(handle)


def failed(report, name):
    return [c for c in report["checks"] if c["name"] == name and c["outcome"] == "fail"]


def expect_input_error(folder, args, needles, what):
    result, _ = verify(folder, *args, expect=2)
    for needle in needles:
        check(needle in result.stderr, f"{what}: {needle!r} not in {result.stderr!r}")


frame = pd.read_csv(os.path.join(DATA, "digits.csv"))
y = frame["digit"].to_numpy()
X = frame.drop(columns=["digit"]).to_numpy() / 16.0
model = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=15, random_state=0).fit(X, y)


def parameters(m):
    out = {}
    for i, (w, b) in enumerate(zip(m.coefs_, m.intercepts_)):
        out[f"fc{i + 1}.weight"] = np.ascontiguousarray(w.T).astype(np.float32)
        out[f"fc{i + 1}.bias"] = b.astype(np.float32)
    return out


base = parameters(model)
for _ in range(5):
    model.partial_fit(X[y < 5], y[y < 5])
tuned = parameters(model)

with tempfile.TemporaryDirectory() as folder:
    base_path = write_safetensors(os.path.join(folder, "base.safetensors"), base)
    tuned_path = write_safetensors(os.path.join(folder, "tuned.safetensors"), tuned)

    # Every figure against NumPy.
    result, report = verify(folder, "--base", base_path, "--tuned", tuned_path, expect=0)
    check(report["format"] == "xferval.report/1" and report["verb"] == "verify", "report format and verb")
    tensors = {t["name"]: t for t in report["sections"]["params"]["tensors"]}
    check(sorted(tensors) == sorted(base), f"tensors compared: {sorted(tensors)}")
    for name in base:
        got = tensors[name]
        for figure, expected in change_figures(base[name], tuned[name]).items():
            close(got[figure], expected, 1e-12, f"{name} {figure}")
        if base[name].ndim == 2:
            alpha = fast_fit(tuned[name])
            if alpha is not None:
                close(got["tuned_alpha"]["alpha"], alpha, 1e-9, f"{name} alpha")
    rel = [c for c in report["checks"] if c["name"] == "params.relative_change"]
    check(len(rel) == len(base), f"relative_change on every tensor: {len(rel)}")

    # A NaN in one tensor: a named error check, exit 1.
    broken = dict(tuned)
    broken["fc2.weight"] = tuned["fc2.weight"].copy()
    broken["fc2.weight"][3, 4] = np.nan
    _, report = verify(folder, "--base", base_path, "--tuned",
                       write_safetensors(os.path.join(folder, "nan.safetensors"), broken), expect=1)
    bad = failed(report, "params.non_finite")
    check([c["feature"] for c in bad] == ["fc2.weight"] and bad[0]["details"]["nan"] == 1, f"NaN: {bad}")

    # A frozen layer changed by one ulp.
    frozen = dict(base)
    frozen["fc1.weight"] = base["fc1.weight"].copy()
    frozen["fc1.weight"][0, 0] = np.nextafter(frozen["fc1.weight"][0, 0], np.float32(np.inf))
    frozen_path = write_safetensors(os.path.join(folder, "frozen.safetensors"), frozen)
    _, report = verify(folder, "--base", base_path, "--tuned", frozen_path, "--frozen", "fc1.*", expect=1)
    bad = failed(report, "params.frozen_changed")
    check([c["feature"] for c in bad] == ["fc1.weight"], f"frozen one ulp: {bad}")
    _, report = verify(folder, "--base", base_path, "--tuned", frozen_path, "--frozen", "fc2.*", expect=0)
    check(not failed(report, "params.frozen_changed"), "frozen fc2 untouched passes")

    # A renamed tensor: missing and added both listed.
    renamed = {("fc2.kernel" if k == "fc2.weight" else k): v for k, v in tuned.items()}
    result, report = verify(folder, "--base", base_path, "--tuned",
                            write_safetensors(os.path.join(folder, "renamed.safetensors"), renamed), expect=1)
    missing = failed(report, "params.missing_tensor")
    check(missing and missing[0]["details"]["tensors"] == ["fc2.weight"], f"renamed: missing {missing}")
    added = failed(report, "params.unexpected_tensor")
    check(added and added[0]["details"]["tensors"] == ["fc2.kernel"], f"renamed: added {added}")
    check("fc2.weight" in result.stdout and "fc2.kernel" in result.stdout, f"renamed: {result.stdout}")

    # Head surgery: a new 5-class head is expected, reported as info, and the verdict passes.
    surgery = dict(tuned)
    surgery["fc3.weight"] = tuned["fc3.weight"][:5].copy()
    surgery["fc3.bias"] = tuned["fc3.bias"][:5].copy()
    _, report = verify(folder, "--base", base_path, "--tuned",
                       write_safetensors(os.path.join(folder, "surgery.safetensors"), surgery), expect=0)
    head = failed(report, "params.head_surgery")
    check(head and head[0]["severity"] == "info" and report["sections"]["params"]["head"] == ["fc3"], f"head: {head}")
    check(not [c for c in report["checks"] if c["name"] == "params.relative_change" and c["feature"].startswith("fc3")],
          "head tensors are not judged by relative_change")

    # A policy raising relative_change to an error fails the verdict.
    policy = os.path.join(folder, "policy.toml")
    with open(policy, "w") as handle:
        handle.write('[checks."params.relative_change"]\nthreshold = 1e-9\nseverity = "error"\n')
    _, report = verify(folder, "--base", base_path, "--tuned", tuned_path, "--policy", policy, expect=1)
    check(len(failed(report, "params.relative_change")) == len(base), "policy override")
    printed = run("verify", "--print-policy")
    check('[checks."params.alpha_over_trained"]' in printed.stdout, "print-policy")

    # Bad input: exit 2, the file and the byte or tensor named, nothing written.
    whole = open(tuned_path, "rb").read()
    (n,) = struct.unpack("<Q", whole[:8])
    truncated = os.path.join(folder, "truncated.safetensors")
    open(truncated, "wb").write(whole[:-100])
    expect_input_error(folder, ["--base", base_path, "--tuned", truncated],
                       ["truncated.safetensors", "MetadataIncompleteBuffer", "truncated"], "truncated file")
    header = json.loads(whole[8:8 + n])
    header["fc1.bias"]["data_offsets"][0] -= 4
    header["fc1.bias"]["data_offsets"][1] -= 4
    name_overlap = os.path.join(folder, "overlap.safetensors")
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    open(name_overlap, "wb").write(struct.pack("<Q", len(text)) + text + whole[8 + n:])
    expect_input_error(folder, ["--base", name_overlap, "--tuned", tuned_path],
                       ["overlap.safetensors", "tensor 'fc1.bias'", "overlaps", "InvalidOffset"], "overlapping offsets")
    too_long = os.path.join(folder, "long.safetensors")
    open(too_long, "wb").write(struct.pack("<Q", len(whole)) + whole[8:])
    expect_input_error(folder, ["--base", base_path, "--tuned", too_long],
                       ["long.safetensors", "byte 0", "InvalidHeaderLength"], "header length past the file")
    huge = os.path.join(folder, "huge.safetensors")
    open(huge, "wb").write(struct.pack("<Q", 100_000_001))
    expect_input_error(folder, ["--base", huge, "--tuned", tuned_path],
                       ["huge.safetensors", "byte 0", "HeaderTooLarge"], "header over 100 MB")
    shards = os.path.join(folder, "sharded")
    os.makedirs(shards)
    write_safetensors(os.path.join(shards, "model-00001-of-00002.safetensors"),
                      {k: v for k, v in tuned.items() if k.startswith("fc1")})
    with open(os.path.join(shards, "model.safetensors.index.json"), "w") as handle:
        json.dump({"metadata": {"total_size": 0}, "weight_map": {
            k: "model-00001-of-00002.safetensors" if k.startswith("fc1") else "model-00002-of-00002.safetensors"
            for k in tuned}}, handle)
    expect_input_error(folder, ["--base", base_path, "--tuned", shards],
                       ["model.safetensors.index.json", "model-00002-of-00002.safetensors", "does not exist"],
                       "index naming a missing shard")
    write_safetensors(os.path.join(shards, "model-00002-of-00002.safetensors"),
                      {k: v for k, v in tuned.items() if not k.startswith("fc1")})
    _, report = verify(folder, "--base", base_path, "--tuned", shards, expect=0)
    check(len(report["sections"]["params"]["tensors"]) == len(base), "sharded tuned compared")
    expect_input_error(folder, ["--base", base_path], ["--tuned"], "missing --tuned")
finish("test_verify")
