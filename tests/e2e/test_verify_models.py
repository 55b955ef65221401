"""`xferval verify` on TorchScript models with their cards: the parameter checks read .pt files
as they read safetensors; --data evaluates base and tuned on a labelled holdout (accuracy,
macro-F1, log-loss against scikit-learn on python3-torch's predictions), --source-data measures
forgetting; `xferval export --safetensors` writes the same bytes python3-torch holds; a NaN
planted in the tuned model fails the verdict."""
import json
import os
import struct
import tempfile

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score, log_loss

from common import ROOT, check, close, finish, run

MODELS = os.path.join(ROOT, "examples", "models")
BASE, TUNED = os.path.join(MODELS, "fmnist_cnn_0-4.pt"), os.path.join(MODELS, "fmnist_cnn_0-4_short.pt")
SOURCE, HOLDOUT = os.path.join(MODELS, "fmnist_source_0-4.npz"), os.path.join(MODELS, "fmnist_test_0-4.npz")
DATA = ["--member", "images", "--label", "labels"]


def predictions(model_path, card, data_path):
    mean, std = card["input"]["tensor"]["channel_mean"][0], card["input"]["tensor"]["channel_std"][0]
    data = np.load(data_path)
    with torch.no_grad():
        x = (torch.tensor(data["images"], dtype=torch.float32).unsqueeze(1) - mean) / std
        probabilities = torch.softmax(torch.jit.load(model_path)(x).double(), 1).numpy()
    return data["labels"], probabilities


with tempfile.TemporaryDirectory() as folder:
    cards = {}
    for name, model in (("base", BASE), ("tuned", TUNED)):
        cards[name] = os.path.join(folder, f"{name}.card.json")
        run("card", "--model", model, "--data", SOURCE, *DATA, "-q", "-o", cards[name])
    with open(cards["base"]) as handle:
        base_card = json.load(handle)
    report_path = os.path.join(folder, "verify.json")
    result = run("verify", "--base", BASE, "--tuned", TUNED, "--base-card", cards["base"], "--tuned-card", cards["tuned"],
                 "--data", HOLDOUT, "--source-data", SOURCE, *DATA, "-q", "-o", report_path, check=False)
    check(result.returncode == 0, f"verify exit {result.returncode}: {result.stderr}")
    with open(report_path) as handle:
        report = json.load(handle)
    checks = {c["name"]: c for c in report["checks"] if not c["feature"]}
    truth, tuned_p = predictions(TUNED, base_card, HOLDOUT)
    _, base_p = predictions(BASE, base_card, HOLDOUT)
    tuned_accuracy, base_accuracy = accuracy_score(truth, tuned_p.argmax(1)), accuracy_score(truth, base_p.argmax(1))
    close(checks["eval.accuracy"]["value"], tuned_accuracy, 1e-12, "holdout accuracy")
    close(checks["eval.accuracy"]["details"]["macro_f1"], f1_score(truth, tuned_p.argmax(1), average="macro"), 1e-12,
          "holdout macro-F1")
    close(checks["eval.accuracy"]["details"]["log_loss"], log_loss(truth, tuned_p), 1e-5, "holdout log-loss")
    close(checks["eval.improvement"]["value"], tuned_accuracy - base_accuracy, 1e-12, "improvement over base")
    check(checks["eval.improvement"]["outcome"] == "fail", "a worse tuned model passes eval.improvement")
    source_truth, source_tuned = predictions(TUNED, base_card, SOURCE)
    _, source_base = predictions(BASE, base_card, SOURCE)
    drop = accuracy_score(source_truth, source_base.argmax(1)) - accuracy_score(source_truth, source_tuned.argmax(1))
    close(checks["eval.forgetting"]["value"], drop, 1e-12, "forgetting (source accuracy drop)")
    matrix = np.array(report["sections"]["evaluation"]["confusion_matrix"]["matrix"])
    check(matrix.sum() == len(truth) and np.trace(matrix) == round(tuned_accuracy * len(truth)), "confusion matrix")
    params = [c for c in report["checks"] if c["name"] == "params.non_finite"]
    check(len(params) == 8 and all(c["outcome"] == "pass" for c in params), "parameter checks on .pt files")

    exported = os.path.join(folder, "base.safetensors")
    run("export", BASE, "--safetensors", exported)
    with open(exported, "rb") as handle:
        blob = handle.read()
    size = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + size])
    for name, parameter in torch.jit.load(BASE).named_parameters():
        start, end = header[name]["data_offsets"]
        values = np.frombuffer(blob[8 + size + start:8 + size + end], dtype="<f4").reshape(header[name]["shape"])
        check(np.array_equal(values, parameter.detach().numpy()), f"exported {name} differs")

    # Parameters the tuned card's lineage lists as frozen are held to bit-identity without --frozen.
    with open(cards["tuned"]) as handle:
        tuned_card = json.load(handle)
    tuned_card["model"]["lineage"]["frozen_parameters"] = ["features.0.weight"]
    frozen_card = os.path.join(folder, "frozen.card.json")
    with open(frozen_card, "w") as handle:
        json.dump(tuned_card, handle)
    result = run("verify", "--base", BASE, "--tuned", TUNED, "--tuned-card", frozen_card, "-q", "--json", check=False)
    failed = {(c["name"], c["feature"]) for c in json.loads(result.stdout)["checks"] if c["outcome"] == "fail"}
    check(result.returncode == 1 and ("params.frozen_changed", "features.0.weight") in failed,
          f"frozen in lineage: exit {result.returncode}, failed {failed}")

    poisoned = os.path.join(folder, "poisoned.pt")
    model = torch.jit.load(TUNED)
    with torch.no_grad():
        dict(model.named_parameters())["features.3.weight"][0, 0, 0, 0] = float("nan")
    model.save(poisoned)
    result = run("verify", "--base", BASE, "--tuned", poisoned, "-q", "--json", check=False)
    failed = {(c["name"], c["feature"]) for c in json.loads(result.stdout)["checks"] if c["outcome"] == "fail"}
    check(result.returncode == 1 and ("params.non_finite", "features.3.weight") in failed,
          f"NaN in the tuned model: exit {result.returncode}, failed {failed}")
finish("test_verify_models")
