#pragma once
// Per-tensor comparison of base and tuned parameters (reference §3), all in double precision.
// For a tensor in both sets with the same shape, with W = base and W' = tuned, n values:
//   mse            = sum((W' - W)^2) / n
//   max_abs_delta  = max |W' - W|
//   relative_l2    = ||W' - W|| / (||W|| + 1e-12)
//   cosine         = <W, W'> / (||W|| ||W'||); 1 when both are zero, 0 when only one is
//   bit_identical  = the raw bytes are equal (and the dtypes)
// When either tensor holds a NaN or an infinity these figures are NaN. C64 counts its real and
// imaginary parts as values. Both files are streamed from their memory maps in blocks, with
// tensors shared among worker threads.
#include <optional>
#include <string>
#include <vector>

#include "xferval/params/parameter_set.hpp"
#include "xferval/params/spectrum.hpp"

namespace xferval::params {

inline constexpr double kRelativeEpsilon = 1e-12;

struct TensorDelta {
  std::string name;
  std::string layer;    // the name before its last dot
  bool buffer = false;  // BatchNorm running statistics: buffers, not parameters
  Dtype base_dtype = Dtype::F32, tuned_dtype = Dtype::F32;
  std::vector<uint64_t> shape;
  uint64_t values = 0;
  double mse = 0, max_abs_delta = 0, relative_l2 = 0, cosine = 0;
  double base_norm = 0, tuned_norm = 0, delta_norm = 0;
  uint64_t base_nan = 0, base_inf = 0, tuned_nan = 0, tuned_inf = 0;
  bool bit_identical = false;
  std::optional<PowerLawFit> base_alpha, tuned_alpha;  // 2-D floating tensors only
  std::string alpha_skipped;                           // why no fit was tried, when it was not
};

// A tensor only in tuned, or whose shape changed: what can be said of tuned alone.
struct TunedOnly {
  std::string name;
  std::string layer;
  Dtype dtype = Dtype::F32;
  std::vector<uint64_t> shape, base_shape;  // base_shape empty for an added tensor
  uint64_t nan = 0, inf = 0;
  std::optional<PowerLawFit> alpha;
  std::string alpha_skipped;
};

struct LayerSummary {
  std::string layer;
  size_t tensors = 0;
  uint64_t values = 0;
  double delta_squared = 0;  // ||theta - theta0||^2 over the layer: what L2-SP penalises
  double base_squared = 0;
  double relative_l2 = 0;  // sqrt(delta_squared) / (sqrt(base_squared) + 1e-12)
  double max_abs_delta = 0;
  bool bit_identical = true;
  uint64_t non_finite = 0;
};

struct Comparison {
  std::vector<TensorDelta> compared;  // in both, same shape; sorted by name
  std::vector<std::string> missing;   // only in base
  std::vector<TunedOnly> added;       // only in tuned
  std::vector<TunedOnly> reshaped;    // in both, shape changed
  std::vector<LayerSummary> layers;   // of the compared tensors, sorted by layer
  double task_vector_norm = 0;        // ||theta_tuned - theta_base|| over the compared parameters
  uint64_t bytes_read = 0;
};

struct CompareOptions {
  bool alpha = true;
  size_t alpha_max_evals = 2048;  // larger matrices are skipped: the eigensolver is cubic
  unsigned threads = 2;
  size_t block_values = 4096;
};

std::string layer_of(const std::string& name);
// running_mean, running_var and num_batches_tracked.
bool is_batchnorm_buffer(const std::string& name);

Comparison compare_parameters(const ParameterSet& base, const ParameterSet& tuned,
                              const CompareOptions& options = {});

}  // namespace xferval::params
