#pragma once
// Data assembled into what a model takes, as its card says: tabular rows as z-scores in the
// card's feature order; images and tensors as float NCHW samples, (value - channel mean) /
// channel std with values in their stored units. No LibTorch here.
#include <cstdint>
#include <string>
#include <vector>

#include "xferval/card/card.hpp"
#include "xferval/profile/builder.hpp"
#include "xferval/profile/table_loader.hpp"

namespace xferval {

struct ModelInputs {
  std::vector<float> values;           // count x product(sample_shape), row-major
  size_t count = 0;
  std::vector<int64_t> sample_shape;   // e.g. {30} or {1, 28, 28}
  std::vector<std::string> labels;     // per sample, empty without labels
  uint64_t imputed_cells = 0;          // tabular cells missing or non-finite, given the mean (0)
  std::string content_hash;
};

// Reads `path` (any supported format) and assembles it for a model described by `input`. A
// tabular input missing one of the card's features is an InputError naming it.
ModelInputs assemble_model_inputs(const std::string& path, const ProfileOptions& options, const InputSpec& input,
                                  const std::string& label_column);

// A tabular input already in memory, assembled the same way.
ModelInputs tabular_model_inputs(const Table& table, const InputSpec& input);

// Class indices of labels in the order of `names`; -1 for a label not among them.
std::vector<int> label_indices(const std::vector<std::string>& labels, const std::vector<std::string>& names);
// The distinct labels in numeric order when all are numbers, else text order.
std::vector<std::string> ordered_label_set(const std::vector<std::string>& labels);

}  // namespace xferval
