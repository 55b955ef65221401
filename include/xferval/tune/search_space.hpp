#pragma once
// A search space: named distributions in a fixed order, read from TOML:
//
//   [params.lr]
//   type = "float"          # float | int | categorical
//   low = 1e-5
//   high = 1e-1
//   log = true              # optional; step = 0.25 for a grid (not with log)
//   [params.optimizer]
//   type = "categorical"
//   choices = ["sgd", "adam", "adamw"]
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "xferval/tune/distribution.hpp"

namespace xferval::tune {

struct SearchSpace {
  std::vector<std::pair<std::string, Distribution>> params;  // in file order
  const Distribution* find(const std::string& name) const;
};

// Bad input is an InputError naming the file and "line L": low > high, log with low <= 0,
// an empty categorical, an unknown key or type, and a step that does not divide high - low
// (Optuna would warn and snap high down; a search-space file must say what it means).
SearchSpace parse_search_space(const std::string& toml_text, const std::string& file_name);
SearchSpace load_search_space(const std::filesystem::path& path);

// The documented default space for fine-tuning a pretrained model (docs/tune.md).
const std::string& default_fine_tuning_space_toml();
SearchSpace default_fine_tuning_space();

}  // namespace xferval::tune
