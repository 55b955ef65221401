// TorchModel forwards to its implementation in the LibTorch plugin (model/torch_backend.hpp).
#include "xferval/model/torch_model.hpp"

#include "model/torch_backend.hpp"

namespace xferval {

TorchModel::TorchModel(const std::string& path, ModelOptions options)
    : impl_(torch_backend().load_model(path, options)) {}

TorchModel::~TorchModel() = default;
TorchModel::TorchModel(TorchModel&&) noexcept = default;
TorchModel& TorchModel::operator=(TorchModel&&) noexcept = default;

const std::string& TorchModel::path() const { return impl_->path(); }
const std::string& TorchModel::content_hash() const { return impl_->content_hash(); }
const std::string& TorchModel::features_method() const { return impl_->features_method(); }
const std::string& TorchModel::head_name() const { return impl_->head_name(); }
int64_t TorchModel::head_inputs() const { return impl_->head_inputs(); }
int64_t TorchModel::head_outputs() const { return impl_->head_outputs(); }
std::string TorchModel::device() const { return impl_->device(); }
std::vector<std::string> TorchModel::method_names() const { return impl_->method_names(); }
std::vector<ParameterFingerprint> TorchModel::fingerprints() const { return impl_->fingerprints(); }
std::vector<NamedTensor> TorchModel::named_tensors() const { return impl_->named_tensors(); }

ModelOutputs TorchModel::run(const std::vector<float>& inputs, size_t count, const std::vector<int64_t>& sample_shape,
                             const std::function<void(uint64_t, uint64_t)>& progress) const {
  return impl_->run(inputs, count, sample_shape, progress);
}

}  // namespace xferval
