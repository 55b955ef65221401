// The plugin's one exported symbol. Everything else in libxferval_torch.so is hidden (visibility
// preset and --exclude-libs in CMakeLists.txt), so its copies of xferval_core cannot clash with
// the binary's.
#include "model/torch/torch_plugin.hpp"

namespace xferval::torch_plugin {
namespace {

class LibTorchBackend final : public TorchBackend {
 public:
  std::unique_ptr<TorchModelImpl> load_model(const std::string& path, const ModelOptions& options) const override {
    return load_scripted_model(path, options);
  }
  std::unique_ptr<FineTunerImpl> load_fine_tuner(const std::string& model_path, int64_t classes, bool reset_head,
                                                 const FineTuneConfig& config,
                                                 const ModelOptions& model_options) const override {
    return torch_plugin::load_fine_tuner(model_path, classes, reset_head, config, model_options);
  }
  void set_intra_op_threads(int threads) const override { torch_plugin::set_intra_op_threads(threads); }
};

}  // namespace
}  // namespace xferval::torch_plugin

extern "C" __attribute__((visibility("default"))) const xferval::TorchBackend* xferval_torch_backend(
    int interface_version) {
  static const xferval::torch_plugin::LibTorchBackend backend;
  return interface_version == xferval::kTorchBackendInterfaceVersion ? &backend : nullptr;
}
