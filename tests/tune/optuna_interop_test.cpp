// Round trips with Debian's python3-optuna 3.1: Optuna loads and continues an xferval study, and
// xferval loads and continues a study Optuna wrote.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "xferval/tune/study.hpp"

namespace xferval::tune {
namespace {

using xferval::testing::run_python;
using xferval::testing::TempDir;

TEST(OptunaInterop, OptunaReadsAndContinuesAnXfervalStudy) {
  TempDir dir;
  std::string path = (dir / "x.db").string();
  TpeOptions options;
  options.seed = 1;
  auto study = Study::create_or_load("sqlite:///" + path, "from-xferval", StudyDirection::Minimize,
                                     std::make_unique<TpeSampler>(options));
  for (int i = 0; i < 20; ++i) {
    Trial t = study.ask();
    double lr = t.suggest_float("lr", 1e-5, 1e-1, true);
    int64_t n = t.suggest_int("n", 1, 9, 2);
    double q = t.suggest_float("q", 0, 2, false, 0.25);
    auto opt = std::get<std::string>(t.suggest_categorical("opt", {std::string("sgd"), std::string("adam")}));
    double value = std::pow(std::log10(lr) + 3, 2) + static_cast<double>(n) + q + (opt == "adam" ? 0 : 1);
    t.report(value + 1, 0);
    t.report(value + 0.5, 1);
    t.set_user_attr("note", "\"xferval\"");
    if (i == 5)
      study.tell(t, TrialState::Fail);
    else if (i == 6)
      study.tell(t, TrialState::Pruned);
    else
      study.tell(t, value);
  }
  auto best = study.best_trial();
  std::string out = run_python(R"(
import json, optuna, warnings
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.load_study(study_name="from-xferval", storage="sqlite:///)" +
                               path + R"(")
t = study.best_trial
states = [s.state.name for s in study.trials]
print(json.dumps({"best_number": t.number, "best_value": t.value, "params": t.params,
                  "dists": {k: optuna.distributions.distribution_to_json(v) for k, v in t.distributions.items()},
                  "iv": {str(k): v for k, v in t.intermediate_values.items()}, "note": t.user_attrs.get("note"),
                  "states": states, "pruned_value": study.trials[6].value}))
def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 9, step=2)
    q = trial.suggest_float("q", 0, 2, step=0.25)
    opt = trial.suggest_categorical("opt", ["sgd", "adam"])
    return (__import__("math").log10(lr) + 3) ** 2 + n + q + (0 if opt == "adam" else 1)
study.optimize(objective, n_trials=5)
print(json.dumps([t.number for t in study.trials][-5:]))
)");
  auto lines = out.substr(0, out.find('\n'));
  auto seen = nlohmann::json::parse(lines);
  EXPECT_EQ(seen["best_number"], best.number);
  EXPECT_EQ(seen["best_value"].get<double>(), *best.value);
  EXPECT_EQ(seen["params"]["lr"].get<double>(), std::get<double>(best.param("lr")));
  EXPECT_EQ(seen["params"]["n"].get<int64_t>(), std::get<int64_t>(best.param("n")));
  EXPECT_EQ(seen["params"]["opt"].get<std::string>(), std::get<std::string>(best.param("opt")));
  EXPECT_EQ(seen["dists"]["lr"].get<std::string>(), distribution_to_json(best.distributions.at("lr")));
  EXPECT_EQ(seen["dists"]["n"].get<std::string>(), distribution_to_json(best.distributions.at("n")));
  EXPECT_EQ(seen["iv"]["1"].get<double>(), best.intermediate_values.at(1));
  EXPECT_EQ(seen["note"], "xferval");
  EXPECT_EQ(seen["states"][5], "FAIL");
  EXPECT_EQ(seen["states"][6], "PRUNED");
  EXPECT_EQ(seen["states"][0], "COMPLETE");
  EXPECT_EQ(out.substr(out.find('\n') + 1), "[20, 21, 22, 23, 24]\n");
  // And xferval continues after Optuna, numbering on.
  Trial next = study.ask();
  EXPECT_EQ(next.number(), 25);
  next.suggest_float("lr", 1e-5, 1e-1, true);
  study.tell(next, 3.0);
  EXPECT_EQ(study.trials().size(), 26u);
}

TEST(OptunaInterop, XfervalResumesAStudyOptunaWrote) {
  TempDir dir;
  std::string path = (dir / "o.db").string();
  run_python(R"(
import optuna, warnings
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.create_study(study_name="from-optuna", direction="maximize", storage="sqlite:///)" +
             path + R"(",
                            sampler=optuna.samplers.TPESampler(seed=0))
def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    k = trial.suggest_categorical("k", [1, 2.5, "three", None, True])
    for step in range(3):
        trial.report(-x * x + step, step)
    if trial.number == 3:
        raise optuna.TrialPruned()
    return -x * x
study.optimize(objective, n_trials=12)
study.enqueue_trial({"x": 0.25})
)");
  auto study = Study::load("sqlite:///" + path, "from-optuna");
  EXPECT_EQ(study.direction(), StudyDirection::Maximize);
  auto trials = study.trials();
  ASSERT_EQ(trials.size(), 13u);
  EXPECT_EQ(trials[3].state, TrialState::Pruned);
  EXPECT_EQ(trials[12].state, TrialState::Waiting);
  EXPECT_EQ(trials[0].intermediate_values.size(), 3u);
  auto best = study.best_trial();
  std::string optuna_best = run_python(R"(
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
s = optuna.load_study(study_name="from-optuna", storage="sqlite:///)" +
                                       path + R"(")
print(s.best_trial.number, repr(s.best_trial.params["k"]))
)");
  std::string k = to_string(best.param("k"));
  if (std::holds_alternative<std::string>(best.param("k"))) k = "'" + k + "'";
  EXPECT_EQ(optuna_best, std::to_string(best.number) + " " + k + "\n");
  // The enqueued trial runs first, with its fixed x.
  Trial first = study.ask();
  EXPECT_EQ(first.number(), 12);
  EXPECT_EQ(first.suggest_float("x", -5, 5), 0.25);
  first.suggest_categorical("k", {int64_t{1}, 2.5, std::string("three"), std::monostate{}, true});
  study.tell(first, -0.0625);
  for (int i = 0; i < 5; ++i) {
    Trial t = study.ask();
    double x = t.suggest_float("x", -5, 5);
    t.suggest_categorical("k", {int64_t{1}, 2.5, std::string("three"), std::monostate{}, true});
    study.tell(t, -x * x);
  }
  EXPECT_EQ(study.trials().size(), 18u);
  std::string count = run_python(R"(
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
s = optuna.load_study(study_name="from-optuna", storage="sqlite:///)" +
                                 path + R"(")
print(len(s.trials), s.trials[-1].state.name)
)");
  EXPECT_EQ(count, "18 COMPLETE\n");
}

}  // namespace
}  // namespace xferval::tune
