#include "xferval/transfer/linear_probe.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <stdexcept>
#include <string>

namespace xferval {

namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// StandardScaler fitted on the training rows; scikit-learn's _is_constant_feature decides which
// columns keep scale 1.
struct Scaler {
  Eigen::RowVectorXd mean, scale;

  static Scaler fit(const Eigen::MatrixXd& x) {
    const double n = static_cast<double>(x.rows());
    const double eps = std::numeric_limits<double>::epsilon();
    Scaler s{x.colwise().mean(), Eigen::RowVectorXd(x.cols())};
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      const double variance = (x.col(j).array() - s.mean(j)).square().sum() / n;
      const double bound = n * eps * variance + std::pow(n * s.mean(j) * eps, 2);
      s.scale(j) = variance <= bound ? 1.0 : std::sqrt(variance);
    }
    return s;
  }
  Eigen::MatrixXd apply(const Eigen::MatrixXd& x) const {
    return (x.rowwise() - mean).array().rowwise() / scale.array();
  }
};

void require_finite(const Eigen::MatrixXd& features, size_t samples, const char* what) {
  if (static_cast<size_t>(features.rows()) != samples) {
    throw std::invalid_argument(std::string(what) + ": features and targets differ in length");
  }
  if (!features.allFinite()) throw std::invalid_argument(std::string(what) + ": non-finite feature value");
}

// The multinomial objective and its gradient over theta = [W row-major (k x d), b (k)].
class LogisticObjective {
 public:
  LogisticObjective(const Eigen::MatrixXd& x, const std::vector<int>& y, int classes, double c)
      : x_(x), y_(y), k_(classes), inverse_c_(1.0 / c) {}

  Eigen::Index size() const { return k_ * (x_.cols() + 1); }

  double operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& gradient) const {
    const Eigen::Index d = x_.cols();
    Eigen::Map<const RowMajor> w(theta.data(), k_, d);
    Eigen::Map<const Eigen::VectorXd> b(theta.data() + k_ * d, k_);
    RowMajor z = x_ * w.transpose();
    z.rowwise() += b.transpose();
    double value = 0;
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
      auto row = z.row(i).array();
      const double top = row.maxCoeff();
      const double log_sum = top + std::log((row - top).exp().sum());
      value += log_sum - row(y_[static_cast<size_t>(i)]);
      row = (row - log_sum).exp();  // probabilities from here on
      row(y_[static_cast<size_t>(i)]) -= 1.0;
    }
    value += 0.5 * inverse_c_ * w.squaredNorm();
    gradient.resize(size());
    Eigen::Map<RowMajor> gw(gradient.data(), k_, d);
    gw.noalias() = z.transpose() * x_;
    gw += inverse_c_ * w;
    gradient.tail(k_) = z.colwise().sum().transpose();
    return value;
  }

 private:
  const Eigen::MatrixXd& x_;
  const std::vector<int>& y_;
  Eigen::Index k_;
  double inverse_c_;
};

// L-BFGS with 10 correction pairs and an Armijo backtracking line search; the logistic objective
// is strictly convex, so a pair is kept only when its curvature s.y is positive. It stops on a
// small gradient or, as scikit-learn's lbfgs options do (ftol = 64 eps), when an iteration lowers
// the objective by a relative 64 eps or less: below that, rounding decides the line search.
template <typename Objective>
Eigen::VectorXd minimise_lbfgs(const Objective& objective, Eigen::VectorXd x, int& iterations, double& value,
                               double& gradient_norm) {
  constexpr int kHistory = 10, kMaxIterations = 10000;
  constexpr double kFtol = 64 * std::numeric_limits<double>::epsilon();
  std::deque<std::pair<Eigen::VectorXd, Eigen::VectorXd>> pairs;
  Eigen::VectorXd gradient, next_gradient;
  value = objective(x, gradient);
  for (iterations = 0; iterations < kMaxIterations; ++iterations) {
    gradient_norm = gradient.cwiseAbs().maxCoeff();
    if (gradient_norm <= 1e-9 * std::max(1.0, std::fabs(value))) break;
    Eigen::VectorXd direction = -gradient;
    std::vector<double> rho(pairs.size()), a(pairs.size());
    for (size_t i = pairs.size(); i-- > 0;) {
      rho[i] = 1.0 / pairs[i].second.dot(pairs[i].first);
      a[i] = rho[i] * pairs[i].first.dot(direction);
      direction -= a[i] * pairs[i].second;
    }
    if (!pairs.empty()) {
      direction *= pairs.back().first.dot(pairs.back().second) / pairs.back().second.squaredNorm();
    } else {
      direction /= std::max(1.0, gradient.norm());
    }
    for (size_t i = 0; i < pairs.size(); ++i) {
      direction += (a[i] - rho[i] * pairs[i].second.dot(direction)) * pairs[i].first;
    }
    double slope = gradient.dot(direction);
    if (!(slope < 0)) {
      pairs.clear();
      direction = -gradient / std::max(1.0, gradient.norm());
      slope = gradient.dot(direction);
    }
    double step = 1.0, next_value = 0;
    Eigen::VectorXd next;
    for (;;) {
      next = x + step * direction;
      next_value = objective(next, next_gradient);
      if (next_value <= value + 1e-4 * step * slope) break;
      step *= 0.5;
      if (step < 1e-20) return x;  // no descent left at double precision: converged
    }
    Eigen::VectorXd s = next - x, y = next_gradient - gradient;
    if (s.dot(y) > 1e-12 * s.norm() * y.norm()) {
      pairs.emplace_back(std::move(s), std::move(y));
      if (pairs.size() > kHistory) pairs.pop_front();
    }
    x = std::move(next);
    gradient.swap(next_gradient);
    const double decrease = value - next_value;
    value = next_value;
    if (decrease <= kFtol * std::max({1.0, std::fabs(value), std::fabs(value + decrease)})) {
      gradient_norm = gradient.cwiseAbs().maxCoeff();
      ++iterations;
      break;
    }
  }
  return x;
}

