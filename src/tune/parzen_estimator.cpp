#include "xferval/tune/parzen_estimator.hpp"

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
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

// Optuna's _ndtr (vectorised path): 0.5 + 0.5 erf(a / sqrt 2). glibc's erf returns exactly +-1
// from |x| >= 6 on, so the shortcut gives the same bits and spares the erf call for the many
// kernels that sit far inside [low, high] (parzen_estimator_test checks the saturation).
double ndtr_central(double a) {
  double x = a / M_SQRT2;
  if (x <= -6) return 0.0;
  if (x >= 6) return 1.0;
  return 0.5 + 0.5 * std::erf(x);
}

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

namespace {

// GCC vector extensions: the compiler does not vectorise the scalar loop on its own (the clamp is
// a branch under -ftrapping-math), so the lanes are spelled out. Vec2 is one SSE2 register (the
// x86-64 baseline), Vec4 one AVX2 register, chosen at run time. The functions taking and returning
// vectors are always inlined, so no vector crosses a call (hence -Wpsabi is silenced).
#pragma GCC diagnostic ignored "-Wpsabi"
using Vec2 = double __attribute__((vector_size(16)));
using Vec2i = int64_t __attribute__((vector_size(16)));
using Vec4 = double __attribute__((vector_size(32)));
using Vec4i = int64_t __attribute__((vector_size(32)));

template <class D, class I>
[[gnu::always_inline]] inline D exp_le0_body(D clamped) {
  constexpr double kLog2e = 1.4426950408889634;
  // ln 2 split so that k * kLn2Hi is exact for |k| < 2^11 (fdlibm's constants).
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShift = 0x1.8p52;  // adding it rounds to an integer kept in the low mantissa bits
  D shifted = clamped * kLog2e + kShift;
  I k_bits;
  std::memcpy(&k_bits, &shifted, sizeof k_bits);
  D k = shifted - kShift;
  D r = (clamped - k * kLn2Hi) - k * kLn2Lo;  // |r| <= ln(2)/2
  // Taylor series to degree 13: truncation error below 5e-18 on |r| <= 0.347.
  D p = r * (1.0 / 6227020800.0) + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k from its bits: the low bits of `shifted` hold k in two's complement, k in [-1022, 0].
  I scale_bits = (k_bits + 1023) << 52;
  D scale;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  return p * scale;
}

inline double exp_nonpositive_scalar(double x) {
  if (x < -708.0) return 0.0;
  return exp_le0_body<double, int64_t>(x);
}

template <class V, class I>
[[gnu::always_inline]] inline V exp_nonpositive_vec(V x) {
  V floor = V{} - 708.0;
  V clamped = x < floor ? floor : x;
  V y = exp_le0_body<V, I>(clamped);
  return x < floor ? V{} : y;
}

// log(sum_j exp(comp[j])), shifted by the maximum (exact in any order). The sum runs in four
// lanes (blocks of four kernels), then ((l0 + l2) + (l1 + l3)) + the scalar tail.
template <class V, class I>
[[gnu::always_inline]] inline double log_sum_exp_lanes(const double* comp, size_t n) {
  constexpr size_t kWidth = sizeof(V) / sizeof(double), kRegisters = 4 / kWidth;
  const double inf = std::numeric_limits<double>::infinity();
  V max_lanes[kRegisters];
  for (V& m : max_lanes) m = V{} - inf;
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    for (size_t r = 0; r < kRegisters; ++r) {
      V c;
      std::memcpy(&c, comp + j + r * kWidth, sizeof c);
      max_lanes[r] = c > max_lanes[r] ? c : max_lanes[r];
    }
  }
  double max_value = -inf;
  for (const V& m : max_lanes)
    for (size_t l = 0; l < kWidth; ++l) max_value = std::max(max_value, m[l]);
  for (size_t t = j; t < n; ++t) max_value = std::max(max_value, comp[t]);
  if (max_value == -inf) return -inf;
  V sums[kRegisters];
  for (V& s : sums) s = V{};
  for (j = 0; j + 4 <= n; j += 4) {
    for (size_t r = 0; r < kRegisters; ++r) {
      V c;
      std::memcpy(&c, comp + j + r * kWidth, sizeof c);
      sums[r] += exp_nonpositive_vec<V, I>(c - max_value);
    }
  }
  double lane[4];
  for (size_t l = 0; l < 4; ++l) lane[l] = sums[l / kWidth][l % kWidth];
  double tail = 0;
  for (; j < n; ++j) tail += exp_nonpositive_scalar(comp[j] - max_value);
  return std::log(((lane[0] + lane[2]) + (lane[1] + lane[3])) + tail) + max_value;
}

