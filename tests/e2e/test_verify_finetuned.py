"""`xferval verify` on models fine-tuned here with python3-torch, every figure against NumPy,
scikit-learn and PyTorch:
  - the Fashion-MNIST source CNN fine-tuned for 40 steps with its first conv layer frozen, saved as
    TorchScript and written as safetensors by NumPy: per-tensor changes and the power-law alpha
    (2-D and Conv2D kernels) from both file types; the frozen layer bit-identical, then changed by
    one ulp; the linear probe on the base embedding against scikit-learn;
  - a regression MLP on the diabetes data, trained further on new rows: MSE, MAE, R-squared, the
    improvement over the base, a ridge probe and forgetting on the source rows."""
import json
import os
import tempfile
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from common import DATA, ROOT, check, close, finish, run
from parameters_numpy import change_figures, fast_fit, write_safetensors

warnings.filterwarnings("ignore")
torch.manual_seed(0)
torch.set_num_threads(2)

MODELS = os.path.join(ROOT, "examples", "models")
BASE = os.path.join(MODELS, "fmnist_cnn_0-4.pt")
SOURCE, HOLDOUT = os.path.join(MODELS, "fmnist_source_0-4.npz"), os.path.join(MODELS, "fmnist_test_0-4.npz")
IMAGES = ["--member", "images", "--label", "labels"]


def verify_report(folder, name, *args, expect=0):
    path = os.path.join(folder, name)
    result = run("verify", *args, "-q", "-o", path, check=False)
    wanted = (0, 1) if expect is None else (expect,)  # None: warnings may or may not fail
    check(result.returncode in wanted, f"verify {args}: exit {result.returncode}, want {wanted}: {result.stderr}")
    with open(path) as handle:
        return json.load(handle)


def checks_named(report, name):
    return {c["feature"] or "": c for c in report["checks"] if c["name"] == name}


def state(module):
    return {name: p.detach().numpy().copy() for name, p in module.named_parameters()}


