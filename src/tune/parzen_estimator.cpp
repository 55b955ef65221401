#include "xferval/tune/parzen_estimator.hpp"

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace xferval::tune {

namespace {

constexpr double kEps = 1e-12;
constexpr double kSigma0Magnitude = 0.2;
const double kLogSqrt2Pi = 0.5 * std::log(2 * M_PI);
const double kInf = std::numeric_limits<double>::infinity();

double log_diff(double log_p, double log_q) { return log_p + std::log1p(-std::exp(log_q - log_p)); }

double log_add_exp(double x, double y) {
  if (x == -kInf) return y;
  if (y == -kInf) return x;
  double m = std::max(x, y);
  return m + std::log1p(std::exp(-std::fabs(x - y)));
}

// Optuna's _ndtr (vectorised path): 0.5 + 0.5 erf(a / sqrt 2).
double ndtr_central(double a) { return 0.5 + 0.5 * std::erf(a / M_SQRT2); }

}  // namespace

size_t default_gamma(size_t n) {
  return std::min<size_t>(static_cast<size_t>(std::ceil(0.1 * static_cast<double>(n))), 25);
}

size_t hyperopt_default_gamma(size_t n) {
  return std::min<size_t>(static_cast<size_t>(std::ceil(0.25 * std::sqrt(static_cast<double>(n)))), 25);
}

std::vector<double> default_weights(size_t n) {
  if (n == 0) return {};
  if (n < 25) return std::vector<double>(n, 1.0);
  std::vector<double> w;
  w.reserve(n);
  size_t ramp = n - 25;
  double start = 1.0 / static_cast<double>(n);
  // numpy.linspace(start, 1, num): start + i * step, the last point exactly 1.
  if (ramp == 1) {
    w.push_back(start);
  } else {
    double step = (1.0 - start) / static_cast<double>(ramp - 1);
    for (size_t i = 0; i < ramp; ++i)
      w.push_back(i + 1 == ramp ? 1.0 : start + static_cast<double>(i) * step);
  }
  w.resize(n, 1.0);
  return w;
}

namespace truncnorm {

double ndtr(double a) {
  double x = a / M_SQRT2;
  if (x < -1 / M_SQRT2) return 0.5 * std::erfc(-x);
  if (x < 1 / M_SQRT2) return 0.5 + 0.5 * std::erf(x);
  return 1.0 - 0.5 * std::erfc(x);
}

double log_ndtr(double a) {
  if (a > 6) return -ndtr(-a);
  if (a > -20) return std::log(ndtr(a));
  // Asymptotic series of log Phi for the far left tail, as Optuna's _log_ndtr_single.
  double log_lhs = -0.5 * a * a - std::log(-a) - 0.5 * std::log(2 * M_PI);
  double last_total = 0, right_hand_side = 1, numerator = 1, denom_factor = 1;
  double denom_cons = 1 / (a * a);
  int sign = 1;
  for (int i = 1; std::fabs(last_total - right_hand_side) > std::numeric_limits<double>::epsilon(); ++i) {
    last_total = right_hand_side;
    sign = -sign;
    denom_factor *= denom_cons;
    numerator *= 2 * i - 1;
    right_hand_side += sign * numerator * denom_factor;
  }
  return log_lhs + std::log(right_hand_side);
}

double log_gauss_mass(double a, double b) {
  if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
  if (a > 0) return log_diff(log_ndtr(-a), log_ndtr(-b));
  return std::log1p(-ndtr_central(a) - ndtr_central(-b));
}

double ndtri_exp(double y) {
  // Optuna 3.1 bisects log_ndtr 100 times on [-100, 100]; an inverse erfc plus Newton steps is
  // as accurate and ~50x cheaper.
  double x;
  if (y >= 0) return 100;
  if (y > -M_LN2) {
    double upper = -std::expm1(y);  // 1 - p without cancellation
    x = M_SQRT2 * boost::math::erfc_inv(2 * upper);
  } else if (y > -700) {
    x = -M_SQRT2 * boost::math::erfc_inv(2 * std::exp(y));
  } else {
    double t = -2 * y;
    x = -std::sqrt(t - std::log(t) - std::log(2 * M_PI));
    for (int i = 0; i < 4; ++i) {
      double f = log_ndtr(x);
      double derivative = std::exp(-0.5 * x * x - kLogSqrt2Pi - f);
      x -= (f - y) / derivative;
    }
  }
  return std::clamp(x, -100.0, 100.0);
}

double ppf(double q, double a, double b) {
  if (a == b) return std::numeric_limits<double>::quiet_NaN();
  if (q == 0) return a;
  if (q == 1) return b;
  if (a < 0) return ndtri_exp(log_add_exp(log_ndtr(a), std::log(q) + log_gauss_mass(a, b)));
  return -ndtri_exp(log_add_exp(log_ndtr(-b), std::log1p(-q) + log_gauss_mass(a, b)));
}

}  // namespace truncnorm

ParzenEstimator::ParzenEstimator(SearchSpace1 space, const std::vector<std::vector<double>>& observations,
                                 const ParzenParameters& parameters)
    : space_(std::move(space)), parameters_(parameters) {
  if (space_.size() != observations.size()) throw std::invalid_argument("one observation list per parameter");
  size_t n = observations.empty() ? 0 : observations.front().size();
  bool consider_prior = parameters_.consider_prior || n == 0;

  std::vector<double> w = default_weights(n);
  if (consider_prior) w.push_back(parameters_.prior_weight);
  double total = std::accumulate(w.begin(), w.end(), 0.0);
  weights_.resize(w.size());
  log_weights_.resize(w.size());
  cumulative_weights_.resize(w.size());
  double running = 0;
  for (size_t k = 0; k < w.size(); ++k) {
    weights_[k] = w[k] / total;
    log_weights_[k] = std::log(weights_[k]);
    running += weights_[k];
    cumulative_weights_[k] = running;
  }

  double sigma0 = kSigma0Magnitude * std::pow(static_cast<double>(std::max<size_t>(n, 1)),
                                              -1.0 / (static_cast<double>(space_.size()) + 4));

  for (size_t p = 0; p < space_.size(); ++p) {
    const Distribution& distribution = space_[p].second;
    const std::vector<double>& obs = observations[p];
    Kernels k;
    if (auto c = std::get_if<CategoricalDistribution>(&distribution)) {
      k.categorical = true;
      size_t choices = c->choices.size();
      size_t rows = consider_prior ? n + 1 : n;
      double fill = consider_prior ? parameters_.prior_weight / static_cast<double>(n + 1)
                                   : parameters_.prior_weight / static_cast<double>(n);
      k.categorical_weights.assign(rows, std::vector<double>(choices, fill));
      for (size_t i = 0; i < n; ++i) k.categorical_weights[i][static_cast<size_t>(obs[i])] += 1;
      for (auto& row : k.categorical_weights) {
        double sum = std::accumulate(row.begin(), row.end(), 0.0);
        for (double& v : row) v /= sum;
      }
      kernels_.push_back(std::move(k));
      continue;
    }
    bool log = false;
    if (auto f = std::get_if<FloatDistribution>(&distribution)) {
      log = f->log;
      if (f->log) {
        k.low = std::log(f->low), k.high = std::log(f->high);
      } else if (f->step) {
        k.q = *f->step, k.low = f->low - 0.5 * k.q, k.high = f->high + 0.5 * k.q;
      } else {
        k.low = f->low, k.high = f->high;
      }
    } else {
      const auto& i = std::get<IntDistribution>(distribution);
      log = i.log;
      if (i.log) {
        k.low = std::log(static_cast<double>(i.low) - 0.5),
        k.high = std::log(static_cast<double>(i.high) + 0.5);
      } else {
        k.q = static_cast<double>(i.step);
        k.low = static_cast<double>(i.low) - 0.5 * k.q, k.high = static_cast<double>(i.high) + 0.5 * k.q;
      }
    }
    k.mus.reserve(n + 1);
    for (double v : obs) k.mus.push_back(log ? std::log(v) : v);
    double range = k.high - k.low;
    if (consider_prior) k.mus.push_back(0.5 * (k.low + k.high));
    size_t m = k.mus.size();
    k.sigmas.assign(m, 0.0);
    if (parameters_.multivariate) {
      std::fill(k.sigmas.begin(), k.sigmas.end(), sigma0 * range);
    } else {
      // Hyperopt's adaptive Parzen bandwidth: the larger gap to a sorted neighbour, the prior
      // included among the neighbours.
      std::vector<std::pair<double, size_t>> sorted(m);
      for (size_t i = 0; i < m; ++i) sorted[i] = {k.mus[i], i};
      std::sort(sorted.begin(), sorted.end());
      std::vector<double> e(m + 2);
      e[0] = k.low;
      for (size_t i = 0; i < m; ++i) e[i + 1] = sorted[i].first;
      e[m + 1] = k.high;
      std::vector<double> sorted_sigmas(m);
      for (size_t i = 0; i < m; ++i) sorted_sigmas[i] = std::max(e[i + 1] - e[i], e[i + 2] - e[i + 1]);
      if (!parameters_.consider_endpoints && e.size() >= 4) {
        sorted_sigmas[0] = e[2] - e[1];
        sorted_sigmas[m - 1] = e[m] - e[m - 1];
      }
      for (size_t i = 0; i < m; ++i) k.sigmas[sorted[i].second] = sorted_sigmas[i];
    }
    double max_sigma = range;
    double min_sigma =
        parameters_.consider_magic_clip ? range / std::min(100.0, 1.0 + static_cast<double>(m)) : kEps;
    for (double& s : k.sigmas) s = std::clamp(s, min_sigma, max_sigma);
    if (consider_prior) k.sigmas[n] = range;
    k.log_normaliser.resize(m);
    for (size_t i = 0; i < m; ++i) {
      double mass =
          truncnorm::log_gauss_mass((k.low - k.mus[i]) / k.sigmas[i], (k.high - k.mus[i]) / k.sigmas[i]);
      bool continuous = k.q == 0;
      k.log_normaliser[i] =
          mass + (continuous && !parameters_.optuna_3_1_density ? std::log(k.sigmas[i]) : 0.0);
    }
    kernels_.push_back(std::move(k));
  }
}

std::vector<std::vector<double>> ParzenEstimator::sample(Rng& rng, size_t count) const {
  std::vector<size_t> active(count);
  for (size_t i = 0; i < count; ++i) active[i] = rng.choice(cumulative_weights_);
  std::vector<std::vector<double>> result(space_.size(), std::vector<double>(count));
  for (size_t p = 0; p < space_.size(); ++p) {
    const Kernels& k = kernels_[p];
    const Distribution& distribution = space_[p].second;
    for (size_t i = 0; i < count; ++i) {
      size_t c = active[i];
      if (k.categorical) {
        double u = rng.uniform();
        const auto& row = k.categorical_weights[c];
        double cumulative = 0;
        size_t index = 0;
        for (double v : row) {  // numpy: sum(cumsum(p) < u)
          cumulative += v;
          if (cumulative < u) ++index;
        }
        result[p][i] = static_cast<double>(std::min(index, row.size() - 1));
        continue;
      }
      double mu = k.mus[c], sigma = k.sigmas[c];
      double u = rng.uniform();
      double x = truncnorm::ppf(u, (k.low - mu) / sigma, (k.high - mu) / sigma) * sigma + mu;
      x = std::clamp(x, k.low, k.high);
      if (auto f = std::get_if<FloatDistribution>(&distribution)) {
        if (f->log) {
          x = std::exp(x);
        } else if (f->step) {
          x = std::clamp(std::nearbyint((x - f->low) / k.q) * k.q + f->low, f->low, f->high);
        }
      } else {
        const auto& d = std::get<IntDistribution>(distribution);
        double low = static_cast<double>(d.low), high = static_cast<double>(d.high);
        x = d.log ? std::clamp(std::nearbyint(std::exp(x)), low, high)
                  : std::clamp(std::nearbyint((x - low) / k.q) * k.q + low, low, high);
      }
      result[p][i] = x;
    }
  }
  return result;
}

std::vector<double> ParzenEstimator::log_pdf(const std::vector<std::vector<double>>& points) const {
  size_t count = points.empty() ? 0 : points.front().size();
  size_t kernels = weights_.size();
  std::vector<double> out(count);
  if (count == 0) return out;
  if (space_.size() == 1 && kernels_[0].categorical) {
    const auto& rows = kernels_[0].categorical_weights;
    for (size_t i = 0; i < count; ++i) {
      auto c = static_cast<size_t>(points[0][i]);
      double mixture = 0;
      for (size_t k = 0; k < kernels; ++k) mixture += rows[k][c] * weights_[k];
      out[i] = std::log(mixture);
    }
    return out;
  }
  std::vector<double> component(kernels);
  for (size_t i = 0; i < count; ++i) {
    std::copy(log_weights_.begin(), log_weights_.end(), component.begin());
    for (size_t p = 0; p < space_.size(); ++p) {
      const Kernels& k = kernels_[p];
      double x = points[p][i];
      if (k.categorical) {
        auto c = static_cast<size_t>(x);
        for (size_t j = 0; j < kernels; ++j) component[j] += std::log(k.categorical_weights[j][c]);
        continue;
      }
      bool log = std::visit(
          [](const auto& d) {
            if constexpr (std::is_same_v<std::decay_t<decltype(d)>, CategoricalDistribution>)
              return false;
            else
              return d.log;
          },
          space_[p].second);
      if (log) x = std::log(x);
      if (k.q == 0) {
        bool outside = x < k.low || x > k.high;
        for (size_t j = 0; j < kernels; ++j) {
          double z = (x - k.mus[j]) / k.sigmas[j];
          component[j] += outside ? -kInf : -0.5 * z * z - kLogSqrt2Pi - k.log_normaliser[j];
        }
      } else {
        double upper = std::min(x + k.q / 2.0, k.high), lower = std::max(x - k.q / 2.0, k.low);
        for (size_t j = 0; j < kernels; ++j) {
          double mass =
              truncnorm::log_gauss_mass((lower - k.mus[j]) / k.sigmas[j], (upper - k.mus[j]) / k.sigmas[j]);
          component[j] += mass - k.log_normaliser[j];
        }
      }
    }
    double max_value = *std::max_element(component.begin(), component.end());
    if (max_value == -kInf) {
      out[i] = -kInf;
      continue;
    }
    double sum = 0;
    for (double c : component) sum += std::exp(c - max_value);
    out[i] = std::log(sum) + max_value;
  }
  return out;
}

}  // namespace xferval::tune
