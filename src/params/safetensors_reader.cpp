#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "utf8.hpp"
#include "xferval/core/error.hpp"
#include "xferval/params/safetensors.hpp"

namespace xferval::params {

namespace {

using nlohmann::json;

constexpr uint64_t kMax48Bit = (uint64_t{1} << 48) - 1;  // docs/safetensors.schema.json

uint64_t read_u64_le(const char* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

struct Entry {
  std::string name;
  Dtype dtype;
  std::vector<uint64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

std::string tensor_where(const std::string& name) { return fmt::format("tensor '{}'", name); }

uint64_t header_integer(const json& value, const std::string& path, const std::string& name,
                        const char* field) {
  if (!value.is_number_unsigned()) {
    throw InputError(
        path, tensor_where(name),
        fmt::format("{} must hold non-negative integers, found {} (InvalidHeaderDeserialization)", field,
                    value.dump()));
  }
  const uint64_t number = value.get<uint64_t>();
  if (number > kMax48Bit) {
    throw InputError(
        path, tensor_where(name),
        fmt::format("{} value {} exceeds the format's 48-bit limit (InvalidHeaderDeserialization)", field,
                    number));
  }
  return number;
}

Entry parse_entry(const std::string& name, const json& value, const std::string& path) {
  auto bad = [&](const std::string& what) {
    return InputError(path, tensor_where(name), what + " (InvalidHeaderDeserialization)");
  };
  if (!value.is_object()) throw bad("entry must be an object with dtype, shape and data_offsets");
  Entry entry;
  entry.name = name;
  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) throw bad("dtype is missing or not a string");
  auto parsed = dtype_from_string(dtype->get_ref<const std::string&>());
  if (!parsed) throw bad(fmt::format("unknown dtype {}", dtype->dump()));
  entry.dtype = *parsed;
  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) throw bad("shape is missing or not an array");
  for (const json& dimension : *shape) entry.shape.push_back(header_integer(dimension, path, name, "shape"));
  auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2) {
    throw bad("data_offsets must be an array of exactly two integers [BEGIN, END]");
  }
  entry.begin = header_integer((*offsets)[0], path, name, "data_offsets");
  entry.end = header_integer((*offsets)[1], path, name, "data_offsets");
  return entry;
}

// nlohmann keeps the last of repeated keys silently; the format forbids repeats, so the parser
// callback sees every top-level key as it is read.
json parse_header(std::string_view text, const std::string& path) {
  std::set<std::string> seen;
  std::string duplicate;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && duplicate.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!seen.insert(key).second) duplicate = key;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text.begin(), text.end(), callback);
  } catch (const json::parse_error& error) {
    const uint64_t at = 8 + (error.byte > 0 ? error.byte - 1 : 0);
    std::string reason = error.what();
    if (auto colon = reason.find("syntax error"); colon != std::string::npos) reason = reason.substr(colon);
    throw InputError(path, fmt::format("byte {}", at),
                     fmt::format("header is not valid JSON: {} (InvalidHeaderDeserialization)", reason));
  }
  if (!duplicate.empty()) {
    throw InputError(path, tensor_where(duplicate), "name appears twice in the header; names must be unique");
  }
  if (!header.is_object()) {
    throw InputError(path, "byte 8", "header must be a JSON object (InvalidHeaderDeserialization)");
  }
  return header;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path) {
  const uint64_t file_size = file_.size();
  const char* data = file_.data();
  // Rules 1-3 of §6.4: the length prefix itself.
  if (file_size < 8) {
    throw InputError(
        path, "byte 0",
        fmt::format("file of {} bytes is shorter than the 8-byte header length (HeaderTooSmall)", file_size));
  }
  const uint64_t n = read_u64_le(data);
  if (n > kMaxHeaderSize || n > std::numeric_limits<size_t>::max() - 8) {
    throw InputError(
        path, "byte 0",
        fmt::format("header length {} exceeds the limit of {} bytes (HeaderTooLarge)", n, kMaxHeaderSize));
  }
  if (8 + n > file_size) {
    throw InputError(path, "byte 0",
                     fmt::format("header length {} runs past the end of the file: 8 + {} > {} bytes "
                                 "(InvalidHeaderLength); is the file truncated?",
                                 n, n, file_size));
  }
  header_size_ = n;
  const std::string_view text(data + 8, n);
  // Rules 4-5: UTF-8, then JSON of the expected shape.
  if (auto bad = first_invalid_utf8(text)) {
    throw InputError(path, fmt::format("byte {}", 8 + *bad), "header is not valid UTF-8 (InvalidHeader)");
  }
  const json header = parse_header(text, path);
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) {
        throw InputError(path, "__metadata__", "must be an object of strings (InvalidHeaderDeserialization)");
      }
      for (const auto& [meta_key, meta_value] : value.items()) {
        if (!meta_value.is_string()) {
          throw InputError(path, fmt::format("__metadata__ \"{}\"", meta_key),
                           fmt::format("value {} is not a string; metadata must map strings to strings "
                                       "(InvalidHeaderDeserialization)",
                                       meta_value.dump()));
        }
        metadata_[meta_key] = meta_value.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(key, value, path));
  }
  // Rules 6-8 in the reference reader's order: walk the tensors sorted by their offsets.
  std::vector<const Entry*> by_offset;
  for (const Entry& entry : entries) by_offset.push_back(&entry);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return std::pair(a->begin, a->end) < std::pair(b->begin, b->end);
  });
  const uint64_t data_start = 8 + n;
  uint64_t expected_begin = 0;
  for (const Entry* entry : by_offset) {
    const std::string where = tensor_where(entry->name);
    if (entry->begin != expected_begin || entry->end < entry->begin) {
      std::string problem = entry->end < entry->begin       ? "END is before BEGIN"
                            : entry->begin < expected_begin ? "overlaps the previous tensor"
                            : expected_begin == 0 ? "leaves a hole: the first tensor must start at 0"
                                                  : "leaves a hole after the previous tensor";
      throw InputError(
          path, where,
          fmt::format("data_offsets [{}, {}] (file bytes {}..{}) {}, which ends at {} (InvalidOffset)",
                      entry->begin, entry->end, data_start + entry->begin, data_start + entry->end, problem,
                      expected_begin));
    }
    uint64_t elements = 1;
    for (uint64_t dimension : entry->shape) {
      if (__builtin_mul_overflow(elements, dimension, &elements)) {
        throw InputError(path, where,
                         "the element count of the shape overflows 64 bits (ValidationOverflow)");
      }
    }
    uint64_t bits = 0;
    if (__builtin_mul_overflow(elements, uint64_t{dtype_bits(entry->dtype)}, &bits)) {
      throw InputError(path, where, "the bit count of the tensor overflows 64 bits (ValidationOverflow)");
    }
    if (bits % 8 != 0) {
      throw InputError(
          path, where,
          fmt::format("{} elements of {} ({} bits) are not a whole number of bytes (MisalignedSlice)",
                      elements, to_string(entry->dtype), bits));
    }
    if (entry->end - entry->begin != bits / 8) {
      throw InputError(path, where,
                       fmt::format("shape {} of {} needs {} bytes but data_offsets [{}, {}] hold {} "
                                   "(TensorInvalidInfo)",
                                   nlohmann::json(entry->shape).dump(), to_string(entry->dtype), bits / 8,
                                   entry->begin, entry->end, entry->end - entry->begin));
    }
    expected_begin = entry->end;
  }
  // Rule 9: the data buffer is covered exactly.
  if (data_start + expected_begin != file_size) {
    throw InputError(
        path, fmt::format("byte {}", data_start + expected_begin),
        fmt::format("the tensors end at byte {} but the file has {} bytes (MetadataIncompleteBuffer){}",
                    data_start + expected_begin, file_size,
                    data_start + expected_begin > file_size ? "; is the file truncated?" : ""));
  }
  for (Entry& entry : entries) {
    TensorView view;
    view.name = std::move(entry.name);
    view.dtype = entry.dtype;
    view.shape = std::move(entry.shape);
    view.bytes = {reinterpret_cast<const std::byte*>(data) + data_start + entry.begin,
                  entry.end - entry.begin};
    view.file = path;
    tensors_.push_back(std::move(view));
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const TensorView& a, const TensorView& b) { return a.name < b.name; });
}

}  // namespace xferval::params
