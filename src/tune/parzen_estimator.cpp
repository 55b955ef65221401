#include "xferval/tune/parzen_estimator.hpp"

#include <algorithm>
#include <bit>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <immintrin.h>
#endif
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

namespace {

// Optuna's default_weights(n) into `w`, reusing its memory (refits run every trial).
void fill_default_weights(size_t n, std::vector<double>& w) {
  w.resize(n);
  size_t ramped = 0;  // the leading weights below 1
  if (n > 25) {
    size_t ramp = n - 25;
    double start = 1.0 / static_cast<double>(n);
    // numpy.linspace(start, 1, num): start + i * step, the last point exactly 1.
    if (ramp == 1) {
      w[0] = start;
      ramped = 1;
    } else {
      double step = (1.0 - start) / static_cast<double>(ramp - 1);
      for (size_t i = 0; i + 1 < ramp; ++i) w[i] = start + static_cast<double>(i) * step;
      ramped = ramp - 1;
    }
  }
  std::fill(w.begin() + static_cast<long>(ramped), w.end(), 1.0);
}

// Element-wise divisions over thousands of kernels, in the widest vectors the CPU has: division
// is correctly rounded at every width, so every clone gives the same bits.
[[gnu::target_clones("avx512f", "avx2", "default")]] void divide_each(double* values, size_t count,
                                                                      double divisor) {
  for (size_t i = 0; i < count; ++i) values[i] /= divisor;
}
[[gnu::target_clones("avx512f", "avx2", "default")]] void reciprocals(const double* values, size_t count,
                                                                      double* out) {
  for (size_t i = 0; i < count; ++i) out[i] = 1.0 / values[i];
}

}  // namespace

std::vector<double> default_weights(size_t n) {
  std::vector<double> w;
  fill_default_weights(n, w);
  return w;
}

