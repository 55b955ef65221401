// TorchModel's implementation on LibTorch (see torch_model.hpp for the model contract).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <optional>

#include "model/torch/torch_plugin.hpp"
#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"

namespace xferval::torch_plugin {

namespace {

// TorchScript mangles class names when one class is compiled more than once
// ("__torch__.torch.nn.modules.linear.___torch_mangle_3.Linear").
bool is_linear(const torch::jit::script::Module& module) {
  const auto type = module.type()->name();
  if (!type) return false;
  const std::string name = type->qualifiedName();
  const std::string prefix = "__torch__.torch.nn.modules.linear.", suffix = ".Linear";
  return name.rfind(prefix, 0) == 0 && name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// The interpreter's message ends with the failing operation's error after a traceback.
std::string last_error_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
  auto start = trimmed.rfind('\n');
  return start == std::string::npos ? trimmed : trimmed.substr(start + 1);
}

Eigen::MatrixXd to_matrix(const torch::Tensor& tensor) {
  torch::Tensor values = tensor.to(torch::kCPU, torch::kFloat64).contiguous();
  const auto rows = values.size(0), cols = values.size(1);
  Eigen::MatrixXd matrix(rows, cols);
  const double* data = values.data_ptr<double>();
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) matrix(i, j) = data[i * cols + j];
  }
  return matrix;
}

// Feature maps (N, C, H, W) are averaged over their spatial positions, as Lee et al. do; any
// other shape is flattened per sample.
torch::Tensor as_embedding(const torch::Tensor& output) {
  if (output.dim() == 4) return output.mean({2, 3});
  if (output.dim() == 2) return output;
  return output.reshape({output.size(0), -1});
}

std::string safetensors_dtype(c10::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "F32";
    case torch::kFloat64: return "F64";
    case torch::kFloat16: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kInt64: return "I64";
    case torch::kInt32: return "I32";
    case torch::kInt16: return "I16";
    case torch::kInt8: return "I8";
    case torch::kUInt8: return "U8";
    case torch::kBool: return "BOOL";
    default: return "";
  }
}

NamedTensor named_tensor(const std::string& name, const torch::Tensor& value, bool is_buffer, const std::string& path) {
  torch::Tensor tensor = value.detach().to(torch::kCPU).contiguous();
  NamedTensor out;
  out.name = name;
  out.dtype = safetensors_dtype(tensor.scalar_type());
  if (out.dtype.empty()) {
    throw InputError(path, name, fmt::format("tensor of type {} has no safetensors dtype", c10::toString(tensor.scalar_type())));
  }
  out.shape.assign(tensor.sizes().begin(), tensor.sizes().end());
  out.bytes.assign(static_cast<const char*>(tensor.data_ptr()), tensor.nbytes());  // x86-64: little-endian
  out.is_buffer = is_buffer;
  return out;
}

class ScriptedModel final : public TorchModelImpl {
 public:
  ScriptedModel(const std::string& path, ModelOptions options);

  const std::string& path() const override { return path_; }
  const std::string& content_hash() const override { return content_hash_; }
  const std::string& features_method() const override { return features_method_; }
  const std::string& head_name() const override { return head_name_; }
  int64_t head_inputs() const override { return head_inputs_; }
  int64_t head_outputs() const override { return head_outputs_; }
  std::string device() const override { return device_.is_cuda() ? "cuda" : "cpu"; }
  std::vector<std::string> method_names() const override;
  std::vector<ParameterFingerprint> fingerprints() const override;
  std::vector<NamedTensor> named_tensors() const override;
  ModelOutputs run(const std::vector<float>& inputs, size_t count, const std::vector<int64_t>& sample_shape,
                   const std::function<void(uint64_t, uint64_t)>& progress) const override;

 private:
  std::string path_;
  std::string content_hash_;
  ModelOptions options_;
  mutable torch::jit::script::Module module_;  // methods are not const in LibTorch
  std::string features_method_;
  std::string head_name_;
  int64_t head_inputs_ = 0;
  int64_t head_outputs_ = 0;
  mutable std::optional<torch::jit::script::Module> head_;
  torch::Device device_ = torch::kCPU;
};

ScriptedModel::ScriptedModel(const std::string& path, ModelOptions options)
    : path_(path), content_hash_(hash_file(path)), options_(std::move(options)) {
  try {
    module_ = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& error) {
    throw InputError(path, "", fmt::format("not a loadable TorchScript model ({}); export it with "
                                           "torch.jit.script(model).save(PATH)",
                                           first_line(error.what_without_backtrace())));
  }
  module_.eval();
  std::vector<std::string> candidates =
      options_.features_method.empty() ? std::vector<std::string>{"forward_features", "features"}
                                       : std::vector<std::string>{options_.features_method};
  for (const std::string& name : candidates) {
    if (module_.find_method(name)) {
      features_method_ = name;
      break;
    }
  }
  if (features_method_.empty()) {
    throw InputError(path, "",
                     fmt::format("no features method {}; the model has the methods {}. Export one with "
                                 "@torch.jit.export, or name it with --features-method",
                                 fmt::join(candidates, " or "), fmt::join(method_names(), ", ")));
  }
  // The head: the named module, or the Linear layer whose weight comes last in parameter order
  // (the order of definition; LibTorch's named_modules() is breadth-first).
  std::map<std::string, torch::jit::script::Module> modules;
  for (const auto& item : module_.named_modules()) modules.emplace(item.name, item.value);
  for (const auto& parameter : module_.named_parameters(true)) {
    const std::string& name = parameter.name;
    const std::string suffix = ".weight";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string owner = name.substr(0, name.size() - suffix.size());
    auto module = modules.find(owner);
    if (module == modules.end() || parameter.value.dim() != 2) continue;
    if (options_.head.empty() ? is_linear(module->second) : owner == options_.head) {
      head_name_ = owner;
      head_ = module->second;
      head_outputs_ = parameter.value.size(0);
      head_inputs_ = parameter.value.size(1);
    }
  }
  if (head_name_.empty() || head_outputs_ == 0) {
    throw InputError(path, "",
                     options_.head.empty() ? "no Linear layer to serve as the head; name it with --head"
                                           : fmt::format("no module '{}' with a 2-D weight for --head", options_.head));
  }
  if (options_.allow_cuda && torch::cuda::is_available()) {
    device_ = torch::kCUDA;
    module_.to(device_);
  }
}

