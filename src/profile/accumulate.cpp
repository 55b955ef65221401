#include "xferval/profile/accumulate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <thread>

#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/stats/number_sort.hpp"
#include "xferval/stats/sorted_runs.hpp"

namespace xferval {

std::string number_label(double value) { return fmt::format("{}", value); }

namespace {

bool all_finite(const double* values, size_t count) {
  constexpr uint64_t kExponent = 0x7ff0000000000000ULL;  // all ones: NaN or an infinity
  uint64_t non_finite = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t bits;
    std::memcpy(&bits, &values[i], sizeof bits);
    non_finite |= static_cast<uint64_t>((bits & kExponent) == kExponent);
  }
  return non_finite == 0;
}

}  // namespace

int label_column_index(const std::string& path, const std::vector<std::string>& names,
                       const std::optional<std::string>& label) {
  if (!label) return -1;
  auto found = std::find(names.begin(), names.end(), *label);
  if (found == names.end()) {
    throw InputError(path, "line 1",
                     fmt::format("--label names column '{}', which is not in the header; the columns are: {}",
                                 *label, fmt::join(names, ", ")));
  }
  return static_cast<int>(found - names.begin());
}

TabularAccumulator::TabularAccumulator(const std::vector<std::string>& column_names,
                                       const std::vector<bool>& text_columns, int label_column,
                                       size_t covariance_max_features)
    : label_column_(label_column) {
  for (size_t c = 0; c < column_names.size(); ++c) {
    if (static_cast<int>(c) == label_column) continue;
    FeatureState feature;
    feature.name = column_names[c];
    feature.storage = text_columns[c] ? Storage::Text : Storage::Numbers;
    features_.push_back(std::move(feature));
    feature_columns_.push_back(c);
    if (!text_columns[c]) {
      covariance_columns_.push_back(c);
      covariance_names_.push_back(column_names[c]);
    }
  }
  if (label_column >= 0) {
    label_.emplace();
    label_->name = column_names[static_cast<size_t>(label_column)];
  }
  if (!covariance_columns_.empty() && covariance_columns_.size() <= covariance_max_features) {
    covariance_.emplace(covariance_columns_.size());
  }
}

void TabularAccumulator::set_quantile_seed(uint64_t seed) {
  for (FeatureState& feature : features_) feature.quantiles = KllSketch(KllSketch::kDefaultK, seed);
}

void TabularAccumulator::observe_token_facts(const TableChunk& chunk) {
  for (size_t f = 0; f < features_.size(); ++f) {
    const ColumnChunk& column = chunk.columns[feature_columns_[f]];
    FeatureState& feature = features_[f];
    feature.all_integral = feature.all_integral && column.all_integral;
    feature.saw_bool_literal = feature.saw_bool_literal || column.saw_bool_literal;
    feature.saw_number = feature.saw_number || column.saw_number;
  }
}

void TabularAccumulator::add(const TableChunk& chunk, size_t first, size_t last) {
  if (first >= last) return;
  // Features are independent: the second half (with covariance and labels) runs on another
  // thread while this one takes the first half. Big chunks only: a thread costs microseconds.
  const size_t rows = last - first;
  const bool parallel = feature_threads_ && rows * features_.size() >= (1u << 16) && features_.size() >= 2;
  if (split_ == 0) split_ = features_.size() / 2;
  const size_t split = parallel ? split_ : features_.size();
  finite_columns_.assign(parallel ? 0 : chunk.columns.size(), -1);  // the halves would race on it
  using Clock = std::chrono::steady_clock;
  Clock::duration second_time{};
  auto second_half = [&] {
    const auto start = Clock::now();
    add_features(chunk, split, features_.size(), first, last, second_half_scratch_);
    if (covariance_) add_covariance_rows(chunk, first, last);
    if (label_) add_labels(chunk.columns[static_cast<size_t>(label_column_)], first, last);
    second_time = Clock::now() - start;
  };
  if (parallel) {
    std::exception_ptr failure;
    std::thread helper([&] {
      try {
        second_half();
      } catch (...) {
        failure = std::current_exception();
      }
    });
    const auto start = Clock::now();
    add_features(chunk, 0, split, first, last, first_half_scratch_);
    const Clock::duration first_time = Clock::now() - start;
    helper.join();
    if (failure) std::rethrow_exception(failure);
    // The halves are rarely equal (the covariance, text columns): move one feature towards the
    // faster side for the next chunk. Which thread adds a feature does not change its result.
    if (first_time > second_time + second_time / 8 && split_ > 1) --split_;
    if (second_time > first_time + first_time / 8 && split_ + 1 < features_.size()) ++split_;
  } else {
    add_features(chunk, 0, split, first, last, first_half_scratch_);
    second_half();
  }
  rows_ += rows;
}

