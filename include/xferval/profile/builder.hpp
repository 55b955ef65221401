#pragma once
// Builds a Profile from any supported input, streaming chunk by chunk.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xferval/io/array.hpp"
#include "xferval/io/csv.hpp"
#include "xferval/io/csv_segments.hpp"
#include "xferval/profile/profile.hpp"

namespace xferval {

struct ProfileOptions {
  std::optional<std::string> label;  // CSV column, or .npz member, holding the labels
  std::string labels_path;           // labels file for .npy/IDX inputs (.npy or IDX)
  std::string npz_member;            // data member of an .npz; default: the only non-label member
  std::string format;                // force "csv", "npy", "npz", "idx", "image-folder"; default: detect
  CsvOptions csv;
  uint32_t shard_index = 0;  // 1-based; with shard_count > 0 profile only that contiguous part
  uint32_t shard_count = 0;
  size_t covariance_max_features = 1024;
  // A CSV file of at least two segments is read in byte segments on every core
  // (io/csv_segments.hpp); the CLI takes it from XFERVAL_CSV_SEGMENT_BYTES when set.
  uint64_t csv_segment_bytes = kCsvSegmentBytes;
  // Called now and then with (units done, units total) for progress display.
  std::function<void(uint64_t, uint64_t)> progress;
};

// Detects the input format from the path: a folder is an image folder; .npy, .npz, IDX
// (".idx" or "-idx" in the name, gzipped or not) by name; anything else is CSV.
std::string detect_format(const std::string& path);

// An array input (.npy, .npz member, IDX) with its labels as text, when given: from an .npz
// member named by --label, or a --labels file. InputError when the label count differs.
struct ArrayInput {
  std::unique_ptr<ArraySource> data;
  std::optional<std::vector<std::string>> labels;
};
ArrayInput open_array_input(const std::string& path, const std::string& format,
                            const ProfileOptions& options);

Profile build_profile(const std::string& path, const ProfileOptions& options);

// The contiguous row range [first, last) of shard index (1-based) of count over rows.
std::pair<uint64_t, uint64_t> shard_range(uint64_t rows, uint32_t index, uint32_t count);

}  // namespace xferval
