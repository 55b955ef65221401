#pragma once
// LogME (You et al., ICML 2021 / JMLR 2022): the maximised per-sample log evidence of a Bayesian
// linear regression from features to each target, averaged over targets. Higher is better; there is
// no absolute threshold, so read it against a permuted-label control (scores.hpp).
//
// This is thuml/LogME's default fixed-point version (at most 11 MacKay updates from alpha = beta = 1,
// 1e-5 added to the update denominators, stop when |t' - t| / t <= 1e-3 with t = alpha / beta), with the
// rank fix of docs/transferability.md: the log-determinant runs over all D directions of A = alpha I +
// beta FᵀF, so the value is the exact evidence even when N < D or directions are numerically null
// (LogME.py overstates it by (D - k) / (2N) log alpha per target there).
#include <Eigen/Core>
#include <vector>

namespace xferval {

struct LogMeResult {
  double score = 0;                // mean of per_target
  std::vector<double> per_target;  // per-sample log evidence of each class (or regression column)
  std::vector<int> iterations;     // fixed-point updates run per target (1..11)
};

// features: N x D, rows = samples; labels in 0..C-1 with C = max(label) + 1 one-hot targets (a class
// absent from the labels still counts as a target, as in LogME.py). Throws std::invalid_argument on a
// size mismatch, a negative label, fewer than 2 distinct labels, a non-finite value or an empty matrix.
LogMeResult logme_classification(const Eigen::MatrixXd& features, const std::vector<int>& labels);

// targets: N x K, each column one regression target, used as is (no centring, as LogME.py).
LogMeResult logme_regression(const Eigen::MatrixXd& features, const Eigen::MatrixXd& targets);

}  // namespace xferval
