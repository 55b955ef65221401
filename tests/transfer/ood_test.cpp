#include "xferval/transfer/ood.hpp"

#include <gtest/gtest.h>

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

std::vector<double> as_vector(const Eigen::VectorXd& values) {
  return std::vector<double>(values.data(), values.data() + values.size());
}

struct Split {
  Eigen::MatrixXd fit, in_distribution, out_of_distribution;
  std::vector<int> fit_labels;
};

// Digits 0-4 on even rows to fit, digits 0-4 on odd rows as held-out in-distribution, digits 5-9 as OOD.
Split digits_split() {
  testing::NumericColumns columns = testing::read_numeric_columns("data/digits.csv");
  const size_t n = columns.values[0].size();
  std::vector<std::vector<double>> fit, held, ood;
  Split split;
  for (size_t i = 0; i < n; ++i) {
    std::vector<double> row;
    for (size_t j = 0; j < 64; ++j) row.push_back(columns.values[j][i] / 16.0);
    const int label = static_cast<int>(columns.values[64][i]);
    if (label >= 5) {
      ood.push_back(row);
    } else if (i % 2 == 0) {
      fit.push_back(row);
      split.fit_labels.push_back(label);
    } else {
      held.push_back(row);
    }
  }
  auto to_matrix = [](const std::vector<std::vector<double>>& rows) {
    Eigen::MatrixXd out(rows.size(), 64);
    for (size_t i = 0; i < rows.size(); ++i) {
      for (size_t j = 0; j < 64; ++j) out(i, j) = rows[i][j];
    }
    return out;
  };
  split.fit = to_matrix(fit);
  split.in_distribution = to_matrix(held);
  split.out_of_distribution = to_matrix(ood);
  return split;
}

