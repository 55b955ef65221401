#pragma once
// Fine-tuning a pretrained TorchScript model on target data with LibTorch: head surgery for the
// target label set, freezing, SGD/Adam/AdamW with a schedule and warm-up, L2-SP toward the
// pretrained weights (Li et al. 2018), label smoothing, a stratified validation split and early
// stopping. The data stays in one tensor over the caller's ModelInputs (no copy per epoch).
//
// No LibTorch header here (their parse costs ~40 s a file): the module is behind a pointer, in the
// LibTorch plugin (src/model/torch/), loaded the first time a model is constructed.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xferval/model/model_inputs.hpp"
#include "xferval/model/torch_model.hpp"

namespace xferval {

struct FineTuneConfig {
  double learning_rate = 1e-3;
  double weight_decay = 0.0;  // the optimizer's own decay (decoupled for AdamW)
  int64_t epochs = 10;
  int64_t batch_size = 64;
  std::string optimizer = "adam";  // sgd (with momentum) | adam | adamw
  double momentum = 0.9;
  bool nesterov = false;
  // none | backbone (everything but the head) | comma-separated name globs such as "features.0.*"
  // (a name without a wildcard also freezes everything under it).
  std::string freeze = "none";
  double label_smoothing = 0.0;
  double l2sp_alpha = 0.0;            // alpha/2 |w - w0|^2 over the trainable backbone parameters
  double l2sp_beta = 0.0;             // beta/2 |w|^2 over the head parameters
  std::string schedule = "constant";  // constant | cosine (to 0) | step (x0.1 at 1/2 and 3/4)
  double warmup_fraction = 0.0;       // share of all steps with a linear warm-up
  int64_t patience = 0;               // stop after this many epochs without a better accuracy; 0 never
  uint64_t seed = 0;
  bool allow_cuda = true;
};

// LibTorch's intra-op thread count (torch::set_num_threads); 0 leaves LibTorch's default (and does
// not load LibTorch).
void set_training_threads(int threads);

// Throws UsageError naming the field when a value is out of range or unknown.
void validate(const FineTuneConfig& config);

struct DataSplit {
  std::vector<size_t> train;       // sample indices, ascending
  std::vector<size_t> validation;  // sample indices, ascending
};
// Stratified: each class with 2+ samples gives round(fraction * count) of them (at least 1, at
// most count - 1) to validation, chosen with `seed`. Samples of class < 0 are left out.
DataSplit stratified_split(const std::vector<int>& classes, double validation_fraction, uint64_t seed);

struct EpochMetrics {
  int64_t epoch = 0;  // 0-based
  double train_loss = 0.0;
  double validation_loss = 0.0;      // NaN without validation samples
  double validation_accuracy = 0.0;  // NaN without validation samples
  double learning_rate = 0.0;        // at the epoch's last step
  double seconds = 0.0;              // training steps only
};

struct FineTuneResult {
  std::vector<EpochMetrics> epochs;
  double best_validation_accuracy = 0.0;
  int64_t best_epoch = -1;
  bool stopped_early = false;      // patience ran out
  bool stopped_by_caller = false;  // on_epoch returned false (a pruned trial)
  bool diverged = false;           // the loss became NaN or infinite
};

class FineTunerImpl;  // src/model/torch_backend.hpp

class FineTuner {
 public:
  // Loads the parent model (InputError as TorchModel). The head is replaced by a fresh Linear with
  // `classes` outputs (nn.Linear's init, seeded) when `reset_head` or when its output count differs.
  FineTuner(const std::string& model_path, int64_t classes, bool reset_head, const FineTuneConfig& config,
            const ModelOptions& model_options = {});
  ~FineTuner();
  FineTuner(FineTuner&&) noexcept;
  FineTuner& operator=(FineTuner&&) noexcept;

  // Trains on split.train, scoring split.validation after each epoch; `on_epoch` returning false
  // stops (the pruner's verdict). The weights of the best validation epoch are kept at the end
  // (the last epoch's without validation). `classes` holds one class index per sample.
  FineTuneResult train(const ModelInputs& inputs, const std::vector<int>& classes, const DataSplit& split,
                       const std::function<bool(const EpochMetrics&)>& on_epoch = {});

  // The L2-SP term at the current weights (alpha and beta of the config).
  double l2sp_penalty() const;
  // Logits, samples x head_outputs(), row-major.
  std::vector<float> predict(const ModelInputs& inputs) const;
  // Every parameter's values (on the CPU), by name.
  std::map<std::string, std::vector<float>> parameters() const;
  std::vector<std::string> frozen_parameters() const;
  const std::string& head_name() const;
  int64_t head_outputs() const;
  bool head_was_reset() const;
  std::string device() const;

  // Writes the model as TorchScript (eval mode, CPU tensors): to a temporary file in the same
  // folder, then renamed, so a reader never sees half a model.
  void save(const std::string& path) const;

 private:
  std::unique_ptr<FineTunerImpl> impl_;
};

}  // namespace xferval
