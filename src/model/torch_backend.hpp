#pragma once
// The seam between xferval and its LibTorch plugin (libxferval_torch.so, src/model/torch/).
//
// Linking LibTorch into the binary made every invocation load ~400 shared libraries (~0.4 s)
// before main, even verbs that never touch a model. So TorchModel and FineTuner forward to the
// abstract implementations below, and the plugin that implements them is dlopen()ed the first
// time a model is used (torch_backend_loader.cpp). Both sides are built from this header in one
// build; the interface version guards against a plugin left over from another one.
//
// No LibTorch header here, nor in anything the main binary compiles.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xferval/model/fine_tune.hpp"
#include "xferval/model/torch_model.hpp"

namespace xferval {

// A loaded TorchScript model; TorchModel documents each member.
class TorchModelImpl {
 public:
  virtual ~TorchModelImpl() = default;

  virtual const std::string& path() const = 0;
  virtual const std::string& content_hash() const = 0;
  virtual const std::string& features_method() const = 0;
  virtual const std::string& head_name() const = 0;
  virtual int64_t head_inputs() const = 0;
  virtual int64_t head_outputs() const = 0;
  virtual std::string device() const = 0;
  virtual std::vector<std::string> method_names() const = 0;
  virtual std::vector<ParameterFingerprint> fingerprints() const = 0;
  virtual std::vector<NamedTensor> named_tensors() const = 0;
  virtual ModelOutputs run(const std::vector<float>& inputs, size_t count, const std::vector<int64_t>& sample_shape,
                           const std::function<void(uint64_t, uint64_t)>& progress) const = 0;
};

// A model being fine-tuned; FineTuner documents each member.
class FineTunerImpl {
 public:
  virtual ~FineTunerImpl() = default;

  virtual FineTuneResult train(const ModelInputs& inputs, const std::vector<int>& classes, const DataSplit& split,
                               const std::function<bool(const EpochMetrics&)>& on_epoch) = 0;
  virtual double l2sp_penalty() const = 0;
  // Not const, unlike FineTuner's: it puts the module in eval mode.
  virtual std::vector<float> predict(const ModelInputs& inputs) = 0;
  virtual std::map<std::string, std::vector<float>> parameters() const = 0;
  virtual std::vector<std::string> frozen_parameters() const = 0;
  virtual const std::string& head_name() const = 0;
  virtual int64_t head_outputs() const = 0;
  virtual bool head_was_reset() const = 0;
  virtual std::string device() const = 0;
  // Not const, unlike FineTuner's: it puts the module in eval mode and, on CUDA, moves it to the
  // CPU and back.
  virtual void save(const std::string& path) = 0;
};

// What the plugin offers. It lives as long as the process: the plugin is never unloaded, since
// the objects it made run its code.
class TorchBackend {
 public:
  // As TorchModel's constructor.
  virtual std::unique_ptr<TorchModelImpl> load_model(const std::string& path, const ModelOptions& options) const = 0;
  // As FineTuner's constructor, after its checks of the configuration and class count.
  virtual std::unique_ptr<FineTunerImpl> load_fine_tuner(const std::string& model_path, int64_t classes,
                                                         bool reset_head, const FineTuneConfig& config,
                                                         const ModelOptions& model_options) const = 0;
  // torch::set_num_threads, for threads > 0.
  virtual void set_intra_op_threads(int threads) const = 0;

 protected:
  ~TorchBackend() = default;  // owned by the plugin, never deleted through this interface
};

// Raise it whenever anything above changes, so that a plugin built against another version is
// refused with a message instead of crashing.
inline constexpr int kTorchBackendInterfaceVersion = 1;

// The plugin's backend, loaded on the first call (once, thread-safe). InputError naming every
// place it looked and why each failed when the plugin cannot be loaded.
const TorchBackend& torch_backend();

}  // namespace xferval

// The plugin's one exported symbol (defined in src/model/torch/plugin_entry.cpp, looked up by name
// with dlsym): its backend, or nullptr when `interface_version` is not the version it was built
// with.
extern "C" const xferval::TorchBackend* xferval_torch_backend(int interface_version);
