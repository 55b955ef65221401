#include "xferval/model/model_inputs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "xferval/core/error.hpp"
#include "xferval/profile/accumulate.hpp"
#include "xferval/profile/table_loader.hpp"

namespace xferval {

ModelInputs tabular_model_inputs(const Table& table, const InputSpec& input) {
  ModelInputs out;
  std::vector<const ColumnChunk*> columns;
  std::vector<const FeatureSpec*> specs;
  for (const FeatureSpec& spec : input.features) {
    if (!is_numeric_kind(spec.kind)) continue;
    int index = table.column_index(spec.name);
    if (index < 0 || table.data.columns[static_cast<size_t>(index)].is_text) {
      throw InputError(table.path, "header",
                       fmt::format("the model takes the numeric feature '{}'; this data has no such numeric column",
                                   spec.name));
    }
    columns.push_back(&table.data.columns[static_cast<size_t>(index)]);
    specs.push_back(&spec);
  }
  out.count = table.data.rows;
  out.sample_shape = {static_cast<int64_t>(columns.size())};
  out.values.resize(out.count * columns.size());
  for (size_t r = 0; r < out.count; ++r) {
    for (size_t j = 0; j < columns.size(); ++j) {
      double value = columns[j]->numbers[r];
      bool usable = !columns[j]->missing[r] && std::isfinite(value);
      out.imputed_cells += !usable;
      out.values[r * columns.size() + j] = usable ? static_cast<float>(standardize(*specs[j], value)) : 0.0f;
    }
  }
  if (table.label_column >= 0) {
    const ColumnChunk& label = table.data.columns[static_cast<size_t>(table.label_column)];
    for (size_t r = 0; r < out.count; ++r) {
      out.labels.push_back(label.missing[r] ? "" : label.is_text ? label.texts[r] : number_label(label.numbers[r]));
    }
  }
  out.content_hash = table.content_hash;
  return out;
}

namespace {

ModelInputs tensor_inputs(const std::string& path, const std::string& format, const ProfileOptions& options,
                          const TensorSpec& spec) {
  ModelInputs out;
  std::vector<std::string> labels;
  std::unique_ptr<ArraySource> source;
  if (format == "image-folder") {
    ImageFolder folder = open_image_folder(path);
    for (int32_t index : folder.labels) labels.push_back(folder.class_names[static_cast<size_t>(index)]);
    source = std::move(folder.images);
  } else {
    ArrayInput input = open_array_input(path, format, options);
    if (input.labels) labels = std::move(*input.labels);
    source = std::move(input.data);
  }
  std::vector<int64_t> shape(source->shape().begin() + 1, source->shape().end());
  if (shape != spec.sample_shape) {
    throw InputError(path, "", fmt::format("samples have shape {}; the model takes {}", fmt::join(shape, "x"),
                                           fmt::join(spec.sample_shape, "x")));
  }
  const size_t channels = spec.channel_mean.size();
  size_t sample_size = 1;
  for (int64_t d : shape) sample_size *= static_cast<size_t>(d);
  // Channels last (H x W x C) become channels first; a single channel gains its axis.
  const bool channels_last = spec.channel_axis >= 0 && spec.channel_axis == static_cast<int>(shape.size()) - 1;
  const size_t pixels = channels_last ? sample_size / channels : sample_size;
  out.sample_shape = {static_cast<int64_t>(channels)};
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!(channels_last && d + 1 == shape.size())) out.sample_shape.push_back(shape[d]);
  }
  out.count = static_cast<size_t>(source->shape()[0]);
  out.values.resize(out.count * sample_size);
  std::vector<double> block;
  size_t done = 0;
  for (;;) {
    block.clear();
    const size_t read = source->read(std::max<size_t>(1, (size_t{1} << 20) / sample_size), block);
    if (read == 0) break;
    for (size_t s = 0; s < read; ++s) {
      const double* sample = block.data() + s * sample_size;
      float* target = out.values.data() + (done + s) * sample_size;
      for (size_t p = 0; p < pixels; ++p) {
        for (size_t c = 0; c < channels; ++c) {
          double value = channels_last ? sample[p * channels + c] : sample[c * pixels + p];
          double scale = spec.channel_std[c] > 0 ? spec.channel_std[c] : 1.0;
          target[c * pixels + p] = static_cast<float>((value - spec.channel_mean[c]) / scale);
        }
      }
    }
    done += read;
  }
  out.labels = std::move(labels);
  out.content_hash = fmt::format("xxh3:{:016x}", source->content_hash());
  return out;
}

}  // namespace

ModelInputs assemble_model_inputs(const std::string& path, const ProfileOptions& options, const InputSpec& input,
                                  const std::string& label_column) {
  const std::string format = options.format.empty() ? detect_format(path) : options.format;
  if (input.kind == "tensor") return tensor_inputs(path, format, options, *input.tensor);
  Table table = load_table(path, format, options, "the model");
  if (table.label_column < 0 && !label_column.empty()) table.label_column = table.column_index(label_column);
  return tabular_model_inputs(table, input);
}

std::vector<int> label_indices(const std::vector<std::string>& labels, const std::vector<std::string>& names) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < names.size(); ++i) index[names[i]] = static_cast<int>(i);
  std::vector<int> out;
  out.reserve(labels.size());
  for (const std::string& label : labels) {
    auto found = index.find(label);
    out.push_back(found == index.end() ? -1 : found->second);
  }
  return out;
}

std::vector<std::string> ordered_label_set(const std::vector<std::string>& labels) {
  std::set<std::string> distinct(labels.begin(), labels.end());
  distinct.erase("");
  std::vector<std::string> out(distinct.begin(), distinct.end());
  auto number = [](const std::string& text, double& value) {
    char* end = nullptr;
    value = std::strtod(text.c_str(), &end);
    return end != text.c_str() && *end == '\0';
  };
  double a = 0, b = 0;
  bool numeric = std::all_of(out.begin(), out.end(), [&](const std::string& t) { return number(t, a); });
  if (numeric) {
    std::sort(out.begin(), out.end(), [&](const std::string& x, const std::string& y) {
      number(x, a);
      number(y, b);
      return a < b;
    });
  }
  return out;
}

}  // namespace xferval
