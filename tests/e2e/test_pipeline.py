"""`xferval run PIPELINE.toml` end to end on the Fashion-MNIST example data: the transfer to
classes 5-9 passes, with every stage's artifacts and one report from the check and verify
stages; a rerun skips every stage; --until stops early; an inverted target fails the data check
naming drift.tensor and tuning does not start (unless --force); a bad pipeline file exits 2."""
import json
import os
import tempfile

from common import ROOT, check, finish, run

MODELS = os.path.join(ROOT, "examples", "models")


def pipeline(folder, name, target, trials=3):
    path = os.path.join(folder, f"{name}.toml")
    with open(path, "w") as handle:
        handle.write(f"""
[pipeline]
name = "{name}"
output = "{name}-out"

[source]
data = "{MODELS}/fmnist_source_0-4.npz"
member = "images"
label = "labels"

[model]
path = "{MODELS}/fmnist_cnn_0-4.pt"

[target]
data = "{target}"
member = "images"
label = "labels"

[holdout]
data = "{MODELS}/fmnist_test_5-9.npz"
member = "images"
label = "labels"

[tune]
trials = {trials}
epochs = 2
seed = 0
""")
    return path, os.path.join(folder, f"{name}-out")


with tempfile.TemporaryDirectory() as folder:
    path, out = pipeline(folder, "transfer", f"{MODELS}/fmnist_target_5-9.npz")
    result = run("run", path, "-q", check=False)
    check(result.returncode == 0 and "PASS" in result.stdout, f"transfer: exit {result.returncode}: {result.stdout}{result.stderr}")
    for artifact in ("target.profile.json", "source.card.json", "check.report.json", "tune/model.pt",
                     "tune/model.card.json", "tune/study.db", "verify.report.json", "report.json", "report.html",
                     "report.md", "junit.xml"):
        check(os.path.exists(os.path.join(out, artifact)), f"transfer: {artifact} missing")
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    names = {c["name"].split(".")[0] for c in report["checks"]}
    check({"schema", "drift", "ood", "transfer", "params", "eval"} <= names, f"transfer: report families {names}")
    check(report["verdict"] == "PASS", "transfer: verdict")
    trials = report["sections"].get("tune", {}).get("trials", [])
    check(len(trials) == 3 and all("params" in t and "state" in t for t in trials), f"transfer: search history {trials}")
    for section in ("ood", "tune", "evaluation", "params"):
        check(section in report["sections"], f"transfer: report section {section} missing")
    accuracy = [c for c in report["checks"] if c["name"] == "eval.accuracy"][0]["value"]
    print(f"transfer: tuned accuracy on the 5-9 holdout {accuracy:.4f}")
    check(accuracy > 0.5, f"transfer: tuned accuracy {accuracy}")

    result = run("run", path, "-q", check=False)
    skipped = [line for line in result.stdout.splitlines() if "skipped (inputs unchanged)" in line]
    check(len(skipped) == 5, f"rerun: {len(skipped)} stages skipped:\n{result.stdout}")

    partial, partial_out = pipeline(folder, "partial", f"{MODELS}/fmnist_target_5-9.npz")
    result = run("run", partial, "--until", "check", "-q", check=False)
    check(os.path.exists(os.path.join(partial_out, "check.report.json")) and
          not os.path.exists(os.path.join(partial_out, "tune")), f"--until check: {os.listdir(partial_out)}")

    inverted = os.path.join(ROOT, "examples", "fashion-mnist", "target_inverted_5-9.npz")
    shifted, shifted_out = pipeline(folder, "shifted", inverted)
    result = run("run", shifted, "-q", check=False)
    check(result.returncode == 1 and "not started" in result.stdout, f"shifted: exit {result.returncode}: {result.stdout}")
    with open(os.path.join(shifted_out, "report.json")) as handle:
        failed = {c["name"] for c in json.load(handle)["checks"] if c["outcome"] == "fail" and c["severity"] == "error"}
    check(failed == {"drift.tensor"}, f"shifted: failed error checks {failed}")
    check(not os.path.exists(os.path.join(shifted_out, "tune", "model.pt")), "shifted: tuned without --force")

    bad = os.path.join(folder, "bad.toml")
    with open(bad, "w") as handle:
        handle.write('[pipeline]\nname = "x"\n[tune]\ntrials = "many"\n')
    result = run("run", bad, "-q", check=False)
    check(result.returncode == 2 and "bad.toml" in result.stderr, f"bad pipeline: exit {result.returncode}: {result.stderr}")
finish("test_pipeline")
