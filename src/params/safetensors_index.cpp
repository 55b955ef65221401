#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "xferval/core/error.hpp"
#include "xferval/params/safetensors.hpp"

namespace xferval::params {

ShardedSafetensors::ShardedSafetensors(const std::string& index_path) : index_path_(index_path) {
  namespace fs = std::filesystem;
  std::ifstream in(index_path, std::ios::binary);
  if (!in) throw InputError(index_path, "", "cannot open: no such file; check the path");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& error) {
    throw InputError(index_path, fmt::format("byte {}", error.byte), "not valid JSON");
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    throw InputError(index_path, "weight_map",
                     "a shard index needs a \"weight_map\" object (tensor -> shard file)");
  }
  // Shard file -> the tensors the index puts there.
  std::map<std::string, std::set<std::string>> listed;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) {
      throw InputError(index_path, fmt::format("weight_map \"{}\"", name), "the shard must be a file name");
    }
    listed[shard.get<std::string>()].insert(name);
  }
  const fs::path folder = fs::path(index_path).parent_path();
  for (const auto& [shard_name, names] : listed) {
    const fs::path shard_path = folder / shard_name;
    if (!fs::is_regular_file(shard_path)) {
      throw InputError(
          index_path, fmt::format("weight_map \"{}\"", *names.begin()),
          fmt::format("shard '{}' does not exist (looked for {})", shard_name, shard_path.string()));
    }
    auto shard = std::make_unique<SafetensorsFile>(shard_path.string());
    for (const TensorView& tensor : shard->tensors()) {
      if (!names.count(tensor.name)) {
        throw InputError(shard_path.string(), fmt::format("tensor '{}'", tensor.name),
                         fmt::format("is not listed for this shard in {}", index_path));
      }
    }
    for (const std::string& name : names) {
      if (!shard->find(name)) {
        throw InputError(index_path, fmt::format("weight_map \"{}\"", name),
                         fmt::format("the tensor is not in its shard {}", shard_path.string()));
      }
    }
    if (shards_.empty()) metadata_ = shard->metadata();
    for (const TensorView& tensor : shard->tensors()) tensors_.push_back(tensor);
    shards_.push_back(std::move(shard));
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const TensorView& a, const TensorView& b) { return a.name < b.name; });
}

}  // namespace xferval::params
