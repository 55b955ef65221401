#include "xferval/stats/moments.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "stats/base64.hpp"

namespace xferval {

namespace {

constexpr const char* kName = "Moments";

struct BlockSummary {
  double sum = 0.0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
};

// Both passes keep several independent accumulators (SSE2 vectors where available) so that the
// loops pipeline instead of waiting on one running sum.
#if defined(__SSE2__)

double horizontal_sum(__m128d a, __m128d b, __m128d c, __m128d d) {
  const __m128d v = _mm_add_pd(_mm_add_pd(a, b), _mm_add_pd(c, d));
  return _mm_cvtsd_f64(_mm_add_sd(v, _mm_unpackhi_pd(v, v)));
}

BlockSummary sum_min_max(const double* values, size_t count) {
  __m128d sum[4];
  __m128d low[4];
  __m128d high[4];
  for (int j = 0; j < 4; ++j) {
    sum[j] = _mm_setzero_pd();
    low[j] = _mm_set1_pd(std::numeric_limits<double>::infinity());
    high[j] = _mm_set1_pd(-std::numeric_limits<double>::infinity());
  }
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    for (int j = 0; j < 4; ++j) {
      const __m128d x = _mm_loadu_pd(values + i + 2 * j);
      sum[j] = _mm_add_pd(sum[j], x);
      low[j] = _mm_min_pd(low[j], x);
      high[j] = _mm_max_pd(high[j], x);
    }
  }
  BlockSummary out;
  out.sum = horizontal_sum(sum[0], sum[1], sum[2], sum[3]);
  double lows[8];
  double highs[8];
  for (int j = 0; j < 4; ++j) {
    _mm_storeu_pd(lows + 2 * j, low[j]);
    _mm_storeu_pd(highs + 2 * j, high[j]);
  }
  for (int j = 0; j < 8; ++j) {
    out.min = lows[j] < out.min ? lows[j] : out.min;
    out.max = highs[j] > out.max ? highs[j] : out.max;
  }
  for (; i < count; ++i) {
    const double x = values[i];
    out.sum += x;
    out.min = x < out.min ? x : out.min;
    out.max = x > out.max ? x : out.max;
  }
  return out;
}

// Sums of (x - center) and (x - center)^2.
void deviation_sums(const double* values, size_t count, double center, double& first, double& second) {
  const __m128d c = _mm_set1_pd(center);
  __m128d s1[4];
  __m128d s2[4];
  for (int j = 0; j < 4; ++j) {
    s1[j] = _mm_setzero_pd();
    s2[j] = _mm_setzero_pd();
  }
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    for (int j = 0; j < 4; ++j) {
      const __m128d d = _mm_sub_pd(_mm_loadu_pd(values + i + 2 * j), c);
      s1[j] = _mm_add_pd(s1[j], d);
      s2[j] = _mm_add_pd(s2[j], _mm_mul_pd(d, d));
    }
  }
  first = horizontal_sum(s1[0], s1[1], s1[2], s1[3]);
  second = horizontal_sum(s2[0], s2[1], s2[2], s2[3]);
  for (; i < count; ++i) {
    const double d = values[i] - center;
    first += d;
    second += d * d;
  }
}

#else

constexpr size_t kLanes = 8;

BlockSummary sum_min_max(const double* values, size_t count) {
  double sum[kLanes] = {};
  double low[kLanes];
  double high[kLanes];
  for (size_t j = 0; j < kLanes; ++j) {
    low[j] = std::numeric_limits<double>::infinity();
    high[j] = -std::numeric_limits<double>::infinity();
  }
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) {
      const double x = values[i + j];
      sum[j] += x;
      low[j] = x < low[j] ? x : low[j];
      high[j] = x > high[j] ? x : high[j];
    }
  }
  for (size_t j = 0; i < count; ++i, ++j) {
    const double x = values[i];
    sum[j] += x;
    low[j] = x < low[j] ? x : low[j];
    high[j] = x > high[j] ? x : high[j];
  }
  BlockSummary out;
  for (size_t j = 0; j < kLanes; ++j) {
    out.sum += sum[j];
    out.min = low[j] < out.min ? low[j] : out.min;
    out.max = high[j] > out.max ? high[j] : out.max;
  }
  return out;
}

