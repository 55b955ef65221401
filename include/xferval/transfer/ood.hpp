#pragma once
// Out-of-distribution detection in a model's embedding space (Lee et al. 2018): class-conditional
// Gaussians with one tied covariance, scored by the squared Mahalanobis distance to the nearest class
// mean, optionally relative to a class-agnostic background Gaussian (Ren et al. 2021). Plus the
// dataset-level decision against held-out calibration scores, and AUROC for evaluating detectors.
#include <Eigen/Core>
#include <nlohmann/json.hpp>
#include <vector>

#include "xferval/stats/shrinkage.hpp"

namespace xferval {

class ClassConditionalGaussian {
 public:
  ClassConditionalGaussian() = default;  // empty: use fit or from_json
  // embeddings: N x D, N >= 2; labels in 0..C-1, every class 0..max(label) present (one class is
  // allowed: the score is then a plain Mahalanobis distance). Means per class; tied covariance = the
  // maximum-likelihood covariance (divisor N) of the class-centred rows, shrunk with the method's
  // intensity (Ledoit-Wolf / OAS as scikit-learn 1.2.1; PseudoInverse = unshrunk, pinvh distances).
  // Background: the full covariance of the rows, not class-centred, with the same method.
  // std::invalid_argument on bad input.
  static ClassConditionalGaussian fit(const Eigen::MatrixXd& embeddings, const std::vector<int>& labels,
                                      ShrinkageMethod method = ShrinkageMethod::LedoitWolf);

  // Per row, higher = more out of distribution:
  //   relative = false: min_c D²_c(x), D²_c(x) = (x - μ_c)ᵀ Σ⁻¹ (x - μ_c)
  //   relative = true:  min_c [D²_c(x) - D²_0(x)], D²_0 under the background N(μ_0, Σ_0)
  Eigen::VectorXd ood_scores(const Eigen::MatrixXd& embeddings, bool relative = false) const;
  // D²_c(x) for every row and class (N x C).
  Eigen::MatrixXd class_squared_distances(const Eigen::MatrixXd& embeddings) const;
  Eigen::VectorXd background_squared_distances(const Eigen::MatrixXd& embeddings) const;

  const Eigen::MatrixXd& means() const { return means_; }                      // C x D
  const Eigen::MatrixXd& tied_covariance() const { return tied_covariance_; }  // shrunk
  double shrinkage() const { return shrinkage_; }
  ShrinkageMethod method() const { return method_; }
  const Eigen::VectorXd& background_mean() const { return background_mean_; }
  const Eigen::MatrixXd& background_covariance() const { return background_covariance_; }  // shrunk
  double background_shrinkage() const { return background_shrinkage_; }
  const std::vector<uint64_t>& class_counts() const { return class_counts_; }
  Eigen::Index classes() const { return means_.rows(); }
  Eigen::Index dimensions() const { return means_.cols(); }

  // {"format": "xferval.class_conditional_gaussian/1", "shrinkage_method", "shrinkage", "class_counts",
  //  "means" (C rows of D), "tied_covariance" (D x D, shrunk), "background_mean", "background_covariance",
  //  "background_shrinkage"}. from_json validates shapes and finiteness (std::invalid_argument; a missing
  //  member raises nlohmann::json's exception).
  nlohmann::json to_json() const;
  static ClassConditionalGaussian from_json(const nlohmann::json& state);

  // Whitening of one Gaussian: Cholesky of the covariance, or the pinvh square root when the covariance
  // is not positive definite or the method is PseudoInverse. Public only so the class stays copyable.
  struct Whitener {
    Eigen::MatrixXd cholesky_lower;  // L, L Lᵀ = Σ (empty on the pinv path)
    Eigen::MatrixXd pinv_root;       // r x D with pinv_rootᵀ pinv_root = pinvh(Σ) (pinv path)
    Eigen::MatrixXd whiten(const Eigen::MatrixXd& columns) const;  // D x n -> r x n
  };

 private:
  void prepare();

  ShrinkageMethod method_ = ShrinkageMethod::LedoitWolf;
  Eigen::MatrixXd means_;
  Eigen::MatrixXd tied_covariance_;
  double shrinkage_ = 0;
  Eigen::VectorXd background_mean_;
  Eigen::MatrixXd background_covariance_;
  double background_shrinkage_ = 0;
  std::vector<uint64_t> class_counts_;
  Whitener tied_;
  Whitener background_;
  Eigen::MatrixXd whitened_means_;  // D' x C
};

// Target scores against held-out calibration scores of in-distribution data (both "higher = more OOD").
struct OodSummary {
  double threshold = 0;         // np.quantile(calibration, quantile), linear interpolation
  double target_rate = 0;       // share of target scores > threshold
  double calibration_rate = 0;  // share of calibration scores > threshold (about 1 - quantile)
  double ks_statistic = 0;      // scipy.stats.ks_2samp(target, calibration)
  double ks_p_value = 1;
  double mann_whitney_p_value = 1;  // scipy.stats.mannwhitneyu(target, calibration), two-sided, asymptotic
};
// quantile in (0, 1); both samples non-empty and finite (std::invalid_argument otherwise).
OodSummary summarize_ood(const Eigen::VectorXd& calibration_scores, const Eigen::VectorXd& target_scores,
                         double quantile = 0.95);

// scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method='asymptotic') p-value: normal
// approximation with tie correction and continuity correction.
double mann_whitney_p_value(const std::vector<double>& x, const std::vector<double>& y);

// sklearn.metrics.roc_auc_score with the positives scored higher: P(positive > negative) + ½ P(tie).
double auroc(const std::vector<double>& negative_scores, const std::vector<double>& positive_scores);

}  // namespace xferval
