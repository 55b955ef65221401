#include "xferval/params/compare.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <thread>

namespace xferval::params {

namespace {

// Sums of one tensor pair, accumulated in kLanes independent lanes so the compiler can keep them
// in vector registers without reassociating floating-point additions.
constexpr size_t kLanes = 4;

struct PairSums {
  double delta_squared[kLanes] = {}, base_squared[kLanes] = {}, tuned_squared[kLanes] = {}, dot[kLanes] = {};
  double max_abs[kLanes] = {};

  void add(const double* base, const double* tuned, size_t count) {
    size_t i = 0;
    for (; i + kLanes <= count; i += kLanes) {
      for (size_t k = 0; k < kLanes; ++k) accumulate(k, base[i + k], tuned[i + k]);
    }
    for (; i < count; ++i) accumulate(0, base[i], tuned[i]);
  }
  void accumulate(size_t lane, double b, double t) {
    const double d = t - b;
    delta_squared[lane] += d * d;
    base_squared[lane] += b * b;
    tuned_squared[lane] += t * t;
    dot[lane] += b * t;
    const double magnitude = std::fabs(d);
    max_abs[lane] = magnitude > max_abs[lane] ? magnitude : max_abs[lane];
  }
  static double total(const double* lanes) { return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]); }
};

void count_non_finite(const TensorView& tensor, size_t block, uint64_t& nan, uint64_t& inf) {
  tensor.for_each_block(block, [&](const double* values, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      nan += std::isnan(values[i]);
      inf += std::isinf(values[i]);
    }
  });
}

bool spectrum_applies(const TensorView& tensor, const CompareOptions& options, std::string& reason) {
  const size_t rank = tensor.shape.size();
  if ((rank != 2 && rank != 4) || !is_floating(tensor.dtype) || tensor.dtype == Dtype::C64) return false;
  if (is_batchnorm_buffer(tensor.name)) return false;
  if (!options.alpha) {
    reason = "alpha disabled";
    return false;
  }
  const ConvSlices slices =
      rank == 4 ? conv_slices(tensor.shape) : ConvSlices{true, tensor.shape[0], tensor.shape[1], 1};
  if (std::min(slices.rows, slices.cols) > options.alpha_max_evals) {
    reason = "more eigenvalues than --alpha-max-evals";
    return false;
  }
  return tensor.element_count() > 0;
}

std::optional<PowerLawFit> alpha_of(const TensorView& tensor) {
  return fit_power_law(spectrum_eigenvalues(tensor));
}

void compare_pair(const TensorView& base, const TensorView& tuned, const CompareOptions& options,
                  TensorDelta& out) {
  out.values = tuned.value_count();
  const size_t block = options.block_values;
  std::vector<double> base_values(block), tuned_values(block);
  const bool same_layout = base.dtype == tuned.dtype;
  const bool byte_blocks = same_layout && dtype_bits(base.dtype) % 8 == 0;
  const size_t value_bytes = byte_blocks ? dtype_bits(base.dtype) / 8 / values_per_element(base.dtype) : 0;
  bool identical = same_layout && base.bytes.size() == tuned.bytes.size();
  if (identical && !byte_blocks)
    identical = std::memcmp(base.bytes.data(), tuned.bytes.data(), base.bytes.size()) == 0;
  // Block sums added into running totals keep the rounding error near NumPy's pairwise sums.
  double delta_squared = 0, base_squared = 0, tuned_squared = 0, dot = 0, max_abs = 0;
  for (uint64_t first = 0; first < out.values; first += block) {
    const size_t count = static_cast<size_t>(std::min<uint64_t>(block, out.values - first));
    // Compare the raw bytes while they are in cache, for the bit-identity of frozen tensors.
    if (identical && byte_blocks) {
      identical = std::memcmp(base.bytes.data() + first * value_bytes,
                              tuned.bytes.data() + first * value_bytes, count * value_bytes) == 0;
    }
    decode_values(base.dtype, base.bytes.data(), first, count, base_values.data());
    decode_values(tuned.dtype, tuned.bytes.data(), first, count, tuned_values.data());
    PairSums sums;
    sums.add(base_values.data(), tuned_values.data(), count);
    delta_squared += PairSums::total(sums.delta_squared);
    base_squared += PairSums::total(sums.base_squared);
    tuned_squared += PairSums::total(sums.tuned_squared);
    dot += PairSums::total(sums.dot);
    for (double lane : sums.max_abs) max_abs = std::max(max_abs, lane);
  }
  out.bit_identical = identical;
  // Sums stay finite unless a value is not; only then are the values counted one by one.
  if (!std::isfinite(base_squared) || !std::isfinite(tuned_squared) || !std::isfinite(dot)) {
    count_non_finite(base, block, out.base_nan, out.base_inf);
    count_non_finite(tuned, block, out.tuned_nan, out.tuned_inf);
  }
  out.base_norm = std::sqrt(base_squared);
  out.tuned_norm = std::sqrt(tuned_squared);
  out.delta_norm = std::sqrt(delta_squared);
  if (out.base_nan + out.base_inf + out.tuned_nan + out.tuned_inf > 0) {
    const double nan = std::nan("");
    out.mse = out.max_abs_delta = out.relative_l2 = out.cosine = nan;
    out.base_norm = out.tuned_norm = out.delta_norm = nan;
  } else {
    out.mse = out.values == 0 ? 0.0 : delta_squared / static_cast<double>(out.values);
    out.max_abs_delta = max_abs;
    out.relative_l2 = out.delta_norm / (out.base_norm + kRelativeEpsilon);
    if (out.base_norm == 0 && out.tuned_norm == 0) {
      out.cosine = 1;
    } else if (out.base_norm == 0 || out.tuned_norm == 0) {
      out.cosine = 0;
    } else {
      out.cosine = dot / (out.base_norm * out.tuned_norm);
    }
  }
  if (spectrum_applies(tuned, options, out.alpha_skipped) && out.tuned_nan + out.tuned_inf == 0) {
    out.tuned_alpha = alpha_of(tuned);
    if (out.base_nan + out.base_inf == 0) out.base_alpha = alpha_of(base);
  }
}