namespace {

// GCC vector extensions: the compiler does not vectorise the scalar loop on its own (the clamp is
// a branch under -ftrapping-math), so the lanes are spelled out. Vec2 is one SSE2 register (the
// x86-64 baseline), Vec4 one AVX2 register, Vec8 one AVX-512 register, chosen at run time. The
// functions taking and returning vectors are always inlined, so no vector crosses a call (hence
// -Wpsabi is silenced).
#pragma GCC diagnostic ignored "-Wpsabi"
using Vec2 = double __attribute__((vector_size(16)));
using Vec2i = int64_t __attribute__((vector_size(16)));
using Vec4 = double __attribute__((vector_size(32)));
using Vec4i = int64_t __attribute__((vector_size(32)));
using Vec8 = double __attribute__((vector_size(64)));
using Vec8i = int64_t __attribute__((vector_size(64)));

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

// A block of four consecutive kernel constants, repeated to fill a register: with eight lanes one
// register then holds the same four kernels for two points.
template <class V>
[[gnu::always_inline]] inline V load_block(const double* values) {
  constexpr size_t kWidth = sizeof(V) / sizeof(double);
  if constexpr (kWidth <= 4) {
    V v;
    std::memcpy(&v, values, sizeof v);
    return v;
  } else {
    static_assert(kWidth == 8);
    Vec4 quarter;
    std::memcpy(&quarter, values, sizeof quarter);
    return __builtin_shufflevector(quarter, quarter, 0, 1, 2, 3, 0, 1, 2, 3);
  }
}

// sums[i] = sum_j coefficient[j] * exp(-z_ij^2 / 2), z_ij = (xs[i] - mu[j]) * inverse_sigma[j]:
// the mixture density at each point up to a constant factor, in one pass (the exponent is never
// positive, so no maximum has to be found first). Every point's sum has the same shape whatever
// the register width, so that widths give the same bits: four lanes, lane l adding kernels
// j = l mod 4 in order, then ((l0 + l2) + (l1 + l3)) + the scalar tail, as log_sum_exp_lanes. A
// register of two lanes (SSE2) holds half a point's lanes, one of four (AVX2) a point's, one of
// eight (AVX-512) two points'.
template <class V, class I>
[[gnu::always_inline]] inline void gaussian_sums_lanes(const double* xs, size_t count, const double* mu,
                                                       const double* inverse_sigma, const double* coefficient,
                                                       size_t n, double* sums) {
  constexpr size_t kWidth = sizeof(V) / sizeof(double);
  // Registers in flight per pass: the two halves of one point's lanes (SSE2), or two registers of
  // points (AVX2, AVX-512) whose independent chains keep both FMA units busy.
  constexpr size_t kRegisters = 2;
  constexpr size_t kPointsPerRegister = kWidth >= 4 ? kWidth / 4 : 0;
  constexpr size_t kPoints = kWidth >= 4 ? kRegisters * kPointsPerRegister : 1;  // per pass
  size_t blocked = n - n % 4;
  for (size_t first = 0; first < count; first += kPoints) {
    V x[kRegisters];
    for (size_t r = 0; r < kRegisters; ++r) {
      double point_of_lane[kWidth];  // past the last point, lanes repeat it (computed, not stored)
      for (size_t l = 0; l < kWidth; ++l)
        point_of_lane[l] = xs[std::min(first + r * kPointsPerRegister + l / 4, count - 1)];
      std::memcpy(&x[r], point_of_lane, sizeof x[r]);
    }
    V lanes[kRegisters];
    for (V& s : lanes) s = V{};
    for (size_t j = 0; j < blocked; j += 4) {
      for (size_t r = 0; r < kRegisters; ++r) {
        size_t at = kWidth >= 4 ? j : j + r * kWidth;
        V z = (x[r] - load_block<V>(mu + at)) * load_block<V>(inverse_sigma + at);
        lanes[r] += load_block<V>(coefficient + at) * exp_nonpositive_vec<V, I>(z * z * -0.5);
      }
    }
    for (size_t p = 0; p < kPoints && first + p < count; ++p) {
      double lane[4];
      for (size_t l = 0; l < 4; ++l) lane[l] = lanes[(4 * p + l) / kWidth][(4 * p + l) % kWidth];
      double tail = 0;
      for (size_t j = blocked; j < n; ++j) {
        double z = (xs[first + p] - mu[j]) * inverse_sigma[j];
        tail += coefficient[j] * exp_nonpositive_scalar(z * z * -0.5);
      }
      sums[first + p] = ((lane[0] + lane[2]) + (lane[1] + lane[3])) + tail;
    }
  }
}

double log_sum_exp_baseline(const double* comp, size_t n) { return log_sum_exp_lanes<Vec2, Vec2i>(comp, n); }
void gaussian_sums_baseline(const double* xs, size_t count, const double* mu, const double* inverse_sigma,
                            const double* coefficient, size_t n, double* sums) {
  gaussian_sums_lanes<Vec2, Vec2i>(xs, count, mu, inverse_sigma, coefficient, n, sums);
}

#if defined(__x86_64__) && defined(__GNUC__)
// AVX2 with FMA (every x86-64 CPU since 2013-2015): twice the lanes, and the polynomial's
// multiply-adds fuse. Densities then differ from the baseline path in the last bits only.
[[gnu::target("avx2,fma")]] double log_sum_exp_avx2(const double* comp, size_t n) {
  return log_sum_exp_lanes<Vec4, Vec4i>(comp, n);
}
[[gnu::target("avx2,fma")]] void gaussian_sums_avx2(const double* xs, size_t count, const double* mu,
                                                    const double* inverse_sigma, const double* coefficient,
                                                    size_t n, double* sums) {
  gaussian_sums_lanes<Vec4, Vec4i>(xs, count, mu, inverse_sigma, coefficient, n, sums);
}
// AVX-512: two points per register, each lane doing exactly the AVX2 lane's operations (the same
// fused multiply-adds), so the sums are bit-identical to the AVX2 path at twice the throughput.
[[gnu::target("avx512f,avx2,fma")]] void gaussian_sums_avx512(const double* xs, size_t count,
                                                              const double* mu, const double* inverse_sigma,
                                                              const double* coefficient, size_t n,
                                                              double* sums) {
  gaussian_sums_lanes<Vec8, Vec8i>(xs, count, mu, inverse_sigma, coefficient, n, sums);
}
const bool kHasAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
const bool kHasAvx512 = kHasAvx2 && __builtin_cpu_supports("avx512f");
double log_sum_exp(const double* comp, size_t n) {
  return kHasAvx2 ? log_sum_exp_avx2(comp, n) : log_sum_exp_baseline(comp, n);
}
void gaussian_sums(const double* xs, size_t count, const double* mu, const double* inverse_sigma,
                   const double* coefficient, size_t n, double* sums) {
  if (kHasAvx512)
    gaussian_sums_avx512(xs, count, mu, inverse_sigma, coefficient, n, sums);
  else if (kHasAvx2)
    gaussian_sums_avx2(xs, count, mu, inverse_sigma, coefficient, n, sums);
  else
    gaussian_sums_baseline(xs, count, mu, inverse_sigma, coefficient, n, sums);
}
#else
double log_sum_exp(const double* comp, size_t n) { return log_sum_exp_baseline(comp, n); }
void gaussian_sums(const double* xs, size_t count, const double* mu, const double* inverse_sigma,
                   const double* coefficient, size_t n, double* sums) {
  gaussian_sums_baseline(xs, count, mu, inverse_sigma, coefficient, n, sums);
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
  // Most kernels sit more than 6 sqrt 2 (8.49) standard deviations inside both bounds: both tails
  // are exactly 0 there (ndtr_central), and log1p(-0.0 - 0.0) is -0.0.
  if (a < -8.5 && b > 8.5) return -0.0;
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

namespace {

// truncnorm::log_gauss_mass((low - mu) / sigma, (high - mu) / sigma) for one kernel, without the
// divisions and the call for the common kernel that lies more than 8.5 sigma inside both bounds
// (the bound is 1e-16 relative from the quotients, far from 8.5 / 6 sqrt 2 - 1 = 2e-3, so the
// quotients would then take log_gauss_mass's first, exact shortcut too): -0.0.
inline double kernel_log_mass(double low, double high, double mu, double sigma) {
  if (low - mu < -8.5 * sigma && high - mu > 8.5 * sigma) return -0.0;
  return truncnorm::log_gauss_mass((low - mu) / sigma, (high - mu) / sigma);
}

// right > left ? right : left, without a branch: neighbouring gaps come in random order, and a
// branch (which GCC makes of the plain expression here) would be mispredicted half the time.
// maxsd(a, b) is exactly a > b ? a : b.
inline double wider_gap(double left, double right) {
#if defined(__SSE2__)
  return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(right), _mm_set_sd(left)));
#else
  return right > left ? right : left;
#endif
}

// The smallest of non-empty, NaN-free `values`, in four independent lanes rather than one chain
// of dependent comparisons (the minimum does not depend on the order).
double minimum(const std::vector<double>& values) {
  double lane[4];
  std::fill(lane, lane + 4, values.front());
  size_t i = 0;
  for (; i + 4 <= values.size(); i += 4)
    for (size_t l = 0; l < 4; ++l) lane[l] = std::min(lane[l], values[i + l]);
  for (; i < values.size(); ++i) lane[0] = std::min(lane[0], values[i]);
  return std::min(std::min(lane[0], lane[1]), std::min(lane[2], lane[3]));
}

uint64_t bits_of(double x) { return std::bit_cast<uint64_t>(x); }

// The sum of `weights` in order (std::accumulate's rounding), which are default_weights(n) and
// then the prior's weight when `with_prior`. The additions form one dependent chain (a few
// cycles each), and the sampler fits one estimator per parameter to the same number of
// observations in a row: the last sum is remembered, per thread (a pure function's memo).
double weights_total(const std::vector<double>& weights, size_t n, bool with_prior) {
  struct Entry {
    size_t n;
    bool with_prior;
    uint64_t prior_bits;
    double total;
  };
  // Two entries: the sampler alternates between a below estimator (up to 25 observations) and
  // an above one (the rest).
  thread_local Entry recent[2] = {{SIZE_MAX, false, 0, 0}, {SIZE_MAX, false, 0, 0}};
  uint64_t prior_bits = with_prior ? bits_of(weights.back()) : 0;
  for (const Entry& e : recent)
    if (e.n == n && e.with_prior == with_prior && e.prior_bits == prior_bits) return e.total;
  recent[1] = recent[0];
  recent[0] = {n, with_prior, prior_bits, std::accumulate(weights.begin(), weights.end(), 0.0)};
  return recent[0].total;
}

}  // namespace