// sum_j coefficient[j] * exp(-z_j^2 / 2), z_j = (x - mu[j]) * inverse_sigma[j]: the mixture
// density of one point up to a constant factor, in one pass (the exponent is never positive, so
// no maximum has to be found first). Same lanes and final order as log_sum_exp_lanes.
template <class V, class I>
[[gnu::always_inline]] inline double gaussian_sum_lanes(double x, const double* mu,
                                                        const double* inverse_sigma,
                                                        const double* coefficient, size_t n) {
  constexpr size_t kWidth = sizeof(V) / sizeof(double), kRegisters = 4 / kWidth;
  V sums[kRegisters];
  for (V& s : sums) s = V{};
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    for (size_t r = 0; r < kRegisters; ++r) {
      V m, inv, c;
      std::memcpy(&m, mu + j + r * kWidth, sizeof m);
      std::memcpy(&inv, inverse_sigma + j + r * kWidth, sizeof inv);
      std::memcpy(&c, coefficient + j + r * kWidth, sizeof c);
      V z = (x - m) * inv;
      sums[r] += c * exp_nonpositive_vec<V, I>(z * z * -0.5);
    }
  }
  double lane[4];
  for (size_t l = 0; l < 4; ++l) lane[l] = sums[l / kWidth][l % kWidth];
  double tail = 0;
  for (; j < n; ++j) {
    double z = (x - mu[j]) * inverse_sigma[j];
    tail += coefficient[j] * exp_nonpositive_scalar(z * z * -0.5);
  }
  return ((lane[0] + lane[2]) + (lane[1] + lane[3])) + tail;
}

double log_sum_exp_baseline(const double* comp, size_t n) { return log_sum_exp_lanes<Vec2, Vec2i>(comp, n); }
double gaussian_sum_baseline(double x, const double* mu, const double* inverse_sigma,
                             const double* coefficient, size_t n) {
  return gaussian_sum_lanes<Vec2, Vec2i>(x, mu, inverse_sigma, coefficient, n);
}

#if defined(__x86_64__) && defined(__GNUC__)
// AVX2 with FMA (every x86-64 CPU since 2013-2015): twice the lanes, and the polynomial's
// multiply-adds fuse. Densities then differ from the baseline path in the last bits only.
[[gnu::target("avx2,fma")]] double log_sum_exp_avx2(const double* comp, size_t n) {
  return log_sum_exp_lanes<Vec4, Vec4i>(comp, n);
}
[[gnu::target("avx2,fma")]] double gaussian_sum_avx2(double x, const double* mu, const double* inverse_sigma,
                                                     const double* coefficient, size_t n) {
  return gaussian_sum_lanes<Vec4, Vec4i>(x, mu, inverse_sigma, coefficient, n);
}
const bool kHasAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
double log_sum_exp(const double* comp, size_t n) {
  return kHasAvx2 ? log_sum_exp_avx2(comp, n) : log_sum_exp_baseline(comp, n);
}
double gaussian_sum(double x, const double* mu, const double* inverse_sigma, const double* coefficient,
                    size_t n) {
  return kHasAvx2 ? gaussian_sum_avx2(x, mu, inverse_sigma, coefficient, n)
                  : gaussian_sum_baseline(x, mu, inverse_sigma, coefficient, n);
}
#else
double log_sum_exp(const double* comp, size_t n) { return log_sum_exp_baseline(comp, n); }
double gaussian_sum(double x, const double* mu, const double* inverse_sigma, const double* coefficient,
                    size_t n) {
  return gaussian_sum_baseline(x, mu, inverse_sigma, coefficient, n);
}
#endif

}  // namespace

