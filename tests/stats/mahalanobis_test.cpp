#include "xferval/stats/mahalanobis.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "xferval/stats/covariance.hpp"
#include "xferval/stats/hotelling.hpp"
#include "xferval/stats/shrinkage.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;
using testing::source_path;

struct Dataset {
  const char* name;
  const char* csv;
  double scale;    // values are divided by it (digits pixels / 16)
  size_t columns;  // the first `columns` numeric columns (digits: drop the label)
};

const Dataset kDigits{"digits", "data/digits.csv", 16.0, 64};
const Dataset kBreastCancer{"breast_cancer", "data/breast_cancer.csv", 1.0, 30};
const Dataset kWine{"wine", "data/wine.csv", 1.0, 13};

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

std::string python_load(const Dataset& dataset) {
  return "import json, numpy as np, pandas as pd\n"
         "df = pd.read_csv('" +
         source_path(dataset.csv).string() +
         "')\n"
         "X = df.select_dtypes('number').values[:, :" +
         std::to_string(dataset.columns) + "] / " + std::to_string(dataset.scale) + "\n";
}

// Rows with index parity `parity` (even/odd split: fit on one half, score the other).
Eigen::MatrixXd every_other(const Eigen::MatrixXd& rows, Eigen::Index parity) {
  Eigen::MatrixXd out((rows.rows() - parity + 1) / 2, rows.cols());
  for (Eigen::Index i = 0; i < out.rows(); ++i) out.row(i) = rows.row(2 * i + parity);
  return out;
}

// The last CSV field of each data line (the class column of wine), read without the numeric reader.
std::vector<std::string> last_column(const std::string& relative) {
  std::ifstream in(source_path(relative));
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::string> labels;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) labels.push_back(line.substr(line.rfind(',') + 1));
  }
  return labels;
}

Eigen::MatrixXd rows_with_label(const Eigen::MatrixXd& rows, const std::vector<std::string>& labels,
                                const std::string& label) {
  std::vector<Eigen::Index> chosen;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == label) chosen.push_back(static_cast<Eigen::Index>(i));
  }
  Eigen::MatrixXd out(static_cast<Eigen::Index>(chosen.size()), rows.cols());
  for (size_t i = 0; i < chosen.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = rows.row(chosen[i]);
  return out;
}

void expect_all_relative(const Eigen::VectorXd& actual, const json& expected, double tolerance,
                         const std::string& what) {
  ASSERT_EQ(static_cast<size_t>(actual.size()), expected.size()) << what;
  size_t failures = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double reference = expected[i];
    if (std::fabs(actual[static_cast<Eigen::Index>(i)] - reference) > tolerance * std::fabs(reference)) {
      if (++failures <= 5) {
        ADD_FAILURE() << what << " row " << i << ": " << actual[static_cast<Eigen::Index>(i)] << " vs "
                      << reference;
      }
    }
  }
  EXPECT_EQ(failures, 0u) << what;
}

// Fit on the even rows, score the odd ones (new points), against scikit-learn's estimators and
// scipy.spatial.distance.mahalanobis with the estimator's precision.
const char* kSklearnDistances =
    "from sklearn.covariance import LedoitWolf, OAS, EmpiricalCovariance\n"
    "from scipy.spatial.distance import mahalanobis\n"
    "from scipy.linalg import pinvh\n"
    "fit, score = X[0::2], X[1::2]\n"
    "out = {}\n"
    "for name, est in [('ledoit-wolf', LedoitWolf()), ('oas', OAS()), ('pinv', EmpiricalCovariance())]:\n"
    "    est.fit(fit)\n"
    "    VI = np.linalg.inv(est.covariance_) if name != 'pinv' else pinvh(est.covariance_)\n"
    "    out[name] = {'sklearn': est.mahalanobis(score).tolist(),\n"
    "                 'scipy': [mahalanobis(u, est.location_, VI) ** 2 for u in score[:25]]}\n"
    "print(json.dumps(out))\n";

