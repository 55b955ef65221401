#include "xferval/stats/kll.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "stats/base64.hpp"

namespace xferval {

namespace {

constexpr const char* kName = "KllSketch";
constexpr uint32_t kMinK = 8;  // DataSketches' m: the smallest level capacity
constexpr uint32_t kMaxK = 65535;

// DataSketches' intCapAuxAux: round(k * (2/3)^depth) in integer arithmetic, depth <= 30.
uint64_t capacity_aux_aux(uint64_t k, uint32_t depth) {
  uint64_t power_of_three = 1;
  for (uint32_t i = 0; i < depth; ++i) power_of_three *= 3;
  const uint64_t twice = (k << 1) << depth;
  return (twice / power_of_three + 1) >> 1;
}

uint64_t capacity_aux(uint64_t k, uint32_t depth) {
  if (depth <= 30) return capacity_aux_aux(k, depth);
  const uint32_t half = depth / 2;
  return capacity_aux_aux(capacity_aux_aux(k, half), depth - half);
}

// Branch-free min and max: the sorting network and the merge below avoid the mispredicted
// branches that dominate comparison sorts of small random arrays.
#if defined(__SSE2__)
inline double min_of(double a, double b) { return _mm_cvtsd_f64(_mm_min_sd(_mm_set_sd(a), _mm_set_sd(b))); }
inline double max_of(double a, double b) { return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(a), _mm_set_sd(b))); }
#else
inline double min_of(double a, double b) { return b < a ? b : a; }
inline double max_of(double a, double b) { return a < b ? b : a; }
#endif

// Batcher's odd-even merge sort network on N inputs as (lower, upper) index pairs.
template <size_t N>
constexpr size_t network_size() {
  size_t count = 0;
  for (size_t p = 1; p < N; p *= 2) {
    for (size_t k = p; k >= 1; k /= 2) {
      for (size_t j = k % p; j + k <= N - 1; j += 2 * k) {
        for (size_t i = 0; i <= std::min(k - 1, N - j - k - 1); ++i) {
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) ++count;
        }
      }
    }
  }
  return count;
}

template <size_t N>
constexpr std::array<std::pair<uint8_t, uint8_t>, network_size<N>()> network_pairs() {
  std::array<std::pair<uint8_t, uint8_t>, network_size<N>()> out{};
  size_t count = 0;
  for (size_t p = 1; p < N; p *= 2) {
    for (size_t k = p; k >= 1; k /= 2) {
      for (size_t j = k % p; j + k <= N - 1; j += 2 * k) {
        for (size_t i = 0; i <= std::min(k - 1, N - j - k - 1); ++i) {
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) {
            out[count++] = {static_cast<uint8_t>(i + j), static_cast<uint8_t>(i + j + k)};
          }
        }
      }
    }
  }
  return out;
}

template <size_t N>
inline constexpr auto kNetwork = network_pairs<N>();

template <size_t N, size_t... I>
inline void apply_network(double* v, std::index_sequence<I...>) {
  (
      [v] {
        constexpr auto pair = kNetwork<N>[I];
        const double a = v[pair.first];
        const double b = v[pair.second];
        v[pair.first] = min_of(a, b);
        v[pair.second] = max_of(a, b);
      }(),
      ...);
}

// Sorts n <= N values through registers, padding with +inf (which the network never moves down).
template <size_t N>
void network_sort(double* values, size_t n) {
  double v[N];
  for (size_t i = 0; i < N; ++i) v[i] = i < n ? values[i] : std::numeric_limits<double>::infinity();
  apply_network<N>(v, std::make_index_sequence<kNetwork<N>.size()>{});
  for (size_t i = 0; i < n; ++i) values[i] = v[i];
}

