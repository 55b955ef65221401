#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "xferval/core/atomic_file.hpp"
#include "xferval/params/safetensors.hpp"

namespace xferval::params {

namespace {

template <typename T>
void append(std::string& bytes, T value) {
  char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  bytes.append(raw, sizeof(T));
}

// float32 -> bfloat16 rounding to nearest, ties to even; NaN stays a quiet NaN.
uint16_t to_bfloat16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if (std::isnan(value)) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

template <typename Integer>
Integer to_integer(double value) {
  return static_cast<Integer>(std::trunc(value));
}

uint64_t byte_size(const TensorData& tensor) {
  uint64_t elements = 1;
  for (uint64_t dimension : tensor.shape) elements *= dimension;
  return elements * dtype_bits(tensor.dtype) / 8;
}

}  // namespace

TensorData make_tensor(std::string name, Dtype dtype, std::vector<uint64_t> shape,
                       const std::vector<double>& values) {
  TensorData tensor{std::move(name), dtype, std::move(shape), {}};
  uint64_t elements = 1;
  for (uint64_t dimension : tensor.shape) elements *= dimension;
  if (elements != values.size())
    throw std::invalid_argument("make_tensor: value count does not match the shape");
  tensor.bytes.reserve(values.size() * 8);
  for (double value : values) {
    switch (dtype) {
      case Dtype::F64:
        append(tensor.bytes, value);
        break;
      case Dtype::F32:
        append(tensor.bytes, static_cast<float>(value));
        break;
      case Dtype::F16:
        append(tensor.bytes, std::bit_cast<uint16_t>(static_cast<_Float16>(value)));
        break;
      case Dtype::BF16:
        append(tensor.bytes, to_bfloat16(static_cast<float>(value)));
        break;
      case Dtype::BOOL:
        append(tensor.bytes, static_cast<uint8_t>(value != 0));
        break;
      case Dtype::U8:
        append(tensor.bytes, to_integer<uint8_t>(value));
        break;
      case Dtype::I8:
        append(tensor.bytes, to_integer<int8_t>(value));
        break;
      case Dtype::I16:
        append(tensor.bytes, to_integer<int16_t>(value));
        break;
      case Dtype::U16:
        append(tensor.bytes, to_integer<uint16_t>(value));
        break;
      case Dtype::I32:
        append(tensor.bytes, to_integer<int32_t>(value));
        break;
      case Dtype::U32:
        append(tensor.bytes, to_integer<uint32_t>(value));
        break;
      case Dtype::I64:
        append(tensor.bytes, to_integer<int64_t>(value));
        break;
      case Dtype::U64:
        append(tensor.bytes, to_integer<uint64_t>(value));
        break;
      default:
        throw std::invalid_argument("make_tensor: no encoder from doubles for " +
                                    std::string(to_string(dtype)));
    }
  }
  return tensor;
}

std::string serialize_safetensors(const std::vector<TensorData>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorData*> order;
  std::set<std::string> names;
  for (const TensorData& tensor : tensors) {
    if (!names.insert(tensor.name).second)
      throw std::invalid_argument("duplicate tensor name " + tensor.name);
    if (tensor.name == "__metadata__") throw std::invalid_argument("__metadata__ is not a tensor name");
    if (byte_size(tensor) != tensor.bytes.size()) {
      throw std::invalid_argument("tensor " + tensor.name + ": byte count does not match shape and dtype");
    }
    order.push_back(&tensor);
  }
  // The reference writer's layout: larger alignment first (later in the enum), then by name.
  std::sort(order.begin(), order.end(), [](const TensorData* a, const TensorData* b) {
    if (a->dtype != b->dtype) return a->dtype > b->dtype;
    return a->name < b->name;
  });
  std::string header = "{";
  if (!metadata.empty()) header += "\"__metadata__\":" + nlohmann::json(metadata).dump() + ",";
  uint64_t offset = 0;
  for (const TensorData* tensor : order) {
    const uint64_t end = offset + tensor->bytes.size();
    header += nlohmann::json(tensor->name).dump() + ":{\"dtype\":\"" + std::string(to_string(tensor->dtype)) +
              "\",\"shape\":" + nlohmann::json(tensor->shape).dump() + ",\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(end) + "]},";
    offset = end;
  }
  if (header.back() == ',') header.pop_back();
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string file;
  file.reserve(8 + header.size() + offset);
  append(file, static_cast<uint64_t>(header.size()));
  file += header;
  for (const TensorData* tensor : order) file += tensor->bytes;
  return file;
}

void write_safetensors(const std::string& path, const std::vector<TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomically(path, serialize_safetensors(tensors, metadata));
}

}  // namespace xferval::params
