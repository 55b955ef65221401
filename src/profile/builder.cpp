#include "xferval/profile/builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "profile/segment_profiles.hpp"
#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/io/array.hpp"
#include "xferval/io/csv_scan.hpp"
#include "xferval/io/csv_segments.hpp"
#include "xferval/profile/accumulate.hpp"

namespace xferval {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string hash_label(uint64_t hash) { return fmt::format("xxh3:{:016x}", hash); }

void check_shard(const ProfileOptions& options) {
  if (options.shard_count == 0) return;
  if (options.shard_index < 1 || options.shard_index > options.shard_count) {
    throw UsageError(fmt::format("--shard {}/{}: the index must be between 1 and {}", options.shard_index,
                                 options.shard_count, options.shard_count));
  }
}

// Rows of a CSV file, counted by reading it once (also settling every column's storage).
uint64_t count_csv_rows(CsvReader& reader) {
  uint64_t rows = 0;
  scan_csv(
      reader, [&](const std::vector<bool>&) { rows = 0; },
      [&](const TableChunk& chunk) { rows += chunk.rows; });
  return rows;
}

void finish_csv_profile(const std::string& path, const CsvReader& reader, const ProfileOptions& options,
                        Profile& profile) {
  if (profile.rows == 0 && options.shard_count == 0) {
    throw InputError(path, "", "no data rows: the file has a header but no rows to profile");
  }
  profile.source.content_hash = hash_label(reader.content_hash());
}

void profile_csv(const std::string& path, const ProfileOptions& options, Profile& profile) {
  CsvReader reader(path, options.csv);
  const auto& names = reader.column_names();
  int label_column = label_column_index(path, names, options.label);
  if (options.shard_count == 0) {
    SegmentProfiles segments(names, label_column, options.covariance_max_features);
    if (scan_csv_segments(reader, options.csv, segments, options.csv_segment_bytes, 0, options.progress)
            .done) {
      SourceInfo source = std::move(profile.source);
      profile = segments.take();
      profile.source = std::move(source);
      finish_csv_profile(path, reader, options, profile);
      return;
    }
  }
  uint64_t first = 0;
  uint64_t last = UINT64_MAX;
  if (options.shard_count > 0) {
    std::tie(first, last) = shard_range(count_csv_rows(reader), options.shard_index, options.shard_count);
  }
  std::optional<TabularAccumulator> accumulator;
  auto start = [&](const std::vector<bool>& text_columns) {
    accumulator.emplace(names, text_columns, label_column, options.covariance_max_features);
  };
  auto consume = [&](const TableChunk& chunk) {
    accumulator->observe_token_facts(chunk);
    uint64_t begin = std::max(first, chunk.first_row);
    uint64_t end = std::min(last, chunk.first_row + chunk.rows);
    if (begin < end) accumulator->add(chunk, begin - chunk.first_row, end - chunk.first_row);
    if (options.progress) options.progress(chunk.end_byte, reader.bytes_total());
  };
  scan_csv(reader, start, consume);
  accumulator->finish(profile);
  finish_csv_profile(path, reader, options, profile);
}

// Reads every value of a labels array (one label per sample) as label text.
std::vector<std::string> read_labels(ArraySource& source) {
  std::vector<double> values;
  while (source.read(1 << 16, values) > 0) {
  }
  size_t per_sample = values.size() / std::max<int64_t>(source.shape()[0], 1);
  if (per_sample != 1) {
    throw InputError(source.path(), "",
                     fmt::format("labels must hold one value per sample; this array has shape {}",
                                 fmt::join(source.shape(), "x")));
  }
  std::vector<std::string> labels;
  labels.reserve(values.size());
  for (double value : values) labels.push_back(number_label(value));
  return labels;
}

std::unique_ptr<ArraySource> open_array(const std::string& path, const std::string& format) {
  if (format == "npy") return open_npy(path);
  return open_idx(path);
}

void profile_array(ArraySource& source, const std::vector<std::string>* labels, bool is_image,
                   const ProfileOptions& options, Profile& profile) {
  const auto& shape = source.shape();
  const uint64_t samples = static_cast<uint64_t>(shape[0]);
  if (samples == 0) throw InputError(source.path(), "", "the array holds 0 samples; nothing to profile");
  auto [first, last] = options.shard_count > 0
                           ? shard_range(samples, options.shard_index, options.shard_count)
                           : std::pair<uint64_t, uint64_t>{0, samples};
  std::vector<int64_t> sample_shape(shape.begin() + 1, shape.end());
  size_t sample_size = 1;
  for (int64_t extent : sample_shape) sample_size *= static_cast<size_t>(extent);
  const bool tabular = sample_shape.size() <= 1;
  const std::string& dtype = source.dtype();

  std::optional<TabularAccumulator> table;
  std::optional<TensorAccumulator> tensor;
  std::vector<std::string> names;
  if (tabular) {
    names = array_column_names(sample_size);
    table.emplace(names, std::vector<bool>(names.size(), false), -1, options.covariance_max_features);
  } else {
    tensor.emplace(sample_shape, dtype, is_image);
  }
  std::optional<LabelState> label_state;
  if (labels != nullptr) {
    label_state.emplace();
    label_state->name = options.label.value_or("label");
  }

  const size_t batch = std::max<size_t>(1, (size_t{1} << 20) / std::max<size_t>(sample_size, 1));
  std::vector<double> values;
  TableChunk chunk;
  uint64_t position = 0;
  while (position < last) {
    values.clear();
    size_t read = source.read(batch, values);
    if (read == 0) break;
    uint64_t begin = std::max(first, position);
    uint64_t end = std::min(last, position + read);
    if (begin < end) {
      const double* start = values.data() + (begin - position) * sample_size;
      size_t count = static_cast<size_t>(end - begin);
      if (table) {
        fill_table_chunk(start, count, sample_size, dtype, chunk);
        table->observe_token_facts(chunk);
        table->add(chunk, 0, count);
      } else {
        tensor->add(start, count);
      }
      if (label_state) {
        for (uint64_t s = begin; s < end; ++s) label_state->counts.update((*labels)[s]);
      }
    }
    position += read;
    if (options.progress) options.progress(position, samples);
  }
  if (table) table->finish(profile);
  if (tensor) tensor->finish(profile);
  profile.label = std::move(label_state);
  profile.source.content_hash = hash_label(source.content_hash());
}

void profile_arrays(const std::string& path, const std::string& format, const ProfileOptions& options,
                    Profile& profile) {
  ArrayInput input = open_array_input(path, format, options);
  const ArraySource& data = *input.data;
  bool is_image = format == "idx" && data.shape().size() == 3 && data.dtype() == "uint8";
  profile_array(*input.data, input.labels ? &*input.labels : nullptr, is_image, options, profile);
}

void profile_image_folder(const std::string& path, const ProfileOptions& options, Profile& profile) {
  ImageFolder folder = open_image_folder(path);
  std::vector<std::string> labels;
  labels.reserve(folder.labels.size());
  for (int32_t index : folder.labels) labels.push_back(folder.class_names[static_cast<size_t>(index)]);
  ProfileOptions with_label = options;
  if (!with_label.label) with_label.label = "class";
  profile_array(*folder.images, &labels, true, with_label, profile);
}

}  // namespace