// The same split and an independent NumPy / scikit-learn fit: class means, LedoitWolf on the class-centred
// rows (tied), LedoitWolf on the raw rows (background), min-class squared distances via the precision.
json numpy_reference() {
  static const json reference = json::parse(run_python(R"(
import json, numpy as np
from sklearn.covariance import LedoitWolf, OAS
from sklearn.metrics import roc_auc_score
d = np.loadtxt(')" + source_path("data/digits.csv").string() +
                                                       R"(', delimiter=',', skiprows=1)
X, y = d[:, :64] / 16.0, d[:, 64].astype(int)
idx = np.arange(len(y))
fit = (y < 5) & (idx % 2 == 0); held = (y < 5) & (idx % 2 == 1); ood = y >= 5
Xf, yf = X[fit], y[fit]
means = np.stack([Xf[yf == c].mean(0) for c in range(5)])
centred = Xf - means[yf]
out = {}
for name, Est in [('lw', LedoitWolf), ('oas', OAS)]:
    tied = Est(assume_centered=False).fit(centred)
    bg = Est(assume_centered=False).fit(Xf)
    P = np.linalg.inv(tied.covariance_); P0 = np.linalg.inv(bg.covariance_)
    def d2(Z):
        return np.stack([np.einsum('ij,jk,ik->i', Z - m, P, Z - m) for m in means], 1)
    def d0(Z):
        return np.einsum('ij,jk,ik->i', Z - bg.location_, P0, Z - bg.location_)
    s_in, s_out = d2(X[held]).min(1), d2(X[ood]).min(1)
    r_in, r_out = s_in - d0(X[held]), s_out - d0(X[ood])
    out[name] = dict(shrinkage=float(tied.shrinkage_), background_shrinkage=float(bg.shrinkage_),
                     covariance=tied.covariance_.tolist(), background_covariance=bg.covariance_.tolist(),
                     scores_in=s_in.tolist(), scores_out=s_out.tolist(), relative_in=r_in.tolist(),
                     relative_out=r_out.tolist(),
                     auroc=float(roc_auc_score(np.r_[np.zeros(len(s_in)), np.ones(len(s_out))], np.r_[s_in, s_out])),
                     relative_auroc=float(roc_auc_score(np.r_[np.zeros(len(r_in)), np.ones(len(r_out))], np.r_[r_in, r_out])))
out['means'] = means.tolist()
print(json.dumps(out))
)"));
  return reference;
}

void expect_close(const Eigen::MatrixXd& actual, const Eigen::MatrixXd& expected, double tolerance,
                  const std::string& what) {
  ASSERT_EQ(actual.rows(), expected.rows()) << what;
  ASSERT_EQ(actual.cols(), expected.cols()) << what;
  const double error = (actual - expected).cwiseAbs().maxCoeff();
  EXPECT_LE(error, tolerance * std::max(1.0, expected.cwiseAbs().maxCoeff())) << what;
}

TEST(ClassConditionalGaussian, FitMatchesNumpyAndSklearn) {
  json reference = numpy_reference();
  Split split = digits_split();
  for (auto [key, method] :
       {std::pair{"lw", ShrinkageMethod::LedoitWolf}, std::pair{"oas", ShrinkageMethod::Oas}}) {
    SCOPED_TRACE(key);
    const json& r = reference[key];
    ClassConditionalGaussian gaussian = ClassConditionalGaussian::fit(split.fit, split.fit_labels, method);
    expect_close(gaussian.means(), matrix_of(reference["means"]), 1e-12, "means");
    EXPECT_NEAR(gaussian.shrinkage(), r["shrinkage"].get<double>(), 1e-10);
    EXPECT_NEAR(gaussian.background_shrinkage(), r["background_shrinkage"].get<double>(), 1e-10);
    expect_close(gaussian.tied_covariance(), matrix_of(r["covariance"]), 1e-12, "tied covariance");
    expect_close(gaussian.background_covariance(), matrix_of(r["background_covariance"]), 1e-12,
                 "background");
    Eigen::VectorXd in = gaussian.ood_scores(split.in_distribution);
    Eigen::VectorXd out = gaussian.ood_scores(split.out_of_distribution);
    Eigen::VectorXd relative_in = gaussian.ood_scores(split.in_distribution, true);
    Eigen::VectorXd relative_out = gaussian.ood_scores(split.out_of_distribution, true);
    expect_close(in, matrix_of(json::array({r["scores_in"]})).transpose(), 1e-9, "scores in");
    expect_close(out, matrix_of(json::array({r["scores_out"]})).transpose(), 1e-9, "scores out");
    expect_close(relative_in, matrix_of(json::array({r["relative_in"]})).transpose(), 1e-9, "relative in");
    expect_close(relative_out, matrix_of(json::array({r["relative_out"]})).transpose(), 1e-9, "relative out");
    const double score_auroc = auroc(as_vector(in), as_vector(out));
    EXPECT_NEAR(score_auroc, r["auroc"].get<double>(), 1e-12);
    EXPECT_NEAR(auroc(as_vector(relative_in), as_vector(relative_out)), r["relative_auroc"].get<double>(),
                1e-12);
    EXPECT_GT(score_auroc, 0.9);
    std::printf("digits 0-4 vs 5-9 (%s): Mahalanobis AUROC %.4f, relative Mahalanobis AUROC %.4f\n", key,
                score_auroc, auroc(as_vector(relative_in), as_vector(relative_out)));
  }
}

TEST(ClassConditionalGaussian, JsonRoundTripKeepsTheScores) {
  Split split = digits_split();
  ClassConditionalGaussian gaussian = ClassConditionalGaussian::fit(split.fit, split.fit_labels);
  json state = json::parse(gaussian.to_json().dump());
  ClassConditionalGaussian restored = ClassConditionalGaussian::from_json(state);
  EXPECT_EQ(restored.classes(), 5);
  EXPECT_EQ(restored.dimensions(), 64);
  EXPECT_EQ(restored.method(), ShrinkageMethod::LedoitWolf);
  expect_close(restored.ood_scores(split.out_of_distribution, true),
               gaussian.ood_scores(split.out_of_distribution, true), 1e-12, "restored scores");
  json broken = state;
  broken["means"].erase(0);
  EXPECT_THROW(ClassConditionalGaussian::from_json(broken), std::invalid_argument);
  broken = state;
  broken["format"] = "other";
  EXPECT_THROW(ClassConditionalGaussian::from_json(broken), std::invalid_argument);
}

TEST(ClassConditionalGaussian, PseudoInverseMethodHandlesConstantDimensions) {
  // Digits has constant pixels: the unshrunk covariance is singular; distances ignore the null space.
  Split split = digits_split();
  ClassConditionalGaussian gaussian =
      ClassConditionalGaussian::fit(split.fit, split.fit_labels, ShrinkageMethod::PseudoInverse);
  Eigen::VectorXd in = gaussian.ood_scores(split.in_distribution);
  EXPECT_TRUE(in.allFinite());
  EXPECT_GT(auroc(as_vector(in), as_vector(gaussian.ood_scores(split.out_of_distribution))), 0.85);
}

TEST(ClassConditionalGaussian, BadInputIsRejected) {
  Eigen::MatrixXd rows = Eigen::MatrixXd::Random(6, 3);
  EXPECT_THROW(ClassConditionalGaussian::fit(rows, {0, 1, 0, 1, 0}), std::invalid_argument);
  EXPECT_THROW(ClassConditionalGaussian::fit(rows, {0, 2, 0, 2, 0, 2}),
               std::invalid_argument);  // class 1 empty
  EXPECT_THROW(ClassConditionalGaussian::fit(rows, {0, -1, 0, 1, 0, 1}), std::invalid_argument);
  ClassConditionalGaussian gaussian = ClassConditionalGaussian::fit(rows, {0, 1, 0, 1, 0, 1});
  EXPECT_THROW(gaussian.ood_scores(Eigen::MatrixXd::Zero(2, 4)), std::invalid_argument);
  Eigen::MatrixXd with_nan = rows;
  with_nan(0, 0) = NAN;
  EXPECT_THROW(gaussian.ood_scores(with_nan), std::invalid_argument);
}

TEST(SummarizeOod, MatchesScipyAndCountsByHand) {
  json r = json::parse(run_python(R"(
import json, numpy as np
from scipy.stats import ks_2samp, mannwhitneyu
rs = np.random.RandomState(5)
cal = rs.chisquare(10, 400)
tgt = np.r_[rs.chisquare(10, 250), rs.chisquare(18, 60)]
tied_cal = np.round(cal); tied_tgt = np.round(tgt)
out = []
for a, b in [(cal, tgt), (tied_cal, tied_tgt), (cal[:30], cal[30:70])]:
    thr = float(np.quantile(a, 0.95))
    out.append(dict(cal=a.tolist(), tgt=b.tolist(), threshold=thr, ks=float(ks_2samp(b, a).statistic),
                    ks_p=float(ks_2samp(b, a).pvalue),
                    mw_p=float(mannwhitneyu(b, a, alternative='two-sided', method='asymptotic').pvalue)))
print(json.dumps(out))
)"));
  for (const json& c : r) {
    std::vector<double> calibration = c["cal"].get<std::vector<double>>(),
                        target = c["tgt"].get<std::vector<double>>();
    OodSummary summary = summarize_ood(
        Eigen::Map<Eigen::VectorXd>(calibration.data(), static_cast<Eigen::Index>(calibration.size())),
        Eigen::Map<Eigen::VectorXd>(target.data(), static_cast<Eigen::Index>(target.size())));
    EXPECT_NEAR(summary.threshold, c["threshold"].get<double>(), 1e-12);
    size_t above_target = 0, above_calibration = 0;
    for (double v : target) above_target += v > summary.threshold;
    for (double v : calibration) above_calibration += v > summary.threshold;
    EXPECT_DOUBLE_EQ(summary.target_rate,
                     static_cast<double>(above_target) / static_cast<double>(target.size()));
    EXPECT_DOUBLE_EQ(summary.calibration_rate,
                     static_cast<double>(above_calibration) / static_cast<double>(calibration.size()));
    EXPECT_NEAR(summary.ks_statistic, c["ks"].get<double>(), 1e-12);
    EXPECT_NEAR(summary.ks_p_value, c["ks_p"].get<double>(), 1e-9);
    EXPECT_NEAR(summary.mann_whitney_p_value, c["mw_p"].get<double>(), 1e-9);
  }
  Eigen::VectorXd some = Eigen::VectorXd::Ones(3);
  EXPECT_THROW(summarize_ood(Eigen::VectorXd(), some), std::invalid_argument);
  EXPECT_THROW(summarize_ood(some, some, 1.0), std::invalid_argument);
}

TEST(Auroc, MatchesSklearnWithTies) {
  json r = json::parse(run_python(R"(
import json, numpy as np
from sklearn.metrics import roc_auc_score
rs = np.random.RandomState(2)
neg = np.round(rs.randn(80), 1); pos = np.round(rs.randn(50) + 0.7, 1)
print(json.dumps(dict(neg=neg.tolist(), pos=pos.tolist(),
                      auc=float(roc_auc_score(np.r_[np.zeros(80), np.ones(50)], np.r_[neg, pos])))))
)"));
  EXPECT_NEAR(auroc(r["neg"].get<std::vector<double>>(), r["pos"].get<std::vector<double>>()),
              r["auc"].get<double>(), 1e-12);
  EXPECT_DOUBLE_EQ(auroc({0, 1}, {2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(auroc({1, 1}, {1}), 0.5);
  EXPECT_THROW(auroc({}, {1}), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
