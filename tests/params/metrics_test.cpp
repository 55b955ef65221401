// Evaluation metrics against scikit-learn on real predictions: a LogisticRegression on the
// digits (10 classes) and on wine (3 classes), a Ridge regression on diabetes.
#include "xferval/params/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace xferval::params {
namespace {

void expect_relative(double actual, double expected, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected), 1e-12 * std::max(std::fabs(expected), 1e-300))
      << what << ": " << actual << " vs " << expected;
}

nlohmann::json classification(const std::string& dataset, const std::string& label) {
  return nlohmann::json::parse(testing::run_python(R"PY(
import json, warnings
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, confusion_matrix
warnings.filterwarnings("ignore")
frame = pd.read_csv(")PY" + testing::source_path("data/" + dataset).string() +
                                                   R"PY(")
y = pd.factorize(frame[")PY" + label + R"PY("], sort=True)[0]
X = frame.drop(columns=[")PY" + label + R"PY("]).to_numpy(dtype=float)
X = (X - X.mean(0)) / (X.std(0) + 1e-9)
train = np.arange(len(y)) % 3 != 0
model = LogisticRegression(max_iter=30).fit(X[train], y[train])
p = model.predict_proba(X[~train]); t = y[~train]; pred = p.argmax(1)
p[0] = 0.0; p[0, t[0]] = 1.0   # exercise the eps clipping
pred[:3] = (t[:3] + 1) % p.shape[1]
conf = p.max(1); hit = (p.argmax(1) == t)
bins = np.minimum(np.maximum(np.ceil(conf * 15) - 1, 0), 14).astype(int)
ece = sum((bins == b).mean() * abs(hit[bins == b].mean() - conf[bins == b].mean()) for b in range(15) if (bins == b).any())
print(json.dumps({"truth": t.tolist(), "pred": pred.tolist(), "proba": p.ravel().tolist(), "k": p.shape[1],
  "accuracy": accuracy_score(t, pred), "f1": f1_score(t, pred, average="macro", zero_division=0),
  "log_loss": log_loss(t, p, labels=list(range(p.shape[1]))), "ece": float(ece),
  "confusion": confusion_matrix(t, pred, labels=list(range(p.shape[1]))).tolist()}))
)PY"));
}

TEST(Metrics, ClassificationMatchesScikitLearn) {
  for (auto [dataset, label] : {std::pair{"digits.csv", "digit"}, std::pair{"wine.csv", "cultivar"}}) {
    const nlohmann::json expected = classification(dataset, label);
    const auto truth = expected["truth"].get<std::vector<int64_t>>();
    const auto predicted = expected["pred"].get<std::vector<int64_t>>();
    const auto probabilities = expected["proba"].get<std::vector<double>>();
    const size_t classes = expected["k"];
    expect_relative(accuracy(truth, predicted), expected["accuracy"], std::string(dataset) + " accuracy");
    expect_relative(macro_f1(truth, predicted), expected["f1"], std::string(dataset) + " macro F1");
    expect_relative(log_loss(truth, probabilities, classes), expected["log_loss"],
                    std::string(dataset) + " log loss");
    EXPECT_NEAR(expected_calibration_error(truth, probabilities, classes), expected["ece"].get<double>(),
                1e-12)
        << dataset;
    const auto matrix = confusion_matrix(truth, predicted, classes);
    EXPECT_EQ(nlohmann::json(matrix), expected["confusion"]) << dataset;
  }
}

TEST(Metrics, MacroF1CountsLabelsOnlyPredictedWithZeroDivisionZero) {
  const std::string output = testing::run_python(R"PY(
from sklearn.metrics import f1_score
print(repr(f1_score([0, 0, 1, 1], [0, 2, 2, 2], average="macro", zero_division=0)))
)PY");
  expect_relative(macro_f1({0, 0, 1, 1}, {0, 2, 2, 2}), std::stod(output), "macro F1 with an unseen label");
}

TEST(Metrics, RegressionMatchesScikitLearn) {
  const nlohmann::json expected = nlohmann::json::parse(testing::run_python(R"PY(
import json
import numpy as np, pandas as pd
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error, mean_absolute_error, r2_score
frame = pd.read_csv(")PY" + testing::source_path("data/diabetes.csv").string() +
                                                                            R"PY(")
y = frame["progression"].to_numpy(float); X = frame.drop(columns=["progression"]).to_numpy(float)
train = np.arange(len(y)) % 4 != 0
pred = Ridge(alpha=1.0).fit(X[train], y[train]).predict(X[~train]); t = y[~train]
print(json.dumps({"truth": t.tolist(), "pred": pred.tolist(), "mse": mean_squared_error(t, pred),
                  "mae": mean_absolute_error(t, pred), "r2": r2_score(t, pred),
                  "r2_constant": r2_score([2.0, 2.0], [2.0, 3.0]), "r2_exact": r2_score([2.0, 2.0], [2.0, 2.0])}))
)PY"));
  const auto truth = expected["truth"].get<std::vector<double>>();
  const auto predicted = expected["pred"].get<std::vector<double>>();
  expect_relative(mean_squared_error(truth, predicted), expected["mse"], "MSE");
  expect_relative(mean_absolute_error(truth, predicted), expected["mae"], "MAE");
  expect_relative(r2_score(truth, predicted), expected["r2"], "R2");
  EXPECT_EQ(r2_score({2.0, 2.0}, {2.0, 3.0}), expected["r2_constant"].get<double>());
  EXPECT_EQ(r2_score({2.0, 2.0}, {2.0, 2.0}), expected["r2_exact"].get<double>());
}

}  // namespace
}  // namespace xferval::params
