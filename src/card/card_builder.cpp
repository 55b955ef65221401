#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "xferval/card/card.hpp"
#include "xferval/core/clock.hpp"
#include "xferval/core/error.hpp"
#include "xferval/profile/builder.hpp"
#include "xferval/profile/table_loader.hpp"
#include "xferval/stats/shrinkage.hpp"
#include "xferval/version.hpp"

namespace xferval {

namespace {

bool is_tabular(const std::string& format, const std::string& path, const ProfileOptions& options) {
  if (format == "csv") return true;
  if (format == "image-folder") return false;
  ArrayInput input = open_array_input(path, format, options);
  return input.data->shape().size() <= 2;
}

std::vector<FeatureSpec> feature_specs(const Profile& profile) {
  std::vector<FeatureSpec> specs;
  for (const FeatureState& feature : profile.features) {
    FeatureSpec spec;
    spec.name = feature.name;
    spec.kind = feature.kind();
    if (is_numeric_kind(spec.kind) && feature.moments.count() > 0) {
      spec.mean = feature.moments.mean();
      double std = std::sqrt(feature.moments.variance(0));
      spec.scale = std > 0 && std::isfinite(std) ? std : 1.0;
    }
    specs.push_back(spec);
  }
  return specs;
}

// Regression when the label is numeric with fractional values or more than 20 distinct values.
std::string infer_task(const Profile& profile) {
  if (!profile.label) return "none";
  auto counts = profile.label->ordered_counts();
  bool numeric = true, integral = true;
  for (const auto& [text, count] : counts) {
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') {
      numeric = false;
      break;
    }
    integral = integral && value == std::floor(value);
  }
  if (numeric && (!integral || counts.size() > 20 || !profile.label->counts.exact())) return "regression";
  return "classification";
}

OutputSpec output_spec(const Profile& profile, const std::string& task) {
  OutputSpec output;
  output.task = task.empty() ? infer_task(profile) : task;
  if (!profile.label) return output;
  output.label = profile.label->name;
  if (output.task == "classification") {
    for (const auto& [value, count] : profile.label->ordered_counts()) {
      output.labels.push_back(value);
      output.label_counts.push_back(count);
    }
  }
  return output;
}

// Standardised numeric features of the rows complete in all of them, split into fit and
// held-out parts after a seeded shuffle.
GaussianReference gaussian_reference(const Table& table, const InputSpec& input, const CardOptions& options) {
  GaussianReference reference;
  reference.seed = options.seed;
  reference.holdout_fraction = options.holdout_fraction;
  reference.max_holdout_rows = options.max_holdout_rows;
  reference.max_sample_rows = options.max_sample_rows;
  std::vector<size_t> columns;
  std::vector<const FeatureSpec*> specs;
  for (const FeatureSpec& spec : input.features) {
    if (!is_numeric_kind(spec.kind)) continue;
    int column = table.column_index(spec.name);
    if (column < 0 || table.data.columns[static_cast<size_t>(column)].is_text) continue;
    columns.push_back(static_cast<size_t>(column));
    specs.push_back(&spec);
    reference.features.push_back(spec.name);
  }
  std::vector<size_t> complete;
  for (size_t r = 0; r < table.data.rows; ++r) {
    bool ok = std::all_of(columns.begin(), columns.end(), [&](size_t c) {
      const ColumnChunk& column = table.data.columns[c];
      return !column.missing[r] && std::isfinite(column.numbers[r]);
    });
    if (ok) complete.push_back(r);
  }
  reference.incomplete_rows = table.data.rows - complete.size();
  std::mt19937_64 generator(options.seed);
  std::shuffle(complete.begin(), complete.end(), generator);
  size_t holdout = std::min<size_t>(static_cast<size_t>(std::llround(options.holdout_fraction * complete.size())),
                                    options.max_holdout_rows);
  const size_t fit = complete.size() - holdout;
  if (columns.empty() || fit < 2) return reference;

  auto fill = [&](Eigen::MatrixXd& matrix, size_t first, size_t count) {
    matrix.resize(static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(columns.size()));
    for (size_t i = 0; i < count; ++i) {
      size_t r = complete[first + i];
      for (size_t j = 0; j < columns.size(); ++j) {
        matrix(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
            standardize(*specs[j], table.data.columns[columns[j]].numbers[r]);
      }
    }
  };
  Eigen::MatrixXd fit_rows;
  fill(fit_rows, 0, fit);
  fill(reference.holdout, fit, holdout);
  reference.fit_sample = fit_rows.topRows(static_cast<Eigen::Index>(std::min<uint64_t>(fit, options.max_sample_rows)));
  GaussianFit gaussian = fit_gaussian(fit_rows);
  reference.fit_rows = gaussian.n;
  reference.mean = std::move(gaussian.mean);
  reference.ml_covariance = std::move(gaussian.ml_covariance);
  reference.ledoit_wolf = gaussian.ledoit_wolf;
  reference.oas = gaussian.oas;
  return reference;
}

TensorSpec tensor_spec(const TensorState& tensor) {
  TensorSpec spec;
  spec.sample_shape = tensor.sample_shape;
  spec.dtype = tensor.dtype;
  spec.channel_axis = tensor.channel_axis;
  for (const Moments& channel : tensor.channels) {
    spec.channel_mean.push_back(channel.mean());
    spec.channel_std.push_back(std::sqrt(channel.variance(0)));
  }
  return spec;
}

}  // namespace

Eigen::MatrixXd GaussianReference::source_sample() const {
  Eigen::MatrixXd sample(holdout.rows() + fit_sample.rows(), holdout.cols());
  sample << holdout, fit_sample;
  return sample;
}

const FeatureSpec* InputSpec::find(const std::string& name) const {
  auto found = std::find_if(features.begin(), features.end(), [&](const FeatureSpec& f) { return f.name == name; });
  return found == features.end() ? nullptr : &*found;
}

Card build_data_card(const std::string& path, const CardOptions& options) {
  if (!(options.holdout_fraction >= 0 && options.holdout_fraction < 1)) {
    throw UsageError(fmt::format("--holdout must be in [0, 1), not {}", options.holdout_fraction));
  }
  if (!options.task.empty() && options.task != "classification" && options.task != "regression") {
    throw UsageError(fmt::format("--task must be classification or regression, not '{}'", options.task));
  }
  ProfileOptions profile_options;
  profile_options.label = options.label;
  profile_options.labels_path = options.labels_path;
  profile_options.npz_member = options.npz_member;
  profile_options.format = options.format;
  profile_options.csv = options.csv;
  profile_options.progress = options.progress;
  const std::string format = options.format.empty() ? detect_format(path) : options.format;

  Card card;
  if (is_tabular(format, path, profile_options)) {
    Table table = load_table(path, format, profile_options, "card");
    card.profile = profile_table(table, format);
    card.input.kind = "tabular";
    card.input.features = feature_specs(card.profile);
    card.reference = gaussian_reference(table, card.input, options);
  } else {
    card.profile = build_profile(path, profile_options);
    if (card.profile.rows == 0) throw InputError(path, "", "no samples");
    card.input.kind = "tensor";
    card.input.tensor = tensor_spec(*card.profile.tensor);
  }
  card.output = output_spec(card.profile, options.task);
  card.lineage.path = path;
  card.lineage.content_hash = card.profile.source.content_hash;
  card.lineage.xferval_version = kVersion;
  card.lineage.created = utc_timestamp();
  return card;
}

}  // namespace xferval
