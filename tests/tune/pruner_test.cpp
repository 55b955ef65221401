// Pruners against Optuna 3.1 itself: the same learning curves run through an xferval study and an
// Optuna study (same name, so Hyperband's brackets agree), pruning decisions compared step by step.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "xferval/tune/study.hpp"

namespace xferval::tune {
namespace {

using xferval::testing::TempDir;

struct Case {
  std::string name;
  std::string optuna_pruner;  // Python expression
  std::function<std::unique_ptr<Pruner>()> make;
  StudyDirection direction;
};

// Deterministic noisy learning curves; a few NaNs and skipped steps exercise the edge rules.
std::vector<std::vector<double>> curves(uint64_t seed, int n_trials, int n_steps) {
  Rng rng(seed);
  std::vector<std::vector<double>> out;
  for (int t = 0; t < n_trials; ++t) {
    double level = rng.uniform(0, 1);
    std::vector<double> curve;
    for (int s = 0; s < n_steps; ++s) {
      double v = level + 1.0 / (s + 1) + 0.05 * rng.uniform(-1, 1);
      if (rng.uniform() < 0.02) v = std::nan("");
      curve.push_back(v);
    }
    out.push_back(curve);
  }
  return out;
}

std::vector<int> run_xferval(const Case& c, const std::vector<std::vector<double>>& data) {
  TempDir dir;
  auto study = Study::create_or_load("sqlite:///" + (dir / "p.db").string(), c.name, c.direction,
                                     std::make_unique<RandomSampler>(0), c.make());
  std::vector<int> decisions;
  for (const auto& curve : data) {
    Trial trial = study.ask();
    int pruned_at = -1;
    for (size_t step = 0; step < curve.size(); ++step) {
      trial.report(curve[step], static_cast<int64_t>(step));
      if (trial.should_prune()) {
        pruned_at = static_cast<int>(step);
        break;
      }
    }
    if (pruned_at >= 0)
      study.tell(trial, TrialState::Pruned);
    else
      study.tell(trial, curve.back());
    decisions.push_back(pruned_at);
  }
  return decisions;
}

TEST(Pruners, DecisionsMatchOptuna) {
  std::vector<Case> cases = {
      {"median", "optuna.pruners.MedianPruner()", [] { return std::make_unique<MedianPruner>(); },
       StudyDirection::Minimize},
      {"median-max", "optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=3)",
       [] { return std::make_unique<MedianPruner>(2, 3); }, StudyDirection::Maximize},
      {"percentile",
       "optuna.pruners.PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=2, interval_steps=3)",
       [] { return std::make_unique<PercentilePruner>(25.0, 3, 2, 3); }, StudyDirection::Minimize},
      {"percentile-min-trials", "optuna.pruners.PercentilePruner(60.0, n_startup_trials=1, n_min_trials=4)",
       [] { return std::make_unique<PercentilePruner>(60.0, 1, 0, 1, 4); }, StudyDirection::Minimize},
      {"asha", "optuna.pruners.SuccessiveHalvingPruner()",
       [] { return std::make_unique<SuccessiveHalvingPruner>(); }, StudyDirection::Minimize},
      {"asha-max",
       "optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, bootstrap_count=2)",
       [] { return std::make_unique<SuccessiveHalvingPruner>(2, 3, 0, 2); }, StudyDirection::Maximize},
      {"asha-rate",
       "optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, "
       "min_early_stopping_rate=1)",
       [] { return std::make_unique<SuccessiveHalvingPruner>(1, 2, 1); }, StudyDirection::Minimize},
      {"hyperband", "optuna.pruners.HyperbandPruner()", [] { return std::make_unique<HyperbandPruner>(); },
       StudyDirection::Minimize},
      {"hyperband-max", "optuna.pruners.HyperbandPruner(min_resource=2, max_resource=20, reduction_factor=2)",
       [] { return std::make_unique<HyperbandPruner>(2, 20, 2); }, StudyDirection::Maximize},
      {"patient", "optuna.pruners.PatientPruner(None, patience=2, min_delta=0.01)",
       [] { return std::make_unique<PatientPruner>(nullptr, 2, 0.01); }, StudyDirection::Minimize},
      {"patient-median", "optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(), patience=1)",
       [] { return std::make_unique<PatientPruner>(std::make_unique<MedianPruner>(), 1); },
       StudyDirection::Maximize},
  };
  nlohmann::json spec = nlohmann::json::array();
  std::vector<std::vector<int>> ours;
  uint64_t seed = 1;
  for (const auto& c : cases) {
    auto data = curves(seed++, 40, 20);
    if (c.direction == StudyDirection::Maximize)  // rising curves, so maximising studies prune too
      for (auto& curve : data)
        for (double& v : curve) v = -v;
    ours.push_back(run_xferval(c, data));
    nlohmann::json curves_json = nlohmann::json::array();
    for (const auto& curve : data) {
      nlohmann::json row = nlohmann::json::array();
      for (double v : curve) row.push_back(std::isnan(v) ? nlohmann::json("nan") : nlohmann::json(v));
      curves_json.push_back(row);
    }
    spec.push_back({{"name", c.name},
                    {"pruner", c.optuna_pruner},
                    {"direction", c.direction == StudyDirection::Minimize ? "minimize" : "maximize"},
                    {"curves", curves_json}});
  }
  std::string python = R"(
import json, math, optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
import warnings; warnings.simplefilter("ignore")
spec = json.loads(r'''SPEC''')
out = []
for case in spec:
    study = optuna.create_study(study_name=case["name"], direction=case["direction"], pruner=eval(case["pruner"]),
                                sampler=optuna.samplers.RandomSampler(0))
    decisions = []
    for curve in case["curves"]:
        trial = study.ask()
        pruned_at = -1
        for step, v in enumerate(curve):
            trial.report(float(v), step)
            if trial.should_prune():
                pruned_at = step
                break
        if pruned_at >= 0:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, float(curve[-1]))
        decisions.append(pruned_at)
    out.append(decisions)
print(json.dumps(out))
)";
  python.replace(python.find("SPEC"), 4, spec.dump());
  auto theirs = nlohmann::json::parse(xferval::testing::run_python(python));
  ASSERT_EQ(theirs.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    auto expected = theirs[i].get<std::vector<int>>();
    EXPECT_EQ(ours[i], expected) << cases[i].name;
    int pruned =
        static_cast<int>(std::count_if(expected.begin(), expected.end(), [](int s) { return s >= 0; }));
    std::cout << cases[i].name << ": " << pruned << " of " << expected.size() << " trials pruned\n";
  }
}

TEST(Pruners, NanPercentileIsNumpys) {
  EXPECT_DOUBLE_EQ(nan_percentile({1, 2, 3, 4}, 50), 2.5);
  EXPECT_DOUBLE_EQ(nan_percentile({1, std::nan(""), 3}, 25), 1.5);
  EXPECT_TRUE(std::isnan(nan_percentile({std::nan("")}, 50)));
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
}

}  // namespace
}  // namespace xferval::tune