void expect_distances_match(const Dataset& dataset, double pinv_tolerance, bool pinv_expected) {
  const json reference = json::parse(run_python(python_load(dataset) + kSklearnDistances));
  const Eigen::MatrixXd rows = load(dataset);
  const Eigen::MatrixXd fit_rows = every_other(rows, 0);
  const Eigen::MatrixXd score_rows = every_other(rows, 1);
  const GaussianFit fit = fit_gaussian(fit_rows);
  for (ShrinkageMethod method :
       {ShrinkageMethod::LedoitWolf, ShrinkageMethod::Oas, ShrinkageMethod::PseudoInverse}) {
    const std::string name(to_string(method));
    SCOPED_TRACE(name);
    const bool pinv = method == ShrinkageMethod::PseudoInverse;
    const double tolerance = pinv ? pinv_tolerance : 1e-9;
    const MahalanobisScorer scorer(fit.mean, fit.covariance(method));
    EXPECT_EQ(scorer.used_pseudo_inverse(), pinv && pinv_expected);
    EXPECT_EQ(scorer.dimensions(), dataset.columns);
    const Eigen::VectorXd distances = scorer.squared_distances(score_rows);
    expect_all_relative(distances, reference[name]["sklearn"], tolerance, name + " vs sklearn");
    expect_all_relative(distances.head(25), reference[name]["scipy"], tolerance, name + " vs scipy");
    // Forcing the pseudo-inverse agrees with the Cholesky path wherever the matrix is well conditioned.
    if (!pinv) {
      const MahalanobisScorer forced(fit.mean, fit.covariance(method), true);
      EXPECT_TRUE(forced.used_pseudo_inverse());
      expect_all_relative(forced.squared_distances(score_rows), reference[name]["sklearn"], 1e-9,
                          name + " forced pinv vs sklearn");
    }
  }
}

TEST(Mahalanobis, DigitsRankDeficientUsesPinvLikeEmpiricalCovariance) {
  // Three constant pixels: S is singular, LLT fails and the pinvh fallback must match EmpiricalCovariance.
  expect_distances_match(kDigits, 1e-9, true);
  const GaussianFit fit = fit_gaussian(every_other(load(kDigits), 0));
  const MahalanobisScorer scorer(fit.mean, fit.ml_covariance);
  EXPECT_TRUE(scorer.used_pseudo_inverse());
  EXPECT_LE(scorer.rank(), 61u);
  const MahalanobisScorer shrunk(fit.mean, fit.covariance(ShrinkageMethod::LedoitWolf));
  EXPECT_FALSE(shrunk.used_pseudo_inverse());
  EXPECT_EQ(shrunk.rank(), 64u);
}

TEST(Mahalanobis, WineMatchesScikitLearn) { expect_distances_match(kWine, 1e-9, false); }

TEST(Mahalanobis, BreastCancerMatchesScikitLearn) {
  // The unshrunk S of breast_cancer has condition number ~6e11 (areas ~1e3 next to ratios ~1e-2), so a
  // Cholesky solve and scipy's pinvh legitimately differ by ~cond * eps there; the shrunk ones are held to
  // 1e-9.
  expect_distances_match(kBreastCancer, 1e-5, false);
}

TEST(Mahalanobis, ManyRowsUseTwoThreadsAndAgreeWithOneBlock) {
  // Enough rows to split across threads and blocks; each row scored alone must give the same value.
  Eigen::MatrixXd base = load(kDigits);
  Eigen::MatrixXd rows(base.rows() * 3, base.cols());
  rows << base, base * 0.9, base.array().sqrt().matrix();
  const GaussianFit fit = fit_gaussian(base);
  const MahalanobisScorer scorer(fit.mean, fit.covariance(ShrinkageMethod::Oas));
  const Eigen::VectorXd all = scorer.squared_distances(rows);
  ASSERT_EQ(all.size(), rows.rows());
  for (Eigen::Index i = 0; i < rows.rows(); i += 97) {
    const double single = scorer.squared_distances(rows.row(i))[0];
    EXPECT_NEAR(all[i], single, 1e-12 * single) << i;
  }
  EXPECT_EQ(scorer.squared_distances(Eigen::MatrixXd(0, 64)).size(), 0);
}

TEST(Mahalanobis, SingularInputsStayFinite) {
  // More features than rows and a constant column, unshrunk: the pinv path, finite and zero at the mean.
  Eigen::MatrixXd rows = load(kBreastCancer).topRows(8);
  rows.col(3).setConstant(1.0);
  const GaussianFit fit = fit_gaussian(rows);
  for (ShrinkageMethod method :
       {ShrinkageMethod::LedoitWolf, ShrinkageMethod::Oas, ShrinkageMethod::PseudoInverse}) {
    const MahalanobisScorer scorer(fit.mean, fit.covariance(method));
    EXPECT_EQ(scorer.used_pseudo_inverse(), method == ShrinkageMethod::PseudoInverse) << to_string(method);
    const Eigen::VectorXd distances = scorer.squared_distances(load(kBreastCancer).topRows(40));
    EXPECT_TRUE(distances.allFinite()) << to_string(method);
    EXPECT_NEAR(scorer.squared_distances(fit.mean.transpose())[0], 0.0, 1e-12);
  }
  // In-sample pinv distances of n points spanning rank n-1 under S with divisor n: each is n h_ii = n - 1,
  // h the projection onto the centred rows (leverage identity).
  const MahalanobisScorer pinv(fit.mean, fit.ml_covariance);
  EXPECT_EQ(pinv.rank(), 7u);
  const Eigen::VectorXd in_sample = pinv.squared_distances(rows);
  for (Eigen::Index i = 0; i < in_sample.size(); ++i) EXPECT_NEAR(in_sample[i], 7.0, 1e-6);
  // The zero matrix: nothing survives the cutoff and every distance is 0.
  const MahalanobisScorer zero(Eigen::VectorXd::Zero(3), Eigen::MatrixXd::Zero(3, 3));
  EXPECT_TRUE(zero.used_pseudo_inverse());
  EXPECT_EQ(zero.rank(), 0u);
  EXPECT_EQ(zero.squared_distances(Eigen::MatrixXd::Ones(2, 3)).sum(), 0.0);
}

