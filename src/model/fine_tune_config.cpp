// The parts of fine-tuning that need no LibTorch: option checks and the validation split.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "xferval/core/error.hpp"
#include "xferval/model/fine_tune.hpp"

namespace xferval {

void validate(const FineTuneConfig& config) {
  auto fail = [](const std::string& message) { throw UsageError("fine-tuning: " + message); };
  if (!(config.learning_rate > 0) || !std::isfinite(config.learning_rate))
    fail(fmt::format("learning_rate must be > 0, not {}", config.learning_rate));
  if (!(config.weight_decay >= 0))
    fail(fmt::format("weight_decay must be >= 0, not {}", config.weight_decay));
  if (config.epochs < 1) fail(fmt::format("epochs must be >= 1, not {}", config.epochs));
  if (config.batch_size < 1) fail(fmt::format("batch_size must be >= 1, not {}", config.batch_size));
  if (config.optimizer != "sgd" && config.optimizer != "adam" && config.optimizer != "adamw")
    fail(fmt::format("optimizer '{}' is not one of sgd, adam, adamw", config.optimizer));
  if (config.schedule != "constant" && config.schedule != "cosine" && config.schedule != "step")
    fail(fmt::format("schedule '{}' is not one of constant, cosine, step", config.schedule));
  if (!(config.label_smoothing >= 0 && config.label_smoothing < 1))
    fail(fmt::format("label_smoothing must be in [0, 1), not {}", config.label_smoothing));
  if (!(config.l2sp_alpha >= 0) || !(config.l2sp_beta >= 0)) fail("the L2-SP strengths must be >= 0");
  if (!(config.warmup_fraction >= 0 && config.warmup_fraction <= 1))
    fail(fmt::format("warmup_fraction must be in [0, 1], not {}", config.warmup_fraction));
  if (config.patience < 0) fail(fmt::format("patience must be >= 0, not {}", config.patience));
  if (config.freeze.empty()) fail("freeze must be none, backbone or name patterns");
}

DataSplit stratified_split(const std::vector<int>& classes, double validation_fraction, uint64_t seed) {
  if (!(validation_fraction >= 0 && validation_fraction < 1)) {
    throw UsageError(fmt::format("the validation fraction must be in [0, 1), not {}", validation_fraction));
  }
  std::map<int, std::vector<size_t>> by_class;
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] >= 0) by_class[classes[i]].push_back(i);
  }
  std::mt19937_64 engine(seed);
  DataSplit split;
  for (auto& [label, members] : by_class) {
    std::shuffle(members.begin(), members.end(), engine);
    size_t held = 0;
    if (validation_fraction > 0 && members.size() >= 2) {
      held = static_cast<size_t>(std::llround(validation_fraction * static_cast<double>(members.size())));
      held = std::clamp<size_t>(held, 1, members.size() - 1);
    }
    split.validation.insert(split.validation.end(), members.begin(),
                            members.begin() + static_cast<ptrdiff_t>(held));
    split.train.insert(split.train.end(), members.begin() + static_cast<ptrdiff_t>(held), members.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  return split;
}

}  // namespace xferval
