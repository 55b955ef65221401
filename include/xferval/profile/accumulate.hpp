#pragma once
// Folding rows of data into profile state: shared by the profile builder and by cleaning.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "xferval/io/table.hpp"
#include "xferval/profile/profile.hpp"

namespace xferval {

// Accumulates tabular chunks into features, covariance and label state.
class TabularAccumulator {
 public:
  // label_column: index of the label column among column_names, or -1.
  TabularAccumulator(const std::vector<std::string>& column_names, const std::vector<bool>& text_columns,
                     int label_column, size_t covariance_max_features);

  // Whether add() may split a large chunk's features over two threads (by default it does).
  void set_feature_threads(bool two) { feature_threads_ = two; }
  // Seeds the quantile sketches' random halving, so that the parts of one input merged later
  // (segments of a file) do not all draw the same bits. Call before the first add().
  void set_quantile_seed(uint64_t seed);
  // Folds rows [first, last) of the chunk (indices within the chunk).
  void add(const TableChunk& chunk, size_t first, size_t last);
  // Records the whole-input token facts of a chunk (also for rows outside a shard).
  void observe_token_facts(const TableChunk& chunk);
  // Moves the accumulated state into the profile (features, covariance, label, rows).
  void finish(Profile& profile);

 private:
  // Working memory of one thread's numeric columns, reused chunk after chunk.
  struct NumberScratch {
    std::vector<double> values;  // the chunk's finite values, then sorted
    std::vector<uint64_t> sort_keys;
    std::vector<std::pair<double, uint64_t>> runs;  // distinct values with their counts
    std::vector<uint64_t> run_hashes;
  };

  void add_features(const TableChunk& chunk, size_t begin, size_t end, size_t first, size_t last,
                    NumberScratch& scratch);
  bool add_numbers(FeatureState& feature, const ColumnChunk& column, size_t first, size_t last,
                   NumberScratch& scratch);
  void add_texts(FeatureState& feature, const ColumnChunk& column, size_t first, size_t last);
  void add_covariance_rows(const TableChunk& chunk, size_t first, size_t last);
  void add_labels(const ColumnChunk& column, size_t first, size_t last);

  std::vector<FeatureState> features_;
  std::vector<size_t> feature_columns_;     // chunk column of each feature
  std::vector<size_t> covariance_columns_;  // chunk columns of numeric features
  std::vector<std::string> covariance_names_;
  int label_column_;
  std::optional<LabelState> label_;
  std::optional<CovarianceAccumulator> covariance_;
  NumberScratch first_half_scratch_;
  NumberScratch second_half_scratch_;
  // Per chunk column, when one thread adds the whole chunk: 1 where add_numbers found every cell
  // of the rows added finite, 0 where not, -1 not known. Saves the covariance that check.
  std::vector<int8_t> finite_columns_;
  std::vector<uint8_t> complete_rows_;  // covariance: rows with every numeric feature usable
  std::vector<double> gathered_;        // covariance: the complete rows, column after column
  uint64_t rows_ = 0;
  size_t split_ = 0;
  bool feature_threads_ = true;  // features [0, split_) on the calling thread, the rest on the helper
};

// Accumulates samples of an N-dimensional array into tensor statistics.
class TensorAccumulator {
 public:
  TensorAccumulator(std::vector<int64_t> sample_shape, std::string dtype, bool is_image);
  // values: `samples` samples in C order.
  void add(const double* values, size_t samples);
  void finish(Profile& profile);

 private:
  TensorState state_;
  size_t sample_size_ = 1;
  size_t channel_stride_ = 1;  // distance between consecutive channels of one pixel
  std::vector<std::vector<double>> channel_buffers_;
};

// Index of the label column in a header, -1 without a label; InputError when it is absent.
int label_column_index(const std::string& path, const std::vector<std::string>& names,
                       const std::optional<std::string>& label);

// Samples of a 1-D or 2-D array (row-major, `width` values each) as tabular columns; the dtype
// decides the integer and boolean kinds.
void fill_table_chunk(const double* values, size_t samples, size_t width, const std::string& dtype,
                      TableChunk& chunk);
// Names of an array's columns: f0, f1, ...
std::vector<std::string> array_column_names(size_t width);

// Label text of a numeric label: the shortest round-trip decimal ("3", "0.5").
std::string number_label(double value);

}  // namespace xferval
