// Study, trial and storage semantics on SQLite: numbering, budget, states, heartbeats, errors.
#include "xferval/tune/study.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "test_support.hpp"
#include "xferval/core/error.hpp"

namespace xferval::tune {
namespace {

using xferval::testing::TempDir;

std::string url_of(const TempDir& dir) { return "sqlite:///" + (dir / "study.db").string(); }

TEST(Study, AskTellAndBestTrial) {
  TempDir dir;
  TpeOptions options;
  options.seed = 7;
  auto study = Study::create_or_load(url_of(dir), "quadratic", StudyDirection::Minimize,
                                     std::make_unique<TpeSampler>(options));
  for (int i = 0; i < 30; ++i) {
    Trial trial = study.ask();
    double x = trial.suggest_float("x", -10, 10);
    int64_t n = trial.suggest_int("n", 1, 5);
    auto kind =
        std::get<std::string>(trial.suggest_categorical("kind", {std::string("a"), std::string("b")}));
    EXPECT_EQ(trial.suggest_float("x", -10, 10), x);  // asked twice: the same value
    EXPECT_EQ(trial.number(), i);
    study.tell(trial, (x - 2) * (x - 2) + static_cast<double>(n) + (kind == "a" ? 0 : 1));
  }
  auto best = study.best_trial();
  EXPECT_EQ(best.state, TrialState::Complete);
  EXPECT_LT(*best.value, 5.0);
  EXPECT_EQ(study.trials().size(), 30u);
  // Reopening sees the same history.
  auto again = Study::load(url_of(dir), "quadratic");
  EXPECT_EQ(again.best_trial().number, best.number);
  EXPECT_EQ(again.direction(), StudyDirection::Minimize);
}

TEST(Study, SeededSamplersReproduce) {
  auto run = [](uint64_t seed) {
    TempDir dir;
    TpeOptions options;
    options.seed = seed;
    auto study = Study::create_or_load(url_of(dir), "s", StudyDirection::Minimize,
                                       std::make_unique<TpeSampler>(options));
    std::vector<double> xs;
    for (int i = 0; i < 15; ++i) {
      Trial t = study.ask();
      double x = t.suggest_float("x", -5, 5);
      xs.push_back(x);
      study.tell(t, x * x);
    }
    return xs;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(Study, StatesPrunedFailAndNaN) {
  TempDir dir;
  auto study = Study::create_or_load(url_of(dir), "s", StudyDirection::Maximize);
  Trial pruned = study.ask();
  pruned.report(0.5, 0);
  pruned.report(0.7, 1);
  pruned.report(0.9, 1);  // second report for a step is ignored
  EXPECT_EQ(study.tell(pruned, TrialState::Pruned), TrialState::Pruned);
  Trial failed = study.ask();
  study.tell(failed, TrialState::Fail);
  Trial nan = study.ask();
  EXPECT_EQ(study.tell(nan, std::nan("")), TrialState::Fail);
  Trial inf = study.ask();
  study.tell(inf, INFINITY);
  auto trials = study.trials();
  ASSERT_EQ(trials.size(), 4u);
  EXPECT_EQ(trials[0].state, TrialState::Pruned);
  EXPECT_EQ(*trials[0].value, 0.7);  // the last intermediate value, as Optuna stores
  EXPECT_EQ(trials[0].intermediate_values.at(1), 0.7);
  EXPECT_EQ(trials[1].state, TrialState::Fail);
  EXPECT_EQ(trials[2].state, TrialState::Fail);
  EXPECT_TRUE(std::isinf(*trials[3].value));
  EXPECT_EQ(study.best_trial().number, 3);
  EXPECT_THROW(study.tell(inf, 1.0), std::runtime_error);
}

TEST(Study, BudgetIsSharedAcrossWorkers) {
  TempDir dir;
  std::string url = url_of(dir);
  Study::create_or_load(url, "shared", StudyDirection::Minimize);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([url, w] {
      auto study = Study::create_or_load(url, "shared", StudyDirection::Minimize,
                                         std::make_unique<RandomSampler>(static_cast<uint64_t>(w)));
      SearchSpace space{{{"x", make_float(-1, 1)}}};
      while (auto trial = study.ask_within_budget(25, &space))
        study.tell(*trial, std::get<double>(trial->params()["x"]));
    });
  }
  for (auto& w : workers) w.join();
  auto trials = Study::load(url, "shared").trials();
  ASSERT_EQ(trials.size(), 25u);
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<int64_t>(i));
    EXPECT_EQ(trials[i].state, TrialState::Complete);
  }
}

TEST(Study, EnqueuedTrialsRunFirstWithTheirParameters) {
  TempDir dir;
  auto study = Study::create_or_load(url_of(dir), "s", StudyDirection::Minimize);
  study.enqueue_trial({{"x", 1.5}, {"opt", std::string("adam")}});
  Trial t = study.ask();
  EXPECT_EQ(t.suggest_float("x", -5, 5), 1.5);
  EXPECT_EQ(std::get<std::string>(t.suggest_categorical("opt", {std::string("sgd"), std::string("adam")})),
            "adam");
  study.tell(t, 0.0);
}

TEST(Study, StaleHeartbeatsFail) {
  TempDir dir;
  auto study = Study::create_or_load(url_of(dir), "s", StudyDirection::Minimize);
  Trial zombie = study.ask();
  zombie.heartbeat();
  Trial silent = study.ask();  // never beat: left alone, as Optuna does
  (void)silent;
  EXPECT_TRUE(study.fail_stale_trials(60).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto failed = study.fail_stale_trials(0.5);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0], zombie.number());
  EXPECT_EQ(study.trials()[0].state, TrialState::Fail);
  EXPECT_EQ(study.trials()[1].state, TrialState::Running);
}

