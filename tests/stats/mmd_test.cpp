#include "xferval/stats/mmd.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;
using testing::source_path;

// Digits pixels/16 grouped by the label column, read with the independent CSV reader.
std::vector<Eigen::MatrixXd> digits_by_class() {
  testing::NumericColumns columns = testing::read_numeric_columns("data/digits.csv");
  EXPECT_EQ(columns.values.size(), 65u);
  EXPECT_EQ(columns.names.back(), "digit");
  const size_t n = columns.values[0].size();
  std::vector<std::vector<size_t>> members(10);
  for (size_t i = 0; i < n; ++i) members[static_cast<size_t>(columns.values[64][i])].push_back(i);
  std::vector<Eigen::MatrixXd> out;
  for (const auto& rows : members) {
    Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), 64);
    for (size_t r = 0; r < rows.size(); ++r) {
      for (size_t j = 0; j < 64; ++j)
        m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j)) = columns.values[j][rows[r]] / 16.0;
    }
    out.push_back(std::move(m));
  }
  return out;
}

TEST(Mmd, DigitsZeroVersusOneMatchesNumpy) {
  // The statistic and bandwidth written out in NumPy: Alibi's sigma_median (index n + (n² - n)//2 - 1 of
  // the sorted full distance matrix) and the unbiased estimator with the diagonals left out.
  const json reference = json::parse(run_python(
      "import json, numpy as np, pandas as pd\n"
      "df = pd.read_csv('" +
      source_path("data/digits.csv").string() +
      "')\n"
      "P = df.iloc[:, :64].values / 16.0\n"
      "X, Y = P[df.digit == 0][:100], P[df.digit == 1][:100]\n"
      "def sqdist(A, B): return ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)\n"
      "D = sqdist(X, X); n = len(X)\n"
      "sigma = np.sqrt(0.5 * np.sort(D.ravel())[n + (n * n - n) // 2 - 1])\n"
      "k = lambda A, B: np.exp(-sqdist(A, B) / (2 * sigma ** 2))\n"
      "Kxx, Kyy, Kxy = k(X, X), k(Y, Y), k(X, Y); m = len(Y)\n"
      "mmd2 = ((Kxx.sum() - np.trace(Kxx)) / (n * (n - 1)) + (Kyy.sum() - np.trace(Kyy)) / (m * (m - 1))\n"
      "        - 2 * Kxy.mean())\n"
      "print(json.dumps({'sigma': sigma, 'mmd2': mmd2}))\n"));
  const std::vector<Eigen::MatrixXd> digits = digits_by_class();
  const Eigen::MatrixXd zeros = digits[0].topRows(100);
  const Eigen::MatrixXd ones = digits[1].topRows(100);
  MmdOptions options;
  options.permutations = 200;
  options.seed = 7;
  const MmdResult result = mmd_test(zeros, ones, options);
  const double sigma = reference["sigma"];
  const double mmd2 = reference["mmd2"];
  EXPECT_NEAR(result.sigma, sigma, 1e-12 * sigma);
  EXPECT_NEAR(result.mmd2, mmd2, 1e-9 * mmd2);
  EXPECT_LT(result.p_value, 0.05);
  EXPECT_DOUBLE_EQ(result.p_value, 1.0 / 201.0);  // no permutation comes near: the smallest p possible
  EXPECT_EQ(result.permutations, 200u);
  EXPECT_EQ(result.reference_rows, 100u);
  EXPECT_EQ(result.test_rows, 100u);
  EXPECT_FALSE(result.subsampled);
}

TEST(Mmd, UnequalSizesMatchNumpy) {
  const json reference = json::parse(
      run_python("import json, numpy as np, pandas as pd\n"
                 "df = pd.read_csv('" +
                 source_path("data/digits.csv").string() +
                 "')\n"
                 "P = df.iloc[:, :64].values / 16.0\n"
                 "def sqdist(A, B): return ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)\n"
                 "out = []\n"
                 "for X, Y in [(P[df.digit == 3][:90], P[df.digit == 5][:40]), (P[df.digit == 5][:40], "
                 "P[df.digit == 3][:90])]:\n"
                 "    D = sqdist(X, X); n = len(X); m = len(Y)\n"
                 "    sigma = np.sqrt(0.5 * np.sort(D.ravel())[n + (n * n - n) // 2 - 1])\n"
                 "    k = lambda A, B: np.exp(-sqdist(A, B) / (2 * sigma ** 2))\n"
                 "    Kxx, Kyy, Kxy = k(X, X), k(Y, Y), k(X, Y)\n"
                 "    out.append({'sigma': sigma, 'mmd2': (Kxx.sum() - np.trace(Kxx)) / (n * (n - 1))\n"
                 "        + (Kyy.sum() - np.trace(Kyy)) / (m * (m - 1)) - 2 * Kxy.mean()})\n"
                 "print(json.dumps(out))\n"));
  const std::vector<Eigen::MatrixXd> digits = digits_by_class();
  const Eigen::MatrixXd threes = digits[3].topRows(90);
  const Eigen::MatrixXd fives = digits[5].topRows(40);
  MmdOptions options;
  options.permutations = 20;
  const MmdResult forward = mmd_test(threes, fives, options);
  const MmdResult backward = mmd_test(fives, threes, options);
  for (auto [result, expected] : {std::pair{&forward, &reference[0]}, std::pair{&backward, &reference[1]}}) {
    EXPECT_NEAR(result->sigma, (*expected)["sigma"].get<double>(),
                1e-12 * (*expected)["sigma"].get<double>());
    EXPECT_NEAR(result->mmd2, (*expected)["mmd2"].get<double>(), 1e-9 * (*expected)["mmd2"].get<double>());
  }
}