void TabularAccumulator::add_features(const TableChunk& chunk, size_t begin, size_t end, size_t first,
                                      size_t last, NumberScratch& scratch) {
  for (size_t f = begin; f < end; ++f) {
    const ColumnChunk& column = chunk.columns[feature_columns_[f]];
    FeatureState& feature = features_[f];
    feature.rows += last - first;
    if (feature.storage == Storage::Text) {
      add_texts(feature, column, first, last);
    } else {
      const bool finite = add_numbers(feature, column, first, last, scratch);
      if (!finite_columns_.empty()) finite_columns_[feature_columns_[f]] = finite ? 1 : 0;
    }
  }
}

// Returns whether every cell of the rows was a finite number.
bool TabularAccumulator::add_numbers(FeatureState& feature, const ColumnChunk& column, size_t first,
                                     size_t last, NumberScratch& scratch) {
  // The finite values: all of them in the common case (a missing cell holds NaN), else picked
  // without a branch per value; the rare missing, NaN and infinite cells are counted in a second
  // pass only when there are any.
  std::vector<double>& values = scratch.values;
  values.resize(last - first);
  size_t finite = 0;
  if (all_finite(column.numbers.data() + first, last - first)) {
    std::memcpy(values.data(), column.numbers.data() + first, (last - first) * sizeof(double));
    finite = last - first;
  } else {
    for (size_t r = first; r < last; ++r) {
      const double value = column.numbers[r];
      values[finite] = value;
      finite += (column.missing[r] == 0 && std::isfinite(value)) ? 1 : 0;
    }
  }
  uint64_t negative_inf = 0;
  uint64_t positive_inf = 0;
  if (finite != last - first) {
    for (size_t r = first; r < last; ++r) {
      const double value = column.numbers[r];
      if (column.missing[r] != 0) {
        ++feature.missing;
      } else if (std::isnan(value)) {
        ++feature.nan;
      } else if (std::isinf(value)) {
        ++(value < 0 ? negative_inf : positive_inf);
      }
    }
    feature.inf += negative_inf + positive_inf;
  }
  feature.moments.add_block(values.data(), finite);

  // Sorted, the chunk is its runs of equal values: one hash, one distinct-count update and one
  // frequent-values entry per run instead of per value, and the quantile sketch takes it whole.
  sort_numbers(values.data(), finite, scratch.sort_keys);
  if (scratch.runs.size() < finite + 16) {  // sorted_runs needs 8 spare entries, the infinities 2
    scratch.runs.resize(finite + 16);
    scratch.run_hashes.resize(finite + 16);
  }
  std::pair<double, uint64_t>* runs = scratch.runs.data();
  uint64_t* hashes = scratch.run_hashes.data();
  size_t run_count = 0;
  if (negative_inf != 0) {
    runs[0] = {-std::numeric_limits<double>::infinity(), negative_inf};
    hashes[0] = hash_number(runs[0].first);
    run_count = 1;
  }
  const SortedRuns finite_runs = sorted_runs(values.data(), finite, runs + run_count, hashes + run_count);
  run_count += finite_runs.count;
  feature.zeros += finite_runs.zeros;
  if (positive_inf != 0) {
    runs[run_count] = {std::numeric_limits<double>::infinity(), positive_inf};
    hashes[run_count] = hash_number(runs[run_count].first);
    ++run_count;
  }
  feature.distinct.add_hashes(hashes, run_count);
  const size_t repeated = finite_runs.repeated + (negative_inf > 1 ? 1 : 0) + (positive_inf > 1 ? 1 : 0);
  feature.top_numbers.update_distinct(runs, hashes, run_count, repeated);
  feature.quantiles.update_sorted(values.data(), finite);
  return finite == last - first;
}

void TabularAccumulator::add_texts(FeatureState& feature, const ColumnChunk& column, size_t first,
                                   size_t last) {
  for (size_t r = first; r < last; ++r) {
    if (column.missing[r]) {
      ++feature.missing;
      continue;
    }
    const std::string& text = column.texts[r];
    feature.distinct.add_hash(hash_string(text));
    feature.top_texts.update(text);
    feature.moments.add(static_cast<double>(text.size()));
  }
}

void TabularAccumulator::add_covariance_rows(const TableChunk& chunk, size_t first, size_t last) {
  // Rows with a missing or non-finite value in any numeric feature are left out. When there are
  // none (the common case) the columns are read in place; otherwise the complete rows are copied.
  const size_t rows = last - first;
  const size_t width = covariance_columns_.size();
  std::vector<const double*> columns(width);
  // A missing cell holds NaN, so a block of finite numbers is complete: one branch-free pass.
  bool complete = true;
  for (size_t j = 0; j < width && complete; ++j) {
    const size_t c = covariance_columns_[j];
    columns[j] = chunk.columns[c].numbers.data() + first;
    complete = finite_columns_.empty() || finite_columns_[c] < 0 ? all_finite(columns[j], rows)
                                                                 : finite_columns_[c] == 1;
  }
  if (complete) {
    covariance_->add_columns(columns, rows);
    return;
  }
  complete_rows_.assign(rows, 1);
  size_t incomplete = 0;
  for (size_t column_index : covariance_columns_) {
    const ColumnChunk& column = chunk.columns[column_index];
    for (size_t r = 0; r < rows; ++r) {
      const bool usable = column.missing[first + r] == 0 && std::isfinite(column.numbers[first + r]);
      incomplete += complete_rows_[r] & static_cast<uint8_t>(!usable);
      complete_rows_[r] &= static_cast<uint8_t>(usable);
    }
  }
  const size_t complete_count = rows - incomplete;
  gathered_.resize(complete_count * width);
  for (size_t j = 0; j < width; ++j) {
    const double* numbers = chunk.columns[covariance_columns_[j]].numbers.data() + first;
    double* out = gathered_.data() + j * complete_count;
    for (size_t r = 0; r < rows; ++r) {
      if (complete_rows_[r] != 0) *out++ = numbers[r];
    }
    columns[j] = gathered_.data() + j * complete_count;
  }
  covariance_->add_columns(columns, complete_count);
}

