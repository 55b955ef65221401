#pragma once
// The model card (format xferval.card/1): the metadata a pretrained model carries about the data
// it was built on. This header holds the source-data sections: what the model takes as input
// (features or tensor shape, and the standardisation it expects), what it predicts (the label
// set), a Gaussian reference of the standardised numeric features for the multivariate checks,
// the source profile, and the lineage. Model sections (issue: models) live in `model`, kept
// verbatim by code that does not understand them.
#include <Eigen/Core>
#include <functional>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "xferval/io/csv.hpp"
#include "xferval/profile/feature_kind.hpp"
#include "xferval/profile/profile.hpp"

namespace xferval {

inline constexpr const char* kCardFormat = "xferval.card/1";

struct FeatureSpec {
  std::string name;
  FeatureKind kind = FeatureKind::Numeric;
  // z-score the model expects, (x - mean) / scale: the source's mean and population standard
  // deviation (ddof 0), scale 1 for a constant feature. Only for numeric kinds.
  double mean = 0.0;
  double scale = 1.0;
};

struct TensorSpec {
  std::vector<int64_t> sample_shape;  // e.g. {28, 28} or {32, 32, 3}
  std::string dtype;
  int channel_axis = -1;
  std::vector<double> channel_mean;  // per channel, in the stored value units
  std::vector<double> channel_std;   // population std (ddof 0)
};

struct InputSpec {
  std::string kind;  // "tabular" or "tensor"
  std::vector<FeatureSpec> features;
  std::optional<TensorSpec> tensor;

  const FeatureSpec* find(const std::string& name) const;
};

struct OutputSpec {
  std::string task;  // "classification", "regression", or "none" without a label
  std::string label;
  std::vector<std::string> labels;  // classification: label values, in numeric or text order
  std::vector<uint64_t> label_counts;
};

// Gaussian reference of the standardised numeric features: the source rows that are complete in
// every one of them, shuffled with a fixed seed and split into a fit part (mean, covariance and
// both shrinkage intensities) and a held-out part kept as rows, which calibrates Mahalanobis
// distances (never on the rows the fit used) and is the reference sample for MMD.
struct GaussianReference {
  std::vector<std::string> features;
  uint64_t fit_rows = 0;
  Eigen::VectorXd mean;
  Eigen::MatrixXd ml_covariance;  // divisor fit_rows, unshrunk
  double ledoit_wolf = 0.0;       // shrinkage intensities (scikit-learn's definitions)
  double oas = 0.0;
  Eigen::MatrixXd holdout;     // held-out rows x features, standardised
  Eigen::MatrixXd fit_sample;  // up to max_sample_rows fit rows, standardised: with the held-out
                               // rows the source sample of two-sample tests such as MMD
  uint64_t incomplete_rows = 0;  // source rows left out for a missing or non-finite value
  uint64_t seed = 0;
  double holdout_fraction = 0.2;
  uint64_t max_holdout_rows = 2000;
  uint64_t max_sample_rows = 1000;

  // Source rows for two-sample tests: the held-out rows, then the fit sample.
  Eigen::MatrixXd source_sample() const;
};

struct DataLineage {
  std::string path;
  std::string content_hash;
  std::string xferval_version;
  std::string created;  // UTC, ISO 8601
};

struct Card {
  InputSpec input;
  OutputSpec output;
  std::optional<GaussianReference> reference;
  Profile profile;
  DataLineage lineage;
  nlohmann::json model = nullptr;  // model sections, written by the model subsystem
};

struct CardOptions {
  std::optional<std::string> label;
  std::string task;  // "", "classification" or "regression"; "" infers from the label
  std::string format;
  std::string labels_path;
  std::string npz_member;
  CsvOptions csv;
  uint64_t seed = 0;
  double holdout_fraction = 0.2;
  uint64_t max_holdout_rows = 2000;
  uint64_t max_sample_rows = 1000;
  std::function<void(uint64_t, uint64_t)> progress;
};

// Reads the source data and writes every source-data section of a card.
Card build_data_card(const std::string& path, const CardOptions& options);

nlohmann::json card_to_json(const Card& card);
// Throws InputError naming `origin` (and the member) when the document is not xferval.card/1.
Card card_from_json(const nlohmann::json& document, const std::string& origin);
Card load_card(const std::string& path);
void save_card(const Card& card, const std::string& path);  // atomic

// The standardised value of a numeric feature.
inline double standardize(const FeatureSpec& spec, double value) { return (value - spec.mean) / spec.scale; }

}  // namespace xferval