TEST(Mmd, RandomHalvesOfOneClassAreNotSignificant) {
  const Eigen::MatrixXd zeros = digits_by_class()[0];
  std::vector<Eigen::Index> order(static_cast<size_t>(zeros.rows()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<Eigen::Index>(i);
  std::mt19937_64 generator(12345);  // the raw engine output is specified by the standard
  for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[generator() % (i + 1)]);
  const Eigen::Index half = zeros.rows() / 2;
  Eigen::MatrixXd first(half, 64), second(zeros.rows() - half, 64);
  for (Eigen::Index i = 0; i < half; ++i) first.row(i) = zeros.row(order[static_cast<size_t>(i)]);
  for (Eigen::Index i = half; i < zeros.rows(); ++i)
    second.row(i - half) = zeros.row(order[static_cast<size_t>(i)]);
  MmdOptions options;
  options.permutations = 200;
  options.seed = 3;
  const MmdResult result = mmd_test(first, second, options);
  EXPECT_GT(result.p_value, 0.05) << "mmd2 " << result.mmd2;
  EXPECT_LT(std::fabs(result.mmd2), 0.01);
}

TEST(Mmd, SubsamplesAboveTheRowLimitReproducibly) {
  const std::vector<Eigen::MatrixXd> digits = digits_by_class();
  Eigen::MatrixXd reference(digits[2].rows() + digits[3].rows(), 64);
  reference << digits[2], digits[3];
  MmdOptions options;
  options.max_rows_per_sample = 100;
  options.permutations = 50;
  options.seed = 11;
  const MmdResult result = mmd_test(reference, digits[4].topRows(80), options);
  EXPECT_TRUE(result.subsampled);
  EXPECT_EQ(result.reference_rows, 100u);
  EXPECT_EQ(result.test_rows, 80u);
  EXPECT_LT(result.p_value, 0.05);
  const MmdResult again = mmd_test(reference, digits[4].topRows(80), options);
  EXPECT_EQ(again.mmd2, result.mmd2);
  EXPECT_EQ(again.p_value, result.p_value);
  EXPECT_EQ(again.sigma, result.sigma);
  options.seed = 12;
  EXPECT_NE(mmd_test(reference, digits[4].topRows(80), options).mmd2, result.mmd2);
  // At the limit nothing is dropped.
  options.max_rows_per_sample = static_cast<size_t>(reference.rows());
  EXPECT_FALSE(mmd_test(reference, digits[4].topRows(80), options).subsampled);
}

TEST(Mmd, PValueBoundsAndDegenerateInput) {
  const std::vector<Eigen::MatrixXd> digits = digits_by_class();
  MmdOptions options;
  options.permutations = 0;
  EXPECT_EQ(mmd_test(digits[0].topRows(20), digits[1].topRows(20), options).p_value, 1.0);
  // Identical constant samples: sigma 0 is replaced, everything stays finite, nothing is significant.
  options.permutations = 30;
  const MmdResult constant = mmd_test(Eigen::MatrixXd::Ones(10, 3), Eigen::MatrixXd::Ones(12, 3), options);
  EXPECT_EQ(constant.sigma, 0.0);
  EXPECT_TRUE(std::isfinite(constant.mmd2));
  EXPECT_NEAR(constant.mmd2, 0.0, 1e-12);
  EXPECT_EQ(constant.p_value, 1.0);  // every permutation ties the observed value
  // More features than rows and a constant column.
  Eigen::MatrixXd wide = digits[0].topRows(5);
  wide.col(10).setConstant(0.25);
  const MmdResult tiny = mmd_test(wide, digits[1].topRows(6), options);
  EXPECT_TRUE(std::isfinite(tiny.mmd2));
  EXPECT_GT(tiny.sigma, 0.0);
  EXPECT_GE(tiny.p_value, 1.0 / 31.0);
  EXPECT_LE(tiny.p_value, 1.0);
}

TEST(Mmd, BadInputThrows) {
  const Eigen::MatrixXd good = Eigen::MatrixXd::Random(10, 3);
  EXPECT_THROW(mmd_test(good.topRows(1), good), std::invalid_argument);
  EXPECT_THROW(mmd_test(good, good.topRows(1)), std::invalid_argument);
  EXPECT_THROW(mmd_test(good, Eigen::MatrixXd::Random(10, 4)), std::invalid_argument);
  Eigen::MatrixXd with_nan = good;
  with_nan(3, 2) = std::nan("");
  EXPECT_THROW(mmd_test(good, with_nan), std::invalid_argument);
  MmdOptions options;
  options.max_rows_per_sample = 1;
  EXPECT_THROW(mmd_test(good, good, options), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
