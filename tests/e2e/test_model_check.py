"""Model cards, `check --model` and `rank` on the committed Fashion-MNIST example models:
the card's model sections against python3-torch, OOD rates of in-distribution, new-class and
corrupted targets, transferability margins over their controls, a card for another model refused,
and the LogME ranking of the candidates against their accuracies after fine-tuning a new head
(weighted Kendall tau)."""
import json
import os
import tempfile

import numpy as np
import torch
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common import ROOT, check, close, finish, run

MODELS = os.path.join(ROOT, "examples", "models")
SOURCE = os.path.join(MODELS, "fmnist_source_0-4.npz")
CANDIDATES = ["fmnist_cnn_0-4.pt", "fmnist_cnn_0-4_short.pt", "fmnist_cnn_01.pt", "fmnist_cnn_random.pt"]
torch.set_num_threads(2)


def model_path(name):
    return os.path.join(MODELS, name)


def check_report(folder, card, data, *extra):
    report = os.path.join(folder, "r.json")
    result = run("check", "--card", card, "--model", model_path("fmnist_cnn_0-4.pt"), "--data", data,
                 "--member", "images", "--label", "labels", "-q", "-o", report, *extra, check=False)
    with open(report) as handle:
        return result, {c["name"]: c for c in json.load(handle)["checks"]}


def fine_tune_accuracy(name, mean, std):
    """Accuracy on the held-out 5-9 test images after fine-tuning a new head on the 500 target
    images with the candidate's backbone frozen (the linear setting LogME estimates):
    scikit-learn's LogisticRegression on the standardised embeddings from python3-torch."""
    model = torch.jit.load(model_path(name))
    target, test = np.load(os.path.join(MODELS, "fmnist_target_5-9.npz")), np.load(os.path.join(MODELS, "fmnist_test_5-9.npz"))
    prepare = lambda images: (torch.tensor(images, dtype=torch.float32).unsqueeze(1) - mean) / std
    with torch.no_grad():
        train_x, test_x = model.forward_features(prepare(target["images"])), model.forward_features(prepare(test["images"]))
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(train_x.numpy(), target["labels"])
    return probe.score(test_x.numpy(), test["labels"])


with tempfile.TemporaryDirectory() as folder:
    card = os.path.join(folder, "fmnist.card.json")
    result = run("card", "--model", model_path("fmnist_cnn_0-4.pt"), "--data", SOURCE, "--member", "images",
                 "--label", "labels", "-q", "-o", card)
    with open(card) as handle:
        document = json.load(handle)
    model = document["model"]
    check(model["head"] == {"name": "classifier", "inputs": 64, "outputs": 5}, f"head: {model['head']}")
    check(model["output"]["labels"] == ["0", "1", "2", "3", "4"], f"head labels: {model['output']}")
    check(model["features_method"] == "forward_features", "features method")
    source_accuracy = model["output"]["source_accuracy"]
    check(source_accuracy > 0.85, f"source accuracy {source_accuracy}")
    reference = torch.jit.load(model_path("fmnist_cnn_0-4.pt"))
    expected = [(n, list(p.shape), p.double().norm().item()) for n, p in reference.named_parameters()]
    actual = [(p["name"], p["shape"], p["l2_norm"]) for p in model["parameters"]]
    check([a[:2] for a in actual] == [e[:2] for e in expected], "parameter names and shapes")
    for (name, _, norm), (_, _, expected_norm) in zip(actual, expected):
        close(norm, expected_norm, 1e-12, f"L2 norm of {name}")
    mean = document["input"]["tensor"]["channel_mean"][0]
    std = document["input"]["tensor"]["channel_std"][0]
    source = np.load(SOURCE)
    close(mean, source["images"].astype(np.float64).mean(), 1e-12, "card channel mean")
    with torch.no_grad():
        x = (torch.tensor(source["images"], dtype=torch.float32).unsqueeze(1) - mean) / std
        accuracy = (reference(x).argmax(1).numpy() == source["labels"]).mean()
    close(source_accuracy, accuracy, 1e-12, "source accuracy against python3-torch")

    rates = {}
    test_images = np.load(os.path.join(MODELS, "fmnist_test_5-9.npz"))
    inverted = os.path.join(folder, "inverted.npz")
    np.savez(inverted, images=255 - test_images["images"], labels=test_images["labels"])
    for name, data in [("classes 0-4", os.path.join(MODELS, "fmnist_test_0-4.npz")),
                       ("classes 5-9", os.path.join(MODELS, "fmnist_test_5-9.npz")), ("inverted 5-9", inverted)]:
        result, checks = check_report(folder, card, data)
        rates[name] = checks["ood.rate"]["value"]
        for score in ("transfer.logme", "transfer.leep", "transfer.nce", "transfer.h_score"):
            check(checks[score]["outcome"] == "pass" or name == "inverted 5-9",
                  f"{name}: {score} margin {checks[score]['value']}")
        print(f"{name}: OOD rate {rates[name]:.3f}, LogME {checks['transfer.logme']['details']['score']:.4f} "
              f"(control {checks['transfer.logme']['details']['permuted_control']:.4f}), exit {result.returncode}")
    check(rates["classes 0-4"] < 0.12, f"in-distribution OOD rate {rates['classes 0-4']}")
    check(rates["classes 5-9"] > 0.3 and rates["inverted 5-9"] > 0.9, f"OOD rates {rates}")

    other = os.path.join(folder, "other.card.json")
    run("card", "--model", model_path("fmnist_cnn_01.pt"), "--data", SOURCE, "--member", "images", "--label", "labels",
        "-q", "-o", other)
    result = run("check", "--card", other, "--model", model_path("fmnist_cnn_0-4.pt"), "--data", SOURCE,
                 "--member", "images", "--label", "labels", "-q", check=False)
    check(result.returncode == 2 and "another model" in result.stderr and "other.card.json" in result.stderr,
          f"card for another model: exit {result.returncode}, {result.stderr!r}")

    ranking_path = os.path.join(folder, "rank.json")
    run("rank", "--data", os.path.join(MODELS, "fmnist_target_5-9.npz"), "--member", "images", "--label", "labels",
        "-q", "-o", ranking_path, *[model_path(name) for name in CANDIDATES])
    with open(ranking_path) as handle:
        ranking = json.load(handle)["models"]
    logme = {os.path.basename(m["path"]): m["logme"] for m in ranking}
    for m in ranking:
        check(m["logme"] > m["logme_permuted_control"], f"{m['path']}: LogME not above its control")
    accuracies = {name: fine_tune_accuracy(name, mean, std) for name in CANDIDATES}
    tau = stats.weightedtau([logme[n] for n in CANDIDATES], [accuracies[n] for n in CANDIDATES]).correlation
    for name in CANDIDATES:
        print(f"{name}: LogME {logme[name]:.4f}, accuracy with a fine-tuned head {accuracies[name]:.4f}")
    print(f"weighted Kendall tau (LogME vs fine-tuned accuracy): {tau:.3f}")
    check(tau > 0.3, f"weighted tau {tau}")
    check(max(logme, key=logme.get) != "fmnist_cnn_random.pt", "the untrained candidate ranks first")
finish("test_model_check")