TEST(Study, ErrorsAreClear) {
  TempDir dir;
  EXPECT_THROW(Study::create_or_load("postgresql://host/", "s", StudyDirection::Minimize), UsageError);
  try {
    Study::create_or_load("mysql://x", "s", StudyDirection::Minimize);
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "storage URL 'mysql://x': unknown scheme 'mysql' (expected sqlite:///path.db or "
              "postgresql://USER@HOST:PORT/DB)");
  }
  Study::create_or_load(url_of(dir), "s", StudyDirection::Minimize);
  try {
    Study::create_or_load(url_of(dir), "s", StudyDirection::Maximize);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("exists with direction MINIMIZE, not MAXIMIZE"), std::string::npos);
  }
  EXPECT_THROW(Study::load(url_of(dir), "missing"), UsageError);
  auto study = Study::load(url_of(dir), "s");
  Trial t = study.ask();
  t.suggest_float("x", 0, 1);
  study.tell(t, 1.0);
  Trial u = study.ask();
  EXPECT_THROW(u.suggest_int("x", 0, 1), std::invalid_argument);  // another kind for the same name
  TempDir empty;
  EXPECT_THROW(Study::create_or_load(url_of(empty), "e", StudyDirection::Minimize).best_trial(),
               std::runtime_error);
}

TEST(Study, SchemaIsOptunas) {
  TempDir dir;
  Study::create_or_load(url_of(dir), "s", StudyDirection::Minimize);
  std::string out = xferval::testing::run_python(
      "import sqlite3\nc = sqlite3.connect(r'" + (dir / "study.db").string() +
      "')\nprint(c.execute('select * from version_info').fetchall(), c.execute('select * from "
      "alembic_version')"
      ".fetchall(), c.execute('pragma journal_mode').fetchone()[0])\n"
      "print(sorted(r[0] for r in c.execute(\"select name from sqlite_master where type='table'\")))\n");
  EXPECT_EQ(out,
            "[(1, 12, '3.1.0')] [('v3.0.0.d',)] wal\n"
            "['alembic_version', 'studies', 'study_directions', 'study_system_attributes', "
            "'study_user_attributes', "
            "'trial_heartbeats', 'trial_intermediate_values', 'trial_params', 'trial_system_attributes', "
            "'trial_user_attributes', 'trial_values', 'trials', 'version_info']\n");
}

}  // namespace
}  // namespace xferval::tune
