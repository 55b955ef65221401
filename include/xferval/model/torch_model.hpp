#pragma once
// A pretrained model in a TorchScript file, run through LibTorch. The model contract: forward(x)
// returns logits; a features method (forward_features, features, or one named by
// --features-method) returns the embedding, the input of the head (the last Linear layer, or the
// module named by --head). Image inputs are float NCHW, tabular inputs float rows. Runs on the CPU,
// or on CUDA when LibTorch sees a GPU at run time.
//
// This header includes no LibTorch header (their parse costs ~40 s a file): the implementation is
// behind a pointer, in the LibTorch plugin (src/model/torch/), which is loaded the first time a
// model is constructed, so verbs without a model never load LibTorch.
#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace xferval {

struct ModelOptions {
  std::string features_method;  // "" tries forward_features, then features
  std::string head;             // "" takes the last Linear layer
  int64_t batch_size = 256;
  bool allow_cuda = true;
};

struct ParameterFingerprint {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;
  double l2_norm = 0.0;
  std::string hash;  // "xxh3:<hex>" of the tensor's bytes (contiguous, native order)
};

// A parameter or buffer as plain bytes (contiguous, little-endian, C order), for code that must
// not include LibTorch: safetensors export, parameter verification.
struct NamedTensor {
  std::string name;
  std::string dtype;  // safetensors spelling: F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL
  std::vector<uint64_t> shape;
  std::string bytes;
  bool is_buffer = false;  // e.g. BatchNorm running statistics
};

struct ModelOutputs {
  Eigen::MatrixXd embeddings;  // samples x embedding dimensions
  Eigen::MatrixXd logits;      // samples x head outputs
};

class TorchModelImpl;  // src/model/torch_backend.hpp

class TorchModel {
 public:
  // InputError naming the file when it is not a loadable TorchScript archive, has no features
  // method (the message lists the methods it has) or no Linear head.
  TorchModel(const std::string& path, ModelOptions options = {});
  ~TorchModel();
  TorchModel(TorchModel&&) noexcept;
  TorchModel& operator=(TorchModel&&) noexcept;

  const std::string& path() const;
  const std::string& content_hash() const;  // "xxh3:<hex>" of the file
  const std::string& features_method() const;
  const std::string& head_name() const;
  int64_t head_inputs() const;
  int64_t head_outputs() const;
  std::string device() const;  // "cpu" or "cuda"
  std::vector<std::string> method_names() const;
  std::vector<ParameterFingerprint> fingerprints() const;
  // Every parameter, then every buffer, in definition order.
  std::vector<NamedTensor> named_tensors() const;

  // Runs `count` samples of `sample_shape` (row-major float32 in `inputs`) in batches. InputError
  // when the model rejects the shape (expected and actual shapes in the message) or returns NaN.
  ModelOutputs run(const std::vector<float>& inputs, size_t count, const std::vector<int64_t>& sample_shape,
                   const std::function<void(uint64_t, uint64_t)>& progress = {}) const;

 private:
  std::unique_ptr<TorchModelImpl> impl_;
};

}  // namespace xferval