// The network for N not a power of two is the next power of two's restricted to indices below N,
// which is exact because the padding's +inf never moves.
void small_sort(double* values, size_t n) {
  switch ((n + 3) / 4) {
    case 0:
    case 1:
      if (n > 1) network_sort<4>(values, n);
      return;
    case 2:
      return network_sort<8>(values, n);
    case 3:
      return network_sort<12>(values, n);
    case 4:
      return network_sort<16>(values, n);
    case 5:
      return network_sort<20>(values, n);
    case 6:
      return network_sort<24>(values, n);
    case 7:
      return network_sort<28>(values, n);
    default:
      return network_sort<32>(values, n);
  }
}

// Merges sorted a and b into out (ties: a first), without data-dependent branches.
void merge_sorted(const double* a, size_t na, const double* b, size_t nb, double* out) {
  size_t i = 0;
  size_t j = 0;
  while (i < na && j < nb) {
    const double x = a[i];
    const double y = b[j];
    const size_t take_b = y < x ? 1 : 0;
    *out++ = min_of(x, y);
    j += take_b;
    i += 1 - take_b;
  }
  for (; i < na; ++i) *out++ = a[i];
  for (; j < nb; ++j) *out++ = b[j];
}

// Sorts values: runs of 32 by the network, then bottom-up merges through scratch.
void sort_values(std::vector<double>& values, std::vector<double>& scratch) {
  constexpr size_t kRun = 32;
  const size_t n = values.size();
  if (n <= kRun) return small_sort(values.data(), n);
  for (size_t i = 0; i < n; i += kRun) small_sort(values.data() + i, std::min(kRun, n - i));
  scratch.resize(n);
  double* from = values.data();
  double* to = scratch.data();
  for (size_t width = kRun; width < n; width *= 2) {
    for (size_t i = 0; i < n; i += 2 * width) {
      const size_t mid = std::min(n, i + width);
      const size_t end = std::min(n, i + 2 * width);
      merge_sorted(from + i, mid - i, from + mid, end - mid, to + i);
    }
    std::swap(from, to);
  }
  if (from != values.data()) values.swap(scratch);
}

void check_k(uint32_t k) {
  if (k < kMinK || k > kMaxK) {
    throw std::invalid_argument("KllSketch: k must be in [" + std::to_string(kMinK) + ", " +
                                std::to_string(kMaxK) + "], got " + std::to_string(k));
  }
}

}  // namespace

KllSketch::KllSketch(uint32_t k, uint64_t seed)
    : k_(k),
      seed_(seed),
      rng_state_(seed),
      min_(std::numeric_limits<double>::infinity()),
      max_(-std::numeric_limits<double>::infinity()),
      levels_(1) {
  check_k(k);
  capacities_.push_back(k);
  capacity_ = k;
}

uint32_t KllSketch::level_capacity(size_t level) const { return capacities_[level]; }

void KllSketch::add_level() {
  levels_.emplace_back();
  const size_t count = levels_.size();
  capacities_.resize(count);
  capacity_ = 0;
  for (size_t h = 0; h < count; ++h) {
    const auto depth = static_cast<uint32_t>(count - h - 1);
    capacities_[h] = static_cast<uint32_t>(std::max<uint64_t>(kMinK, capacity_aux(k_, depth)));
    capacity_ += capacities_[h];
  }
}

bool KllSketch::next_bit() {
  // splitmix64
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (z >> 63) != 0;
}

void KllSketch::compact_level(size_t level) {
  if (level + 1 == levels_.size()) add_level();
  std::vector<double>& items = levels_[level];
  const bool odd = (items.size() & 1) != 0;
  double kept = 0.0;
  // An odd level keeps one item back: on level 0 the most recent (as DataSketches), above it the
  // largest (the order of items within a level above 0 carries no information).
  if (odd && level == 0) {
    kept = items.back();
    items.pop_back();
  }
  sort_values(items, scratch_);
  if (odd && level > 0) {
    kept = items.back();
    items.pop_back();
  }
  const size_t half = items.size() / 2;
  const size_t offset = next_bit() ? 1 : 0;
  std::vector<double>& above = levels_[level + 1];
  const size_t start = above.size();
  above.resize(start + half);
  double* out = above.data() + start;
  const double* in = items.data() + offset;
  for (size_t i = 0; i < half; ++i) out[i] = in[2 * i];
  items.clear();
  if (odd) items.push_back(kept);
  retained_ -= half;
}

