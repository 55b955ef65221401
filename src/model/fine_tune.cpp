// FineTuner forwards to its implementation in the LibTorch plugin (model/torch_backend.hpp), after
// the checks that need no model, so that a bad option is reported without loading LibTorch.
#include "xferval/model/fine_tune.hpp"

#include <fmt/format.h>

#include "model/torch_backend.hpp"
#include "xferval/core/error.hpp"

namespace xferval {

void set_training_threads(int threads) {
  if (threads > 0) torch_backend().set_intra_op_threads(threads);
}

FineTuner::FineTuner(const std::string& model_path, int64_t classes, bool reset_head, const FineTuneConfig& config,
                     const ModelOptions& model_options) {
  validate(config);
  if (classes < 2) throw UsageError(fmt::format("fine-tuning needs at least 2 classes, not {}", classes));
  impl_ = torch_backend().load_fine_tuner(model_path, classes, reset_head, config, model_options);
}

FineTuner::~FineTuner() = default;
FineTuner::FineTuner(FineTuner&&) noexcept = default;
FineTuner& FineTuner::operator=(FineTuner&&) noexcept = default;

FineTuneResult FineTuner::train(const ModelInputs& inputs, const std::vector<int>& classes, const DataSplit& split,
                                const std::function<bool(const EpochMetrics&)>& on_epoch) {
  return impl_->train(inputs, classes, split, on_epoch);
}

double FineTuner::l2sp_penalty() const { return impl_->l2sp_penalty(); }
std::vector<float> FineTuner::predict(const ModelInputs& inputs) const { return impl_->predict(inputs); }
std::map<std::string, std::vector<float>> FineTuner::parameters() const { return impl_->parameters(); }
std::vector<std::string> FineTuner::frozen_parameters() const { return impl_->frozen_parameters(); }
const std::string& FineTuner::head_name() const { return impl_->head_name(); }
int64_t FineTuner::head_outputs() const { return impl_->head_outputs(); }
bool FineTuner::head_was_reset() const { return impl_->head_was_reset(); }
std::string FineTuner::device() const { return impl_->device(); }
void FineTuner::save(const std::string& path) const { impl_->save(path); }

}  // namespace xferval
