#include "xferval/transfer/logme.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "xferval/transfer/scores.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;
using testing::source_path;

struct Digits {
  Eigen::MatrixXd pixels;  // / 16
  std::vector<int> labels;
};

Digits load_digits() {
  testing::NumericColumns columns = testing::read_numeric_columns("data/digits.csv");
  EXPECT_EQ(columns.values.size(), 65u);
  const Eigen::Index n = static_cast<Eigen::Index>(columns.values[0].size());
  Digits digits{Eigen::MatrixXd(n, 64), {}};
  for (Eigen::Index j = 0; j < 64; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) digits.pixels(i, j) = columns.values[j][i] / 16.0;
  }
  for (double label : columns.values[64]) digits.labels.push_back(static_cast<int>(label));
  return digits;
}

Eigen::MatrixXd matrix_of(const json& rows) {
  Eigen::MatrixXd out(rows.size(), rows[0].size());
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size(); ++j) out(i, j) = rows[i][j].get<double>();
  }
  return out;
}

// An independent NumPy LogME: LogME.py's _fit_fixed_point (thin SVD of F, or truncated_svd through FᵀF
// when N > D) with the rank fix as a switch, also returning the final alpha and beta per target.
const char* kNumpyLogme = R"(
import json, numpy as np
def logme_targets(f, Y, fixed=True):
    N, D = f.shape
    if N > D:
        u_, s, vh = np.linalg.svd(f.T @ f)
        s = np.sqrt(s)
        k = int(np.sum(s > 1e-10))
        s, vh = s[:k], vh[:k]
        u = (f @ vh.T) / s.reshape(1, -1)
    else:
        u, s, vh = np.linalg.svd(f, full_matrices=False)
    sigma = s ** 2
    k = len(sigma)
    out = []
    for y in Y.T:
        x2 = (u.T @ y) ** 2
        res_x2 = (y ** 2).sum() - x2.sum()
        alpha, beta = 1.0, 1.0
        for it in range(11):
            t = alpha / beta
            gamma = (sigma / (sigma + t)).sum()
            m2 = (sigma * x2 / ((t + sigma) ** 2)).sum()
            res2 = (x2 / ((1 + sigma / t) ** 2)).sum() + res_x2
            alpha = gamma / (m2 + 1e-5)
            beta = (N - gamma) / (res2 + 1e-5)
            if abs(alpha / beta - t) / t <= 1e-3:
                break
        dim = k if fixed else D
        ev = (dim / 2.0 * np.log(alpha) + N / 2.0 * np.log(beta) - 0.5 * np.sum(np.log(alpha + beta * sigma))
              - beta / 2.0 * res2 - alpha / 2.0 * m2 - N / 2.0 * np.log(2 * np.pi)) / N
        out.append(dict(evidence=float(ev), iterations=it + 1, alpha=float(alpha), beta=float(beta)))
    return out
def one_hot(y):
    return (y.reshape(-1, 1) == np.arange(int(y.max()) + 1).reshape(1, -1)).astype(np.float64)
digits = np.loadtxt(')"
                          "DIGITS"
                          R"(', delimiter=',', skiprows=1)
F_digits, y_digits = digits[:, :64] / 16.0, digits[:, 64].astype(int)
)";

std::string numpy_prelude() {
  std::string code = kNumpyLogme;
  code.replace(code.find("DIGITS"), 6, source_path("data/digits.csv").string());
  return code;
}