ParzenEstimator::ParzenEstimator(SearchSpace1 space, const std::vector<std::vector<double>>& observations,
                                 const ParzenParameters& parameters,
                                 const std::vector<std::vector<size_t>>* sorted_orders)
    : space_(std::move(space)), parameters_(parameters) {
  refit(observations, sorted_orders);
}

void ParzenEstimator::refit(const std::vector<std::vector<double>>& observations,
                            const std::vector<std::vector<size_t>>* sorted_orders) {
  if (space_.size() != observations.size()) throw std::invalid_argument("one observation list per parameter");
  if (sorted_orders && sorted_orders->size() != space_.size())
    throw std::invalid_argument("one sorted order per parameter");
  size_t n = observations.empty() ? 0 : observations.front().size();
  bool consider_prior = parameters_.consider_prior || n == 0;

  fill_default_weights(n, weights_);
  if (consider_prior) weights_.push_back(parameters_.prior_weight);
  divide_each(weights_.data(), weights_.size(), weights_total(weights_, n, consider_prior));

  kernels_.resize(space_.size());
  for (size_t p = 0; p < space_.size(); ++p) {
    const std::vector<size_t>* given = sorted_orders ? &(*sorted_orders)[p] : nullptr;
    if (std::holds_alternative<CategoricalDistribution>(space_[p].second))
      fit_categorical(p, observations[p], consider_prior);
    else
      fit_continuous(p, observations[p], consider_prior, given && !given->empty() ? given : nullptr);
  }
  // One continuous parameter works with linear weights (Kernels::coefficients) instead.
  log_weights_.clear();
  if (space_.size() != 1 || kernels_[0].coefficients.empty()) {
    log_weights_.resize(weights_.size());
    for (size_t k = 0; k < weights_.size(); ++k) log_weights_[k] = std::log(weights_[k]);
  }
}

