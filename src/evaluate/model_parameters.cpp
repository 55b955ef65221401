#include "xferval/evaluate/model_parameters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "xferval/core/error.hpp"
#include "xferval/model/torch_model.hpp"
#include "xferval/params/safetensors.hpp"

namespace xferval {

namespace {

// Owns the bytes of a model's tensors and lends them out as views.
class ModelParameterSet : public params::ParameterSet {
 public:
  explicit ModelParameterSet(const std::string& path) : origin_(path) {
    TorchModel model(path);
    tensors_data_ = model.named_tensors();
    metadata_["format"] = "pt";
    metadata_["content_hash"] = model.content_hash();
    for (const NamedTensor& tensor : tensors_data_) {
      params::TensorView view;
      view.name = tensor.name;
      auto dtype = params::dtype_from_string(tensor.dtype);
      if (!dtype) throw InputError(path, tensor.name, fmt::format("unsupported dtype {}", tensor.dtype));
      view.dtype = *dtype;
      view.shape = tensor.shape;
      view.bytes = {reinterpret_cast<const std::byte*>(tensor.bytes.data()), tensor.bytes.size()};
      view.file = path;
      views_.push_back(std::move(view));
    }
    // ParameterSet::find searches by name: the views are kept sorted by name, as the readers do.
    std::sort(views_.begin(), views_.end(),
              [](const params::TensorView& a, const params::TensorView& b) { return a.name < b.name; });
  }
  const std::string& origin() const override { return origin_; }
  const std::vector<params::TensorView>& tensors() const override { return views_; }
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

 private:
  std::string origin_;
  std::vector<NamedTensor> tensors_data_;
  std::vector<params::TensorView> views_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace

bool is_torchscript_path(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  return extension == ".pt" || extension == ".pth" || extension == ".ts" || extension == ".torchscript";
}

std::unique_ptr<params::ParameterSet> open_model_or_parameters(const std::string& path) {
  if (is_torchscript_path(path)) return std::make_unique<ModelParameterSet>(path);
  return params::open_parameters(path);
}

void export_safetensors(const std::string& model_path, const std::string& output_path) {
  TorchModel model(model_path);
  std::vector<params::TensorData> tensors;
  for (NamedTensor& tensor : model.named_tensors()) {
    auto dtype = params::dtype_from_string(tensor.dtype);
    if (!dtype) throw InputError(model_path, tensor.name, fmt::format("unsupported dtype {}", tensor.dtype));
    tensors.push_back({tensor.name, *dtype, tensor.shape, std::move(tensor.bytes)});
  }
  params::write_safetensors(output_path, tensors,
                            {{"format", "pt"}, {"source", model_path}, {"source_hash", model.content_hash()}});
}

}  // namespace xferval