double exp_nonpositive(double x) { return exp_nonpositive_scalar(x); }

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
                                 const ParzenParameters& parameters,
                                 const std::vector<std::vector<size_t>>* sorted_orders)
    : space_(std::move(space)), parameters_(parameters) {
  if (space_.size() != observations.size()) throw std::invalid_argument("one observation list per parameter");
  if (sorted_orders && sorted_orders->size() != space_.size())
    throw std::invalid_argument("one sorted order per parameter");
  size_t n = observations.empty() ? 0 : observations.front().size();
  bool consider_prior = parameters_.consider_prior || n == 0;

  std::vector<double> w = default_weights(n);
  if (consider_prior) w.push_back(parameters_.prior_weight);
  double total = std::accumulate(w.begin(), w.end(), 0.0);
  weights_.resize(w.size());
  cumulative_weights_.resize(w.size());
  double running = 0;
  for (size_t k = 0; k < w.size(); ++k) {
    weights_[k] = w[k] / total;
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
      // Choice-major logs, so that log_pdf reads one contiguous row per evaluation point.
      k.log_categorical.resize(rows * choices);
      for (size_t r = 0; r < rows; ++r)
        for (size_t c2 = 0; c2 < choices; ++c2)
          k.log_categorical[c2 * rows + r] = std::log(k.categorical_weights[r][c2]);
      kernels_.push_back(std::move(k));
      continue;
    }
    if (auto f = std::get_if<FloatDistribution>(&distribution)) {
      k.log = f->log;
      if (f->log) {
        k.low = std::log(f->low), k.high = std::log(f->high);
      } else if (f->step) {
        k.q = *f->step, k.low = f->low - 0.5 * k.q, k.high = f->high + 0.5 * k.q;
      } else {
        k.low = f->low, k.high = f->high;
      }
    } else {
      const auto& i = std::get<IntDistribution>(distribution);
      k.log = i.log;
      if (i.log) {
        k.low = std::log(static_cast<double>(i.low) - 0.5),
        k.high = std::log(static_cast<double>(i.high) + 0.5);
      } else {
        k.q = static_cast<double>(i.step);
        k.low = static_cast<double>(i.low) - 0.5 * k.q, k.high = static_cast<double>(i.high) + 0.5 * k.q;
      }
    }
    k.mus.reserve(n + 1);
    for (double v : obs) k.mus.push_back(k.log ? std::log(v) : v);
    double range = k.high - k.low;
    double prior_mu = 0.5 * (k.low + k.high);
    if (consider_prior) k.mus.push_back(prior_mu);
    size_t m = k.mus.size();
    k.sigmas.assign(m, 0.0);
    if (parameters_.multivariate) {
      std::fill(k.sigmas.begin(), k.sigmas.end(), sigma0 * range);
    } else {
      // Hyperopt's adaptive Parzen bandwidth: the larger gap to a sorted neighbour, the prior
      // included among the neighbours. Ties sort by index, the prior (last index) after its equals.
      std::vector<size_t> order;
      const std::vector<size_t>* given = sorted_orders ? &(*sorted_orders)[p] : nullptr;
      if (given && !given->empty()) {
        if (given->size() != n) throw std::invalid_argument("sorted order of the wrong length");
        order.reserve(m);
        order = *given;
        if (consider_prior) {
          auto at = std::upper_bound(order.begin(), order.end(), prior_mu,
                                     [&](double v, size_t i) { return v < k.mus[i]; });
          order.insert(at, n);
        }
      } else {
        order.resize(m);
        std::iota(order.begin(), order.end(), size_t{0});
        std::sort(order.begin(), order.end(),
                  [&](size_t a, size_t b) { return k.mus[a] != k.mus[b] ? k.mus[a] < k.mus[b] : a < b; });
      }
      std::vector<double> e(m + 2);
      e[0] = k.low;
      for (size_t i = 0; i < m; ++i) e[i + 1] = k.mus[order[i]];
      e[m + 1] = k.high;
      for (size_t i = 0; i < m; ++i) k.sigmas[order[i]] = std::max(e[i + 1] - e[i], e[i + 2] - e[i + 1]);
      if (!parameters_.consider_endpoints && e.size() >= 4) {
        k.sigmas[order[0]] = e[2] - e[1];
        k.sigmas[order[m - 1]] = e[m] - e[m - 1];
      }
    }
    double max_sigma = range;
    double min_sigma =
        parameters_.consider_magic_clip ? range / std::min(100.0, 1.0 + static_cast<double>(m)) : kEps;
    for (double& s : k.sigmas) s = std::clamp(s, min_sigma, max_sigma);
    if (consider_prior) k.sigmas[n] = range;
    k.log_normaliser.resize(m);
    bool scaled = k.q == 0 && !parameters_.optuna_3_1_density;
    // Most sigmas equal the clip bound once there are many observations: reuse their logarithm.
    double last_sigma = std::numeric_limits<double>::quiet_NaN(), last_log_sigma = 0;
    for (size_t i = 0; i < m; ++i) {
      double sigma = k.sigmas[i];
      double mass = truncnorm::log_gauss_mass((k.low - k.mus[i]) / sigma, (k.high - k.mus[i]) / sigma);
      if (scaled && sigma != last_sigma) last_sigma = sigma, last_log_sigma = std::log(sigma);
      k.log_normaliser[i] = mass + (scaled ? last_log_sigma : 0.0);
    }
    if (k.q == 0 && space_.size() == 1) {
      // density(x) = exp(shift) / sqrt(2 pi) * sum_j coefficient_j exp(-z_j^2 / 2), with
      // coefficient_j = w_j exp(-log_normaliser_j - shift) <= w_j: no logarithm per kernel, and
      // the exponentials in log_pdf need no maximum.
      k.shift = -*std::min_element(k.log_normaliser.begin(), k.log_normaliser.end());
      k.inverse_sigmas.resize(m);
      k.coefficients.resize(m);
      double last_normaliser = std::numeric_limits<double>::quiet_NaN(), last_factor = 0;
      for (size_t i = 0; i < m; ++i) {
        k.inverse_sigmas[i] = 1.0 / k.sigmas[i];
        if (k.log_normaliser[i] != last_normaliser)
          last_normaliser = k.log_normaliser[i], last_factor = std::exp(-last_normaliser - k.shift);
        k.coefficients[i] = weights_[i] * last_factor;
      }
    }
    kernels_.push_back(std::move(k));
  }
  // One continuous parameter works with linear weights (Kernels::coefficients) instead.
  if (space_.size() != 1 || kernels_[0].coefficients.empty()) {
    log_weights_.resize(weights_.size());
    for (size_t k = 0; k < weights_.size(); ++k) log_weights_[k] = std::log(weights_[k]);
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

// One continuous parameter, x already transformed and inside [low, high]: the two-pass form.
double ParzenEstimator::log_pdf_general(double x, const Kernels& k) const {
  std::vector<double> comp(weights_.size());
  for (size_t j = 0; j < comp.size(); ++j) {
    double z = (x - k.mus[j]) / k.sigmas[j];
    comp[j] = std::log(weights_[j]) + (-0.5 * z * z - kLogSqrt2Pi - k.log_normaliser[j]);
  }
  return log_sum_exp(comp.data(), comp.size());
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
  if (space_.size() == 1 && !kernels_[0].coefficients.empty()) {
    const Kernels& k = kernels_[0];
    for (size_t i = 0; i < count; ++i) {
      double x = k.log ? std::log(points[0][i]) : points[0][i];
      if (x < k.low || x > k.high) {
        out[i] = -kInf;
        continue;
      }
      double sum = gaussian_sum(x, k.mus.data(), k.inverse_sigmas.data(), k.coefficients.data(), kernels);
      // Only without the prior kernel can every term underflow (x far from all kernels).
      out[i] = sum > 1e-290 ? std::log(sum) + k.shift - kLogSqrt2Pi : log_pdf_general(x, k);
    }
    return out;
  }
  // Plain loops over contiguous arrays: the compiler vectorises the per-kernel terms and the
  // exponentials, which is where the time goes with thousands of kernels.
  std::vector<double> component(kernels);
  double* comp = component.data();
  for (size_t i = 0; i < count; ++i) {
    std::copy(log_weights_.begin(), log_weights_.end(), comp);
    for (size_t p = 0; p < space_.size(); ++p) {
      const Kernels& k = kernels_[p];
      double x = points[p][i];
      if (k.categorical) {
        const double* log_row = k.log_categorical.data() + static_cast<size_t>(x) * kernels;
        for (size_t j = 0; j < kernels; ++j) comp[j] += log_row[j];
        continue;
      }
      if (k.log) x = std::log(x);
      const double* mus = k.mus.data();
      const double* sigmas = k.sigmas.data();
      const double* normaliser = k.log_normaliser.data();
      if (k.q == 0) {
        if (x < k.low || x > k.high) {
          for (size_t j = 0; j < kernels; ++j) comp[j] = -kInf;
          continue;
        }
        for (size_t j = 0; j < kernels; ++j) {
          double z = (x - mus[j]) / sigmas[j];
          comp[j] += -0.5 * z * z - kLogSqrt2Pi - normaliser[j];
        }
      } else {
        double upper = std::min(x + k.q / 2.0, k.high), lower = std::max(x - k.q / 2.0, k.low);
        for (size_t j = 0; j < kernels; ++j) {
          double mass = truncnorm::log_gauss_mass((lower - mus[j]) / sigmas[j], (upper - mus[j]) / sigmas[j]);
          comp[j] += mass - normaliser[j];
        }
      }
    }
    out[i] = log_sum_exp(comp, kernels);
  }
  return out;
}

}  // namespace xferval::tune