void KllSketch::compress() {
  size_t level = 0;
  while (level + 1 < levels_.size() && levels_[level].size() < level_capacity(level)) ++level;
  compact_level(level);
}

void KllSketch::general_compress() {
  for (size_t level = 0; level < levels_.size(); ++level) {
    if (retained_ < capacity_) break;
    if (levels_[level].size() >= level_capacity(level)) compact_level(level);
  }
}

void KllSketch::update(double value) {
  if (std::isnan(value)) return;
  while (retained_ >= capacity_) compress();
  levels_[0].push_back(value);
  ++retained_;
  ++n_;
  if (value < min_) min_ = value;
  if (value > max_) max_ = value;
}

void KllSketch::update_block(const double* values, size_t count) {
  // Min, max and NaN count in four independent lanes; min_of(v, x) ignores a NaN v.
  constexpr size_t kLanes = 4;
  double low[kLanes] = {min_, min_, min_, min_};
  double high[kLanes] = {max_, max_, max_, max_};
  size_t nans = 0;
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) {
      const double v = values[i + j];
      nans += v != v ? 1 : 0;
      low[j] = min_of(v, low[j]);
      high[j] = max_of(v, high[j]);
    }
  }
  for (; i < count; ++i) {
    const double v = values[i];
    nans += v != v ? 1 : 0;
    low[0] = min_of(v, low[0]);
    high[0] = max_of(v, high[0]);
  }
  for (size_t j = 0; j < kLanes; ++j) {
    min_ = min_of(low[j], min_);
    max_ = max_of(high[j], max_);
  }
  std::vector<double> finite;
  if (nans != 0) {  // NaN is ignored
    finite.reserve(count - nans);
    for (size_t i = 0; i < count; ++i) {
      if (!std::isnan(values[i])) finite.push_back(values[i]);
    }
    values = finite.data();
    count = finite.size();
  }
  i = 0;
  while (i < count) {
    while (retained_ >= capacity_) compress();
    const size_t take = std::min(count - i, capacity_ - retained_);
    levels_[0].insert(levels_[0].end(), values + i, values + i + take);
    retained_ += take;
    n_ += take;
    i += take;
  }
}

void KllSketch::update_sorted(const double* sorted, size_t count) {
  if (count == 0) return;
  // The level the block goes in: the lowest whose capacity holds the halved block. A sketch too
  // young to have such a level takes the values one by one.
  size_t target = 0;
  while (true) {
    while (target < levels_.size() && (count >> target) > level_capacity(target)) ++target;
    if (target < levels_.size()) break;
    add_level();  // a young sketch: the level the block needs comes first
  }
  if (target == 0) {
    update_block(sorted, count);
    return;
  }
  min_ = std::min(min_, sorted[0]);
  max_ = std::max(max_, sorted[count - 1]);
  n_ += count;
  // Halving a sorted run keeps every other item from a random start; an odd one out (the largest)
  // stays at the level it reached, with that level's weight, so the weights still sum to n.
  // The first halving reads the caller's block; the later ones work in place (2i + offset >= i).
  halving_.resize(count / 2);
  const double* source = sorted;
  size_t size = count;
  for (size_t level = 0; level < target; ++level) {
    if ((size & 1) != 0) {
      levels_[level].push_back(source[--size]);
      ++retained_;
    }
    const size_t half = size / 2;
    const size_t offset = next_bit() ? 1 : 0;
    double* out = halving_.data();
    for (size_t i = 0; i < half; ++i) out[i] = source[2 * i + offset];
    source = out;
    size = half;
  }
  levels_[target].insert(levels_[target].end(), halving_.begin(),
                         halving_.begin() + static_cast<std::ptrdiff_t>(size));
  retained_ += size;
  while (retained_ > capacity_) compress();
}

