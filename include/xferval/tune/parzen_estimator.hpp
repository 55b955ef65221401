#pragma once
// Optuna 3.1's _ParzenEstimator (samplers/_tpe/parzen_estimator.py) and the truncated-normal
// numerics of _truncnorm.py. The continuous density is the normalised one (Optuna >= 3.5, PR
// #5110); `optuna_3_1_density` reproduces 3.1's missing -log(sigma) for comparisons.
#include <string>
#include <utility>
#include <vector>

#include "xferval/tune/distribution.hpp"
#include "xferval/tune/rng.hpp"

namespace xferval::tune {

struct ParzenParameters {
  bool consider_prior = true;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  bool multivariate = false;
  bool optuna_3_1_density = false;  // the 3.1-3.4 bug: continuous kernels lack the 1/sigma factor
};

// Optuna's default_gamma, hyperopt_default_gamma and default_weights.
size_t default_gamma(size_t n);
size_t hyperopt_default_gamma(size_t n);
std::vector<double> default_weights(size_t n);

namespace truncnorm {
double ndtr(double a);
double log_ndtr(double a);
// log(Phi(b) - Phi(a)), stable in both tails.
double log_gauss_mass(double a, double b);
// Inverse of log_ndtr.
double ndtri_exp(double y);
// Quantile q of the standard normal truncated to [a, b].
double ppf(double q, double a, double b);
}  // namespace truncnorm

using SearchSpace1 = std::vector<std::pair<std::string, Distribution>>;

class ParzenEstimator {
 public:
  // `observations[p]` holds parameter p's internal values (all of the same length).
  ParzenEstimator(SearchSpace1 space, const std::vector<std::vector<double>>& observations,
                  const ParzenParameters& parameters);

  // Draws `count` points; result[p][i] is in the original space (log undone, step snapped,
  // categorical index), as Optuna's sample() returns.
  std::vector<std::vector<double>> sample(Rng& rng, size_t count) const;
  // Mixture log-density at points given as sample() returns them.
  std::vector<double> log_pdf(const std::vector<std::vector<double>>& points) const;

  const std::vector<double>& weights() const { return weights_; }
  struct Kernels {
    bool categorical = false;
    double low = 0, high = 0, q = 0;  // transformed bounds; q = 0 when continuous
    std::vector<double> mus, sigmas;
    std::vector<std::vector<double>> categorical_weights;  // one row per kernel
    std::vector<double> log_normaliser;  // per kernel: log mass of [low, high] (+ log sigma when fixed)
  };
  const Kernels& kernels(size_t parameter) const { return kernels_[parameter]; }

 private:
  SearchSpace1 space_;
  ParzenParameters parameters_;
  std::vector<double> weights_;
  std::vector<double> log_weights_;
  std::vector<double> cumulative_weights_;
  std::vector<Kernels> kernels_;
};

}  // namespace xferval::tune
