#include "xferval/model/torch_model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <optional>

#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"

namespace xferval {

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

}  // namespace

struct TorchModel::Impl {
  std::string path;
  std::string content_hash;
  ModelOptions options;
  torch::jit::script::Module module;
  std::string features_method;
  std::string head_name;
  int64_t head_inputs = 0;
  int64_t head_outputs = 0;
  mutable std::optional<torch::jit::script::Module> head;  // methods are not const in LibTorch
  torch::Device device = torch::kCPU;
};

TorchModel::TorchModel(const std::string& path, ModelOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = path;
  m.options = std::move(options);
  m.content_hash = hash_file(path);
  try {
    m.module = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& error) {
    throw InputError(path, "", fmt::format("not a loadable TorchScript model ({}); export it with "
                                           "torch.jit.script(model).save(PATH)",
                                           first_line(error.what_without_backtrace())));
  }
  m.module.eval();
  std::vector<std::string> candidates =
      m.options.features_method.empty() ? std::vector<std::string>{"forward_features", "features"}
                                        : std::vector<std::string>{m.options.features_method};
  for (const std::string& name : candidates) {
    if (m.module.find_method(name)) {
      m.features_method = name;
      break;
    }
  }
  if (m.features_method.empty()) {
    throw InputError(path, "",
                     fmt::format("no features method {}; the model has the methods {}. Export one with "
                                 "@torch.jit.export, or name it with --features-method",
                                 fmt::join(candidates, " or "), fmt::join(method_names(), ", ")));
  }
  // The head: the named module, or the Linear layer whose weight comes last in parameter order
  // (the order of definition; LibTorch's named_modules() is breadth-first).
  std::map<std::string, torch::jit::script::Module> modules;
  for (const auto& item : m.module.named_modules()) modules.emplace(item.name, item.value);
  for (const auto& parameter : m.module.named_parameters(true)) {
    const std::string& name = parameter.name;
    const std::string suffix = ".weight";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string owner = name.substr(0, name.size() - suffix.size());
    auto module = modules.find(owner);
    if (module == modules.end() || parameter.value.dim() != 2) continue;
    if (m.options.head.empty() ? is_linear(module->second) : owner == m.options.head) {
      m.head_name = owner;
      m.head = module->second;
      m.head_outputs = parameter.value.size(0);
      m.head_inputs = parameter.value.size(1);
    }
  }
  if (m.head_name.empty() || m.head_outputs == 0) {
    throw InputError(path, "",
                     m.options.head.empty() ? "no Linear layer to serve as the head; name it with --head"
                                            : fmt::format("no module '{}' with a 2-D weight for --head", m.options.head));
  }
  if (m.options.allow_cuda && torch::cuda::is_available()) {
    m.device = torch::kCUDA;
    m.module.to(m.device);
  }
}

TorchModel::~TorchModel() = default;
TorchModel::TorchModel(TorchModel&&) noexcept = default;
TorchModel& TorchModel::operator=(TorchModel&&) noexcept = default;

const std::string& TorchModel::path() const { return impl_->path; }
const std::string& TorchModel::content_hash() const { return impl_->content_hash; }
const std::string& TorchModel::features_method() const { return impl_->features_method; }
const std::string& TorchModel::head_name() const { return impl_->head_name; }
int64_t TorchModel::head_inputs() const { return impl_->head_inputs; }
int64_t TorchModel::head_outputs() const { return impl_->head_outputs; }
std::string TorchModel::device() const { return impl_->device.is_cuda() ? "cuda" : "cpu"; }

std::vector<std::string> TorchModel::method_names() const {
  std::vector<std::string> names;
  for (const auto& method : impl_->module.get_methods()) names.push_back(method.name());
  return names;
}

std::vector<ParameterFingerprint> TorchModel::fingerprints() const {
  std::vector<ParameterFingerprint> out;
  for (const auto& item : impl_->module.named_parameters(true)) {
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

namespace {

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

}  // namespace

std::vector<NamedTensor> TorchModel::named_tensors() const {
  std::vector<NamedTensor> out;
  for (const auto& item : impl_->module.named_parameters(true)) out.push_back(named_tensor(item.name, item.value, false, impl_->path));
  for (const auto& item : impl_->module.named_buffers(true)) out.push_back(named_tensor(item.name, item.value, true, impl_->path));
  return out;
}

ModelOutputs TorchModel::run(const std::vector<float>& inputs, size_t count, const std::vector<int64_t>& sample_shape,
                             const std::function<void(uint64_t, uint64_t)>& progress) const {
  const Impl& m = *impl_;
  torch::NoGradGuard no_grad;
  int64_t sample_size = 1;
  for (int64_t d : sample_shape) sample_size *= d;
  const auto batch = std::max<int64_t>(1, m.options.batch_size);
  std::vector<torch::Tensor> embeddings, logits;
  auto& module = const_cast<torch::jit::script::Module&>(m.module);  // methods are not const in LibTorch
  auto features = module.get_method(m.features_method);
  bool head_after_features = false;
  for (int64_t start = 0; start < static_cast<int64_t>(count); start += batch) {
    const int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(count) - start);
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
    torch::Tensor x = torch::from_blob(const_cast<float*>(inputs.data()) + start * sample_size, shape,
                                       torch::kFloat32).to(m.device);
    torch::Tensor embedding, output;
    try {
      torch::Tensor raw = features({x}).toTensor();
      embedding = as_embedding(raw);
      // Most models compute forward(x) as head(features(x)): checked on the first batch, then the
      // head alone turns embeddings into logits, which halves the work.
      if (head_after_features) {
        output = m.head->forward({raw}).toTensor();
      } else {
        output = module.forward({x}).toTensor();
        if (start == 0 && m.head && raw.dim() == 2 && raw.size(1) == m.head_inputs) {
          torch::Tensor through_head = m.head->forward({raw}).toTensor();
          head_after_features = through_head.sizes() == output.sizes() &&
                                torch::allclose(through_head, output, 1e-5, 1e-6);
        }
      }
    } catch (const std::exception& error) {  // c10::Error, or the interpreter's wrapping of one
      throw InputError(m.path, "",
                       fmt::format("the model rejects samples of shape {} (batch {}): {}",
                                   fmt::join(sample_shape, "x"), fmt::join(shape, "x"),
                                   last_error_line(error.what())));
    }
    if (output.dim() != 2 || output.size(0) != n) {
      throw InputError(m.path, "", fmt::format("forward returned shape {}; expected (batch, classes)",
                                               fmt::join(output.sizes(), "x")));
    }
    if (!torch::isfinite(output).all().item<bool>() || !torch::isfinite(embedding).all().item<bool>()) {
      throw InputError(m.path, "", fmt::format("the model outputs NaN or infinity for samples {} to {}", start,
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

}  // namespace xferval