void deviation_sums(const double* values, size_t count, double center, double& first, double& second) {
  double s1[kLanes] = {};
  double s2[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) {
      const double d = values[i + j] - center;
      s1[j] += d;
      s2[j] += d * d;
    }
  }
  for (size_t j = 0; i < count; ++i, ++j) {
    const double d = values[i] - center;
    s1[j] += d;
    s2[j] += d * d;
  }
  first = 0.0;
  second = 0.0;
  for (size_t j = 0; j < kLanes; ++j) {
    first += s1[j];
    second += s2[j];
  }
}

#endif

}  // namespace

void Moments::add(double value) {
  if (count_ == 0) {
    count_ = 1;
    mean_ = value;
    m2_ = 0.0;
  } else {
    ++count_;
    const double delta = value - mean_;
    mean_ += delta / static_cast<double>(count_);
    m2_ += delta * (value - mean_);
  }
  if (value < min_) min_ = value;
  if (value > max_) max_ = value;
}

void Moments::add_block(const double* values, size_t count) {
  if (count == 0) return;
  if (count == 1) {
    add(values[0]);
    return;
  }
  const BlockSummary summary = sum_min_max(values, count);
  const double n = static_cast<double>(count);
  const double center = summary.sum / n;
  double first = 0.0;
  double second = 0.0;
  deviation_sums(values, count, center, first, second);
  // The corrected two-pass algorithm: the residual sum of deviations removes the rounding error
  // of the first pass's mean.
  Moments block;
  block.count_ = count;
  block.mean_ = center + first / n;
  block.m2_ = second - first * first / n;
  if (block.m2_ < 0.0) block.m2_ = 0.0;
  block.min_ = summary.min;
  block.max_ = summary.max;
  merge(block);
}

void Moments::merge(const Moments& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  const double na = static_cast<double>(count_);
  const double nb = static_cast<double>(other.count_);
  const double n = na + nb;
  const double delta = other.mean_ - mean_;
  mean_ += delta * (nb / n);
  m2_ += other.m2_ + delta * delta * (na * nb / n);
  count_ += other.count_;
  if (other.min_ < min_) min_ = other.min_;
  if (other.max_ > max_) max_ = other.max_;
}

double Moments::variance(int ddof) const {
  if (static_cast<double>(count_) <= static_cast<double>(ddof))
    return std::numeric_limits<double>::quiet_NaN();
  return m2_ / (static_cast<double>(count_) - static_cast<double>(ddof));
}

double Moments::stddev(int ddof) const { return std::sqrt(variance(ddof)); }

nlohmann::json Moments::to_json() const {
  return {{"count", count_},
          {"mean", detail::encode_double(mean_)},
          {"m2", detail::encode_double(m2_)},
          {"min", detail::encode_double(min_)},
          {"max", detail::encode_double(max_)}};
}

Moments Moments::from_json(const nlohmann::json& state) {
  Moments out;
  out.count_ = detail::decode_count(detail::member(state, "count", kName), "Moments state: count");
  out.mean_ = detail::decode_double(detail::member(state, "mean", kName), "Moments state: mean");
  out.m2_ = detail::decode_double(detail::member(state, "m2", kName), "Moments state: m2");
  out.min_ = detail::decode_double(detail::member(state, "min", kName), "Moments state: min");
  out.max_ = detail::decode_double(detail::member(state, "max", kName), "Moments state: max");
  if (out.count_ == 0) {
    if (!std::isnan(out.mean_) || out.m2_ != 0.0 || out.min_ != std::numeric_limits<double>::infinity() ||
        out.max_ != -std::numeric_limits<double>::infinity()) {
      throw std::invalid_argument(
          "Moments state: count is 0 but the other members are not those of an empty state");
    }
    return out;
  }
  if (out.m2_ < 0.0) throw std::invalid_argument("Moments state: m2 (sum of squared deviations) is negative");
  if (std::isnan(out.min_) || std::isnan(out.max_) || out.min_ > out.max_) {
    throw std::invalid_argument("Moments state: min and max are not an ordered pair of numbers");
  }
  return out;
}

}  // namespace xferval