// Out-of-fold predictions: `fit_predict(train_rows, test_rows)` fills the test rows' predictions.
template <typename Prediction, typename FitPredict>
std::vector<Prediction> cross_validate(const std::vector<int>& folds, int splits, FitPredict&& fit_predict) {
  std::vector<Prediction> predicted(folds.size());
  for (int fold = 0; fold < splits; ++fold) {
    std::vector<Eigen::Index> train, test;
    for (size_t i = 0; i < folds.size(); ++i)
      (folds[i] == fold ? test : train).push_back(static_cast<Eigen::Index>(i));
    if (test.empty()) continue;
    std::vector<Prediction> fold_predictions = fit_predict(train, test);
    for (size_t i = 0; i < test.size(); ++i) predicted[static_cast<size_t>(test[i])] = fold_predictions[i];
  }
  return predicted;
}

}  // namespace

std::vector<int> stratified_folds(const std::vector<int>& labels, int splits) {
  std::vector<int> encoded(labels.size());
  std::vector<int> first_seen;
  for (size_t i = 0; i < labels.size(); ++i) {
    auto at = std::find(first_seen.begin(), first_seen.end(), labels[i]);
    encoded[i] = static_cast<int>(at - first_seen.begin());
    if (at == first_seen.end()) first_seen.push_back(labels[i]);
  }
  const size_t classes = first_seen.size();
  std::vector<int> sorted = encoded;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<size_t>> allocation(static_cast<size_t>(splits), std::vector<size_t>(classes, 0));
  for (size_t i = 0; i < sorted.size(); ++i)
    ++allocation[i % static_cast<size_t>(splits)][static_cast<size_t>(sorted[i])];
  std::vector<int> folds(labels.size());
  for (size_t k = 0; k < classes; ++k) {
    int fold = 0;
    size_t used = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (static_cast<size_t>(encoded[i]) != k) continue;
      while (used == allocation[static_cast<size_t>(fold)][k]) {
        ++fold;
        used = 0;
      }
      folds[i] = fold;
      ++used;
    }
  }
  return folds;
}

std::vector<int> contiguous_folds(size_t samples, int splits) {
  std::vector<int> folds(samples);
  const size_t base = samples / static_cast<size_t>(splits), larger = samples % static_cast<size_t>(splits);
  size_t at = 0;
  for (size_t fold = 0; fold < static_cast<size_t>(splits); ++fold) {
    const size_t size = base + (fold < larger ? 1 : 0);
    for (size_t i = 0; i < size; ++i) folds[at++] = static_cast<int>(fold);
  }
  return folds;
}

LogisticModel fit_logistic(const Eigen::MatrixXd& features, const std::vector<int>& labels, int classes,
                           double c) {
  require_finite(features, labels.size(), "logistic regression");
  for (int label : labels) {
    if (label < 0 || label >= classes) throw std::invalid_argument("logistic regression: label out of range");
  }
  LogisticObjective objective(features, labels, classes, c);
  LogisticModel model;
  Eigen::VectorXd theta = minimise_lbfgs(objective, Eigen::VectorXd::Zero(objective.size()), model.iterations,
                                         model.objective, model.gradient_norm);
  const Eigen::Index d = features.cols();
  model.weights = Eigen::Map<const RowMajor>(theta.data(), classes, d);
  model.intercept = theta.tail(classes);
  return model;
}

