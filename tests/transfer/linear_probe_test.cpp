#include "xferval/transfer/linear_probe.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;

struct Dataset {
  Eigen::MatrixXd features;
  std::vector<double> target;  // the last column
};

Dataset load(const std::string& path) {
  testing::NumericColumns columns = testing::read_numeric_columns(path);
  const Eigen::Index n = static_cast<Eigen::Index>(columns.values[0].size());
  const Eigen::Index d = static_cast<Eigen::Index>(columns.values.size()) - 1;
  Dataset out{Eigen::MatrixXd(n, d), columns.values.back()};
  for (Eigen::Index j = 0; j < d; ++j) {
    for (Eigen::Index i = 0; i < n; ++i)
      out.features(i, j) = columns.values[static_cast<size_t>(j)][static_cast<size_t>(i)];
  }
  return out;
}

std::vector<int> as_labels(const std::vector<double>& values) { return {values.begin(), values.end()}; }

// scikit-learn's side, on the same CSV files read by pandas.
const char* kSklearn = R"(
import json, warnings
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
warnings.filterwarnings("ignore")
def xy(name):
    frame = pd.read_csv("data/" + name)
    return frame.iloc[:, :-1].to_numpy(float), frame.iloc[:, -1].to_numpy()
def folds(splitter, X, y):
    out = np.empty(len(y), int)
    for f, (_, test) in enumerate(splitter.split(X, y)):
        out[test] = f
    return out.tolist()
def logistic():
    return LogisticRegression(C=1.0, tol=1e-10, max_iter=100000)
)";

TEST(LinearProbe, FoldsAreScikitLearns) {
  Dataset digits = load("data/digits.csv");
  const std::vector<int> labels = as_labels(digits.target);
  // Reversed, the first-appearance order of the classes differs from the sorted one.
  const std::vector<int> reversed(labels.rbegin(), labels.rend());
  json reference = json::parse(run_python(std::string(kSklearn) + R"(
X, y = xy("digits.csv")
print(json.dumps(dict(digits=folds(StratifiedKFold(5), X, y), reversed=folds(StratifiedKFold(7), X[::-1], y[::-1]),
                      kfold=folds(KFold(5), np.zeros((442, 1)), np.zeros(442)))))
)"));
  EXPECT_EQ(stratified_folds(labels, 5), reference["digits"].get<std::vector<int>>());
  EXPECT_EQ(stratified_folds(reversed, 7), reference["reversed"].get<std::vector<int>>());
  EXPECT_EQ(contiguous_folds(442, 5), reference["kfold"].get<std::vector<int>>());
}

TEST(LinearProbe, LogisticRegressionMatchesScikitLearnOnDiabetesTerciles) {
  Dataset diabetes = load("data/diabetes.csv");
  std::vector<int> labels;
  for (double v : diabetes.target) labels.push_back(v < 100 ? 0 : v < 180 ? 1 : 2);
  const Eigen::MatrixXd centred = diabetes.features.rowwise() - diabetes.features.colwise().mean();
  const Eigen::MatrixXd x = centred.array().rowwise() / centred.array().square().colwise().mean().sqrt();
  LogisticModel model = fit_logistic(x, labels, 3, 0.5);
  json reference = json::parse(run_python(std::string(kSklearn) + R"(
X, y = xy("diabetes.csv")
y = np.where(y < 100, 0, np.where(y < 180, 1, 2))
X = StandardScaler().fit_transform(X)
m = LogisticRegression(C=0.5, tol=1e-12, max_iter=100000).fit(X, y)
z = X @ m.coef_.T + m.intercept_
log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
objective = -log_p[np.arange(len(y)), y].sum() + (m.coef_ ** 2).sum() / (2 * 0.5)
print(json.dumps(dict(coef=m.coef_.tolist(), intercept=m.intercept_.tolist(), objective=objective)))
)"));
  // The correlated diabetes features make the optimum flat: scikit-learn's lbfgs stops a little
  // short of it (its ftol), so xferval must reach at least as low an objective, and the
  // coefficients agree as far as that flatness pins them down.
  const double sklearn_objective = reference["objective"].get<double>();
  EXPECT_LE(model.objective, sklearn_objective * (1 + 1e-12));
  EXPECT_NEAR(model.objective, sklearn_objective, 1e-6 * sklearn_objective);
  for (Eigen::Index k = 0; k < 3; ++k) {
    EXPECT_NEAR(model.intercept(k), reference["intercept"][k].get<double>(), 5e-3) << k;
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      EXPECT_NEAR(model.weights(k, j), reference["coef"][k][j].get<double>(), 5e-3) << k << "," << j;
    }
  }
}

TEST(LinearProbe, CrossValidatedLogisticProbeMatchesScikitLearnOnDigits) {
  Dataset digits = load("data/digits.csv");
  std::vector<int> predicted = logistic_probe(digits.features, as_labels(digits.target));
  json reference = json::parse(run_python(std::string(kSklearn) + R"(
X, y = xy("digits.csv")
p = cross_val_predict(make_pipeline(StandardScaler(), logistic()), X, y, cv=StratifiedKFold(5))
print(json.dumps(dict(predicted=p.tolist())))
)"));
  std::vector<int> expected = reference["predicted"].get<std::vector<int>>();
  ASSERT_EQ(predicted.size(), expected.size());
  size_t differ = 0;
  for (size_t i = 0; i < expected.size(); ++i) differ += predicted[i] != expected[i];
  // The optimum is unique (strictly convex); only a sample on a decision boundary could differ.
  EXPECT_LE(differ, 1u);
}

TEST(LinearProbe, CrossValidatedRidgeProbeMatchesScikitLearnOnDiabetes) {
  Dataset diabetes = load("data/diabetes.csv");
  Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(diabetes.target.data(),
                                                        static_cast<Eigen::Index>(diabetes.target.size()));
  std::vector<double> predicted = ridge_probe(diabetes.features, y);
  json reference = json::parse(run_python(std::string(kSklearn) + R"(
X, y = xy("diabetes.csv")
p = cross_val_predict(make_pipeline(StandardScaler(), Ridge(alpha=1.0)), X, y, cv=KFold(5))
print(json.dumps(dict(predicted=p.tolist())))
)"));
  std::vector<double> expected = reference["predicted"].get<std::vector<double>>();
  ASSERT_EQ(predicted.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(predicted[i], expected[i], 1e-9 * std::fabs(expected[i])) << i;
}

TEST(LinearProbe, RejectsWhatCannotBeCrossValidated) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Random(12, 3);
  std::vector<int> labels = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1};  // class 1 has 4 < 5 samples
  EXPECT_THROW(logistic_probe(x, labels), std::invalid_argument);
  std::vector<int> enough = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  EXPECT_NO_THROW(logistic_probe(x, enough));
  x(3, 1) = std::nan("");
  EXPECT_THROW(logistic_probe(x, enough), std::invalid_argument);
  EXPECT_THROW(ridge_probe(Eigen::MatrixXd::Zero(3, 2), Eigen::VectorXd::Zero(3)), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
