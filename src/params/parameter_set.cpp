#include "xferval/params/parameter_set.hpp"

#include <algorithm>
#include <filesystem>

#include "xferval/core/error.hpp"
#include "xferval/params/safetensors.hpp"

namespace xferval::params {

uint64_t TensorView::element_count() const {
  uint64_t count = 1;
  for (uint64_t dimension : shape) count *= dimension;
  return count;
}

void TensorView::for_each_block(size_t block,
                                const std::function<void(const double*, size_t)>& consume) const {
  std::vector<double> buffer(block);
  const uint64_t total = value_count();
  for (uint64_t first = 0; first < total; first += block) {
    const size_t count = static_cast<size_t>(std::min<uint64_t>(block, total - first));
    decode_values(dtype, bytes.data(), first, count, buffer.data());
    consume(buffer.data(), count);
  }
}

const TensorView* ParameterSet::find(const std::string& name) const {
  const auto& all = tensors();
  auto found =
      std::lower_bound(all.begin(), all.end(), name,
                       [](const TensorView& tensor, const std::string& key) { return tensor.name < key; });
  return found != all.end() && found->name == name ? &*found : nullptr;
}

uint64_t ParameterSet::total_bytes() const {
  uint64_t total = 0;
  for (const TensorView& tensor : tensors()) total += tensor.bytes.size();
  return total;
}

std::unique_ptr<ParameterSet> open_parameters(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::is_directory(path, error)) {
    const fs::path folder(path);
    if (fs::exists(folder / "model.safetensors.index.json")) {
      return std::make_unique<ShardedSafetensors>((folder / "model.safetensors.index.json").string());
    }
    if (fs::exists(folder / "model.safetensors")) {
      return std::make_unique<SafetensorsFile>((folder / "model.safetensors").string());
    }
    throw InputError(path, "", "folder holds neither model.safetensors nor model.safetensors.index.json");
  }
  if (path.ends_with(".index.json")) return std::make_unique<ShardedSafetensors>(path);
  return std::make_unique<SafetensorsFile>(path);
}

}  // namespace xferval::params
