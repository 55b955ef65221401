#include "xferval/stats/covariance.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;
using testing::source_path;

// The numeric columns of a data/ CSV as a row-major matrix.
struct Rows {
  size_t width = 0;
  size_t count = 0;
  std::vector<double> values;  // count x width
};

Rows read_numeric_rows(const std::string& relative) {
  testing::NumericColumns columns = testing::read_numeric_columns(relative);
  Rows out;
  out.width = columns.values.size();
  out.count = columns.values.empty() ? 0 : columns.values[0].size();
  for (size_t r = 0; r < out.count; ++r) {
    for (const auto& column : columns.values) out.values.push_back(column[r]);
  }
  return out;
}

Eigen::MatrixXd to_matrix(const json& rows) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows[0].size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size(); ++j)
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
  }
  return m;
}

// Entry-wise |actual - expected| <= tolerance * max(|expected_ij|, sqrt(expected_ii expected_jj)):
// relative, with near-zero off-diagonal entries measured against their scale.
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

CovarianceAccumulator accumulate(const Rows& rows, size_t first, size_t last, size_t block) {
  CovarianceAccumulator acc(rows.width);
  for (size_t r = first; r < last; r += block) {
    acc.add_rows(rows.values.data() + r * rows.width, std::min(block, last - r));
  }
  return acc;
}

class CovarianceOnDataset : public ::testing::TestWithParam<const char*> {};

TEST_P(CovarianceOnDataset, MatchesPandasAndNumpy) {
  const std::string relative = GetParam();
  Rows rows = read_numeric_rows(relative);
  ASSERT_GE(rows.width, 10u);
  json reference = json::parse(
      run_python("import json, numpy as np, pandas as pd\n"
                 "df = pd.read_csv('" +
                 source_path(relative).string() +
                 "').select_dtypes('number')\n"
                 "print(json.dumps({'cov': df.cov().values.tolist(),\n"
                 "                  'biased': np.cov(df.values, rowvar=False, bias=True).tolist(),\n"
                 "                  'mean': df.mean().tolist(), 'n': len(df)}))\n"));
  for (size_t block : {rows.count, size_t{64}, size_t{1}}) {
    SCOPED_TRACE("block " + std::to_string(block));
    CovarianceAccumulator acc = accumulate(rows, 0, rows.count, block);
    EXPECT_EQ(acc.count(), reference["n"].get<uint64_t>());
    EXPECT_EQ(acc.dimensions(), rows.width);
    expect_close(acc.covariance(1), to_matrix(reference["cov"]), 1e-10);
    expect_close(acc.covariance(0), to_matrix(reference["biased"]), 1e-10);
    for (size_t j = 0; j < rows.width; ++j) {
      const double expected = reference["mean"][j];
      EXPECT_LE(std::fabs(acc.mean()[static_cast<Eigen::Index>(j)] - expected), 1e-12 * std::fabs(expected));
    }
  }
}

TEST_P(CovarianceOnDataset, FourShardsMergeToTheWhole) {
  Rows rows = read_numeric_rows(GetParam());
  CovarianceAccumulator whole = accumulate(rows, 0, rows.count, rows.count);
  CovarianceAccumulator merged;  // default-constructed: takes the first shard's dimensions
  for (size_t shard = 0; shard < 4; ++shard) {
    merged.merge(accumulate(rows, shard * rows.count / 4, (shard + 1) * rows.count / 4, 37));
  }
  EXPECT_EQ(merged.count(), whole.count());
  expect_close(merged.comoments(), whole.comoments(), 1e-12);
  expect_close(merged.covariance(1), whole.covariance(1), 1e-12);
  for (Eigen::Index j = 0; j < whole.mean().size(); ++j) {
    EXPECT_LE(std::fabs(merged.mean()[j] - whole.mean()[j]), 1e-13 * std::fabs(whole.mean()[j]));
  }
}

INSTANTIATE_TEST_SUITE_P(Datasets, CovarianceOnDataset,
                         ::testing::Values("data/wine.csv", "data/breast_cancer.csv"));