ArrayInput open_array_input(const std::string& path, const std::string& format,
                            const ProfileOptions& options) {
  ArrayInput input;
  if (format == "npz") {
    std::vector<std::string> members = npz_members(path);
    std::string member = options.npz_member;
    if (member.empty()) {
      std::vector<std::string> candidates;
      for (const auto& name : members) {
        if (!options.label || name != *options.label) candidates.push_back(name);
      }
      if (candidates.size() != 1) {
        throw UsageError(fmt::format("{}: holds the arrays {}; name the data array with --member", path,
                                     fmt::join(members, ", ")));
      }
      member = candidates[0];
    }
    input.data = open_npz_member(path, member);
    if (options.label) {
      auto label_source = open_npz_member(path, *options.label);
      input.labels = read_labels(*label_source);
    }
  } else {
    input.data = open_array(path, format);
    if (options.label && options.labels_path.empty()) {
      throw UsageError(
          fmt::format("{}: a {} file has no columns; give labels with --labels FILE", path, format));
    }
  }
  if (!options.labels_path.empty()) {
    auto label_source = open_array(options.labels_path, detect_format(options.labels_path));
    input.labels = read_labels(*label_source);
  }
  if (input.labels && input.labels->size() != static_cast<size_t>(input.data->shape()[0])) {
    throw InputError(options.labels_path.empty() ? path : options.labels_path, "",
                     fmt::format("{} labels for {} samples; give one label per sample", input.labels->size(),
                                 input.data->shape()[0]));
  }
  return input;
}

std::pair<uint64_t, uint64_t> shard_range(uint64_t rows, uint32_t index, uint32_t count) {
  auto boundary = [&](uint64_t i) {
    return static_cast<uint64_t>((static_cast<__uint128_t>(rows) * i) / count);
  };
  return {boundary(index - 1), boundary(index)};
}

std::string detect_format(const std::string& path) {
  if (std::filesystem::is_directory(path)) return "image-folder";
  std::string name = lower(std::filesystem::path(path).filename().string());
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".npy")) return "npy";
  if (ends_with(".npz")) return "npz";
  if (ends_with(".idx") || name.find("-idx") != std::string::npos || name.find(".idx") != std::string::npos) {
    return "idx";
  }
  return "csv";
}

Profile build_profile(const std::string& path, const ProfileOptions& options) {
  check_shard(options);
  Profile profile;
  profile.source.path = path;
  profile.source.format = options.format.empty() ? detect_format(path) : options.format;
  profile.source.shard_index = options.shard_index;
  profile.source.shard_count = options.shard_count;
  const std::string& format = profile.source.format;
  if (format == "csv") {
    profile_csv(path, options, profile);
  } else if (format == "npy" || format == "npz" || format == "idx") {
    profile_arrays(path, format, options, profile);
  } else if (format == "image-folder") {
    profile_image_folder(path, options, profile);
  } else {
    throw UsageError(fmt::format("unknown --format '{}'; use csv, npy, npz, idx or image-folder", format));
  }
  return profile;
}

}  // namespace xferval
