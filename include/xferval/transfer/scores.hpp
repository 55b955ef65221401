#pragma once
// Transferability scores other than LogME, and the permuted-label control every score is read
// against. Definitions (as Transfer-Learning-Library's tllib/ranking code): docs/transferability.md.
// All are "higher is better" and have no absolute threshold.
//
// Inputs: rows = samples; labels in 0..C-1 (C = max(label) + 1) with at least 2 distinct values.
// A size mismatch, negative label, single class, empty or non-finite input throws std::invalid_argument.
#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <vector>

namespace xferval {

// LEEP (Nguyen et al. 2020) from the source head's softmax P (N x Cs, rows non-negative with a positive
// sum): (1/N) Σ_i log Σ_z P̂(y_i | z) P[i, z] with the empirical joint P̂(y, z) = (1/N) Σ_{y_i = y} P[i, z].
// A source class z with P̂(z) = 0 contributes nothing.
// Row-wise softmax of logits (each row shifted by its maximum first), the head's probabilities.
Eigen::MatrixXd softmax_rows(const Eigen::MatrixXd& logits);

double leep(const Eigen::MatrixXd& source_probabilities, const std::vector<int>& labels);

// NCE (Tran et al. 2019) = -H(Y | Z) with hard source labels z_i = argmax_z P[i, z] (first maximum, as
// np.argmax), P̂(y | z) + 1e-20 inside the log, source classes never predicted skipped.
double nce(const Eigen::MatrixXd& source_probabilities, const std::vector<int>& labels);

// H-score (Bao et al. 2019): tr(pinv(cov(f)) cov(g)), g = class means in place of each row, cov as
// np.cov (divisor N - 1), pseudo-inverse with rcond 1e-15.
double h_score(const Eigen::MatrixXd& features, const std::vector<int>& labels);

// Shrinkage H-score (Ibrahim et al. 2022; tllib regularized_h_score): tr(pinv(Σ_LW) (1 - ρ) cov(g)), Σ_LW
// the Ledoit-Wolf covariance of the features (maximum-likelihood S shrunk by its intensity ρ, as
// sklearn.covariance.LedoitWolf), cov(g) as in h_score.
double shrinkage_h_score(const Eigen::MatrixXd& features, const std::vector<int>& labels);

// ---- Controls -----------------------------------------------------------------------------------

struct ScoreWithControl {
  double score = 0;
  double permuted_control = 0;  // mean of the score over label permutations
  double margin() const { return score - permuted_control; }
};

// The labels shuffled by a Fisher-Yates pass driven by std::mt19937_64(seed), written out here so the
// permutation is the same with every standard library.
std::vector<int> permuted_labels(const std::vector<int>& labels, uint64_t seed);

// score(labels) next to the mean of score(permuted_labels(labels, seed + r)) over r = 0..repeats-1
// (repeats >= 1, else std::invalid_argument). Works with any of the label scores here, e.g.
//   with_permuted_control([&](const std::vector<int>& y) { return logme_classification(F, y).score; }, y);
using LabelScore = std::function<double(const std::vector<int>&)>;
ScoreWithControl with_permuted_control(const LabelScore& score, const std::vector<int>& labels,
                                       uint64_t seed = 0, int repeats = 1);

// The same for the five scores by name.
ScoreWithControl logme_with_control(const Eigen::MatrixXd& features, const std::vector<int>& labels,
                                    uint64_t seed = 0, int repeats = 1);
ScoreWithControl leep_with_control(const Eigen::MatrixXd& source_probabilities,
                                   const std::vector<int>& labels, uint64_t seed = 0, int repeats = 1);
ScoreWithControl nce_with_control(const Eigen::MatrixXd& source_probabilities, const std::vector<int>& labels,
                                  uint64_t seed = 0, int repeats = 1);
ScoreWithControl h_score_with_control(const Eigen::MatrixXd& features, const std::vector<int>& labels,
                                      uint64_t seed = 0, int repeats = 1);
ScoreWithControl shrinkage_h_score_with_control(const Eigen::MatrixXd& features,
                                                const std::vector<int>& labels, uint64_t seed = 0,
                                                int repeats = 1);

// ---- Ranking agreement --------------------------------------------------------------------------

// scipy.stats.weightedtau(x, y) with its defaults: hyperbolic weigher 1/(r + 1), additive weights,
// rank=True, i.e. the mean of τ ranked by decreasing (x, y) and τ ranked by decreasing (y, x), ties
// handled as SciPy does (jointly tied pairs ranked by decreasing index). NaN when x or y is constant.
// O(n²), meant for rankings of models. Sizes must match, at least 2 finite values.
double weighted_kendall_tau(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace xferval
