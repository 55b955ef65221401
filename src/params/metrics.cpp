#include "xferval/params/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

namespace xferval::params {

namespace {

void require_same_length(size_t a, size_t b) {
  if (a != b) throw std::invalid_argument("truth and predictions differ in length");
  if (a == 0) throw std::invalid_argument("no samples");
}

void require_probabilities(const std::vector<int64_t>& truth, const std::vector<double>& probabilities,
                           size_t classes) {
  if (classes < 2) throw std::invalid_argument("need at least two classes");
  require_same_length(truth.size() * classes, probabilities.size());
  for (int64_t label : truth) {
    if (label < 0 || static_cast<size_t>(label) >= classes)
      throw std::invalid_argument("label outside 0..k-1");
  }
}

}  // namespace

double accuracy(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted) {
  require_same_length(truth.size(), predicted.size());
  size_t correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) correct += truth[i] == predicted[i];
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

double macro_f1(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted) {
  require_same_length(truth.size(), predicted.size());
  std::set<int64_t> labels(truth.begin(), truth.end());
  labels.insert(predicted.begin(), predicted.end());
  double sum = 0;
  for (int64_t label : labels) {
    double tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < truth.size(); ++i) {
      tp += truth[i] == label && predicted[i] == label;
      fp += truth[i] != label && predicted[i] == label;
      fn += truth[i] == label && predicted[i] != label;
    }
    const double precision = tp + fp == 0 ? 0.0 : tp / (tp + fp);
    const double recall = tp + fn == 0 ? 0.0 : tp / (tp + fn);
    const double denominator = precision + recall;
    sum += denominator == 0 ? 0.0 : 2 * precision * recall / denominator;
  }
  return sum / static_cast<double>(labels.size());
}

double log_loss(const std::vector<int64_t>& truth, const std::vector<double>& probabilities, size_t classes) {
  require_probabilities(truth, probabilities, classes);
  const double eps = std::numeric_limits<double>::epsilon();
  double total = 0;
  std::vector<double> row(classes);
  for (size_t i = 0; i < truth.size(); ++i) {
    double row_sum = 0;
    for (size_t j = 0; j < classes; ++j) {
      row[j] = std::clamp(probabilities[i * classes + j], eps, 1 - eps);
      row_sum += row[j];
    }
    total += -std::log(row[static_cast<size_t>(truth[i])] / row_sum);
  }
  return total / static_cast<double>(truth.size());
}

double expected_calibration_error(const std::vector<int64_t>& truth, const std::vector<double>& probabilities,
                                  size_t classes, size_t bins) {
  require_probabilities(truth, probabilities, classes);
  std::vector<double> confidence_sum(bins, 0.0), correct(bins, 0.0), count(bins, 0.0);
  for (size_t i = 0; i < truth.size(); ++i) {
    const double* row = &probabilities[i * classes];
    const size_t predicted = static_cast<size_t>(std::max_element(row, row + classes) - row);
    const double confidence = row[predicted];
    // Bin b covers (b/B, (b+1)/B]: ceil(c * B) - 1, clamped into [0, B-1].
    const double position = std::ceil(confidence * static_cast<double>(bins)) - 1;
    const size_t bin = static_cast<size_t>(std::clamp(position, 0.0, static_cast<double>(bins - 1)));
    confidence_sum[bin] += confidence;
    correct[bin] += predicted == static_cast<size_t>(truth[i]);
    count[bin] += 1;
  }
  double ece = 0;
  const double n = static_cast<double>(truth.size());
  for (size_t b = 0; b < bins; ++b) {
    if (count[b] == 0) continue;
    ece += count[b] / n * std::fabs(correct[b] / count[b] - confidence_sum[b] / count[b]);
  }
  return ece;
}

std::vector<std::vector<uint64_t>> confusion_matrix(const std::vector<int64_t>& truth,
                                                    const std::vector<int64_t>& predicted, size_t classes) {
  require_same_length(truth.size(), predicted.size());
  std::vector<std::vector<uint64_t>> matrix(classes, std::vector<uint64_t>(classes, 0));
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || predicted[i] < 0 || static_cast<size_t>(truth[i]) >= classes ||
        static_cast<size_t>(predicted[i]) >= classes) {
      continue;  // like scikit-learn, labels outside the list are not counted
    }
    matrix[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])] += 1;
  }
  return matrix;
}

double mean_squared_error(const std::vector<double>& truth, const std::vector<double>& predicted) {
  require_same_length(truth.size(), predicted.size());
  double sum = 0;
  for (size_t i = 0; i < truth.size(); ++i) sum += (truth[i] - predicted[i]) * (truth[i] - predicted[i]);
  return sum / static_cast<double>(truth.size());
}

double mean_absolute_error(const std::vector<double>& truth, const std::vector<double>& predicted) {
  require_same_length(truth.size(), predicted.size());
  double sum = 0;
  for (size_t i = 0; i < truth.size(); ++i) sum += std::fabs(truth[i] - predicted[i]);
  return sum / static_cast<double>(truth.size());
}

double r2_score(const std::vector<double>& truth, const std::vector<double>& predicted) {
  require_same_length(truth.size(), predicted.size());
  double mean = 0;
  for (double value : truth) mean += value;
  mean /= static_cast<double>(truth.size());
  double residual = 0, total = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    residual += (truth[i] - predicted[i]) * (truth[i] - predicted[i]);
    total += (truth[i] - mean) * (truth[i] - mean);
  }
  if (residual == 0) return 1.0;
  if (total == 0) return 0.0;
  return 1 - residual / total;
}

}  // namespace xferval::params
