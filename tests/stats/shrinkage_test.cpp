#include "xferval/stats/shrinkage.hpp"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "test_support.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;
using testing::source_path;

// A real dataset read twice, independently: here with read_numeric_columns, in Python with pandas.
struct Dataset {
  const char* name;
  const char* csv;
  double scale;    // values are divided by it (digits pixels / 16)
  size_t columns;  // the first `columns` numeric columns (digits: drop the label)
};

const Dataset kDatasets[] = {
    {"digits", "data/digits.csv", 16.0, 64},
    {"breast_cancer", "data/breast_cancer.csv", 1.0, 30},
    {"wine", "data/wine.csv", 1.0, 13},
};

Eigen::MatrixXd load(const Dataset& dataset) {
  testing::NumericColumns columns = testing::read_numeric_columns(dataset.csv);
  EXPECT_GE(columns.values.size(), dataset.columns);
  const size_t n = columns.values[0].size();
  Eigen::MatrixXd rows(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(dataset.columns));
  for (size_t j = 0; j < dataset.columns; ++j) {
    for (size_t i = 0; i < n; ++i) {
      rows(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = columns.values[j][i] / dataset.scale;
    }
  }
  return rows;
}

// Python lines that define X as the same matrix.
std::string python_load(const Dataset& dataset) {
  return "import json, numpy as np, pandas as pd\n"
         "X = pd.read_csv('" +
         source_path(dataset.csv).string() +
         "').select_dtypes('number').values[:, :" + std::to_string(dataset.columns) + "] / " +
         std::to_string(dataset.scale) + "\n";
}

Eigen::MatrixXd to_matrix(const json& rows) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows[0].size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size(); ++j)
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
  }
  return m;
}

void expect_relative(double actual, double expected, double tolerance, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected), tolerance * std::fabs(expected))
      << what << ": " << actual << " vs " << expected;
}

// Entry-wise, relative to max(|expected_ij|, sqrt(expected_ii expected_jj)), so near-zero off-diagonal
// entries are measured against their scale.
void expect_close(const Eigen::MatrixXd& actual, const Eigen::MatrixXd& expected, double tolerance) {
  ASSERT_EQ(actual.rows(), expected.rows());
  ASSERT_EQ(actual.cols(), expected.cols());
  for (Eigen::Index i = 0; i < expected.rows(); ++i) {
    for (Eigen::Index j = 0; j < expected.cols(); ++j) {
      const double scale =
          std::max(std::fabs(expected(i, j)), std::sqrt(std::fabs(expected(i, i) * expected(j, j))));
      EXPECT_LE(std::fabs(actual(i, j) - expected(i, j)), tolerance * scale)
          << "(" << i << ", " << j << "): " << actual(i, j) << " vs " << expected(i, j);
    }
  }
}

const char* kSklearnFit =
    "from sklearn.covariance import LedoitWolf, OAS, EmpiricalCovariance, ledoit_wolf_shrinkage\n"
    "lw = LedoitWolf().fit(X); oas = OAS().fit(X)\n"
    "print(json.dumps({'lw_function': float(ledoit_wolf_shrinkage(X - X.mean(0), assume_centered=True)),\n"
    "  'lw': float(lw.shrinkage_), 'oas': float(oas.shrinkage_), 'lw_cov': lw.covariance_.tolist(),\n"
    "  'oas_cov': oas.covariance_.tolist(), 'emp_cov': EmpiricalCovariance().fit(X).covariance_.tolist(),\n"
    "  'mean': X.mean(0).tolist()}))\n";