TEST(Mahalanobis, BadInputThrows) {
  const Eigen::VectorXd mean = Eigen::VectorXd::Zero(3);
  EXPECT_THROW(MahalanobisScorer(mean, Eigen::MatrixXd::Identity(2, 2)), std::invalid_argument);
  EXPECT_THROW(MahalanobisScorer(Eigen::VectorXd(0), Eigen::MatrixXd(0, 0)), std::invalid_argument);
  Eigen::MatrixXd bad = Eigen::MatrixXd::Identity(3, 3);
  bad(1, 2) = std::nan("");
  EXPECT_THROW(MahalanobisScorer(mean, bad), std::invalid_argument);
  const MahalanobisScorer scorer(mean, Eigen::MatrixXd::Identity(3, 3));
  EXPECT_THROW(scorer.squared_distances(Eigen::MatrixXd::Ones(2, 4)), std::invalid_argument);
  Eigen::MatrixXd rows = Eigen::MatrixXd::Ones(2, 3);
  rows(1, 1) = INFINITY;
  EXPECT_THROW(scorer.squared_distances(rows), std::invalid_argument);
  Eigen::MatrixXd indefinite = Eigen::MatrixXd::Identity(3, 3);
  indefinite(2, 2) = -1.0;
  EXPECT_THROW(MahalanobisScorer(mean, indefinite), std::invalid_argument);
}

// Hotelling's two-sample T² on wine class_1 vs class_2, against the formula written in NumPy/SciPy.
struct WineClasses {
  CovarianceAccumulator first{13}, second{13};
};

WineClasses wine_classes(const std::string& a, const std::string& b) {
  const Eigen::MatrixXd rows = load(kWine);
  const std::vector<std::string> labels = last_column(kWine.csv);
  WineClasses out;
  for (auto [label, accumulator] : {std::pair{a, &out.first}, std::pair{b, &out.second}}) {
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> chosen =
        rows_with_label(rows, labels, label);
    accumulator->add_rows(chosen.data(), static_cast<size_t>(chosen.rows()));
  }
  return out;
}

TEST(Hotelling, WineClassesMatchNumpyFormula) {
  const json reference = json::parse(run_python(
      python_load(kWine) +
      "from scipy.stats import f\n"
      "A, B = X[df.cultivar == 'class_1'], X[df.cultivar == 'class_2']\n"
      "n1, n2, p = len(A), len(B), X.shape[1]\n"
      "d = A.mean(0) - B.mean(0)\n"
      "Sp = ((n1 - 1) * np.cov(A, rowvar=False) + (n2 - 1) * np.cov(B, rowvar=False)) / (n1 + n2 - 2)\n"
      "out = {}\n"
      "for rho in [0.0, 0.1]:\n"
      "    S = (1 - rho) * Sp + rho * np.trace(Sp) / p * np.eye(p)\n"
      "    t2 = n1 * n2 / (n1 + n2) * d @ np.linalg.solve(S, d)\n"
      "    F = (n1 + n2 - p - 1) / (p * (n1 + n2 - 2)) * t2\n"
      "    out[str(rho)] = {'t2': t2, 'F': F, 'df2': n1 + n2 - p - 1, 'p': f.sf(F, p, n1 + n2 - p - 1)}\n"
      "print(json.dumps(out))\n"));
  const WineClasses classes = wine_classes("class_1", "class_2");
  ASSERT_EQ(classes.first.count(), 71u);
  ASSERT_EQ(classes.second.count(), 48u);
  for (double rho : {0.0, 0.1}) {
    SCOPED_TRACE(rho);
    const json& expected = reference[rho == 0.0 ? "0.0" : "0.1"];
    const HotellingResult result =
        hotelling_two_sample(classes.first.mean(), classes.first.covariance(1), 71, classes.second.mean(),
                             classes.second.covariance(1), 48, rho);
    EXPECT_NEAR(result.t_squared, expected["t2"].get<double>(), 1e-9 * expected["t2"].get<double>());
    EXPECT_NEAR(result.f_statistic, expected["F"].get<double>(), 1e-9 * expected["F"].get<double>());
    EXPECT_EQ(result.df1, 13.0);
    EXPECT_EQ(result.df2, expected["df2"].get<double>());
    EXPECT_NEAR(result.p_value, expected["p"].get<double>(), 1e-8 * expected["p"].get<double>());
    // These cultivars differ clearly; shrinking toward (tr/p) I, with proline's variance dominating the
    // trace, blurs the small-scale features, so only the exact test is expected to be this decisive.
    if (rho == 0.0) {
      EXPECT_LT(result.p_value, 1e-10);
    }
    EXPECT_EQ(result.shrinkage, rho);
  }
}