TEST(Covariance, LargeOffsetIsCentredAway) {
  // Two columns around 1e8 with an exactly known covariance: x = 1e8 + a, y = 1e8 - 2a,
  // a in {-1, 0, 1} repeated: var(x) = 2/3 * n/(n-1), cov(x, y) = -2 var(x).
  std::vector<double> rows;
  const size_t n = 3000;
  for (size_t i = 0; i < n; ++i) {
    const double a = static_cast<double>(i % 3) - 1.0;
    rows.push_back(1e8 + a);
    rows.push_back(1e8 - 2.0 * a);
  }
  CovarianceAccumulator acc(2);
  acc.add_rows(rows.data(), n / 2);
  acc.add_rows(rows.data() + n, n / 2);
  const double var_x = 2.0 / 3.0 * static_cast<double>(n) / static_cast<double>(n - 1);
  Eigen::MatrixXd cov = acc.covariance(1);
  EXPECT_NEAR(cov(0, 0), var_x, 1e-9);
  EXPECT_NEAR(cov(0, 1), -2.0 * var_x, 1e-9);
  EXPECT_NEAR(cov(1, 0), -2.0 * var_x, 1e-9);
  EXPECT_NEAR(cov(1, 1), 4.0 * var_x, 1e-9);
}

TEST(Covariance, EmptyAndMismatchedStates) {
  CovarianceAccumulator acc(3);
  EXPECT_EQ(acc.count(), 0u);
  acc.add_rows(nullptr, 0);
  EXPECT_EQ(acc.count(), 0u);
  EXPECT_TRUE(std::isnan(acc.covariance(1)(0, 0)));
  const double row[3] = {1.0, 2.0, 3.0};
  acc.add_rows(row, 1);
  EXPECT_TRUE(std::isnan(acc.covariance(1)(1, 1)));
  EXPECT_EQ(acc.covariance(0)(1, 1), 0.0);
  CovarianceAccumulator other(2);
  const double row2[2] = {1.0, 2.0};
  other.add_rows(row2, 1);
  EXPECT_THROW(acc.merge(other), std::invalid_argument);
  acc.merge(CovarianceAccumulator(3));  // empty: no change
  EXPECT_EQ(acc.count(), 1u);
}

TEST(Covariance, JsonRoundTripIsExact) {
  Rows rows = read_numeric_rows("data/wine.csv");
  CovarianceAccumulator acc = accumulate(rows, 0, rows.count, 50);
  const std::string text = acc.to_json().dump();
  CovarianceAccumulator back = CovarianceAccumulator::from_json(json::parse(text));
  EXPECT_EQ(back.count(), acc.count());
  EXPECT_EQ(back.dimensions(), acc.dimensions());
  EXPECT_EQ(std::memcmp(back.mean().data(), acc.mean().data(), sizeof(double) * acc.dimensions()), 0);
  EXPECT_EQ(std::memcmp(back.comoments().data(), acc.comoments().data(),
                        sizeof(double) * acc.dimensions() * acc.dimensions()),
            0);
  EXPECT_EQ(back.to_json().dump(), text);
  // Empty accumulators too.
  CovarianceAccumulator empty(4);
  EXPECT_EQ(CovarianceAccumulator::from_json(json::parse(empty.to_json().dump())).to_json(), empty.to_json());
}

TEST(Covariance, MalformedStateThrows) {
  CovarianceAccumulator acc(2);
  const double rows[4] = {1.0, 2.0, 3.0, 5.0};
  acc.add_rows(rows, 2);
  const json good = acc.to_json();
  EXPECT_NO_THROW(CovarianceAccumulator::from_json(good));
  for (const char* key : {"dimensions", "count", "mean", "comoments"}) {
    json bad = good;
    bad.erase(key);
    EXPECT_THROW(CovarianceAccumulator::from_json(bad), std::invalid_argument) << key;
  }
  json bad = good;
  bad["dimensions"] = 3;
  EXPECT_THROW(CovarianceAccumulator::from_json(bad), std::invalid_argument);
  bad = good;
  bad["comoments"][1] = json::array({1.0});
  EXPECT_THROW(CovarianceAccumulator::from_json(bad), std::invalid_argument);
  bad = good;
  bad["mean"][0] = "x";
  EXPECT_THROW(CovarianceAccumulator::from_json(bad), std::invalid_argument);
  bad = good;
  bad["comoments"][0][0] = -1.0;
  EXPECT_THROW(CovarianceAccumulator::from_json(bad), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