void KllSketch::merge(const KllSketch& other) {
  if (other.k_ != k_) {
    throw std::invalid_argument("KllSketch::merge: k differs (" + std::to_string(k_) + " and " +
                                std::to_string(other.k_) + ")");
  }
  if (other.n_ == 0) return;
  if (&other == this) {
    const KllSketch copy = other;
    merge(copy);
    return;
  }
  // As DataSketches: level 0 of the other sketch goes in item by item, then the higher levels
  // are merged level by level and the result compressed bottom-up.
  update_block(other.levels_[0].data(), other.levels_[0].size());
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  if (other.levels_.size() < 2) return;
  while (levels_.size() < other.levels_.size()) add_level();
  for (size_t h = 1; h < other.levels_.size(); ++h) {
    const std::vector<double>& theirs = other.levels_[h];
    if (theirs.empty()) continue;
    levels_[h].insert(levels_[h].end(), theirs.begin(), theirs.end());
    retained_ += theirs.size();
    n_ += static_cast<uint64_t>(theirs.size()) << h;
  }
  general_compress();
}

bool KllSketch::exact() const { return retained_ == n_; }

double KllSketch::min() const { return n_ == 0 ? std::numeric_limits<double>::quiet_NaN() : min_; }

double KllSketch::max() const { return n_ == 0 ? std::numeric_limits<double>::quiet_NaN() : max_; }

size_t KllSketch::retained() const { return retained_; }

void KllSketch::sorted_view(std::vector<double>& items, std::vector<uint64_t>& cumulative) const {
  std::vector<std::pair<double, uint64_t>> weighted;
  weighted.reserve(retained_);
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (double v : levels_[h]) weighted.emplace_back(v, uint64_t{1} << h);
  }
  std::sort(weighted.begin(), weighted.end());
  items.resize(weighted.size());
  cumulative.resize(weighted.size());
  uint64_t total = 0;
  for (size_t i = 0; i < weighted.size(); ++i) {
    items[i] = weighted[i].first;
    total += weighted[i].second;
    cumulative[i] = total;
  }
}

std::vector<std::pair<double, uint64_t>> KllSketch::weighted_items() const {
  std::vector<double> items;
  std::vector<uint64_t> cumulative;
  sorted_view(items, cumulative);
  std::vector<std::pair<double, uint64_t>> weighted(items.size());
  uint64_t previous = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    weighted[i] = {items[i], cumulative[i] - previous};
    previous = cumulative[i];
  }
  return weighted;
}

double KllSketch::quantile(double q) const { return quantiles({q}).front(); }

std::vector<double> KllSketch::quantiles(const std::vector<double>& qs) const {
  for (double q : qs) {
    if (!(q >= 0.0 && q <= 1.0)) {
      throw std::invalid_argument("KllSketch::quantile: q must be in [0, 1], got " + std::to_string(q));
    }
  }
  std::vector<double> out(qs.size(), std::numeric_limits<double>::quiet_NaN());
  if (n_ == 0) return out;
  std::vector<double> items;
  std::vector<uint64_t> cumulative;
  for (size_t j = 0; j < qs.size(); ++j) {
    const double q = qs[j];
    if (q == 0.0) {
      out[j] = min_;
      continue;
    }
    if (q == 1.0) {
      out[j] = max_;
      continue;
    }
    if (items.empty()) sorted_view(items, cumulative);
    const double threshold = q * static_cast<double>(n_);
    const auto found = std::find_if(cumulative.begin(), cumulative.end(), [&](uint64_t weight) {
      return static_cast<double>(weight) >= threshold;
    });
    out[j] = found == cumulative.end() ? max_ : items[static_cast<size_t>(found - cumulative.begin())];
  }
  return out;
}