TEST(Hotelling, SameClassHalvesIsNotSignificantAndMatchesNumpy) {
  // class_1 even rows vs odd rows: the null holds, the p-value must be unremarkable and match SciPy.
  const json reference = json::parse(run_python(
      python_load(kWine) +
      "from scipy.stats import f\n"
      "C = X[df.cultivar == 'class_1']; A, B = C[0::2], C[1::2]\n"
      "n1, n2, p = len(A), len(B), X.shape[1]\n"
      "d = A.mean(0) - B.mean(0)\n"
      "Sp = ((n1 - 1) * np.cov(A, rowvar=False) + (n2 - 1) * np.cov(B, rowvar=False)) / (n1 + n2 - 2)\n"
      "t2 = n1 * n2 / (n1 + n2) * d @ np.linalg.solve(Sp, d)\n"
      "F = (n1 + n2 - p - 1) / (p * (n1 + n2 - 2)) * t2\n"
      "print(json.dumps({'t2': t2, 'p': f.sf(F, p, n1 + n2 - p - 1)}))\n"));
  const Eigen::MatrixXd rows = load(kWine);
  const Eigen::MatrixXd one_class = rows_with_label(rows, last_column(kWine.csv), "class_1");
  const GaussianFit a = fit_gaussian(every_other(one_class, 0));
  const GaussianFit b = fit_gaussian(every_other(one_class, 1));
  auto unbiased = [](const GaussianFit& fit) {
    return Eigen::MatrixXd(fit.ml_covariance * (static_cast<double>(fit.n) / static_cast<double>(fit.n - 1)));
  };
  const HotellingResult result = hotelling_two_sample(a.mean, unbiased(a), a.n, b.mean, unbiased(b), b.n);
  EXPECT_NEAR(result.t_squared, reference["t2"].get<double>(), 1e-9 * reference["t2"].get<double>());
  EXPECT_NEAR(result.p_value, reference["p"].get<double>(), 1e-9);
  EXPECT_GT(result.p_value, 0.05);
}

TEST(Hotelling, NotApplicableAndBadInputThrow) {
  const Eigen::VectorXd mean = Eigen::VectorXd::Zero(3);
  const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(3, 3);
  // n1 + n2 - p - 1 = 0.
  EXPECT_THROW(hotelling_two_sample(mean, identity, 2, mean, identity, 2), std::invalid_argument);
  EXPECT_NO_THROW(hotelling_two_sample(mean, identity, 3, mean, identity, 2));
  EXPECT_THROW(hotelling_two_sample(mean, identity, 10, Eigen::VectorXd::Zero(2), identity, 10),
               std::invalid_argument);
  EXPECT_THROW(hotelling_two_sample(mean, identity, 10, mean, identity, 10, 1.5), std::invalid_argument);
  Eigen::VectorXd with_nan = mean;
  with_nan[0] = std::nan("");
  EXPECT_THROW(hotelling_two_sample(with_nan, identity, 10, mean, identity, 10), std::invalid_argument);
  // Equal means: T² = 0, p = 1.
  const HotellingResult same = hotelling_two_sample(mean, identity, 10, mean, identity, 10);
  EXPECT_EQ(same.t_squared, 0.0);
  EXPECT_EQ(same.p_value, 1.0);
}

TEST(Hotelling, SingularPooledCovarianceStaysFinite) {
  // A constant column in both samples: S_p singular. Unshrunk uses the pseudo-inverse, shrunk is PD.
  Eigen::MatrixXd cov = Eigen::MatrixXd::Identity(3, 3);
  cov(2, 2) = 0.0;
  Eigen::VectorXd mean1(3), mean2(3);
  mean1 << 0, 0, 1;
  mean2 << 1, 0, 1;
  for (double rho : {0.0, 0.2}) {
    const HotellingResult result = hotelling_two_sample(mean1, cov, 20, mean2, cov, 20, rho);
    EXPECT_TRUE(std::isfinite(result.t_squared)) << rho;
    EXPECT_TRUE(std::isfinite(result.p_value)) << rho;
    EXPECT_GT(result.t_squared, 0.0) << rho;
  }
  EXPECT_NEAR(hotelling_two_sample(mean1, cov, 20, mean2, cov, 20).t_squared, 10.0, 1e-12);
}

}  // namespace
}  // namespace xferval