def cnn_case(folder):
    card_path = os.path.join(folder, "base.card.json")
    run("card", "--model", BASE, "--data", SOURCE, *IMAGES, "-q", "-o", card_path)
    with open(card_path) as handle:
        card = json.load(handle)
    mean, std = card["input"]["tensor"]["channel_mean"][0], card["input"]["tensor"]["channel_std"][0]

    def inputs(path):
        data = np.load(path)
        return (torch.tensor(data["images"], dtype=torch.float32).unsqueeze(1) - mean) / std, data["labels"]

    # Fine-tune briefly: everything but the first conv layer, 40 SGD steps on source batches.
    x, y = inputs(SOURCE)
    model = torch.jit.load(BASE)
    frozen = {"features.0.weight", "features.0.bias"}
    trainable = [p for name, p in model.named_parameters() if name not in frozen]
    for name, p in model.named_parameters():
        p.requires_grad_(name not in frozen)
    optimiser = torch.optim.SGD(trainable, lr=0.02, momentum=0.9)
    model.train()
    order = torch.randperm(len(y))
    for step in range(40):
        batch = order[step * 64:(step + 1) * 64]
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(x[batch]), torch.tensor(y[batch], dtype=torch.long)).backward()
        optimiser.step()
    model.eval()
    tuned_pt = os.path.join(folder, "tuned.pt")
    model.save(tuned_pt)
    run("card", "--model", tuned_pt, "--data", SOURCE, *IMAGES, "-q", "-o", os.path.join(folder, "tuned.card.json"))

    base, tuned = state(torch.jit.load(BASE)), state(torch.jit.load(tuned_pt))
    base_st = write_safetensors(os.path.join(folder, "base.safetensors"), base)
    tuned_st = write_safetensors(os.path.join(folder, "tuned.safetensors"), tuned)
    reports = {
        "TorchScript": verify_report(folder, "pt.json", "--base", BASE, "--tuned", tuned_pt, "--frozen", "features.0.*"),
        "safetensors": verify_report(folder, "st.json", "--base", base_st, "--tuned", tuned_st, "--frozen",
                                     "features.0.*"),
    }
    conv_alphas = 0
    for kind, report in reports.items():
        tensors = {t["name"]: t for t in report["sections"]["params"]["tensors"]}
        check(sorted(tensors) == sorted(base), f"{kind}: tensors compared {sorted(tensors)}")
        for name in base:
            for figure, expected in change_figures(base[name], tuned[name]).items():
                close(tensors[name][figure], expected, 1e-12, f"{kind} {name} {figure}", abs_floor=1e-300)
            if base[name].ndim in (2, 4):
                alpha = fast_fit(tuned[name])
                got = tensors[name].get("tuned_alpha")
                if alpha is None:
                    check(got is None or not got.get("fitted", False), f"{kind} {name}: alpha fitted, NumPy has none")
                else:
                    close(got["alpha"] if got else None, alpha, 1e-9, f"{kind} {name} alpha")
                    conv_alphas += base[name].ndim == 4
        frozen_checks = checks_named(report, "params.frozen_changed")
        check(sorted(frozen_checks) == sorted(frozen) and all(c["outcome"] == "pass" for c in frozen_checks.values()),
              f"{kind}: frozen layer checks {frozen_checks}")
    check(conv_alphas == 2, f"Conv2D alpha compared {conv_alphas} times (features.3.weight from both files)")

    # The frozen layer moved by one ulp: an error from either file type.
    nudged = torch.jit.load(tuned_pt)
    with torch.no_grad():
        weight = dict(nudged.named_parameters())["features.0.weight"]
        weight[0, 0, 0, 0] = float(np.nextafter(weight[0, 0, 0, 0].item(), np.float32(np.inf), dtype=np.float32))
    nudged_pt = os.path.join(folder, "nudged.pt")
    nudged.save(nudged_pt)
    report = verify_report(folder, "nudged.json", "--base", BASE, "--tuned", nudged_pt, "--frozen", "features.0.*",
                           expect=1)
    failed = [f for f, c in checks_named(report, "params.frozen_changed").items() if c["outcome"] == "fail"]
    check(failed == ["features.0.weight"], f"one ulp in a frozen layer: {failed}")

    # Evaluation on the 0-4 test images, with the linear probe on the base model's embedding.
    report = verify_report(folder, "eval.json", "--base", BASE, "--tuned", tuned_pt, "--base-card", card_path,
                           "--tuned-card", os.path.join(folder, "tuned.card.json"), "--data", HOLDOUT, *IMAGES)
    hx, hy = inputs(HOLDOUT)
    with torch.no_grad():
        tuned_accuracy = accuracy_score(hy, torch.jit.load(tuned_pt)(hx).argmax(1).numpy())
        embedding = torch.jit.load(BASE).forward_features(hx).double().numpy()
    probe = cross_val_predict(make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-10, max_iter=100000)),
                              embedding, hy, cv=StratifiedKFold(5))
    probe_accuracy = accuracy_score(hy, probe)
    got = checks_named(report, "eval.linear_probe")[""]
    close(got["details"]["tuned"], tuned_accuracy, 1e-12, "tuned accuracy beside the probe")
    # LibTorch and PyTorch embeddings differ by float32 rounding: a sample or two may flip.
    close(got["details"]["probe"], probe_accuracy, 0, "linear probe accuracy (logistic)", abs_floor=2 / len(hy))
    close(got["value"], tuned_accuracy - got["details"]["probe"], 1e-12, "eval.linear_probe value")
    check(got["outcome"] == ("pass" if got["value"] >= 0 else "fail"), f"linear probe outcome {got['outcome']}")
    # Fitted on the data the model was fine-tuned on (--train-data), scored on the holdout.
    report = verify_report(folder, "eval_train.json", "--base", BASE, "--tuned", tuned_pt, "--base-card", card_path,
                           "--tuned-card", os.path.join(folder, "tuned.card.json"), "--data", HOLDOUT,
                           "--train-data", SOURCE, *IMAGES, expect=None)
    with torch.no_grad():
        train_embedding = torch.jit.load(BASE).forward_features(x).double().numpy()
    fitted = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-10, max_iter=100000))
    train_probe = accuracy_score(hy, fitted.fit(train_embedding, y).predict(embedding))
    got_train = checks_named(report, "eval.linear_probe")[""]
    check(got_train["details"]["fitted"] == "train data" and got_train["details"]["train_samples"] == len(y),
          f"probe fitted on the train data: {got_train['details']}")
    close(got_train["details"]["probe"], train_probe, 0, "linear probe fitted on --train-data", abs_floor=2 / len(hy))
    print(f"fine-tuned CNN: holdout accuracy {tuned_accuracy:.4f}, linear probe {got['details']['probe']:.4f} "
          f"cross-validated (scikit-learn {probe_accuracy:.4f}), {got_train['details']['probe']:.4f} fitted on the "
          f"{len(y)} training images (scikit-learn {train_probe:.4f})")


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.head = nn.Linear(16, 1)

    @torch.jit.export
    def forward_features(self, x):
        return self.features(x)

    def forward(self, x):
        return self.head(self.features(x))


def fit(model, x, y, steps, lr):
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimiser.zero_grad()
        nn.functional.mse_loss(model(x).squeeze(1), y).backward()
        optimiser.step()


