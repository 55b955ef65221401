#pragma once
// Evaluation metrics of a model's predictions, defined as scikit-learn 1.2.1 defines them so the
// figures agree with it to rounding. Classes are integers 0..k-1.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace xferval::params {

// Share of predictions equal to the truth (accuracy_score).
double accuracy(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted);

// f1_score(average="macro"): over the labels present in truth or predicted (sorted), per label
// precision = tp / (tp + fp) and recall = tp / (tp + fn), each 0 when its denominator is 0
// (zero_division=0 without the warning), F1 = 2 p r / (p + r) with 0 when p + r = 0; the
// unweighted mean of the per-label F1.
double macro_f1(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted);

// log_loss(truth, probabilities, labels=range(k)) with its eps="auto" rule for float64 input:
// each probability is clipped to [eps, 1 - eps] with eps = 2^-52 (machine epsilon of double), each
// row is renormalised to sum 1, and the loss is the mean of -ln p[i, truth[i]]. `probabilities` is
// row-major n x k; std::invalid_argument when k < 2 or a label is outside 0..k-1.
double log_loss(const std::vector<int64_t>& truth, const std::vector<double>& probabilities, size_t classes);

// Expected calibration error with 15 equal-width confidence bins: confidence = max_j p[i, j],
// the prediction is its argmax (first on ties); bin b holds confidences in (b/15, (b+1)/15]
// (0 goes into the first bin); ECE = sum over bins of (bin size / n) * |accuracy - mean confidence|.
double expected_calibration_error(const std::vector<int64_t>& truth, const std::vector<double>& probabilities,
                                  size_t classes, size_t bins = 15);

// confusion_matrix(truth, predicted, labels=range(classes)): row = true class, column = predicted.
std::vector<std::vector<uint64_t>> confusion_matrix(const std::vector<int64_t>& truth,
                                                    const std::vector<int64_t>& predicted, size_t classes);

// Regression: mean_squared_error, mean_absolute_error, and r2_score with force_finite=True:
// 1 - SS_res / SS_tot with SS_tot = sum((y - mean(y))^2); 1 when SS_res = 0, 0 when only SS_tot = 0.
double mean_squared_error(const std::vector<double>& truth, const std::vector<double>& predicted);
double mean_absolute_error(const std::vector<double>& truth, const std::vector<double>& predicted);
double r2_score(const std::vector<double>& truth, const std::vector<double>& predicted);

}  // namespace xferval::params
