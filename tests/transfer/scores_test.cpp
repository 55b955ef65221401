#include "xferval/transfer/scores.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
using testing::source_path;

Eigen::MatrixXd matrix_of(const json& rows) {
  Eigen::MatrixXd out(rows.size(), rows[0].size());
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size(); ++j) out(i, j) = rows[i][j].get<double>();
  }
  return out;
}

// Reference §12: digits pixels / 16, and from one RandomState(0) in this order: permutation(y),
// randn(1797, 64), W = randn(64, 20); P = softmax(F W). Independent NumPy LEEP, NCE, H-score and
// shrinkage H-score (Transfer-Learning-Library's formulas) on the same arrays.
json digits_reference() {
  static const json reference = json::parse(run_python(R"(
import json, numpy as np
from sklearn.covariance import LedoitWolf
d = np.loadtxt(')" + source_path("data/digits.csv").string() +
                                                       R"(', delimiter=',', skiprows=1)
F, y = d[:, :64] / 16.0, d[:, 64].astype(int)
rs = np.random.RandomState(0)
y_perm = rs.permutation(y)
G = rs.randn(1797, 64)
W = rs.randn(64, 20)
logits = F @ W
P = np.exp(logits - logits.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
def leep(P, y):
    N = len(y); C = int(y.max() + 1)
    joint = np.stack([P[y == c].sum(0) for c in range(C)]) / N
    cond = (joint / joint.sum(0, keepdims=True)).T
    return float(np.mean(np.log((P @ cond)[np.arange(N), y])))
def nce(P, y):
    z = P.argmax(1); N = len(y)
    joint = np.zeros((int(y.max() + 1), P.shape[1]))
    for a, b in zip(y, z): joint[a, b] += 1.0 / N
    pz = joint.sum(0, keepdims=True); mask = pz.reshape(-1) != 0
    cond = (joint / pz).T[mask] + 1e-20
    return float(-np.sum(np.sum(-cond * np.log(cond), 1, keepdims=True) * pz.reshape(-1, 1)[mask]))
def class_means(f, y):
    g = np.zeros_like(f)
    for c in range(int(y.max() + 1)): g[y == c] = f[y == c].mean(0)
    return g
def hscore(f, y):
    return float(np.trace(np.linalg.pinv(np.cov(f, rowvar=False), rcond=1e-15) @ np.cov(class_means(f, y), rowvar=False)))
def shrinkage_hscore(f, y):
    lw = LedoitWolf(assume_centered=False).fit(f)
    return float(np.trace(np.linalg.pinv(lw.covariance_, rcond=1e-15) @ ((1 - lw.shrinkage_) * np.cov(class_means(f, y), rowvar=False))))
out = dict(P=P.tolist(), y_perm=y_perm.tolist(), G=G.tolist())
for name, fn, X in [('leep', leep, P), ('nce', nce, P), ('h', hscore, F), ('shrink_h', shrinkage_hscore, F)]:
    out[name] = fn(X, y); out[name + '_perm'] = fn(X, y_perm)
out['h_random'] = hscore(G, y)
print(json.dumps(out))
)"));
  return reference;
}

struct Digits {
  Eigen::MatrixXd pixels;
  std::vector<int> labels;
};

Digits load_digits() {
  testing::NumericColumns columns = testing::read_numeric_columns("data/digits.csv");
  const Eigen::Index n = static_cast<Eigen::Index>(columns.values[0].size());
  Digits digits{Eigen::MatrixXd(n, 64), {}};
  for (Eigen::Index j = 0; j < 64; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) digits.pixels(i, j) = columns.values[j][i] / 16.0;
  }
  for (double label : columns.values[64]) digits.labels.push_back(static_cast<int>(label));
  return digits;
}

TEST(SourceScores, LeepAndNceMatchNumpyOnTheToySource) {
  json reference = digits_reference();
  Digits digits = load_digits();
  Eigen::MatrixXd probabilities = matrix_of(reference["P"]);
  std::vector<int> permuted = reference["y_perm"].get<std::vector<int>>();
  EXPECT_NEAR(leep(probabilities, digits.labels), reference["leep"].get<double>(), 1e-9);
  EXPECT_NEAR(nce(probabilities, digits.labels), reference["nce"].get<double>(), 1e-9);
  EXPECT_NEAR(leep(probabilities, permuted), reference["leep_perm"].get<double>(), 1e-9);
  EXPECT_NEAR(nce(probabilities, permuted), reference["nce_perm"].get<double>(), 1e-9);
  // Reference §12 values (same draws).
  EXPECT_NEAR(leep(probabilities, digits.labels), -2.033188, 1e-5);
  EXPECT_NEAR(nce(probabilities, digits.labels), -2.142081, 1e-5);
}

TEST(FeatureScores, HScoreAndShrinkageHScoreMatchNumpy) {
  json reference = digits_reference();
  Digits digits = load_digits();
  EXPECT_NEAR(h_score(digits.pixels, digits.labels), reference["h"].get<double>(), 1e-9);
  EXPECT_NEAR(h_score(digits.pixels, digits.labels), 5.917909, 1e-5);  // reference §12
  EXPECT_NEAR(shrinkage_h_score(digits.pixels, digits.labels), reference["shrink_h"].get<double>(), 1e-9);
  std::vector<int> permuted = reference["y_perm"].get<std::vector<int>>();
  EXPECT_NEAR(h_score(digits.pixels, permuted), reference["h_perm"].get<double>(), 1e-9);
  EXPECT_NEAR(shrinkage_h_score(digits.pixels, permuted), reference["shrink_h_perm"].get<double>(), 1e-9);
  EXPECT_NEAR(h_score(matrix_of(reference["G"]), digits.labels), reference["h_random"].get<double>(), 1e-9);
}

TEST(Controls, EachScoreIsAboveItsPermutedControlOnDigits) {
  json reference = digits_reference();
  Digits digits = load_digits();
  Eigen::MatrixXd probabilities = matrix_of(reference["P"]);
  for (const ScoreWithControl& result :
       {leep_with_control(probabilities, digits.labels, 1, 2),
        nce_with_control(probabilities, digits.labels, 1, 2),
        h_score_with_control(digits.pixels, digits.labels, 1, 2),
        shrinkage_h_score_with_control(digits.pixels, digits.labels, 1, 2)}) {
    EXPECT_GT(result.margin(), 0) << result.score << " vs " << result.permuted_control;
  }
  std::vector<int> labels{0, 1, 2, 0, 1, 2, 0, 1};
  EXPECT_EQ(permuted_labels(labels, 5), permuted_labels(labels, 5));
  std::vector<int> shuffled = permuted_labels(labels, 5);
  std::sort(shuffled.begin(), shuffled.end());
  std::vector<int> sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(shuffled, sorted);
  EXPECT_THROW(with_permuted_control([](const std::vector<int>&) { return 0.0; }, labels, 0, 0),
               std::invalid_argument);
}

TEST(Scores, BadInputIsRejected) {
  Eigen::MatrixXd probabilities = Eigen::MatrixXd::Constant(4, 3, 1.0 / 3);
  std::vector<int> labels{0, 1, 0, 1};
  EXPECT_NO_THROW(leep(probabilities, labels));
  EXPECT_THROW(leep(probabilities, {0, 1, 0}), std::invalid_argument);
  EXPECT_THROW(nce(probabilities, {0, 0, 0, 0}), std::invalid_argument);
  EXPECT_THROW(nce(probabilities, {0, 1, -2, 0}), std::invalid_argument);
  Eigen::MatrixXd negative = probabilities;
  negative(1, 1) = -0.1;
  EXPECT_THROW(leep(negative, labels), std::invalid_argument);
  Eigen::MatrixXd infinite = probabilities;
  infinite(0, 0) = INFINITY;
  EXPECT_THROW(h_score(infinite, labels), std::invalid_argument);
  EXPECT_THROW(shrinkage_h_score(probabilities, {1, 1, 1, 1}), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
