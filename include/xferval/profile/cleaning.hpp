#pragma once
// Cleaning of tabular data before profiling, per problem: missing values (empty cells, missing
// markers, NaN and +-inf) dropped or imputed, exact duplicate rows dropped, constant columns
// flagged or dropped. The cleaned numeric features can be written as a standardised matrix.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xferval/profile/builder.hpp"
#include "xferval/profile/profile.hpp"

namespace xferval {

struct CleaningPolicy {
  enum class Missing { Drop, Mean, Median, Mode, Keep };
  enum class Constant { Flag, Drop };
  Missing missing = Missing::Drop;
  bool drop_duplicates = true;
  Constant constant = Constant::Flag;

  // "missing=drop|mean|median|mode|keep,duplicates=drop|keep,constant=flag|drop"; every part
  // optional, the empty string gives the defaults. Throws UsageError naming a bad part.
  static CleaningPolicy parse(std::string_view text);
  std::string to_string() const;
};

// Means and scales that turn a feature into z-scores: (x - mean) / scale, with the scale the
// population standard deviation (ddof 0, as scikit-learn's StandardScaler) and 1 where it is 0.
struct Standardization {
  std::string origin;  // "this data" or the reference file
  std::vector<std::string> features;
  std::vector<double> mean;
  std::vector<double> scale;
};

// Reads the standardisation of `features` from a profile (xferval.profile/1) or a model card
// (xferval.card/1, its "profile" member). Throws InputError naming a feature it lacks.
Standardization standardization_from_file(const std::string& path, const std::vector<std::string>& features);

struct CleaningRequest {
  CleaningPolicy policy;
  std::string clean_out;         // FILE.npy, or empty
  std::string standardize_from;  // profile or card, or empty for this data's own statistics
};

// Reads the tabular input whole, cleans it, profiles the cleaned rows (with the cleaning log)
// and writes the cleaned standardised matrix when asked: FILE.npy (float64, rows x features)
// and FILE.columns.json beside it (feature names, means, scales, labels).
Profile clean_and_profile(const std::string& path, const ProfileOptions& options,
                          const CleaningRequest& request);

}  // namespace xferval
