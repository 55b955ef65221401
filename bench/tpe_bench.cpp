// The C++ side of bench/tpe_vs_optuna.py and tests/e2e/test_tune_optuna.py.
//   tpe_bench timing N [N...]            sampler CPU time per trial, 5-D space, in-memory history
//   tpe_bench agreement FUNCTION SEEDS TRIALS   best value per seed, as JSON (see test functions)
//   tpe_bench points FUNCTION SEED TRIALS      every sampled value of one run, one trial a line, in
//                                               hex (%a): diffing two builds' output checks that
//                                               they choose bit-identical points
//   tpe_bench inspect FUNCTION SEED TRIALS DRAWS  one history and each parameter's split, estimators
//                                                 and next values, as JSON (bench/tpe_inspect.py)
// XFERVAL_TPE_DENSITY=corrected selects the normalised density (default: Optuna 3.1's).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "xferval/tune/sampler.hpp"

using namespace xferval::tune;

namespace {

using Space = std::vector<std::pair<std::string, Distribution>>;

// CPU time of this thread: the machines are shared, and wall time per trial then measures the
// neighbours as much as the sampler. bench/tpe_vs_optuna.py times Optuna with
// time.thread_time(), the same clock.
double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
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
    for (int i = 0; i < 6; ++i) s.emplace_back(std::string("x").append(std::to_string(i)), make_float(0, 1));
  } else if (name == "rosenbrock5") {
    for (int i = 0; i < 5; ++i) s.emplace_back(std::string("x").append(std::to_string(i)), make_float(-2, 2));
  } else if (name == "mixed10") {
    for (int i = 0; i < 4; ++i) s.emplace_back(std::string("f").append(std::to_string(i)), make_float(-5, 5));
    s.emplace_back("lr", make_float(1e-5, 1, true));
    s.emplace_back("wd", make_float(1e-4, 10, true));
    s.emplace_back("n", make_int(0, 10));
    s.emplace_back("batch", make_int(8, 256, true));
    s.emplace_back("a", make_categorical({std::string("x"), std::string("y"), std::string("z")}));
    s.emplace_back(
        "b", make_categorical({std::string("p"), std::string("q"), std::string("r"), std::string("s")}));
  } else if (name == "sphere5") {
    for (int i = 0; i < 5; ++i)
      s.emplace_back(std::string("x").append(std::to_string(i)), make_float(-10, 10));
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

TpeOptions options_for(uint64_t seed) {
  TpeOptions options;
  options.seed = seed;
  // XFERVAL_TPE_DENSITY=corrected|3.1 overrides the default density (Optuna 3.1's).
  const char* density = std::getenv("XFERVAL_TPE_DENSITY");
  if (density) options.parzen.optuna_3_1_density = std::string(density) != "corrected";
  return options;
}

// Runs `trials` trials; returns the best value and adds the sampler's seconds per trial to `times`.
double optimise(const std::string& function, uint64_t seed, size_t trials, std::vector<double>* times,
                std::vector<FrozenTrial>* history_out = nullptr) {
  Space space = space_of(function);
  Objective objective = objective_of(function);
  TpeSampler sampler(options_for(seed));
  std::vector<FrozenTrial> history;
  history.reserve(trials);
  double best = INFINITY;
  for (size_t n = 0; n < trials; ++n) {
    FrozenTrial trial;
    trial.number = static_cast<int64_t>(n);
    trial.trial_id = static_cast<int64_t>(n);
    // As a study does: the history does not change while one trial's parameters are sampled.
    SamplerContext context{history, StudyDirection::Minimize, next_history_version()};
    std::vector<double> x;
    double start = thread_seconds();
    for (const auto& [name, distribution] : space) {
      double v = sampler.sample_independent(context, trial, name, distribution);
      trial.params[name] = v;
      trial.distributions.emplace(name, distribution);
      x.push_back(v);
    }
    if (times) times->push_back(thread_seconds() - start);
    trial.value = objective(x);
    trial.state = TrialState::Complete;
    best = std::min(best, *trial.value);
    history.push_back(std::move(trial));
  }
  if (history_out) *history_out = std::move(history);
  return best;
}

void print_list(const char* key, const std::vector<double>& values, bool last = false) {
  std::printf("\"%s\": [", key);
  for (size_t i = 0; i < values.size(); ++i) std::printf("%s%.17g", i ? ", " : "", values[i]);
  std::printf("]%s", last ? "" : ", ");
}

// The history of one run, and for each parameter the below/above split, both Parzen estimators,
// their log densities on a grid and the value the next trial would get under `draws` seeds: what
// bench/tpe_inspect.py compares with Optuna's own functions on the same history.
void inspect(const std::string& function, uint64_t seed, size_t trials, int draws) {
  std::vector<FrozenTrial> history;
  optimise(function, seed, trials, nullptr, &history);
  Space space = space_of(function);
  std::printf("{\"history\": [");
  for (size_t t = 0; t < history.size(); ++t) {
    std::printf("%s{\"value\": %.17g, \"params\": {", t ? ", " : "", *history[t].value);
    size_t i = 0;
    for (const auto& [name, value] : history[t].params)
      std::printf("%s\"%s\": %.17g", i++ ? ", " : "", name.c_str(), value);
    std::printf("}}");
  }
  std::printf("], \"params\": {");
  SamplerContext context{history, StudyDirection::Minimize};
  FrozenTrial next;
  next.number = static_cast<int64_t>(history.size());
  for (size_t p = 0; p < space.size(); ++p) {
    const auto& [name, distribution] = space[p];
    TpeSampler sampler(options_for(seed));
    auto split = sampler.split(context, name, distribution);
    std::printf("%s\"%s\": {", p ? ", " : "", name.c_str());
    print_list("below", split->below);
    print_list("above", split->above);
    SearchSpace1 one{{name, distribution}};
    ParzenEstimator below(one, {split->below}, sampler.options().parzen);
    ParzenEstimator above(one, {split->above}, sampler.options().parzen);
    std::vector<double> grid;
    for (int g = 0; g <= 50; ++g) {
      Rng rng(static_cast<uint64_t>(g));
      grid.push_back(RandomSampler::sample(rng, distribution));
    }
    print_list("grid", grid);
    print_list("log_l", below.log_pdf({grid}));
    print_list("log_g", above.log_pdf({grid}));
    for (const auto& [key, estimator] : {std::pair{"l", &below}, std::pair{"g", &above}}) {
      const auto& k = estimator->kernels(0);
      print_list((std::string("weights_") + key).c_str(), estimator->weights());
      if (!k.categorical) {
        print_list((std::string("mus_") + key).c_str(), k.mus);
        print_list((std::string("sigmas_") + key).c_str(), k.sigmas);
      }
    }
    std::vector<double> chosen;
    for (int d = 0; d < draws; ++d) {
      TpeSampler fresh(options_for(1000 + static_cast<uint64_t>(d)));
      chosen.push_back(fresh.sample_independent(context, next, name, distribution));
    }
    print_list("chosen", chosen, true);
    std::printf("}");
  }
  std::printf("}}\n");
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
  if (mode == "points" && argc == 5) {
    std::vector<FrozenTrial> history;
    optimise(argv[2], static_cast<uint64_t>(std::atoll(argv[3])), static_cast<size_t>(std::atoi(argv[4])),
             nullptr, &history);
    for (const FrozenTrial& t : history) {
      for (const auto& [name, value] : t.params) std::printf("%s=%a ", name.c_str(), value);
      std::printf("-> %a\n", *t.value);
    }
    return 0;
  }
  if (mode == "inspect" && argc == 6) {
    inspect(argv[2], static_cast<uint64_t>(std::atoi(argv[3])), static_cast<size_t>(std::atoi(argv[4])),
            std::atoi(argv[5]));
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
  std::fprintf(stderr,
               "usage: tpe_bench timing N... | agreement FUNCTION SEEDS TRIALS | points FUNCTION SEED TRIALS"
               " | inspect FUNCTION SEED TRIALS DRAWS\n");
  return 2;
}
