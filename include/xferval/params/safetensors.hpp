#pragma once
// The safetensors format (reference §6): a little-endian u64 header length N, N bytes of JSON
// header, then the tensor data. The reader enforces every rule of the reference reader in its
// order (§6.4), plus duplicate names and 48-bit integers, each as an InputError naming the file
// and the byte or the tensor. The writer lays tensors out like the reference writer.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xferval/core/mapped_file.hpp"
#include "xferval/params/parameter_set.hpp"

namespace xferval::params {

inline constexpr uint64_t kMaxHeaderSize = 100'000'000;  // MAX_HEADER_SIZE of the reference reader

class SafetensorsFile : public ParameterSet {
 public:
  explicit SafetensorsFile(const std::string& path);
  const std::string& origin() const override { return file_.path(); }
  const std::vector<TensorView>& tensors() const override { return tensors_; }
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }
  uint64_t header_size() const { return header_size_; }

 private:
  MappedFile file_;
  uint64_t header_size_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A sharded checkpoint: model.safetensors.index.json with a weight_map (tensor -> shard file,
// relative to the index). Every listed tensor must be in exactly its shard, and no shard may hold
// an unlisted tensor (§6.5).
class ShardedSafetensors : public ParameterSet {
 public:
  explicit ShardedSafetensors(const std::string& index_path);
  const std::string& origin() const override { return index_path_; }
  const std::vector<TensorView>& tensors() const override { return tensors_; }
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

 private:
  std::string index_path_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A tensor to write: its bytes are already in the dtype's little-endian layout.
struct TensorData {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<uint64_t> shape;
  std::string bytes;
};

// Encodes doubles as F64, F32, F16, BF16 (round to nearest even) or an integer type (truncation
// toward zero); std::invalid_argument for other dtypes or a count that does not match the shape.
TensorData make_tensor(std::string name, Dtype dtype, std::vector<uint64_t> shape,
                       const std::vector<double>& values);

// The complete file: tensors sorted by descending dtype alignment, then name, laid out from 0;
// the header JSON written with the keys in that order after "__metadata__" (when not empty) and
// padded with spaces to a multiple of 8. std::invalid_argument for duplicate names or a size
// that does not match the shape.
std::string serialize_safetensors(const std::vector<TensorData>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});
// serialize_safetensors written atomically.
void write_safetensors(const std::string& path, const std::vector<TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace xferval::params