void TabularAccumulator::add_labels(const ColumnChunk& column, size_t first, size_t last) {
  for (size_t r = first; r < last; ++r) {
    if (column.missing[r] || (!column.is_text && std::isnan(column.numbers[r]))) {
      ++label_->missing;
    } else if (column.is_text) {
      label_->counts.update(column.texts[r]);
    } else {
      label_->counts.update(number_label(column.numbers[r]));
    }
  }
}

void TabularAccumulator::finish(Profile& profile) {
  profile.rows = rows_;
  profile.features = std::move(features_);
  profile.label = std::move(label_);
  if (covariance_) {
    profile.covariance = std::move(covariance_);
    profile.covariance_features = covariance_names_;
  }
}

void fill_table_chunk(const double* values, size_t samples, size_t width, const std::string& dtype,
                      TableChunk& chunk) {
  const bool boolean = dtype == "bool";
  const bool integral = boolean || dtype.find("int") != std::string::npos;
  chunk.rows = samples;
  chunk.columns.resize(width);
  for (size_t j = 0; j < width; ++j) {
    ColumnChunk& column = chunk.columns[j];
    column.is_text = false;
    column.numbers.resize(samples);
    column.missing.assign(samples, 0);
    for (size_t r = 0; r < samples; ++r) column.numbers[r] = values[r * width + j];
    column.all_integral = integral;
    column.saw_bool_literal = boolean;
    column.saw_number = !boolean;
  }
}

std::vector<std::string> array_column_names(size_t width) {
  std::vector<std::string> names;
  for (size_t j = 0; j < width; ++j) names.push_back(fmt::format("f{}", j));
  return names;
}

TensorAccumulator::TensorAccumulator(std::vector<int64_t> sample_shape, std::string dtype, bool is_image) {
  state_.sample_shape = std::move(sample_shape);
  state_.dtype = std::move(dtype);
  state_.is_image = is_image;
  for (int64_t extent : state_.sample_shape) sample_size_ *= static_cast<size_t>(extent);
  const auto& shape = state_.sample_shape;
  size_t channels = 1;
  // Channels last ({H, W, C}) or first ({C, H, W}) when that axis is small; else one channel.
  if (shape.size() == 3 && (shape[2] == 1 || shape[2] == 3 || shape[2] == 4)) {
    state_.channel_axis = 2;
    channels = static_cast<size_t>(shape[2]);
  } else if (shape.size() == 3 && (shape[0] == 1 || shape[0] == 3)) {
    state_.channel_axis = 0;
    channels = static_cast<size_t>(shape[0]);
  }
  channel_stride_ = state_.channel_axis == 0 ? sample_size_ / channels : 1;
  state_.channels.resize(channels);
  channel_buffers_.resize(channels);
  if (state_.dtype == "uint8") state_.byte_histogram.assign(256, 0);
}

void TensorAccumulator::add(const double* values, size_t samples) {
  const size_t channels = state_.channels.size();
  for (auto& buffer : channel_buffers_) buffer.clear();
  for (size_t s = 0; s < samples; ++s) {
    const double* sample = values + s * sample_size_;
    for (size_t e = 0; e < sample_size_; ++e) {
      double value = sample[e];
      if (!std::isfinite(value)) {
        ++(std::isnan(value) ? state_.nan : state_.inf);
        continue;
      }
      if (value == 0.0) ++state_.zeros;
      size_t channel =
          state_.channel_axis == 2 ? e % channels : (state_.channel_axis == 0 ? e / channel_stride_ : 0);
      channel_buffers_[channel].push_back(value);
    }
  }
  for (size_t c = 0; c < channels; ++c) {
    const auto& buffer = channel_buffers_[c];
    state_.channels[c].add_block(buffer.data(), buffer.size());
    state_.values.update_block(buffer.data(), buffer.size());
    if (!state_.byte_histogram.empty()) {
      for (double value : buffer) ++state_.byte_histogram[static_cast<uint8_t>(value)];
    }
  }
  state_.samples += samples;
}

void TensorAccumulator::finish(Profile& profile) {
  profile.rows = state_.samples;
  profile.tensor = std::move(state_);
}

}  // namespace xferval
