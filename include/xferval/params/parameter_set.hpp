#pragma once
// A model's named tensors, whatever file they came from. safetensors files (one or sharded) are
// the first implementation; a TorchScript-backed one can sit behind the same interface.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "xferval/params/dtype.hpp"

namespace xferval::params {

struct TensorView {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<uint64_t> shape;
  std::span<const std::byte> bytes;  // little-endian, C order; valid while the set lives
  std::string file;                  // the file holding it (a shard of a sharded set)

  uint64_t element_count() const;
  uint64_t value_count() const { return element_count() * values_per_element(dtype); }
  // Calls `consume(values, count)` with consecutive blocks of at most `block` values as doubles.
  void for_each_block(size_t block, const std::function<void(const double*, size_t)>& consume) const;
};

class ParameterSet {
 public:
  virtual ~ParameterSet() = default;
  // The path the set was opened from.
  virtual const std::string& origin() const = 0;
  // Every tensor, sorted by name.
  virtual const std::vector<TensorView>& tensors() const = 0;
  // The `__metadata__` of the file (of the first shard for sharded sets).
  virtual const std::map<std::string, std::string>& metadata() const = 0;
  // The tensor named `name`, or nullptr.
  const TensorView* find(const std::string& name) const;
  uint64_t total_bytes() const;
};

// Opens safetensors parameters: a .safetensors file, a model.safetensors.index.json, or a folder
// holding either. InputError for anything the reference reader rejects.
std::unique_ptr<ParameterSet> open_parameters(const std::string& path);

}  // namespace xferval::params