std::vector<std::string> ScriptedModel::method_names() const {
  std::vector<std::string> names;
  for (const auto& method : module_.get_methods()) names.push_back(method.name());
  return names;
}

std::vector<ParameterFingerprint> ScriptedModel::fingerprints() const {
  std::vector<ParameterFingerprint> out;
  for (const auto& item : module_.named_parameters(true)) {
    torch::Tensor tensor = item.value.detach().to(torch::kCPU).contiguous();
    ParameterFingerprint fingerprint;
    fingerprint.name = item.name;
    fingerprint.shape.assign(tensor.sizes().begin(), tensor.sizes().end());
    fingerprint.dtype = std::string(c10::toString(tensor.scalar_type()));
    fingerprint.l2_norm = tensor.to(torch::kFloat64).norm().item<double>();
    fingerprint.hash = fmt::format("xxh3:{:016x}", hash_bytes(tensor.data_ptr(), tensor.nbytes()));
    out.push_back(std::move(fingerprint));
  }
  return out;
}

std::vector<NamedTensor> ScriptedModel::named_tensors() const {
  std::vector<NamedTensor> out;
  for (const auto& item : module_.named_parameters(true)) out.push_back(named_tensor(item.name, item.value, false, path_));
  for (const auto& item : module_.named_buffers(true)) out.push_back(named_tensor(item.name, item.value, true, path_));
  return out;
}

ModelOutputs ScriptedModel::run(const std::vector<float>& inputs, size_t count,
                                const std::vector<int64_t>& sample_shape,
                                const std::function<void(uint64_t, uint64_t)>& progress) const {
  torch::NoGradGuard no_grad;
  int64_t sample_size = 1;
  for (int64_t d : sample_shape) sample_size *= d;
  const auto batch = std::max<int64_t>(1, options_.batch_size);
  std::vector<torch::Tensor> embeddings, logits;
  auto features = module_.get_method(features_method_);
  bool head_after_features = false;
  for (int64_t start = 0; start < static_cast<int64_t>(count); start += batch) {
    const int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(count) - start);
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
    torch::Tensor x = torch::from_blob(const_cast<float*>(inputs.data()) + start * sample_size, shape,
                                       torch::kFloat32).to(device_);
    torch::Tensor embedding, output;
    try {
      torch::Tensor raw = features({x}).toTensor();
      embedding = as_embedding(raw);
      // Most models compute forward(x) as head(features(x)): checked on the first batch, then the
      // head alone turns embeddings into logits, which halves the work.
      if (head_after_features) {
        output = head_->forward({raw}).toTensor();
      } else {
        output = module_.forward({x}).toTensor();
        if (start == 0 && head_ && raw.dim() == 2 && raw.size(1) == head_inputs_) {
          torch::Tensor through_head = head_->forward({raw}).toTensor();
          head_after_features = through_head.sizes() == output.sizes() &&
                                torch::allclose(through_head, output, 1e-5, 1e-6);
        }
      }
    } catch (const std::exception& error) {  // c10::Error, or the interpreter's wrapping of one
      throw InputError(path_, "",
                       fmt::format("the model rejects samples of shape {} (batch {}): {}",
                                   fmt::join(sample_shape, "x"), fmt::join(shape, "x"),
                                   last_error_line(error.what())));
    }
    if (output.dim() != 2 || output.size(0) != n) {
      throw InputError(path_, "", fmt::format("forward returned shape {}; expected (batch, classes)",
                                              fmt::join(output.sizes(), "x")));
    }
    if (!torch::isfinite(output).all().item<bool>() || !torch::isfinite(embedding).all().item<bool>()) {
      throw InputError(path_, "", fmt::format("the model outputs NaN or infinity for samples {} to {}", start,
                                              start + n - 1));
    }
    embeddings.push_back(embedding.to(torch::kCPU));
    logits.push_back(output.to(torch::kCPU));
    if (progress) progress(static_cast<uint64_t>(start + n), count);
  }
  ModelOutputs out;
  if (count == 0) return out;
  out.embeddings = to_matrix(torch::cat(embeddings));
  out.logits = to_matrix(torch::cat(logits));
  return out;
}

}  // namespace

std::unique_ptr<TorchModelImpl> load_scripted_model(const std::string& path, const ModelOptions& options) {
  return std::make_unique<ScriptedModel>(path, options);
}

}  // namespace xferval::torch_plugin