void describe_tuned(const TensorView& tuned, const CompareOptions& options, TunedOnly& out) {
  count_non_finite(tuned, options.block_values, out.nan, out.inf);
  if (spectrum_applies(tuned, options, out.alpha_skipped) && out.nan + out.inf == 0)
    out.alpha = alpha_of(tuned);
}

// Same shape and the same number of values per element (C64 holds two).
bool comparable(const TensorView& base, const TensorView& tuned) {
  return base.shape == tuned.shape && values_per_element(base.dtype) == values_per_element(tuned.dtype);
}

// Runs job(i) for i in [0, count) on `threads` threads, largest jobs first as ordered by the caller.
template <typename Job>
void run_parallel(size_t count, unsigned threads, Job job) {
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t i = next++; i < count; i = next++) job(i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
}

}  // namespace

std::string layer_of(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? std::string() : name.substr(0, dot);
}

bool is_batchnorm_buffer(const std::string& name) {
  const std::string leaf = name.substr(name.rfind('.') + 1);
  return leaf == "running_mean" || leaf == "running_var" || leaf == "num_batches_tracked";
}

Comparison compare_parameters(const ParameterSet& base, const ParameterSet& tuned,
                              const CompareOptions& options) {
  Comparison result;
  struct Work {
    const TensorView* base;  // nullptr: tuned alone
    const TensorView* tuned;
    size_t slot;
  };
  std::vector<Work> work;
  for (const TensorView& tensor : base.tensors()) {
    const TensorView* other = tuned.find(tensor.name);
    if (!other) {
      result.missing.push_back(tensor.name);
    } else if (comparable(tensor, *other)) {
      TensorDelta delta;
      delta.name = tensor.name;
      delta.layer = layer_of(tensor.name);
      delta.buffer = is_batchnorm_buffer(tensor.name);
      delta.base_dtype = tensor.dtype;
      delta.tuned_dtype = other->dtype;
      delta.shape = tensor.shape;
      work.push_back({&tensor, other, result.compared.size()});
      result.compared.push_back(std::move(delta));
    }
  }
  std::vector<Work> tuned_work;
  for (const TensorView& tensor : tuned.tensors()) {
    const TensorView* original = base.find(tensor.name);
    if (original && comparable(*original, tensor)) continue;
    TunedOnly entry{tensor.name, layer_of(tensor.name), tensor.dtype, tensor.shape, {}, 0, 0, std::nullopt,
                    {}};
    if (original) {
      entry.base_shape = original->shape;
      tuned_work.push_back({nullptr, &tensor, result.reshaped.size() | (size_t{1} << 63)});
      result.reshaped.push_back(std::move(entry));
    } else {
      tuned_work.push_back({nullptr, &tensor, result.added.size()});
      result.added.push_back(std::move(entry));
    }
  }
  work.insert(work.end(), tuned_work.begin(), tuned_work.end());
  std::stable_sort(work.begin(), work.end(), [](const Work& a, const Work& b) {
    return a.tuned->bytes.size() > b.tuned->bytes.size();
  });
  run_parallel(work.size(), options.threads, [&](size_t i) {
    const Work& item = work[i];
    if (item.base) {
      compare_pair(*item.base, *item.tuned, options, result.compared[item.slot]);
    } else if (item.slot >> 63) {
      describe_tuned(*item.tuned, options, result.reshaped[item.slot & ~(size_t{1} << 63)]);
    } else {
      describe_tuned(*item.tuned, options, result.added[item.slot]);
    }
  });
  for (const Work& item : work) {
    result.bytes_read += item.tuned->bytes.size() + (item.base ? item.base->bytes.size() : 0);
  }

  std::map<std::string, LayerSummary> layers;
  double task_squared = 0;
  for (const TensorDelta& delta : result.compared) {
    LayerSummary& layer = layers[delta.layer];
    layer.layer = delta.layer;
    layer.tensors += 1;
    layer.values += delta.values;
    layer.delta_squared += delta.delta_norm * delta.delta_norm;
    layer.base_squared += delta.base_norm * delta.base_norm;
    layer.max_abs_delta = std::max(layer.max_abs_delta, delta.max_abs_delta);
    layer.bit_identical = layer.bit_identical && delta.bit_identical;
    layer.non_finite += delta.tuned_nan + delta.tuned_inf;
    if (!delta.buffer) task_squared += delta.delta_norm * delta.delta_norm;
  }
  for (auto& [name, layer] : layers) {
    layer.relative_l2 = std::sqrt(layer.delta_squared) / (std::sqrt(layer.base_squared) + kRelativeEpsilon);
    result.layers.push_back(layer);
  }
  result.task_vector_norm = std::sqrt(task_squared);
  return result;
}

}  // namespace xferval::params