double KllSketch::rank(double x) const {
  if (n_ == 0) return std::numeric_limits<double>::quiet_NaN();
  uint64_t weight = 0;
  for (size_t h = 0; h < levels_.size(); ++h) {
    uint64_t at_most = 0;
    for (double v : levels_[h]) at_most += v <= x ? 1 : 0;
    weight += at_most << h;
  }
  return static_cast<double>(weight) / static_cast<double>(n_);
}

double KllSketch::normalized_rank_error_for(uint32_t k) {
  return 2.296 / std::pow(static_cast<double>(k), 0.9723);
}

double KllSketch::normalized_rank_error() const { return exact() ? 0.0 : normalized_rank_error_for(k_); }

nlohmann::json KllSketch::to_json() const {
  nlohmann::json levels = nlohmann::json::array();
  for (size_t h = 0; h < levels_.size(); ++h) {
    // Level 0 in arrival order (it decides which item an odd compaction keeps back); the others
    // sorted, as their order is immaterial.
    std::vector<double> level = levels_[h];
    if (h > 0) std::sort(level.begin(), level.end());
    nlohmann::json items = nlohmann::json::array();
    for (double v : level) items.push_back(detail::encode_double(v));
    levels.push_back(std::move(items));
  }
  return {{"k", k_},
          {"seed", seed_},
          {"rng_state", rng_state_},
          {"n", n_},
          {"min", detail::encode_double(min_)},
          {"max", detail::encode_double(max_)},
          {"levels", std::move(levels)}};
}

KllSketch KllSketch::from_json(const nlohmann::json& state) {
  const uint64_t k = detail::decode_count(detail::member(state, "k", kName), "KllSketch state: k");
  if (k < kMinK || k > kMaxK) throw std::invalid_argument("KllSketch state: k out of range");
  KllSketch out(static_cast<uint32_t>(k),
                detail::decode_count(detail::member(state, "seed", kName), "KllSketch state: seed"));
  out.rng_state_ =
      detail::decode_count(detail::member(state, "rng_state", kName), "KllSketch state: rng_state");
  out.n_ = detail::decode_count(detail::member(state, "n", kName), "KllSketch state: n");
  out.min_ = detail::decode_double(detail::member(state, "min", kName), "KllSketch state: min");
  out.max_ = detail::decode_double(detail::member(state, "max", kName), "KllSketch state: max");
  const nlohmann::json& levels = detail::member(state, "levels", kName);
  if (!levels.is_array() || levels.empty() || levels.size() > 64) {
    throw std::invalid_argument("KllSketch state: levels must be an array of 1 to 64 arrays");
  }
  out.levels_.clear();
  out.capacities_.clear();
  uint64_t weight = 0;
  for (size_t h = 0; h < levels.size(); ++h) {
    out.add_level();
    const nlohmann::json& items = levels[h];
    if (!items.is_array())
      throw std::invalid_argument("KllSketch state: level " + std::to_string(h) + " is not an array");
    std::vector<double>& level = out.levels_[h];
    level.reserve(items.size());
    for (const nlohmann::json& item : items) {
      const double v = detail::decode_double(item, "KllSketch state: item");
      if (std::isnan(v) || v < out.min_ || v > out.max_) {
        throw std::invalid_argument("KllSketch state: level " + std::to_string(h) +
                                    " holds an item outside [min, max]");
      }
      level.push_back(v);
    }
    out.retained_ += level.size();
    weight += static_cast<uint64_t>(level.size()) << h;
  }
  if (weight != out.n_) {
    throw std::invalid_argument("KllSketch state: the level weights sum to " + std::to_string(weight) +
                                ", not n = " + std::to_string(out.n_));
  }
  if (out.n_ == 0) {
    if (out.min_ != std::numeric_limits<double>::infinity() ||
        out.max_ != -std::numeric_limits<double>::infinity()) {
      throw std::invalid_argument("KllSketch state: an empty sketch must have min inf and max -inf");
    }
  } else if (!(out.min_ <= out.max_)) {
    throw std::invalid_argument("KllSketch state: min and max are not an ordered pair of numbers");
  }
  return out;
}

}  // namespace xferval
