// FineTuner's implementation: the training loop on LibTorch. The parent TorchScript module is
// trained in place: its parameter tensors are the ones the optimizer updates, so saving the module
// saves the tuned weights.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fnmatch.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "model/torch/torch_plugin.hpp"
#include "xferval/core/error.hpp"

namespace xferval::torch_plugin {

namespace {

namespace F = torch::nn::functional;

std::vector<std::string> split_patterns(const std::string& text) {
  std::vector<std::string> patterns;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string pattern = text.substr(start, end - start);
    while (!pattern.empty() && pattern.front() == ' ') pattern.erase(pattern.begin());
    while (!pattern.empty() && pattern.back() == ' ') pattern.pop_back();
    if (!pattern.empty()) patterns.push_back(pattern);
    start = end + 1;
  }
  return patterns;
}

// A glob, or a module path that freezes everything under it ("features.0").
bool matches(const std::string& pattern, const std::string& name) {
  if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
  return name.size() > pattern.size() && name.compare(0, pattern.size(), pattern) == 0 &&
         name[pattern.size()] == '.';
}

bool under(const std::string& prefix, const std::string& name) {
  return name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
         name[prefix.size()] == '.';
}

// Learning-rate multiplier at `step` of `total`: linear warm-up, then the schedule over the rest.
double schedule_factor(const FineTuneConfig& config, int64_t step, int64_t total) {
  const auto warmup = static_cast<int64_t>(std::llround(config.warmup_fraction * static_cast<double>(total)));
  if (step < warmup) return static_cast<double>(step + 1) / static_cast<double>(warmup);
  const double progress =
      total > warmup ? static_cast<double>(step - warmup) / static_cast<double>(total - warmup) : 0.0;
  if (config.schedule == "cosine") return 0.5 * (1.0 + std::cos(M_PI * progress));
  if (config.schedule == "step") return (progress >= 0.5 ? 0.1 : 1.0) * (progress >= 0.75 ? 0.1 : 1.0);
  return 1.0;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const FineTuneConfig& config,
                                                        const std::vector<torch::Tensor>& parameters) {
  if (config.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(parameters, torch::optim::SGDOptions(config.learning_rate)
                                                               .momentum(config.momentum)
                                                               .nesterov(config.nesterov)
                                                               .weight_decay(config.weight_decay));
  }
  if (config.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(
        parameters, torch::optim::AdamWOptions(config.learning_rate).weight_decay(config.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(
      parameters, torch::optim::AdamOptions(config.learning_rate).weight_decay(config.weight_decay));
}

class ScriptedFineTuner final : public FineTunerImpl {
 public:
  ScriptedFineTuner(const std::string& model_path, int64_t classes, bool reset_head, const FineTuneConfig& config,
                    const ModelOptions& model_options);

  FineTuneResult train(const ModelInputs& inputs, const std::vector<int>& classes, const DataSplit& split,
                       const std::function<bool(const EpochMetrics&)>& on_epoch) override;
  double l2sp_penalty() const override;
  std::vector<float> predict(const ModelInputs& inputs) override;
  std::map<std::string, std::vector<float>> parameters() const override;
  std::vector<std::string> frozen_parameters() const override;
  const std::string& head_name() const override { return head_name_; }
  int64_t head_outputs() const override { return head_outputs_; }
  bool head_was_reset() const override { return head_reset_; }
  std::string device() const override { return device_.is_cuda() ? "cuda" : "cpu"; }
  void save(const std::string& path) override;

 private:
  void replace_head(int64_t classes);
  void apply_freezing();
  torch::Tensor l2sp_term() const;
  torch::Tensor forward(const torch::Tensor& x) { return module_.forward({x}).toTensor(); }
  std::pair<double, double> evaluate(const torch::Tensor& data, const torch::Tensor& labels);

  std::string path_;
  FineTuneConfig config_;
  torch::jit::script::Module module_;
  std::string head_name_;
  int64_t head_outputs_ = 0;
  bool head_reset_ = false;
  torch::Device device_ = torch::kCPU;
  std::vector<std::string> names_;      // parameter names, in module order
  std::vector<torch::Tensor> tensors_;  // the module's own parameter tensors
  std::vector<bool> frozen_, in_head_;
  std::vector<torch::Tensor> pretrained_;  // backbone starting point (L2-SP), defined where used
};

void ScriptedFineTuner::replace_head(int64_t classes) {
  for (const auto& item : module_.named_modules()) {
    if (item.name != head_name_) continue;
    torch::jit::script::Module head = item.value;  // a handle: changes reach the parent
    torch::Tensor old_weight = head.attr("weight").toTensor();
    const int64_t inputs = old_weight.size(1);
    auto options = old_weight.options();
    torch::NoGradGuard no_grad;
    // nn.Linear.reset_parameters: kaiming_uniform(a=sqrt(5)) on the weight, U(-1/sqrt(fan_in), ..)
    // on the bias, from a fixed seed so that every trial starts from the same head.
    torch::manual_seed(config_.seed);
    torch::Tensor weight = torch::empty({classes, inputs}, options);
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    head.setattr("weight", weight);
    if (head.hasattr("bias") && head.attr("bias").isTensor()) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(inputs));
      head.setattr("bias", torch::empty({classes}, options).uniform_(-bound, bound));
    }
    // nn.Linear compiles out_features as a constant, which forward never reads; only a plain
    // attribute of that name can be kept in step.
    if (head.type()->hasAttribute("out_features")) head.setattr("out_features", classes);
    head_outputs_ = classes;
    head_reset_ = true;
    return;
  }
  throw InputError(path_, "", fmt::format("no head module '{}' to replace", head_name_));
}

void ScriptedFineTuner::apply_freezing() {
  std::vector<std::string> patterns;
  if (config_.freeze != "none" && config_.freeze != "backbone") patterns = split_patterns(config_.freeze);
  std::set<std::string> unused(patterns.begin(), patterns.end());
  for (size_t i = 0; i < names_.size(); ++i) {
    bool freeze = config_.freeze == "backbone" && !in_head_[i];
    for (const std::string& pattern : patterns) {
      if (matches(pattern, names_[i])) {
        freeze = true;
        unused.erase(pattern);
      }
    }
    frozen_[i] = freeze;
    tensors_[i].requires_grad_(!freeze);
  }
  if (!unused.empty()) {
    throw UsageError(fmt::format("freeze pattern {} matches no parameter; the parameters are {}",
                                 fmt::join(unused, ", "), fmt::join(names_, ", ")));
  }
}

torch::Tensor ScriptedFineTuner::l2sp_term() const {
  torch::Tensor total = torch::zeros({}, torch::TensorOptions().device(device_));
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (frozen_[i]) continue;
    if (in_head_[i]) {
      if (config_.l2sp_beta > 0) total = total + 0.5 * config_.l2sp_beta * tensors_[i].pow(2).sum();
    } else if (config_.l2sp_alpha > 0) {
      total = total + 0.5 * config_.l2sp_alpha * (tensors_[i] - pretrained_[i]).pow(2).sum();
    }
  }
  return total;
}

// Mean cross-entropy (no smoothing) and accuracy over `data`, in eval mode.
std::pair<double, double> ScriptedFineTuner::evaluate(const torch::Tensor& data, const torch::Tensor& labels) {
  const int64_t count = data.size(0);
  if (count == 0) return {std::nan(""), std::nan("")};
  torch::NoGradGuard no_grad;
  module_.eval();
  double loss = 0.0;
  int64_t correct = 0;
  constexpr int64_t kBatch = 1024;
  for (int64_t start = 0; start < count; start += kBatch) {
    const int64_t n = std::min(kBatch, count - start);
    torch::Tensor logits = forward(data.narrow(0, start, n));
    torch::Tensor y = labels.narrow(0, start, n);
    loss += F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  module_.train();
  return {loss / static_cast<double>(count), static_cast<double>(correct) / static_cast<double>(count)};
}

// FineTuner's constructor checks the configuration and the class count before it gets here.
ScriptedFineTuner::ScriptedFineTuner(const std::string& model_path, int64_t classes, bool reset_head,
                                     const FineTuneConfig& config, const ModelOptions& model_options)
    : path_(model_path), config_(config) {
  {
    // Finds the head as every verb does (and reports an unusable file the same way).
    ModelOptions probe_options = model_options;
    probe_options.allow_cuda = false;
    const std::unique_ptr<TorchModelImpl> probe = load_scripted_model(model_path, probe_options);
    head_name_ = probe->head_name();
    head_outputs_ = probe->head_outputs();
  }
  module_ = torch::jit::load(model_path, torch::kCPU);
  if (reset_head || head_outputs_ != classes) replace_head(classes);
  for (const auto& item : module_.named_parameters(true)) {
    names_.push_back(item.name);
    tensors_.push_back(item.value);
    in_head_.push_back(under(head_name_, item.name));
  }
  frozen_.assign(names_.size(), false);
  apply_freezing();
  if (config.allow_cuda && model_options.allow_cuda && torch::cuda::is_available()) {
    device_ = torch::kCUDA;
    module_.to(device_);
    tensors_.clear();
    for (const auto& item : module_.named_parameters(true)) tensors_.push_back(item.value);
  }
  pretrained_.resize(tensors_.size());
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (!in_head_[i] && !frozen_[i]) pretrained_[i] = tensors_[i].detach().clone();
  }
  module_.train();
}

FineTuneResult ScriptedFineTuner::train(const ModelInputs& inputs, const std::vector<int>& classes,
                                        const DataSplit& split,
                                        const std::function<bool(const EpochMetrics&)>& on_epoch) {
  const FineTuneConfig& config = config_;
  if (classes.size() != inputs.count) {
    throw UsageError(fmt::format("{} class indices for {} samples", classes.size(), inputs.count));
  }
  if (static_cast<int64_t>(split.train.size()) < config.batch_size) {
    throw InputError(inputs.content_hash, "",
                     fmt::format("{} training samples, fewer than the batch size {}", split.train.size(),
                                 config.batch_size));
  }
  // The graph executor's optimising passes profile and differentiate the graph themselves, which
  // for training costs more than they save (measured: bench/train_epoch_vs_torch.py); without
  // them the module's operations run eagerly under autograd, as a Python loop runs them.
  struct ExecutorOptimizeOff {
    bool previous = torch::jit::getGraphExecutorOptimize();
    ExecutorOptimizeOff() { torch::jit::setGraphExecutorOptimize(false); }
    ~ExecutorOptimizeOff() { torch::jit::setGraphExecutorOptimize(previous); }
  } executor_optimize_off;
  torch::manual_seed(config.seed);
  // One view over the caller's floats; only the chosen rows of a batch are gathered.
  std::vector<int64_t> shape{static_cast<int64_t>(inputs.count)};
  shape.insert(shape.end(), inputs.sample_shape.begin(), inputs.sample_shape.end());
  torch::Tensor all = torch::from_blob(const_cast<float*>(inputs.values.data()), shape, torch::kFloat32);
  torch::Tensor all_labels =
      torch::tensor(std::vector<int64_t>(classes.begin(), classes.end()), torch::kInt64);
  auto index_tensor = [](const std::vector<size_t>& indices) {
    return torch::tensor(std::vector<int64_t>(indices.begin(), indices.end()), torch::kInt64);
  };
  torch::Tensor train_index = index_tensor(split.train);
  torch::Tensor validation_data = all.index_select(0, index_tensor(split.validation)).to(device_);
  torch::Tensor validation_labels = all_labels.index_select(0, index_tensor(split.validation)).to(device_);
  torch::Tensor train_labels = all_labels.to(device_);
  torch::Tensor data = device_.is_cuda() ? all.to(device_) : all;

  std::vector<torch::Tensor> trainable;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (!frozen_[i]) trainable.push_back(tensors_[i]);
  }
  if (trainable.empty()) throw UsageError("every parameter is frozen: nothing to fine-tune");
  auto optimizer = make_optimizer(config, trainable);
  const bool regularised = config.l2sp_alpha > 0 || config.l2sp_beta > 0;
  auto loss_options = F::CrossEntropyFuncOptions().label_smoothing(config.label_smoothing);