TEST(LogMe, DigitsReferenceValueAndIterations) {
  Digits digits = load_digits();
  LogMeResult result = logme_classification(digits.pixels, digits.labels);
  EXPECT_NEAR(result.score, 0.2702776270, 1e-6);
  EXPECT_EQ(result.iterations, (std::vector<int>{3, 5, 4, 4, 4, 4, 6, 5, 4, 5}));

  json reference = json::parse(run_python(numpy_prelude() + R"(
r = logme_targets(F_digits, one_hot(y_digits))
print(json.dumps(dict(fixed=[e['evidence'] for e in r], iterations=[e['iterations'] for e in r],
                      buggy=float(np.mean([e['evidence'] for e in logme_targets(F_digits, one_hot(y_digits), False)])))))
)"));
  ASSERT_EQ(result.per_target.size(), 10u);
  for (size_t c = 0; c < 10; ++c)
    EXPECT_NEAR(result.per_target[c], reference["fixed"][c].get<double>(), 1e-9) << c;
  EXPECT_EQ(result.iterations, reference["iterations"].get<std::vector<int>>());
  // Digits has k = D in double precision, so the fix changes nothing there (reference §2.3).
  EXPECT_NEAR(result.score, reference["buggy"].get<double>(), 1e-6);
}

TEST(LogMe, FewerSamplesThanDimensionsGivesTheExactEvidence) {
  // Digits plus 200 Gaussian noise dimensions (sigma 0.05), first 40 rows: N = 40 < D = 264. The fixed
  // point must equal the exact Gaussian log-likelihood log N(y; 0, I/beta + F Fᵀ/alpha) / N at its own
  // alpha and beta (up to the 1e-5 guard terms), not LogME.py's overstated value.
  json reference = json::parse(run_python(numpy_prelude() + R"(
from scipy.stats import multivariate_normal
rs = np.random.RandomState(0)
F = np.hstack([F_digits, 0.05 * rs.randn(F_digits.shape[0], 200)])[:40]
y = y_digits[:40]
Y = one_hot(y)
fixed = logme_targets(F, Y)
buggy = logme_targets(F, Y, False)
exact = [float(multivariate_normal(np.zeros(40), np.eye(40) / e['beta'] + F @ F.T / e['alpha']).logpdf(Y[:, c]) / 40)
         for c, e in enumerate(fixed)]
print(json.dumps(dict(F=F.tolist(), y=y.tolist(), fixed=[e['evidence'] for e in fixed], exact=exact,
                      buggy=float(np.mean([e['evidence'] for e in buggy])))))
)"));
  Eigen::MatrixXd features = matrix_of(reference["F"]);
  LogMeResult result = logme_classification(features, reference["y"].get<std::vector<int>>());
  ASSERT_EQ(result.per_target.size(), reference["fixed"].size());
  double mean_exact = 0;
  for (size_t c = 0; c < result.per_target.size(); ++c) {
    EXPECT_NEAR(result.per_target[c], reference["fixed"][c].get<double>(), 1e-9) << c;
    EXPECT_NEAR(result.per_target[c], reference["exact"][c].get<double>(), 1e-3) << c;
    mean_exact += reference["exact"][c].get<double>() / static_cast<double>(result.per_target.size());
  }
  EXPECT_NEAR(result.score, mean_exact, 1e-3);
  EXPECT_GT(reference["buggy"].get<double>() - result.score, 5.0) << "LogME.py's value should be far above";
  std::printf("N=40, D=264: corrected LogME %.5f, exact closed form %.5f, LogME.py %.3f\n", result.score,
              mean_exact, reference["buggy"].get<double>());
}

TEST(LogMe, RankDeficientTallFeaturesMatchTheCorrectedNumpy) {
  // N > D with exactly repeated columns: the truncated spectrum drops directions (k < D).
  json reference = json::parse(run_python(numpy_prelude() + R"(
rs = np.random.RandomState(1)
base = rs.randn(300, 20)
F = np.hstack([base, base[:, :10], np.zeros((300, 5))])
y = rs.randint(0, 4, 300)
r = logme_targets(F, one_hot(y))
print(json.dumps(dict(F=F.tolist(), y=y.tolist(), fixed=[e['evidence'] for e in r])))
)"));
  LogMeResult result =
      logme_classification(matrix_of(reference["F"]), reference["y"].get<std::vector<int>>());
  for (size_t c = 0; c < result.per_target.size(); ++c) {
    EXPECT_NEAR(result.per_target[c], reference["fixed"][c].get<double>(), 1e-8) << c;
  }
}

TEST(LogMe, RegressionOnDiabetesMatchesNumpy) {
  json reference = json::parse(run_python(numpy_prelude() + R"(
d = np.loadtxt(')" + source_path("data/diabetes.csv").string() +
                                          R"(', delimiter=',', skiprows=1)
X, y = d[:, :10], d[:, 10:11]
X = (X - X.mean(0)) / X.std(0)
Y = np.hstack([y / y.std(), (y / y.std()) ** 2])
r = logme_targets(X, Y)
small = logme_targets(X[:8], Y[:8])
print(json.dumps(dict(X=X.tolist(), Y=Y.tolist(), fixed=[e['evidence'] for e in r],
                      small=[e['evidence'] for e in small])))
)"));
  Eigen::MatrixXd features = matrix_of(reference["X"]), targets = matrix_of(reference["Y"]);
  LogMeResult result = logme_regression(features, targets);
  ASSERT_EQ(result.per_target.size(), 2u);
  for (size_t k = 0; k < 2; ++k) EXPECT_NEAR(result.per_target[k], reference["fixed"][k].get<double>(), 1e-9);
  LogMeResult small = logme_regression(features.topRows(8), targets.topRows(8));
  for (size_t k = 0; k < 2; ++k) EXPECT_NEAR(small.per_target[k], reference["small"][k].get<double>(), 1e-8);
}

TEST(LogMe, PermutedLabelControlIsClearlyBelow) {
  Digits digits = load_digits();
  ScoreWithControl result = logme_with_control(digits.pixels, digits.labels, 7, 3);
  EXPECT_NEAR(result.score, 0.2702776270, 1e-6);
  // Reference §11: about -0.22 with one NumPy permutation.
  EXPECT_LT(result.permuted_control, -0.1);
  EXPECT_GT(result.margin(), 0.35);
  std::printf("digits LogME %.4f, permuted-label control %.4f\n", result.score, result.permuted_control);
}

TEST(LogMe, BadInputIsRejected) {
  Eigen::MatrixXd features = Eigen::MatrixXd::Random(10, 3);
  std::vector<int> labels{0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  EXPECT_NO_THROW(logme_classification(features, labels));
  EXPECT_THROW(logme_classification(features, std::vector<int>(9, 0)), std::invalid_argument);
  std::vector<int> negative = labels;
  negative[3] = -1;
  EXPECT_THROW(logme_classification(features, negative), std::invalid_argument);
  EXPECT_THROW(logme_classification(features, std::vector<int>(10, 2)), std::invalid_argument);
  Eigen::MatrixXd with_nan = features;
  with_nan(2, 1) = std::nan("");
  EXPECT_THROW(logme_classification(with_nan, labels), std::invalid_argument);
  EXPECT_THROW(logme_regression(features, Eigen::MatrixXd::Ones(9, 1)), std::invalid_argument);
  EXPECT_THROW(logme_regression(Eigen::MatrixXd(0, 3), Eigen::MatrixXd(0, 1)), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