void expect_matches_sklearn(const Eigen::MatrixXd& rows, const json& reference) {
  const GaussianFit fit = fit_gaussian(rows);
  EXPECT_EQ(fit.n, static_cast<uint64_t>(rows.rows()));
  expect_relative(fit.ledoit_wolf, reference["lw"], 1e-9, "LedoitWolf().shrinkage_");
  expect_relative(fit.oas, reference["oas"], 1e-9, "OAS().shrinkage_");
  const Eigen::MatrixXd centered = rows.rowwise() - fit.mean.transpose();
  expect_relative(ledoit_wolf_shrinkage(centered), reference["lw_function"], 1e-9, "ledoit_wolf_shrinkage");
  expect_close(fit.ml_covariance, to_matrix(reference["emp_cov"]), 1e-10);
  expect_close(fit.covariance(ShrinkageMethod::PseudoInverse), to_matrix(reference["emp_cov"]), 1e-10);
  expect_close(fit.covariance(ShrinkageMethod::LedoitWolf), to_matrix(reference["lw_cov"]), 1e-9);
  expect_close(fit.covariance(ShrinkageMethod::Oas), to_matrix(reference["oas_cov"]), 1e-9);
  expect_close(shrink(fit.ml_covariance, fit.oas), to_matrix(reference["oas_cov"]), 1e-9);
  for (Eigen::Index j = 0; j < fit.mean.size(); ++j) {
    const double expected = reference["mean"][static_cast<size_t>(j)];
    EXPECT_NEAR(fit.mean[j], expected, 1e-12 * std::max(1.0, std::fabs(expected)));
  }
}

class ShrinkageOnDataset : public ::testing::TestWithParam<Dataset> {};

TEST_P(ShrinkageOnDataset, MatchesScikitLearn) {
  const Dataset& dataset = GetParam();
  const json reference = json::parse(run_python(python_load(dataset) + kSklearnFit));
  expect_matches_sklearn(load(dataset), reference);
}

INSTANTIATE_TEST_SUITE_P(Shrinkage, ShrinkageOnDataset, ::testing::ValuesIn(kDatasets),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Shrinkage, DigitsReferenceValues) {
  // scikit-learn 1.2.1 on digits pixels/16 (shared/reference/mahalanobis-and-drift.md §4).
  const GaussianFit fit = fit_gaussian(load(kDatasets[0]));
  EXPECT_NEAR(fit.ledoit_wolf, 0.008928469808826, 1e-14);
  EXPECT_NEAR(fit.oas, 0.009921599070502, 1e-14);
}

TEST(Shrinkage, MoreFeaturesThanRowsAndConstantColumnsStayFinite) {
  // 10 rows of breast_cancer (30 features): S has rank 9. Adding a constant column and a copy of another
  // makes it worse; the shrunk covariances must still be positive definite and match scikit-learn.
  Eigen::MatrixXd all = load(kDatasets[1]);
  Eigen::MatrixXd rows(10, 32);
  rows << all.topRows(10), Eigen::VectorXd::Constant(10, 3.5), all.topRows(10).col(4);
  const json reference =
      json::parse(run_python(python_load(kDatasets[1]) +
                             "X = np.column_stack([X[:10], np.full(10, 3.5), X[:10, 4]])\n" + kSklearnFit));
  expect_matches_sklearn(rows, reference);
  const GaussianFit fit = fit_gaussian(rows);
  EXPECT_GT(fit.ledoit_wolf, 0.0);
  EXPECT_GT(fit.oas, 0.0);
  for (ShrinkageMethod method : {ShrinkageMethod::LedoitWolf, ShrinkageMethod::Oas}) {
    const Eigen::MatrixXd covariance = fit.covariance(method);
    EXPECT_TRUE(covariance.allFinite()) << to_string(method);
    EXPECT_EQ(Eigen::LLT<Eigen::MatrixXd>(covariance).info(), Eigen::Success) << to_string(method);
  }
}