  const auto train_count = static_cast<int64_t>(split.train.size());
  const int64_t steps_per_epoch = (train_count + config.batch_size - 1) / config.batch_size;
  const int64_t total_steps = steps_per_epoch * config.epochs;
  std::mt19937_64 shuffler(config.seed);
  std::vector<int64_t> order(static_cast<size_t>(train_count));

  FineTuneResult result;
  std::vector<torch::Tensor> best_weights;
  int64_t step = 0, epochs_without_gain = 0;
  module_.train();
  for (int64_t epoch = 0; epoch < config.epochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), shuffler);
    torch::Tensor epoch_index =
        train_index.index_select(0, torch::from_blob(order.data(), {train_count}, torch::kInt64));
    if (device_.is_cuda()) epoch_index = epoch_index.to(device_);
    double loss_sum = 0.0, learning_rate = config.learning_rate;
    torch::Tensor epoch_loss = torch::zeros({}, torch::TensorOptions().device(device_));
    for (int64_t start = 0; start < train_count; start += config.batch_size, ++step) {
      const int64_t n = std::min(config.batch_size, train_count - start);
      torch::Tensor batch_index = epoch_index.narrow(0, start, n);
      learning_rate = config.learning_rate * schedule_factor(config, step, total_steps);
      for (auto& group : optimizer->param_groups()) group.options().set_lr(learning_rate);
      torch::Tensor logits = forward(data.index_select(0, batch_index));
      torch::Tensor loss = F::cross_entropy(logits, train_labels.index_select(0, batch_index), loss_options);
      if (regularised) loss = loss + l2sp_term();
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
      // Summed on the device, read once per epoch: a per-step item() would synchronise CUDA.
      epoch_loss += loss.detach() * static_cast<double>(n);
    }
    loss_sum = epoch_loss.item<double>();
    EpochMetrics metrics;
    metrics.epoch = epoch;
    metrics.train_loss = loss_sum / static_cast<double>(train_count);
    metrics.learning_rate = learning_rate;
    metrics.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!std::isfinite(metrics.train_loss)) {
      result.diverged = true;
      result.epochs.push_back(metrics);
      break;
    }
    std::tie(metrics.validation_loss, metrics.validation_accuracy) =
        evaluate(validation_data, validation_labels);
    result.epochs.push_back(metrics);
    const bool has_validation = !std::isnan(metrics.validation_accuracy);
    if (!has_validation || result.best_epoch < 0 ||
        metrics.validation_accuracy > result.best_validation_accuracy) {
      result.best_validation_accuracy = has_validation ? metrics.validation_accuracy : std::nan("");
      result.best_epoch = epoch;
      epochs_without_gain = 0;
      if (has_validation && epoch + 1 < config.epochs) {
        torch::NoGradGuard no_grad;
        best_weights.clear();
        for (const torch::Tensor& tensor : tensors_) best_weights.push_back(tensor.detach().clone());
      } else {
        best_weights.clear();  // the current weights are the best
      }
    } else {
      ++epochs_without_gain;
    }
    if (on_epoch && !on_epoch(metrics)) {
      result.stopped_by_caller = true;
      break;
    }
    if (config.patience > 0 && epochs_without_gain >= config.patience) {
      result.stopped_early = true;
      break;
    }
  }
  if (!best_weights.empty() && result.best_epoch + 1 != static_cast<int64_t>(result.epochs.size())) {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < tensors_.size(); ++i) tensors_[i].copy_(best_weights[i]);
  }
  module_.eval();
  return result;
}