void ParzenEstimator::fit_categorical(size_t p, const std::vector<double>& obs, bool consider_prior) {
  Kernels& k = kernels_[p];
  k = Kernels{};
  k.categorical = true;
  size_t n = obs.size();
  size_t choices = std::get<CategoricalDistribution>(space_[p].second).choices.size();
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
    for (size_t c = 0; c < choices; ++c)
      k.log_categorical[c * rows + r] = std::log(k.categorical_weights[r][c]);
}

void ParzenEstimator::fit_continuous(size_t p, const std::vector<double>& obs, bool consider_prior,
                                     const std::vector<size_t>* given_order) {
  Kernels& k = kernels_[p];
  const Distribution& distribution = space_[p].second;
  k.categorical = false;
  k.q = 0;
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
  size_t n = obs.size();
  size_t m = consider_prior ? n + 1 : n;
  double range = k.high - k.low;
  double prior_mu = 0.5 * (k.low + k.high);
  k.mus.resize(m);
  for (size_t i = 0; i < n; ++i) k.mus[i] = k.log ? std::log(obs[i]) : obs[i];
  if (consider_prior) k.mus[n] = prior_mu;
  k.sigmas.resize(m);
  if (parameters_.multivariate) {
    double sigma0 = kSigma0Magnitude * std::pow(static_cast<double>(std::max<size_t>(n, 1)),
                                                -1.0 / (static_cast<double>(space_.size()) + 4));
    std::fill(k.sigmas.begin(), k.sigmas.end(), sigma0 * range);
  } else {
    set_adaptive_bandwidths(k, n, consider_prior, given_order);
  }
  double max_sigma = range;
  double min_sigma =
      parameters_.consider_magic_clip ? range / std::min(100.0, 1.0 + static_cast<double>(m)) : kEps;
  k.log_normaliser.resize(m);
  bool scaled = k.q == 0 && !parameters_.optuna_3_1_density;
  // Most sigmas equal the clip bound once there are many observations: reuse their logarithm.
  // Unscaled, it stays 0 (which also turns the -0.0 mass of interior kernels into 0).
  double last_sigma = std::numeric_limits<double>::quiet_NaN(), last_log_sigma = 0;
  double low = k.low, high = k.high;
  double* sigmas = k.sigmas.data();
  const double* mus = k.mus.data();
  double* log_normaliser = k.log_normaliser.data();
  for (size_t i = 0; i < m; ++i) {
    double sigma = consider_prior && i == n ? range : std::clamp(sigmas[i], min_sigma, max_sigma);
    sigmas[i] = sigma;
    double mu = mus[i];
    double mass = kernel_log_mass(low, high, mu, sigma);
    if (scaled && sigma != last_sigma) last_sigma = sigma, last_log_sigma = std::log(sigma);
    log_normaliser[i] = mass + last_log_sigma;
  }
  k.inverse_sigmas.clear();
  k.coefficients.clear();
  k.shift = 0;
  if (k.q == 0 && space_.size() == 1) {
    // density(x) = exp(shift) / sqrt(2 pi) * sum_j coefficient_j exp(-z_j^2 / 2), with
    // coefficient_j = w_j exp(-log_normaliser_j - shift) <= w_j: no logarithm per kernel, and
    // the exponentials in log_pdf need no maximum.
    k.shift = -minimum(k.log_normaliser);
    k.inverse_sigmas.resize(m);
    k.coefficients.resize(m);
    reciprocals(sigmas, m, k.inverse_sigmas.data());
    double last_normaliser = std::numeric_limits<double>::quiet_NaN(), last_factor = 0;
    double* coefficients = k.coefficients.data();
    const double* weights = weights_.data();
    for (size_t i = 0; i < m; ++i) {
      if (log_normaliser[i] != last_normaliser)
        last_normaliser = log_normaliser[i], last_factor = std::exp(-last_normaliser - k.shift);
      coefficients[i] = weights[i] * last_factor;
    }
  }
}