TEST(Shrinkage, DegenerateInputsGiveFiniteIntensities) {
  // All rows identical: S = 0. scikit-learn gives LW 0 and OAS 1 (den == 0); nothing may be NaN.
  const GaussianFit constant = fit_gaussian(Eigen::MatrixXd::Constant(5, 3, 2.0));
  EXPECT_EQ(constant.ledoit_wolf, 0.0);
  EXPECT_EQ(constant.oas, 1.0);
  EXPECT_TRUE(constant.covariance(ShrinkageMethod::Oas).allFinite());
  EXPECT_TRUE(constant.covariance(ShrinkageMethod::Oas).isZero());
  // One column: both intensities 0, as sklearn's ledoit_wolf and oas special-case it.
  Eigen::MatrixXd column(4, 1);
  column << 1, 2, 4, 8;
  const GaussianFit single = fit_gaussian(column);
  EXPECT_EQ(single.ledoit_wolf, 0.0);
  EXPECT_EQ(single.oas, 0.0);
  EXPECT_DOUBLE_EQ(single.ml_covariance(0, 0), (1 + 4 + 16 + 64) / 4.0 - (15 / 4.0) * (15 / 4.0));
  // S already a multiple of I: LW has nothing to shrink.
  Eigen::MatrixXd orthogonal(4, 2);
  orthogonal << 1, 0, -1, 0, 0, 1, 0, -1;
  EXPECT_EQ(fit_gaussian(orthogonal).ledoit_wolf, 0.0);
  EXPECT_EQ(ledoit_wolf_shrinkage(Eigen::MatrixXd::Ones(1, 3)), 0.0);  // one row, as sklearn
}

TEST(Shrinkage, BadInputThrows) {
  EXPECT_THROW(fit_gaussian(Eigen::MatrixXd::Ones(1, 3)), std::invalid_argument);
  EXPECT_THROW(fit_gaussian(Eigen::MatrixXd(0, 3)), std::invalid_argument);
  EXPECT_THROW(fit_gaussian(Eigen::MatrixXd(4, 0)), std::invalid_argument);
  Eigen::MatrixXd with_nan = Eigen::MatrixXd::Ones(4, 2);
  with_nan(2, 1) = std::nan("");
  EXPECT_THROW(fit_gaussian(with_nan), std::invalid_argument);
  with_nan(2, 1) = INFINITY;
  EXPECT_THROW(fit_gaussian(with_nan), std::invalid_argument);
  EXPECT_THROW(ledoit_wolf_shrinkage(with_nan), std::invalid_argument);
  EXPECT_THROW(ledoit_wolf_shrinkage(Eigen::MatrixXd(0, 2)), std::invalid_argument);
  EXPECT_THROW(oas_shrinkage(Eigen::MatrixXd::Identity(2, 3), 5), std::invalid_argument);
  EXPECT_THROW(oas_shrinkage(Eigen::MatrixXd::Identity(2, 2), 0), std::invalid_argument);
  EXPECT_THROW(shrink(Eigen::MatrixXd::Identity(2, 2), 1.5), std::invalid_argument);
  EXPECT_THROW(shrink(Eigen::MatrixXd::Identity(2, 2), -0.1), std::invalid_argument);
}

TEST(Shrinkage, ShrinkMovesTowardTheScaledIdentity) {
  Eigen::MatrixXd s(2, 2);
  s << 4, 1, 1, 2;
  const Eigen::MatrixXd half = shrink(s, 0.5);
  EXPECT_DOUBLE_EQ(half(0, 0), 0.5 * 4 + 0.5 * 3);
  EXPECT_DOUBLE_EQ(half(1, 1), 0.5 * 2 + 0.5 * 3);
  EXPECT_DOUBLE_EQ(half(0, 1), 0.5);
  EXPECT_EQ(shrink(s, 0.0), s);
  EXPECT_EQ(shrink(s, 1.0), 3.0 * Eigen::MatrixXd::Identity(2, 2));
}

TEST(Shrinkage, MethodNamesRoundTrip) {
  for (ShrinkageMethod method :
       {ShrinkageMethod::LedoitWolf, ShrinkageMethod::Oas, ShrinkageMethod::PseudoInverse}) {
    EXPECT_EQ(shrinkage_method_from_string(to_string(method)), method);
  }
  EXPECT_EQ(to_string(ShrinkageMethod::LedoitWolf), "ledoit-wolf");
  EXPECT_EQ(to_string(ShrinkageMethod::Oas), "oas");
  EXPECT_EQ(to_string(ShrinkageMethod::PseudoInverse), "pinv");
  EXPECT_FALSE(shrinkage_method_from_string("LedoitWolf").has_value());
  EXPECT_FALSE(shrinkage_method_from_string("").has_value());
}

}  // namespace
}  // namespace xferval
