// Multivariate drift of the standardised numeric features against the card's Gaussian reference:
// Mahalanobis distances under a shrunk covariance (target against held-out source rows, never the
// rows of the fit), Hotelling's T-squared for a mean shift, and MMD for any change of the joint
// distribution.
#include <fmt/format.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>

#include "check_context.hpp"
#include "xferval/stats/distributions.hpp"
#include "xferval/stats/hotelling.hpp"
#include "xferval/stats/mahalanobis.hpp"
#include "xferval/stats/mmd.hpp"
#include "xferval/stats/shrinkage.hpp"
#include "xferval/stats/two_sample.hpp"

namespace xferval::check {

namespace {

constexpr size_t kMinimumHoldoutRows = 5;
constexpr size_t kHistogramBins = 30;

const char* kMultivariateChecks[] = {"multivariate.mahalanobis_ks", "multivariate.mahalanobis_exceedance",
                                     "multivariate.hotelling", "multivariate.mmd"};

void skip_all(Context& context, const std::string& reason) {
  for (const char* name : kMultivariateChecks) context.skip(name, "", reason);
}

// Target rows complete in every reference feature, standardised as the card says.
Eigen::MatrixXd standardised_target(const Context& context, const GaussianReference& reference, uint64_t& incomplete,
                                    std::string& missing) {
  const Table& table = *context.target;
  std::vector<const ColumnChunk*> columns;
  std::vector<const FeatureSpec*> specs;
  for (const std::string& name : reference.features) {
    int index = table.column_index(name);
    if (index < 0 || table.data.columns[static_cast<size_t>(index)].is_text) {
      missing = name;
      return {};
    }
    columns.push_back(&table.data.columns[static_cast<size_t>(index)]);
    specs.push_back(context.card.input.find(name));
  }
  std::vector<size_t> rows;
  for (size_t r = 0; r < table.data.rows; ++r) {
    bool complete = std::all_of(columns.begin(), columns.end(), [&](const ColumnChunk* c) {
      return !c->missing[r] && std::isfinite(c->numbers[r]);
    });
    if (complete) rows.push_back(r);
  }
  incomplete = table.data.rows - rows.size();
  Eigen::MatrixXd matrix(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(columns.size()));
  for (size_t j = 0; j < columns.size(); ++j) {
    for (size_t i = 0; i < rows.size(); ++i) {
      matrix(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = standardize(*specs[j], columns[j]->numbers[rows[i]]);
    }
  }
  return matrix;
}

double share_above(const Eigen::VectorXd& values, double threshold) {
  if (values.size() == 0) return 0.0;
  return static_cast<double>((values.array() > threshold).count()) / static_cast<double>(values.size());
}

nlohmann::json histogram(const Eigen::VectorXd& calibration, const Eigen::VectorXd& target, double threshold) {
  std::vector<double> all(calibration.data(), calibration.data() + calibration.size());
  all.insert(all.end(), target.data(), target.data() + target.size());
  std::sort(all.begin(), all.end());
  double high = std::max(threshold, all[static_cast<size_t>(0.99 * static_cast<double>(all.size() - 1))]) * 1.05;
  std::vector<double> edges(kHistogramBins + 1);
  for (size_t i = 0; i <= kHistogramBins; ++i) edges[i] = high * static_cast<double>(i) / kHistogramBins;
  auto counts = [&](const Eigen::VectorXd& values) {
    std::vector<uint64_t> bins(kHistogramBins, 0);
    for (Eigen::Index i = 0; i < values.size(); ++i) {
      size_t bin = static_cast<size_t>(values[i] / high * kHistogramBins);
      ++bins[std::min(bin, kHistogramBins - 1)];  // the last bin also holds everything beyond
    }
    return bins;
  };
  return {{"edges", edges}, {"calibration", counts(calibration)}, {"target", counts(target)}, {"threshold", threshold}};
}

Eigen::MatrixXd unbiased_covariance(const Eigen::MatrixXd& rows, Eigen::VectorXd& mean) {
  mean = rows.colwise().mean();
  Eigen::MatrixXd centred = rows.rowwise() - mean.transpose();
  return (centred.transpose() * centred) / static_cast<double>(rows.rows() - 1);
}

void hotelling(Context& context, const GaussianReference& reference, const Eigen::MatrixXd& target) {
  const auto n1 = reference.fit_rows, n2 = static_cast<uint64_t>(target.rows());
  const auto p = static_cast<uint64_t>(reference.features.size());
  if (n2 < 2 || n1 + n2 < p + 2) {
    context.skip("multivariate.hotelling", "",
                 fmt::format("needs n1 + n2 - p - 1 >= 1: {} source, {} target rows, {} features", n1, n2, p));
    return;
  }
  Eigen::MatrixXd source_cov = reference.ml_covariance * (static_cast<double>(n1) / static_cast<double>(n1 - 1));
  Eigen::VectorXd target_mean;
  Eigen::MatrixXd target_cov = unbiased_covariance(target, target_mean);
  Eigen::MatrixXd pooled = ((static_cast<double>(n1) - 1) * source_cov + (static_cast<double>(n2) - 1) * target_cov) /
                           static_cast<double>(n1 + n2 - 2);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(pooled, Eigen::EigenvaluesOnly);
  const double smallest = eigen.eigenvalues().minCoeff(), largest = eigen.eigenvalues().maxCoeff();
  double shrinkage = 0;
  if (!(smallest > 1e-10 * largest)) {
    Eigen::MatrixXd ml = pooled * (static_cast<double>(n1 + n2 - 2) / static_cast<double>(n1 + n2));
    shrinkage = oas_shrinkage(ml, n1 + n2);
  }
  HotellingResult result =
      hotelling_two_sample(reference.mean, source_cov, n1, target_mean, target_cov, n2, shrinkage);
  double mean_distance = std::sqrt((reference.mean - target_mean).squaredNorm());
  context.add("multivariate.hotelling", "", result.p_value,
              fmt::format("T-squared {:.4g}, F({:.0f}, {:.0f}) = {:.4g}, p-value {:.3g}{}", result.t_squared, result.df1,
                          result.df2, result.f_statistic, result.p_value,
                          shrinkage > 0 ? fmt::format(" (pooled covariance singular: OAS shrinkage {:.3g}, F approximate)", shrinkage) : ""),
              {{"t_squared", result.t_squared},
               {"f_statistic", result.f_statistic},
               {"df1", result.df1},
               {"df2", result.df2},
               {"shrinkage", shrinkage},
               {"mean_shift_norm_standardised", mean_distance},
               {"source_rows", n1},
               {"target_rows", n2}});
}

}  // namespace

void check_multivariate(Context& context) {
  if (!context.target) {
    skip_all(context, "multivariate checks of tensors run in a model's embedding space (give the card a model)");
    return;
  }
  if (!context.card.reference || context.card.reference->fit_rows < 2 || context.card.reference->features.empty()) {
    skip_all(context, "the card has no Gaussian reference (fewer than 2 complete numeric source rows)");
    return;
  }
  const GaussianReference& reference = *context.card.reference;
  uint64_t incomplete = 0;
  std::string missing;
  Eigen::MatrixXd target = standardised_target(context, reference, incomplete, missing);
  if (!missing.empty()) {
    skip_all(context, fmt::format("the data lacks the numeric feature '{}'", missing));
    return;
  }
  if (target.rows() < 2) {
    skip_all(context, fmt::format("{} complete target rows; at least 2 are needed", target.rows()));
    return;
  }
  const size_t p = reference.features.size();
  auto method = shrinkage_method_from_string(context.policy.shrinkage).value_or(ShrinkageMethod::LedoitWolf);
  double rho = method == ShrinkageMethod::LedoitWolf ? reference.ledoit_wolf
               : method == ShrinkageMethod::Oas      ? reference.oas
                                                     : 0.0;
  MahalanobisScorer scorer(reference.mean, shrink(reference.ml_covariance, rho), method == ShrinkageMethod::PseudoInverse);
  Eigen::VectorXd target_d2 = scorer.squared_distances(target);
  Eigen::VectorXd calibration_d2 = scorer.squared_distances(reference.holdout);
  const double threshold = dist::chi2_quantile(context.policy.distance_quantile, static_cast<double>(p));
  nlohmann::json common = {{"features", p},
                           {"shrinkage_method", to_string(method)},
                           {"shrinkage", rho},
                           {"pseudo_inverse", scorer.used_pseudo_inverse()},
                           {"fit_rows", reference.fit_rows},
                           {"calibration_rows", calibration_d2.size()},
                           {"target_rows", target_d2.size()},
                           {"target_rows_incomplete", incomplete}};
  nlohmann::json section = common;
  section["target_mean_d2"] = target_d2.mean();
  if (calibration_d2.size() > 0) section["calibration_mean_d2"] = calibration_d2.mean();

  if (static_cast<size_t>(calibration_d2.size()) < kMinimumHoldoutRows) {
    context.skip("multivariate.mahalanobis_ks", "",
                 fmt::format("{} held-out source rows in the card; at least {} are needed", calibration_d2.size(),
                             kMinimumHoldoutRows));
    context.skip("multivariate.mahalanobis_exceedance", "", "no held-out source rows to compare with");
  } else {
    std::vector<double> a(target_d2.data(), target_d2.data() + target_d2.size());
    std::vector<double> b(calibration_d2.data(), calibration_d2.data() + calibration_d2.size());
    TestResult ks = ks_2samp(a, b);
    nlohmann::json details = common;
    details["ks_statistic"] = ks.statistic;
    details["target_mean_d2"] = target_d2.mean();
    details["calibration_mean_d2"] = calibration_d2.mean();
    context.add("multivariate.mahalanobis_ks", "", ks.p_value,
                fmt::format("mean squared distance {:.4g} in the data, {:.4g} in held-out source rows; KS D {:.3f}",
                            target_d2.mean(), calibration_d2.mean(), ks.statistic),
                details);
    double target_share = share_above(target_d2, threshold), calibration_share = share_above(calibration_d2, threshold);
    context.add("multivariate.mahalanobis_exceedance", "", target_share - calibration_share,
                fmt::format("{:.1f}% of rows above the chi-square({}) {:.3g} quantile {:.4g}, {:.1f}% of held-out source rows",
                            100 * target_share, p, context.policy.distance_quantile, threshold, 100 * calibration_share),
                {{"threshold_d2", threshold}, {"target_share", target_share}, {"calibration_share", calibration_share}});
    section["histogram"] = histogram(calibration_d2, target_d2, threshold);
  }
  context.report.sections["mahalanobis"] = section;

  hotelling(context, reference, target);

  Eigen::MatrixXd source_sample = reference.source_sample();
  if (source_sample.rows() < 2) {
    context.skip("multivariate.mmd", "", "fewer than 2 source rows in the card");
    return;
  }
  MmdOptions options;
  options.permutations = context.policy.mmd_permutations;
  options.max_rows_per_sample = context.policy.mmd_max_rows;
  options.seed = context.policy.seed;
  MmdResult mmd = mmd_test(source_sample, target, options);
  context.add("multivariate.mmd", "", mmd.p_value,
              fmt::format("MMD^2 {:.4g} (sigma {:.3g}), permutation p-value {:.3g} from {} permutations{}", mmd.mmd2,
                          mmd.sigma, mmd.p_value, mmd.permutations,
                          mmd.subsampled ? fmt::format(", on subsamples of {} rows", options.max_rows_per_sample) : ""),
              {{"mmd2", mmd.mmd2},
               {"sigma", mmd.sigma},
               {"permutations", mmd.permutations},
               {"reference_rows", mmd.reference_rows},
               {"test_rows", mmd.test_rows},
               {"subsampled", mmd.subsampled}});
}

}  // namespace xferval::check