std::vector<int> predict_logistic(const LogisticModel& model, const Eigen::MatrixXd& features) {
  Eigen::MatrixXd z = features * model.weights.transpose();
  z.rowwise() += model.intercept.transpose();
  std::vector<int> out(static_cast<size_t>(z.rows()));
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    Eigen::Index best = 0;
    z.row(i).maxCoeff(&best);
    out[static_cast<size_t>(i)] = static_cast<int>(best);
  }
  return out;
}

std::vector<int> fit_predict_logistic_probe(const Eigen::MatrixXd& train, const std::vector<int>& labels,
                                            const Eigen::MatrixXd& test, double c) {
  require_finite(train, labels.size(), "linear probe");
  if (labels.empty()) throw std::invalid_argument("linear probe: no training samples");
  if (!test.allFinite()) throw std::invalid_argument("linear probe: non-finite feature value");
  const int classes = *std::max_element(labels.begin(), labels.end()) + 1;
  std::vector<size_t> counts(static_cast<size_t>(classes), 0);
  for (int label : labels) {
    if (label < 0) throw std::invalid_argument("linear probe: negative label");
    ++counts[static_cast<size_t>(label)];
  }
  for (size_t k = 0; k < counts.size(); ++k) {
    if (counts[k] == 0)
      throw std::invalid_argument("linear probe: class " + std::to_string(k) + " has no training sample");
  }
  const Scaler scaler = Scaler::fit(train);
  LogisticModel model = fit_logistic(scaler.apply(train), labels, classes, c);
  return predict_logistic(model, scaler.apply(test));
}

std::vector<double> fit_predict_ridge_probe(const Eigen::MatrixXd& train, const Eigen::VectorXd& targets,
                                            const Eigen::MatrixXd& test, double alpha) {
  require_finite(train, static_cast<size_t>(targets.size()), "ridge probe");
  if (targets.size() == 0) throw std::invalid_argument("ridge probe: no training samples");
  if (!targets.allFinite() || !test.allFinite()) throw std::invalid_argument("ridge probe: non-finite value");
  const Scaler scaler = Scaler::fit(train);
  const Eigen::MatrixXd x = scaler.apply(train);  // centred: the intercept is mean(y)
  const double intercept = targets.mean();
  Eigen::MatrixXd gram = x.transpose() * x;
  gram.diagonal().array() += alpha;
  const Eigen::VectorXd w = gram.ldlt().solve(x.transpose() * (targets.array() - intercept).matrix());
  const Eigen::VectorXd predicted = (scaler.apply(test) * w).array() + intercept;
  return {predicted.data(), predicted.data() + predicted.size()};
}

std::vector<int> logistic_probe(const Eigen::MatrixXd& features, const std::vector<int>& labels, int splits,
                                double c) {
  require_finite(features, labels.size(), "linear probe");
  if (labels.empty()) throw std::invalid_argument("linear probe: no samples");
  std::vector<size_t> counts;
  for (int label : labels) {
    if (label < 0) throw std::invalid_argument("linear probe: negative label");
    if (static_cast<size_t>(label) >= counts.size()) counts.resize(static_cast<size_t>(label) + 1, 0);
    ++counts[static_cast<size_t>(label)];
  }
  for (size_t count : counts) {
    if (count < static_cast<size_t>(splits)) {
      throw std::invalid_argument("linear probe: a class has fewer samples than the " +
                                  std::to_string(splits) + " folds");
    }
  }
  return cross_validate<int>(
      stratified_folds(labels, splits), splits, [&](const auto& train, const auto& test) {
        std::vector<int> y;
        for (Eigen::Index row : train) y.push_back(labels[static_cast<size_t>(row)]);
        return fit_predict_logistic_probe(features(train, Eigen::all), y, features(test, Eigen::all), c);
      });
}

std::vector<double> ridge_probe(const Eigen::MatrixXd& features, const Eigen::VectorXd& targets, int splits,
                                double alpha) {
  require_finite(features, static_cast<size_t>(targets.size()), "ridge probe");
  if (targets.size() < splits) throw std::invalid_argument("ridge probe: fewer samples than folds");
  return cross_validate<double>(contiguous_folds(static_cast<size_t>(targets.size()), splits), splits,
                                [&](const auto& train, const auto& test) {
                                  Eigen::VectorXd y(static_cast<Eigen::Index>(train.size()));
                                  for (size_t i = 0; i < train.size(); ++i)
                                    y(static_cast<Eigen::Index>(i)) = targets(train[i]);
                                  return fit_predict_ridge_probe(features(train, Eigen::all), y,
                                                                 features(test, Eigen::all), alpha);
                                });
}

}  // namespace xferval
