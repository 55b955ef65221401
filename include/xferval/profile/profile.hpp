#pragma once
// The data's metadata (format xferval.profile/1): per-feature statistics with their mergeable
// sketch state, the covariance of the numeric features, the label distribution, tensor
// statistics for image data, the cleaning log and the input's identity.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "xferval/profile/feature_kind.hpp"
#include "xferval/stats/covariance.hpp"
#include "xferval/stats/frequent_items.hpp"
#include "xferval/stats/hyperloglog.hpp"
#include "xferval/stats/kll.hpp"
#include "xferval/stats/moments.hpp"

namespace xferval {

inline constexpr const char* kProfileFormat = "xferval.profile/1";

// How a tabular column was stored while reading: as numbers or as text.
enum class Storage { Numbers, Text };

// Accumulated state of one tabular feature. Statistics on numbers use finite values only;
// missing cells, NaN and +-inf are counted apart.
struct FeatureState {
  std::string name;
  Storage storage = Storage::Numbers;
  uint64_t rows = 0;     // cells seen
  uint64_t missing = 0;  // empty cells and missing markers
  uint64_t nan = 0;
  uint64_t inf = 0;
  uint64_t zeros = 0;
  // Token facts over the whole input (not only this shard), deciding integer and boolean kinds.
  bool all_integral = true;
  bool saw_bool_literal = false;
  bool saw_number = false;
  Moments moments;           // finite numbers, or text lengths
  KllSketch quantiles;       // finite numbers
  DistinctCounter distinct;  // present values (numbers by value, text by bytes)
  FrequentItems<double> top_numbers;
  FrequentItems<std::string> top_texts;

  FeatureKind kind() const;
  uint64_t present() const { return rows - missing - nan; }  // as pandas' count(): inf included
  uint64_t finite() const { return present() - inf; }
};

// Statistics of image or tensor samples: per-channel moments and a value sketch.
struct TensorState {
  std::vector<int64_t> sample_shape;  // shape of one sample, e.g. {28, 28} or {32, 32, 3}
  std::string dtype;
  int channel_axis = -1;  // axis of sample_shape holding channels, -1 for a single channel
  std::vector<Moments> channels;
  KllSketch values;
  std::vector<uint64_t> byte_histogram;  // 256 exact counts when dtype is uint8, else empty
  uint64_t samples = 0;
  uint64_t nan = 0;
  uint64_t inf = 0;
  uint64_t zeros = 0;
  bool is_image = false;

  size_t channel_count() const { return channels.size(); }
};

struct LabelState {
  std::string name;
  uint64_t missing = 0;
  FrequentItems<std::string> counts{4096};

  // Label values with their counts, in numeric order when every value is a number, else by text.
  std::vector<std::pair<std::string, uint64_t>> ordered_counts() const;
};

// What cleaning did, by reason: counts and the first row numbers (0-based data rows).
struct CleaningLog {
  bool applied = false;
  std::string policy;  // the policy as given, e.g. "missing=drop,duplicates=drop,constant=flag"
  uint64_t rows_in = 0;
  uint64_t rows_out = 0;
  struct Entry {
    std::string reason;   // "missing", "nan", "inf", "duplicate", "imputed:mean", "constant"
    std::string action;   // "dropped row", "imputed", "flagged column", "dropped column"
    std::string feature;  // empty for row-level reasons
    uint64_t count = 0;
    std::vector<uint64_t> first_rows;  // up to 10
  };
  std::vector<Entry> entries;
};

struct SourceInfo {
  std::string path;
  std::string format;        // "csv", "npy", "npz", "idx", "image-folder"
  std::string content_hash;  // "xxh3:<16 hex>" of the whole input
  uint32_t shard_index = 0;  // 1-based; 0 when the profile covers the whole input
  uint32_t shard_count = 0;
  std::vector<std::string> merged_from;  // content hashes of merged profiles of other inputs
};

struct Profile {
  SourceInfo source;
  uint64_t rows = 0;
  std::vector<FeatureState> features;
  std::optional<CovarianceAccumulator> covariance;  // numeric features, rows complete in all
  std::vector<std::string> covariance_features;
  std::optional<TensorState> tensor;
  std::optional<LabelState> label;
  CleaningLog cleaning;

  const FeatureState* find_feature(const std::string& name) const;
};

}  // namespace xferval