def regression_case(folder):
    frame = pd.read_csv(os.path.join(DATA, "diabetes.csv"))
    parts = {"source": frame.iloc[:300], "target": frame.iloc[300:380], "holdout": frame.iloc[380:]}
    paths = {}
    for name, part in parts.items():
        paths[name] = os.path.join(folder, f"diabetes_{name}.csv")
        part.to_csv(paths[name], index=False)
    data_card = os.path.join(folder, "diabetes.data.card.json")
    run("card", "--data", paths["source"], "--label", "progression", "-q", "-o", data_card)
    with open(data_card) as handle:
        spec = json.load(handle)["input"]["features"]
    columns = [f["name"] for f in spec]
    mean = np.array([f["mean"] for f in spec])
    scale = np.array([f["scale"] for f in spec])

    def z(part):
        return torch.tensor((part[columns].to_numpy(float) - mean) / scale, dtype=torch.float32)

    def target(part):
        return torch.tensor(part["progression"].to_numpy(float), dtype=torch.float32)

    model = Regressor()
    with torch.no_grad():
        model.head.bias.fill_(float(parts["source"]["progression"].mean()))
    fit(model, z(parts["source"]), target(parts["source"]), 400, 0.01)
    base_pt = os.path.join(folder, "diabetes_base.pt")
    torch.jit.script(model).save(base_pt)
    fit(model, z(parts["target"]), target(parts["target"]), 150, 0.01)
    tuned_pt = os.path.join(folder, "diabetes_tuned.pt")
    torch.jit.script(model).save(tuned_pt)
    cards = {}
    for name, path in (("base", base_pt), ("tuned", tuned_pt)):
        cards[name] = os.path.join(folder, f"diabetes_{name}.card.json")
        run("card", "--model", path, "--data", paths["source"], "--label", "progression", "-q", "-o", cards[name])

    report = verify_report(folder, "regression.json", "--base", base_pt, "--tuned", tuned_pt, "--base-card",
                           cards["base"], "--tuned-card", cards["tuned"], "--data", paths["holdout"], "--source-data",
                           paths["source"], "--label", "progression", expect=None)
    base_m, tuned_m = torch.jit.load(base_pt), torch.jit.load(tuned_pt)
    with torch.no_grad():
        hx = z(parts["holdout"])
        tuned_p = tuned_m(hx).squeeze(1).double().numpy()
        base_p = base_m(hx).squeeze(1).double().numpy()
        embedding = base_m.forward_features(hx).double().numpy()
        source_base = base_m(z(parts["source"])).squeeze(1).double().numpy()
        source_tuned = tuned_m(z(parts["source"])).squeeze(1).double().numpy()
    y = parts["holdout"]["progression"].to_numpy(float)
    ys = parts["source"]["progression"].to_numpy(float)
    r2 = checks_named(report, "eval.r2")[""]
    # xferval forms the z-scores in double before the float32 model, PyTorch here in float32.
    close(r2["value"], r2_score(y, tuned_p), 0, "holdout R-squared", abs_floor=1e-5)
    close(r2["details"]["mse"], mean_squared_error(y, tuned_p), 1e-5, "holdout MSE")
    close(r2["details"]["mae"], mean_absolute_error(y, tuned_p), 1e-5, "holdout MAE")
    check(r2["details"]["samples"] == len(y), "regression samples")
    improvement = checks_named(report, "eval.improvement")[""]
    close(improvement["value"], r2_score(y, tuned_p) - r2_score(y, base_p), 0, "R-squared improvement",
          abs_floor=2e-5)
    probe = cross_val_predict(make_pipeline(StandardScaler(), Ridge(alpha=1.0)), embedding, y, cv=KFold(5))
    got = checks_named(report, "eval.linear_probe")[""]
    close(got["details"]["probe"], r2_score(y, probe), 0, "ridge probe R-squared", abs_floor=1e-4)
    forgetting = checks_named(report, "eval.forgetting")[""]
    close(forgetting["value"], r2_score(ys, source_base) - r2_score(ys, source_tuned), 0, "source R-squared drop",
          abs_floor=2e-5)
    skipped = {c["name"] for c in report["checks"] if c["outcome"] == "skipped"}
    check({"eval.accuracy", "eval.calibration"} <= skipped, f"classification checks not skipped: {skipped}")
    check(report["sections"]["evaluation"]["task"] == "regression", "evaluation section task")
    print(f"diabetes regression: holdout R-squared {r2['value']:.4f} tuned, base "
          f"{r2_score(y, base_p):.4f}, ridge probe {got['details']['probe']:.4f}")


with tempfile.TemporaryDirectory() as folder:
    cnn_case(folder)
    regression_case(folder)
finish("test_verify_finetuned")
