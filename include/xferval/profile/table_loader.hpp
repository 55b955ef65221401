#pragma once
// Tabular inputs read whole into memory, for the steps that need every row at once: cleaning,
// and the checks that compare rows (drift tests on raw values, Mahalanobis distances).
#include <string>
#include <string_view>
#include <vector>

#include "xferval/io/table.hpp"
#include "xferval/profile/builder.hpp"
#include "xferval/profile/profile.hpp"

namespace xferval {

// One chunk holding every row, with the column names and the label column (-1 without).
struct Table {
  std::string path;
  std::vector<std::string> names;
  TableChunk data;
  int label_column = -1;
  std::string content_hash;  // "xxh3:<hex>" of the input file

  int column_index(const std::string& name) const;  // -1 when absent
};

// Reads a CSV, or a 1-D or 2-D array (.npy, .npz member, IDX) as columns f0, f1, ... with its
// labels. `purpose` names the step in errors ("--clean", "check"). InputError on an empty input.
Table load_table(const std::string& path, const std::string& format, const ProfileOptions& options,
                 std::string_view purpose);

// The profile of a loaded table (every row), as build_profile would give for the same input.
Profile profile_table(const Table& table, const std::string& format, size_t covariance_max_features = 1024);

}  // namespace xferval
