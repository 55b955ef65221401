// The C++ side of bench/tpe_vs_optuna.py and tests/e2e/test_tune_optuna.py.
//   tpe_bench timing N [N...]            sampler time per trial, 5-D space, in-memory history
//   tpe_bench agreement FUNCTION SEEDS TRIALS   best value per seed, as JSON (see test functions)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "xferval/tune/sampler.hpp"

using namespace xferval::tune;

namespace {

using Space = std::vector<std::pair<std::string, Distribution>>;
using Objective = double (*)(const std::vector<double>&);

double branin(const std::vector<double>& x) {
  double a = 1, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, r = 6, s = 10, t = 1 / (8 * M_PI);
  return a * std::pow(x[1] - b * x[0] * x[0] + c * x[0] - r, 2) + s * (1 - t) * std::cos(x[0]) + s;
}

double hartmann6(const std::vector<double>& x) {
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                 {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                 {2329, 4135, 8307, 3736, 1004, 9991},
                                 {2348, 1451, 3522, 2883, 3047, 6650},
                                 {4047, 8828, 8732, 5743, 1091, 381}};
  double total = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) inner += A[i][j] * std::pow(x[static_cast<size_t>(j)] - 1e-4 * P[i][j], 2);
    total -= alpha[i] * std::exp(-inner);
  }
  return total;
}

double rosenbrock(const std::vector<double>& x) {
  double total = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i)
    total += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  return total;
}

// 6 floats (2 log), 2 ints, 2 categoricals: a smooth bowl plus per-choice offsets.
double mixed10(const std::vector<double>& x) {
  double total = 0;
  for (size_t i = 0; i < 4; ++i) total += std::pow(x[i] - 0.3 * static_cast<double>(i), 2);
  total += std::pow(std::log10(x[4]) + 2, 2) + std::pow(std::log10(x[5]) + 1, 2);
  total += 0.1 * std::pow(x[6] - 3, 2) + 0.01 * std::pow(x[7] - 40, 2);
  static const double offsets_a[3] = {0.0, 1.0, 2.0};
  static const double offsets_b[4] = {1.5, 0.5, 0.0, 1.0};
  return total + offsets_a[static_cast<size_t>(x[8])] + offsets_b[static_cast<size_t>(x[9])];
}

Space space_of(const std::string& name) {
  if (name == "branin") return {{"x0", make_float(-5, 10)}, {"x1", make_float(0, 15)}};
  Space s;
  if (name == "hartmann6") {
    for (int i = 0; i < 6; ++i) s.emplace_back("x" + std::to_string(i), make_float(0, 1));
  } else if (name == "rosenbrock5") {
    for (int i = 0; i < 5; ++i) s.emplace_back("x" + std::to_string(i), make_float(-2, 2));
  } else if (name == "mixed10") {
    for (int i = 0; i < 4; ++i) s.emplace_back("f" + std::to_string(i), make_float(-5, 5));
    s.emplace_back("lr", make_float(1e-5, 1, true));
    s.emplace_back("wd", make_float(1e-4, 10, true));
    s.emplace_back("n", make_int(0, 10));
    s.emplace_back("batch", make_int(8, 256, true));
    s.emplace_back("a", make_categorical({std::string("x"), std::string("y"), std::string("z")}));
    s.emplace_back(
        "b", make_categorical({std::string("p"), std::string("q"), std::string("r"), std::string("s")}));
  } else if (name == "sphere5") {
    for (int i = 0; i < 5; ++i) s.emplace_back("x" + std::to_string(i), make_float(-10, 10));
  } else {
    std::fprintf(stderr, "unknown function %s\n", name.c_str());
    std::exit(2);
  }
  return s;
}

Objective objective_of(const std::string& name) {
  if (name == "branin") return branin;
  if (name == "hartmann6") return hartmann6;
  if (name == "rosenbrock5") return rosenbrock;
  if (name == "mixed10") return mixed10;
  return [](const std::vector<double>& x) {
    double total = 0;
    for (double v : x) total += v * v;
    return total;
  };
}

// Runs `trials` trials; returns the best value and adds the sampler's seconds per trial to `times`.
double optimise(const std::string& function, uint64_t seed, size_t trials, std::vector<double>* times) {
  Space space = space_of(function);
  Objective objective = objective_of(function);
  TpeOptions options;
  options.seed = seed;
  // XFERVAL_TPE_OPTUNA_3_1=1 reproduces 3.1's unnormalised density, to separate the fix from the rest.
  options.parzen.optuna_3_1_density = std::getenv("XFERVAL_TPE_OPTUNA_3_1") != nullptr;
  TpeSampler sampler(options);
  std::vector<FrozenTrial> history;
  history.reserve(trials);
  double best = INFINITY;
  for (size_t n = 0; n < trials; ++n) {
    FrozenTrial trial;
    trial.number = static_cast<int64_t>(n);
    trial.trial_id = static_cast<int64_t>(n);
    SamplerContext context{history, StudyDirection::Minimize};
    std::vector<double> x;
    auto start = std::chrono::steady_clock::now();
    for (const auto& [name, distribution] : space) {
      double v = sampler.sample_independent(context, trial, name, distribution);
      trial.params[name] = v;
      trial.distributions.emplace(name, distribution);
      x.push_back(v);
    }
    auto stop = std::chrono::steady_clock::now();
    if (times) times->push_back(std::chrono::duration<double>(stop - start).count());
    trial.value = objective(x);
    trial.state = TrialState::Complete;
    best = std::min(best, *trial.value);
    history.push_back(std::move(trial));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "timing";
  if (mode == "agreement" && argc == 5) {
    std::string function = argv[2];
    int seeds = std::atoi(argv[3]);
    size_t trials = static_cast<size_t>(std::atoi(argv[4]));
    std::printf("[");
    for (int s = 0; s < seeds; ++s)
      std::printf("%s%.17g", s ? ", " : "", optimise(function, static_cast<uint64_t>(s), trials, nullptr));
    std::printf("]\n");
    return 0;
  }
  if (mode == "timing") {
    std::printf("{");
    for (int i = 2; i < argc; ++i) {
      size_t n = static_cast<size_t>(std::atoi(argv[i]));
      std::vector<double> times;
      auto start = std::chrono::steady_clock::now();
      optimise("sphere5", 0, n, &times);
      double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      double total = 0, tail = 0;
      for (double t : times) total += t;
      size_t tail_count = std::max<size_t>(n / 10, 1);
      for (size_t k = n - tail_count; k < n; ++k) tail += times[k];
      std::printf("%s\"%zu\": {\"mean_ms\": %.6f, \"last10_ms\": %.6f, \"wall_s\": %.4f}", i > 2 ? ", " : "",
                  n, 1e3 * total / static_cast<double>(n), 1e3 * tail / static_cast<double>(tail_count),
                  wall);
      std::fflush(stdout);
    }
    std::printf("}\n");
    return 0;
  }
  std::fprintf(stderr, "usage: tpe_bench timing N... | tpe_bench agreement FUNCTION SEEDS TRIALS\n");
  return 2;
}
