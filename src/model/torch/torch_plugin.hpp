#pragma once
// The parts of the LibTorch plugin, joined into its TorchBackend by plugin_entry.cpp. Only this
// folder includes LibTorch headers.
#include <cstdint>
#include <memory>
#include <string>

#include "model/torch_backend.hpp"

namespace xferval::torch_plugin {

std::unique_ptr<TorchModelImpl> load_scripted_model(const std::string& path, const ModelOptions& options);

std::unique_ptr<FineTunerImpl> load_fine_tuner(const std::string& model_path, int64_t classes, bool reset_head,
                                               const FineTuneConfig& config, const ModelOptions& model_options);

void set_intra_op_threads(int threads);

}  // namespace xferval::torch_plugin