double ScriptedFineTuner::l2sp_penalty() const {
  torch::NoGradGuard no_grad;
  return l2sp_term().item<double>();
}

std::vector<float> ScriptedFineTuner::predict(const ModelInputs& inputs) {
  std::vector<int64_t> shape{static_cast<int64_t>(inputs.count)};
  shape.insert(shape.end(), inputs.sample_shape.begin(), inputs.sample_shape.end());
  torch::Tensor all = torch::from_blob(const_cast<float*>(inputs.values.data()), shape, torch::kFloat32);
  torch::NoGradGuard no_grad;
  module_.eval();
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < all.size(0); start += 1024) {
    const int64_t n = std::min<int64_t>(1024, all.size(0) - start);
    parts.push_back(forward(all.narrow(0, start, n).to(device_)).to(torch::kCPU, torch::kFloat32));
  }
  if (parts.empty()) return {};
  torch::Tensor logits = torch::cat(parts).contiguous();
  return std::vector<float>(logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
}

std::map<std::string, std::vector<float>> ScriptedFineTuner::parameters() const {
  std::map<std::string, std::vector<float>> out;
  for (size_t i = 0; i < names_.size(); ++i) {
    torch::Tensor values = tensors_[i].detach().to(torch::kCPU, torch::kFloat32).contiguous();
    out[names_[i]] =
        std::vector<float>(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  }
  return out;
}

std::vector<std::string> ScriptedFineTuner::frozen_parameters() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (frozen_[i]) out.push_back(names_[i]);
  }
  return out;
}

void ScriptedFineTuner::save(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path destination(path);
  const fs::path temporary =
      destination.parent_path() / fmt::format(".{}.tmp-{}", destination.filename().string(), getpid());
  module_.eval();
  if (device_.is_cuda()) module_.to(torch::kCPU);
  try {
    module_.save(temporary.string());
    fs::rename(temporary, destination);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    if (device_.is_cuda()) module_.to(device_);
    throw;
  }
  if (device_.is_cuda()) module_.to(device_);
}

}  // namespace

std::unique_ptr<FineTunerImpl> load_fine_tuner(const std::string& model_path, int64_t classes, bool reset_head,
                                               const FineTuneConfig& config, const ModelOptions& model_options) {
  return std::make_unique<ScriptedFineTuner>(model_path, classes, reset_head, config, model_options);
}

void set_intra_op_threads(int threads) { torch::set_num_threads(threads); }

}  // namespace xferval::torch_plugin
