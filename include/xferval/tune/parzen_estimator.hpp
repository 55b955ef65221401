#pragma once
// Optuna 3.1's _ParzenEstimator (samplers/_tpe/parzen_estimator.py) and the truncated-normal
// numerics of _truncnorm.py. `optuna_3_1_density` (the default) keeps 3.1's missing -log(sigma);
// turned off, the continuous density is the normalised one (Optuna >= 3.5, PR #5110).
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
  // Optuna 3.1-3.4's density: continuous kernels lack the 1/sigma factor (fixed in 3.5, PR #5110).
  // The default, because the correction makes TPE measurably worse on the benchmarks, in
  // Optuna as here (docs/tune.md, "Which density"); false gives the normalised density.
  bool optuna_3_1_density = true;
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
  // `sorted_orders` (optional, per parameter; empty = not given) lists the observation indices
  // ordered by (transformed value, index), the order the univariate bandwidth rule needs: a
  // caller that keeps its observations sorted across calls saves the O(n log n) sort. The log
  // transform is std::log, so the caller must sort by std::log(value) for log distributions.
  ParzenEstimator(SearchSpace1 space, const std::vector<std::vector<double>>& observations,
                  const ParzenParameters& parameters,
                  const std::vector<std::vector<size_t>>* sorted_orders = nullptr);
  // Fits the same space and parameters to new observations (arguments as for the constructor),
  // reusing this estimator's arrays: a sampler that fits thousands of kernels every trial then
  // neither allocates nor touches fresh memory.
  void refit(const std::vector<std::vector<double>>& observations,
             const std::vector<std::vector<size_t>>* sorted_orders = nullptr);
  const SearchSpace1& space() const { return space_; }

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
    std::vector<double> log_normaliser;   // per kernel: log mass of [low, high] (+ log sigma when fixed)
    bool log = false;                     // evaluation points are mapped through std::log
    std::vector<double> log_categorical;  // log of categorical_weights, choice-major: [c * kernels + k]
    // One continuous parameter only: 1/sigma, w_k exp(-log_normaliser_k - shift), shift.
    std::vector<double> inverse_sigmas, coefficients;
    double shift = 0;
  };
  const Kernels& kernels(size_t parameter) const { return kernels_[parameter]; }

 private:
  void fit_categorical(size_t p, const std::vector<double>& obs, bool consider_prior);
  void fit_continuous(size_t p, const std::vector<double>& obs, bool consider_prior,
                      const std::vector<size_t>* given_order);
  void set_adaptive_bandwidths(Kernels& k, size_t n, bool consider_prior,
                               const std::vector<size_t>* given_order);
  double log_pdf_general(double x, const Kernels& k) const;

  SearchSpace1 space_;
  ParzenParameters parameters_;
  std::vector<double> weights_;
  std::vector<double> log_weights_;
  std::vector<Kernels> kernels_;
  std::vector<size_t> order_scratch_;  // the univariate bandwidth rule's sorted order
};

// e^x for x <= 0, within 2 ulp of std::exp, written so that loops over it vectorise (the mixture
// log-sum-exp spends most of TPE's time in exp at thousands of trials). Below -708 it returns 0:
// there the term is negligible next to the largest one, which is e^0 = 1.
double exp_nonpositive(double x);

}  // namespace xferval::tune