// Hyperopt's adaptive Parzen bandwidth: the larger gap to a sorted neighbour, the bounds at both
// ends and the prior (index n) included among the neighbours. Ties sort by index, the prior after
// its equals.
void ParzenEstimator::set_adaptive_bandwidths(Kernels& k, size_t n, bool consider_prior,
                                              const std::vector<size_t>* given_order) {
  size_t m = k.mus.size();
  std::vector<size_t>& order = order_scratch_;
  order.resize(m);
  if (given_order) {
    if (given_order->size() != n) throw std::invalid_argument("sorted order of the wrong length");
    auto at = given_order->begin();
    if (consider_prior)
      at = std::upper_bound(given_order->begin(), given_order->end(), k.mus[n],
                            [&](double v, size_t i) { return v < k.mus[i]; });
    auto after = std::copy(given_order->begin(), at, order.begin());
    if (consider_prior) *after++ = n;
    std::copy(at, given_order->end(), after);
  } else {
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return k.mus[a] != k.mus[b] ? k.mus[a] < k.mus[b] : a < b; });
  }
  if (m == 0) return;
  const double* mus = k.mus.data();
  double* sigmas = k.sigmas.data();
  double previous = k.low, current = mus[order[0]];
  for (size_t i = 0; i < m; ++i) {
    double next = i + 1 < m ? mus[order[i + 1]] : k.high;
    sigmas[order[i]] = wider_gap(current - previous, next - current);
    previous = current, current = next;
  }
  if (!parameters_.consider_endpoints && m >= 2) {
    sigmas[order[0]] = mus[order[1]] - mus[order[0]];
    sigmas[order[m - 1]] = mus[order[m - 1]] - mus[order[m - 2]];
  }
}

std::vector<std::vector<double>> ParzenEstimator::sample(Rng& rng, size_t count) const {
  std::vector<double> cumulative_weights(weights_.size());
  double running = 0;
  for (size_t k = 0; k < weights_.size(); ++k) cumulative_weights[k] = running += weights_[k];
  std::vector<size_t> active(count);
  for (size_t i = 0; i < count; ++i) active[i] = rng.choice(cumulative_weights);
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
    // The points inside [low, high], transformed, go through the kernels together.
    std::vector<double> inside, sums;
    std::vector<size_t> where;
    inside.reserve(count), where.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      double x = k.log ? std::log(points[0][i]) : points[0][i];
      if (x < k.low || x > k.high) {
        out[i] = -kInf;
        continue;
      }
      inside.push_back(x), where.push_back(i);
    }
    sums.resize(inside.size());
    gaussian_sums(inside.data(), inside.size(), k.mus.data(), k.inverse_sigmas.data(), k.coefficients.data(),
                  kernels, sums.data());
    for (size_t i = 0; i < inside.size(); ++i) {
      // Only without the prior kernel can every term underflow (x far from all kernels).
      out[where[i]] =
          sums[i] > 1e-290 ? std::log(sums[i]) + k.shift - kLogSqrt2Pi : log_pdf_general(inside[i], k);
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
